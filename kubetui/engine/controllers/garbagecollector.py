"""Garbage collector: deletes dependents whose owners are gone; orphan and foreground deletion."""

from __future__ import annotations

from ..api import kinds
from ..api.errors import ApiError
from ..workqueue import WorkQueue
from .base import Controller

FOREGROUND = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
ORPHAN = "orphan"                  # metav1.FinalizerOrphanDependents
IGNORED_RESOURCES = frozenset({"events"})


class _Node:
    """One object in the dependency graph; `observed` is False for a "virtual" node, an owner known
    only from a dependent's ownerReference and not (yet) seen through an informer."""

    __slots__ = ("uid", "api_version", "kind", "namespace", "name", "owners", "dependents",
                 "being_deleted", "deleting_dependents", "observed")

    def __init__(self, uid: str, api_version: str, kind: str, namespace: str | None, name: str,
                 owners: list, observed: bool):
        self.uid = uid
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.owners = owners
        self.dependents: set[_Node] = set()
        self.being_deleted = False
        self.deleting_dependents = False
        self.observed = observed

    def __str__(self) -> str:
        return (f"[{self.api_version}/{self.kind}, namespace: {self.namespace or ''}, name: {self.name}, "
                f"uid: {self.uid}]")

    def blocking_dependents(self) -> list["_Node"]:
        """Dependents whose ownerReference to this node has blockOwnerDeletion=true."""
        uid = self.uid
        return [dep for dep in self.dependents
                if any(ref.get("uid") == uid and ref.get("blockOwnerDeletion") for ref in dep.owners)]


class _Unresolvable(Exception):
    """An ownerReference the collector cannot check: unknown kind, or a namespaced owner of a
    cluster-scoped object. Retrying cannot help, so the item is dropped (never collected)."""


def _kind_of(api_version: str, kind: str) -> kinds.Kind | None:
    found = kinds.BY_KIND.get(kind)
    if found is None:
        return None
    group = api_version.rpartition("/")[0] if "/" in api_version else ""
    return found if found.group == group else None


def _has_finalizer(meta: dict, finalizer: str) -> bool:
    return finalizer in (meta.get("finalizers") or ())


def _deletion_starts_with(old: dict | None, new: dict, finalizer: str) -> bool:
    meta = new["metadata"]
    if not meta.get("deletionTimestamp") or not _has_finalizer(meta, finalizer):
        return False
    if old is None:
        return True
    old_meta = old["metadata"]
    return not old_meta.get("deletionTimestamp") or not _has_finalizer(old_meta, finalizer)


def _references_diff(old: list, new: list) -> tuple[list, list, list]:
    old_by_uid = {ref["uid"]: ref for ref in old}
    added, changed = [], []
    for ref in new:
        prev = old_by_uid.pop(ref["uid"], None)
        if prev is None:
            added.append(ref)
        elif prev != ref:
            changed.append((prev, ref))
    return added, list(old_by_uid.values()), changed


class GarbageCollector(Controller):
    """The owner → dependents graph of every object, kept from informer events (GraphBuilder), and
    two queues: attemptToDelete (this controller's queue, keyed by uid) and attemptToOrphan."""

    name = "garbagecollector"
    component = "garbage-collector-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._nodes: dict[str, _Node] = {}
        self.orphan_queue = WorkQueue(ctx.clock, self._sync_orphan, "garbage_collector_attempt_to_orphan",
                                      on_error=self._record_error, gate=self.gate)
        for kind in kinds.KINDS:
            if kind.plural in IGNORED_RESOURCES:
                continue
            self.informers.informer(kind.plural).add_handler(
                lambda obj: self._observe(obj, None), lambda old, new: self._observe(new, old), self._on_delete)

    def dependents_of(self, uid: str) -> list[dict]:
        """Identities of the objects that name `uid` in their ownerReferences (for explain views)."""
        node = self._nodes.get(uid)
        if node is None:
            return []
        return sorted(({"apiVersion": d.api_version, "kind": d.kind, "namespace": d.namespace, "name": d.name,
                        "uid": d.uid} for d in node.dependents),
                      key=lambda d: (d["kind"], d["namespace"] or "", d["name"]))

    # -- graph builder: informer events --------------------------------------------------------

    def _observe(self, obj: dict, old: dict | None) -> None:
        meta = obj["metadata"]
        uid = meta["uid"]
        node = self._nodes.get(uid)
        if node is not None and node.observed and old is not None:
            old_meta = old["metadata"]
            if (old_meta.get("ownerReferences") == meta.get("ownerReferences")
                    and old_meta.get("deletionTimestamp") == meta.get("deletionTimestamp")
                    and old_meta.get("finalizers") == meta.get("finalizers")):
                return
        owners = meta.get("ownerReferences") or []
        if node is not None and not node.observed:
            self._adopt_identity(node, obj)
        if node is None:
            node = _Node(uid, obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"], owners, True)
            node.being_deleted = bool(meta.get("deletionTimestamp"))
            node.deleting_dependents = node.being_deleted and _has_finalizer(meta, FOREGROUND)
            self._nodes[uid] = node
            self._add_dependent_to_owners(node, owners)
        else:
            added, removed, changed = _references_diff(node.owners, owners)
            if added or removed or changed:
                self._enqueue_unblocked_owners(removed, changed)
                node.owners = owners
                self._add_dependent_to_owners(node, added)
                self._remove_dependent_from_owners(node, removed)
            if meta.get("deletionTimestamp"):
                node.being_deleted = True
        self._process_transitions(old, obj, node)

    def _adopt_identity(self, node: _Node, obj: dict) -> None:
        """A virtual node is seen for real: dependents that named it by other coordinates (or from
        another namespace) are re-checked."""
        meta = obj["metadata"]
        namespace = meta.get("namespace")
        for dep in list(node.dependents):
            if namespace and dep.namespace != namespace:
                self._report_invalid_namespace(dep, node.uid)
                self.queue.add(dep.uid)
            elif any(ref.get("uid") == node.uid and not _ref_matches(ref, obj["apiVersion"], obj["kind"], meta["name"])
                     for ref in dep.owners):
                self.queue.add(dep.uid)
        node.api_version, node.kind, node.namespace, node.name = obj["apiVersion"], obj["kind"], namespace, meta["name"]
        node.observed = True

    def _add_dependent_to_owners(self, node: _Node, owners: list) -> None:
        suspicious = False
        for ref in owners:
            owner = self._nodes.get(ref["uid"])
            if owner is None:
                kind = _kind_of(ref.get("apiVersion", ""), ref.get("kind", ""))
                namespace = node.namespace if kind is None or kind.namespaced else None
                owner = _Node(ref["uid"], ref.get("apiVersion", ""), ref.get("kind", ""), namespace,
                              ref.get("name", ""), [], False)
                self._nodes[owner.uid] = owner
                owner.dependents.add(node)
                self.queue.add(owner.uid)  # verify that the owner exists
                continue
            owner.dependents.add(node)
            if suspicious:
                continue
            if owner.namespace and owner.namespace != node.namespace:
                if owner.observed:
                    self._report_invalid_namespace(node, owner.uid)
                suspicious = True
            elif not _ref_matches(ref, owner.api_version, owner.kind, owner.name):
                suspicious = True
        if suspicious:
            self.queue.add(node.uid)

    def _remove_dependent_from_owners(self, node: _Node, owners: list) -> None:
        for ref in owners:
            owner = self._nodes.get(ref["uid"])
            if owner is not None:
                owner.dependents.discard(node)

    def _enqueue_unblocked_owners(self, removed: list, changed: list) -> None:
        """An owner waiting in foreground deletion may be unblocked when a blocking reference goes."""
        uids = [ref["uid"] for ref in removed if ref.get("blockOwnerDeletion")]
        uids += [new["uid"] for old, new in changed if old.get("blockOwnerDeletion") and not new.get("blockOwnerDeletion")]
        for uid in uids:
            if uid in self._nodes:
                self.queue.add(uid)

    def _process_transitions(self, old: dict | None, obj: dict, node: _Node) -> None:
        if _deletion_starts_with(old, obj, ORPHAN):
            self.orphan_queue.add(node.uid)
            return
        if _deletion_starts_with(old, obj, FOREGROUND):
            node.deleting_dependents = True
            for dep in node.dependents:
                self.queue.add(dep.uid)
            self.queue.add(node.uid)

    def _on_delete(self, obj: dict) -> None:
        node = self._nodes.get(obj["metadata"]["uid"])
        if node is not None:
            self._remove_node(node)

    def _remove_node(self, node: _Node) -> None:
        del self._nodes[node.uid]
        self._remove_dependent_from_owners(node, node.owners)
        for dep in node.dependents:
            self.queue.add(dep.uid)
        for ref in node.owners:
            owner = self._nodes.get(ref["uid"])
            if owner is not None and owner.deleting_dependents:
                self.queue.add(owner.uid)  # it may be waiting for this dependent to go

    def _report_invalid_namespace(self, node: _Node, owner_uid: str) -> None:
        for ref in node.owners:
            if ref.get("uid") == owner_uid:
                ns = node.namespace or ""
                invalid = (f"[{ref.get('apiVersion')}/{ref.get('kind')}, namespace: {ns}, name: {ref.get('name')}, "
                           f"uid: {owner_uid}]")
                involved = {"apiVersion": node.api_version, "kind": node.kind,
                            "metadata": {"name": node.name, "namespace": node.namespace, "uid": node.uid}}
                self.recorder.warning(involved, "OwnerRefInvalidNamespace",
                                      f'ownerRef {invalid} does not exist in namespace "{ns}"')
                return

    # -- attemptToDelete -----------------------------------------------------------------------

    def _live(self, node: _Node) -> dict | None:
        kind = _kind_of(node.api_version, node.kind)
        if kind is None:
            raise _Unresolvable(str(node))
        if kind.namespaced and not node.namespace:
            return None
        return self.api.try_get(kind.plural, node.name, node.namespace if kind.namespaced else None)

    def sync(self, key: str) -> None:
        node = self._nodes.get(key)
        if node is None:
            return
        try:
            self._attempt_to_delete(node)
        except _Unresolvable:
            return

    def _attempt_to_delete(self, node: _Node) -> None:
        if node.being_deleted and not node.deleting_dependents:
            return  # a one-way trip: its dependents are handled when it is finally gone
        latest = self._live(node)
        if latest is None or latest["metadata"]["uid"] != node.uid:
            self._virtual_delete(node)
            return
        if not node.observed:
            self._observe(latest, None)
        if node.deleting_dependents:
            self._process_deleting_dependents(node)
            return
        refs = latest["metadata"].get("ownerReferences") or []
        if not refs:
            return
        solid, dangling, waiting = [], [], []
        for ref in refs:
            owner = self._owner_of(ref, node)
            if owner is None:
                dangling.append(ref)
            elif owner["metadata"].get("deletionTimestamp") and _has_finalizer(owner["metadata"], FOREGROUND):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if dangling or waiting:
                gone = {ref["uid"] for ref in dangling + waiting}
                self._set_owner_references(node, latest, [r for r in refs if r["uid"] not in gone])
            return
        if waiting and node.dependents:
            if any(dep.deleting_dependents for dep in node.dependents):
                # Break a possible cycle: stop blocking the owners, then delete in foreground.
                self._set_owner_references(node, latest, [{**r, "blockOwnerDeletion": False}
                                                          if r.get("blockOwnerDeletion") else r for r in refs])
            self._delete(node, "Foreground")
            return
        meta = latest["metadata"]
        if _has_finalizer(meta, ORPHAN):
            policy = "Orphan"
        elif _has_finalizer(meta, FOREGROUND):
            policy = "Foreground"
        else:
            policy = "Background"
        self._delete(node, policy)

    def _owner_of(self, ref: dict, node: _Node) -> dict | None:
        """The live owner a reference names (None when it is absent or has another uid)."""
        kind = _kind_of(ref.get("apiVersion", ""), ref.get("kind", ""))
        if kind is None:
            raise _Unresolvable(str(ref))
        if kind.namespaced and not node.namespace:
            raise _Unresolvable(str(ref))
        owner = self.api.try_get(kind.plural, ref.get("name", ""), node.namespace if kind.namespaced else None)
        if owner is None or owner["metadata"]["uid"] != ref.get("uid"):
            return None
        return owner

    def _virtual_delete(self, node: _Node) -> None:
        """The object behind a node is absent: drop the node; its dependents are re-checked."""
        if self._nodes.get(node.uid) is node:
            self._remove_node(node)

    def _process_deleting_dependents(self, node: _Node) -> None:
        blocking = node.blocking_dependents()
        if not blocking:
            self._remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.queue.add(dep.uid)

    def _delete(self, node: _Node, policy: str) -> None:
        kind = _kind_of(node.api_version, node.kind)
        try:
            self.api.delete(kind.plural, node.name, node.namespace if kind.namespaced else None,
                            propagation_policy=policy, preconditions={"uid": node.uid})
        except ApiError as exc:
            if exc.code != 404:
                raise
            self._virtual_delete(node)

    def _set_owner_references(self, node: _Node, latest: dict, refs: list) -> None:
        kind = _kind_of(node.api_version, node.kind)
        meta = {k: v for k, v in latest["metadata"].items() if k != "ownerReferences"}
        if refs:
            meta["ownerReferences"] = refs
        try:
            self.api.update(kind.plural, {**latest, "metadata": meta}, meta.get("namespace"), field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _remove_finalizer(self, node: _Node, finalizer: str) -> None:
        latest = self._live(node)
        if latest is None or latest["metadata"]["uid"] != node.uid:
            return
        meta = latest["metadata"]
        if not _has_finalizer(meta, finalizer):
            return
        meta = {**meta, "finalizers": [f for f in meta["finalizers"] if f != finalizer]}
        if not meta["finalizers"]:
            del meta["finalizers"]
        kind = _kind_of(node.api_version, node.kind)
        try:
            self.api.update(kind.plural, {**latest, "metadata": meta}, meta.get("namespace"), field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise

    # -- attemptToOrphan -----------------------------------------------------------------------

    def _sync_orphan(self, key: str) -> None:
        node = self._nodes.get(key)
        if node is None:
            return
        try:
            for dep in sorted(node.dependents, key=lambda d: (d.kind, d.namespace or "", d.name)):
                latest = self._live(dep)
                if latest is None or latest["metadata"]["uid"] != dep.uid:
                    continue
                refs = latest["metadata"].get("ownerReferences") or []
                kept = [ref for ref in refs if ref.get("uid") != node.uid]
                if len(kept) != len(refs):
                    self._set_owner_references(dep, latest, kept)
            self._remove_finalizer(node, ORPHAN)
        except _Unresolvable:
            return


def _ref_matches(ref: dict, api_version: str, kind: str, name: str) -> bool:
    return ref.get("apiVersion") == api_version and ref.get("kind") == kind and ref.get("name") == name
