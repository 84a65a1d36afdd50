"""LiveRunner: wall time → virtual time mapping, pause, step, speed limits."""

import pytest

from kubetui.live import MAX_SPEED, MIN_SPEED, LiveRunner


class FakeClient:
    def __init__(self):
        self.now = 0.0

    def advance(self, seconds):
        self.now += seconds


def test_tick_scales_wall_time_by_speed():
    client = FakeClient()
    runner = LiveRunner(client, speed=4)
    assert runner.tick(0.1) == pytest.approx(0.4)
    assert client.now == pytest.approx(0.4)


def test_tick_is_capped_so_a_stall_does_not_jump():
    client = FakeClient()
    runner = LiveRunner(client, speed=2, max_tick=0.5)
    runner.tick(120.0)
    assert client.now == pytest.approx(1.0)


def test_paused_runner_does_not_advance_but_steps():
    client = FakeClient()
    runner = LiveRunner(client, paused=True)
    assert runner.tick(0.3) == 0.0
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
