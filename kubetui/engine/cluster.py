"""Wires a control plane and machines together on one clock, and offers the chaos verbs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import gcpolicy
from .api import errors, kinds, rbac
from .api.server import AdmissionConfig, APIServer
from .clock import Clock
from .dns import ClusterDNS
from .files import FileSystems
from .traffic import TrafficGenerator
from .context import Context
from .controlplane import ControlPlane
from .controllers.daemonset import DaemonSetController
from .controllers.deployment import DeploymentController
from .controllers.endpoints import EndpointsController
from .controllers.garbagecollector import GarbageCollector
from .controllers.horizontalpodautoscaler import HorizontalPodAutoscalerController
from .controllers.ingress import IngressController
from .controllers.job import JobController
from .controllers.namespace import NamespaceController
from .controllers.nodeipam import NodeIpamController
from .controllers.nodelifecycle import NodeLifecycleController
from .controllers.persistentvolume import PersistentVolumeController
from .controllers.podgc import PodGCController
from .controllers.provisioner import HostPathProvisioner, default_storage_class
from .controllers.pvcprotection import PVCProtectionController
from .controllers.pvprotection import PVProtectionController
from .controllers.replicaset import ReplicaSetController
from .controllers.replicationcontroller import ReplicationControllerController
from .controllers.resourcequota import ResourceQuotaController
from .controllers.service import ServiceController
from .controllers.serviceaccount import ServiceAccountController
from .controllers.serviceaccounttoken import ServiceAccountTokenController
from .controllers.statefulset import StatefulSetController
from .controllers.tainteviction import TaintEvictionController
from .controllers.ttlafterfinished import TTLAfterFinishedController
from .informer import InformerFactory
from .metrics import MetricsServer
from .node.machine import Machine
from .profiles import Profile, get_profile
from .scheduler.scheduler import Scheduler
from .store import Store
from .tokens import ClusterKeys


CONTROL_PLANE_ROLE = "control-plane"
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBERNETES_SERVICE_IP = "10.96.0.1"

# kube-controller-manager's controllers, in the order they start.
CONTROLLERS = (
    NodeIpamController, NodeLifecycleController, TaintEvictionController, PodGCController,
    NamespaceController, ServiceAccountController, ServiceAccountTokenController, GarbageCollector,
    ReplicationControllerController, ReplicaSetController, DeploymentController, EndpointsController,
    ServiceController, ResourceQuotaController, IngressController,
    PersistentVolumeController, PVCProtectionController, PVProtectionController, HostPathProvisioner,
    JobController, TTLAfterFinishedController, DaemonSetController, StatefulSetController,
    HorizontalPodAutoscalerController,
)


@dataclass
class NodeConfig:
    """A simulated machine: its capacity, labels and taints."""

    name: str
    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict] = field(default_factory=list)
    role: str = "worker"

    @property
    def control_plane(self) -> bool:
        return self.role == CONTROL_PLANE_ROLE


def default_nodes(workers: int = 3) -> list[NodeConfig]:
    return [NodeConfig("control-plane", role=CONTROL_PLANE_ROLE)] + [
        NodeConfig(f"worker-{i}") for i in range(1, workers + 1)]


class Cluster:
    """A whole cluster in one process: store, API server, scheduler, controllers and machines.

    Nothing here runs by itself: time moves only through `advance` / `run_until_idle` (or a live
    runner that calls them), so the same seed always gives the same history.
    """

    def __init__(self, nodes: list[NodeConfig] | None = None, profile: str | Profile = "fast", seed: int = 1,
                 controllers: tuple = CONTROLLERS):
        gcpolicy.for_cluster()
        self.profile = get_profile(profile) if isinstance(profile, str) else profile
        self.seed = seed
        self.clock = Clock()
        self.rng = random.Random(seed)
        self.store = Store(self.clock)
        self.api = APIServer(self.store, self.clock, self.rng,
                             AdmissionConfig(default_toleration_seconds=self.profile.default_toleration_seconds))
        self.informers = InformerFactory(self.api)
        self.dns = ClusterDNS(self.informers)
        self.traffic = TrafficGenerator(self)
        self.files = FileSystems(self.api, self.clock)
        self.ctx = Context(self.api, self.clock, self.informers, self.rng, self.profile)
        self.metrics = self.ctx.metrics = MetricsServer(self)
        self.control_plane = ControlPlane(self.ctx, self.store)
        self._bootstrap()
        self.ctx.keys = self.files.keys = ClusterKeys(self.api.get("namespaces", "kube-system")["metadata"]["uid"])
        self.controllers = {cls.name: cls(self.ctx) for cls in controllers}
        self.scheduler = Scheduler(self.ctx)
        self.machines: dict[str, Machine] = {}
        configs = list(nodes) if nodes is not None else default_nodes()
        if not any(c.control_plane for c in configs):
            configs.insert(0, NodeConfig("control-plane", role=CONTROL_PLANE_ROLE))
        for cfg in configs:
            self.add_node(cfg)
        self._last_compact_rev = self.store.revision
        self.clock.call_later(self.profile.compaction_interval, self._compact, daemon=True)

    def _bootstrap(self) -> None:
        for ns in SYSTEM_NAMESPACES:
            self.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        self.api.create("services", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": KUBERNETES_SERVICE_IP,
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
        })
        self.api.create("storageclasses", default_storage_class())  # as kind ships `standard`
        for obj in rbac.bootstrap_policy():
            self.api.create(kinds.for_object(obj).plural, obj)

    def _compact(self) -> None:
        """kube-apiserver compacts etcd every --etcd-compaction-interval, to the revision seen last time."""
        if self._last_compact_rev > self.store.compact_revision and self.store.quorum:
            self.store.compact(self._last_compact_rev)
        self._last_compact_rev = self.store.revision
        self.clock.call_later(self.profile.compaction_interval, self._compact, daemon=True)

    # -- time --------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.clock.now

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def run_until(self, when: float, max_events: int | None = None) -> bool:
        return self.clock.run_until(when, max_events)

    def run_until_idle(self, settle: float = 60.0, limit: float = 3600.0) -> float:
        return self.clock.run_until_idle(settle=settle, limit=limit)

    # -- machines and chaos ------------------------------------------------------------------

    def add_node(self, config: NodeConfig) -> Machine:
        """Rack a new machine and power it on: its kubelet registers the Node."""
        if config.name in self.machines:
            raise ValueError(f"node {config.name!r} already exists")
        if config.control_plane:
            config.labels = {"node-role.kubernetes.io/control-plane": "", **config.labels}
            if not any(t.get("key") == CONTROL_PLANE_TAINT["key"] for t in config.taints):
                config.taints = [dict(CONTROL_PLANE_TAINT), *config.taints]
        machine = Machine(self.ctx, config, self.control_plane if config.control_plane else None)
        self.machines[config.name] = machine
        machine.power_on()
        return machine

    def machine(self, name: str) -> Machine:
        try:
            return self.machines[name]
        except KeyError:
            raise errors.not_found("nodes", "", name) from None

    def kill_node(self, name: str) -> None:
        """Power the machine off. Nothing is written to the API: the control plane must notice."""
        self.machine(name).power_off()

    def restart_node(self, name: str) -> None:
        machine = self.machine(name)
        if not machine.powered:
            machine.power_on()

    def partition_node(self, name: str) -> None:
        """Cut the machine's kubelet and kube-proxy off from the API server; everything on it keeps running."""
        self.machine(name).partition()

    def heal_node(self, name: str) -> None:
        self.machine(name).heal()

    def kill_pod(self, namespace: str, name: str) -> dict:
        """`kubectl delete pod --now`: delete with a 1 s grace period."""
        return self.api.delete("pods", name, namespace, grace_period_seconds=1)

    def crash_container(self, namespace: str, pod: str, container: str | None = None) -> None:
        """Make a container of a running pod exit with an error; its kubelet reacts."""
        obj = self.api.get("pods", pod, namespace)
        node = obj["spec"].get("nodeName")
        if not node:
            raise errors.bad_request(f'pod "{pod}" is not running on a node')
        self.machine(node).crash_container(namespace, pod, container)
