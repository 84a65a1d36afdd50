"""LiveRunner: wall time → virtual time mapping, pause, step, speed limits."""

import pytest

from kubetui.live import EVENTS_PER_SLICE, MAX_SPEED, MIN_SPEED, LiveRunner


class FakeClient:
    def __init__(self):
        self.now = 0.0

    def advance(self, seconds):
        self.now += seconds

    def run_until(self, when, max_events=None):
        self.now = max(self.now, when)
        return True


class BusyClient(FakeClient):
    """A cluster with an event every 10 ms of virtual time, each costing `cost` seconds of (fake) wall time."""

    def __init__(self, wall, cost):
        super().__init__()
        self.wall, self.cost, self.events = wall, cost, 0

    def run_until(self, when, max_events=None):
        ran = 0
        while self.now + 0.01 <= when + 1e-9:
            if max_events is not None and ran >= max_events:
                return False
            self.now += 0.01
            self.events += 1
            ran += 1
            self.wall.t += self.cost
        self.now = max(self.now, when)
        return True


class FakeWall:
    def __init__(self):
        self.t = 0.0


def tick(runner, wall_seconds, budget=None, wall=None):
    """What a front end does each tick: report the wall time, then run slices (within a wall budget)."""
    start = runner.client.now
    runner.due(wall_seconds)
    deadline = None if budget is None else wall.t + budget
    while not runner.run_slice() and (deadline is None or wall.t < deadline):
        pass
    return runner.client.now - start


def test_tick_scales_wall_time_by_speed():
    client = FakeClient()
    runner = LiveRunner(client, speed=4)
    assert tick(runner, 0.1) == pytest.approx(0.4)
    assert client.now == pytest.approx(0.4)


def test_tick_is_capped_so_a_stall_does_not_jump():
    client = FakeClient()
    runner = LiveRunner(client, speed=2, max_tick=0.5)
    tick(runner, 120.0)
    assert client.now == pytest.approx(1.0)


def test_a_busy_engine_runs_in_slices_and_slower_than_asked():
    wall = FakeWall()
    client = BusyClient(wall, cost=0.001)  # 1 ms per event; ×10 for 50 ms wants 50 events = 50 ms of work
    runner = LiveRunner(client, speed=10)
    ran = tick(runner, 0.05, budget=0.02, wall=wall)
    assert wall.t <= 0.02 + EVENTS_PER_SLICE * 0.001  # stopped at the budget (give or take one slice)
    assert 0.15 <= ran < 0.5
    for _ in range(20):
        tick(runner, 0.05, budget=0.02, wall=wall)
    assert runner.lagging and runner.actual_speed < 10
    backlog_cap = runner.max_tick * runner.speed
    assert runner.target - client.now <= backlog_cap  # no unbounded backlog


def test_an_idle_engine_keeps_the_chosen_speed():
    wall = FakeWall()
    client = BusyClient(wall, cost=0.0)
    runner = LiveRunner(client, speed=4)
    for _ in range(10):
        assert tick(runner, 0.05) == pytest.approx(0.2)
    assert not runner.lagging and runner.actual_speed == pytest.approx(4)


def test_paused_runner_does_not_advance_but_steps():
    client = FakeClient()
    runner = LiveRunner(client, paused=True)
    assert tick(runner, 0.3) == 0.0
    assert client.now == 0.0
    runner.step()
    assert client.now == 1.0
    runner.step(5)
    assert client.now == 6.0


def test_pause_resume_toggle():
    runner = LiveRunner(FakeClient())
    assert not runner.paused
    runner.pause()
    assert runner.paused
    runner.resume()
    assert not runner.paused
    assert runner.toggle() is True
    assert runner.toggle() is False


def test_faster_and_slower_double_and_halve_within_limits():
    runner = LiveRunner(FakeClient(), speed=1)
    assert runner.faster() == 2
    assert runner.slower() == 1
    for _ in range(20):
        runner.faster()
    assert runner.speed == MAX_SPEED
    for _ in range(20):
        runner.slower()
    assert runner.speed == MIN_SPEED


def test_speed_is_clamped_and_must_be_positive():
    assert LiveRunner(FakeClient(), speed=1000).speed == MAX_SPEED
    with pytest.raises(ValueError):
        LiveRunner(FakeClient(), speed=0)


def test_live_module_does_not_import_textual():
    import subprocess
    import sys

    code = "import sys, kubetui.live; assert not any(m.startswith('textual') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
