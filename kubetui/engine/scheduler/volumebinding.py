"""VolumeBinding: a pod's claims must be bound, or bindable on the node, before it is placed (PreFilter, Filter, PreBind)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import volumes as V
from ..context import Context
from ..objects import key_of
from .nodeinfo import NodeTable
from .plugins import VOLUME_BINDING, PodInfo, Statuses, _parse_term, term_mask

ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
# FindPodVolumes' reasons for each combination of bits: 1 node conflict, 2 bind conflict, 4 missing PV.
_REASONS = tuple(tuple(r for i, r in enumerate((ERR_NODE_CONFLICT, ERR_BIND_CONFLICT, ERR_PV_NOT_EXIST))
                       if b >> i & 1) for b in range(8))
BIND_TIMEOUT_SECONDS = 600.0  # VolumeBindingArgs.bindTimeoutSeconds
POLL_INTERVAL = 1.0           # BindPodVolumes polls the claims every second


def fully_bound(claim: dict) -> bool:
    """isPVCFullyBound: the PV controller has finished binding the claim."""
    return bool((claim.get("spec") or {}).get("volumeName")) and V.ANN_BIND_COMPLETED in V.annotations(claim)


def volume_affinity(table: NodeTable, pv: dict) -> np.ndarray | None:
    """The slots a volume's spec.nodeAffinity admits (None: every node)."""
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if required is None:
        return None
    mask = np.zeros(table.cap, bool)
    for term in required.get("nodeSelectorTerms") or ():
        mask |= term_mask(table, _parse_term(term))
    return mask


def class_topology(table: NodeTable, cls: dict) -> np.ndarray | None:
    """MatchTopologySelectorTerms over a class's allowedTopologies (None: no restriction)."""
    terms = cls.get("allowedTopologies")
    if not terms:
        return None
    mask = np.zeros(table.cap, bool)
    for term in terms:
        reqs = tuple((False, e.get("key", ""), "In", tuple(e.get("values") or ()))
                     for e in term.get("matchLabelExpressions") or ())
        mask |= term_mask(table, reqs)
    return mask


class VolumeCycle:
    """One scheduling cycle's view of a pod's claims (the plugin's CycleState): the claims already
    bound, and the WaitForFirstConsumer claims the scheduler binds or has provisioned on the node it
    picks. `filter` remembers which static volume each claim would get on each node."""

    def __init__(self, plugin: VolumeBinding, bound: list[dict], delayed: list[dict]):
        self.plugin = plugin
        self.bound = bound
        self.delayed = delayed
        self.all_bound = not delayed
        self.matches: list[tuple[dict, list[dict], np.ndarray]] = []  # (claim, candidates, chosen per slot)
        self.selected: list[dict] = []  # claims a node was already picked for: provisioning is under way

    def filter(self, codes: np.ndarray, st: Statuses) -> np.ndarray:
        """FindPodVolumes on every slot."""
        plugin = self.plugin
        table = plugin.table
        bits = np.zeros(table.cap, np.int32)
        for claim in self.bound:
            pv = plugin.volumes.get(claim["spec"]["volumeName"])
            if pv is None:
                bits |= 4
                break
            affinity = volume_affinity(table, pv)
            if affinity is not None:
                bits[~affinity] |= 1
        to_match = []
        for claim in self.delayed:
            node = V.annotations(claim).get(V.ANN_SELECTED_NODE)
            if node is None:
                to_match.append(claim)
                continue
            self.selected.append(claim)
            chosen = np.zeros(table.cap, bool)
            slot = table.slot_of.get(node)
            if slot is not None:
                chosen[slot] = True
            bits[~chosen] |= 2
        provision = [(claim, table.alive) for claim in self.selected]
        provision += self._find_matching(to_match)
        for claim, where in provision:
            bits[where & ~self._provisionable(claim)] |= 2
        lut = np.array([0] + [st.code(VOLUME_BINDING, _REASONS[b], False) for b in range(1, 8)], np.int32)
        return np.where((codes == 0) & (bits > 0), lut[bits], codes)

    def _find_matching(self, claims: list[dict]) -> list[tuple[dict, np.ndarray]]:
        """findMatchingVolumes on every slot: claims from the smallest request up each take the smallest
        volume of their class that fits and whose node affinity admits the slot (a volume pre-bound to
        the claim wins outright), never one an earlier claim took there. Returns, per claim, the slots
        where nothing matched and a volume would have to be provisioned."""
        plugin = self.plugin
        table = plugin.table
        taken: dict[str, np.ndarray] = {}
        unmatched = []
        for claim in sorted(claims, key=V.claim_request):
            requested = V.claim_request(claim)
            wanted_class = V.claim_class(claim)
            selector = V.claim_selector(claim)
            candidates = plugin.volumes.by_index(V.VOLUME_CLASS_INDEX, wanted_class)  # sorted by name
            decided = np.zeros(table.cap, bool)
            chosen = np.full(table.cap, -1, np.int64)
            smallest = np.full(table.cap, math.inf)
            for i, pv in enumerate(candidates):
                if V.volume_mode_mismatch(claim, pv) or pv["metadata"].get("deletionTimestamp"):
                    continue
                size = V.volume_capacity(pv)
                free = ~decided & ~taken.get(pv["metadata"]["name"], np.zeros(table.cap, bool))
                affinity = volume_affinity(table, pv)
                fits = free if affinity is None else free & affinity
                if V.is_bound_to_claim(pv, claim):
                    if size >= requested:
                        chosen[fits] = i
                        chosen[free & ~fits] = -1
                        decided |= free
                    continue
                if (size < requested or not V.unbound_match(pv, claim, selector, wanted_class)
                        or not V.check_access_modes(claim, pv)):
                    continue
                better = fits & (float(size) < smallest)
                chosen[better] = i
                smallest[better] = float(size)
            for i, pv in enumerate(candidates):
                got = chosen == i
                if got.any():
                    name = pv["metadata"]["name"]
                    taken[name] = taken.get(name, np.zeros(table.cap, bool)) | got
            self.matches.append((claim, candidates, chosen))
            unmatched.append((claim, chosen < 0))
        return unmatched

    def _provisionable(self, claim: dict) -> np.ndarray:
        """checkVolumeProvisions for one claim: its class has a provisioner and admits the slot."""
        table = self.plugin.table
        cls = self.plugin.classes.get(V.claim_class(claim))
        provisioner = (cls or {}).get("provisioner") or ""
        if not provisioner or provisioner == V.NOT_SUPPORTED_PROVISIONER:
            return np.zeros(table.cap, bool)
        topology = class_topology(table, cls)
        return table.alive if topology is None else topology

    def reserve(self, node: str) -> tuple[list[tuple[dict, dict]], list[dict]]:
        """The static bindings (volume, claim) and the claims to provision for the chosen node."""
        slot = self.plugin.table.slot_of[node]
        bindings, provisions = [], list(self.selected)
        for claim, candidates, chosen in self.matches:
            i = int(chosen[slot])
            if i >= 0:
                bindings.append((candidates[i], claim))
            else:
                provisions.append(claim)
        return bindings, provisions


class _Wait:
    """PreBind of one pod: the claims whose binding it waits for on `node`."""

    __slots__ = ("node", "started", "volumes", "claims", "provisions", "done", "poll", "deadline")

    def __init__(self, node: str, started: float, volumes: list[tuple[str, str]], provisions: list[str],
                 done: Callable[[str | None], None]):
        self.node = node
        self.started = started
        self.volumes = volumes          # (volume name, claim key) of each static binding
        self.provisions = provisions    # claim keys with the selected-node annotation
        self.claims = {c for _, c in volumes} | set(provisions)
        self.done = done
        self.poll = None
        self.deadline = None


class VolumeBinding:
    """The VolumeBinding plugin with its binder (SchedulerVolumeBinder).

    PreFilter sorts a pod's claims into bound, WaitForFirstConsumer (delayed) and unbound immediate
    ones, which make it unschedulable until the PV controller binds them; Filter (`VolumeCycle`)
    checks bound volumes' node affinity and whether delayed claims can be bound or provisioned on a
    node; PreBind writes the chosen bindings (a volume's claimRef, a claim's selected-node) and waits,
    polling every second for up to 10 minutes, until the PV controller has bound every claim.
    """

    def __init__(self, ctx: Context, table: NodeTable, on_change: Callable[[], None]):
        self.api = ctx.api
        self.clock = ctx.clock
        self.table = table
        self.claims = ctx.informers.informer("persistentvolumeclaims")
        self.volumes = ctx.informers.informer("persistentvolumes")
        self.classes = ctx.informers.informer("storageclasses")
        self.volumes.add_indexer(V.VOLUME_CLASS_INDEX, V.index_volume_class)
        self._waits: dict[str, _Wait] = {}
        self._waits_by_claim: dict[str, set[str]] = {}
        self._on_change = on_change
        self.claims.add_handler(self._claim_changed, lambda old, new: self._claim_changed(new), replay=False)
        self.volumes.add_handler(self._volume_changed, lambda old, new: self._volume_changed(new), replay=False)
        self.classes.add_handler(lambda c: on_change(), lambda old, new: on_change(), replay=False)

    # -- PreFilter ---------------------------------------------------------------------------

    def prefilter(self, info: PodInfo) -> tuple[VolumeCycle | None, str]:
        """(the cycle state, "") for a pod with claims; (None, "") when it has none (Skip); (None,
        message) when the pod cannot be scheduled until its claims change."""
        names = V.claim_names(info.pod)
        if not names:
            return None, ""
        claims = []
        for name in names:
            claim = self.claims.get(f"{info.namespace}/{name}")
            if claim is None:
                return None, f'persistentvolumeclaim "{name}" not found'
            if V.phase(claim) == "Lost":
                volume = claim["spec"].get("volumeName", "")
                return None, f'persistentvolumeclaim "{name}" bound to non-existent persistentvolume "{volume}"'
            if claim["metadata"].get("deletionTimestamp"):
                return None, f'persistentvolumeclaim "{name}" is being deleted'
            claims.append(claim)
        bound, delayed = [], []
        for claim in claims:
            if fully_bound(claim):
                bound.append(claim)
            elif V.is_delay_binding(claim, self.classes) and not claim["spec"].get("volumeName"):
                delayed.append(claim)
            else:
                return None, ERR_UNBOUND_IMMEDIATE
        return VolumeCycle(self, bound, delayed), ""

    # -- PreBind -----------------------------------------------------------------------------

    def prebind(self, info: PodInfo, node: str, cycle: VolumeCycle, done: Callable[[str | None], None]) -> None:
        """bindAPIUpdate, then wait: `done(None)` once every claim is bound, `done(error)` if binding
        fails or times out. An API error from the updates themselves is raised."""
        bindings, provisions = cycle.reserve(node)
        for pv, claim in bindings:
            new, dirty = V.bind_volume_to_claim(pv, claim)
            if dirty:
                self.api.update("persistentvolumes", new, field_validation="Ignore")
        for claim in provisions:
            meta = claim["metadata"]
            anns = meta.get("annotations") or {}
            if anns.get(V.ANN_SELECTED_NODE) != node:
                self.api.update("persistentvolumeclaims", {**claim, "metadata": {
                    **meta, "annotations": {**anns, V.ANN_SELECTED_NODE: node}}}, meta["namespace"],
                    field_validation="Ignore")
        wait = _Wait(node, self.clock.now,
                     [(pv["metadata"]["name"], key_of(claim)) for pv, claim in bindings],
                     [key_of(claim) for claim in provisions], done)
        self._waits[info.key] = wait
        for claim in wait.claims:
            self._waits_by_claim.setdefault(claim, set()).add(info.key)
        # A timeout is a safety net, not work in progress: it does not keep run_until_idle going.
        wait.deadline = self.clock.call_later(BIND_TIMEOUT_SECONDS, self._finish, info.key,
                                              "context deadline exceeded", daemon=True)
        self._schedule_poll(info.key, wait)

    def cancel(self, key: str) -> bool:
        """The pod went away while its volumes were being bound; True if it was waiting."""
        return self._forget(key) is not None

    def _forget(self, key: str) -> _Wait | None:
        wait = self._waits.pop(key, None)
        if wait is None:
            return None
        for timer in (wait.poll, wait.deadline):
            if timer is not None:
                timer.cancel()
        for claim in wait.claims:
            keys = self._waits_by_claim.get(claim)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._waits_by_claim[claim]
        return wait

    def _schedule_poll(self, key: str, wait: _Wait) -> None:
        """Check at the next whole poll interval since PreBind began (PollUntilContextTimeout)."""
        if wait.poll is not None:
            return
        ticks = max(1, math.ceil((self.clock.now - wait.started) / POLL_INTERVAL))
        wait.poll = self.clock.call_at(wait.started + ticks * POLL_INTERVAL, self._poll, key)

    def _poll(self, key: str) -> None:
        wait = self._waits.get(key)
        if wait is None:
            return
        wait.poll = None
        outcome = self._check(wait)
        if outcome is not False:
            self._finish(key, outcome)

    def _finish(self, key: str, error: str | None) -> None:
        wait = self._forget(key)
        if wait is not None:
            wait.done(error)

    def _check(self, wait: _Wait) -> bool | str | None:
        """checkBindings: None when every claim is bound, False to keep waiting, or an error."""
        slot = self.table.slot_of.get(wait.node)
        if slot is None:
            return f'failed to get node "{wait.node}": node "{wait.node}" not found'
        for name, claim_key in wait.volumes:
            pv = self.volumes.get(name)
            claim = self.claims.get(claim_key)
            if pv is None or claim is None:
                missing = f'PV "{name}"' if pv is None else f'PVC "{claim_key}"'
                return f"failed to check binding: {missing} not found"
            error = self._affinity_error(pv, wait.node, slot)
            if error:
                return error
            ref = pv["spec"].get("claimRef") or {}
            if not ref.get("uid"):
                return f'ClaimRef got reset for pv "{name}"'
            if not fully_bound(claim):
                return False
        for claim_key in wait.provisions:
            claim = self.claims.get(claim_key)
            if claim is None:
                return f'failed to check provisioning pvc: PVC "{claim_key}" not found'
            if V.annotations(claim).get(V.ANN_SELECTED_NODE) != wait.node:
                return f'provisioning failed for PVC "{claim["metadata"]["name"]}"'
            name = claim["spec"].get("volumeName")
            if name:
                pv = self.volumes.get(name)
                if pv is None:
                    return False
                error = self._affinity_error(pv, wait.node, slot)
                if error:
                    return error
            if not fully_bound(claim):
                return False
        return None

    def _affinity_error(self, pv: dict, node: str, slot: int) -> str:
        affinity = volume_affinity(self.table, pv)
        if affinity is None or affinity[slot]:
            return ""
        return f'pv "{pv["metadata"]["name"]}" node affinity doesn\'t match node "{node}": no matching NodeSelectorTerms'

    # -- cluster events ----------------------------------------------------------------------

    def _claim_changed(self, claim: dict) -> None:
        self._wake(key_of(claim))
        self._on_change()

    def _volume_changed(self, pv: dict) -> None:
        ref = (pv.get("spec") or {}).get("claimRef")
        if ref:
            self._wake(f"{ref.get('namespace')}/{ref.get('name')}")
        self._on_change()

    def _wake(self, claim_key: str) -> None:
        for key in sorted(self._waits_by_claim.get(claim_key, ())):
            self._schedule_poll(key, self._waits[key])
