"""Pod control for workload controllers (upstream controller_utils.go): templates, hashes, batches, deletion order."""

from __future__ import annotations

import heapq
import json
import math
from functools import cmp_to_key
from typing import Callable

from ..api.errors import ApiError
from ..clock import parse_rfc3339
from ..objects import get_condition, is_pod_active, is_pod_ready

POD_TEMPLATE_HASH_LABEL = "pod-template-hash"  # apps/v1 DefaultDeploymentUniqueLabelKey
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
BURST_REPLICAS = 500  # the ReplicaSet controller creates or deletes at most this many pods per sync
# Upstream's burst runs as concurrent requests; here one sync is one clock event that nothing can
# interrupt, so a sync does at most this many and requeues itself for the rest (same order, same events).
PODS_PER_SYNC = 25
SLOW_START_INITIAL_BATCH = 1
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery rand: no vowels, no 0/1/3 (no bad words)
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def generate_name_prefix(controller_name: str) -> str:
    """getPodsPrefix: `<controller>-`, to which the API server appends five random characters."""
    return f"{controller_name}-"


def pod_from_template(template: dict, owner_ref: dict, generate_name: str) -> dict:
    """GetPodFromTemplate: labels, annotations and finalizers of the template, its spec, and the owner.

    Nothing is copied: the API server copies what it is sent.
    """
    tmeta = template.get("metadata") or {}
    meta: dict = {"generateName": generate_name, "ownerReferences": [owner_ref]}
    for field in ("labels", "annotations", "finalizers"):
        if tmeta.get(field):
            meta[field] = tmeta[field]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}


def namespace_terminating(exc: ApiError) -> bool:
    """HasStatusCause(err, NamespaceTerminating): creates in a terminating namespace are expected to fail."""
    causes = (exc.details or {}).get("causes") or ()
    return any(c.get("type") == "NamespaceTerminating" for c in causes)


def delete_pods(api, recorder, owner: dict, namespace: str, names) -> ApiError | None:
    """Delete pods for their controller: a SuccessfulDelete event each, FailedDelete for an error (a pod
    already gone is fine); returns the first error, for the caller to raise after the rest were tried."""
    first_error = None
    for name in names:
        try:
            api.delete("pods", name, namespace)
        except ApiError as exc:
            if exc.code != 404:
                recorder.warning(owner, "FailedDelete", f"Error deleting: {exc}")
                first_error = first_error or exc
            continue
        recorder.normal(owner, "SuccessfulDelete", f"Deleted pod: {name}")
    return first_error


def slow_start_batch(count: int, fn: Callable[[], None],
                     initial: int = SLOW_START_INITIAL_BATCH) -> tuple[int, ApiError | None]:
    """Call `fn` `count` times in batches of 1, 2, 4, ...; stop after the first batch with a failure.

    Returns the number of successful calls and the first error. Upstream runs each batch in
    parallel so one failing call does not stop its batch-mates; a failing batch stops the rest, so
    a bad template costs one failed request, not hundreds.
    """
    successes = 0
    remaining = count
    batch = min(remaining, initial)
    while batch > 0:
        first_error: ApiError | None = None
        for _ in range(batch):
            try:
                fn()
                successes += 1
            except ApiError as exc:
                first_error = first_error or exc
        if first_error is not None:
            return successes, first_error
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


# -- template hashing ------------------------------------------------------------------------------

def _fnv32a(data: bytes, h: int = _FNV_OFFSET) -> int:
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(text: str) -> str:
    """rand.SafeEncodeString: map every byte onto an alphabet that cannot spell words."""
    return "".join(_SAFE_ALPHABET[ord(ch) % len(_SAFE_ALPHABET)] for ch in text)


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """ComputeHash: FNV-32a of the pod template (plus the collision count), printed in decimal and
    safe-encoded, e.g. `5d7f8b9c4`. Upstream hashes a Go dump of the struct; we hash canonical JSON,
    so values differ from a real cluster's but have the same shape and stability."""
    h = _fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":")).encode())
    if collision_count is not None:
        h = _fnv32a((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4), h)
    return safe_encode_string(str(h))


def without_hash_label(template: dict) -> dict:
    """The template without its pod-template-hash label (for EqualIgnoreHash)."""
    meta = template.get("metadata") or {}
    labels = meta.get("labels")
    if not labels or POD_TEMPLATE_HASH_LABEL not in labels:
        return template
    rest = {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH_LABEL}
    return {**template, "metadata": {**meta, "labels": rest}}


def equal_ignore_hash(t1: dict | None, t2: dict | None) -> bool:
    """EqualIgnoreHash: two pod templates are the same rollout revision."""
    return without_hash_label(t1 or {}) == without_hash_label(t2 or {})


# -- readiness and availability --------------------------------------------------------------------

def ready_since(pod: dict) -> float | None:
    """When the pod's Ready condition last turned True (None if not ready or unknown)."""
    cond = get_condition(pod, "Ready")
    if not cond or cond.get("status") != "True" or not cond.get("lastTransitionTime"):
        return None
    return parse_rfc3339(cond["lastTransitionTime"])


def is_pod_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """Ready for at least minReadySeconds (strictly), as podutil.IsPodAvailable."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = ready_since(pod)
    return since is not None and since + min_ready_seconds < now


# -- choosing pods to delete -----------------------------------------------------------------------

def _deletion_cost(pod: dict) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST)
    try:
        cost = int(value) if value is not None else 0
    except ValueError:
        return 0
    return cost if -(1 << 31) <= cost < (1 << 31) else 0


def _max_restarts(pod: dict) -> int:
    return max((c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or ()), default=0)


def _log_rank(t: float, now: float) -> int:
    d = (now - t) * 1e9  # upstream takes log2 of a Duration in nanoseconds
    return int(math.log2(d)) if d > 0 else -1


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


class RankedPod:
    """A pod's own facts for the deletion order, read once per pod version; `rank` is set per decision."""

    __slots__ = ("pod", "node", "unassigned", "phase", "ready", "cost", "rank", "ready_time", "restarts",
                 "created", "uid", "static")

    def __init__(self, pod: dict):
        meta = pod["metadata"]
        self.pod = pod
        self.node = pod["spec"].get("nodeName")
        self.unassigned = not self.node
        self.phase = _PHASE_ORDINAL.get((pod.get("status") or {}).get("phase"), 0)
        self.ready = is_pod_ready(pod)
        self.cost = _deletion_cost(pod) if meta.get("annotations") else 0
        self.rank = 0
        self.ready_time = ready_since(pod) if self.ready else None
        self.restarts = _max_restarts(pod)
        created = meta.get("creationTimestamp")
        self.created = parse_rfc3339(created) if created else None
        self.uid = meta.get("uid", "")
        self.static = (not self.unassigned, self.phase, self.ready, self.cost)  # steps 1-4 as a sort key


def _logarithmic_less(a: RankedPod, b: RankedPod, ta: float | None, tb: float | None, now: float) -> bool:
    if ta is None or tb is None:
        return _after_or_zero(ta, tb)
    diff = _log_rank(ta, now) - _log_rank(tb, now)
    if diff == 0:
        return a.uid < b.uid
    return diff < 0


def _less(a: RankedPod, b: RankedPod, now: float) -> bool:
    """ActivePodsWithRanks.Less: True when `a` should be deleted before `b`."""
    if a.unassigned != b.unassigned:  # 1. unassigned < assigned
        return a.unassigned
    if a.phase != b.phase:  # 2. Pending < Unknown < Running
        return a.phase < b.phase
    if a.ready != b.ready:  # 3. not ready < ready
        return not a.ready
    if a.cost != b.cost:  # 4. lower pod-deletion-cost < higher
        return a.cost < b.cost
    if a.rank != b.rank:  # 5. doubled up (more related pods on the node) < not doubled up
        return a.rank > b.rank
    if a.ready and b.ready and a.ready_time != b.ready_time:  # 6. ready more recently < ready longer
        return _logarithmic_less(a, b, a.ready_time, b.ready_time, now)
    if a.restarts != b.restarts:  # 7. more restarts < fewer restarts
        return a.restarts > b.restarts
    if a.created != b.created:  # 8. newer < older
        return _logarithmic_less(a, b, a.created, b.created, now)
    return False


def active_pods_per_node(pods) -> dict[str | None, int]:
    """How many active pods each node runs (None: not scheduled yet), for `pods_to_delete`'s ranks."""
    on_node: dict[str | None, int] = {}
    for pod in pods:
        if is_pod_active(pod):
            node = pod["spec"].get("nodeName")
            on_node[node] = on_node.get(node, 0) + 1
    return on_node


def pods_to_delete(candidates: list[RankedPod], on_node: dict[str | None, int], count: int,
                   now: float) -> list[RankedPod]:
    """getPodsToDelete: the `count` pods that are cheapest to lose.

    Each pod's rank is how many active related pods (of the owner's sibling ReplicaSets, counted in
    `on_node`) share its node; pods are sorted by ActivePodsWithRanks (unscheduled, pending, not ready,
    cheap, doubled up, recently ready, crashy, young first) and the first `count` returned.
    """
    if count >= len(candidates):
        return list(candidates)
    # Steps 1-6 up to the log-scale ready time make a plain tuple order, cheap to build per pod; only
    # the pods tied with the last one that must go need the full comparison.
    keyed = []
    for i, r in enumerate(candidates):
        r.rank = on_node.get(r.node, 0)
        recent = (0, 0) if not r.ready or r.ready_time is None else (1, _log_rank(r.ready_time, now))
        keyed.append((r.static + (-r.rank,) + recent, i))
    smallest = heapq.nsmallest(count, keyed)
    boundary = smallest[-1][0]
    chosen = [i for key, i in smallest if key < boundary]
    tied = [i for key, i in keyed if key == boundary]

    def compare(a: int, b: int) -> int:
        if _less(candidates[a], candidates[b], now):
            return -1
        return 1 if _less(candidates[b], candidates[a], now) else 0

    chosen += heapq.nsmallest(count - len(chosen), tied, key=cmp_to_key(compare))
    return [candidates[i] for i in sorted(chosen, key=cmp_to_key(compare))]
