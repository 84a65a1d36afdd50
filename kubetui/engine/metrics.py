"""A metrics-server (metrics.k8s.io) and a custom-metrics adapter (custom.metrics.k8s.io) over simulated usage."""

from __future__ import annotations

from dataclasses import dataclass

from .api import kinds
from .clock import parse_rfc3339, rfc3339
from .node.usage import container_cpu_millis, container_memory_bytes, custom_metrics
from .objects import key_of
from .quantity import cpu_millis, format_cpu, to_bytes

# What the kubelet, the runtime and the system daemons use on every powered machine.
NODE_OVERHEAD_CPU_MILLIS = 50
NODE_OVERHEAD_MEMORY_BYTES = 400 * 1024 * 1024
# The custom metric every pod, Service and Ingress has: requests per second over the last window.
REQUESTS_PER_SECOND = "http_requests_per_second"


@dataclass(frozen=True)
class PodSample:
    """One scrape of one pod: per-container usage, when it was taken and over which window."""

    namespace: str
    name: str
    node: str
    timestamp: float
    window: float
    containers: tuple[tuple[str, int, int], ...]  # (name, cpu millis, memory bytes)
    custom: tuple[tuple[str, int], ...] = ()      # (custom metric, milli-units)

    @property
    def cpu_millis(self) -> int:
        return sum(c[1] for c in self.containers)

    @property
    def memory_bytes(self) -> int:
        return sum(c[2] for c in self.containers)


class MetricsServer:
    """Like metrics-server: every `metric_resolution` seconds it asks each reachable kubelet for the usage of
    its running containers (averaged over the window just past) and keeps only that latest scrape. A pod
    appears once all its containers run; pods on powered-off machines have no metrics.

    It also plays a custom-metrics adapter (like prometheus-adapter): per pod, `http_requests_per_second`
    answered over the same window and any `sim.kubetui.io/metric.<name>` annotation, taken with each scrape;
    per object, `http_requests_per_second` sent to a Service or through an Ingress, or the object's own
    `sim.kubetui.io/metric.<name>` annotation, read when asked."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.clock = cluster.clock
        self.window = cluster.profile.metric_resolution
        self.pods = cluster.informers.informer("pods")
        self.nodes = cluster.informers.informer("nodes")
        self._samples: dict[str, PodSample] = {}  # namespace/name -> latest scrape
        self._custom_names: set[str] = {REQUESTS_PER_SECOND}  # pod metrics the adapter has series for
        self._node_samples: dict[str, tuple[float, int, int]] = {}  # node -> (timestamp, cpu millis, memory bytes)
        self._unread: tuple | None = None  # the last scrape's inputs, until someone reads its results
        self.clock.call_later(self.window, self._scrape, daemon=True)

    def _scrape(self) -> None:
        """Take the scrape's inputs now (the pods are frozen objects, so a list of them is a snapshot) and work
        the samples out when they are first read: most scrapes of a big cluster are never looked at."""
        now = self.clock.now
        powered = [name for name, machine in sorted(self.cluster.machines.items()) if machine.powered]
        self._unread = (now, list(self.pods.values()), self._requests_per_second(now), powered)
        self.clock.call_later(self.window, self._scrape, daemon=True)

    @property
    def samples(self) -> dict[str, PodSample]:
        """The latest scrape of every pod, by namespace/name."""
        self._materialize()
        return self._samples

    @property
    def custom_names(self) -> set[str]:
        """The pod metrics the adapter has series for."""
        self._materialize()
        return self._custom_names

    @property
    def node_samples(self) -> dict[str, tuple[float, int, int]]:
        """The latest scrape of every powered node, by name."""
        self._materialize()
        return self._node_samples

    def _materialize(self) -> None:
        if self._unread is None:
            return
        now, pods, served, powered = self._unread
        self._unread = None
        samples: dict[str, PodSample] = {}
        on = set(powered)
        for pod in sorted(pods, key=key_of):
            sample = self._sample(pod, now, served.get(pod["metadata"]["name"], 0.0), on)
            if sample is not None:
                samples[f"{sample.namespace}/{sample.name}"] = sample
        self._samples = samples
        self._custom_names = {REQUESTS_PER_SECOND} | {name for s in samples.values() for name, _ in s.custom}
        nodes: dict[str, tuple[float, int, int]] = {
            name: (now, NODE_OVERHEAD_CPU_MILLIS, NODE_OVERHEAD_MEMORY_BYTES) for name in powered}
        for sample in samples.values():
            if sample.node in nodes:
                ts, cpu, mem = nodes[sample.node]
                nodes[sample.node] = (ts, cpu + sample.cpu_millis, mem + sample.memory_bytes)
        self._node_samples = nodes

    def _requests_per_second(self, now: float) -> dict[str, float]:
        """Requests each pod (by name) answered per second over the window just past, all streams together."""
        totals: dict[str, int] = {}
        for stream in self.cluster.traffic.streams.values():
            for second in reversed(stream.history):
                if second.at <= now - self.window:
                    break
                for pod, n in second.pods.items():
                    totals[pod] = totals.get(pod, 0) + n
        return {pod: n / self.window for pod, n in totals.items()}

    def _sample(self, pod: dict, now: float, rps: float, powered: set[str]) -> PodSample | None:
        meta, status = pod["metadata"], pod.get("status") or {}
        node = pod["spec"].get("nodeName")
        if node not in powered or status.get("phase") != "Running":
            return None
        started = {cs["name"]: ((cs.get("state") or {}).get("running") or {}).get("startedAt")
                   for cs in status.get("containerStatuses") or ()}
        containers = []
        longest = 0.0
        for c in pod["spec"].get("containers") or ():
            if not started.get(c["name"]):
                return None
            running_for = max(0.0, now - parse_rfc3339(started[c["name"]]))
            longest = max(longest, running_for)
            containers.append((c["name"], container_cpu_millis(pod, c["name"], running_for, rps),
                               container_memory_bytes(pod, c["name"], running_for)))
        custom = {REQUESTS_PER_SECOND: round(rps * 1000), **custom_metrics(pod, longest)}
        return PodSample(meta["namespace"], meta["name"], node, now, self.window, tuple(containers),
                         tuple(sorted(custom.items())))

    # -- the resource metrics API ----------------------------------------------------------

    def pod_samples(self, namespace: str) -> dict[str, PodSample]:
        """The latest scrape of the namespace's pods, by pod name (what the HPA's metrics client lists)."""
        prefix = f"{namespace}/"
        return {s.name: s for key, s in self.samples.items() if key.startswith(prefix)}

    # -- the custom metrics API -------------------------------------------------------------

    def pod_custom_metric(self, namespace: str, metric: str) -> dict[str, tuple[int, float, float]]:
        """The namespace's pods' latest value of a custom metric: pod name -> (milli-units, timestamp, window).
        A LookupError when the adapter has no such metric for pods."""
        if metric not in self.custom_names:
            raise LookupError(f"the server could not find the metric {metric} for pods")
        return {name: (value, s.timestamp, s.window) for name, s in self.pod_samples(namespace).items()
                for key, value in s.custom if key == metric}

    def object_metric(self, namespace: str, kind: str, name: str, metric: str) -> tuple[int, float]:
        """A custom metric of one object (a Namespace: the namespace itself): (milli-units, timestamp).
        A LookupError when there is none."""
        known = kinds.BY_KIND.get(kind)
        resource = (f"{known.plural}.{known.group}" if known.group else known.plural) if known else kind.lower()
        if kind == "Namespace":
            name = namespace
        obj = self.cluster.api.try_get(known.plural, name, namespace if known.namespaced else None) if known else None
        if obj is None:
            raise LookupError(f"the server could not find the metric {metric} for {resource} {name}")
        now = self.clock.now
        if metric == REQUESTS_PER_SECOND and kind in ("Service", "Ingress"):
            field = "service" if kind == "Service" else "ingress"
            key, sent = f"{namespace}/{name}", 0
            for stream in self.cluster.traffic.streams.values():
                for second in reversed(stream.history):
                    if second.at <= now - self.window:
                        break
                    if getattr(second, field) == key:
                        sent += second.ok + sum(second.failed.values())
            return round(sent * 1000 / self.window), now
        age = now - parse_rfc3339(obj["metadata"]["creationTimestamp"])
        value = custom_metrics(obj, age).get(metric)
        if value is None:
            raise LookupError(f"the server could not find the metric {metric} for {resource} {name}")
        return value, now

    def pod_metrics(self, namespace: str | None = None) -> list[dict]:
        """PodMetrics objects (metrics.k8s.io/v1beta1), as `kubectl get --raw .../pods` returns them."""
        out = []
        for key in sorted(self.samples):
            s = self.samples[key]
            if namespace is None or s.namespace == namespace:
                out.append({"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                            "metadata": {"name": s.name, "namespace": s.namespace},
                            "timestamp": rfc3339(s.timestamp), "window": f"{int(s.window)}s",
                            "containers": [{"name": n, "usage": {"cpu": format_cpu(cpu), "memory": _ki(mem)}}
                                           for n, cpu, mem in s.containers]})
        return out

    def node_metrics(self) -> list[dict]:
        return [{"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {"name": name},
                 "timestamp": rfc3339(ts), "window": f"{int(self.window)}s",
                 "usage": {"cpu": format_cpu(cpu), "memory": _ki(mem)}}
                for name, (ts, cpu, mem) in sorted(self.node_samples.items())]

    def top_pods(self, namespace: str) -> list[list[str]]:
        """`kubectl top pods` rows, header first."""
        rows = [["NAME", "CPU(cores)", "MEMORY(bytes)"]]
        for m in self.pod_metrics(namespace):
            cpu = sum(cpu_millis(c["usage"]["cpu"]) for c in m["containers"])
            mem = sum(to_bytes(c["usage"]["memory"]) for c in m["containers"])
            rows.append([m["metadata"]["name"], f"{cpu}m", f"{mem // (1024 * 1024)}Mi"])
        return rows

    def top_nodes(self) -> list[list[str]]:
        """`kubectl top nodes` rows, header first: usage and its share of the node's allocatable."""
        rows = [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
        for m in self.node_metrics():
            node = self.nodes.get(m["metadata"]["name"])
            allocatable = ((node or {}).get("status") or {}).get("allocatable") or {}
            cpu, mem = cpu_millis(m["usage"]["cpu"]), to_bytes(m["usage"]["memory"])
            cpu_total, mem_total = cpu_millis(allocatable.get("cpu", "0")), to_bytes(allocatable.get("memory", "0"))
            rows.append([m["metadata"]["name"], f"{cpu}m", f"{cpu * 100 // cpu_total}%" if cpu_total else "<unknown>",
                         f"{mem // (1024 * 1024)}Mi", f"{mem * 100 // mem_total}%" if mem_total else "<unknown>"])
        return rows


def _ki(n: int) -> str:
    return f"{-(-n // 1024)}Ki"
