"""The Client protocol every front end uses, and its in-process implementation over a Cluster."""

from __future__ import annotations

import json
from typing import Callable, Iterable, Protocol

from . import objects
from .api import errors, kinds, patch as patches, rbac, schema
from .api.server import Watch
from .cluster import Cluster, NodeConfig
from .controllers import deployment as deployment_controller
from .controllers.ingress import route
from .store import KeyValue

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
WatchCallback = Callable[[str, dict, "dict | None"], None]


class Client(Protocol):
    """What kubectl can do, plus the playground's verbs (chaos, clock, store browsing, explain)."""

    # kubectl verbs
    def get(self, resource: str, name: str, namespace: str | None = None) -> dict: ...
    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict]: ...
    def watch(self, resource: str, callback: WatchCallback, namespace: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None,
              resource_version: str | None = None) -> Watch: ...
    def create(self, obj: dict, namespace: str | None = None, dry_run: bool = False) -> dict: ...
    def update(self, obj: dict, namespace: str | None = None) -> dict: ...
    def apply(self, obj: dict, namespace: str | None = None) -> dict: ...
    def patch(self, resource: str, name: str, body, patch_type: str = "strategic",
              namespace: str | None = None) -> dict: ...
    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None) -> dict: ...
    def scale(self, resource: str, name: str, replicas: int, namespace: str | None = None) -> dict: ...
    def rollout_undo(self, name: str, namespace: str | None = None, to_revision: int = 0) -> dict: ...
    def logs(self, pod: str, namespace: str | None = None, container: str | None = None) -> str: ...
    def cordon(self, node: str, unschedulable: bool = True) -> dict: ...
    def drain(self, node: str, force: bool = False, ignore_daemonsets: bool = True) -> list[str]: ...
    # playground verbs
    def kill_node(self, name: str) -> None: ...
    def restart_node(self, name: str) -> None: ...
    def partition_node(self, name: str) -> None: ...
    def heal_node(self, name: str) -> None: ...
    def add_node(self, config: NodeConfig) -> None: ...
    def kill_pod(self, name: str, namespace: str | None = None) -> dict: ...
    def crash_container(self, pod: str, namespace: str | None = None, container: str | None = None) -> None: ...
    @property
    def now(self) -> float: ...
    def advance(self, seconds: float) -> None: ...
    def run_until(self, when: float, max_events: int | None = None) -> bool: ...
    def run_until_idle(self, limit: float = 3600.0) -> float: ...
    def store_revision(self) -> int: ...
    def store_keys(self, prefix: str = "/registry/") -> list[str]: ...
    def store_get(self, key: str, revision: int | None = None) -> KeyValue | None: ...
    def store_history(self, key: str) -> list[KeyValue | None]: ...
    def explain(self, pod: str, namespace: str | None = None) -> dict | None: ...
    def countdowns(self) -> list[tuple[str, float | None]]: ...
    def machine_containers(self, node: str) -> list: ...
    def proxy_rules(self, node: str) -> list: ...
    def machine_powered(self, node: str) -> bool: ...
    def control_plane(self) -> dict: ...
    def resolve(self, name: str, namespace: str | None = None) -> tuple: ...
    def ingress_route(self, host: str, path: str = "/"): ...
    def traffic_start(self, name: str, target: str, rate: int = 10): ...
    def traffic_stop(self, name: str) -> None: ...
    def traffic_streams(self) -> list: ...
    def exec(self, pod: str, argv: list[str], namespace: str | None = None, container: str | None = None) -> str: ...
    def volume_files(self, pod: str, volume: str, namespace: str | None = None) -> dict[str, str]: ...
    def top_pods(self, namespace: str | None = None) -> list[list[str]]: ...
    def top_nodes(self) -> list[list[str]]: ...


class LocalClient:
    """The in-process Client: calls straight into the cluster's API server (zero copy)."""

    def __init__(self, cluster: Cluster, namespace: str = "default", user: rbac.User | None = None):
        self.cluster = cluster
        self.api = cluster.api
        self.namespace = namespace
        self.user = user  # None: the playground's own admin; otherwise every API request is authorized (RBAC)

    def as_user(self, user: rbac.User) -> "LocalClient":
        """The same cluster, seen by `user` (kubectl --as)."""
        return LocalClient(self.cluster, self.namespace, user)

    def can_i(self, verb, resource, namespace=None, name=None, subresource=""):
        """`kubectl auth can-i`."""
        user = self.user or rbac.User("kubernetes-admin", (rbac.MASTERS,))
        return self.api.authorizer.allowed(user, verb, resource, self._ns(resource, namespace), name, subresource)

    def _ns(self, resource: str, namespace: str | None) -> str | None:
        return (namespace or self.namespace) if kinds.by_plural(resource).namespaced else None

    def _authorize(self, verb, resource, namespace, name=None, subresource=""):
        self.api.authorizer.check(self.user, verb, resource, namespace, name, subresource)

    # -- kubectl verbs -----------------------------------------------------------------------

    def get(self, resource, name, namespace=None):
        ns = self._ns(resource, namespace)
        self._authorize("get", resource, ns, name)
        return self.api.get(resource, name, ns)

    def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        self._authorize("list", resource, namespace if kinds.by_plural(resource).namespaced else None)
        return self.api.list(resource, namespace, label_selector, field_selector)[0]

    def watch(self, resource, callback, namespace=None, label_selector=None, field_selector=None,
              resource_version=None):
        self._authorize("watch", resource, namespace if kinds.by_plural(resource).namespaced else None)
        return self.api.watch(resource, callback, namespace, label_selector, field_selector, resource_version)

    def create(self, obj, namespace=None, dry_run=False):
        kind = kinds.for_object(obj)
        ns = self._ns(kind.plural, namespace)
        self._authorize("create", kind.plural, ns)
        return self.api.create(kind.plural, obj, ns, dry_run=dry_run)

    def update(self, obj, namespace=None):
        kind = kinds.for_object(obj)
        ns = self._ns(kind.plural, namespace)
        self._authorize("update", kind.plural, ns, (obj.get("metadata") or {}).get("name"))
        return self.api.update(kind.plural, obj, ns)

    def apply(self, obj, namespace=None):
        """Client-side `kubectl apply`: create, or patch the live object with a three-way diff against the
        last applied configuration (fields dropped from the file are removed)."""
        kind = kinds.for_object(obj)
        ns = self._ns(kind.plural, namespace)
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        if not name:
            raise errors.invalid_object(kind.kind, kind.group, "", [errors.required("metadata.name", "name is required")])
        desired = objects.deep_copy(obj)
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
        applied_text = json.dumps({**desired, "metadata": {**meta, "annotations": annotations} if annotations
                                   else {k: v for k, v in meta.items() if k != "annotations"}},
                                  sort_keys=True, separators=(",", ":"))
        desired.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = applied_text + "\n"
        self._authorize("get", kind.plural, ns, name)
        live = self.api.try_get(kind.plural, name, ns)
        if live is None:
            self._authorize("create", kind.plural, ns)
            return self.api.create(kind.plural, desired, ns)
        self._authorize("patch", kind.plural, ns, name)
        last_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
        last = json.loads(last_text) if last_text else {}
        body = three_way_merge_patch(last, desired)
        body.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
        # Strategic, as kubectl's: lists such as containers merge by key, so what admission added to the
        # live object (the token volume's mount) stays.
        merged = patches.strategic_merge_patch(live, body, schema.definition_name(kind.group, kind.version, kind.kind))
        return self.api.update(kind.plural, merged, ns)

    def patch(self, resource, name, body, patch_type="strategic", namespace=None):
        ns = self._ns(resource, namespace)
        self._authorize("patch", resource, ns, name)
        return self.api.patch(resource, name, body, patch_type, ns)

    def delete(self, resource, name, namespace=None, grace_period_seconds=None, propagation_policy=None):
        ns = self._ns(resource, namespace)
        self._authorize("delete", resource, ns, name)
        return self.api.delete(resource, name, ns, grace_period_seconds=grace_period_seconds,
                               propagation_policy=propagation_policy)

    def scale(self, resource, name, replicas, namespace=None):
        ns = self._ns(resource, namespace)
        self._authorize("update", resource, ns, name, "scale")
        return self.api.scale(resource, name, replicas, ns)

    def rollout_undo(self, name, namespace=None, to_revision=0):
        self._authorize("update", "deployments", namespace or self.namespace, name)
        return deployment_controller.rollback(self.api, namespace or self.namespace, name, to_revision)

    def logs(self, pod, namespace=None, container=None):
        self._authorize("get", "pods", namespace or self.namespace, pod, "log")
        obj = self.api.get("pods", pod, namespace or self.namespace)
        node = obj["spec"].get("nodeName")
        if not node or node not in self.cluster.machines:
            raise errors.bad_request(f'pod "{pod}" is not running on a node')
        return self.cluster.machines[node].kubelet.logs(obj["metadata"]["namespace"], pod, container)

    def exec(self, pod, argv, namespace=None, container=None):
        """`kubectl exec POD -- CMD`: the simulated shell's write/cat/ls/rm on the container's files."""
        ns = namespace or self.namespace
        self._authorize("create", "pods", ns, pod, "exec")
        obj = self.api.get("pods", pod, ns)
        node = obj["spec"].get("nodeName")
        if not node or node not in self.cluster.machines or not self.cluster.machines[node].powered:
            raise errors.bad_request(f'pod "{pod}" is not running on a reachable node')
        name, container_id = self.cluster.machines[node].kubelet.running_container(ns, pod, container)
        return self.cluster.files.exec(obj, name, container_id, list(argv))

    def volume_files(self, pod, volume, namespace=None):
        """The files in one of a pod's volumes."""
        obj = self.get("pods", pod, namespace)
        return self.cluster.files.files(obj, volume)

    def cordon(self, node, unschedulable=True):
        self._authorize("patch", "nodes", None, node)
        return self.api.patch("nodes", node, {"spec": {"unschedulable": True if unschedulable else None}}, "merge")

    def drain(self, node, force=False, ignore_daemonsets=True):
        """`kubectl drain`: cordon, then evict every pod on the node (DaemonSet pods stay)."""
        self._authorize("patch", "nodes", None, node)
        self._authorize("list", "pods", None)
        self.api.get("nodes", node)
        pods = self.api.list("pods", field_selector=f"spec.nodeName={node}")[0]
        problems = []
        victims = []
        for pod in pods:
            ref = objects.controller_ref(pod)
            if ref and ref["kind"] == "DaemonSet":
                if not ignore_daemonsets:
                    problems.append(f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {objects.key_of(pod)}")
                continue
            if ref is None and not force:
                problems.append(f"cannot delete Pods that declare no controller (use --force to override): {objects.key_of(pod)}")
                continue
            victims.append(pod)
        if problems:
            raise errors.bad_request("cannot drain node " + f'"{node}"' + ": " + ", ".join(problems))
        self.cordon(node)
        evicted = []
        for pod in victims:
            meta = pod["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            self.api.delete("pods", meta["name"], meta["namespace"])
            evicted.append(objects.key_of(pod))
        return evicted

    # -- playground verbs --------------------------------------------------------------------

    def kill_node(self, name):
        self.cluster.kill_node(name)

    def restart_node(self, name):
        self.cluster.restart_node(name)

    def partition_node(self, name):
        self.cluster.partition_node(name)

    def heal_node(self, name):
        self.cluster.heal_node(name)

    def add_node(self, config):
        self.cluster.add_node(config)

    def kill_pod(self, name, namespace=None):
        return self.cluster.kill_pod(namespace or self.namespace, name)

    def crash_container(self, pod, namespace=None, container=None):
        self.cluster.crash_container(namespace or self.namespace, pod, container)

    @property
    def now(self):
        return self.cluster.now

    def advance(self, seconds):
        self.cluster.advance(seconds)

    def run_until(self, when, max_events=None):
        return self.cluster.run_until(when, max_events)

    def run_until_idle(self, limit=3600.0):
        return self.cluster.run_until_idle(limit=limit)

    def store_revision(self):
        return self.cluster.store.revision

    def store_keys(self, prefix="/registry/"):
        return self.cluster.store.keys(prefix)

    def store_get(self, key, revision=None):
        return self.cluster.store.get(key, revision)

    def store_history(self, key):
        return self.cluster.store.history(key)

    def explain(self, pod, namespace=None):
        return self.cluster.scheduler.explain(namespace or self.namespace, pod)

    def countdowns(self):
        """Pending control-plane timers as (what, seconds left), soonest first: nodes about to turn
        NotReady or be tainted, scheduled evictions (grouped per node), other labelled timers."""
        now = self.cluster.now
        out: list[tuple[str, float | None]] = []
        lifecycle = self.cluster.controllers.get("nodelifecycle")
        if lifecycle is not None:
            for node, what, left in lifecycle.pending_transitions():
                out.append((f"{node} → {what}", left))
        eviction = self.cluster.controllers.get("tainteviction")
        if eviction is not None:
            by_node: dict[str, list[float]] = {}
            for _, _, node, when in eviction.pending_evictions():
                by_node.setdefault(node, []).append(when)
            for node, whens in sorted(by_node.items()):
                out.append((f"evict {len(whens)} pod{'s' if len(whens) != 1 else ''} from {node}", min(whens) - now))
        for timer in self.cluster.clock.pending():
            if not timer.label.startswith("evict "):
                out.append((timer.label, timer.when - now))
        return sorted(out, key=lambda item: (item[1] is None, item[1] or 0.0, item[0]))

    def machine_containers(self, node):
        """The node's container runtime view (pause sandboxes and containers), like `crictl ps -a`."""
        return self.cluster.machine(node).runtime.containers()

    def traffic_start(self, name, target, rate=10):
        """Start (or replace) a request stream: `http://host/path` through the Ingress, or `service[:port]`."""
        return self.cluster.traffic.start(name, target, rate)

    def traffic_stop(self, name):
        try:
            self.cluster.traffic.stop(name)
        except KeyError:
            raise errors.not_found("traffic streams", "", name) from None

    def traffic_streams(self):
        return [self.cluster.traffic.streams[n] for n in sorted(self.cluster.traffic.streams)]

    def top_pods(self, namespace=None):
        """`kubectl top pods`: rows (header first) from the metrics server's latest scrape."""
        return self.cluster.metrics.top_pods(namespace or self.namespace)

    def top_nodes(self):
        """`kubectl top nodes`: rows (header first) from the metrics server's latest scrape."""
        return self.cluster.metrics.top_nodes()

    def ingress_route(self, host, path="/"):
        """Where the ingress controller sends `http://host/path`: a Route, or None for its 404."""
        return route(self.cluster.controllers["ingress"].served(), host, path)

    def resolve(self, name, namespace=None):
        """Cluster DNS, as a pod in `namespace` would look `name` up: (the name that answered, records)."""
        return self.cluster.dns.resolve(name, namespace or self.namespace)

    def machine_powered(self, node):
        return self.cluster.machine(node).powered

    def control_plane(self):
        """The control-plane machines' processes, etcd's quorum and the leaders (ControlPlane.status)."""
        return self.cluster.control_plane.status()

    def proxy_rules(self, node):
        """The Service rules kube-proxy on `node` has programmed (frozen if the machine is off)."""
        return self.cluster.machine(node).kube_proxy.rules()


def three_way_merge_patch(last_applied: dict, desired: dict) -> dict:
    """A patch that sets everything in `desired` and removes what `last_applied` had and `desired`
    dropped (kubectl apply's three-way rule; lists are given whole and merged by the patch strategy)."""
    body: dict = {}
    for key, value in desired.items():
        old = last_applied.get(key)
        body[key] = three_way_merge_patch(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
    for key in last_applied:
        if key not in desired:
            body[key] = None
    return body


def apply_all(client: Client, docs: Iterable[dict], namespace: str | None = None) -> list[dict]:
    return [client.apply(doc, namespace) for doc in docs]
