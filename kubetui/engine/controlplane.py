"""The control plane's own processes: an API server and an etcd member on every control-plane machine, and a
candidate of each leader-elected component; etcd's quorum decides whether anything can be written."""

from __future__ import annotations

import ipaddress
from functools import partial

from .api import errors
from .api.errors import ApiError
from .context import Context
from .clock import parse_rfc3339
from .leaderelection import LEASE_DURATION, LEASE_NAMESPACE, LeaderElector
from .store import Store, StoreError

LEADER_ELECTED = ("kube-scheduler", "kube-controller-manager", "cloud-controller-manager")
CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "etcd", *LEADER_ELECTED)  # each control-plane machine's static pods
APISERVER_PORT = 6443
# kube-apiserver's lease endpoint reconciler: each API server keeps /registry/masterleases/<its IP> alive
# and publishes the addresses with a live lease as the `kubernetes` Service's Endpoints.
MASTER_LEASES = "/registry/masterleases/"
MASTER_LEASE_TTL = 15.0
ENDPOINT_INTERVAL = 10.0
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


class ControlPlaneHost:
    """The static pods of one control-plane machine: kube-apiserver, etcd, and a kube-scheduler,
    kube-controller-manager and cloud-controller-manager that lead only if elected."""

    def __init__(self, control_plane: "ControlPlane", name: str, ip: str, timers):
        self.control_plane = control_plane
        self.name = name
        self.ip = ip
        self.timers = timers
        self.running = False
        self._master_lease = 0
        ctx = control_plane.ctx
        self.electors = [LeaderElector(ctx, component, name, timers, ctx.gate(component))
                         for component in LEADER_ELECTED]

    def start(self) -> None:
        self.running = True
        self.control_plane.changed()
        self._reconcile_endpoints()
        for elector in self.electors:
            elector.start()

    def stop(self) -> None:
        self.running = False
        for elector in self.electors:
            elector.stop()
        self.control_plane.changed()


    def _reconcile_endpoints(self) -> None:
        """Renew this API server's master lease, then publish every API server with a live one."""
        self.timers.later(ENDPOINT_INTERVAL, self._reconcile_endpoints, daemon=True)
        store = self.control_plane.store
        if not store.quorum:
            return
        try:
            store.keepalive(self._master_lease)
        except StoreError:
            self._master_lease = store.grant(MASTER_LEASE_TTL)
            store.put(MASTER_LEASES + self.ip, {
                "kind": "Endpoints", "apiVersion": "v1", "metadata": {"name": self.ip},
                "subsets": [{"addresses": [{"ip": self.ip}]}]}, self._master_lease)
        ips = sorted((kv.key[len(MASTER_LEASES):] for kv in store.range(MASTER_LEASES)), key=ipaddress.ip_address)
        subsets = [{"addresses": [{"ip": ip} for ip in ips],
                    "ports": [{"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}]}]
        api = self.control_plane.ctx.api
        current = api.try_get("endpoints", "kubernetes", "default")
        if current is not None and current.get("subsets") == subsets:
            return
        meta = {"name": "kubernetes", "namespace": "default", "labels": {SKIP_MIRROR_LABEL: "true"}}
        try:
            if current is None:
                api.create("endpoints", {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
                                         "subsets": subsets}, "default", field_validation="Ignore")
            else:
                api.update("endpoints", {**current, "subsets": subsets}, "default", field_validation="Ignore")
        except ApiError as exc:
            self.control_plane.ctx.record_error("kube-apiserver", "default/kubernetes", exc)


class ControlPlane:
    """Every control-plane machine's processes, and what their state means for the cluster.

    etcd has one member per control-plane machine and needs a majority of them running to commit a
    write: below that every write fails with etcd's `request timed out`, and with no kube-apiserver
    running at all requests are refused. Reads are still answered (see docs/engine-design.md).
    """

    def __init__(self, ctx: Context, store: Store):
        self.ctx = ctx
        self.store = store
        self.hosts: dict[str, ControlPlaneHost] = {}
        for component in LEADER_ELECTED:
            ctx.gate(component).elected = True

    def add_host(self, name: str, ip: str, timers) -> ControlPlaneHost:
        """A new control-plane machine: its etcd member joins the cluster (it counts towards quorum)."""
        host = self.hosts[name] = ControlPlaneHost(self, name, ip, timers)
        self.changed()
        return host

    @property
    def members_running(self) -> int:
        return sum(h.running for h in self.hosts.values())

    @property
    def quorum(self) -> bool:
        return self.members_running * 2 > len(self.hosts)

    @property
    def serving(self) -> bool:
        """Whether any kube-apiserver is running."""
        return any(h.running for h in self.hosts.values())

    def changed(self) -> None:
        api = self.ctx.api
        self.store.quorum = self.quorum
        if not self.serving:
            address = next(iter(self.hosts.values())).ip
            api.outage = partial(errors.apiserver_unreachable, address)
        elif not self.quorum:
            api.outage = errors.etcd_unavailable
        else:
            api.outage = None

    def leader(self, component: str) -> str | None:
        """The machine whose instance of `component` leads, or None while none does."""
        identity = self.ctx.gate(component).leader
        return identity.rsplit("_", 1)[0] if identity else None

    def status(self) -> dict:
        """For front ends: each machine's processes, etcd's quorum and who leads."""
        members = len(self.hosts)
        running = self.members_running
        etcd_leader = next((h.name for h in self.hosts.values() if h.running), None) if self.quorum else None
        return {
            "members": members, "running": running, "quorum": self.quorum, "serving": self.serving,
            "needed": members // 2 + 1,
            "hosts": [{"name": h.name, "running": h.running, "etcdLeader": h.name == etcd_leader}
                      for h in self.hosts.values()],
            "leaders": {c: self.leader(c) for c in LEADER_ELECTED},
            "leaseExpiresIn": {c: self._lease_left(c) for c in LEADER_ELECTED if self.leader(c) is None},
        }

    def _lease_left(self, component: str) -> float | None:
        """Seconds until the last holder's Lease runs out (by its renewTime), or None without one."""
        lease = self.ctx.api.try_get("leases", component, LEASE_NAMESPACE)
        spec = (lease or {}).get("spec") or {}
        if not spec.get("renewTime"):
            return None
        expires = parse_rfc3339(spec["renewTime"]) + spec.get("leaseDurationSeconds", LEASE_DURATION)
        return max(0.0, expires - self.ctx.clock.now)
