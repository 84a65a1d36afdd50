"""Routing an owned object's informer events to its controller owner, or to the owners that may adopt it."""

from __future__ import annotations

from typing import Callable

from ..api.selectors import LabelSelector
from ..informer import Informer
from ..objects import controller_ref


class OwnerRouter:
    """The enqueue half of upstream's add/update/delete handlers for owned objects: pods of
    ReplicaSets, DaemonSets and Jobs, ReplicaSets of Deployments, ControllerRevisions of DaemonSets. An object with a controller
    ownerReference goes to that owner, if an owner of `kind` with that name and UID exists
    (resolveControllerRef); an orphan goes to every owner of its namespace whose non-empty selector
    matches its labels (getPodReplicaSets & co.: they may adopt it). `to_owner(obj, owner)` and
    `to_adopter(owner)` are the controller's own ways of enqueueing."""

    def __init__(self, owners: Informer, kind: str, selector_of: Callable[[dict], LabelSelector | None],
                 to_owner: Callable[[dict, dict], None], to_adopter: Callable[[dict], None]):
        self.owners = owners
        self.kind = kind
        self.selector_of = selector_of
        self._to_owner = to_owner
        self._to_adopter = to_adopter

    def resolve(self, namespace: str, ref: dict) -> dict | None:
        """resolveControllerRef: the owner `ref` names, if it is still the same object."""
        if ref.get("kind") != self.kind:
            return None
        owner = self.owners.get(f"{namespace}/{ref['name']}")
        if owner is None or owner["metadata"]["uid"] != ref["uid"]:
            return None
        return owner

    def owner_of(self, obj: dict, ref: dict) -> dict | None:
        """Enqueue (and return) the owner `ref` of `obj` resolves to."""
        owner = self.resolve(obj["metadata"]["namespace"], ref)
        if owner is not None:
            self._to_owner(obj, owner)
        return owner

    def adopters_of(self, obj: dict) -> None:
        """An orphan appeared or changed: enqueue every owner whose selector matches it."""
        labels = obj["metadata"].get("labels")
        for key in sorted(self.owners.index_keys("namespace", obj["metadata"]["namespace"])):
            owner = self.owners.get(key)
            selector = self.selector_of(owner)
            if selector is not None and not selector.empty and selector.matches(labels):
                self._to_adopter(owner)

    def added(self, obj: dict, orphaned: Callable[[dict], None] | None = None) -> None:
        """A new object wakes its owner, or (after `orphaned(obj)`, if given) its possible adopters."""
        ref = controller_ref(obj)
        if ref is not None:
            self.owner_of(obj, ref)
            return
        if orphaned is not None:
            orphaned(obj)
        self.adopters_of(obj)

    def updated(self, old: dict, new: dict, orphaned: Callable[[dict], None] | None = None) -> dict | None:
        """A changed controller ref wakes the old owner too; an orphan whose labels or ref changed
        wakes the owners that may adopt it (after `orphaned(new)`, if given). Returns the current owner."""
        cur_ref, old_ref = controller_ref(new), controller_ref(old)
        if cur_ref != old_ref and old_ref is not None:
            self.owner_of(old, old_ref)
        if cur_ref is not None:
            return self.owner_of(new, cur_ref)
        if orphaned is not None:
            orphaned(new)
        if cur_ref != old_ref or old["metadata"].get("labels") != new["metadata"].get("labels"):
            self.adopters_of(new)
        return None

    def deleted(self, obj: dict) -> dict | None:
        ref = controller_ref(obj)
        return self.owner_of(obj, ref) if ref is not None else None
