"""ControllerRevision history shared by the DaemonSet and StatefulSet controllers (pkg/controller/history)."""

from __future__ import annotations

from typing import Callable, Iterable

from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..objects import owner_reference
from . import podcontrol, refmanager

CONTROLLER_REVISION_HASH = "controller-revision-hash"  # apps/v1 ControllerRevisionHashLabelKey
DEFAULT_REVISION_HISTORY_LIMIT = 10


def revision_data(owner: dict) -> dict:
    """getPatch: what a ControllerRevision records, a patch that puts the pod template back."""
    return {"spec": {"template": {**owner["spec"]["template"], "$patch": "replace"}}}


def revision_hash(rev: dict) -> str:
    return (rev["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


def claim_revisions(api, revisions, owner: dict, selector: LabelSelector) -> list[dict]:
    """ClaimControllerRevisions: the owner's revisions plus adopted orphans that match its selector."""
    candidates = sorted(revisions.index_keys("controller", owner["metadata"]["uid"]))
    candidates += sorted(revisions.index_keys(refmanager.ORPHAN_INDEX, owner["metadata"]["namespace"]))
    claimed = []
    for rev_key in candidates:
        rev = revisions.get(rev_key)
        if rev is not None and refmanager.claim(api, "controllerrevisions", owner, selector, rev):
            claimed.append(rev_key)
    return [r for r in map(revisions.get, claimed) if r is not None]  # as adopted


def construct_history(api, revisions, owner: dict, owner_resource: str, selector: LabelSelector,
                      pods: Callable[[], Iterable[dict]]) -> tuple[dict, list[dict]]:
    """The revision matching the current template (created when missing, its revision number raised
    above every other) and the older ones. `pods` lists the owner's pods, relabelled on a dedup."""
    namespace = owner["metadata"]["namespace"]
    data = revision_data(owner)
    current: list[dict] = []
    old: list[dict] = []
    for rev in claim_revisions(api, revisions, owner, selector):
        labels = rev["metadata"].get("labels") or {}
        if CONTROLLER_REVISION_HASH not in labels:
            # name, not a fresh hash: a revision's name never collides with another's
            labels = {**labels, CONTROLLER_REVISION_HASH: rev["metadata"]["name"]}
            rev = api.update("controllerrevisions", {**rev, "metadata": {**rev["metadata"], "labels": labels}},
                             namespace, field_validation="Ignore")
        (current if rev.get("data") == data else old).append(rev)
    next_revision = max((r.get("revision", 0) for r in old), default=0) + 1
    if not current:
        return snapshot(api, owner, owner_resource, data, next_revision), old
    cur = dedup_current(api, owner, current, pods)
    if cur.get("revision", 0) < next_revision:
        cur = api.update("controllerrevisions", {**cur, "revision": next_revision}, namespace,
                         field_validation="Ignore")
    return cur, old


def dedup_current(api, owner: dict, current: list[dict], pods: Callable[[], Iterable[dict]]) -> dict:
    """dedupCurHistories: keep the highest revision among identical ones, move pods onto its hash."""
    keep = current[0]
    for rev in current:
        if rev.get("revision", 0) >= keep.get("revision", 0):
            keep = rev
    if len(current) == 1:
        return keep
    namespace = owner["metadata"]["namespace"]
    keep_hash = revision_hash(keep)
    for pod in pods():
        if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) != keep_hash:
            api.patch("pods", pod["metadata"]["name"], {"metadata": {"labels": {CONTROLLER_REVISION_HASH: keep_hash}}},
                      "merge", namespace, field_validation="Ignore")
    for rev in current:
        if rev is not keep:
            api.delete("controllerrevisions", rev["metadata"]["name"], namespace)
    return keep


def snapshot(api, owner: dict, owner_resource: str, data: dict, revision: int) -> dict:
    """A ControllerRevision `<owner>-<hash>` of the template. A name taken by a different template
    is a hash collision: bump the owner's status.collisionCount and retry."""
    meta, spec = owner["metadata"], owner["spec"]
    collisions = (owner.get("status") or {}).get("collisionCount")
    template_hash = podcontrol.compute_hash(spec["template"], collisions)
    name = f"{meta['name']}-{template_hash}"
    labels = {**((spec["template"].get("metadata") or {}).get("labels") or {}), CONTROLLER_REVISION_HASH: template_hash}
    rev_meta = {"name": name, "namespace": meta["namespace"], "labels": labels,
                "ownerReferences": [owner_reference(owner)]}
    if meta.get("annotations"):
        rev_meta["annotations"] = meta["annotations"]
    history = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": rev_meta, "data": data,
               "revision": revision}
    try:
        return api.create("controllerrevisions", history, meta["namespace"], field_validation="Ignore")
    except ApiError as exc:
        if exc.reason != "AlreadyExists":
            raise
        existing = api.get("controllerrevisions", name, meta["namespace"])
        if existing.get("data") == data:
            return existing
        fresh = api.get(owner_resource, meta["name"], meta["namespace"])
        status = fresh.get("status") or {}
        if status.get("collisionCount") == collisions:
            api.update_status(owner_resource, {**fresh, "status": {**status, "collisionCount": (collisions or 0) + 1}})
        raise


def cleanup_history(api, owner: dict, old: list[dict], live_hashes: set) -> None:
    """Beyond revisionHistoryLimit, delete the oldest revisions no pod still uses."""
    limit = owner["spec"].get("revisionHistoryLimit")
    surplus = len(old) - (DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit)
    if surplus <= 0:
        return
    for rev in sorted(old, key=lambda r: r.get("revision", 0)):
        if surplus <= 0:
            break
        if revision_hash(rev) in live_hashes:
            continue
        try:
            api.delete("controllerrevisions", rev["metadata"]["name"], rev["metadata"]["namespace"])
        except ApiError as exc:
            if exc.code != 404:
                raise
        surplus -= 1
