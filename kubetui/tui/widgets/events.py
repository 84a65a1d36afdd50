"""Events pane: the latest Kubernetes events, newest first, warnings highlighted."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

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


class EventsPane(ScrollView, can_focus=True):
    """The newest events (bounded by the model), one line each; only the visible lines are rendered, and
    an update repaints without a layout pass."""

    DEFAULT_CSS = """
    EventsPane { height: 1fr; }
    """

    def __init__(self, model: ClusterModel, clock, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.clock = clock
        self.lines: list[str] = []
        self._warnings: list[bool] = []

    def refresh_events(self) -> None:
        now = self.clock()
        events = sorted(self.model.objects["events"].values(), key=event_sort_key, reverse=True)[:MAX_SHOWN]
        lines, warnings = [], []
        for event in events:
            line, is_warning = event_line(event, now)
            lines.append(line)
            warnings.append(is_warning)
        if lines == self.lines and warnings == self._warnings:
            return
        self.lines, self._warnings = lines, warnings
        # Every new virtual size costs a layout pass: the width only grows, and the height stops at MAX_SHOWN.
        width = max(self.virtual_size.width, max((len(line) for line in lines), default=0))
        size = Size(width, max(1, len(lines)))
        if size != self.virtual_size:
            self.virtual_size = size
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if not self.lines:
            return Strip([Segment("no events yet".ljust(width)[:width], self.rich_style + Style(dim=True))])
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if self._warnings[index]:
            style += Style(color=self.app.theme_variables.get("event-warning"), bold=True)
        x = self.scroll_offset.x
        return Strip([Segment(self.lines[index][x:x + width].ljust(width), style)])
