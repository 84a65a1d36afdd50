"""Live runner: maps elapsed wall time to virtual time × speed, with pause, step, faster and slower."""

from __future__ import annotations

MIN_SPEED = 0.25
MAX_SPEED = 64.0
# A stalled UI (a slow frame, a suspended laptop) must not jump the cluster minutes ahead in one go.
MAX_TICK_SECONDS = 0.5
# A front end runs the engine in slices of this many timers and yields to its own work in between.
EVENTS_PER_SLICE = 8
_SMOOTHING = 0.2


class LiveRunner:
    """Drives a Client's virtual clock from the wall time a caller reports; reads no clock itself.

    The caller reports elapsed wall time with `due` and runs the engine with `run_slice` until it
    returns True, doing its own work (keys, frames) between slices. A cluster too busy to keep up
    runs slower than asked instead of piling up a backlog; `actual_speed` says how fast it really went.
    """

    def __init__(self, client, speed: float = 1.0, paused: bool = False, max_tick: float = MAX_TICK_SECONDS):
        self.client = client
        self._speed = _clamp(speed)
        self.paused = paused
        self.max_tick = max_tick
        self._target: float | None = None
        self._mark: float | None = None  # virtual time at the last `due`
        self.actual_speed = self._speed

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = _clamp(value)
        self.actual_speed = self._speed

    @property
    def target(self) -> float | None:
        """The virtual time the cluster is being run to (None while paused)."""
        return self._target

    @property
    def lagging(self) -> bool:
        """True when the engine has been running clearly slower than the chosen speed."""
        return not self.paused and self.actual_speed < 0.9 * self._speed

    def due(self, wall_seconds: float) -> float:
        """Wall time passed: move the virtual time the cluster should reach; returns that target.

        A cluster that ran slower than asked is not made to catch up later: the target stays within
        one `max_tick` of where it is.
        """
        now = self.client.now
        if self.paused or wall_seconds <= 0:
            self._target = None
            self._mark = None
            return now
        wall = min(wall_seconds, self.max_tick)
        if self._mark is not None:
            rate = (now - self._mark) / wall
            self.actual_speed += _SMOOTHING * (rate - self.actual_speed)
        self._mark = now
        target = max(self._target or now, now) + wall * self._speed
        self._target = min(target, now + self.max_tick * self._speed)
        return self._target

    def run_slice(self, max_events: int = EVENTS_PER_SLICE) -> bool:
        """Run up to `max_events` timers towards the target; True when the cluster has reached it."""
        if self._target is None:
            return True
        return self.client.run_until(self._target, max_events)

    def step(self, seconds: float = 1.0) -> float:
        """Advance exactly `seconds` of virtual time, paused or not."""
        self.client.advance(seconds)
        return seconds

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.actual_speed = self._speed

    def toggle(self) -> bool:
        """Flip paused/running; returns the new `paused`."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def faster(self) -> float:
        self.speed = self._speed * 2
        return self._speed

    def slower(self) -> float:
        self.speed = self._speed / 2
        return self._speed


def _clamp(speed: float) -> float:
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    return min(MAX_SPEED, max(MIN_SPEED, float(speed)))
