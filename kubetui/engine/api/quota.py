"""LimitRanger and ResourceQuota admission, and the usage an object charges against a quota."""

from __future__ import annotations

from fractions import Fraction

from ..quantity import format_bytes, format_cpu, parse_quantity
from . import errors

LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"
_COMPUTE = ("cpu", "memory", "ephemeral-storage")
# Object counts a quota can limit by their plain names (everything also answers to `count/<plural>[.<group>]`).
_COUNTED = {"pods": "pods", "services": "services", "configmaps": "configmaps", "secrets": "secrets",
            "persistentvolumeclaims": "persistentvolumeclaims", "replicationcontrollers": "replicationcontrollers",
            "resourcequotas": "resourcequotas"}


def forbidden(resource: str, name: str, message: str) -> errors.ApiError:
    return errors.ApiError(403, "Forbidden", f'{resource} "{name}" is forbidden: {message}',
                           {"name": name, "kind": resource})


def text(resource: str, value: Fraction) -> str:
    """A usage figure as a quantity: CPU in cores/millicores, memory and storage in binary units, counts plain."""
    if resource.endswith("cpu"):
        return format_cpu(int(value * 1000))
    if resource.endswith(("memory", "storage")):
        return format_bytes(int(value))
    return str(int(value)) if value == int(value) else str(float(value))


# -- LimitRanger --------------------------------------------------------------------------------

def limit_ranger(pod: dict, limit_ranges: list[dict]) -> list[str]:
    """Apply the Container defaults of every LimitRange to the pod (annotating what was set), then check
    the min/max/ratio constraints; returns the violations in upstream's words."""
    problems: list[str] = []
    for lr in limit_ranges:
        items = (lr.get("spec") or {}).get("limits") or ()
        _apply_defaults(pod, [i for i in items if i.get("type") == "Container"])
        containers = pod["spec"].get("containers") or ()
        for item in items:
            if item.get("type") == "Container":
                for c in containers:
                    resources = c.get("resources") or {}
                    problems += _check(item, "Container", resources.get("requests") or {}, resources.get("limits") or {})
            elif item.get("type") == "Pod":
                requests, limits = (_sum([(c.get("resources") or {}).get(f) or {} for c in containers])
                                    for f in ("requests", "limits"))
                problems += _check(item, "Pod", requests, limits)
    return problems


def _apply_defaults(pod: dict, items: list[dict]) -> None:
    default_limits: dict = {}
    default_requests: dict = {}
    for item in items:
        default_limits.update(item.get("default") or {})
        default_requests.update(item.get("defaultRequest") or {})
    notes = []
    for c in pod["spec"].get("containers") or ():
        resources = c.setdefault("resources", {})
        limits, requests = resources.setdefault("limits", {}), resources.setdefault("requests", {})
        set_requests = sorted(k for k in default_requests if k not in requests)
        set_limits = sorted(k for k in default_limits if k not in limits)
        requests.update({k: default_requests[k] for k in set_requests})
        limits.update({k: default_limits[k] for k in set_limits})
        for key in ("limits", "requests"):
            if not resources[key]:
                del resources[key]
        if set_requests:
            notes.append(f"{', '.join(set_requests)} request for container {c['name']}")
        if set_limits:
            notes.append(f"{', '.join(set_limits)} limit for container {c['name']}")
    if notes:
        annotations = pod["metadata"].setdefault("annotations", {})
        annotations[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _check(item: dict, kind: str, requests: dict, limits: dict) -> list[str]:
    out = []
    for name, bound in sorted((item.get("min") or {}).items()):
        enforced = parse_quantity(bound)
        if name not in requests:
            out.append(f"Minimum {name} usage per {kind} is {bound}.  No request is specified.")
        elif parse_quantity(requests[name]) < enforced:
            out.append(f"Minimum {name} usage per {kind} is {bound}, but request is {requests[name]}.")
        elif name in limits and parse_quantity(limits[name]) < enforced:
            out.append(f"Minimum {name} usage per {kind} is {bound}, but limit is {limits[name]}.")
    for name, bound in sorted((item.get("max") or {}).items()):
        enforced = parse_quantity(bound)
        if name not in limits:
            out.append(f"Maximum {name} usage per {kind} is {bound}.  No limit is specified.")
        elif parse_quantity(limits[name]) > enforced:
            out.append(f"Maximum {name} usage per {kind} is {bound}, but limit is {limits[name]}.")
        elif name in requests and parse_quantity(requests[name]) > enforced:
            out.append(f"Maximum {name} usage per {kind} is {bound}, but request is {requests[name]}.")
    for name, bound in sorted((item.get("maxLimitRequestRatio") or {}).items()):
        request, limit = parse_quantity(requests.get(name, 0)), parse_quantity(limits.get(name, 0))
        if not request:
            out.append(f"{name} max limit to request ratio per {kind} is {bound}, but no request is specified "
                       "or request is 0.")
        elif not limit:
            out.append(f"{name} max limit to request ratio per {kind} is {bound}, but no limit is specified "
                       "or limit is 0.")
        elif limit / request > parse_quantity(bound):
            out.append(f"{name} max limit to request ratio per {kind} is {bound}, but provided ratio is "
                       f"{float(limit / request):f}.")
    return out


def _sum(lists: list[dict]) -> dict:
    """Totals of the resources every list names (one missing makes the total unknown), as upstream sums."""
    names = set.intersection(*(set(rl) for rl in lists)) if lists else set()
    return {n: text(n, sum(parse_quantity(rl[n]) for rl in lists)) for n in names}


# -- ResourceQuota ------------------------------------------------------------------------------

def resource_of(name: str) -> str | None:
    """The resource (plural) whose objects a quota line like `requests.cpu` or `count/deployments.apps` counts."""
    if name.startswith("count/"):
        return name[len("count/"):].split(".")[0]
    if name in _COUNTED:
        return _COUNTED[name]
    if name.startswith("services."):
        return "services"
    if name == "requests.storage" or name.endswith(".storageclass.storage.k8s.io/requests.storage"):
        return "persistentvolumeclaims"
    field, _, compute = name.partition(".")
    return "pods" if (compute or field) in _COMPUTE else None


def usage(plural: str, group: str, obj: dict) -> dict[str, Fraction]:
    """What one object charges against quotas: its count, and for pods and claims their resources."""
    count_name = f"count/{plural}" + (f".{group}" if group else "")
    out: dict[str, Fraction] = {count_name: Fraction(1)}
    if plural in _COUNTED:
        out[_COUNTED[plural]] = Fraction(1)
    if plural == "pods":
        if (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return {}  # a finished pod no longer charges the quota
        for field, prefix in (("requests", "requests."), ("limits", "limits.")):
            for name, value in _pod_resources(obj, field).items():
                out[prefix + name] = value
                if field == "requests":
                    out[name] = value
    elif plural == "services":
        stype = (obj.get("spec") or {}).get("type")
        if stype == "LoadBalancer":
            out["services.loadbalancers"] = Fraction(1)
        if stype in ("NodePort", "LoadBalancer"):
            out["services.nodeports"] = Fraction(len((obj.get("spec") or {}).get("ports") or ()))
    elif plural == "persistentvolumeclaims":
        storage = ((obj.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
        if storage:
            out["requests.storage"] = parse_quantity(storage)
    return out


def _pod_resources(pod: dict, field: str) -> dict[str, Fraction]:
    """The pod's effective requests or limits: the sum over its containers, or its largest init container."""
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = {}
    for c in spec.get("containers") or ():
        for name, value in ((c.get("resources") or {}).get(field) or {}).items():
            if name in _COMPUTE:
                total[name] = total.get(name, Fraction(0)) + parse_quantity(value)
    for c in spec.get("initContainers") or ():
        for name, value in ((c.get("resources") or {}).get(field) or {}).items():
            if name in _COMPUTE:
                total[name] = max(total.get(name, Fraction(0)), parse_quantity(value))
    return total


def missing_values(pod: dict, hard: dict) -> list[str]:
    """`limits.cpu for: app` for each compute resource the quota limits that a container does not state."""
    out = []
    for tracked in sorted(hard):
        field, _, name = tracked.partition(".")
        if field == tracked and tracked in _COMPUTE:
            field, name = "requests", tracked
        if field not in ("requests", "limits") or name not in _COMPUTE:
            continue
        lacking = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()
                   if name not in ((c.get("resources") or {}).get(field) or {})]
        if lacking:
            out.append(f"{tracked} for: {','.join(lacking)}")
    return out


def admit(quota: dict, resource: str, name: str, charge: dict[str, Fraction], obj: dict) -> dict[str, str]:
    """Check one quota against a new object's charge; returns the quota's new `status.used` (as text), or raises
    403 with upstream's message when a hard limit would be exceeded or a limited value is not stated."""
    hard = (quota.get("spec") or {}).get("hard") or {}
    used = dict(((quota.get("status") or {}).get("used") or {}))
    qname = quota["metadata"]["name"]
    if resource == "pods":
        missing = missing_values(obj, hard)
        if missing:
            raise forbidden(resource, name, f"failed quota: {qname}: must specify {'; '.join(missing)}")
    relevant = sorted(k for k in charge if k in hard)
    over = [k for k in relevant if parse_quantity(used.get(k, 0)) + charge[k] > parse_quantity(hard[k])]
    if over:
        fmt = lambda values: ",".join(f"{k}={values[k]}" for k in over)
        requested = {k: text(k, charge[k]) for k in over}
        now = {k: text(k, parse_quantity(used.get(k, 0))) for k in over}
        raise forbidden(resource, name, f"exceeded quota: {qname}, requested: {fmt(requested)}, used: {fmt(now)}, "
                                        f"limited: {fmt(hard)}")
    for k in relevant:
        used[k] = text(k, parse_quantity(used.get(k, 0)) + charge[k])
    return used
