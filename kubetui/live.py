"""Live runner: maps elapsed wall time to virtual time × speed, with pause, step, faster and slower."""

from __future__ import annotations

MIN_SPEED = 0.25
MAX_SPEED = 64.0
# A stalled UI (a slow frame, a suspended laptop) must not jump the cluster minutes ahead in one go.
MAX_TICK_SECONDS = 0.5


class LiveRunner:
    """Drives a Client's virtual clock from the wall time a caller reports; reads no clock itself."""

    def __init__(self, client, speed: float = 1.0, paused: bool = False, max_tick: float = MAX_TICK_SECONDS):
        self.client = client
        self._speed = _clamp(speed)
        self.paused = paused
        self.max_tick = max_tick

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = _clamp(value)

    def tick(self, wall_seconds: float) -> float:
        """Advance the cluster for `wall_seconds` of elapsed wall time; returns the virtual seconds run."""
        if self.paused or wall_seconds <= 0:
            return 0.0
        virtual = min(wall_seconds, self.max_tick) * self._speed
        self.client.advance(virtual)
        return virtual

    def step(self, seconds: float = 1.0) -> float:
        """Advance exactly `seconds` of virtual time, paused or not."""
        self.client.advance(seconds)
        return seconds

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def toggle(self) -> bool:
        """Flip paused/running; returns the new `paused`."""
        self.paused = not self.paused
        return self.paused

    def faster(self) -> float:
        self._speed = _clamp(self._speed * 2)
        return self._speed

    def slower(self) -> float:
        self._speed = _clamp(self._speed / 2)
        return self._speed


def _clamp(speed: float) -> float:
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    return min(MAX_SPEED, max(MIN_SPEED, float(speed)))
