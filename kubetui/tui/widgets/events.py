"""Events pane: the latest Kubernetes events, newest first, warnings highlighted."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine.clock import parse_rfc3339
from ...engine.durations import format_duration
from ..model import ClusterModel, event_sort_key

MAX_SHOWN = 200


def event_line(event: dict, now: float) -> tuple[str, bool]:
    """`12s  Warning  NodeNotReady  node/worker-2  message` and whether it is a warning."""
    stamp = event.get("lastTimestamp") or event["metadata"].get("creationTimestamp")
    ago = format_duration(max(0.0, now - parse_rfc3339(stamp))) if stamp else "?"
    obj = event.get("involvedObject") or {}
    count = event.get("count") or 1
    times = f" (x{count})" if count > 1 else ""
    what = f"{(obj.get('kind') or '').lower()}/{obj.get('name', '')}"
    kind = event.get("type") or "Normal"
    return f"{ago:>4} {kind:<7} {event.get('reason', ''):<18} {what:<32} {event.get('message', '')}{times}", kind == "Warning"


class EventsPane(VerticalScroll, can_focus=True):
    """A scrollable list of the newest events (bounded by the model)."""

    DEFAULT_CSS = """
    EventsPane { height: 1fr; }
    EventsPane > Static { width: auto; }
    """

    def __init__(self, model: ClusterModel, clock, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.clock = clock
        self.body = Static("", id="events-body")
        self.lines: list[str] = []

    def compose(self):
        yield self.body

    def refresh_events(self) -> None:
        now = self.clock()
        warning = Style(color=self.app.theme_variables.get("event-warning"), bold=True)
        events = sorted(self.model.objects["events"].values(), key=event_sort_key, reverse=True)[:MAX_SHOWN]
        text = Text(no_wrap=True, overflow="ellipsis")
        self.lines = []
        for event in events:
            line, is_warning = event_line(event, now)
            self.lines.append(line)
            text.append(line + "\n", warning if is_warning else None)
        if not events:
            text.append("no events yet", Style(dim=True))
        self.body.update(text)
