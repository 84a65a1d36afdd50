"""The UI's view of the cluster: watch-fed caches with indexes, dirty kinds and a version widgets poll."""

from __future__ import annotations

from collections import OrderedDict

from ..engine.quantity import cpu_millis, to_bytes
from ..printers import node_status

RESOURCES = ("nodes", "pods", "services", "endpoints", "ingresses", "deployments", "replicasets",
             "replicationcontrollers", "statefulsets", "daemonsets", "jobs", "persistentvolumeclaims", "horizontalpodautoscalers", "events")
EVENT_LIMIT = 500


def key_of(obj: dict) -> str:
    meta = obj["metadata"]
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


class ChangeLog:
    """Keys changed since the consumer last called `take`."""

    __slots__ = ("keys",)

    def __init__(self, keys: set[str]):
        self.keys = keys

    def take(self) -> set[str]:
        keys, self.keys = self.keys, set()
        return keys


class ClusterModel:
    """Caches every watched kind by `ns/name`; watch callbacks only record changes, widgets pull later."""

    def __init__(self, client, event_limit: int = EVENT_LIMIT):
        self.client = client
        self.event_limit = event_limit
        self.objects: dict[str, dict[str, dict]] = {r: {} for r in RESOURCES}
        self.objects["events"] = OrderedDict()
        self.pods_by_node: dict[str, set[str]] = {}
        # Per-node request totals kept up to date on every pod change, so widgets never re-sum 10k pods.
        self._requests: dict[str, tuple[str, int, int]] = {}
        self._allocated: dict[str, tuple[int, int]] = {}
        self._pod_logs: list[ChangeLog] = []
        self.dirty: set[str] = set()
        self.version = 0
        self._watches = []
        for resource in RESOURCES:
            self._subscribe(resource)

    def _subscribe(self, resource: str) -> None:
        revision = self.client.store_revision()
        items = self.client.list(resource)
        if resource == "events":
            items = sorted(items, key=event_sort_key)[-self.event_limit:]
        for obj in items:
            self._put(resource, obj)
        callback = lambda type_, obj, old, resource=resource: self._on_event(resource, type_, obj)
        # Replaying from the listed revision closes the gap between list and watch (as informers do).
        self._watches.append(self.client.watch(resource, callback, resource_version=str(revision)))
        self._mark(resource)

    def close(self) -> None:
        for watch in self._watches:
            watch.stop()
        self._watches.clear()

    def _on_event(self, resource: str, type_: str, obj: dict) -> None:
        if type_ == "DELETED":
            self._drop(resource, key_of(obj))
        else:
            self._put(resource, obj)
            if resource == "events":
                events = self.objects["events"]
                events.move_to_end(key_of(obj))
                while len(events) > self.event_limit:
                    events.popitem(last=False)
        self._mark(resource)

    def _mark(self, resource: str) -> None:
        self.dirty.add(resource)
        self.version += 1

    def track_pods(self) -> "ChangeLog":
        """A log of the keys of pods added, changed or deleted (starting with every pod there is now)."""
        log = ChangeLog(set(self.objects["pods"]))
        self._pod_logs.append(log)
        return log

    def _count_requests(self, key: str, obj: dict | None) -> None:
        old = self._requests.pop(key, None)
        if old is not None:
            node, cpu, mem = old
            total_cpu, total_mem = self._allocated[node]
            self._allocated[node] = (total_cpu - cpu, total_mem - mem)
        node = obj["spec"].get("nodeName") if obj is not None else None
        if node and (obj.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            cpu, mem = pod_requests(obj)
            self._requests[key] = (node, cpu, mem)
            total_cpu, total_mem = self._allocated.get(node, (0, 0))
            self._allocated[node] = (total_cpu + cpu, total_mem + mem)
        for log in self._pod_logs:
            log.keys.add(key)

    def _put(self, resource: str, obj: dict) -> None:
        key = key_of(obj)
        if resource == "pods":
            self._count_requests(key, obj)
            old = self.objects["pods"].get(key)
            old_node = old["spec"].get("nodeName") if old else None
            new_node = obj["spec"].get("nodeName")
            if old_node != new_node:
                if old_node:
                    self.pods_by_node.get(old_node, set()).discard(key)
                if new_node:
                    self.pods_by_node.setdefault(new_node, set()).add(key)
        self.objects[resource][key] = obj

    def _drop(self, resource: str, key: str) -> None:
        obj = self.objects[resource].pop(key, None)
        if resource == "pods" and obj is not None:
            self._count_requests(key, None)
            node = obj["spec"].get("nodeName")
            if node:
                self.pods_by_node.get(node, set()).discard(key)

    def take_dirty(self) -> set[str]:
        """The kinds changed since the last call (and forget them)."""
        dirty, self.dirty = self.dirty, set()
        return dirty

    # -- queries -------------------------------------------------------------------------------

    def pods(self) -> dict[str, dict]:
        return self.objects["pods"]

    def nodes(self) -> dict[str, dict]:
        return self.objects["nodes"]

    def pods_on(self, node: str) -> list[dict]:
        pods = self.objects["pods"]
        return [pods[k] for k in sorted(self.pods_by_node.get(node, ()))]

    def events_newest_first(self) -> list[dict]:
        return sorted(self.objects["events"].values(), key=event_sort_key, reverse=True)

    def allocated(self, node: str) -> tuple[int, int]:
        """Sum of the CPU (millicores) and memory (bytes) requests of the node's non-terminated pods."""
        return self._allocated.get(node, (0, 0))

    def owner_workload(self, pod: dict) -> tuple[str, str, str] | None:
        """The scalable workload behind a pod as (resource, namespace, name): a ReplicaSet's Deployment when
        it has one, else the ReplicaSet, ReplicationController or StatefulSet itself."""
        ns = pod["metadata"].get("namespace", "default")
        ref = _controller_ref(pod)
        if ref is None:
            return None
        if ref["kind"] == "ReplicaSet":
            rs = self.objects["replicasets"].get(f"{ns}/{ref['name']}")
            parent = _controller_ref(rs) if rs else None
            if parent and parent["kind"] == "Deployment":
                return "deployments", ns, parent["name"]
            return "replicasets", ns, ref["name"]
        plural = {"ReplicationController": "replicationcontrollers", "StatefulSet": "statefulsets"}.get(ref["kind"])
        return (plural, ns, ref["name"]) if plural else None

    def stuck_stateful_pods(self) -> dict[str, list[tuple[str, str]]]:
        """StatefulSet key → (pod, node) of its pods left Terminating on a NotReady node: the controller
        will not replace them until the node is deleted or the pod force-deleted (at most one pod per identity)."""
        stuck: dict[str, list[tuple[str, str]]] = {}
        for name, node in self.nodes().items():
            if node_status(node).split(",")[0] == "Ready":
                continue
            for pod in self.pods_on(name):
                ref = _controller_ref(pod)
                if ref and ref["kind"] == "StatefulSet" and pod["metadata"].get("deletionTimestamp"):
                    key = f"{pod['metadata'].get('namespace', 'default')}/{ref['name']}"
                    stuck.setdefault(key, []).append((pod["metadata"]["name"], name))
        return stuck

    def endpoint_targets(self, service: dict) -> tuple[list[str], list[str]]:
        """The Service's ready and not-ready endpoints: the pod name of each address (or its IP)."""
        ep = self.objects["endpoints"].get(key_of(service))
        ready: list[str] = []
        not_ready: list[str] = []
        for subset in (ep or {}).get("subsets") or ():
            for into, field in ((ready, "addresses"), (not_ready, "notReadyAddresses")):
                into.extend((a.get("targetRef") or {}).get("name") or a.get("ip", "?") for a in subset.get(field) or ())
        return ready, not_ready


def pod_requests(pod: dict) -> tuple[int, int]:
    """CPU (millicores) and memory (bytes) requested by a pod's containers."""
    cpu = mem = 0
    for container in pod["spec"].get("containers") or ():
        requests = (container.get("resources") or {}).get("requests") or {}
        if "cpu" in requests:
            cpu += cpu_millis(requests["cpu"])
        if "memory" in requests:
            mem += to_bytes(requests["memory"])
    return cpu, mem


def _controller_ref(obj: dict) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def event_sort_key(event: dict) -> tuple:
    stamp = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp") or ""
    return stamp, int(event["metadata"].get("resourceVersion") or 0)
