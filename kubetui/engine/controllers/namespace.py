"""Namespace controller: deletes a terminating namespace's contents, then the namespace."""

from __future__ import annotations

from ..api import kinds
from ..api.errors import ApiError
from ..clock import parse_rfc3339, rfc3339
from .base import Controller

FINALIZER_KUBERNETES = "kubernetes"
# Work on a deleted namespace starts this long after the event, so that every API server has seen
# the deletion (and refuses new content) before the controller lists what is left.
DELETION_GRACE_PERIOD = 5.0
# Assumed time for finalizers on remaining content to finish (finalizerEstimateSeconds).
FINALIZER_ESTIMATE_SECONDS = 15
# The condition types the deleter maintains, in upstream order, with their "all is well" forms.
_OK_CONDITIONS = (
    ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"),
    ("NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
    ("NamespaceDeletionContentFailure", "ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    ("NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"),
    ("NamespaceFinalizersRemaining", "ContentRemoved", "All content successfully removed"),
)


class ContentRemainingError(Exception):
    """Some content could not be removed and nothing explains why (no grace period, no finalizer)."""


class NamespaceController(Controller):
    """For a namespace with a deletionTimestamp: delete every namespaced object in it, report progress
    in status.conditions, wait for graceful pod termination and finalizers, then remove the
    `kubernetes` finalizer so the API server removes the namespace."""

    name = "namespace"
    component = "namespace-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.queue.max_delay = 60.0  # the namespace controller backs off to at most a minute
        self.namespaces = self.informers.informer("namespaces")
        # Like upstream's discovery-driven deleter, content is listed from the API when needed; keeping
        # an informer of every kind (events above all) would hold the whole cluster twice.
        self._content = [kind for kind in kinds.KINDS if kind.namespaced]
        self.namespaces.add_handler(self._on_namespace, lambda old, new: self._on_namespace(new))

    def _on_namespace(self, ns: dict) -> None:
        if ns["metadata"].get("deletionTimestamp"):
            self.queue.add_after(ns["metadata"]["name"], DELETION_GRACE_PERIOD)

    def sync(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        status = ns.get("status") or {}
        if status.get("phase") != "Terminating":
            ns = self.api.update_status("namespaces", {**ns, "status": {**status, "phase": "Terminating"}})
        if not (ns.get("spec") or {}).get("finalizers"):
            return  # already finalized: the API server removes it
        estimate, problems = self._delete_all_content(ns)
        if problems:
            raise ContentRemainingError("; ".join(problems))
        if estimate > 0:
            self.queue.add_after(key, estimate // 2 + 1)
            return
        self._finalize(key)

    def _delete_all_content(self, ns: dict) -> tuple[int, list[str]]:
        """Delete everything in the namespace; the longest wait still expected, and the errors."""
        name = ns["metadata"]["name"]
        since_deletion = self.clock.now - parse_rfc3339(ns["metadata"]["deletionTimestamp"])
        estimate = 0
        errors: list[str] = []
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for kind in self._content:
            items = self.api.list(kind.plural, name)[0]
            if not items:
                continue
            kind_estimate = _grace_estimate(items) if kind.plural == "pods" else 0
            if since_deletion >= kind_estimate:
                kind_estimate = 0
            for obj in items:
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(kind.plural, obj["metadata"]["name"], name, propagation_policy="Background")
                except ApiError as exc:
                    if exc.code != 404:
                        errors.append(str(exc))
            left = self.api.list(kind.plural, name)[0]
            if not left:
                continue
            remaining[f"{kind.plural}.{kind.group}"] = len(left)
            kind_finalizers: dict[str, int] = {}
            for obj in left:
                for finalizer in obj["metadata"].get("finalizers") or ():
                    kind_finalizers[finalizer] = kind_finalizers.get(finalizer, 0) + 1
            for finalizer, count in kind_finalizers.items():
                finalizers[finalizer] = finalizers.get(finalizer, 0) + count
            if kind_estimate:
                estimate = max(estimate, kind_estimate)
            elif kind_finalizers:
                estimate = max(estimate, FINALIZER_ESTIMATE_SECONDS)
            else:
                errors.append(f"unexpected items still remain in namespace: {name} for gvr: "
                              f"{kind.group}/{kind.version}, Resource={kind.plural}")
        self._update_conditions(name, remaining, finalizers, errors)
        return estimate, errors

    def _update_conditions(self, name: str, remaining: dict[str, int], finalizers: dict[str, int],
                           errors: list[str]) -> None:
        failing: dict[str, tuple[str, str]] = {}
        if errors:
            failing["NamespaceDeletionContentFailure"] = (
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(errors)} remaining: {', '.join(sorted(errors))}")
        if remaining:
            failing["NamespaceContentRemaining"] = (
                "SomeResourcesRemain",
                "Some resources are remaining: " + ", ".join(
                    sorted(f"{resource} has {n} resource instances" for resource, n in remaining.items())))
        if finalizers:
            failing["NamespaceFinalizersRemaining"] = (
                "SomeFinalizerRemain",
                "Some finalizers are remaining: " + ", ".join(
                    sorted(f"{finalizer} in {n} resource instances" for finalizer, n in finalizers.items())))
        ns = self.namespaces.get(name)
        if ns is None:
            return
        status = ns.get("status") or {}
        now = rfc3339(self.clock.now)
        conditions = [dict(c) for c in status.get("conditions") or ()]
        changed = False
        for type_, ok_reason, ok_message in _OK_CONDITIONS:
            reason, message = failing.get(type_, (ok_reason, ok_message))
            cond_status = "True" if type_ in failing else "False"
            old = next((c for c in conditions if c.get("type") == type_), None)
            if old is None:
                conditions.append({"type": type_, "status": cond_status, "lastTransitionTime": now,
                                   "reason": reason, "message": message})
                changed = True
            elif (old.get("status"), old.get("reason"), old.get("message")) != (cond_status, reason, message):
                if old.get("status") != cond_status:
                    old["lastTransitionTime"] = now
                old.update(status=cond_status, reason=reason, message=message)
                changed = True
        if changed:
            try:
                self.api.update_status("namespaces", {**ns, "status": {**status, "conditions": conditions}})
            except ApiError as exc:
                if exc.code not in (404, 409):
                    raise

    def _finalize(self, name: str) -> None:
        ns = self.namespaces.get(name)
        if ns is None:
            return
        spec = ns.get("spec") or {}
        kept = sorted({f for f in spec.get("finalizers") or () if f != FINALIZER_KUBERNETES})
        try:
            self.api.update("namespaces", {**ns, "spec": {**spec, "finalizers": kept}}, subresource="finalize",
                            field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise


def _grace_estimate(pods: list[dict]) -> int:
    """The longest termination grace period among the pods that are not finished."""
    estimate = 0
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        grace = pod["spec"].get("terminationGracePeriodSeconds")
        if grace is not None and grace > estimate:
            estimate = grace
    return estimate
