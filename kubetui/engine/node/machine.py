"""A simulated machine: a network address, a container runtime and a kubelet that live and die with its power."""

from __future__ import annotations

import ipaddress
import weakref

from ..api import errors
from ..api.server import APIServer
from ..context import Context
from .kubelet import Kubelet
from .kubeproxy import KubeProxy
from .link import ApiLink
from .runtime import ContainerRuntime, Timers

# Machines sit on one docker-style bridge network, as kind's nodes do (172.18.0.1 is the gateway).
_NODE_NETWORK = ipaddress.ip_network("172.18.0.0/16")
_next_host: weakref.WeakKeyDictionary[APIServer, int] = weakref.WeakKeyDictionary()


def _node_ip(api: APIServer) -> str:
    """The next free address on the cluster's machine network, in the order machines are racked."""
    host = _next_host.get(api, 2)
    _next_host[api] = host + 1
    return str(_NODE_NETWORK.network_address + host)


class Machine:
    """Power on boots the runtime, the kubelet (which registers the Node) and kube-proxy; power off stops
    every process on the machine at once, without a word to the API server."""

    def __init__(self, ctx: Context, config, control_plane=None):
        self.ctx = ctx
        self.config = config
        self.name = config.name
        self.ip = _node_ip(ctx.api)
        self.powered = False
        self.timers = Timers(ctx.clock)
        self.runtime = ContainerRuntime(ctx.clock, ctx.rng, self.timers)
        self.link = ApiLink(ctx.api, self.name)
        self.kubelet = Kubelet(ctx, config, self.runtime, self.timers, self.ip, self.link)
        self.kube_proxy = KubeProxy(ctx, self.name)
        # A control-plane machine's static pods: kube-apiserver, etcd and the leader-elected components.
        self.control_plane = control_plane.add_host(self.name, self.ip, self.timers) if control_plane else None

    def power_on(self) -> None:
        if self.powered:
            return
        self.powered = True
        if self.control_plane is not None:
            self.control_plane.start()
        self.kubelet.start()
        if not self.partitioned:
            self.kube_proxy.start()

    def power_off(self) -> None:
        if not self.powered:
            return
        self.powered = False
        self.timers.cancel_all()
        self.kubelet.stop()
        self.kube_proxy.stop()
        if self.control_plane is not None:
            self.control_plane.stop()
        self.runtime.halt()

    @property
    def partitioned(self) -> bool:
        return self.link.partitioned

    def partition(self) -> None:
        """Cut the machine off from the API server: its processes and containers keep running, but the
        kubelet's writes (heartbeats, statuses) fail and it hears of no pod changes; kube-proxy's rules
        stay as last programmed."""
        if self.partitioned:
            return
        self.link.partitioned = True
        if self.powered:
            self.kube_proxy.stop()

    def heal(self) -> None:
        """End the partition: the kubelet relists its pods (and stops those deleted meanwhile), kube-proxy resyncs."""
        if not self.partitioned:
            return
        self.link.partitioned = False
        if self.powered:
            self.kube_proxy.start()
            self.kubelet.resync()

    def crash_container(self, namespace: str, pod: str, container: str | None = None) -> None:
        """Make a running container's process exit with code 1; the kubelet reacts."""
        if not self.powered:
            raise errors.bad_request(f'node "{self.name}" is powered off')
        self.kubelet.crash_container(namespace, pod, container)
