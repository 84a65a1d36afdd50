"""Node lifecycle controller: lease expiry → Ready=Unknown, condition taints, rate-limited NoExecute taints."""

from __future__ import annotations

from dataclasses import dataclass

from ..api.errors import ApiError
from ..clock import parse_rfc3339, rfc3339
from ..leaderelection import gated
from ..objects import get_condition
from .base import Controller

NODE_LEASE_NAMESPACE = "kube-node-lease"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"
UNHEALTHY_ZONE_THRESHOLD = 0.55     # --unhealthy-zone-threshold
LARGE_CLUSTER_SIZE_THRESHOLD = 50   # --large-cluster-size-threshold
SECONDARY_EVICTION_RATE = 0.01      # --secondary-node-eviction-rate

# Which node condition in which state puts which taint on the node (taint-nodes-by-condition).
CONDITION_TAINTS = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_MANAGED_NO_SCHEDULE = frozenset({UNSCHEDULABLE, *(key for by_status in CONDITION_TAINTS.values()
                                                   for key in by_status.values())})
_HEALTH_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

STATE_INITIAL = "Initial"
STATE_NORMAL = "Normal"
STATE_FULL_DISRUPTION = "FullDisruption"
STATE_PARTIAL_DISRUPTION = "PartialDisruption"


def zone_key(node: dict) -> str:
    """nodetopology.GetZoneKey: region and zone joined by `:\\x00:`, or "" without topology labels."""
    labels = node["metadata"].get("labels") or {}
    region = labels.get(REGION_LABEL) or labels.get("failure-domain.beta.kubernetes.io/region", "")
    zone = labels.get(ZONE_LABEL) or labels.get("failure-domain.beta.kubernetes.io/zone", "")
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def zone_name(key: str) -> str:
    """A zone key as people write it: `eu-west-1/eu-west-1a`, or `(no zone)`."""
    if not key:
        return "(no zone)"
    region, _, zone = key.partition(":\x00:")
    return "/".join(p for p in (region, zone) if p)


@dataclass
class _Health:
    """What the controller last observed of a node, with its own clock's timestamps."""

    probe: float                  # when a fresh heartbeat (status or lease) was last seen
    ready_transition: float
    heartbeat: str | None         # the Ready condition's lastHeartbeatTime then
    transition: str | None        # the Ready condition's lastTransitionTime then
    lease: str | None = None      # the Lease renewTime then


class _ZoneTainter:
    """RateLimitedTimedQueue with a token bucket (burst 1): nodes waiting for their NoExecute taint."""

    def __init__(self, qps: float, now: float):
        self.qps = qps
        self.tokens = 1.0
        self.last = now
        self.queue: dict[str, str] = {}  # node name -> uid, in the order added

    def _refill(self, now: float) -> None:
        if self.qps > 0:
            self.tokens = min(1.0, self.tokens + (now - self.last) * self.qps)
        self.last = now

    def try_accept(self, now: float) -> bool:
        self._refill(now)
        if self.qps > 0 and self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False

    def wait(self, now: float) -> float | None:
        """Seconds until the next token, or None while evictions are stopped (qps 0)."""
        if self.qps <= 0:
            return None
        self._refill(now)
        return max(0.0, (1.0 - self.tokens) / self.qps)

    def swap_limiter(self, qps: float, now: float) -> None:
        if qps == self.qps:
            return
        self._refill(now)
        waiting = self.tokens < 1.0 - 1e-9
        self.qps = qps
        self.tokens = 0.0 if waiting or qps <= 0 else 1.0
        self.last = now


def _has_taint(node: dict, key: str, effect: str) -> bool:
    return any(t.get("key") == key and t.get("effect") == effect for t in (node.get("spec") or {}).get("taints") or ())


class NodeLifecycleController(Controller):
    """Watches kubelets' heartbeats (Lease renewals and Ready condition updates). A node silent for
    longer than the grace period gets Ready=Unknown, its pods Ready=False and, through a per-zone
    rate limiter, the NoExecute taint that makes the taint eviction controller evict its pods.
    NoSchedule taints mirror node conditions (and spec.unschedulable) on every node update."""

    name = "nodelifecycle"
    component = "node-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.nodes = self.informers.informer("nodes")
        self.leases = self.informers.informer("leases")
        self.pods = self.informers.informer("pods")
        self.nodes.add_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new))
        self._taint_timer = None
        self._fresh_start()
        self.gate.on_start(self._fresh_start)
        period = self.profile.node_monitor_period
        self._next_monitor = self.clock.now + period
        self.clock.call_later(period, self._monitor, daemon=True)

    def _fresh_start(self) -> None:
        """What a newly started (or newly elected) controller knows: nothing yet. Every node's grace
        period starts from the first time this process sees it."""
        self._health: dict[str, _Health] = {}
        self._known: dict[str, dict] = {}
        self._zone_states: dict[str, str] = {}
        self._zone_sizes: dict[str, tuple[int, int]] = {}  # zone -> (nodes, not ready)
        self._tainters: dict[str, _ZoneTainter] = {}
        if self._taint_timer is not None:
            self._taint_timer.cancel()
            self._taint_timer = None

    # -- NoSchedule taints from conditions (doNoScheduleTaintingPass) ------------------------------

    def sync(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            return
        wanted = set()
        for cond in (node.get("status") or {}).get("conditions") or ():
            taint = CONDITION_TAINTS.get(cond.get("type"), {}).get(cond.get("status"))
            if taint:
                wanted.add(taint)
        if (node.get("spec") or {}).get("unschedulable"):
            wanted.add(UNSCHEDULABLE)
        have = {t["key"] for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("effect") == "NoSchedule" and t.get("key") in _MANAGED_NO_SCHEDULE}
        if wanted != have:
            self._swap_taints(key, [(k, "NoSchedule") for k in sorted(wanted - have)],
                              [(k, "NoSchedule") for k in sorted(have - wanted)], raise_errors=True)

    def _swap_taints(self, name: str, add: list[tuple[str, str]], remove: list[tuple[str, str]],
                     raise_errors: bool = False) -> bool:
        """SwapNodeControllerTaint: add taints (stamped with timeAdded) and remove others in one update."""
        for _ in range(2):
            node = self.nodes.get(name)
            if node is None:
                return False
            spec = node.get("spec") or {}
            taints = [t for t in spec.get("taints") or () if (t.get("key"), t.get("effect")) not in remove]
            now = rfc3339(self.clock.now)
            for key, effect in add:
                if not any(t.get("key") == key and t.get("effect") == effect for t in taints):
                    taints.append({"key": key, "effect": effect, "timeAdded": now})
            if taints == (spec.get("taints") or []):
                return True
            new_spec = {**spec, "taints": taints}
            if not taints:
                del new_spec["taints"]
            try:
                self.api.update("nodes", {**node, "spec": new_spec}, field_validation="Ignore")
                return True
            except ApiError as exc:
                if exc.code == 404:
                    return False
                if exc.code != 409:
                    if raise_errors:
                        raise
                    self.ctx.record_error(self.name, name, exc)
                    return False
        return False

    # -- health monitoring (monitorNodeHealth) ---------------------------------------------------

    @gated
    def _monitor(self) -> None:
        period = self.profile.node_monitor_period
        self._next_monitor = self.clock.now + period
        self.clock.call_later(period, self._monitor, daemon=True)
        nodes = self.nodes.list()
        names = set()
        for node in nodes:
            name = node["metadata"]["name"]
            names.add(name)
            if name not in self._known:
                self._known[name] = node
                self.recorder.normal(node, "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
                self._add_zone(zone_key(node))
                self._mark_reachable(node)
            else:
                self._add_zone(zone_key(node))
        for name in sorted(set(self._known) - names):
            gone = self._known.pop(name)
            self._health.pop(name, None)
            self.recorder.normal(gone, "RemovingNode", f"Node {name} event: Removing Node {name} from Controller")
        zone_ready: dict[str, list[str]] = {}
        for node in nodes:
            result = self._update_health(node)
            if result is None:
                continue
            observed, current = result
            labels = node["metadata"].get("labels") or {}
            if EXCLUDE_DISRUPTION_LABEL not in labels:
                zone_ready.setdefault(zone_key(node), []).append(current)
            self._taint_based_eviction(node, observed)
            if current != "True" and observed == "True":
                name = node["metadata"]["name"]
                self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
                self._mark_pods_not_ready(node["metadata"]["name"])
        self._handle_disruption(zone_ready, nodes)
        self._schedule_taint_pass()

    def _update_health(self, node: dict) -> tuple[str, str] | None:
        """tryUpdateNodeHealth: note fresh heartbeats; after the grace period without one, set the
        node's health conditions to Unknown. Returns (observed, current) Ready status."""
        name = node["metadata"]["name"]
        now = self.clock.now
        status = node.get("status") or {}
        ready = get_condition(node, "Ready")
        health = self._health.get(name)
        if ready is None:
            observed = "Unknown"
            grace = self.profile.node_startup_grace_period
            if health is None:
                created = parse_rfc3339(node["metadata"]["creationTimestamp"])
                health = _Health(created, created, None, None)
        else:
            observed = ready.get("status", "Unknown")
            grace = self.profile.node_monitor_grace_period
            if health is None or health.heartbeat is None:
                health = _Health(now, now, ready.get("lastHeartbeatTime"), ready.get("lastTransitionTime"))
            elif health.heartbeat != ready.get("lastHeartbeatTime"):
                transition = now if health.transition != ready.get("lastTransitionTime") else health.ready_transition
                health = _Health(now, transition, ready.get("lastHeartbeatTime"), ready.get("lastTransitionTime"),
                                 health.lease)
        lease = self.leases.get(f"{NODE_LEASE_NAMESPACE}/{name}")
        renew = (lease or {}).get("spec", {}).get("renewTime") if lease else None
        if renew and (health.lease is None or health.lease < renew):
            health.lease = renew
            health.probe = now
        self._health[name] = health
        current = observed
        if now > health.probe + grace:
            stamp = rfc3339(now)
            conditions = [dict(c) for c in status.get("conditions") or ()]
            by_type = {c.get("type"): c for c in conditions}
            for type_ in _HEALTH_CONDITIONS:
                cond = by_type.get(type_)
                if cond is None:
                    conditions.append({"type": type_, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                       "message": "Kubelet never posted node status.",
                                       "lastHeartbeatTime": node["metadata"]["creationTimestamp"],
                                       "lastTransitionTime": stamp})
                elif cond.get("status") != "Unknown":
                    cond.update(status="Unknown", reason="NodeStatusUnknown",
                                message="Kubelet stopped posting node status.", lastTransitionTime=stamp)
            current = "Unknown"
            if current != observed or ready is None:
                try:
                    self.api.update_status("nodes", {**node, "status": {**status, "conditions": conditions}})
                except ApiError as exc:
                    self.ctx.record_error(self.name, name, exc)
                    return None
                health.ready_transition = now
        return observed, current

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: flip each pod's Ready condition to False, so Services stop routing to it."""
        now = rfc3339(self.clock.now)
        for pod in self.pods.by_index("nodeName", node_name):
            status = pod.get("status") or {}
            conditions = status.get("conditions") or []
            ready = next((c for c in conditions if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            new = [{**c, "status": "False", "lastTransitionTime": now} if c is ready else c for c in conditions]
            try:
                self.api.update_status("pods", {**pod, "status": {**status, "conditions": new}})
            except ApiError as exc:
                if exc.code != 404:
                    self.ctx.record_error(self.name, node_name, exc)
                continue
            self.recorder.warning(pod, "NodeNotReady", "Node is not ready")

    # -- NoExecute taints through the zone rate limiters -------------------------------------------

    def _add_zone(self, zone: str) -> None:
        if zone not in self._zone_states:
            self._zone_states[zone] = STATE_INITIAL
            self._tainters[zone] = _ZoneTainter(self.profile.node_eviction_rate, self.clock.now)

    def _taint_based_eviction(self, node: dict, observed: str) -> None:
        name = node["metadata"]["name"]
        if observed == "False":
            if _has_taint(node, UNREACHABLE, "NoExecute"):
                self._swap_taints(name, [(NOT_READY, "NoExecute")], [(UNREACHABLE, "NoExecute")])
            else:
                self._mark_for_tainting(node)
        elif observed == "Unknown":
            if _has_taint(node, NOT_READY, "NoExecute"):
                self._swap_taints(name, [(UNREACHABLE, "NoExecute")], [(NOT_READY, "NoExecute")])
            else:
                self._mark_for_tainting(node)
        elif observed == "True":
            self._mark_reachable(node)

    def _mark_for_tainting(self, node: dict) -> None:
        name = node["metadata"]["name"]
        if _has_taint(node, NOT_READY, "NoExecute") or _has_taint(node, UNREACHABLE, "NoExecute"):
            return
        tainter = self._tainters[zone_key(node)]
        tainter.queue.setdefault(name, node["metadata"]["uid"])

    def _mark_reachable(self, node: dict) -> None:
        name = node["metadata"]["name"]
        remove = [(k, "NoExecute") for k in (UNREACHABLE, NOT_READY) if _has_taint(node, k, "NoExecute")]
        if remove:
            self._swap_taints(name, [], remove)
        tainter = self._tainters.get(zone_key(node))
        if tainter is not None:
            tainter.queue.pop(name, None)

    def _schedule_taint_pass(self) -> None:
        now = self.clock.now
        soonest = None
        for tainter in self._tainters.values():
            if tainter.queue:
                wait = tainter.wait(now)
                if wait is not None and (soonest is None or wait < soonest):
                    soonest = wait
        if soonest is None:
            return
        timer = self._taint_timer
        if timer is not None and not timer.cancelled and timer.when >= now:
            if timer.when <= now + soonest:
                return
            timer.cancel()
        head = next(n for t in self._tainters.values() for n in t.queue)
        self._taint_timer = self.clock.call_later(soonest, self._taint_pass, label=f"taint {head} NoExecute")

    @gated
    def _taint_pass(self) -> None:
        """doNoExecuteTaintingPass: taint queued nodes as fast as each zone's limiter allows."""
        self._taint_timer = None
        now = self.clock.now
        for tainter in self._tainters.values():
            while tainter.queue and tainter.try_accept(now):
                name = next(iter(tainter.queue))
                del tainter.queue[name]
                node = self.nodes.get(name)
                ready = get_condition(node, "Ready") if node is not None else None
                status = (ready or {}).get("status")
                if status == "False":
                    ok = self._swap_taints(name, [(NOT_READY, "NoExecute")], [(UNREACHABLE, "NoExecute")])
                elif status == "Unknown":
                    ok = self._swap_taints(name, [(UNREACHABLE, "NoExecute")], [(NOT_READY, "NoExecute")])
                else:
                    ok = True
                if not ok and node is not None:
                    tainter.queue[name] = node["metadata"]["uid"]
                    break
        self._schedule_taint_pass()

    # -- zones (handleDisruption) ------------------------------------------------------------------

    def _zone_state(self, statuses: list[str]) -> tuple[int, str]:
        """ComputeZoneState: no Ready node → full disruption; at least 3 and ≥ 55% not Ready → partial."""
        ready = sum(1 for s in statuses if s == "True")
        not_ready = len(statuses) - ready
        if ready == 0 and not_ready > 0:
            return not_ready, STATE_FULL_DISRUPTION
        if not_ready > 2 and not_ready / len(statuses) >= UNHEALTHY_ZONE_THRESHOLD:
            return not_ready, STATE_PARTIAL_DISRUPTION
        return not_ready, STATE_NORMAL

    def _zone_rate(self, state: str, size: int) -> float:
        if state == STATE_PARTIAL_DISRUPTION:
            return SECONDARY_EVICTION_RATE if size > LARGE_CLUSTER_SIZE_THRESHOLD else 0.0
        return self.profile.node_eviction_rate

    def _handle_disruption(self, zone_ready: dict[str, list[str]], nodes: list[dict]) -> None:
        now = self.clock.now
        new_states = {}
        all_fully_disrupted = True
        for zone, statuses in zone_ready.items():
            not_ready, state = self._zone_state(statuses)
            self._zone_sizes[zone] = (len(statuses), not_ready)
            new_states[zone] = state
            all_fully_disrupted = all_fully_disrupted and state == STATE_FULL_DISRUPTION
            self._add_zone(zone)
        for zone in [z for z in self._zone_states if z not in zone_ready]:
            del self._zone_states[zone]
            self._zone_sizes.pop(zone, None)
        all_were_fully_disrupted = all(s == STATE_FULL_DISRUPTION for s in self._zone_states.values())
        if not zone_ready or (all_fully_disrupted and all_were_fully_disrupted):
            return
        if all_fully_disrupted:
            # Every node silent at once: assume the control plane lost its network, not the nodes.
            for node in nodes:
                self._mark_reachable(self.nodes.get(node["metadata"]["name"]) or node)
            for zone in self._zone_states:
                self._tainters[zone].swap_limiter(0.0, now)
                self._zone_states[zone] = STATE_FULL_DISRUPTION
            return
        if all_were_fully_disrupted:
            for health in self._health.values():
                health.probe = now
                health.ready_transition = now
            for zone in self._zone_states:
                self._tainters[zone].swap_limiter(self._zone_rate(new_states[zone], len(zone_ready[zone])), now)
                self._zone_states[zone] = new_states[zone]
            return
        for zone, state in new_states.items():
            if self._zone_states.get(zone) != state:
                self._tainters[zone].swap_limiter(self._zone_rate(state, len(zone_ready[zone])), now)
                self._zone_states[zone] = state

    # -- reads for the UI ------------------------------------------------------------------------

    def zone_states(self) -> list[dict]:
        """Each zone's disruption state and eviction rate, with the reason in words."""
        all_full = bool(self._zone_states) and all(s == STATE_FULL_DISRUPTION for s in self._zone_states.values())
        rows = []
        for zone in sorted(self._zone_states):
            state = self._zone_states[zone]
            size, not_ready = self._zone_sizes.get(zone, (0, 0))
            tainter = self._tainters[zone]
            if all_full:
                reason = ("every node in every zone is not ready: evictions stopped "
                          "(a control-plane network problem is assumed)")
            elif state == STATE_PARTIAL_DISRUPTION:
                if tainter.qps > 0:
                    reason = (f"{not_ready} of {size} nodes not ready (≥ {UNHEALTHY_ZONE_THRESHOLD:.0%}): "
                              f"evicting at the secondary rate")
                else:
                    reason = (f"{not_ready} of {size} nodes not ready (≥ {UNHEALTHY_ZONE_THRESHOLD:.0%}) in a cluster "
                              f"of ≤ {LARGE_CLUSTER_SIZE_THRESHOLD} nodes: evictions stopped")
            elif state == STATE_FULL_DISRUPTION:
                reason = f"no node ready: evicting at {tainter.qps:g} nodes/s"
            else:
                reason = f"{not_ready} of {size} nodes not ready: evicting at {tainter.qps:g} nodes/s"
            rows.append({"zone": zone_name(zone), "state": state, "nodes": size, "not_ready": not_ready,
                         "eviction_rate": tainter.qps, "queued": list(tainter.queue), "reason": reason})
        return rows

    def pending_transitions(self) -> list[tuple[str, str, float | None]]:
        """Countdowns for the UI: nodes that stopped heartbeating and will turn NotReady, and nodes
        waiting for a NoExecute taint (None: not while evictions are stopped)."""
        now = self.clock.now
        period = self.profile.node_monitor_period
        stale_after = self.profile.node_lease_renew_interval * 1.5
        out: list[tuple[str, str, float | None]] = []
        for name in sorted(self._health):
            health = self._health[name]
            node = self.nodes.get(name)
            ready = get_condition(node, "Ready") if node is not None else None
            if ready is None or ready.get("status") != "True" or health.lease is None:
                continue
            if now - parse_rfc3339(health.lease) <= stale_after:
                continue
            deadline = health.probe + self.profile.node_monitor_grace_period
            tick = self._next_monitor
            if tick <= deadline:
                tick += (int((deadline - tick) // period) + 1) * period
            out.append((name, "NotReady", max(0.0, tick - now)))
        for zone in sorted(self._tainters):
            tainter = self._tainters[zone]
            wait = tainter.wait(now)
            for i, name in enumerate(tainter.queue):
                node = self.nodes.get(name)
                ready = (get_condition(node, "Ready") or {}).get("status") if node is not None else None
                taint = NOT_READY if ready == "False" else UNREACHABLE
                left = None if wait is None else wait + i / tainter.qps
                out.append((name, f"taint {taint}:NoExecute", left))
        return out
