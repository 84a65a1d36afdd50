"""PodTopologySpread: per-node counts of matching pods, kept incrementally, and its filter and score."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..api.errors import ApiError
from ..api.selectors import EQUALS, LabelSelector, from_label_selector_object
from .nodeinfo import NodeTable
from .plugins import (ERR_SPREAD, ERR_SPREAD_LABEL, HOSTNAME_LABEL, MAX_NODE_SCORE, POD_TOPOLOGY_SPREAD,
                      FilterOutcome, PodInfo, Statuses, go_round, topology_normalizing_weight)

ZONE_LABEL = "topology.kubernetes.io/zone"
# The scheduler's system default constraints (PodTopologySpreadArgs defaultingType: System).
SYSTEM_DEFAULT_CONSTRAINTS = ((HOSTNAME_LABEL, 3), (ZONE_LABEL, 5))
_NO_DOMAINS = 1 << 31
_SPREAD_OWNERS = {("ReplicaSet", "apps/v1"): "replicasets", ("StatefulSet", "apps/v1"): "statefulsets",
                  ("ReplicationController", "v1"): "replicationcontrollers"}


@dataclass(frozen=True)
class Constraint:
    key: str
    max_skew: int
    selector: LabelSelector
    min_domains: int = 1
    honor_affinity: bool = True
    honor_taints: bool = False


def _counted_node(pod: dict | None) -> str | None:
    """The node a pod counts on for spreading: bound, not terminal, not terminating."""
    if pod is None or pod["metadata"].get("deletionTimestamp"):
        return None
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return None
    return pod["spec"].get("nodeName")


class _Selectors:
    """The selectors counted in one namespace, indexed by one `key=value` each must require, so a
    pod event only tries the selectors its labels could match."""

    __slots__ = ("by_pair", "others")

    def __init__(self):
        self.by_pair: dict[tuple[str, str], dict[LabelSelector, None]] = {}
        self.others: dict[LabelSelector, None] = {}

    def add(self, selector: LabelSelector) -> None:
        pairs = selector.equality_pairs()
        if pairs:
            self.by_pair.setdefault(pairs[0], {})[selector] = None
        else:
            self.others[selector] = None

    def remove(self, selector: LabelSelector) -> None:
        pairs = selector.equality_pairs()
        if pairs:
            bucket = self.by_pair[pairs[0]]
            del bucket[selector]
            if not bucket:
                del self.by_pair[pairs[0]]
        else:
            del self.others[selector]

    def __bool__(self) -> bool:
        return bool(self.by_pair or self.others)

    def candidates(self, *label_sets: dict | None) -> dict[LabelSelector, None]:
        out = dict(self.others)
        for labels in label_sets:
            for item in (labels or {}).items():
                bucket = self.by_pair.get(item)
                if bucket:
                    out.update(bucket)
        return out


class SpreadIndex:
    """Counts of matching pods per node slot for the (namespace, selector) pairs in use.

    A pair is counted once from the namespace's pods when first needed, then kept current by pod
    events; the least recently used pairs are dropped beyond `capacity`. It also derives the
    default spreading selector of a pod (from its Services and controller).
    """

    def __init__(self, table: NodeTable, informers, capacity: int = 64):
        self.table = table
        self.informers = informers
        self.pods = informers.informer("pods")
        self.capacity = capacity
        self._lru: OrderedDict[tuple[str, LabelSelector], np.ndarray] = OrderedDict()
        self._by_ns: dict[str, _Selectors] = {}
        self._service_selectors: dict[str, list[dict]] = {}
        self._default_selectors: OrderedDict[tuple, LabelSelector] = OrderedDict()
        table.grow_listeners.append(self._grow)
        informers.informer("services").add_handler(self._service_changed, lambda old, new: self._service_changed(new),
                                                   self._service_changed)

    def counts(self, namespace: str, selector: LabelSelector) -> np.ndarray:
        key = (namespace, selector)
        arr = self._lru.get(key)
        if arr is not None:
            self._lru.move_to_end(key)
            return arr
        arr = np.zeros(self.table.cap, np.int64)
        if not selector.empty:
            slot_of = self.table.slot_of
            pairs = selector.equality_pairs()
            # Only pods carrying one of the selector's required labels can match: start from those.
            candidates = (self.pods.index_keys("labels", f"{namespace}/{pairs[0][0]}={pairs[0][1]}") if pairs
                          else self.pods.index_keys("namespace", namespace))
            for pkey in candidates:
                pod = self.pods.get(pkey)
                node = _counted_node(pod)
                if node is not None and node in slot_of and selector.matches(pod["metadata"].get("labels")):
                    arr[slot_of[node]] += 1
        self._lru[key] = arr
        self._by_ns.setdefault(namespace, _Selectors()).add(selector)
        if len(self._lru) > self.capacity:
            (ns, sel), _ = self._lru.popitem(last=False)
            self._by_ns[ns].remove(sel)
            if not self._by_ns[ns]:
                del self._by_ns[ns]
        return arr

    def pod_changed(self, old: dict | None, new: dict | None) -> None:
        namespace = (new or old)["metadata"].get("namespace")
        selectors = self._by_ns.get(namespace)
        if not selectors:
            return
        old_node, new_node = _counted_node(old), _counted_node(new)
        old_labels = old["metadata"].get("labels") if old is not None else None
        new_labels = new["metadata"].get("labels") if new is not None else None
        if old_node == new_node and old_labels == new_labels:
            return
        slot_of = self.table.slot_of
        old_slot = slot_of.get(old_node) if old_node else None
        new_slot = slot_of.get(new_node) if new_node else None
        for selector in selectors.candidates(old_labels, new_labels):
            if selector.empty:
                continue
            arr = self._lru[(namespace, selector)]
            if old_slot is not None and selector.matches(old_labels):
                arr[old_slot] -= 1
            if new_slot is not None and selector.matches(new_labels):
                arr[new_slot] += 1

    def node_added(self, name: str, slot: int) -> None:
        keys = self.table.pods.get(name)
        for (namespace, selector), arr in self._lru.items():
            arr[slot] = 0
            if keys and not selector.empty:
                for pkey in keys:
                    pod = self.pods.get(pkey)
                    if (pod is not None and pod["metadata"].get("namespace") == namespace
                            and _counted_node(pod) == name and selector.matches(pod["metadata"].get("labels"))):
                        arr[slot] += 1

    def node_removed(self, slot: int) -> None:
        for arr in self._lru.values():
            arr[slot] = 0

    def _grow(self, cap: int) -> None:
        for key, arr in list(self._lru.items()):
            grown = np.zeros(cap, np.int64)
            grown[:len(arr)] = arr
            self._lru[key] = grown

    def _service_changed(self, svc: dict) -> None:
        self._service_selectors.pop(svc["metadata"].get("namespace"), None)
        self._default_selectors.clear()

    def default_selector(self, info: PodInfo) -> LabelSelector:
        """helper.DefaultSelector: the selectors of the Services selecting the pod, plus its
        controlling ReplicaSet's, StatefulSet's or ReplicationController's selector."""
        ns = info.namespace
        owner = next((r for r in info.pod["metadata"].get("ownerReferences") or () if r.get("controller")), None)
        resource = None if owner is None else _SPREAD_OWNERS.get((owner.get("kind"), owner.get("apiVersion")))
        owner_obj = None if resource is None else self.informers.informer(resource).get(f"{ns}/{owner.get('name')}")
        key = (ns, tuple(sorted(info.labels.items())), owner_obj["metadata"].get("uid") if owner_obj else None,
               owner_obj["metadata"].get("resourceVersion") if owner_obj else None)
        cached = self._default_selectors.get(key)
        if cached is not None:
            return cached
        selectors = self._service_selectors.get(ns)
        if selectors is None:
            selectors = self._service_selectors[ns] = [
                sel for svc in self.informers.informer("services").by_index("namespace", ns)
                if (sel := (svc.get("spec") or {}).get("selector")) is not None]
        merged: dict[str, str] = {}
        for sel in selectors:
            if all(info.labels.get(k) == v for k, v in sel.items()):
                merged.update(sel)
        reqs = [(k, EQUALS, (v,)) for k, v in merged.items()]
        if owner_obj is not None:
            sel = (owner_obj.get("spec") or {}).get("selector")
            if resource == "replicationcontrollers":
                merged.update(sel or {})
                reqs = [(k, EQUALS, (v,)) for k, v in merged.items()]
            else:
                try:
                    reqs += list(from_label_selector_object(sel).requirements)
                except ApiError:  # an invalid selector adds nothing, as upstream ignores the error
                    pass
        selector = self._default_selectors[key] = LabelSelector(reqs)
        if len(self._default_selectors) > 256:
            self._default_selectors.popitem(last=False)
        return selector


def pod_constraints(info: PodInfo, action: str) -> list[Constraint]:
    """filterTopologySpreadConstraints: the pod's constraints with this whenUnsatisfiable action."""
    out = []
    for c in info.spread_constraints:
        if c.get("whenUnsatisfiable", "DoNotSchedule") != action:
            continue
        try:
            selector = from_label_selector_object(c.get("labelSelector"))
        except ApiError:
            continue
        extra = [(k, EQUALS, (info.labels[k],)) for k in c.get("matchLabelKeys") or () if k in info.labels]
        if extra:
            selector = LabelSelector(list(selector.requirements) + extra)
        out.append(Constraint(c.get("topologyKey", ""), int(c.get("maxSkew", 1)), selector,
                              int(c.get("minDomains") or 1), c.get("nodeAffinityPolicy", "Honor") == "Honor",
                              c.get("nodeTaintsPolicy", "Ignore") == "Honor"))
    return out


class SpreadCycle:
    """PodTopologySpread for one scheduling attempt: hard constraints filter, soft ones score."""

    def __init__(self, index: SpreadIndex, table: NodeTable, info: PodInfo):
        self.index = index
        self.table = table
        self.info = info
        if info.spread_constraints:
            self.system_default = False
            self.hard = pod_constraints(info, "DoNotSchedule")
            self.soft = pod_constraints(info, "ScheduleAnyway")
        else:
            self.system_default = True
            self.hard = []
            selector = index.default_selector(info)
            self.soft = [] if selector.empty else [Constraint(k, skew, selector) for k, skew in SYSTEM_DEFAULT_CONSTRAINTS]

    def _eligible(self, c: Constraint, outcome: FilterOutcome, keys) -> np.ndarray:
        mask = self.table.alive.copy()
        for key in keys:
            mask &= self.table.column(key) >= 0
        if c.honor_affinity:
            mask &= outcome.affinity
        if c.honor_taints:
            mask &= outcome.tolerated
        return mask

    def filter(self, codes: np.ndarray, st: Statuses, outcome: FilterOutcome) -> np.ndarray:
        table = self.table
        keys = {c.key for c in self.hard}
        for c in self.hard:
            col = table.column(c.key)
            code_label = st.code(POD_TOPOLOGY_SPREAD, (ERR_SPREAD_LABEL,), False)
            codes = np.where((codes == 0) & (col < 0), code_label, codes)
            elig = np.flatnonzero(self._eligible(c, outcome, keys))
            counts = self.index.counts(self.info.namespace, c.selector)
            ndom = max(len(table.column_values[c.key]), 1)
            per_domain = np.bincount(col[elig], weights=counts[elig], minlength=ndom).astype(np.int64)
            present = np.bincount(col[elig], minlength=ndom) > 0
            domains = int(present.sum())
            min_match = int(per_domain[present].min()) if domains else _NO_DOMAINS
            if domains < c.min_domains:
                min_match = 0
            self_match = 1 if c.selector.matches(self.info.labels) else 0
            safe = np.maximum(col, 0)
            match = np.where((col >= 0) & present[safe], per_domain[safe], 0)
            fail = match + self_match - min_match > c.max_skew
            codes = np.where((codes == 0) & fail, st.code(POD_TOPOLOGY_SPREAD, (ERR_SPREAD,), True), codes)
        return codes

    def score(self, slots: np.ndarray, outcome: FilterOutcome) -> tuple[np.ndarray, np.ndarray] | None:
        """Raw and normalised scores for the feasible `slots`, or None when the plugin skips."""
        if not self.soft:
            return None
        table = self.table
        require_all = not self.system_default
        keys = [c.key for c in self.soft]
        ignored = np.zeros(len(slots), bool)
        if require_all:
            for key in keys:
                ignored |= table.column(key)[slots] < 0
        kept = slots[~ignored]
        total = np.zeros(len(slots), float)
        for c in self.soft:
            col = table.column(c.key)
            if not table.column_values[c.key]:
                continue  # no node has this topology key (often the default zone constraint): it adds 0 everywhere
            counts = self.index.counts(self.info.namespace, c.selector)
            node_col = col[slots]
            has = node_col >= 0
            if c.key == HOSTNAME_LABEL:
                size = len(kept)
                cnt = counts[slots]
            else:
                size = len(np.unique(col[kept]))
                elig = np.flatnonzero(self._eligible(c, outcome, keys if require_all else ()) & (col >= 0))
                ndom = max(len(table.column_values[c.key]), 1)
                per_domain = np.bincount(col[elig], weights=counts[elig], minlength=ndom).astype(np.int64)
                cnt = per_domain[np.maximum(node_col, 0)]
            weight = topology_normalizing_weight(size)
            total += np.where(has, cnt * weight + (c.max_skew - 1), 0.0)
        raw = np.where(ignored, 0, go_round(total))
        normalized = np.zeros(len(slots), np.int64)
        if len(kept):
            scored = raw[~ignored]
            lo, hi = int(scored.min()), int(scored.max())
            if hi == 0:
                normalized[~ignored] = MAX_NODE_SCORE
            else:
                normalized[~ignored] = MAX_NODE_SCORE * (hi + lo - scored) // hi
        return raw, normalized
