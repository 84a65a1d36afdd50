"""ControllerRefManager: claim what the selector matches, adopt orphans, release what stopped matching."""

from __future__ import annotations

from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..objects import controller_ref, owner_reference, reads

# Informer index: namespace -> objects without a controller ownerReference. Controllers look for
# orphans to adopt here instead of scanning every object of the namespace on every sync.
ORPHAN_INDEX = "orphan"


@reads("metadata.namespace", "metadata.ownerReferences")
def index_orphans(obj: dict) -> tuple[str, ...]:
    if controller_ref(obj) is not None:
        return ()
    ns = obj["metadata"].get("namespace")
    return (ns,) if ns else ()


@reads("metadata.namespace", "metadata.ownerReferences", "metadata.deletionTimestamp", "status.phase")
def index_orphan_pods(pod: dict) -> tuple[str, ...]:
    """Active pods only: controllers never claim terminating or finished pods. (Runs on every pod
    event, hence inlined.)"""
    meta = pod["metadata"]
    if meta.get("deletionTimestamp") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return ()
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return ()
    ns = meta.get("namespace")
    return (ns,) if ns else ()


def adopt(api, resource: str, obj: dict, owner: dict, finalizers: tuple[str, ...] = ()) -> dict | None:
    """Set `owner` as the controller of `obj` (a strategic merge patch with the object's UID as
    precondition, as upstream), adding the owner's `finalizers`. None when the object is gone."""
    body = {"metadata": {"ownerReferences": [owner_reference(owner)], "uid": obj["metadata"]["uid"]}}
    if finalizers:
        body["metadata"]["finalizers"] = list(finalizers)
    return _patch(api, resource, obj, body)


def release(api, resource: str, obj: dict, owner: dict) -> dict | None:
    """Remove `owner`'s ownerReference from `obj`. None when the object is gone."""
    body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": owner["metadata"]["uid"]}],
                         "uid": obj["metadata"]["uid"]}}
    return _patch(api, resource, obj, body)


def _patch(api, resource: str, obj: dict, body: dict) -> dict | None:
    meta = obj["metadata"]
    try:
        return api.patch(resource, meta["name"], body, "strategic", meta.get("namespace"), field_validation="Ignore")
    except ApiError as exc:
        if exc.code == 404:
            return None
        raise


def claim(api, resource: str, owner: dict, selector: LabelSelector, obj: dict,
          finalizers: tuple[str, ...] = ()) -> bool:
    """ClaimObject: True when `owner` controls `obj` afterwards.

    Owned and matching: kept. Owned but no longer matching: released (unless the owner is being
    deleted). An orphan that matches is adopted (with the owner's `finalizers`, as the Job
    controller's tracking finalizer), unless either side is being deleted.
    """
    meta = obj["metadata"]
    ref = controller_ref(obj)
    owner_meta = owner["metadata"]
    matches = selector.matches(meta.get("labels"))
    if ref is not None:
        if ref["uid"] != owner_meta["uid"]:
            return False
        if matches:
            return True
        if not owner_meta.get("deletionTimestamp"):
            release(api, resource, obj, owner)
        return False
    if owner_meta.get("deletionTimestamp") or not matches or meta.get("deletionTimestamp"):
        return False
    if meta.get("namespace") != owner_meta.get("namespace"):
        return False
    return adopt(api, resource, obj, owner, finalizers) is not None
