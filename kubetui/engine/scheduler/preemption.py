"""DefaultPreemption (PostFilter): find lower-priority victims whose removal lets a pod fit, and evict them."""

from __future__ import annotations

from dataclasses import dataclass, field

from .nodeinfo import NodeTable, PodEntry, ports_conflict
from .plugins import ERR_TOO_MANY_PODS, PodInfo

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100


@dataclass
class Candidate:
    node: str
    victims: list[PodEntry]


@dataclass
class PreemptionResult:
    """`message` is the PostFilter message (empty on success); `candidate` the chosen node and its
    victims; `reasons` the per-node statuses of the dry run (for explain)."""

    message: str = ""
    candidate: Candidate | None = None
    reasons: dict[str, tuple[str, ...]] = field(default_factory=dict)


def fit_error(num_nodes: int, histogram: dict[str, int], prefilter_msg: str = "") -> str:
    """FitError.Error(): `0/N nodes are available: <count reason>, ... .` with the reasons sorted
    as strings, or the PreFilter message when PreFilter already rejected the pod."""
    msg = f"0/{num_nodes} nodes are available:"
    if prefilter_msg:
        return f"{msg} {prefilter_msg}."
    items = sorted(f"{n} {reason}" for reason, n in histogram.items())
    if items:
        msg += f" {', '.join(items)}."
    return msg


def _fit_reasons(table: NodeTable, node: str, info: PodInfo, removed: list[PodEntry],
                 nominated_extra: tuple[int, int, int]) -> list[str]:
    """NodeResourcesFit and NodePorts on `node` as if the `removed` pods were gone."""
    slot = table.slot_of[node]
    res = info.res
    pods = int(table.req_pods[slot]) + nominated_extra[0] - len(removed)
    cpu = int(table.req_cpu[slot]) + nominated_extra[1] - sum(e.res.cpu for e in removed)
    mem = int(table.req_mem[slot]) + nominated_extra[2] - sum(e.res.mem for e in removed)
    if res.ports:
        used = dict(table.used_ports.get(node, {}))
        for e in removed:
            for p in e.res.ports:
                used[p] -= 1
                if not used[p]:
                    del used[p]
        if ports_conflict(used, res.ports):
            return ["node(s) didn't have free ports for the requested pod ports"]
    reasons = []
    if pods + 1 > table.alloc_pods[slot]:
        reasons.append(ERR_TOO_MANY_PODS)
    if res.cpu and table.alloc_cpu[slot] - cpu < res.cpu:
        reasons.append("Insufficient cpu")
    if res.mem and table.alloc_mem[slot] - mem < res.mem:
        reasons.append("Insufficient memory")
    if res.other:
        alloc = table.alloc_other[slot]
        used_other = dict(table.req_other.get(node, {}))
        for e in removed:
            for name, value in e.res.other:
                used_other[name] = used_other.get(name, 0) - value
        reasons += [f"Insufficient {r}" for r, want in res.other if want > alloc.get(r, 0) - used_other.get(r, 0)]
    return reasons


def select_victims(table: NodeTable, node: str, info: PodInfo, start_times: dict[str, float],
                   nominated_extra: tuple[int, int, int]) -> tuple[list[PodEntry] | None, tuple[str, ...]]:
    """SelectVictimsOnNode: remove every lower-priority pod; if the pod then fits, reprieve the
    most important ones that can stay. Returns (victims, ()) or (None, failure reasons)."""
    lower = [e for e in table.pods.get(node, {}).values() if e.priority < info.priority]
    if not lower:
        return None, (NO_VICTIMS,)
    reasons = _fit_reasons(table, node, info, lower, nominated_extra)
    if reasons:
        return None, tuple(reasons)
    # MoreImportantPod: higher priority first, then the one running longer.
    lower.sort(key=lambda e: (-e.priority, start_times.get(e.key, 0.0), e.key))
    victims = list(lower)
    for entry in lower:
        remaining = [v for v in victims if v is not entry]
        if not _fit_reasons(table, node, info, remaining, nominated_extra):
            victims = remaining
    victims.sort(key=lambda e: (-e.priority, start_times.get(e.key, 0.0), e.key))
    return victims, ()


def pick_candidate(candidates: list[Candidate], start_times: dict[str, float]) -> Candidate:
    """pickOneNodeForPreemption: lowest highest-victim priority, then smallest priority sum,
    then fewest victims, then the latest-started highest-priority victims, then the first."""
    def key(c: Candidate):
        top = max(v.priority for v in c.victims)
        total = sum(v.priority + (1 << 31) for v in c.victims)
        earliest_top = min(start_times.get(v.key, 0.0) for v in c.victims if v.priority == top)
        return (top, total, len(c.victims), -earliest_top)
    return min(candidates, key=key)


def preempt(table: NodeTable, info: PodInfo, potential: list[str], num_nodes: int, start_times: dict[str, float],
            offset: int, nominated_load, terminating_on_nominated: bool) -> PreemptionResult:
    """Evaluator.Preempt for the nodes whose failure removing pods could resolve (`potential`)."""
    if info.preempt_never:
        return PreemptionResult("preemption: " + NOT_ELIGIBLE_NEVER)
    if terminating_on_nominated:
        return PreemptionResult("preemption: " + NOT_ELIGIBLE_TERMINATING)
    if not potential:
        return PreemptionResult("preemption: " + fit_error(num_nodes, {NOT_HELPFUL: num_nodes}))
    wanted = min(max(len(potential) * MIN_CANDIDATE_NODES_PERCENTAGE // 100, MIN_CANDIDATE_NODES_ABSOLUTE),
                 len(potential))
    candidates: list[Candidate] = []
    reasons: dict[str, tuple[str, ...]] = {}
    n = len(potential)
    for i in range(n):
        node = potential[(offset + i) % n]
        victims, reason = select_victims(table, node, info, start_times, nominated_load(node))
        if victims is None:
            reasons[node] = reason
            continue
        candidates.append(Candidate(node, victims))
        if len(candidates) >= wanted:
            break
    if not candidates:
        histogram: dict[str, int] = {}
        for node_reasons in reasons.values():
            for r in node_reasons:
                histogram[r] = histogram.get(r, 0) + 1
        if num_nodes > len(reasons):
            histogram[NOT_HELPFUL] = histogram.get(NOT_HELPFUL, 0) + num_nodes - len(reasons)
        return PreemptionResult("preemption: " + fit_error(num_nodes, histogram), reasons=reasons)
    return PreemptionResult("", pick_candidate(candidates, start_times), reasons)
