"""ResourceQuota controller: keeps each quota's status (hard and used) in step with the namespace's objects."""

from __future__ import annotations

from ..api import quota
from .base import Controller

# Deleting or finishing one of these frees quota ("replenishment" upstream).
_REPLENISHED = ("pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers")


class ResourceQuotaController(Controller):
    """Mirrors pkg/controller/resourcequota: a quota is recounted when it changes and when an object it
    counts goes away (admission charges new objects as they are created), and every full resync."""

    name = "resourcequota"
    component = "resourcequota-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.quotas = self.informers.informer("resourcequotas")
        self.quotas.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        for plural in _REPLENISHED:
            informer = self.informers.informer(plural)
            informer.add_handler(on_update=self._maybe_finished, on_delete=self._replenish)
        self.clock.call_later(self.profile.resource_quota_sync_period, self._resync, daemon=True)

    def _replenish(self, obj: dict) -> None:
        ns = obj["metadata"].get("namespace")
        for key in sorted(self.quotas.index_keys("namespace", ns)) if ns else ():
            self.queue.add(key)

    def _maybe_finished(self, old: dict, new: dict) -> None:
        phase = lambda o: (o.get("status") or {}).get("phase")
        if new.get("kind") == "Pod" and phase(new) in ("Succeeded", "Failed") and phase(old) != phase(new):
            self._replenish(new)

    def _resync(self) -> None:
        self.clock.call_later(self.profile.resource_quota_sync_period, self._resync, daemon=True)
        for key in self.quotas.keys():
            self.queue.add(key)

    def sync(self, key: str) -> None:
        q = self.quotas.get(key)
        if q is None:
            return
        hard = (q.get("spec") or {}).get("hard") or {}
        status = {"hard": dict(hard), "used": self.api.quota_usage(q)}
        if status != q.get("status"):
            self.api.update_status("resourcequotas", {**q, "status": status})
