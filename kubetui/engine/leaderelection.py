"""Leader election on a coordination.k8s.io Lease, as kube-scheduler and kube-controller-manager do it."""

from __future__ import annotations

import uuid

from .api.errors import ApiError
from .clock import rfc3339_micro
from .context import Context

LEASE_DURATION = 15  # seconds: client-go LeaderElectionConfiguration defaults
RETRY_PERIOD = 2


class LeaderElector:
    """Holds `kube-system/<name>` for `identity`, renewing every retry period (2 s)."""

    def __init__(self, ctx: Context, name: str, host: str):
        self.ctx = ctx
        self.name = name
        self.identity = f"{host}_{uuid.UUID(int=ctx.rng.getrandbits(128), version=4)}"
        self.running = False

    def start(self) -> None:
        self.running = True
        self._renew()

    def stop(self) -> None:
        self.running = False

    def _renew(self) -> None:
        if not self.running:
            return
        now = rfc3339_micro(self.ctx.clock.now)
        api = self.ctx.api
        lease = api.try_get("leases", self.name, "kube-system")
        try:
            if lease is None:
                api.create("leases", {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": "kube-system"},
                    "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": LEASE_DURATION,
                             "acquireTime": now, "renewTime": now, "leaseTransitions": 0}}, "kube-system",
                    field_validation="Ignore")
            else:
                spec = lease["spec"]
                if spec.get("holderIdentity") != self.identity:
                    spec = {**spec, "holderIdentity": self.identity, "acquireTime": now,
                            "leaseTransitions": spec.get("leaseTransitions", 0) + 1}
                api.update("leases", {**lease, "spec": {**spec, "renewTime": now}}, "kube-system",
                           field_validation="Ignore")
        except ApiError as exc:
            self.ctx.record_error(self.name, "kube-system/" + self.name, exc)
        self.ctx.clock.call_later(RETRY_PERIOD, self._renew, daemon=True)
