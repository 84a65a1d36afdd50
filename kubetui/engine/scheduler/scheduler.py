"""kube-scheduler: picks a node for every unscheduled pod and binds it."""

from __future__ import annotations

import numpy as np

from .. import objects
from ..api.errors import ApiError
from ..clock import parse_rfc3339, rfc3339
from ..context import Context
from ..events import EventRecorder
from ..objects import key_of
from . import plugins as P
from .explain import PREEMPTION_VICTIM, Attempt, Detail, ExplainStore
from .nodeinfo import NodeTable
from .plugins import FilterOutcome, Filters, PodInfo
from .preemption import fit_error, preempt
from .queue import QueuedPod, SchedulingQueue
from .spread import SpreadCycle, SpreadIndex
from .volumebinding import VolumeBinding, VolumeCycle

SCHEDULER_NAME = "default-scheduler"
ERR_NO_NODES = "no nodes available to schedule pods"
_TERMINAL = ("Succeeded", "Failed")
CYCLES_PER_EVENT = 16  # ~0.2 ms each at 5,000 nodes
# Which plugins' rejections a cluster event may resolve (the queueing hints of the default plugins).
_POD_FREED = frozenset({P.NODE_RESOURCES_FIT, P.NODE_PORTS, P.POD_TOPOLOGY_SPREAD})
_POD_ADDED = frozenset({P.POD_TOPOLOGY_SPREAD})


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in _TERMINAL


class Scheduler:
    """The default scheduler profile, on the virtual clock.

    Informer handlers keep the node table (allocatable and requested totals per node) and the
    scheduling queue current; a clock callback drains the active queue at the current instant,
    running one scheduling cycle per pod: filter (sampling percentageOfNodesToScore of the nodes
    from a rotating start), score, assume, bind. A pod that does not fit gets a PodScheduled=False
    condition, a FailedScheduling event and (if lower-priority pods are in the way) preemption.
    """

    name = SCHEDULER_NAME

    def __init__(self, ctx: Context, percentage_of_nodes_to_score: int = 0, explain_detail: int = 256):
        self.ctx = ctx
        self.api = ctx.api
        self.clock = ctx.clock
        self.rng = ctx.rng
        self.recorder = EventRecorder(ctx.api, SCHEDULER_NAME)
        self.gate = ctx.gate("kube-scheduler")
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        self.table = NodeTable()
        self.filters = Filters(self.table)
        self.explains = ExplainStore(detail_limit=explain_detail)
        self.stats = {"attempts": 0, "scheduled": 0, "unschedulable": 0, "errors": 0, "preemptions": 0}
        # Pods nominated to nodes by preemption: node -> pod key -> (priority, resources).
        self.nominated: dict[str, dict[str, tuple]] = {}
        self._nominated_on: dict[str, str] = {}
        self._drain_timer = None
        self._draining = False
        self.queue = SchedulingQueue(ctx.clock, ctx.profile.pod_initial_backoff, ctx.profile.pod_max_backoff,
                                     ctx.profile.unschedulable_flush_interval, self._wake)
        self.gate.on_start(self.queue.move_all)  # a new leader's queue starts with every pending pod active
        informers = ctx.informers
        for resource in ("services", "replicasets", "statefulsets", "replicationcontrollers"):
            informers.informer(resource)  # for the default topology spreading selectors
        self.nodes = informers.informer("nodes")
        self.pods = informers.informer("pods")
        self.spread = SpreadIndex(self.table, informers)
        self.volume_binding = VolumeBinding(ctx, self.table, lambda: self.queue.move_all({P.VOLUME_BINDING}))
        self.nodes.add_handler(self._node_added, self._node_updated, self._node_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    # -- public ------------------------------------------------------------------------------

    def explain(self, namespace: str, name: str) -> dict | None:
        """The latest explain record of a pod (with its recent history), or None."""
        return self.explains.record(f"{namespace}/{name}")

    def pending(self) -> dict[str, list[str]]:
        """Pods waiting in each sub-queue (active, backoff, unschedulable, in-flight)."""
        return self.queue.pending()

    # -- node events ---------------------------------------------------------------------------

    def _node_added(self, node: dict) -> None:
        slot, _ = self.table.set_node(node)
        self.spread.node_added(node["metadata"]["name"], slot)
        self.queue.move_all()

    def _node_updated(self, old: dict, new: dict) -> None:
        ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
        helps: set[str] = set()
        if bool(ospec.get("unschedulable")) != bool(nspec.get("unschedulable")):
            helps.add(P.NODE_UNSCHEDULABLE)
        if ospec.get("taints") != nspec.get("taints"):
            helps.add(P.TAINT_TOLERATION)
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            helps.update((P.NODE_AFFINITY, P.POD_TOPOLOGY_SPREAD, P.VOLUME_BINDING))
        if (old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable"):
            helps.add(P.NODE_RESOURCES_FIT)
        if not helps:
            self.table.touch(new)
            return
        self.table.set_node(new)
        self.queue.move_all(helps)

    def _node_deleted(self, node: dict) -> None:
        name = node["metadata"]["name"]
        slot = self.table.slot_of.get(name)
        if slot is not None:
            self.spread.node_removed(slot)
        self.table.remove_node(name)

    # -- pod events ----------------------------------------------------------------------------

    def _responsible(self, pod: dict) -> bool:
        """A pending pod for this scheduler; pods with schedulingGates wait outside the queue
        until the gates are removed (the SchedulingGates plugin)."""
        spec = pod["spec"]
        return (spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME and not spec.get("nodeName")
                and not spec.get("schedulingGates") and not pod["metadata"].get("deletionTimestamp")
                and not _terminal(pod))

    def _pod_added(self, pod: dict) -> None:
        if pod["spec"].get("nodeName"):
            self._assigned_added(pod)
        elif self._responsible(pod):
            info = PodInfo(pod)
            self._track_nomination(info.key, info)
            self.queue.add(info)

    def _assigned_added(self, pod: dict) -> None:
        if _terminal(pod):
            return
        key = key_of(pod)
        node = pod["spec"]["nodeName"]
        entry = self.table.pod_node.get(key)
        if entry is not None and entry.assumed and entry.node == node:
            entry.assumed = False   # the binding we assumed has landed
        else:
            spec = pod["spec"]
            self.table.add_pod(key, node, spec.get("priority") or 0, P.pod_resources(spec))
        self.spread.pod_changed(None, pod)
        self.queue.move_all(_POD_ADDED)

    def _pod_updated(self, old: dict, new: dict) -> None:
        spec, ospec = new["spec"], old["spec"]
        node = spec.get("nodeName")
        if node:
            if not ospec.get("nodeName"):      # just bound
                key = key_of(new)
                self.queue.done(key)
                self._clear_nomination(key)
                self._assigned_added(new)
                return
            was_terminal, is_terminal = _terminal(old), _terminal(new)
            if is_terminal and not was_terminal:
                self.table.remove_pod(key_of(new))
                self.spread.pod_changed(old, new)
                self._pod_freed()
            elif (old["metadata"].get("deletionTimestamp") != new["metadata"].get("deletionTimestamp")
                  or old["metadata"].get("labels") != new["metadata"].get("labels")):
                self.spread.pod_changed(old, new)
            return
        key = key_of(new)
        if not self._responsible(new):
            self.queue.delete(key)
            self._clear_nomination(key)
            return
        qp = self.queue.get(key)
        if qp is None:
            info = PodInfo(new)
            self._track_nomination(key, info)
            self.queue.add(info)
            return
        if spec is ospec and old["metadata"].get("labels") == new["metadata"].get("labels"):
            qp.info.pod = new      # a status-only change (often our own condition update)
            qp.info.nominated_node = (new.get("status") or {}).get("nominatedNodeName")
            self._track_nomination(key, qp.info)
            return
        info = PodInfo(new)
        self._track_nomination(key, info)
        self.queue.update(info, spec_changed=spec != ospec or old["metadata"].get("labels") != info.labels)

    def _pod_deleted(self, pod: dict) -> None:
        key = key_of(pod)
        self.queue.delete(key)
        self.explains.remove(key)
        self._clear_nomination(key)
        if pod["spec"].get("nodeName") and self.table.remove_pod(key) is not None:
            self.spread.pod_changed(pod, None)
            self._pod_freed()
        elif self.volume_binding.cancel(key) and self.table.remove_pod(key) is not None:
            self._pod_freed()   # it was assumed on a node while its volumes were being bound

    def _pod_freed(self) -> None:
        """An assigned pod went away: pods rejected for lack of room may fit now."""
        self.queue.move_all(_POD_FREED)

    # -- nominations (preemption) --------------------------------------------------------------

    def _track_nomination(self, key: str, info: PodInfo) -> None:
        node = info.nominated_node
        if self._nominated_on.get(key) == node:
            return
        self._clear_nomination(key)
        if node:
            self._nominated_on[key] = node
            self.nominated.setdefault(node, {})[key] = (info.priority, info.res)

    def _clear_nomination(self, key: str) -> None:
        node = self._nominated_on.pop(key, None)
        if node is not None:
            pods = self.nominated.get(node, {})
            pods.pop(key, None)
            if not pods:
                self.nominated.pop(node, None)

    def _nominated_load(self, info: PodInfo):
        def load(node: str) -> tuple[int, int, int]:
            pods = cpu = mem = 0
            for key, (priority, res) in self.nominated.get(node, {}).items():
                if key != info.key and priority >= info.priority:
                    pods, cpu, mem = pods + 1, cpu + res.cpu, mem + res.mem
            return pods, cpu, mem
        return load

    # -- the scheduling loop -------------------------------------------------------------------

    def _wake(self) -> None:
        if self._drain_timer is None and not self._draining:
            self._drain_timer = self.clock.call_soon(self._drain)

    def _drain(self) -> None:
        """Run up to CYCLES_PER_EVENT scheduling cycles from activeQ; the rest get their own clock event,
        so a long queue never holds the loop (or a UI driving it) for long."""
        self._drain_timer = None
        if not self.gate.open:
            self.gate.defer(self._wake)
            return
        self._draining = True
        try:
            for _ in range(CYCLES_PER_EVENT):
                qp = self.queue.pop()
                if qp is None:
                    break
                try:
                    self._schedule_one(qp)
                except Exception as exc:  # a broken cycle must not stop the scheduler
                    self.stats["errors"] += 1
                    self.ctx.record_error("scheduler", qp.key, exc)
                    self.queue.requeue_after_error(qp)
        finally:
            self._draining = False
        if self.queue.has_active():
            self._wake()

    def _schedule_one(self, qp: QueuedPod) -> None:
        info = qp.info
        pod = self.pods.get(info.key)
        if pod is None or pod["metadata"].get("uid") != info.uid or not self._responsible(pod):
            self.queue.done(info.key)
            return
        self.stats["attempts"] += 1
        attempt = Attempt(qp.attempts, self.clock.now)
        table = self.table
        num_nodes = attempt.num_nodes = table.count
        if num_nodes == 0:
            self._fail(qp, pod, attempt, ERR_NO_NODES, frozenset(), nominate="")
            return
        volumes, rejection = self.volume_binding.prefilter(info)
        if rejection:
            self._prefilter_rejected(qp, pod, attempt, P.VOLUME_BINDING, rejection)
            return
        spread = SpreadCycle(self.spread, table, info) if info.spread_constraints else None
        outcome = self.filters.run(info, spread, self.nominated, volumes)
        order = table.order()
        nominated_slot = table.slot_of.get(info.nominated_node) if info.nominated_node else None
        if nominated_slot is not None and outcome.codes[nominated_slot] == 0:
            # evaluateNominatedNode: the node preemption made room on is tried alone first.
            eval_slots = np.array([nominated_slot], np.int64)
            attempt.percentage, attempt.to_find, attempt.evaluated, attempt.feasible = 100, 1, 1, 1
            if self.explains.detail_limit:
                attempt.detail = Detail(order.names, order.position[eval_slots], outcome.codes[eval_slots],
                                        outcome.statuses.entries, outcome.ran, outcome.prefilter,
                                        outcome.prefilter_names)
            self._bind(qp, attempt, table.names[nominated_slot], volumes)
            return
        if outcome.prefilter_names is not None:
            eval_slots = np.array(sorted(table.slot_of[n] for n in outcome.prefilter_names if n in table.slot_of),
                                  np.int64)
        else:
            eval_slots = order.slots
        m = len(eval_slots)
        to_find = P.num_feasible_nodes_to_find(m, self.percentage_of_nodes_to_score)
        start = self.next_start_node_index % m if m else 0
        if start:
            eval_slots = np.concatenate((eval_slots[start:], eval_slots[:start]))
        codes = outcome.codes[eval_slots]
        feasible_idx = np.flatnonzero(codes == 0)
        processed = m
        if len(feasible_idx) > to_find:
            feasible_idx = feasible_idx[:to_find]
            processed = int(feasible_idx[-1]) + 1
        self.next_start_node_index = (start + processed) % m if m else 0
        attempt.percentage = self.percentage_of_nodes_to_score or P.adaptive_percentage(m)
        attempt.to_find, attempt.start, attempt.evaluated = to_find, start, processed
        attempt.feasible = len(feasible_idx)
        detail = None
        if self.explains.detail_limit:
            detail = attempt.detail = Detail(order.names, order.position[eval_slots[:processed]], codes[:processed],
                                             outcome.statuses.entries, outcome.ran, outcome.prefilter,
                                             outcome.prefilter_names)
        if not len(feasible_idx):
            self._fit_error(qp, pod, attempt, outcome, eval_slots, codes, num_nodes, detail)
            return
        feasible = eval_slots[feasible_idx]
        if len(feasible) == 1:
            chosen = int(feasible[0])
        else:
            chosen = self._score(info, feasible, outcome, spread, detail)
        self._bind(qp, attempt, table.names[chosen], volumes)

    def _score(self, info: PodInfo, feasible: np.ndarray, outcome: FilterOutcome, spread: SpreadCycle | None,
               detail: Detail | None) -> int:
        """Run the score plugins over the feasible nodes; the highest total wins, ties at random."""
        table = self.table
        names: list[str] = []
        raws: list[np.ndarray] = []
        finals: list[np.ndarray] = []
        prescore: dict[str, str] = {}

        def add(plugin: str, raw: np.ndarray, normalized: np.ndarray) -> None:
            names.append(plugin)
            raws.append(raw)
            finals.append(normalized * P.SCORE_WEIGHTS[plugin])
            prescore[plugin] = "success"

        raw = outcome.soft[feasible]
        add(P.TAINT_TOLERATION, raw, P.default_normalize(raw, reverse=True))
        if info.preferred_terms:
            raw = P.preferred_affinity(table, feasible, info)
            add(P.NODE_AFFINITY, raw, P.default_normalize(raw, reverse=False))
        else:
            prescore[P.NODE_AFFINITY] = ""
        raw = outcome.resources.least[feasible]
        add(P.NODE_RESOURCES_FIT, raw, raw)
        if spread is None:
            spread = SpreadCycle(self.spread, table, info)
        scored = spread.score(feasible, outcome)
        if scored is not None:
            add(P.POD_TOPOLOGY_SPREAD, *scored)
        else:
            prescore[P.POD_TOPOLOGY_SPREAD] = ""
        if info.res.cpu or info.res.mem:
            raw = outcome.resources.balanced[feasible]
            add(P.BALANCED_ALLOCATION, raw, raw)
        else:
            prescore[P.BALANCED_ALLOCATION] = ""
        total = sum(finals)
        winners = np.flatnonzero(total == total.max())
        pick = int(winners[0]) if len(winners) == 1 else int(winners[self.rng.randrange(len(winners))])
        if detail is not None:
            detail.feasible = self.table.order().position[feasible]
            detail.score_plugins = names
            detail.raw = raws
            detail.final = finals
            detail.prescore = prescore
        return int(feasible[pick])

    # -- outcomes ------------------------------------------------------------------------------

    def _bind(self, qp: QueuedPod, attempt: Attempt, node: str, volumes: VolumeCycle | None) -> None:
        """Assume the pod on the node (its resources count at once), bind its volumes, then bind it."""
        info = qp.info
        attempt.node = node
        self.table.add_pod(info.key, node, info.priority, info.res, assumed=True)
        if volumes is None or volumes.all_bound:
            self._default_bind(qp, attempt, node)
            return
        prebind = f'running PreBind plugin "{P.VOLUME_BINDING}": '

        def volumes_bound(error: str | None) -> None:
            if error is None:
                self._default_bind(qp, attempt, node)
            else:
                self._binding_failed(qp, attempt, f"{prebind}binding volumes: {error}", 0)

        try:
            self.volume_binding.prebind(info, node, volumes, volumes_bound)
        except ApiError as exc:
            self._binding_failed(qp, attempt, f"{prebind}{exc}", exc.code)

    def _binding_failed(self, qp: QueuedPod, attempt: Attempt, message: str, code: int) -> None:
        """The binding cycle failed: forget the assumed pod and retry it after its backoff."""
        info = qp.info
        entry = self.table.pod_node.get(info.key)
        if entry is not None and entry.assumed:
            self.table.remove_pod(info.key)
        self.stats["errors"] += 1
        attempt.result = "Error"
        attempt.message = message
        self.explains.add(info.key, info.uid, attempt)
        self._pod_freed()
        current = self.pods.get(info.key)
        if code == 404 or current is None or not self._responsible(current):
            self.queue.done(info.key)
            return
        self.queue.requeue_after_error(qp)
        self._record_failure(current, "SchedulerError", message, None)

    def _default_bind(self, qp: QueuedPod, attempt: Attempt, node: str) -> None:
        """DefaultBinder: POST the pod's binding."""
        info = qp.info
        try:
            bound = self.api.bind(info.namespace, info.name, node)
        except ApiError as exc:
            self._binding_failed(qp, attempt, f'running Bind plugin "DefaultBinder": {exc}', exc.code)
            return
        self.stats["scheduled"] += 1
        attempt.result = "Scheduled"
        self.explains.add(info.key, info.uid, attempt)
        self.queue.done(info.key)
        self.recorder.normal(bound, "Scheduled", f"Successfully assigned {info.namespace}/{info.name} to {node}")

    def _prefilter_rejected(self, qp: QueuedPod, pod: dict, attempt: Attempt, plugin: str, reason: str) -> None:
        """A PreFilter plugin rejected the pod outright: every node gets its status, so preemption
        cannot help either."""
        info = qp.info
        num_nodes = attempt.num_nodes
        message = fit_error(num_nodes, {}, reason)
        result = preempt(self.table, info, [], num_nodes, _StartTimes(self.pods), 0, self._nominated_load(info), False)
        if self.explains.detail_limit:
            outcome = FilterOutcome(self.filters.statuses)
            outcome.prefilter[plugin] = reason
            none = np.zeros(0, np.int64)
            attempt.detail = Detail(self.table.order().names, none, none, outcome.statuses.entries, outcome.ran,
                                    outcome.prefilter, None)
        self._fail(qp, pod, attempt, f"{message} {result.message}", frozenset({plugin}), nominate="")

    def _fit_error(self, qp: QueuedPod, pod: dict, attempt: Attempt, outcome: FilterOutcome, eval_slots: np.ndarray,
                   codes: np.ndarray, num_nodes: int, detail: Detail | None) -> None:
        """No node fits: the FitError message (reasons counted over nodes), then preemption."""
        statuses = outcome.statuses.entries
        histogram: dict[str, int] = {}
        plugins: set[str] = set()
        found, counts = np.unique(codes, return_counts=True)
        for code, n in zip(found.tolist(), counts.tolist()):
            plugin, reasons, _ = statuses[code]
            plugins.add(plugin)
            for reason in reasons:
                histogram[reason] = histogram.get(reason, 0) + n
        absent = num_nodes - len(eval_slots)
        if absent > 0:
            reason = f"node(s) didn't satisfy plugin(s) [{P.NODE_AFFINITY}]"
            histogram[reason] = histogram.get(reason, 0) + absent
            plugins.add(P.NODE_AFFINITY)
        prefilter_msg = ""
        if outcome.prefilter_names is not None and not outcome.prefilter_names:
            prefilter_msg = outcome.prefilter[P.NODE_AFFINITY] = P.ERR_AFFINITY_CONFLICT
        message = fit_error(num_nodes, histogram, prefilter_msg)
        info = qp.info
        resolvable = np.array([s[2] for s in statuses], bool)[codes]
        potential_slots = eval_slots[resolvable]
        potential = [self.table.names[s] for s in potential_slots.tolist()]
        result = preempt(self.table, info, potential, num_nodes, _StartTimes(self.pods),
                         self.rng.randrange(len(potential)) if potential else 0, self._nominated_load(info),
                         self._terminating_on_nominated(info, outcome))
        nominate = ""
        if result.candidate is not None:
            nominate = result.candidate.node
            attempt.nominated = nominate
            self._evict_victims(info, result.candidate)
        elif result.message:
            message = f"{message} {result.message}"
        if detail is not None:
            failed = [self.table.names[s] for s in eval_slots.tolist()]
            detail.postfilter = {name: {} for name in failed}
            if nominate:
                detail.postfilter[nominate] = {"DefaultPreemption": PREEMPTION_VICTIM}
        self._fail(qp, pod, attempt, message, frozenset(plugins), nominate=nominate)

    def _terminating_on_nominated(self, info: PodInfo, outcome: FilterOutcome) -> bool:
        """PodEligibleToPreemptOthers: a pod whose earlier preemption victims are still terminating
        on its nominated node waits for them instead of preempting more."""
        node = info.nominated_node
        slot = self.table.slot_of.get(node) if node else None
        if slot is None:
            return False
        code = int(outcome.codes[slot])
        if code and not outcome.statuses.entries[code][2]:
            return False
        for key, entry in self.table.pods.get(node, {}).items():
            if entry.priority >= info.priority:
                continue
            victim = self.pods.get(key)
            if victim is not None and victim["metadata"].get("deletionTimestamp"):
                cond = objects.get_condition(victim, "DisruptionTarget")
                if cond and cond.get("status") == "True" and cond.get("reason") == "PreemptionByScheduler":
                    return True
        return False

    def _evict_victims(self, info: PodInfo, candidate) -> None:
        """prepareCandidate: mark each victim as disrupted, delete it, and tell its owner why."""
        self.stats["preemptions"] += 1
        now = rfc3339(self.clock.now)
        for entry in candidate.victims:
            victim = self.pods.get(entry.key)
            if victim is None:
                continue
            status = victim.get("status") or {}
            cond = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                    "message": f"{SCHEDULER_NAME}: preempting to accommodate a higher priority pod"}
            try:
                victim = self.api.update_status(
                    "pods", {**victim, "status": {**status, "conditions": objects.set_condition(
                        status.get("conditions"), cond, now)}})
                self.api.delete("pods", victim["metadata"]["name"], victim["metadata"]["namespace"])
            except ApiError:
                continue
            self.recorder.normal(victim, "Preempted", f"Preempted by pod {info.uid} on node {candidate.node}")
        for key, (priority, _) in list(self.nominated.get(candidate.node, {}).items()):
            if priority < info.priority:
                other = self.pods.get(key)
                if other is not None:
                    status = {k: v for k, v in (other.get("status") or {}).items() if k != "nominatedNodeName"}
                    try:
                        self.api.update_status("pods", {**other, "status": status})
                    except ApiError:
                        pass
                self._clear_nomination(key)

    def _fail(self, qp: QueuedPod, pod: dict, attempt: Attempt, message: str, plugins: frozenset[str],
              nominate: str | None) -> None:
        info = qp.info
        self.stats["unschedulable"] += 1
        attempt.result = "Unschedulable"
        attempt.message = message
        self.explains.add(info.key, info.uid, attempt)
        self.queue.add_unschedulable(qp, plugins)
        self._record_failure(pod, "Unschedulable", message, nominate)

    def _record_failure(self, pod: dict, reason: str, message: str, nominate: str | None) -> None:
        """handleSchedulingFailure: a FailedScheduling event and the PodScheduled=False condition
        (written only when it changes); `nominate` sets ("node") or clears ("") nominatedNodeName."""
        self.recorder.warning(pod, "FailedScheduling", message)
        status = pod.get("status") or {}
        cond = objects.get_condition(pod, "PodScheduled")
        same = (cond is not None and cond.get("status") == "False" and cond.get("reason") == reason
                and cond.get("message") == message)
        nominated_changes = nominate is not None and (status.get("nominatedNodeName") or "") != nominate
        if same and not nominated_changes:
            return
        new_status = dict(status)
        if not same:
            new_status["conditions"] = objects.set_condition(
                status.get("conditions"),
                {"type": "PodScheduled", "status": "False", "lastProbeTime": None, "reason": reason,
                 "message": message}, rfc3339(self.clock.now))
        if nominated_changes:
            if nominate:
                new_status["nominatedNodeName"] = nominate
            else:
                new_status.pop("nominatedNodeName", None)
        try:
            self.api.update_status("pods", {**pod, "status": new_status})
        except ApiError:
            pass   # deleted or changed meanwhile: the informer will bring the news


class _StartTimes:
    """Pod start times for preemption's tie-breaks, looked up only when needed."""

    def __init__(self, pods):
        self.pods = pods

    def get(self, key: str, default: float = 0.0) -> float:
        pod = self.pods.get(key)
        started = (pod.get("status") or {}).get("startTime") if pod else None
        return parse_rfc3339(started) if started else default
