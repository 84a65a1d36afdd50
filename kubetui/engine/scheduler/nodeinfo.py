"""The scheduler cache: per-node allocatable and requested totals in numpy arrays, kept current by informer events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..quantity import cpu_millis, to_bytes

DEFAULT_MILLI_CPU_REQUEST = 100              # schedutil.DefaultMilliCPURequest, for scoring only
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024   # schedutil.DefaultMemoryRequest
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")
_NZ_CPU, _NZ_MEM = "#nonzero-cpu", "#nonzero-memory"
CPU, MEM, PODS = 0, 1, 2   # rows of NodeTable's alloc / requested / nonzero matrices
_MISSING = -1


@dataclass(frozen=True, slots=True)
class PodResources:
    """What a pod asks of a node: requests (cpu in millicores, the rest in units), the
    non-zero requests used for scoring, and host ports as (ip, protocol, port)."""

    cpu: int
    mem: int
    nz_cpu: int
    nz_mem: int
    other: tuple[tuple[str, int], ...]
    ports: tuple[tuple[str, str, int], ...]


def _container_requests(container: dict) -> dict[str, int]:
    requests = (container.get("resources") or {}).get("requests") or {}
    out = {name: (cpu_millis(q) if name == "cpu" else to_bytes(q)) for name, q in requests.items()}
    out[_NZ_CPU] = out["cpu"] if "cpu" in requests else DEFAULT_MILLI_CPU_REQUEST
    out[_NZ_MEM] = out["memory"] if "memory" in requests else DEFAULT_MEMORY_REQUEST
    return out


def _add(acc: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        acc[name] = acc.get(name, 0) + value


def pod_resources(spec: dict) -> PodResources:
    """resourcehelper.PodRequests: containers summed; init containers run one at a time, so the pod
    needs the larger of the two; sidecars (restartable init containers) run alongside everything
    started after them; plus the pod overhead."""
    total: dict[str, int] = {}
    ports: list[tuple[str, str, int]] = []
    for c in spec.get("containers") or ():
        _add(total, _container_requests(c))
        _collect_ports(c, ports)
    sidecars: dict[str, int] = {}
    init_peak: dict[str, int] = {}
    for c in spec.get("initContainers") or ():
        reqs = _container_requests(c)
        if c.get("restartPolicy") == "Always":
            _add(total, reqs)
            _add(sidecars, reqs)
            _collect_ports(c, ports)
            current = dict(sidecars)
        else:
            current = dict(sidecars)
            _add(current, reqs)
        for name, value in current.items():
            if value > init_peak.get(name, 0):
                init_peak[name] = value
    for name, value in init_peak.items():
        if value > total.get(name, 0):
            total[name] = value
    for name, q in (spec.get("overhead") or {}).items():
        value = cpu_millis(q) if name == "cpu" else to_bytes(q)
        total[name] = total.get(name, 0) + value
        if name == "cpu":
            total[_NZ_CPU] = total.get(_NZ_CPU, 0) + value
        elif name == "memory":
            total[_NZ_MEM] = total.get(_NZ_MEM, 0) + value
    other = tuple(sorted(((k, v) for k, v in total.items() if k not in ("cpu", "memory", _NZ_CPU, _NZ_MEM) and v),
                         key=lambda kv: (kv[0] != "ephemeral-storage", kv[0])))
    return PodResources(total.get("cpu", 0), total.get("memory", 0), total.get(_NZ_CPU, 0),
                        total.get(_NZ_MEM, 0), other, tuple(ports))


def _collect_ports(container: dict, out: list) -> None:
    for p in container.get("ports") or ():
        host_port = p.get("hostPort") or 0
        if host_port > 0:
            out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", host_port))


def ports_conflict(used: dict[tuple[str, str, int], int], wanted: tuple[tuple[str, str, int], ...]) -> bool:
    """HostPortInfo.CheckConflict: same protocol and port, and the same IP or either is 0.0.0.0."""
    for ip, proto, port in wanted:
        if ip == "0.0.0.0":
            if any(k[1] == proto and k[2] == port for k in used):
                return True
        elif (ip, proto, port) in used or ("0.0.0.0", proto, port) in used:
            return True
    return False


def zone_key(labels: dict) -> str:
    """utilnode.GetZoneKey: region and zone, or "" when the node has neither."""
    zone = next((labels[k] for k in ZONE_LABELS if k in labels), "")
    region = next((labels[k] for k in REGION_LABELS if k in labels), "")
    return f"{region}:\x00:{zone}" if (region or zone) else ""


@dataclass(frozen=True, slots=True)
class TaintSet:
    """One distinct list of node taints; nodes share it by id."""

    taints: tuple[tuple[str, str, str], ...]   # (key, value, effect)

    @property
    def hard(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(t for t in self.taints if t[2] in ("NoSchedule", "NoExecute"))

    @property
    def soft(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(t for t in self.taints if t[2] == "PreferNoSchedule")


class PodEntry:
    """A pod counted on a node: its key, priority, resources and whether it is only assumed."""

    __slots__ = ("key", "priority", "res", "assumed", "node")

    def __init__(self, key: str, priority: int, res: PodResources, node: str, assumed: bool):
        self.key = key
        self.priority = priority
        self.res = res
        self.node = node
        self.assumed = assumed


@dataclass(frozen=True)
class NodeOrder:
    """The node list of one snapshot in node-tree order (zones interleaved): slots, names, and
    each slot's position in the list."""

    slots: np.ndarray
    names: tuple[str, ...]
    position: np.ndarray


class NodeTable:
    """Nodes in slots of parallel numpy arrays, so filters and scores run across all nodes at once.

    Requested totals follow the pods bound to each node (including assumed ones); pods are kept per
    node *name*, so pods of a node that is deleted and re-created are accounted again. Every event
    costs O(1) (plus one entry per cached label column); the node-tree order is rebuilt lazily.
    """

    def __init__(self, capacity: int = 64):
        self.cap = capacity
        self.count = 0
        self.names: list[str | None] = [None] * capacity
        self.nodes: list[dict | None] = [None] * capacity
        self.slot_of: dict[str, int] = {}
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        # Rows CPU (millicores), MEM (bytes), PODS; `nonzero` has the scoring requests (CPU, MEM).
        self.alloc = np.zeros((3, capacity), np.int64)
        self.requested = np.zeros((3, capacity), np.int64)
        self.nonzero = np.zeros((2, capacity), np.int64)
        self.alive = np.zeros(capacity, bool)
        # Change tracking for the scheduler's caches: `version[slot]` is the tick of the slot's last
        # change of any kind; `static_tick` moves when node facts (labels, taints, ...) change.
        self.version = np.zeros(capacity, np.int64)
        self.tick = 0
        self.static_tick = 0
        self.unschedulable = np.zeros(capacity, bool)
        self.taint_id = np.zeros(capacity, np.int32)
        self.has_ports = np.zeros(capacity, bool)
        self.alloc_other: list[dict[str, int]] = [{} for _ in range(capacity)]
        self.taint_sets: list[TaintSet] = [TaintSet(())]
        self._taint_set_ids: dict[tuple, int] = {(): 0}
        self.columns: dict[str, np.ndarray] = {}          # label key -> value id per slot (-1: missing)
        self.column_values: dict[str, dict[str, int]] = {}
        self.pods: dict[str, dict[str, PodEntry]] = {}    # node name -> pod key -> entry
        self.pod_node: dict[str, PodEntry] = {}           # pod key -> entry
        self.req_other: dict[str, dict[str, int]] = {}    # node name -> requested extended resources
        self.used_ports: dict[str, dict[tuple[str, str, int], int]] = {}
        self._zones: dict[str, dict[str, None]] = {}      # zone key -> node names, insertion order
        self._zone_of: dict[str, str] = {}
        self._order: NodeOrder | None = None
        self.grow_listeners: list = []

    # -- slots --------------------------------------------------------------------------------

    _ARRAYS = ("alive", "version", "unschedulable", "taint_id", "has_ports")
    _MATRICES = ("alloc", "requested", "nonzero")

    alloc_cpu = property(lambda self: self.alloc[CPU])
    alloc_mem = property(lambda self: self.alloc[MEM])
    alloc_pods = property(lambda self: self.alloc[PODS])
    req_cpu = property(lambda self: self.requested[CPU])
    req_mem = property(lambda self: self.requested[MEM])
    req_pods = property(lambda self: self.requested[PODS])

    def _grow(self) -> None:
        old = self.cap
        self.cap = new = old * 2
        for attr in self._ARRAYS:
            arr = getattr(self, attr)
            grown = np.zeros(new, arr.dtype)
            grown[:old] = arr
            setattr(self, attr, grown)
        for attr in self._MATRICES:
            arr = getattr(self, attr)
            grown = np.zeros((arr.shape[0], new), arr.dtype)
            grown[:, :old] = arr
            setattr(self, attr, grown)
        self._order = None
        for key, col in self.columns.items():
            grown = np.full(new, _MISSING, np.int32)
            grown[:old] = col
            self.columns[key] = grown
        self.names.extend([None] * old)
        self.nodes.extend([None] * old)
        self.alloc_other.extend({} for _ in range(old))
        self._free.extend(range(new - 1, old - 1, -1))
        for listener in self.grow_listeners:
            listener(new)

    def _changed(self, slot: int) -> None:
        self.tick += 1
        self.version[slot] = self.tick

    def _take_slot(self) -> int:
        if not self._free:
            self._grow()
        return self._free.pop()

    # -- nodes --------------------------------------------------------------------------------

    def set_node(self, node: dict) -> tuple[int, bool]:
        """Add or update a node; returns its slot and whether it is new."""
        name = node["metadata"]["name"]
        slot = self.slot_of.get(name)
        new = slot is None
        if new:
            slot = self._take_slot()
            self.slot_of[name] = slot
            self.names[slot] = name
            self.alive[slot] = True
            self.count += 1
        self.nodes[slot] = node
        alloc = (node.get("status") or {}).get("allocatable") or {}
        self.alloc[CPU, slot] = cpu_millis(alloc["cpu"]) if "cpu" in alloc else 0
        self.alloc[MEM, slot] = to_bytes(alloc["memory"]) if "memory" in alloc else 0
        self.alloc[PODS, slot] = to_bytes(alloc["pods"]) if "pods" in alloc else 0
        other = {k: to_bytes(v) for k, v in alloc.items() if k not in ("cpu", "memory", "pods")}
        self.alloc_other[slot] = other
        spec = node.get("spec") or {}
        self.unschedulable[slot] = bool(spec.get("unschedulable"))
        self.taint_id[slot] = self._intern_taints(spec.get("taints") or ())
        labels = node["metadata"].get("labels") or {}
        for key, col in self.columns.items():
            col[slot] = self._value_id(key, labels.get(key))
        zone = zone_key(labels)
        if self._zone_of.get(name) != zone:
            self._zone_remove(name)
            self._zone_of[name] = zone
            self._zones.setdefault(zone, {})[name] = None
            self._order = None
        if new:
            self._sum_pods(name, slot)
        self._changed(slot)
        self.static_tick += 1
        return slot, new

    def touch(self, node: dict) -> None:
        """A node update that changes nothing the scheduler looks at (a heartbeat)."""
        slot = self.slot_of.get(node["metadata"]["name"])
        if slot is not None:
            self.nodes[slot] = node

    def remove_node(self, name: str) -> None:
        slot = self.slot_of.pop(name, None)
        if slot is None:
            return
        self.count -= 1
        self.names[slot] = None
        self.nodes[slot] = None
        self.alloc_other[slot] = {}
        for attr in self._ARRAYS:
            getattr(self, attr)[slot] = 0
        for attr in self._MATRICES:
            getattr(self, attr)[:, slot] = 0
        for col in self.columns.values():
            col[slot] = _MISSING
        self._free.append(slot)
        self._zone_remove(name)
        self._order = None
        self._changed(slot)
        self.static_tick += 1

    def _zone_remove(self, name: str) -> None:
        zone = self._zone_of.pop(name, None)
        if zone is not None:
            members = self._zones[zone]
            del members[name]
            if not members:
                del self._zones[zone]
            self._order = None

    def _intern_taints(self, taints) -> int:
        key = tuple((t.get("key", ""), t.get("value") or "", t.get("effect", "")) for t in taints)
        tid = self._taint_set_ids.get(key)
        if tid is None:
            tid = self._taint_set_ids[key] = len(self.taint_sets)
            self.taint_sets.append(TaintSet(key))
        return tid

    def order(self) -> NodeOrder:
        """nodeTree.list(): the i-th node of every zone in turn, zones in order of appearance."""
        if self._order is None:
            zones = [list(m) for m in self._zones.values()]
            names: list[str] = []
            depth = max((len(z) for z in zones), default=0)
            for i in range(depth):
                for members in zones:
                    if i < len(members):
                        names.append(members[i])
            slots = np.fromiter((self.slot_of[n] for n in names), np.int64, len(names))
            position = np.full(self.cap, -1, np.int64)
            position[slots] = np.arange(len(slots))
            self._order = NodeOrder(slots, tuple(names), position)
        return self._order

    # -- label columns ------------------------------------------------------------------------

    def _value_id(self, key: str, value: str | None) -> int:
        if value is None:
            return _MISSING
        values = self.column_values[key]
        vid = values.get(value)
        if vid is None:
            vid = values[value] = len(values)
        return vid

    def column(self, key: str) -> np.ndarray:
        """Value ids of label `key` per slot (-1 where missing), built on first use."""
        col = self.columns.get(key)
        if col is None:
            self.column_values[key] = {}
            col = np.full(self.cap, _MISSING, np.int32)
            for name, slot in self.slot_of.items():
                value = (self.nodes[slot]["metadata"].get("labels") or {}).get(key)
                col[slot] = self._value_id(key, value)
            self.columns[key] = col
        return col

    def label_lut(self, key: str, predicate, missing: bool) -> np.ndarray:
        """A lookup table over value ids of `key` (the last entry stands for a missing label)."""
        self.column(key)
        values = self.column_values[key]
        lut = np.zeros(len(values) + 1, bool)
        for value, vid in values.items():
            if predicate(value):
                lut[vid] = True
        lut[-1] = missing
        return lut

    def label_lut_in(self, key: str, wanted, missing: bool, negate: bool = False) -> np.ndarray:
        """Lookup table for `key in wanted` (or not in), without scanning every distinct value."""
        self.column(key)
        values = self.column_values[key]
        lut = np.full(len(values) + 1, negate, bool)
        for value in wanted:
            vid = values.get(value)
            if vid is not None:
                lut[vid] = not negate
        lut[-1] = missing
        return lut

    # -- pods ---------------------------------------------------------------------------------

    def add_pod(self, key: str, node: str, priority: int, res: PodResources, assumed: bool = False) -> None:
        if key in self.pod_node:
            self.remove_pod(key)
        entry = PodEntry(key, priority, res, node, assumed)
        self.pod_node[key] = entry
        self.pods.setdefault(node, {})[key] = entry
        if res.other:
            acc = self.req_other.setdefault(node, {})
            for name, value in res.other:
                acc[name] = acc.get(name, 0) + value
        if res.ports:
            used = self.used_ports.setdefault(node, {})
            for p in res.ports:
                used[p] = used.get(p, 0) + 1
        slot = self.slot_of.get(node)
        if slot is not None:
            self._apply(slot, res, 1)
            if res.ports:
                self.has_ports[slot] = True

    def remove_pod(self, key: str) -> PodEntry | None:
        entry = self.pod_node.pop(key, None)
        if entry is None:
            return None
        node, res = entry.node, entry.res
        on_node = self.pods[node]
        del on_node[key]
        if not on_node:
            del self.pods[node]
        if res.other:
            acc = self.req_other[node]
            for name, value in res.other:
                acc[name] -= value
        if res.ports:
            used = self.used_ports[node]
            for p in res.ports:
                used[p] -= 1
                if not used[p]:
                    del used[p]
            if not used:
                del self.used_ports[node]
        slot = self.slot_of.get(node)
        if slot is not None:
            self._apply(slot, res, -1)
            if res.ports:
                self.has_ports[slot] = node in self.used_ports
        return entry

    def _apply(self, slot: int, res: PodResources, sign: int) -> None:
        req = self.requested
        req[PODS, slot] += sign
        if res.cpu:
            req[CPU, slot] += sign * res.cpu
        if res.mem:
            req[MEM, slot] += sign * res.mem
        self.nonzero[CPU, slot] += sign * res.nz_cpu
        self.nonzero[MEM, slot] += sign * res.nz_mem
        self._changed(slot)

    def _sum_pods(self, name: str, slot: int) -> None:
        self.requested[:, slot] = 0
        self.nonzero[:, slot] = 0
        for entry in self.pods.get(name, {}).values():
            self._apply(slot, entry.res, 1)
        self.has_ports[slot] = name in self.used_ports

    def fits_other(self, slot: int, res: PodResources) -> list[str]:
        """NodeResourcesFit for resources beyond cpu and memory: the `Insufficient <name>` reasons."""
        name = self.names[slot]
        alloc = self.alloc_other[slot]
        used = self.req_other.get(name, {})
        return [f"Insufficient {r}" for r, want in res.other if want > alloc.get(r, 0) - used.get(r, 0)]
