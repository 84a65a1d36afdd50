"""The default filter and score plugins, evaluated across all nodes at once on the NodeTable's arrays."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from .nodeinfo import CPU, MEM, PODS, NodeTable, PodResources, ports_conflict, pod_resources

# The default profile's plugins; filters run in this order and the first failure decides a node.
NODE_UNSCHEDULABLE = "NodeUnschedulable"
NODE_NAME = "NodeName"
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_PORTS = "NodePorts"
NODE_RESOURCES_FIT = "NodeResourcesFit"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
VOLUME_BINDING = "VolumeBinding"
BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation"
# Score plugins with their default weights, in the default profile's order.
SCORE_WEIGHTS = {TAINT_TOLERATION: 3, NODE_AFFINITY: 2, NODE_RESOURCES_FIT: 1, POD_TOPOLOGY_SPREAD: 2,
                 BALANCED_ALLOCATION: 1}
MAX_NODE_SCORE = 100

ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_AFFINITY_CONFLICT = "pod affinity terms conflict"
ERR_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_LABEL = ERR_SPREAD + " (missing required label)"
ERR_TOO_MANY_PODS = "Too many pods"
UNSCHEDULABLE_TAINT = ("node.kubernetes.io/unschedulable", "", "NoSchedule")
HOSTNAME_LABEL = "kubernetes.io/hostname"


def untolerated_taint_reason(key: str, value: str) -> str:
    return f"node(s) had untolerated taint {{{key}: {value}}}"


# -- tolerations ------------------------------------------------------------------------------

def toleration_tuple(tolerations) -> tuple[tuple[str, str, str, str], ...]:
    """Tolerations as hashable (key, operator, value, effect) tuples."""
    return tuple((t.get("key") or "", t.get("operator") or "Equal", t.get("value") or "", t.get("effect") or "")
                 for t in tolerations or ())


def tolerates(toleration: tuple[str, str, str, str], taint: tuple[str, str, str]) -> bool:
    """Toleration.ToleratesTaint."""
    key, op, value, effect = toleration
    if effect and effect != taint[2]:
        return False
    if key and key != taint[0]:
        return False
    if op == "Exists":
        return True
    return op == "Equal" and value == taint[1]


def tolerated(tolerations, taint) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


# -- the pod as the scheduler sees it -----------------------------------------------------------

class PodInfo:
    """Everything a scheduling cycle needs from a pod, parsed once when the pod is queued."""

    __slots__ = ("pod", "key", "namespace", "name", "uid", "labels", "priority", "res", "tolerations",
                 "tolerates_unschedulable", "node_selector", "required_terms", "preferred_terms",
                 "spread_constraints", "preempt_never", "nominated_node")

    def __init__(self, pod: dict):
        meta, spec = pod["metadata"], pod["spec"]
        self.pod = pod
        self.namespace = meta.get("namespace") or "default"
        self.name = meta["name"]
        self.key = f"{self.namespace}/{self.name}"
        self.uid = meta.get("uid")
        self.labels = meta.get("labels") or {}
        self.priority = spec.get("priority") or 0
        self.res: PodResources = pod_resources(spec)
        self.tolerations = toleration_tuple(spec.get("tolerations"))
        self.tolerates_unschedulable = tolerated(self.tolerations, UNSCHEDULABLE_TAINT)
        self.node_selector = tuple((False, k, "In", (v,)) for k, v in (spec.get("nodeSelector") or {}).items())
        node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.required_terms = None if required is None else tuple(
            _parse_term(t) for t in required.get("nodeSelectorTerms") or ())
        self.preferred_terms = [
            (p.get("weight", 0), _parse_term(p.get("preference") or {}))
            for p in node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
            if p.get("weight") and _parse_term(p.get("preference") or {})]
        self.spread_constraints = spec.get("topologySpreadConstraints") or ()
        self.preempt_never = spec.get("preemptionPolicy") == "Never"
        self.nominated_node = (pod.get("status") or {}).get("nominatedNodeName")

    @property
    def has_node_affinity(self) -> bool:
        return bool(self.node_selector) or self.required_terms is not None


def _parse_term(term: dict) -> tuple:
    """A NodeSelectorTerm as (is_field, key, operator, values) requirements, ANDed."""
    reqs = [(False, r.get("key", ""), r.get("operator", ""), tuple(r.get("values") or ()))
            for r in term.get("matchExpressions") or ()]
    reqs += [(True, r.get("key", ""), r.get("operator", ""), tuple(r.get("values") or ()))
             for r in term.get("matchFields") or ()]
    return tuple(reqs)


def _int_or_none(text: str) -> int | None:
    try:
        return int(text, 10)
    except (TypeError, ValueError):
        return None


def requirement_mask(table: NodeTable, req: tuple) -> np.ndarray:
    """Which slots satisfy one NodeSelectorRequirement."""
    is_field, key, op, values = req
    if is_field:
        mask = np.zeros(table.cap, bool)
        if key != "metadata.name" or op not in ("In", "NotIn"):
            return mask
        for name in values:
            slot = table.slot_of.get(name)
            if slot is not None:
                mask[slot] = True
        return mask if op == "In" else (table.alive & ~mask)
    if op == "In":
        lut = table.label_lut_in(key, values, missing=False)
    elif op == "NotIn":
        lut = table.label_lut_in(key, values, missing=True, negate=True)
    elif op == "Exists":
        lut = table.label_lut(key, lambda v: True, missing=False)
    elif op == "DoesNotExist":
        lut = table.label_lut(key, lambda v: False, missing=True)
    elif op in ("Gt", "Lt") and len(values) == 1 and _int_or_none(values[0]) is not None:
        bound = _int_or_none(values[0])

        def compare(v: str) -> bool:
            n = _int_or_none(v)
            return n is not None and (n > bound if op == "Gt" else n < bound)
        lut = table.label_lut(key, compare, missing=False)
    else:
        return np.zeros(table.cap, bool)
    return lut[table.column(key)]


def term_mask(table: NodeTable, term: tuple) -> np.ndarray:
    """A NodeSelectorTerm: all requirements hold (an empty term matches no node)."""
    if not term:
        return np.zeros(table.cap, bool)
    mask = table.alive.copy()
    for req in term:
        mask &= requirement_mask(table, req)
    return mask


def node_affinity_mask(table: NodeTable, info: PodInfo) -> np.ndarray:
    """nodeSelector and required node affinity (terms ORed) together."""
    mask = table.alive.copy()
    for req in info.node_selector:
        mask &= requirement_mask(table, req)
    if info.required_terms is not None:
        any_term = np.zeros(table.cap, bool)
        for term in info.required_terms:
            any_term |= term_mask(table, term)
        mask &= any_term
    return mask


def prefilter_node_names(info: PodInfo) -> set[str] | None:
    """NodeAffinity's PreFilterResult: the only nodes worth checking when every required term names
    nodes with `metadata.name In`; None means all nodes."""
    if not info.required_terms:
        return None
    names: set[str] = set()
    for term in info.required_terms:
        term_names = None
        for is_field, key, op, values in term:
            if is_field and key == "metadata.name" and op == "In":
                term_names = set(values) if term_names is None else term_names & set(values)
        if term_names is None:
            return None
        names |= term_names
    return names


# -- filter outcomes ------------------------------------------------------------------------

class Statuses:
    """The distinct filter outcomes seen so far: code 0 is success, every other code names a
    (plugin, reasons, resolvable-by-preemption) triple. Codes never change once given out."""

    def __init__(self):
        self.entries: list[tuple[str, tuple[str, ...], bool]] = [("", (), True)]
        self._codes: dict[tuple, int] = {}

    def code(self, plugin: str, reasons: tuple[str, ...], resolvable: bool) -> int:
        key = (plugin, reasons, resolvable)
        code = self._codes.get(key)
        if code is None:
            code = self._codes[key] = len(self.entries)
            self.entries.append(key)
        return code


class StaticView:
    """The node-fact filters (NodeUnschedulable, TaintToleration, NodeAffinity) for one kind of
    pod, over all slots, valid until a node's facts change: failure codes, which nodes match the
    pod's node affinity and tolerate its taints, and the untolerated PreferNoSchedule counts."""

    __slots__ = ("tick", "codes", "affinity", "tolerated", "soft")

    def __init__(self, table: NodeTable, info: PodInfo, st: Statuses):
        self.tick = table.static_tick
        codes = np.zeros(table.cap, np.int32)
        if not info.tolerates_unschedulable:
            codes[table.unschedulable] = st.code(NODE_UNSCHEDULABLE, (ERR_UNSCHEDULABLE,), False)
        hard_lut = np.zeros(len(table.taint_sets), np.int32)
        soft_lut = np.zeros(len(table.taint_sets), np.int64)
        for i, ts in enumerate(table.taint_sets):
            bad = next((t for t in ts.hard if not tolerated(info.tolerations, t)), None)
            if bad is not None:
                hard_lut[i] = st.code(TAINT_TOLERATION, (untolerated_taint_reason(bad[0], bad[1]),), False)
            soft_lut[i] = sum(1 for t in ts.soft if not tolerated(info.tolerations, t))
        taint_codes = hard_lut[table.taint_id]
        self.tolerated = taint_codes == 0
        self.soft = soft_lut[table.taint_id]
        codes = np.where(codes == 0, taint_codes, codes)
        if info.has_node_affinity:
            self.affinity = node_affinity_mask(table, info)
            codes[(codes == 0) & ~self.affinity] = st.code(NODE_AFFINITY, (ERR_AFFINITY,), False)
        else:
            self.affinity = table.alive.copy()
        self.codes = codes


# NodeResourcesFit's reasons for each combination of bits: 1 pods, 2 cpu, 4 memory.
_FIT_REASONS = tuple(tuple(r for i, r in enumerate((ERR_TOO_MANY_PODS, "Insufficient cpu", "Insufficient memory"))
                           if b >> i & 1) for b in range(8))
_REFRESH_ONE_BY_ONE = 16


class ResourceView:
    """NodeResourcesFit (cpu, memory, pod count) and the two resource scores for one request
    shape, over all slots. Binding a pod changes one node, so a view is refreshed only where
    nodes changed since it was computed (slot by slot, in plain Python, when few did)."""

    __slots__ = ("res", "version", "bits", "least", "balanced")

    def __init__(self, table: NodeTable, res: PodResources):
        self.res = res
        self._compute_all(table)

    def _compute_all(self, table: NodeTable) -> None:
        res = self.res
        alloc, req = table.alloc, table.requested
        bits = (req[PODS] + 1 > alloc[PODS]).astype(np.int32)
        if res.cpu:
            bits |= (alloc[CPU] - req[CPU] < res.cpu).astype(np.int32) << 1
        if res.mem:
            bits |= (alloc[MEM] - req[MEM] < res.mem).astype(np.int32) << 2
        self.bits = bits
        self.least = least_allocated(alloc[:2], table.nonzero, res)
        self.balanced = balanced_allocation(alloc[:2], req[:2], res)
        self.version = table.version.copy()

    def refresh(self, table: NodeTable) -> None:
        if len(self.version) != table.cap:
            self._compute_all(table)
            return
        stale = np.flatnonzero(self.version != table.version)
        if len(stale) > _REFRESH_ONE_BY_ONE:
            self._compute_all(table)
            return
        res = self.res
        alloc, req, nonzero = table.alloc, table.requested, table.nonzero
        for slot in stale.tolist():
            a_cpu, a_mem, a_pods = int(alloc[CPU, slot]), int(alloc[MEM, slot]), int(alloc[PODS, slot])
            r_cpu, r_mem, r_pods = int(req[CPU, slot]), int(req[MEM, slot]), int(req[PODS, slot])
            bits = 1 if r_pods + 1 > a_pods else 0
            if res.cpu and a_cpu - r_cpu < res.cpu:
                bits |= 2
            if res.mem and a_mem - r_mem < res.mem:
                bits |= 4
            self.bits[slot] = bits
            self.least[slot] = least_allocated_one(a_cpu, a_mem, int(nonzero[CPU, slot]) + res.nz_cpu,
                                                   int(nonzero[MEM, slot]) + res.nz_mem)
            self.balanced[slot] = balanced_allocation_one(a_cpu, a_mem, r_cpu + res.cpu, r_mem + res.mem)
            self.version[slot] = table.version[slot]


class FilterOutcome:
    """Per-slot filter codes (into `statuses.entries`) and what the cycle learnt on the way."""

    __slots__ = ("codes", "statuses", "ran", "affinity", "tolerated", "soft", "resources", "prefilter",
                 "prefilter_names")

    def __init__(self, statuses: Statuses):
        self.statuses = statuses
        self.ran: list[str] = [NODE_UNSCHEDULABLE, NODE_NAME, TAINT_TOLERATION]
        self.prefilter: dict[str, str] = {NODE_AFFINITY: "", NODE_PORTS: "", NODE_RESOURCES_FIT: "success",
                                          VOLUME_BINDING: "", POD_TOPOLOGY_SPREAD: ""}
        self.prefilter_names: set[str] | None = None


class Filters:
    """The filter plugins over every node slot at once, with views cached per kind of pod
    (tolerations and node affinity; request shape) so that a stream of similar pods costs a few
    array operations each."""

    def __init__(self, table: NodeTable, cache_size: int = 64):
        self.table = table
        self.statuses = Statuses()
        self.cache_size = cache_size
        self._static: OrderedDict[tuple, StaticView] = OrderedDict()
        self._resources: OrderedDict[tuple, ResourceView] = OrderedDict()
        self._fit_lut = np.array([0] + [self.statuses.code(NODE_RESOURCES_FIT, _FIT_REASONS[b], True)
                                        for b in range(1, 8)], np.int32)

    def static_view(self, info: PodInfo) -> StaticView:
        key = (info.tolerations, info.tolerates_unschedulable, info.node_selector, info.required_terms)
        view = self._static.get(key)
        table = self.table
        if view is None or view.tick != table.static_tick or len(view.codes) != table.cap:
            view = StaticView(table, info, self.statuses)
            self._remember(self._static, key, view)
        else:
            self._static.move_to_end(key)
        return view

    def resource_view(self, res: PodResources) -> ResourceView:
        key = (res.cpu, res.mem, res.nz_cpu, res.nz_mem)
        view = self._resources.get(key)
        if view is None:
            view = ResourceView(self.table, res)
            self._remember(self._resources, key, view)
        else:
            self._resources.move_to_end(key)
            view.refresh(self.table)
        return view

    def _remember(self, cache: OrderedDict, key: tuple, view) -> None:
        cache[key] = view
        if len(cache) > self.cache_size:
            cache.popitem(last=False)

    def run(self, info: PodInfo, spread, nominated: dict, volumes=None) -> FilterOutcome:
        """Filter every slot; `spread` checks hard topology spread constraints, `volumes` the pod's
        claims (VolumeBinding, None when it has none) and `nominated` maps node names to the pods
        preemption nominated there ({key: (priority, resources)})."""
        table, st = self.table, self.statuses
        out = FilterOutcome(st)
        static = self.static_view(info)
        out.affinity, out.tolerated, out.soft = static.affinity, static.tolerated, static.soft
        codes = static.codes
        if info.has_node_affinity:
            out.ran.append(NODE_AFFINITY)
            out.prefilter[NODE_AFFINITY] = "success"
            out.prefilter_names = prefilter_node_names(info)
        res = info.res
        if res.ports:
            out.ran.append(NODE_PORTS)
            out.prefilter[NODE_PORTS] = "success"
            codes = codes.copy()
            code = st.code(NODE_PORTS, (ERR_PORTS,), True)
            for slot in np.flatnonzero((codes == 0) & table.has_ports):
                if ports_conflict(table.used_ports.get(table.names[slot], {}), res.ports):
                    codes[slot] = code
        out.ran.append(NODE_RESOURCES_FIT)
        view = out.resources = self.resource_view(res)
        bits = view.bits
        extra = _nominated_load(table, info, nominated)
        if extra is not None:
            pods, cpu, mem = extra
            bits = (table.req_pods + pods + 1 > table.alloc_pods).astype(np.int32)
            if res.cpu:
                bits |= (table.alloc_cpu - table.req_cpu - cpu < res.cpu).astype(np.int32) << 1
            if res.mem:
                bits |= (table.alloc_mem - table.req_mem - mem < res.mem).astype(np.int32) << 2
        if res.other:
            codes = codes.copy()
            for slot in np.flatnonzero((codes == 0) & table.alive):
                more = table.fits_other(int(slot), res)
                if more:
                    codes[slot] = st.code(NODE_RESOURCES_FIT, _FIT_REASONS[bits[slot]] + tuple(more), True)
        codes = np.where((codes == 0) & (bits > 0), self._fit_lut[bits], codes)
        if volumes is not None:
            out.ran.append(VOLUME_BINDING)
            out.prefilter[VOLUME_BINDING] = "success"
            codes = volumes.filter(codes, st)
        if spread is not None and spread.hard:
            out.ran.append(POD_TOPOLOGY_SPREAD)
            out.prefilter[POD_TOPOLOGY_SPREAD] = "success"
            codes = spread.filter(codes, st, out)
        out.codes = codes
        return out


def _nominated_load(table: NodeTable, info: PodInfo, nominated: dict):
    """Pods nominated to a node with at least this pod's priority hold their room there."""
    if not nominated:
        return None
    pods = np.zeros(table.cap, np.int64)
    cpu = np.zeros(table.cap, np.int64)
    mem = np.zeros(table.cap, np.int64)
    any_ = False
    for node, entries in nominated.items():
        slot = table.slot_of.get(node)
        if slot is None:
            continue
        for key, (priority, res) in entries.items():
            if key != info.key and priority >= info.priority:
                pods[slot] += 1
                cpu[slot] += res.cpu
                mem[slot] += res.mem
                any_ = True
    return (pods, cpu, mem) if any_ else None


# -- scores ---------------------------------------------------------------------------------

def least_allocated(alloc: np.ndarray, nonzero: np.ndarray, res: PodResources) -> np.ndarray:
    """NodeResourcesFit's LeastAllocated score (cpu and memory weight 1) on non-zero requests:
    the mean over resources of (allocatable − requested) × 100 / allocatable (rows cpu, memory)."""
    used = nonzero + np.array([[res.nz_cpu], [res.nz_mem]])
    valid = alloc > 0
    score = (alloc - used) * MAX_NODE_SCORE // np.where(valid, alloc, 1)
    score[(used > alloc) | ~valid] = 0
    return score.sum(axis=0) // np.maximum(valid.sum(axis=0), 1)


def least_allocated_one(a_cpu: int, a_mem: int, used_cpu: int, used_mem: int) -> int:
    """`least_allocated` for one node."""
    total = weights = 0
    for alloc, used in ((a_cpu, used_cpu), (a_mem, used_mem)):
        if alloc > 0:
            weights += 1
            if used <= alloc:
                total += (alloc - used) * MAX_NODE_SCORE // alloc
    return total // weights if weights else 0


def balanced_allocation(alloc: np.ndarray, requested: np.ndarray, res: PodResources) -> np.ndarray:
    """NodeResourcesBalancedAllocation: 100 × (1 − std of the cpu and memory fractions), on
    actual requests (rows cpu, memory)."""
    valid = alloc > 0
    fraction = np.minimum((requested + np.array([[res.cpu], [res.mem]])) / np.where(valid, alloc, 1), 1.0)
    std = np.abs(fraction[0] - fraction[1]) / 2
    std[~(valid[0] & valid[1])] = 0.0
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)


def balanced_allocation_one(a_cpu: int, a_mem: int, used_cpu: int, used_mem: int) -> int:
    """`balanced_allocation` for one node."""
    if a_cpu <= 0 or a_mem <= 0:
        return MAX_NODE_SCORE
    std = abs(min(float(used_cpu) / float(a_cpu), 1.0) - min(float(used_mem) / float(a_mem), 1.0)) / 2
    return int((1 - std) * MAX_NODE_SCORE)


def preferred_affinity(table: NodeTable, slots: np.ndarray, info: PodInfo) -> np.ndarray:
    scores = np.zeros(len(slots), np.int64)
    for weight, term in info.preferred_terms:
        scores += np.where(term_mask(table, term)[slots], weight, 0)
    return scores


def default_normalize(scores: np.ndarray, reverse: bool) -> np.ndarray:
    """pluginhelper.DefaultNormalizeScore."""
    top = int(scores.max()) if len(scores) else 0
    if top == 0:
        return np.full(len(scores), MAX_NODE_SCORE if reverse else 0, np.int64)
    out = MAX_NODE_SCORE * scores // top
    return MAX_NODE_SCORE - out if reverse else out


def go_round(x: np.ndarray) -> np.ndarray:
    """math.Round for non-negative values: halves away from zero (numpy rounds half to even)."""
    return np.floor(x + 0.5).astype(np.int64)


def topology_normalizing_weight(size: int) -> float:
    return math.log(size + 2)


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """schedule_one.go numFeasibleNodesToFind: every node below 100; otherwise a percentage
    (adaptive default 50 − nodes/125, at least 5) but never fewer than 100 nodes."""
    if num_all_nodes < 100:
        return num_all_nodes
    if percentage == 0:
        percentage = max(50 - num_all_nodes // 125, 5)
    return max(num_all_nodes * percentage // 100, 100)


def adaptive_percentage(num_all_nodes: int) -> int:
    return 100 if num_all_nodes < 100 else max(50 - num_all_nodes // 125, 5)
