"""PVC protection controller: a claim being deleted stays until no scheduled pod uses it."""

from __future__ import annotations

from .. import volumes as V
from ..api.errors import ApiError
from .base import Controller


class PVCProtectionController(Controller):
    """pkg/controller/volume/pvcprotection: every claim carries the kubernetes.io/pvc-protection
    finalizer (admission adds it; this controller adds it to claims that lack it), and a claim being
    deleted loses it only once no pod assigned to a node refers to the claim, whatever the pod's
    phase: a completed pod still holds its claim until the pod itself is deleted."""

    name = "persistentvolumeclaim-protection"
    component = "pvc-protection-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.claims = self.informers.informer("persistentvolumeclaims")
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(V.POD_PVC_INDEX, V.index_pod_claims)
        self.claims.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self.pods.add_handler(self._pod_changed, self._pod_updated, self._pod_changed)

    def _pod_changed(self, pod: dict) -> None:
        """A pod started or stopped holding its claims: those being deleted may be released now."""
        if not pod["spec"].get("nodeName"):
            return
        for key in V.index_pod_claims(pod):
            claim = self.claims.get(key)
            if claim is not None and claim["metadata"].get("deletionTimestamp"):
                self.queue.add(key)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["spec"].get("nodeName") != new["spec"].get("nodeName"):
            self._pod_changed(new)

    def sync(self, key: str) -> None:
        claim = self.claims.get(key)
        if claim is None:
            return
        meta = claim["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        protected = V.PVC_PROTECTION_FINALIZER in finalizers
        if meta.get("deletionTimestamp"):
            if protected and not self._in_use(key):
                finalizers.remove(V.PVC_PROTECTION_FINALIZER)
                self._write(claim, finalizers)
        elif not protected:
            self._write(claim, [*finalizers, V.PVC_PROTECTION_FINALIZER])

    def _in_use(self, key: str) -> bool:
        return any(pod["spec"].get("nodeName") for pod in self.pods.by_index(V.POD_PVC_INDEX, key))

    def _write(self, claim: dict, finalizers: list[str]) -> None:
        try:
            self.api.update("persistentvolumeclaims", V.with_finalizers(claim, finalizers),
                            claim["metadata"]["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise
