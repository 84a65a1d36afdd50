"""Rate-limited work queue on virtual time, as client-go's workqueue: dedup, delayed adds, per-item backoff."""

from __future__ import annotations

from collections import deque
from typing import Callable

from .clock import Clock, Timer


class WorkQueue:
    """Keys waiting to be reconciled by `sync(key)`.

    A key is queued at most once; a key added while it is being processed is processed again
    afterwards. A sync that raises is retried with per-item exponential backoff (5 ms doubling to
    1000 s, client-go's default controller rate limiter); `forget` resets the backoff.

    With a `gate` (a leader-elected component's), keys wait while no instance of the component leads;
    a new leader starts as a new process would: keys in backoff are due at once.
    """

    def __init__(self, clock: Clock, sync: Callable[[str], None], name: str,
                 base_delay: float = 0.005, max_delay: float = 1000.0, on_error: Callable[[str, Exception], None] | None = None,
                 gate=None):
        self.clock = clock
        self.sync = sync
        self.name = name
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.on_error = on_error
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty_while_processing: set[str] = set()
        self._failures: dict[str, int] = {}
        self._delayed: dict[str, Timer] = {}
        self._drain_scheduled = False
        self.processed = 0
        self.gate = gate
        self._gated = False  # waiting for the gate to open
        if gate is not None:
            gate.on_start(self._fresh_start)

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: str) -> None:
        if key in self._processing:
            self._dirty_while_processing.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.append(key)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_soon(self._drain)

    def add_after(self, key: str, delay: float) -> None:
        """Add `key` after `delay` seconds (an earlier pending add wins)."""
        if delay <= 0:
            self.add(key)
            return
        when = self.clock.now + delay
        timer = self._delayed.get(key)
        if timer is not None and not timer.cancelled:
            if timer.when <= when:
                return
            timer.cancel()
        # A delayed re-check is a safety net (deadlines, backoff), not work in progress: as a daemon
        # timer it does not keep run_until_idle going on its own.
        self._delayed[key] = self.clock.call_at(when, self._fire_delayed, key, daemon=True)

    def _fire_delayed(self, key: str) -> None:
        self._delayed.pop(key, None)
        self.add(key)

    def add_rate_limited(self, key: str) -> None:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        self.add_after(key, min(self.base_delay * (2 ** n), self.max_delay))

    def _fresh_start(self) -> None:
        for key in list(self._failures):
            timer = self._delayed.pop(key, None)
            if timer is not None:
                timer.cancel()
                self.add(key)
        self._failures.clear()

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def _resume(self) -> None:
        self._gated = False
        if self._queue and not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_soon(self._drain)

    def _drain(self) -> None:
        """Reconcile the first queued key; the rest wait for their own turn on the clock, so one busy
        controller cannot hold the loop (or a UI driving it) for long."""
        self._drain_scheduled = False
        queue = self._queue
        if not queue:
            return
        if self.gate is not None and not self.gate.open:
            if not self._gated:
                self._gated = True
                self.gate.defer(self._resume)
            return
        key = queue.popleft()
        self._queued.discard(key)
        self._processing.add(key)
        try:
            self.sync(key)
        except Exception as exc:  # a failed reconcile is retried, as controllers do
            if self.on_error is not None:
                self.on_error(key, exc)
            self.add_rate_limited(key)
        else:
            self.forget(key)
        finally:
            self._processing.discard(key)
            self.processed += 1
        if key in self._dirty_while_processing:
            self._dirty_while_processing.discard(key)
            self.add(key)
        if queue and not self._drain_scheduled:
            self._drain_scheduled = True
            self.clock.call_soon(self._drain)
