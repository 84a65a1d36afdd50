"""kubectl's table printers: the columns and STATUS strings `kubectl get` shows, for the CLI and the TUI."""

from __future__ import annotations

from typing import Callable, Iterable

from .engine.api.kinds import Kind
from .engine.clock import parse_rfc3339
from .engine.durations import format_duration


def age(obj: dict, now: float) -> str:
    created = obj["metadata"].get("creationTimestamp")
    if not created:
        return "<unknown>"
    return format_duration(max(0.0, now - parse_rfc3339(created)))


def pod_status(pod: dict) -> str:
    """The STATUS column of `kubectl get pods` (kubectl's printPod rules)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or ()
    n_init = len((pod.get("spec") or {}).get("initContainers") or ())
    initializing = False
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or ()):
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())
            reason = "Running" if ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason


def pod_ready(pod: dict) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    total = len((pod.get("spec") or {}).get("containers") or ())
    ready = sum(1 for cs in statuses if cs.get("ready"))
    return f"{ready}/{total}"


def pod_restarts(pod: dict, now: float) -> str:
    restarts = 0
    last = None
    for cs in (pod.get("status") or {}).get("containerStatuses") or ():
        restarts += cs.get("restartCount", 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished:
            t = parse_rfc3339(finished)
            last = t if last is None else max(last, t)
    if restarts and last is not None:
        return f"{restarts} ({format_duration(max(0.0, now - last))} ago)"
    return str(restarts)


def node_status(node: dict) -> str:
    ready = "Unknown"
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            ready = "Ready" if cond.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        ready += ",SchedulingDisabled"
    return ready


def node_roles(node: dict) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(k[len(prefix):] for k in node["metadata"].get("labels") or {} if k.startswith(prefix))
    return ",".join(roles) or "<none>"


def service_ports(svc: dict) -> str:
    out = []
    for p in (svc.get("spec") or {}).get("ports") or ():
        text = f"{p.get('port')}"
        if p.get("nodePort"):
            text += f":{p['nodePort']}"
        out.append(f"{text}/{p.get('protocol', 'TCP')}")
    return ",".join(out) or "<none>"


def service_external_ip(svc: dict) -> str:
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    if stype == "ExternalName":
        return spec.get("externalName", "<none>")
    ips = [i.get("ip") or i.get("hostname") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()]
    ips += spec.get("externalIPs") or []
    if ips:
        return ",".join(ips)
    return "<pending>" if stype == "LoadBalancer" else "<none>"


def hpa_targets(hpa: dict) -> str:
    """kubectl's TARGETS column (formatHPAMetrics): `cpu: 45%/50%, memory: 30%/80% + 1 more...`, each
    current value `<unknown>` until the controller has one."""
    specs = hpa["spec"].get("metrics") or []
    if not specs:
        return "<none>"
    statuses = (hpa.get("status") or {}).get("currentMetrics") or []
    parts = []
    for i, spec in enumerate(specs):
        kind = spec.get("type")
        field = {"External": "external", "Pods": "pods", "Object": "object", "Resource": "resource",
                 "ContainerResource": "containerResource"}.get(kind or "")
        if field is None:
            parts.append("<unknown type>")
            continue
        source = spec.get(field) or {}
        target = source.get("target") or {}
        status = (statuses[i].get(field) if i < len(statuses) else None)
        have = (status or {}).get("current")
        if kind in ("Resource", "ContainerResource"):
            prefix = f"{source.get('name')}: "
            if target.get("averageValue") is not None:
                now = have.get("averageValue", "<nil>") if have is not None else "<unknown>"
                parts.append(f"{prefix}{now}/{target['averageValue']}")
            else:
                now = f"{have['averageUtilization']}%" if have and have.get("averageUtilization") is not None \
                    else "<unknown>"
                want = f"{target['averageUtilization']}%" if target.get("averageUtilization") is not None else "<auto>"
                parts.append(f"{prefix}{now}/{want}")
        elif kind == "Pods":
            now = have.get("averageValue", "<nil>") if have is not None else "<unknown>"
            parts.append(f"{now}/{target.get('averageValue', '<nil>')}")
        elif target.get("averageValue") is not None:
            now = have["averageValue"] if have and have.get("averageValue") is not None else "<unknown>"
            parts.append(f"{now}/{target['averageValue']} (avg)")
        else:
            now = have.get("value", "<nil>") if have is not None else "<unknown>"
            parts.append(f"{now}/{target.get('value', '<nil>')}")
    if len(parts) > 2:
        return f"{', '.join(parts[:2])} + {len(parts) - 2} more..."
    return ", ".join(parts)


Row = Callable[[dict, float], list[str]]

COLUMNS: dict[str, tuple[list[str], Row]] = {
    "pods": (["READY", "STATUS", "RESTARTS", "AGE"],
             lambda o, now: [pod_ready(o), pod_status(o), pod_restarts(o, now), age(o, now)]),
    "services": (["TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
                 lambda o, now: [o["spec"].get("type", "ClusterIP"), o["spec"].get("clusterIP") or "<none>",
                                 service_external_ip(o), service_ports(o), age(o, now)]),
    "deployments": (["READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
                    lambda o, now: [f"{_st(o, 'readyReplicas')}/{o['spec'].get('replicas', 1)}",
                                    str(_st(o, "updatedReplicas")), str(_st(o, "availableReplicas")), age(o, now)]),
    "replicasets": (["DESIRED", "CURRENT", "READY", "AGE"],
                    lambda o, now: [str(o["spec"].get("replicas", 1)), str(_st(o, "replicas")),
                                    str(_st(o, "readyReplicas")), age(o, now)]),
    "replicationcontrollers": (["DESIRED", "CURRENT", "READY", "AGE"],
                               lambda o, now: [str(o["spec"].get("replicas", 1)), str(_st(o, "replicas")),
                                               str(_st(o, "readyReplicas")), age(o, now)]),
    "statefulsets": (["READY", "AGE"],
                     lambda o, now: [f"{_st(o, 'readyReplicas')}/{o['spec'].get('replicas', 1)}", age(o, now)]),
    "daemonsets": (["DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
                   lambda o, now: [str(_st(o, k)) for k in ("desiredNumberScheduled", "currentNumberScheduled",
                                                             "numberReady", "updatedNumberScheduled",
                                                             "numberAvailable")] + [age(o, now)]),
    "horizontalpodautoscalers": (["REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
                                 lambda o, now: [f"{o['spec']['scaleTargetRef'].get('kind')}/{o['spec']['scaleTargetRef'].get('name')}",
                                                 hpa_targets(o), str(o["spec"].get("minReplicas", 1)),
                                                 str(o["spec"].get("maxReplicas", "")), str(_st(o, "currentReplicas")),
                                                 age(o, now)]),
    "jobs": (["STATUS", "COMPLETIONS", "DURATION", "AGE"],
             lambda o, now: [_job_status(o), _job_completions(o), _job_duration(o, now), age(o, now)]),
    "nodes": (["STATUS", "ROLES", "AGE", "VERSION"],
              lambda o, now: [node_status(o), node_roles(o), age(o, now),
                              ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")]),
    "namespaces": (["STATUS", "AGE"], lambda o, now: [(o.get("status") or {}).get("phase", ""), age(o, now)]),
    "endpoints": (["ENDPOINTS", "AGE"], lambda o, now: [_endpoints(o), age(o, now)]),
    "resourcequotas": (["AGE", "REQUEST", "LIMIT"], lambda o, now: [age(o, now), *_quota_columns(o)]),
    "persistentvolumeclaims": (["STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                                "VOLUMEATTRIBUTESCLASS", "AGE"],
                               lambda o, now: [(o.get("status") or {}).get("phase", ""), o["spec"].get("volumeName", ""),
                                               ((o.get("status") or {}).get("capacity") or {}).get("storage", ""),
                                               _access_modes((o.get("status") or {}).get("accessModes")),
                                               _class_of(o), "<unset>", age(o, now)]),
    "persistentvolumes": (["CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS",
                           "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"],
                          lambda o, now: [(o["spec"].get("capacity") or {}).get("storage", ""),
                                          _access_modes(o["spec"].get("accessModes")),
                                          o["spec"].get("persistentVolumeReclaimPolicy", ""),
                                          (o.get("status") or {}).get("phase", ""), _claim(o), _class_of(o), "<unset>",
                                          (o.get("status") or {}).get("reason", ""), age(o, now)]),
    "storageclasses": (["PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
                       lambda o, now: [o.get("provisioner", ""), o.get("reclaimPolicy", "Delete"),
                                       o.get("volumeBindingMode", "Immediate"),
                                       str(bool(o.get("allowVolumeExpansion"))).lower(), age(o, now)]),
}

_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}


def _access_modes(modes: list[str] | None) -> str:
    return ",".join(_MODES.get(m, m) for m in modes or ())


def _class_of(obj: dict) -> str:
    return obj["spec"].get("storageClassName") or ""


def _claim(pv: dict) -> str:
    ref = pv["spec"].get("claimRef") or {}
    return f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("name") else ""


def _name_suffix(plural: str, obj: dict) -> str:
    """kubectl marks the default StorageClass / IngressClass after its name."""
    annotations = obj["metadata"].get("annotations") or {}
    default = {"storageclasses": "storageclass.kubernetes.io/is-default-class",
               "ingressclasses": "ingressclass.kubernetes.io/is-default-class"}.get(plural)
    return " (default)" if default and annotations.get(default) == "true" else ""


def _quota_columns(quota: dict) -> list[str]:
    """kubectl's REQUEST and LIMIT columns: `used/hard` for each resource, limits.* in the second."""
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}
    parts = {True: [], False: []}
    for name in sorted(hard):
        parts[name.startswith("limits.")].append(f"{name}: {used.get(name, '0')}/{hard[name]}")
    return [", ".join(parts[False]), ", ".join(parts[True])]


def _st(obj: dict, field: str) -> int:
    return (obj.get("status") or {}).get(field, 0) or 0


def _job_status(job: dict) -> str:
    true = {c.get("type") for c in (job.get("status") or {}).get("conditions") or () if c.get("status") == "True"}
    for type_ in ("Complete", "Failed"):
        if type_ in true:
            return type_
    if job["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for type_ in ("Suspended", "FailureTarget"):
        if type_ in true:
            return type_
    return "Running"


def _job_completions(job: dict) -> str:
    succeeded = _st(job, "succeeded")
    completions = job["spec"].get("completions")
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = job["spec"].get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(job: dict, now: float) -> str:
    status = job.get("status") or {}
    if not status.get("startTime"):
        return ""
    end = parse_rfc3339(status["completionTime"]) if status.get("completionTime") else now
    return format_duration(max(0.0, end - parse_rfc3339(status["startTime"])))


def _endpoints(ep: dict) -> str:
    addrs = []
    for subset in ep.get("subsets") or ():
        ports = [p.get("port") for p in subset.get("ports") or ()] or [None]
        for a in subset.get("addresses") or ():
            addrs.extend(f"{a['ip']}:{p}" if p else a["ip"] for p in ports)
    if not addrs:
        return "<none>"
    shown = ",".join(addrs[:3])
    return shown + (f" + {len(addrs) - 3} more..." if len(addrs) > 3 else "")


def table(kind: Kind, items: Iterable[dict], now: float, all_namespaces: bool = True,
          qualified_names: bool = False) -> list[list[str]]:
    """Rows (header first) as `kubectl get` prints them for one kind."""
    extra, row = COLUMNS.get(kind.plural, (["AGE"], lambda o, n: [age(o, n)]))
    header = (["NAMESPACE"] if all_namespaces and kind.namespaced else []) + ["NAME"] + extra
    rows = [header]
    prefix = f"{kind.singular}/" if not kind.group else f"{kind.singular}.{kind.group}/"
    for obj in items:
        meta = obj["metadata"]
        name = ((prefix + meta["name"]) if qualified_names else meta["name"]) + _name_suffix(kind.plural, obj)
        rows.append(([meta.get("namespace", "")] if all_namespaces and kind.namespaced else []) + [name] + row(obj, now))
    return rows


def format_rows(rows: list[list[str]]) -> str:
    """Left-aligned columns separated by three spaces, like kubectl's tabwriter."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        lines.append("   ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip())
    return "\n".join(lines)
