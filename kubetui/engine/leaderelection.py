"""Leader election on coordination.k8s.io Leases, as client-go's leaderelection runs it for kube-scheduler,
kube-controller-manager and cloud-controller-manager."""

from __future__ import annotations

import random
import uuid
from typing import Callable

from .api.errors import ApiError
from .clock import rfc3339_micro
from .context import Context
from .events import EventRecorder

# client-go LeaderElectionConfiguration defaults (the components' --leader-elect-* flags)
LEASE_DURATION = 15
RENEW_DEADLINE = 10
RETRY_PERIOD = 2
LEASE_NAMESPACE = "kube-system"


class Gate:
    """Whether some instance of a leader-elected component is leading, and so doing its work.

    Work that comes due while no instance leads waits and runs when one takes over, as the new
    leader's fresh informers and queues would redo it. A gate nobody elects (a bare Context in a
    unit test) is always open.
    """

    def __init__(self, name: str):
        self.name = name
        self.elected = False
        self.leader: str | None = None  # the leading instance's identity
        self._waiting: list[tuple[Callable, tuple]] = []
        self._on_start: list[Callable[[], None]] = []

    @property
    def open(self) -> bool:
        return not self.elected or self.leader is not None

    def defer(self, fn: Callable, *args) -> None:
        """Run `fn(*args)` when a leader takes over."""
        self._waiting.append((fn, args))

    def on_start(self, fn: Callable[[], None]) -> None:
        """`fn()` runs whenever an instance starts leading (a new process: reset in-memory state)."""
        self._on_start.append(fn)

    def lead(self, identity: str) -> None:
        self.leader = identity
        for fn in self._on_start:
            fn()
        waiting, self._waiting = self._waiting, []
        for fn, args in waiting:
            fn(*args)

    def release(self) -> None:
        self.leader = None


def gated(method: Callable) -> Callable:
    """Decorate a timer callback of a component with a `gate`: while no instance leads, it waits."""
    def run(self, *args):
        if self.gate.open:
            return method(self, *args)
        self.gate.defer(run, self, *args)
        return None
    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


class LeaderElector:
    """One candidate for `kube-system/<name>`: the component's process on one control-plane machine.

    It tries to acquire the Lease every retry period: free, or not renewed for a lease duration as
    this candidate observed it (its own clock, as client-go, not the holder's renewTime). The leader
    renews every retry period; when renewals keep failing past the renew deadline it stops leading,
    and the process restarts with a new identity, as kube-controller-manager exits on "leaderelection
    lost" and its static pod is restarted.
    """

    def __init__(self, ctx: Context, name: str, host: str, timers, gate: Gate):
        self.ctx = ctx
        self.name = name
        self.host = host
        self.timers = timers
        self.gate = gate
        self.recorder = EventRecorder(ctx.api, name, host)
        self._ids = random.Random(ctx.rng.getrandbits(64))  # identities; keeps the cluster's stream unchanged
        self.identity = ""
        self.running = False
        self.leading = False
        self._observed: tuple | None = None
        self._observed_at = 0.0
        self._renewed_at = 0.0
        self._process = 0  # which run of the process a timer belongs to

    def start(self) -> None:
        """The process starts (machine boot or restart): a new identity, a candidate."""
        self.identity = f"{self.host}_{uuid.UUID(int=self._ids.getrandbits(128), version=4)}"
        self.running = True
        self.leading = False
        self._observed = None
        self._process += 1
        self._try(self._process)

    def stop(self) -> None:
        """The process dies with its machine: it leads no more, and says nothing."""
        self.running = False
        if self.leading:
            self.leading = False
            self.gate.release()

    def _try(self, process: int) -> None:
        if not self.running or process != self._process:
            return
        self.timers.later(RETRY_PERIOD, self._try, process, daemon=True)
        api = self.ctx.api
        lease = api.try_get("leases", self.name, LEASE_NAMESPACE)
        now = self.ctx.clock.now
        spec = (lease or {}).get("spec") or {}
        record = (spec.get("holderIdentity"), spec.get("renewTime"), spec.get("leaseTransitions"))
        if record != self._observed:
            self._observed, self._observed_at = record, now
        if not self.leading:
            holder = spec.get("holderIdentity")
            if (lease is not None and holder and holder != self.identity
                    and self._observed_at + spec.get("leaseDurationSeconds", LEASE_DURATION) > now):
                return  # someone else holds it, and renewed it recently as far as we have seen
        try:
            self._write(lease, now)
        except ApiError as exc:
            self.ctx.record_error(self.name, f"{LEASE_NAMESPACE}/{self.name}", exc)
            if self.leading and now - self._renewed_at >= RENEW_DEADLINE:
                self._lost()
            return
        self._renewed_at = now
        if not self.leading:
            self.leading = True
            self.gate.lead(self.identity)
            self._event("became leader")

    def _write(self, lease: dict | None, now: float) -> None:
        stamp = rfc3339_micro(now)
        api = self.ctx.api
        if lease is None:
            api.create("leases", {
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": LEASE_NAMESPACE},
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": LEASE_DURATION,
                         "acquireTime": stamp, "renewTime": stamp, "leaseTransitions": 0}},
                LEASE_NAMESPACE, field_validation="Ignore")
            return
        spec = lease["spec"]
        if spec.get("holderIdentity") != self.identity:
            if self.leading:  # someone took it over while we could not renew
                raise ApiError(409, "Conflict", f"{self.identity} lost the lease to {spec.get('holderIdentity')}")
            spec = {**spec, "holderIdentity": self.identity, "leaseDurationSeconds": LEASE_DURATION,
                    "acquireTime": stamp, "leaseTransitions": spec.get("leaseTransitions", 0) + 1}
        api.update("leases", {**lease, "spec": {**spec, "renewTime": stamp}}, LEASE_NAMESPACE,
                   field_validation="Ignore")

    def _lost(self) -> None:
        """leaderelection lost: stop leading; the process exits and its static pod restarts it."""
        self.leading = False
        self.gate.release()
        self._event("stopped leading")
        self.running = False
        self.timers.later(RETRY_PERIOD, self.start, daemon=True)

    def _event(self, what: str) -> None:
        lease = self.ctx.api.try_get("leases", self.name, LEASE_NAMESPACE)
        if lease is not None:
            self.recorder.normal(lease, "LeaderElection", f"{self.identity} {what}")
