"""PV protection controller: a volume being deleted stays while it is bound to a claim."""

from __future__ import annotations

from .. import volumes as V
from ..api.errors import ApiError
from .base import Controller


class PVProtectionController(Controller):
    """pkg/controller/volume/pvprotection: every volume carries the kubernetes.io/pv-protection
    finalizer (admission adds it; this controller adds it where missing), removed from a volume
    being deleted once its phase is no longer Bound."""

    name = "persistentvolume-protection"
    component = "pv-protection-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.volumes = self.informers.informer("persistentvolumes")
        self.volumes.add_handler(self.enqueue, lambda old, new: self.enqueue(new))

    def sync(self, key: str) -> None:
        pv = self.volumes.get(key)
        if pv is None:
            return
        meta = pv["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        protected = V.PV_PROTECTION_FINALIZER in finalizers
        if meta.get("deletionTimestamp"):
            if protected and V.phase(pv) != "Bound":
                finalizers.remove(V.PV_PROTECTION_FINALIZER)
                self._write(pv, finalizers)
        elif not protected:
            self._write(pv, [*finalizers, V.PV_PROTECTION_FINALIZER])

    def _write(self, pv: dict, finalizers: list[str]) -> None:
        try:
            self.api.update("persistentvolumes", V.with_finalizers(pv, finalizers), field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise
