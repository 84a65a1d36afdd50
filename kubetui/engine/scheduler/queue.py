"""The scheduling queue: activeQ (priority, then FIFO), backoffQ and unschedulable pods, as PriorityQueue."""

from __future__ import annotations

import heapq
from itertools import count
from typing import Callable

from ..clock import Clock, Timer
from .plugins import PodInfo

ACTIVE, BACKOFF, UNSCHEDULABLE, IN_FLIGHT = "active", "backoff", "unschedulable", "in-flight"
UNSCHEDULABLE_CHECK_PERIOD = 30.0  # flushUnschedulablePodsLeftover runs every 30 s upstream


class QueuedPod:
    """A pod waiting in (or popped from) the queue, with its scheduling history."""

    __slots__ = ("info", "timestamp", "attempts", "unschedulable_plugins", "where", "seq", "timer", "cycle")

    def __init__(self, info: PodInfo, now: float):
        self.info = info
        self.timestamp = now          # when the pod last entered the queue (orders the FIFO)
        self.attempts = 0
        self.unschedulable_plugins: frozenset[str] = frozenset()
        self.where = ""
        self.seq = 0
        self.timer: Timer | None = None
        self.cycle = 0

    @property
    def key(self) -> str:
        return self.info.key


class SchedulingQueue:
    """Where pods wait to be scheduled.

    New pods enter activeQ, popped by priority then arrival. A pod that did not fit waits in the
    unschedulable set until a cluster event that may help it (or `flush_interval` passes); a pod
    that failed for another reason, or that an event released while its backoff (initial × 2^(n−1),
    capped) has not expired, waits in backoffQ first. `on_active` is called whenever activeQ gains
    a pod, so the scheduler can schedule a drain on the clock.
    """

    def __init__(self, clock: Clock, initial_backoff: float, max_backoff: float, flush_interval: float,
                 on_active: Callable[[], None]):
        self.clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.flush_interval = flush_interval
        self.on_active = on_active
        self._heap: list[tuple[int, float, int, QueuedPod]] = []
        self._pods: dict[str, QueuedPod] = {}
        self._unschedulable: dict[str, QueuedPod] = {}
        self._rejections: dict[str, int] = {}   # unschedulable pods per rejecting plugin ("" = none known)
        self._seq = count()
        self._flush_timer: Timer | None = None
        self.scheduling_cycle = 0
        self.move_request_cycle = -1

    # -- inspection ---------------------------------------------------------------------------

    def __contains__(self, key: str) -> bool:
        return key in self._pods

    def __len__(self) -> int:
        return len(self._pods)

    def get(self, key: str) -> QueuedPod | None:
        return self._pods.get(key)

    def pending(self) -> dict[str, list[str]]:
        """Pod keys per sub-queue, for views and tests."""
        out: dict[str, list[str]] = {ACTIVE: [], BACKOFF: [], UNSCHEDULABLE: [], IN_FLIGHT: []}
        for key, qp in self._pods.items():
            out[qp.where].append(key)
        return out

    def backoff_duration(self, attempts: int) -> float:
        if attempts == 0:
            return 0.0
        return min(self.initial_backoff * 2 ** (attempts - 1), self.max_backoff)

    def backoff_expiry(self, qp: QueuedPod) -> float:
        return qp.timestamp + self.backoff_duration(qp.attempts)

    # -- adding and removing ------------------------------------------------------------------

    def add(self, info: PodInfo) -> None:
        """A new pending pod (or one seen again after a failed binding was forgotten)."""
        qp = self._pods.get(info.key)
        if qp is not None:
            self.update(info)
            return
        qp = QueuedPod(info, self.clock.now)
        self._pods[info.key] = qp
        self._to_active(qp)

    def update(self, info: PodInfo, spec_changed: bool = False) -> None:
        """The pod object changed; an unschedulable pod whose spec or labels changed is retried."""
        qp = self._pods.get(info.key)
        if qp is None:
            return
        old_priority = qp.info.priority
        qp.info = info
        if qp.where == ACTIVE and info.priority != old_priority:
            self._to_active(qp)
        elif qp.where == UNSCHEDULABLE and spec_changed:
            self._unpark(qp)
            self._release(qp)

    def delete(self, key: str) -> None:
        qp = self._pods.pop(key, None)
        if qp is None:
            return
        if qp.where == UNSCHEDULABLE:
            self._unpark(qp)
        if qp.timer is not None:
            qp.timer.cancel()
            qp.timer = None
        qp.where = ""

    # -- scheduling ---------------------------------------------------------------------------

    def has_active(self) -> bool:
        """True when activeQ holds a pod (stale heap entries are dropped on the way)."""
        heap = self._heap
        while heap:
            qp, seq = heap[0][3], heap[0][2]
            if qp.where == ACTIVE and qp.seq == seq:
                return True
            heapq.heappop(heap)
        return False

    def pop(self) -> QueuedPod | None:
        """The next pod to schedule from activeQ, now in flight (None when activeQ is empty)."""
        heap = self._heap
        while heap:
            _, _, seq, qp = heapq.heappop(heap)
            if qp.where != ACTIVE or qp.seq != seq:
                continue
            qp.where = IN_FLIGHT
            qp.attempts += 1
            self.scheduling_cycle += 1
            qp.cycle = self.scheduling_cycle
            return qp
        return None

    def done(self, key: str) -> None:
        """The pod was bound (or left): forget it."""
        self.delete(key)

    def add_unschedulable(self, qp: QueuedPod, plugins: frozenset[str]) -> None:
        """AddUnschedulableIfNotPresent: after a failed attempt. If a cluster event arrived while the
        pod was in flight it may already fit, so it only backs off."""
        if self._pods.get(qp.key) is not qp:
            return
        qp.timestamp = self.clock.now
        qp.unschedulable_plugins = plugins
        if self.move_request_cycle >= qp.cycle:
            self._to_backoff(qp)
            return
        qp.where = UNSCHEDULABLE
        self._unschedulable[qp.key] = qp
        for plugin in plugins or ("",):
            self._rejections[plugin] = self._rejections.get(plugin, 0) + 1
        if self._flush_timer is None:
            self._flush_timer = self.clock.call_later(UNSCHEDULABLE_CHECK_PERIOD, self._flush_unschedulable,
                                                      daemon=True)

    def requeue_after_error(self, qp: QueuedPod) -> None:
        """An error (not a misfit): retry after the pod's backoff."""
        if self._pods.get(qp.key) is not qp:
            return
        qp.timestamp = self.clock.now
        self._to_backoff(qp)

    def move_all(self, helps: frozenset[str] | set[str] | None = None) -> int:
        """movePodsToActiveOrBackoffQueue for a cluster event that may resolve rejections by the
        `helps` plugins (None: any): release those unschedulable pods (and pods rejected for no
        known plugin). Returns how many moved."""
        self.move_request_cycle = self.scheduling_cycle
        if not self._unschedulable:
            return 0
        if helps is not None and not self._rejections.get("") and not any(self._rejections.get(p) for p in helps):
            return 0
        moved = [qp for qp in self._unschedulable.values()
                 if helps is None or not qp.unschedulable_plugins or qp.unschedulable_plugins & helps]
        for qp in moved:
            self._unpark(qp)
            self._release(qp)
        return len(moved)

    # -- internals ----------------------------------------------------------------------------

    def _unpark(self, qp: QueuedPod) -> None:
        del self._unschedulable[qp.key]
        for plugin in qp.unschedulable_plugins or ("",):
            left = self._rejections[plugin] - 1
            if left:
                self._rejections[plugin] = left
            else:
                del self._rejections[plugin]

    def _release(self, qp: QueuedPod) -> None:
        if self.clock.now < self.backoff_expiry(qp):
            self._to_backoff(qp)
        else:
            self._to_active(qp)

    def _to_active(self, qp: QueuedPod) -> None:
        if qp.timer is not None:
            qp.timer.cancel()
            qp.timer = None
        qp.where = ACTIVE
        qp.seq = next(self._seq)
        heapq.heappush(self._heap, (-qp.info.priority, qp.timestamp, qp.seq, qp))
        self.on_active()

    def _to_backoff(self, qp: QueuedPod) -> None:
        qp.where = BACKOFF
        if qp.timer is not None:
            qp.timer.cancel()
        qp.timer = self.clock.call_at(self.backoff_expiry(qp), self._backoff_done, qp)

    def _backoff_done(self, qp: QueuedPod) -> None:
        qp.timer = None
        if qp.where == BACKOFF and self._pods.get(qp.key) is qp:
            self._to_active(qp)

    def _flush_unschedulable(self) -> None:
        """Pods that stayed unschedulable for `flush_interval` are retried anyway."""
        self._flush_timer = None
        now = self.clock.now
        stale = [qp for qp in self._unschedulable.values() if now - qp.timestamp >= self.flush_interval]
        for qp in stale:
            self._unpark(qp)
            self._release(qp)
        if self._unschedulable:
            self._flush_timer = self.clock.call_later(UNSCHEDULABLE_CHECK_PERIOD, self._flush_unschedulable,
                                                      daemon=True)
