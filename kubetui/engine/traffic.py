"""A traffic generator: requests through Ingress → Service → kube-proxy's pick → pod, counted per second."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .controllers.ingress import route
from .dns import CLUSTER_DOMAIN

HISTORY_SECONDS = 120


def stream_name(target: str) -> str:
    """The name a stream gets when none is given: the host of a URL, or the Service's name."""
    return target.split("://")[-1].split("/")[0].split(":")[0]


@dataclass
class Second:
    """What one stream saw during one virtual second."""

    at: int
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # reason -> count
    pods: dict[str, int] = field(default_factory=dict)    # pod -> requests it answered
    service: str | None = None   # "namespace/name" of the Service the requests went to
    ingress: str | None = None   # "namespace/name" of the Ingress that routed them


@dataclass
class Stream:
    """Requests to `target` at `rate` per second: `http://host/path` goes through the ingress controller;
    `service[.namespace][:port]` (or its DNS name) goes straight to the Service from inside the cluster."""

    name: str
    target: str
    rate: int
    history: deque = field(default_factory=lambda: deque(maxlen=HISTORY_SECONDS))
    total_ok: int = 0
    total_failed: int = 0


def stream_name(target: str) -> str:
    """The name a stream gets when none is given: the host of a URL, or the Service's name."""
    return target.split("://")[-1].split("/")[0].split(":")[0]


class TrafficGenerator:
    """Sends each stream's requests once a virtual second while any stream runs. Nothing is short-cut: a
    request reaches a pod only through the rules kube-proxy on the entry node has programmed, so a pod on a
    dead machine keeps receiving (and failing) requests until its endpoint is removed."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.streams: dict[str, Stream] = {}
        self._timer = None
        self._entry = 0

    def start(self, name: str, target: str, rate: int = 10) -> Stream:
        if rate < 1:
            raise ValueError("rate must be at least 1 request per second")
        stream = self.streams[name] = Stream(name, target, rate)
        if self._timer is None:
            self._timer = self.cluster.clock.call_later(1.0, self._tick, daemon=True)
        return stream

    def stop(self, name: str) -> None:
        if self.streams.pop(name, None) is None:
            raise KeyError(name)

    def _tick(self) -> None:
        self._timer = None
        if not self.streams:
            return
        now = int(self.cluster.clock.now)
        # Requests write nothing, so within one instant the routes and rules they see stay the same:
        # resolve each target and read each entry node's rules once per tick, not per request.
        machines = self._powered()
        rules: dict[str, list] = {}
        for name in sorted(self.streams):
            stream = self.streams[name]
            resolved, ingress = self._service_of(stream.target)
            second = Second(now, service=resolved[0], ingress=ingress)
            for _ in range(stream.rate):
                pod, failure = self._request(resolved, machines, rules)
                if failure is None:
                    second.ok += 1
                    second.pods[pod] = second.pods.get(pod, 0) + 1
                else:
                    second.failed[failure] = second.failed.get(failure, 0) + 1
            stream.history.append(second)
            stream.total_ok += second.ok
            stream.total_failed += sum(second.failed.values())
        self._timer = self.cluster.clock.call_later(1.0, self._tick, daemon=True)

    def _powered(self) -> list:
        return [m for _, m in sorted(self.cluster.machines.items()) if m.powered]

    def _request(self, resolved: tuple[str | None, object], machines: list, rules: dict[str, list]
                 ) -> tuple[str | None, str | None]:
        """One request: (the pod that answered, None) or (None, why it failed). `rules` caches each entry
        node's kube-proxy rules for the instant."""
        service, port = resolved
        if service is None:
            return None, port  # port holds the failure here
        if not machines:
            return None, "no node answers"
        self._entry = (self._entry + 1) % len(machines)  # the load balancer in front spreads over the nodes
        entry = machines[self._entry]
        node_rules = rules.get(entry.name)
        if node_rules is None:
            node_rules = rules[entry.name] = entry.kube_proxy.rules()
        rule = next((r for r in node_rules if r.service == service and (port in (None, r.port, r.port_name))), None)
        if rule is None:
            return None, "connection refused (no Service rule)"
        if not rule.endpoints:
            return None, "503: no endpoints"
        endpoint = rule.endpoints[self.cluster.rng.randrange(len(rule.endpoints))]
        machine = self.cluster.machines.get(endpoint.node or "")
        if machine is None or not machine.powered:
            return None, f"timeout ({endpoint.node} is down)"
        if not machine.kubelet.serving(endpoint.pod, service.split("/")[0]):
            return None, "connection refused (container not running)"
        return endpoint.pod, None

    def _service_of(self, target: str) -> tuple[tuple[str | None, object], str | None]:
        """((the Service key, its port) or (None, why not), the Ingress that routed the target if any)."""
        if target.startswith(("http://", "https://")):
            url = urlsplit(target)
            ingresses = self.cluster.controllers["ingress"].served()
            found = route(ingresses, url.hostname or "", url.path or "/")
            if found is None:
                return (None, "404: no Ingress rule"), None
            return (found.service, found.port), found.ingress
        name, _, port = target.partition(":")
        name = name.removesuffix(f".svc.{CLUSTER_DOMAIN}").removesuffix(".svc")
        svc, _, namespace = name.partition(".")
        key = f"{namespace or 'default'}/{svc}"
        if self.cluster.api.try_get("services", svc, namespace or "default") is None:
            return (None, f"DNS: {target} not found"), None
        return (key, (int(port) if port.isdigit() else port or None)), None
