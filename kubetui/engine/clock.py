"""Discrete-event virtual clock: every component schedules callbacks on it; nothing reads the wall clock."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta, timezone
from itertools import count
from typing import Any, Callable

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
_EPOCH_TS = EPOCH.timestamp()


_last_stamp: list = [None, ""]


def rfc3339(t: float) -> str:
    """Virtual time → `2026-01-01T00:01:05Z` (second precision, like metav1.Time)."""
    second = int(t)
    if _last_stamp[0] != second:  # many writes share a second; formatting is the costly part
        _last_stamp[0] = second
        _last_stamp[1] = datetime.fromtimestamp(_EPOCH_TS + second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _last_stamp[1]


def rfc3339_micro(t: float) -> str:
    """Virtual time with microseconds, like metav1.MicroTime (used by Lease.renewTime)."""
    return (EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(text: str) -> float:
    """RFC 3339 timestamp → virtual time (seconds since EPOCH)."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.timestamp() - _EPOCH_TS


class Timer:
    """A scheduled callback; `cancel()` keeps it from running."""

    __slots__ = ("when", "fn", "args", "daemon", "cancelled", "label")

    def __init__(self, when: float, fn: Callable, args: tuple, daemon: bool, label: str | None):
        self.when = when
        self.fn = fn
        self.args = args
        self.daemon = daemon
        self.cancelled = False
        self.label = label

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """A heap of timers on virtual time.

    `daemon` timers are periodic background work (heartbeats, monitors): on their own they do not
    keep `run_until_idle` going. `label`led timers are shown to users as countdowns.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = count()
        self._busy = 0  # pending non-daemon timers
        self.events_run = 0

    def call_at(self, when: float, fn: Callable, *args: Any, daemon: bool = False,
                label: str | None = None) -> Timer:
        timer = Timer(max(when, self.now), fn, args, daemon, label)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        if not daemon:
            self._busy += 1
        return timer

    def call_later(self, delay: float, fn: Callable, *args: Any, daemon: bool = False,
                   label: str | None = None) -> Timer:
        return self.call_at(self.now + delay, fn, *args, daemon=daemon, label=label)

    def call_soon(self, fn: Callable, *args: Any) -> Timer:
        return self.call_at(self.now, fn, *args)

    def next_time(self) -> float | None:
        self._drop_cancelled()
        return self._heap[0][0] if self._heap else None

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0][2].cancelled:
            timer = heapq.heappop(heap)[2]
            if not timer.daemon:
                self._busy -= 1

    def _run_one(self) -> bool:
        """Pop the next timer and run it; False if it had been cancelled."""
        when, _, timer = heapq.heappop(self._heap)
        if not timer.daemon:
            self._busy -= 1
        if timer.cancelled:
            return False
        self.now = when
        self.events_run += 1
        timer.fn(*timer.args)
        return True

    def advance(self, seconds: float) -> None:
        """Run every timer due within the next `seconds` of virtual time, then stand at the end."""
        self.run_until(self.now + seconds)

    def run_until(self, end: float, max_events: int | None = None) -> bool:
        """Run the timers due up to `end`, then stand at `end`; True when it got there.

        With `max_events`, stop early (standing at the last timer run) after that many have run
        (cancelled timers do not count), so a caller can interleave other work; calling again carries
        on in the same order.
        """
        heap = self._heap
        ran = 0
        while heap and heap[0][0] <= end:
            if max_events is not None and ran >= max_events:
                return False
            ran += self._run_one()
        if end > self.now:
            self.now = end
        return True

    def step(self) -> bool:
        """Run the timers of the next due instant; False when nothing is scheduled."""
        when = self.next_time()
        if when is None:
            return False
        self.run_until(when)
        return True

    @property
    def busy(self) -> bool:
        """True while non-daemon work is pending."""
        self._drop_cancelled()
        return self._busy > 0

    def pending(self, labelled_only: bool = True) -> list[Timer]:
        """Pending timers (by default only those with a user-facing label), soonest first."""
        timers = [t for _, _, t in self._heap if not t.cancelled and (t.label or not labelled_only)]
        return sorted(timers, key=lambda t: t.when)

    def run_until_idle(self, settle: float = 60.0, limit: float = 3600.0) -> float:
        """Run until no work is pending and `settle` seconds of only background timers changed nothing.

        The settle window lets periodic monitors notice things (a dead node is only detected by the
        node monitor's periodic check). Stops after `limit` seconds of virtual time at most. Returns
        the virtual time reached.
        """
        deadline = self.now + limit
        while self.now < deadline:
            while self.busy and self.now < deadline:
                nxt = self.next_time()
                if nxt is None or nxt > deadline:
                    break
                self.run_until(nxt)
            if self.busy:
                if (self.next_time() or deadline) > deadline:
                    self.now = deadline
                    break
                continue
            quiet_end = min(self.now + settle, deadline)
            while not self.busy:
                nxt = self.next_time()
                if nxt is None or nxt > quiet_end:
                    return self.now
                self.run_until(nxt)
        return self.now
