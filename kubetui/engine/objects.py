"""Helpers for Kubernetes objects as plain dicts: copying, keys, owner references, conditions."""

from __future__ import annotations


def deep_copy(value):
    """A fast copy of JSON-like data (dicts, lists, scalars): much cheaper than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: deep_copy(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def reads(*paths: str):
    """Declare the fields (`section.field`) an informer index function reads: an update that leaves each of
    them the very same object (writes copy objects shallowly, so most do) cannot move the object in that
    index, and the informer skips it."""
    def declare(fn):
        fn.reads = tuple(tuple(path.split(".", 1)) for path in paths)
        return fn
    return declare


def key_of(obj: dict) -> str:
    """client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects."""
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


def split_key(key: str) -> tuple[str | None, str]:
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else (None, ns)


def controller_ref(obj: dict) -> dict | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def owner_reference(owner: dict, controller: bool = True, block_owner_deletion: bool = True) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": block_owner_deletion,
    }


def get_condition(obj: dict, type_: str) -> dict | None:
    for cond in (obj.get("status") or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def condition_true(obj: dict, type_: str) -> bool:
    cond = get_condition(obj, type_)
    return bool(cond) and cond.get("status") == "True"


def set_condition(conditions: list[dict] | None, new: dict, now: str) -> list[dict]:
    """A new conditions list with `new` replacing the condition of its type (old reason and message
    go); lastTransitionTime only moves when the status changes."""
    out = []
    found = False
    for cond in conditions or ():
        if cond.get("type") == new["type"]:
            found = True
            same = cond.get("status") == new.get("status")
            out.append({**new, "lastTransitionTime": cond.get("lastTransitionTime", now) if same else now})
        else:
            out.append(cond)
    if not found:
        out.append({**new, "lastTransitionTime": new.get("lastTransitionTime", now)})
    return out


def is_pod_active(pod: dict) -> bool:
    """Not terminated and not being deleted, as the ReplicaSet controller counts pods."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def is_pod_ready(pod: dict) -> bool:
    return condition_true(pod, "Ready")
