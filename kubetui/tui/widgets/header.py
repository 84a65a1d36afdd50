"""The header: scenario, virtual clock, speed, paused/running, store revision and pending countdowns."""

from __future__ import annotations

from datetime import timedelta

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from ...engine.clock import EPOCH

MAX_COUNTDOWNS = 4


def clock_text(seconds: float) -> str:
    """Elapsed virtual time as `3m12s`, `1h02m05s`, `45s`."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def speed_text(speed: float) -> str:
    return f"×{speed:g}"


def countdown_text(what: str, left: float | None) -> str:
    return what if left is None else f"{what} in {clock_text(max(0.0, left) + 0.999)}"


def control_plane_alert(status: dict) -> str | None:
    """One line on what is wrong with the control plane, or None while it is healthy."""
    if not status["serving"]:
        return "no kube-apiserver is running: every request is refused (pods keep running on their nodes)"
    if not status["quorum"]:
        return (f"etcd lost quorum ({status['running']} of {status['members']} members up, {status['needed']} "
                "needed): writes fail, controllers stalled")
    idle = [component for component, host in status["leaders"].items() if host is None]
    if idle:
        left = [s for s in status["leaseExpiresIn"].values() if s is not None]
        when = f"the lease expires in {clock_text(max(left) + 0.999)}" if left and max(left) > 0 else "the lease expired"
        return f"no leader for {', '.join(idle)}: a standby takes over once {when}"
    return None


class ClusterHeader(Static):
    """Two lines, redrawn by the app's refresh timer only when something shown changed."""

    DEFAULT_CSS = """
    ClusterHeader { height: 2; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, scenario_name: str, **kwargs):
        super().__init__("", **kwargs)
        self.scenario_name = scenario_name
        self._last: tuple | None = None
        self.plain = ""

    def show(self, now: float, speed: float, paused: bool, revision: int,
             countdowns: list[tuple[str, float | None]], actual_speed: float | None = None,
             alert: str | None = None) -> None:
        """`actual_speed` (when given) is how fast a cluster too busy for `speed` really runs; `alert`
        (a control-plane outage) takes the second line's place."""
        shown = countdowns[:MAX_COUNTDOWNS]
        actual = None if actual_speed is None else round(actual_speed, 1 if actual_speed < 10 else 0)
        state = (int(now), speed, actual, paused, revision, tuple((w, None if s is None else int(s)) for w, s in shown),
                 len(countdowns), alert, self.app.theme)
        if state == self._last:
            return
        self._last = state
        variables = self.app.theme_variables
        text = Text()
        text.append("kubetui", Style(bold=True, color=variables.get("primary")))
        text.append(f" │ {self.scenario_name} │ ")
        text.append(f"⏱ {clock_text(now)}", Style(bold=True))
        stamp = (EPOCH + timedelta(seconds=int(now))).strftime("%Y-%m-%d %H:%M:%S")
        text.append(f"  {stamp}", Style(dim=True))
        text.append(f" │ {speed_text(speed)}")
        if actual is not None:
            text.append(f" (busy: running ×{actual:g})", Style(color=variables.get("warning")))
        text.append(" │ ")
        if paused:
            text.append("⏸ paused", Style(bold=True, color=variables.get("warning")))
        else:
            text.append("▶ running", Style(color=variables.get("success")))
        text.append(f" │ rev {revision}\n")
        if alert:
            text.append(f"⚠ {alert}", Style(bold=True, color=variables.get("error")))
        elif shown:
            text.append("⏳ ")
            style = Style(color=variables.get("countdown"))
            text.append(" · ".join(countdown_text(w, s) for w, s in shown), style)
            if len(countdowns) > len(shown):
                text.append(f" · +{len(countdowns) - len(shown)} more", Style(dim=True))
        else:
            text.append("no pending control-plane timers", Style(dim=True))
        self.plain = text.plain
        self.update(text, layout=False)  # two fixed lines: no layout pass
