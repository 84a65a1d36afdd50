"""The virtual clock runs callbacks in time order and knows when the cluster is idle."""

from kubetui.engine.clock import Clock, parse_rfc3339, rfc3339


def test_callbacks_run_in_time_then_fifo_order():
    c = Clock()
    seen = []
    c.call_later(5, seen.append, "b")
    c.call_later(1, seen.append, "a")
    c.call_later(5, seen.append, "c")
    c.advance(4)
    assert seen == ["a"] and c.now == 4
    c.advance(1)
    assert seen == ["a", "b", "c"] and c.now == 5


def test_cancel_and_daemon_timers_do_not_keep_the_clock_busy():
    c = Clock()
    t = c.call_later(3, lambda: None)
    assert c.busy
    t.cancel()
    assert not c.busy
    ticks = []

    def tick():
        ticks.append(c.now)
        c.call_later(10, tick, daemon=True)

    c.call_later(10, tick, daemon=True)
    c.call_later(25, lambda: None)
    end = c.run_until_idle(settle=30)
    assert end >= 25 and ticks[:2] == [10, 20]
    assert end <= 25 + 30


def test_run_until_idle_lets_periodic_monitors_start_new_work():
    c = Clock()
    done = []
    noticed = []

    def monitor():
        if c.now >= 40 and not noticed:
            noticed.append(c.now)
            c.call_later(100, done.append, c.now)  # a monitor notices something and schedules real work
        c.call_later(5, monitor, daemon=True)

    c.call_later(5, monitor, daemon=True)
    end = c.run_until_idle(settle=60)
    assert done == [40] and 140 <= end <= 200  # the work scheduled at 40 ran at 140


def test_rfc3339_round_trip():
    assert rfc3339(0) == "2026-01-01T00:00:00Z"
    assert rfc3339(65.9) == "2026-01-01T00:01:05Z"
    assert parse_rfc3339("2026-01-01T00:01:05Z") == 65
