"""kubelet: registers its Node, renews its Lease, and runs the pods bound to it through the container runtime."""

from __future__ import annotations

import uuid

from ..api import errors
from ..api.defaults import image_pull_policy
from ..api.errors import ApiError
from ..clock import rfc3339, rfc3339_micro
from ..context import Context
from ..events import EventRecorder
from ..quantity import cpu_millis, to_bytes
from . import behaviour, podconfig, prober, registry
from .runtime import (EXITED, RUNNING, RUNTIME_VERSION, Container, ContainerRuntime, Program, Timers, normalize_image,
                      program_of)

KUBELET_VERSION = "v1.35.0"
OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"
KERNEL_VERSION = "6.8.0-60-generic"
NODE_LEASE_NAMESPACE = "kube-node-lease"
EPHEMERAL_STORAGE = "100Gi"
PLEG_RELIST_PERIOD = 1.0     # the kubelet notices a container exit at its next relist
FAILED_PULL_SECONDS = 0.5
POD_WORKER_BACKOFF = 10.0    # a pod sync that failed (missing config, unmountable volume) is retried this much later
MIN_GRACE_PERIOD = 2         # minimumGracePeriodInSeconds: a container always gets this long to stop
MAX_NODE_IMAGES = 50         # nodeStatusMaxImages
POD_ATTACH_AND_MOUNT_TIMEOUT = 123.0  # podAttachAndMountTimeout (2m3s): then FailedMount, and the wait goes on
VOLUME_RETRY_PERIOD = 1.0    # how often a pod waiting for its claims looks again (upstream polls every 0.3 s)
STATUS_SYNC_PERIOD = 10.0    # the status manager retries writes the API server refused this often
REGISTER_RETRY = 7.0         # registerWithAPIServer's longest backoff step

# (type, status, reason, message, event reason)
_NODE_CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available",
     "NodeHasSufficientMemory"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status", "NodeReady"),
)
# Without a podCIDR the CNI plugin has no configuration, so the runtime's network is not ready.
_NETWORK_NOT_READY = ("Ready", "False", "KubeletNotReady",
                      "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                      "message:Network plugin returns error: cni plugin not initialized", "NodeNotReady")
# Pod status fields the kubelet owns; everything else in status is kept as the API has it.
_KUBELET_STATUS_FIELDS = frozenset({"phase", "conditions", "hostIP", "hostIPs", "podIP", "podIPs", "startTime",
                                    "initContainerStatuses", "containerStatuses", "reason", "message"})
_KUBELET_CONDITIONS = frozenset({"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                 "PodScheduled"})

STARTED, SKIPPED, BLOCKED = "started", "skipped", "blocked"


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String(): `200ms`, `1.5s`, `40s`, `2m40s`, `5m0s`, `1h0m0s`."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000, 3):g}ms"
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{hours}h" if hours else ""
    if hours or minutes:
        text += f"{minutes}m"
    return text + f"{rest / 1000:g}s"


def pod_requests(spec: dict) -> tuple[int, int]:
    """Effective (cpu millicores, memory bytes) requests: regular containers and sidecars together,
    or the largest init container if that is more, plus the pod overhead."""
    def of(c: dict) -> tuple[int, int]:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        cpu, mem = req.get("cpu", lim.get("cpu")), req.get("memory", lim.get("memory"))
        try:
            return (cpu_millis(cpu) if cpu is not None else 0), (to_bytes(mem) if mem is not None else 0)
        except ValueError:
            return 0, 0

    cpu = mem = init_cpu = init_mem = 0
    for c in spec.get("containers") or ():
        a, b = of(c)
        cpu, mem = cpu + a, mem + b
    for c in spec.get("initContainers") or ():
        a, b = of(c)
        if c.get("restartPolicy") == "Always":
            cpu, mem = cpu + a, mem + b
        else:
            init_cpu, init_mem = max(init_cpu, a), max(init_mem, b)
    overhead = spec.get("overhead") or {}
    extra_cpu, extra_mem = of({"resources": {"requests": overhead}})
    return max(cpu, init_cpu) + extra_cpu, max(mem, init_mem) + extra_mem


def _should_restart(restart_policy: str, exit_code: int | None) -> bool:
    return restart_policy == "Always" or (restart_policy == "OnFailure" and exit_code != 0)


def _terminated(c: Container) -> dict:
    term = {"containerID": f"containerd://{c.id}", "exitCode": c.exit_code,
            "finishedAt": rfc3339(c.finished_at) if c.finished_at is not None else None, "reason": c.reason,
            "startedAt": rfc3339(c.started_at) if c.started_at is not None else None}
    if c.message:
        term["message"] = c.message
    return term


def _unchanged(prev: dict | None, new: dict) -> dict:
    """`prev` when `new` is the same value (keys in the same order, so it serializes the same): an
    unchanged condition is shared between a pod's versions instead of being stored again."""
    if prev is not None and prev == new and list(prev) == list(new):
        return prev
    return new


def pod_phase(spec: dict, init_statuses: list[dict], statuses: list[dict], initialized: bool,
              pod_is_terminal: bool) -> str:
    """The kubelet's getPhase: Pending until initialized and every container started, Running while
    any runs or will be restarted, Succeeded/Failed once all are done for good."""
    restart_policy = spec.get("restartPolicy") or "Always"
    sidecars = {c["name"] for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"}
    for s in init_statuses:
        if s["name"] in sidecars:
            continue
        term = s["state"].get("terminated") or (s["lastState"].get("terminated") if "waiting" in s["state"] else None)
        if term is not None and term["exitCode"] != 0 and restart_policy == "Never":
            return "Failed"
    if not initialized:
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for s in statuses:
        state = s["state"]
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"]["exitCode"] == 0
        elif s["lastState"].get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if restart_policy == "Never" else "Running"
    return "Pending"


class _ContainerState:
    """The kubelet's view of one container of a pod across its restarts."""

    __slots__ = ("name", "spec", "init", "sidecar", "field_path", "current", "dead", "last_terminated", "waiting",
                 "starting", "pulled", "env", "probes")

    def __init__(self, spec: dict, init: bool):
        self.name = spec["name"]
        self.spec = spec
        self.init = init
        self.sidecar = init and spec.get("restartPolicy") == "Always"
        self.field_path = f"spec.{'initContainers' if init else 'containers'}{{{self.name}}}"
        self.current: Container | None = None   # the latest attempt
        self.dead: Container | None = None      # the attempt before it, kept for `crictl ps -a`
        self.last_terminated: dict | None = None
        self.waiting: tuple[str, str] | None = None  # CrashLoopBackOff, ErrImageNeverPull
        self.starting = False
        self.pulled = False
        self.env: list[tuple[str, str]] = []  # resolved when the container last started (env does not follow edits)
        self.probes: dict[str, list] = {}  # probe kind -> [successes, failures, result] for the current container


def _ports(spec: dict) -> set[tuple[int, str]]:
    return {(p.get("containerPort"), p.get("protocol", "TCP")) for p in spec.get("ports") or ()}


def _port_clash(w: "_PodWorker", cs: _ContainerState) -> Program | None:
    """The containers of a pod share one network namespace (one IP, one `localhost`): a process that binds a
    port another running container of the pod holds fails at once, as on a real node."""
    taken = set()
    for other in w.containers:
        if other is not cs and other.current is not None and other.current.state == RUNNING:
            taken |= _ports(other.spec)
    clash = sorted(_ports(cs.spec) & taken)
    if not clash:
        return None
    port, protocol = clash[0]
    return Program(0.0, 1, True, (f"listen {protocol.lower()} 0.0.0.0:{port}: bind: address already in use",))


def _annotated(w: "_PodWorker", cs: _ContainerState) -> Program | None:
    """A `sim.kubetui.io/crash-after` process: runs as its command would, then exits with the given code."""
    crash = behaviour.crash(w.pod, cs.name)
    if crash is None:
        return None
    seconds, code = crash
    base = program_of(cs.spec)
    return Program(seconds, code, base.obeys_sigterm,
                   base.output + (f"simulated crash after {seconds:g}s (exit code {code})",))


class _PodWorker:
    """One pod on this node: its sandbox, containers and the one status the kubelet reports for it."""

    __slots__ = ("key", "uid", "pod", "init", "app", "sandbox", "admitted", "requests", "rejected", "initialized",
                 "terminal", "terminating", "removed", "done", "busy", "flush_pending", "sync_pending", "start_time",
                 "volumes_ready", "mount_wait_since", "mount_retry")

    def __init__(self, pod: dict, now: str):
        meta = pod["metadata"]
        spec = pod["spec"]
        self.key = f"{meta['namespace']}/{meta['name']}"
        self.uid = meta["uid"]
        self.pod = pod
        self.init = [_ContainerState(c, True) for c in spec.get("initContainers") or ()]
        self.app = [_ContainerState(c, False) for c in spec.get("containers") or ()]
        self.sandbox = None
        self.admitted = False
        self.requests = (0, 0)
        self.rejected: tuple[str, str] | None = None
        self.initialized = not self.init
        self.terminal = False
        self.terminating = False
        self.removed = False
        self.done = False
        self.busy = False
        self.flush_pending = False
        self.sync_pending = False
        self.start_time = (pod.get("status") or {}).get("startTime") or now
        self.volumes_ready = False
        self.mount_wait_since: float | None = None
        self.mount_retry = False

    @property
    def containers(self) -> list[_ContainerState]:
        return self.init + self.app

    def describe(self) -> str:
        """format.Pod: `name_namespace(uid)`."""
        meta = self.pod["metadata"]
        return f"{meta['name']}_{meta['namespace']}({self.uid})"


class Kubelet:
    """The node agent of one machine. Public reads for the UI: `allocated()`, `capacity`, `logs()`."""

    def __init__(self, ctx: Context, config, runtime: ContainerRuntime, timers: Timers, node_ip: str, api=None):
        self.ctx = ctx
        self.api = api or ctx.api  # the machine's link to the API server
        self.clock = ctx.clock
        self.profile = ctx.profile
        self.config = config
        self.node_name = config.name
        self.runtime = runtime
        runtime.on_exit = self._on_container_exit
        self.timers = timers
        self.node_ip = node_ip
        self._host_ips = [{"ip": node_ip}]  # shared by every pod status this kubelet writes (frozen)
        self.recorder = EventRecorder(self.api, "kubelet", host=config.name)
        self.capacity = {"cpu": cpu_millis(config.cpu), "memory": to_bytes(config.memory), "pods": int(config.pods)}
        self.machine_id = f"{ctx.rng.getrandbits(128):032x}"
        self.system_uuid = str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))
        self.boot_id: str | None = None
        self.running = False
        self._watch = None
        self._workers: dict[str, _PodWorker] = {}
        self._by_uid: dict[str, _PodWorker] = {}
        self._backoff: dict[tuple[str, str], tuple[float, float]] = {}  # (uid, container) -> (delay, last update)
        self._pull_backoff: dict[tuple[str, str], tuple[float, float]] = {}  # (uid, container) -> (delay, until)
        self._allocated = [0, 0, 0]  # cpu millicores, memory bytes, pods
        self._pull_free_at = 0.0
        self._pulls: dict[str, list] = {}  # image ref -> [duration, waiters]
        self._waiting_for_network: dict[str, _PodWorker] = {}
        self._last_report = float("-inf")
        self._posted_images = -1
        self._images_cache: tuple[int, list[dict]] = (-1, [])

    # -- reads for the UI ------------------------------------------------------------------------

    def allocated(self) -> dict[str, int]:
        """Requests of the pods admitted here and not finished: cpu (millicores), memory (bytes), pods."""
        cpu, mem, pods = self._allocated
        return {"cpu": cpu, "memory": mem, "pods": pods}

    def logs(self, namespace: str, pod: str, container: str | None = None) -> str:
        w = self._workers.get(f"{namespace}/{pod}")
        if w is None:
            raise errors.bad_request(f'pod "{pod}" is not running on node "{self.node_name}"')
        cs = self._pick_container(w, pod, container)
        if cs.current is None:
            reason = cs.waiting[0] if cs.waiting else "ContainerCreating"
            raise errors.bad_request(f'container "{cs.name}" in pod "{pod}" is waiting to start: {reason}')
        lines = cs.current.logs
        return "".join(line + "\n" for line in lines)

    def running_container(self, namespace: str, pod: str, container: str | None) -> tuple[str, str]:
        """(name, id) of the pod's running container, for `kubectl exec`."""
        w = self._workers.get(f"{namespace}/{pod}")
        if w is None or w.done:
            raise errors.bad_request(f'pod "{pod}" is not running on node "{self.node_name}"')
        cs = self._pick_container(w, pod, container)
        if cs.current is None or cs.current.state != RUNNING:
            raise errors.bad_request(f"unable to upgrade connection: container not found (\"{cs.name}\")")
        return cs.name, cs.current.id

    def serving(self, pod: str | None, namespace: str) -> bool:
        """Whether the pod's application answers a connection: one of its app containers is running."""
        w = self._workers.get(f"{namespace}/{pod}")
        return (self.running and w is not None and not w.done
                and any(cs.current is not None and cs.current.state == RUNNING for cs in w.app))

    def crash_container(self, namespace: str, pod: str, container: str | None = None) -> None:
        w = self._workers.get(f"{namespace}/{pod}")
        if w is None or w.done:
            raise errors.not_found("pods", "", pod)
        cs = self._pick_container(w, pod, container)
        if cs.current is None or cs.current.state != RUNNING:
            raise errors.bad_request(f'container "{cs.name}" in pod "{pod}" is not running')
        self.runtime.exit_container(cs.current, 1)

    def _pick_container(self, w: _PodWorker, pod: str, name: str | None) -> _ContainerState:
        if name is None:
            if len(w.app) == 1:
                return w.app[0]
            names = " ".join(cs.name for cs in w.app)
            raise errors.bad_request(f"a container name must be specified for pod {pod}, choose one of: [{names}]")
        for cs in w.containers:
            if cs.name == name:
                return cs
        raise errors.bad_request(f"container {name} is not valid for pod {pod}")

    # -- power -----------------------------------------------------------------------------------

    def start(self) -> None:
        """The kubelet process starts (machine boot): register, heartbeat, and pick up its pods."""
        self.running = True
        self.boot_id = str(uuid.UUID(int=self.ctx.rng.getrandbits(128), version=4))
        self._pull_free_at = self.clock.now
        self._last_report = float("-inf")
        existing = self.api.try_get("nodes", self.node_name)
        self.recorder.event(existing or self._node_ref(), "Normal", "Starting", "Starting kubelet.")
        self._register()
        self._renew_lease()
        self.timers.later(self.profile.node_status_update_frequency, self._sync_node_status, daemon=True)
        selector = f"spec.nodeName={self.node_name}"
        pods, _ = self.api.list("pods", field_selector=selector)
        self._watch = self.api.watch("pods", self._on_pod_event, field_selector=selector)
        pods.sort(key=lambda p: (p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))
        for pod in pods:
            self._add_worker(pod)
        for uid in self.runtime.pod_uids() - set(self._by_uid):
            self.runtime.remove_pod(uid)

    def stop(self) -> None:
        """The kubelet process dies with its machine: no more writes of any kind."""
        self.running = False
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self._workers.clear()
        self._by_uid.clear()
        self._backoff.clear()
        self._pull_backoff.clear()
        self._pulls.clear()
        self._waiting_for_network.clear()
        self._allocated = [0, 0, 0]

    def resync(self) -> None:
        """Back in touch with the API server after a partition: relist this node's pods, as a broken
        watch's reflector does, so pods deleted or changed meanwhile are acted on (and new ones started)."""
        if not self.running:
            return
        pods, _ = self.api.list("pods", field_selector=f"spec.nodeName={self.node_name}")
        listed = {p["metadata"]["uid"] for p in pods}
        for w in [w for w in self._by_uid.values() if w.uid not in listed and not w.removed]:
            self._on_pod_event("DELETED", w.pod, None)
        for pod in pods:
            self._on_pod_event("MODIFIED", pod, None)

    # -- node registration, status and lease -----------------------------------------------------

    def _register(self) -> None:
        if not self.running:
            return
        existing = self.api.try_get("nodes", self.node_name)
        status = self._node_status(existing)
        try:
            if existing is None:
                labels = {**self._default_labels(), **self.config.labels}
                node = {"apiVersion": "v1", "kind": "Node",
                        "metadata": {"name": self.node_name, "labels": labels,
                                     "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                                     "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                        "spec": {"taints": [dict(t) for t in self.config.taints]} if self.config.taints else {},
                        "status": status}
                node = self.api.create("nodes", node, field_validation="Ignore")
            else:
                labels = existing["metadata"].get("labels") or {}
                defaults = self._default_labels()
                if any(labels.get(k) != v for k, v in defaults.items()):
                    existing = self.api.update(
                        "nodes", {**existing, "metadata": {**existing["metadata"], "labels": {**labels, **defaults}}},
                        field_validation="Ignore")
                node = self.api.update_status("nodes", {**existing, "status": status})
                old_boot = ((existing.get("status") or {}).get("nodeInfo") or {}).get("bootID")
                if old_boot and old_boot != self.boot_id:
                    self.recorder.event(node, "Warning", "Rebooted",
                                        f"Node {self.node_name} has been rebooted, boot id: {self.boot_id}")
        except ApiError as exc:
            self.ctx.record_error("kubelet", self.node_name, exc)
            self.timers.later(REGISTER_RETRY, self._register, daemon=True)
            return
        self._last_report = self.clock.now
        self._posted_images = self.runtime.images_version
        self._condition_events(node, existing)
        self.recorder.event(node, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")

    def _node_ref(self) -> dict:
        return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.node_name, "uid": self.node_name}}

    def _default_labels(self) -> dict[str, str]:
        return {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": self.node_name, "kubernetes.io/os": "linux"}

    @staticmethod
    def _conditions(node: dict | None) -> tuple:
        """The node conditions to report: all healthy, except Ready while the node has no podCIDR
        (a node not registered yet is given the benefit of the doubt)."""
        if node is None or (node.get("spec") or {}).get("podCIDR"):
            return _NODE_CONDITIONS
        return (*_NODE_CONDITIONS[:-1], _NETWORK_NOT_READY)

    def _condition_events(self, posted: dict, previous: dict | None) -> None:
        """An event for each condition that changed with this status update (computed from `previous`)."""
        conditions = ((previous or {}).get("status") or {}).get("conditions") or ()
        before = {c.get("type"): c.get("status") for c in conditions}
        for type_, status, _, _, event in self._conditions(previous):
            if before.get(type_) != status:
                self.recorder.event(posted, "Normal", event, f"Node {self.node_name} status is now: {event}")

    def _node_status(self, node: dict | None) -> dict:
        now = rfc3339(self.clock.now)
        old = {c.get("type"): c for c in ((node or {}).get("status") or {}).get("conditions") or ()}
        conditions = []
        for type_, status, reason, message, _ in self._conditions(node):
            prev = old.get(type_)
            since = prev.get("lastTransitionTime", now) if prev is not None and prev.get("status") == status else now
            conditions.append({"type": type_, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": since,
                               "reason": reason, "message": message})
        cfg = self.config
        resources = {"cpu": str(cfg.cpu), "ephemeral-storage": EPHEMERAL_STORAGE, "hugepages-1Gi": "0",
                     "hugepages-2Mi": "0", "memory": str(cfg.memory), "pods": str(cfg.pods)}
        return {
            "addresses": [{"type": "InternalIP", "address": self.node_ip},
                          {"type": "Hostname", "address": self.node_name}],
            "allocatable": dict(resources),
            "capacity": resources,
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": self._node_images(),
            "nodeInfo": {"architecture": "amd64", "bootID": self.boot_id, "containerRuntimeVersion": RUNTIME_VERSION,
                         "kernelVersion": KERNEL_VERSION, "kubeletVersion": KUBELET_VERSION,
                         "kubeProxyVersion": "",  # deprecated, no longer filled, still serialized
                         "machineID": self.machine_id, "operatingSystem": "linux", "osImage": OS_IMAGE,
                         "systemUUID": self.system_uuid},
        }

    def _node_images(self) -> list[dict]:
        version, cached = self._images_cache
        if version != self.runtime.images_version:
            images = sorted(self.runtime.images.values(), key=lambda i: (-i.size, i.ref))[:MAX_NODE_IMAGES]
            cached = [{"names": [i.repo_digest, i.ref], "sizeBytes": i.size} for i in images]
            self._images_cache = (self.runtime.images_version, cached)
        return cached

    def _sync_node_status(self) -> None:
        """Every nodeStatusUpdateFrequency: post the status if it changed, or every nodeStatusReportFrequency."""
        self.timers.later(self.profile.node_status_update_frequency, self._sync_node_status, daemon=True)
        node = self.api.try_get("nodes", self.node_name)
        if node is None:
            return
        if self._waiting_for_network and (node.get("spec") or {}).get("podCIDR"):
            waiting, self._waiting_for_network = self._waiting_for_network, {}
            for w in waiting.values():
                self._request_sync(w)
        now = self.clock.now
        conditions = {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or ()}
        changed = (self._posted_images != self.runtime.images_version
                   or any(conditions.get(t) != s for t, s, *_ in self._conditions(node)))
        if not changed and now - self._last_report < self.profile.node_status_report_frequency:
            return
        try:
            posted = self.api.update_status("nodes", {**node, "status": self._node_status(node)})
        except ApiError as exc:
            self.ctx.record_error("kubelet", self.node_name, exc)
            return
        self._last_report = now
        self._posted_images = self.runtime.images_version
        self._condition_events(posted, node)

    def _renew_lease(self) -> None:
        """The node lease controller: create or renew kube-node-lease/<node> every renew interval."""
        self.timers.later(self.profile.node_lease_renew_interval, self._renew_lease, daemon=True)
        spec = {"holderIdentity": self.node_name, "leaseDurationSeconds": int(self.profile.node_lease_duration),
                "renewTime": rfc3339_micro(self.clock.now)}
        lease = self.api.try_get("leases", self.node_name, NODE_LEASE_NAMESPACE)
        try:
            if lease is None:
                meta: dict = {"name": self.node_name, "namespace": NODE_LEASE_NAMESPACE}
                node = self.api.try_get("nodes", self.node_name)
                if node is not None:
                    meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node_name,
                                                "uid": node["metadata"]["uid"]}]
                self.api.create("leases", {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                           "metadata": meta, "spec": spec}, NODE_LEASE_NAMESPACE,
                                field_validation="Ignore")
            else:
                self.api.update("leases", {**lease, "spec": {**lease.get("spec", {}), **spec}}, NODE_LEASE_NAMESPACE,
                                field_validation="Ignore")
        except ApiError as exc:
            self.ctx.record_error("kubelet", self.node_name, exc)

    # -- pod workers -----------------------------------------------------------------------------

    def _on_pod_event(self, type_: str, pod: dict, old: dict | None) -> None:
        """Watch handler: only records the change and wakes the pod's worker."""
        meta = pod["metadata"]
        w = self._by_uid.get(meta["uid"])
        if type_ == "DELETED":
            if w is not None:
                w.removed = True
                if w.done:
                    self._forget(w)
                else:
                    self._request_sync(w)
            return
        if w is None:
            self._add_worker(pod)
            return
        w.pod = pod
        if meta.get("deletionTimestamp") and not w.terminating:
            self._request_sync(w)

    def _add_worker(self, pod: dict) -> None:
        w = _PodWorker(pod, rfc3339(self.clock.now))
        previous = self._workers.get(w.key)
        if previous is not None:  # an earlier pod of that name, still being torn down
            previous.removed = True
        self._workers[w.key] = w
        self._by_uid[w.uid] = w
        by_name = {cs.name: cs for cs in w.containers}
        for c in sorted(self.runtime.pod_containers(w.uid), key=lambda c: c.attempt):
            cs = by_name.get(c.name)
            if cs is None:
                continue
            if cs.current is not None:
                cs.last_terminated = _terminated(cs.current)
                cs.dead = cs.current
            cs.current = c
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            w.terminal = True
        self._request_sync(w)

    def _forget(self, w: _PodWorker) -> None:
        self._by_uid.pop(w.uid, None)
        self._waiting_for_network.pop(w.uid, None)
        for cs in w.containers:
            self._backoff.pop((w.uid, cs.name), None)
            self._pull_backoff.pop((w.uid, cs.name), None)
        if self._workers.get(w.key) is w:
            del self._workers[w.key]

    def _request_sync(self, w: _PodWorker) -> None:
        if not w.sync_pending:
            w.sync_pending = True
            self.timers.later(0, self._sync, w)

    def _mark_dirty(self, w: _PodWorker) -> None:
        if not w.flush_pending:
            w.flush_pending = True
            self.timers.later(0, self._flush, w)

    def _event(self, w: _PodWorker, type_: str, reason: str, message: str, field_path: str | None = None) -> None:
        self.recorder.event(w.pod, type_, reason, message, field_path)

    def _sync(self, w: _PodWorker) -> None:
        """SyncPod: move the pod one step towards its spec (or towards gone, when it is being deleted)."""
        w.sync_pending = False
        if w.done or not self.running:
            return
        if w.removed or w.pod["metadata"].get("deletionTimestamp"):
            self._terminate(w)
            return
        if w.terminal:
            self._mark_dirty(w)
            return
        if w.busy:
            return
        if not w.admitted and not self._admit(w):
            return
        if not w.volumes_ready and not self._volumes_ready(w):
            self._mark_dirty(w)
            return
        if w.sandbox is None and not self._config_volumes_ready(w):
            return
        if (w.sandbox is None or not w.sandbox.ready) and not self._create_sandbox(w):
            self._mark_dirty(w)
            return
        to_start: list[_ContainerState] = []
        if self._sync_init_containers(w, to_start):
            restart_policy = w.pod["spec"].get("restartPolicy") or "Always"
            for cs in w.app:
                c = cs.current
                if cs.starting or (c is not None and c.state == RUNNING):
                    continue
                if c is not None and c.state == EXITED and not _should_restart(restart_policy, c.exit_code):
                    continue
                result = self._prepare_start(w, cs)
                if result == STARTED:
                    to_start.append(cs)
                elif result == BLOCKED:
                    break
        if to_start:
            self.timers.later(self.profile.container_start_seconds, self._start_containers, w, to_start)
        self._mark_dirty(w)

    def _config_volumes_ready(self, w: _PodWorker) -> bool:
        """The volume manager mounts a pod's volumes before its sandbox starts; a missing ConfigMap or Secret
        keeps the pod in ContainerCreating, retried (and reported) until it appears."""
        missing = podconfig.unmountable_volume(self.api, w.pod["metadata"]["namespace"], w.pod)
        if missing is None:
            return True
        volume, error = missing
        self._event(w, "Warning", "FailedMount", f'MountVolume.SetUp failed for volume "{volume}" : {error}')
        self.timers.later(POD_WORKER_BACKOFF, self._request_sync, w, daemon=True)
        self._mark_dirty(w)
        return False

    def _sync_init_containers(self, w: _PodWorker, to_start: list[_ContainerState]) -> bool:
        """Run init containers one at a time; True once all have completed (sidecars: started)."""
        if w.initialized:
            return True
        restart_policy = w.pod["spec"].get("restartPolicy") or "Always"
        sandbox_id = w.sandbox.id
        for cs in w.init:
            c = cs.current
            current = c is not None and c.sandbox_id == sandbox_id
            if cs.starting:
                return False
            if cs.sidecar:
                if current and c.state == RUNNING:
                    continue
            else:
                if current and c.state == EXITED and c.exit_code == 0:
                    continue
                if current and c.state == RUNNING:
                    return False
                if current and c.state == EXITED and restart_policy == "Never":
                    return False
            if self._prepare_start(w, cs) == STARTED:
                to_start.append(cs)
            return False
        w.initialized = True
        return True

    def _admit(self, w: _PodWorker) -> bool:
        """Kubelet admission: the pod must fit in what is left of the node's allocatable resources."""
        cpu, mem = pod_requests(w.pod["spec"])
        used_cpu, used_mem, used_pods = self._allocated
        cap = self.capacity
        problem = None
        if cpu and used_cpu + cpu > cap["cpu"]:
            problem = ("cpu", cpu, used_cpu, cap["cpu"])
        elif mem and used_mem + mem > cap["memory"]:
            problem = ("memory", mem, used_mem, cap["memory"])
        elif used_pods + 1 > cap["pods"]:
            problem = ("pods", 1, used_pods, cap["pods"])
        if problem is not None:
            name, requested, used, capacity = problem
            message = (f"Node didn't have enough resource: {name}, requested: {requested}, used: {used}, "
                       f"capacity: {capacity}")
            w.rejected = (f"OutOf{name}", message)
            w.terminal = True
            self._event(w, "Warning", f"OutOf{name}", message)
            self._mark_dirty(w)
            return False
        w.admitted = True
        w.requests = (cpu, mem)
        self._allocated = [used_cpu + cpu, used_mem + mem, used_pods + 1]
        return True

    def _volumes_ready(self, w: _PodWorker) -> bool:
        """WaitForAttachAndMount: a claim's volume can be mounted once the claim is Bound. Until then
        the pod waits in ContainerCreating, with a FailedMount event every 2m3s."""
        meta = w.pod["metadata"]
        waiting = []
        for vol in w.pod["spec"].get("volumes") or ():
            source = vol.get("persistentVolumeClaim")
            if source is None:
                continue
            claim = self.api.try_get("persistentvolumeclaims", source.get("claimName", ""), meta["namespace"])
            if (claim is None or claim["metadata"].get("deletionTimestamp") or not claim["spec"].get("volumeName")
                    or (claim.get("status") or {}).get("phase") != "Bound"):
                waiting.append(vol["name"])
        if not waiting:
            w.volumes_ready = True
            return True
        now = self.clock.now
        if w.mount_wait_since is None:
            w.mount_wait_since = now
        elif now - w.mount_wait_since >= POD_ATTACH_AND_MOUNT_TIMEOUT:
            names = " ".join(sorted(waiting))
            self._event(w, "Warning", "FailedMount", f"Unable to attach or mount volumes: unmounted volumes=[{names}], "
                        f"unattached volumes=[], failed to process volumes=[{names}]: context deadline exceeded")
            w.mount_wait_since = now
        if not w.mount_retry:
            # The kubelet does not watch claims: it looks again. As a daemon timer, a pod whose claim
            # never binds does not keep run_until_idle going.
            w.mount_retry = True
            self.timers.later(VOLUME_RETRY_PERIOD, self._retry_mount, w, daemon=True)
        return False

    def _retry_mount(self, w: _PodWorker) -> None:
        w.mount_retry = False
        self._request_sync(w)

    def _release(self, w: _PodWorker) -> None:
        if w.admitted:
            w.admitted = False
            cpu, mem = w.requests
            a = self._allocated
            self._allocated = [a[0] - cpu, a[1] - mem, a[2] - 1]

    def _create_sandbox(self, w: _PodWorker) -> bool:
        spec = w.pod["spec"]
        meta = w.pod["metadata"]
        old = self.runtime.pod_sandboxes(w.uid)
        restart_policy = spec.get("restartPolicy") or "Always"
        if old and restart_policy == "Never" and self.runtime.pod_containers(w.uid):
            return False  # a Never pod whose sandbox died is not re-created: its containers stay terminated
        host_network = bool(spec.get("hostNetwork"))
        cidr = None
        if not host_network:
            node = self.api.try_get("nodes", self.node_name)
            cidr = ((node or {}).get("spec") or {}).get("podCIDR")
            if not cidr:
                if w.uid not in self._waiting_for_network:
                    self._waiting_for_network[w.uid] = w  # woken by the next node status sync that finds one
                    self._event(w, "Warning", "NetworkNotReady", f"network is not ready: {_NETWORK_NOT_READY[3]}")
                return False
        if old:
            self._event(w, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
            for s in old:
                self.runtime.remove_pod_sandbox(s)
            w.initialized = not w.init
        attempt = old[-1].attempt + 1 if old else 0
        w.sandbox = self.runtime.run_pod_sandbox(w.uid, meta["namespace"], meta["name"], attempt, cidr,
                                                 self.node_ip if host_network else None)
        return True

    def _prepare_start(self, w: _PodWorker, cs: _ContainerState) -> str:
        """Back-off and image checks before (re)starting a container: STARTED, SKIPPED or BLOCKED (pulling)."""
        c = cs.current
        if c is not None and c.state == EXITED and c.sandbox_id == w.sandbox.id:
            remaining, delay = self._back_off(w, cs, c)
            if remaining > 0:
                message = f"back-off {go_duration(delay)} restarting failed container={cs.name} pod={w.describe()}"
                if cs.waiting != ("CrashLoopBackOff", message):
                    cs.waiting = ("CrashLoopBackOff", message)
                    self._event(w, "Warning", "BackOff",
                                f"Back-off restarting failed container {cs.name} in pod {w.describe()}", cs.field_path)
                    self.timers.later(remaining, self._request_sync, w, daemon=True,
                                      label=f"restart {w.key} container {cs.name}")
                return SKIPPED
        image = cs.spec.get("image") or ""
        policy = cs.spec.get("imagePullPolicy") or image_pull_policy(image)
        present = self.runtime.image_present(image)
        if policy == "Never" and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            if cs.waiting != ("ErrImageNeverPull", message):
                cs.waiting = ("ErrImageNeverPull", message)
                self._event(w, "Warning", "ErrImageNeverPull", message, cs.field_path)
            return SKIPPED
        if not cs.pulled and (policy == "Always" or not present):
            backoff = self._pull_backoff.get((w.uid, cs.name))
            if backoff is not None and self.clock.now < backoff[1]:
                message = f'Back-off pulling image "{image}"'
                if cs.waiting != ("ImagePullBackOff", message):
                    cs.waiting = ("ImagePullBackOff", message)
                    self._event(w, "Normal", "BackOff", message, cs.field_path)
                    self._event(w, "Warning", "Failed", "Error: ImagePullBackOff", cs.field_path)
                return SKIPPED
            self._pull(w, cs, image)
            return BLOCKED
        if not cs.pulled:
            self._event(w, "Normal", "Pulled",
                        f'Container image "{image}" already present on machine and can be accessed by the pod',
                        cs.field_path)
            cs.pulled = True
        try:
            cs.env = podconfig.container_env(self.api, w.pod["metadata"]["namespace"], w.pod, cs.spec)
        except podconfig.ConfigError as exc:
            cs.waiting = ("CreateContainerConfigError", str(exc))
            self._event(w, "Warning", "Failed", f"Error: {exc}", cs.field_path)
            # the pod worker retries a failed sync after its back-off period
            self.timers.later(POD_WORKER_BACKOFF, self._request_sync, w, daemon=True)
            return SKIPPED
        cs.pulled = False
        cs.waiting = None
        cs.starting = True
        return STARTED

    def _back_off(self, w: _PodWorker, cs: _ContainerState, c: Container) -> tuple[float, float]:
        """client-go's flowcontrol.Backoff as the kubelet uses it for crashed containers: seconds
        still to wait and the current delay. The first restart is immediate; each later one waits
        twice as long, up to the cap; a container that ran long enough starts over."""
        key = (w.uid, cs.name)
        now = self.clock.now
        finished = c.finished_at
        entry = self._backoff.get(key)
        expired = entry is not None and finished - entry[1] > self.profile.crashloop_reset_after
        if entry is not None and not expired and now - finished < entry[0]:
            return finished + entry[0] - now, entry[0]
        if entry is None or expired:
            delay = self.profile.crashloop_initial_backoff
        else:
            delay = min(entry[0] * 2, self.profile.crashloop_max_backoff)
        self._backoff[key] = (delay, now)
        return 0.0, delay

    def _pull(self, w: _PodWorker, cs: _ContainerState, image: str) -> None:
        """The image puller: pulls are serialized on the node; asking for an image already being
        pulled waits for that pull."""
        w.busy = True
        self._event(w, "Normal", "Pulling", f'Pulling image "{image}"', cs.field_path)
        ref = normalize_image(image)
        now = self.clock.now
        pull = self._pulls.get(ref)
        if pull is None:
            start = max(now, self._pull_free_at)
            # a reference the registry does not have fails at once; a real pull takes its time
            duration = (FAILED_PULL_SECONDS if registry.pull_error(image)
                        else self.runtime.pull_seconds(image, self.profile.image_pull_seconds))
            self._pull_free_at = start + duration
            pull = self._pulls[ref] = [duration, []]
            self.timers.later(start + duration - now, self._pull_done, ref, image)
        pull[1].append((w, cs, now, image))

    def _pull_done(self, ref: str, image: str) -> None:
        duration, waiters = self._pulls.pop(ref)
        error = registry.pull_error(image)
        if error is not None:
            self._pull_failed(waiters, error)
            return
        info = self.runtime.store_image(image)
        now = self.clock.now
        for w, cs, requested, text in waiters:
            if w.done or w.terminating:
                continue
            w.busy = False
            self._pull_backoff.pop((w.uid, cs.name), None)
            cs.pulled = True
            self._event(w, "Normal", "Pulled",
                        f'Successfully pulled image "{text}" in {go_duration(duration)} '
                        f'({go_duration(now - requested)} including waiting). Image size: {info.size} bytes.',
                        cs.field_path)
            self._request_sync(w)

    def _pull_failed(self, waiters: list, error: str) -> None:
        """ErrImagePull, then ImagePullBackOff until the image back-off (10 s doubling to 5 min) expires."""
        now = self.clock.now
        for w, cs, _, text in waiters:
            if w.done or w.terminating:
                continue
            w.busy = False
            key = (w.uid, cs.name)
            delay = self._pull_backoff.get(key, (registry.PULL_BACKOFF_INITIAL / 2, 0.0))[0] * 2
            delay = min(delay, registry.PULL_BACKOFF_MAX)
            self._pull_backoff[key] = (delay, now + delay)
            cs.waiting = ("ErrImagePull", error)
            self._event(w, "Warning", "Failed", f'Failed to pull image "{text}": {error}', cs.field_path)
            self._event(w, "Warning", "Failed", "Error: ErrImagePull", cs.field_path)
            self._mark_dirty(w)
            self.timers.later(PLEG_RELIST_PERIOD, self._request_sync, w, daemon=True)
            self.timers.later(delay, self._request_sync, w, daemon=True, label=f"retry pulling {text} for {w.key}")

    def _start_containers(self, w: _PodWorker, batch: list[_ContainerState]) -> None:
        """CreateContainer + StartContainer for the containers a sync decided to start."""
        if w.done or w.terminating:
            return
        resync = False
        for cs in batch:
            if not cs.starting:
                continue
            cs.starting = False
            prev = cs.current
            attempt = 0
            if prev is not None:
                attempt = prev.attempt + 1
                if cs.dead is not None:
                    self.runtime.remove_container(cs.dead)
                cs.dead = prev
                cs.last_terminated = _terminated(prev)
            c = self.runtime.create_container(w.sandbox, cs.name, cs.spec.get("image") or "", attempt,
                                              _port_clash(w, cs) or _annotated(w, cs) or program_of(cs.spec))
            cs.current = c
            self._event(w, "Normal", "Created", "Container created", cs.field_path)
            self.runtime.start_container(c)
            self._event(w, "Normal", "Started", "Container started", cs.field_path)
            self._start_probes(w, cs, c)
            resync = resync or cs.init
        if resync:
            self._request_sync(w)
        self._mark_dirty(w)

    def _on_container_exit(self, c: Container) -> None:
        """PLEG: the runtime reports a container exit."""
        w = self._by_uid.get(c.pod_uid)
        if w is None or w.done:
            return
        if w.terminating:
            self.timers.later(0, self._terminate, w)
        else:
            self.timers.later(PLEG_RELIST_PERIOD, self._request_sync, w)

    # -- termination -----------------------------------------------------------------------------

    def _terminate(self, w: _PodWorker) -> None:
        """Graceful termination: SIGTERM every running container, then, once all have stopped,
        report the final status and remove the pod from the API (grace period 0)."""
        if w.done:
            return
        if not w.terminating:
            w.terminating = True
            w.busy = False
            grace = w.pod["metadata"].get("deletionGracePeriodSeconds", 0) if not w.removed else 0
            for cs in w.app + w.init[::-1]:
                cs.starting = False
                c = cs.current
                if c is not None and c.state == RUNNING:
                    self._event(w, "Normal", "Killing", f"Stopping container {cs.name}", cs.field_path)
                    self.runtime.stop_container(c, max(grace, MIN_GRACE_PERIOD))
        if any(cs.current is not None and cs.current.state == RUNNING for cs in w.containers):
            return
        self._finish(w)

    def _finish(self, w: _PodWorker) -> None:
        w.done = True
        if w.sandbox is not None:
            self.runtime.stop_pod_sandbox(w.sandbox)
        self._release(w)
        if not w.removed:
            self._delete_pod(w, self._pod_status(w, pod_is_terminal=True))
        self.runtime.remove_pod(w.uid)
        self._forget(w)

    def _delete_pod(self, w: _PodWorker, status: dict) -> None:
        """The status manager's last word on a terminated pod: its final status, then delete it for good
        (retried while the API server refuses writes)."""
        if not self.running:
            return
        meta = w.pod["metadata"]
        try:
            self._write_status(w, status)
            self.api.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0,
                            preconditions={"uid": w.uid})
        except ApiError as exc:
            if exc.code not in (404, 409):
                self.ctx.record_error("kubelet", w.key, exc)
                self.timers.later(STATUS_SYNC_PERIOD, self._delete_pod, w, status, daemon=True)

    def _on_terminal(self, w: _PodWorker) -> None:
        """All containers are done for good (Succeeded/Failed): tear the sandbox down, free the resources."""
        w.terminal = True
        grace = w.pod["spec"].get("terminationGracePeriodSeconds", 30)
        for cs in w.init[::-1]:
            c = cs.current
            if cs.sidecar and c is not None and c.state == RUNNING:
                self._event(w, "Normal", "Killing", f"Stopping container {cs.name}", cs.field_path)
                self.runtime.stop_container(c, max(grace, MIN_GRACE_PERIOD))
        if w.sandbox is not None:
            self.runtime.stop_pod_sandbox(w.sandbox)
        self._release(w)

    # -- status ----------------------------------------------------------------------------------

    def _flush(self, w: _PodWorker) -> None:
        """The status manager: one write for everything that changed at this instant."""
        if w.sync_pending:
            self.timers.later(0, self._flush, w)
            return
        w.flush_pending = False
        if w.done or not self.running:
            return
        status = self._pod_status(w)
        if status["phase"] in ("Succeeded", "Failed") and not w.terminal:
            self._on_terminal(w)
            status = self._pod_status(w)
        try:
            self._write_status(w, status)
        except ApiError as exc:
            if exc.code == 409:
                self._mark_dirty(w)
            elif exc.code != 404:
                self.ctx.record_error("kubelet", w.key, exc)
                self.timers.later(STATUS_SYNC_PERIOD, self._mark_dirty, w, daemon=True)

    def _write_status(self, w: _PodWorker, status: dict) -> None:
        """PUT pods/status when something changed; a terminal phase is never taken back."""
        old = w.pod.get("status") or {}
        if status == old or (old.get("phase") in ("Succeeded", "Failed") and status["phase"] != old["phase"]):
            return
        self.api.update_status("pods", {**w.pod, "status": status})

    def _pod_status(self, w: _PodWorker, pod_is_terminal: bool = False) -> dict:
        """generateAPIPodStatus: phase, conditions, IPs and container statuses from the runtime's state."""
        old = w.pod.get("status") or {}
        status = {k: v for k, v in old.items() if k not in _KUBELET_STATUS_FIELDS}
        if w.rejected is not None:
            reason, message = w.rejected
            if "conditions" in old:
                status["conditions"] = old["conditions"]
            status.update(phase="Failed", reason=reason, message=f"Pod was rejected: {message}")
            return status
        now = rfc3339(self.clock.now)
        init_statuses = [self._container_status(w, cs) for cs in w.init]
        statuses = [self._container_status(w, cs) for cs in w.app]
        spec = w.pod["spec"]
        phase = pod_phase(spec, init_statuses, statuses, w.initialized, pod_is_terminal)
        sandbox_ready = w.sandbox is not None and w.sandbox.ready
        unready = [s["name"] for s in statuses if not s["ready"]]
        if phase == "Succeeded":
            containers_ready = ("False", "PodCompleted", "")
        elif unready:
            containers_ready = ("False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]")
        else:
            containers_ready = ("True", "", "")
        if w.initialized:
            initialized = ("True", "", "")
        else:
            pending = [cs.name for cs, s in zip(w.init, init_statuses)
                       if not (s["state"].get("terminated", {}).get("exitCode") == 0 or (cs.sidecar and s["started"]))]
            initialized = ("False", "ContainersNotInitialized",
                           f"containers with incomplete status: [{' '.join(pending)}]")
        old_conditions = old.get("conditions") or ()
        previous = {c.get("type"): c for c in old_conditions}
        conditions = []
        for type_, (value, reason, message) in (
                ("PodReadyToStartContainers", ("True" if sandbox_ready else "False", "", "")),
                ("Initialized", initialized), ("Ready", containers_ready), ("ContainersReady", containers_ready),
                ("PodScheduled", ("True", "", ""))):  # a pod the kubelet sees is scheduled
            prev = previous.get(type_)
            cond = {"type": type_, "status": value, "lastProbeTime": None,
                    "lastTransitionTime": prev.get("lastTransitionTime", now)
                    if prev is not None and prev.get("status") == value else now}
            if reason:
                cond["reason"] = reason
            if message:
                cond["message"] = message
            conditions.append(_unchanged(prev, cond))
        conditions.extend(c for c in old_conditions if c.get("type") not in _KUBELET_CONDITIONS)
        if len(conditions) == len(old_conditions) and all(a is b for a, b in zip(conditions, old_conditions)):
            conditions = old["conditions"]
        status["conditions"] = conditions
        status["hostIP"] = self.node_ip
        status["hostIPs"] = self._host_ips
        ip = w.sandbox.ip if w.sandbox is not None else old.get("podIP")
        if ip:
            status["podIP"] = ip
            status["podIPs"] = old["podIPs"] if old.get("podIP") == ip and "podIPs" in old else [{"ip": ip}]
        status["startTime"] = w.start_time
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        status["containerStatuses"] = statuses
        status["phase"] = phase
        return status

    def _container_status(self, w: _PodWorker, cs: _ContainerState) -> dict:
        c = cs.current
        if c is None:
            if cs.waiting is not None:
                waiting = {"reason": cs.waiting[0], "message": cs.waiting[1]}
            elif not cs.init and not w.initialized:
                waiting = {"reason": "PodInitializing"}
            else:
                waiting = {"reason": "ContainerCreating"}
            return {"image": cs.spec.get("image") or "", "imageID": "", "lastState": {}, "name": cs.name,
                    "ready": False, "restartCount": 0, "started": False, "state": {"waiting": waiting}}
        last = cs.last_terminated
        if c.state == RUNNING:
            state = {"running": {"startedAt": rfc3339(c.started_at)}}
        elif c.state == EXITED:
            term = _terminated(c)
            if cs.waiting is not None and not cs.starting:
                state = {"waiting": {"reason": cs.waiting[0], "message": cs.waiting[1]}}
                last = term
            else:
                state = {"terminated": term}
        else:
            state = {"waiting": {"reason": "ContainerCreating"}}
        return {"containerID": f"containerd://{c.id}", "image": c.image.ref, "imageID": c.image.repo_digest,
                "lastState": {"terminated": last} if last else {}, "name": cs.name,
                "ready": self._container_ready(cs), "restartCount": c.attempt,
                "started": c.state == RUNNING and cs.probes.get("startupProbe", [0, 0, True])[2],
                "state": state}

    def _container_ready(self, cs: _ContainerState) -> bool:
        """A container without a readiness probe is ready as soon as it runs (and its startup probe passed)."""
        return (cs.current is not None and cs.current.state == RUNNING
                and all(cs.probes[k][2] for k in ("startupProbe", "readinessProbe") if k in cs.probes))

    # -- probes ----------------------------------------------------------------------------------

    def _start_probes(self, w: _PodWorker, cs: _ContainerState, c: Container) -> None:
        cs.probes = {kind: [0, 0, False] for kind in prober.PROBES if cs.spec.get(kind)}
        for kind in cs.probes:
            delay = prober.settings(cs.spec[kind])[0]
            self.timers.later(delay, self._probe, w, cs, c, kind, daemon=True)

    def _probe(self, w: _PodWorker, cs: _ContainerState, c: Container, kind: str) -> None:
        """One probe run: thresholds turn results into Ready, or a restart for liveness and startup."""
        if w.done or w.terminating or cs.current is not c or c.state != RUNNING:
            return
        _, period, success_threshold, failure_threshold = prober.settings(cs.spec[kind])
        state = cs.probes[kind]
        startup = cs.probes.get("startupProbe")
        if kind != "startupProbe" and startup is not None and not startup[2]:
            self.timers.later(period, self._probe, w, cs, c, kind, daemon=True)
            return  # liveness and readiness wait for the startup probe
        if kind == "startupProbe" and state[2]:
            return  # a startup probe stops once it has succeeded
        ok, output = prober.run(kind, cs.spec[kind], w.pod, cs.spec, self.clock.now - c.started_at)
        if ok:
            state[0], state[1] = state[0] + 1, 0
            if not state[2] and state[0] >= (success_threshold if kind == "readinessProbe" else 1):
                state[2] = True
                self._mark_dirty(w)
        else:
            state[0], state[1] = 0, state[1] + 1
            self._event(w, "Warning", "Unhealthy", f"{prober.LABELS[kind]} probe failed: {output}", cs.field_path)
            if state[1] >= failure_threshold:
                if kind == "readinessProbe":
                    if state[2]:
                        state[2] = False
                        self._mark_dirty(w)
                else:
                    which = "liveness" if kind == "livenessProbe" else "startup"
                    self._event(w, "Normal", "Killing", f"Container {cs.name} failed {which} probe, will be restarted",
                                cs.field_path)
                    grace = w.pod["spec"].get("terminationGracePeriodSeconds", 30)
                    self.runtime.stop_container(c, max(grace, MIN_GRACE_PERIOD))
                    return
        self.timers.later(period, self._probe, w, cs, c, kind, daemon=True)
