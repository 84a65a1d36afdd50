"""The events timeline (key `5`): every Kubernetes event, newest first, filterable by object."""

from __future__ import annotations

from rich.segment import Segment
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, Static

from ...engine.clock import parse_rfc3339
from ...engine.durations import format_duration
from .live import LiveScreen

MAX_EVENTS = 20_000  # newest kept; older ones drop off the bottom
COLUMNS = f"{'LAST SEEN':>9}  {'TYPE':<8}  {'REASON':<24}  {'OBJECT':<40}  MESSAGE"


def event_time(ev: dict) -> float:
    stamp = ev.get("lastTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp")
    return parse_rfc3339(stamp) if stamp else 0.0


def object_of(ev: dict) -> str:
    obj = ev.get("involvedObject") or {}
    return f"{(obj.get('kind') or '').lower()}/{obj.get('name', '')}"


def matches(ev: dict, terms: list[str]) -> bool:
    """Every term occurs in the involved object's `kind/name` or namespace (case-insensitive)."""
    obj = ev.get("involvedObject") or {}
    namespace = obj.get("namespace") or ev["metadata"].get("namespace", "")
    haystack = f"{obj.get('kind', '')}/{obj.get('name', '')} {namespace}".lower()
    return all(t in haystack for t in terms)


def event_row(ev: dict, now: float) -> str:
    count = ev.get("count") or 1
    age = format_duration(max(0.0, now - event_time(ev))) + (f" x{count}" if count > 1 else "")
    message = " ".join((ev.get("message") or "").split())
    return f"{age:>9}  {ev.get('type') or '':<8}  {ev.get('reason') or '':<24}  {object_of(ev):<40}  {message}"


class EventList(ScrollView):
    """A Line-API list: only the visible rows are formatted, whatever the number of events."""

    COMPONENT_CLASSES = {"event-list--warning"}
    DEFAULT_CSS = """
    EventList { height: 1fr; }
    EventList > .event-list--warning { color: $text-warning; text-style: bold; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict] = []
        self._sorted: list[dict] | None = None  # every event, newest first
        self.now = 0.0

    def set_rows(self, rows: list[dict], now: float) -> None:
        self.rows = rows
        self.now = now
        self.virtual_size = Size(self.size.width, len(rows))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        ev = self.rows[index]
        style = self.get_component_rich_style("event-list--warning") if ev.get("type") == "Warning" else self.rich_style
        return Strip([Segment(event_row(ev, self.now), style)]).crop_extend(0, width, self.rich_style)


class TimelineScreen(LiveScreen):
    """Events from a watch, applied in batches from the refresh timer (never one repaint per event)."""

    BINDINGS = [Binding("slash", "filter", "Filter", id="timeline-filter",
                        tooltip="Filter events by object: kind/name or namespace text")]

    DEFAULT_CSS = """
    TimelineScreen #timeline-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    TimelineScreen #timeline-columns { height: 1; text-style: bold; }
    """

    def __init__(self, client) -> None:
        super().__init__(client)
        self.events: dict[str, tuple[tuple[float, int], dict]] = {}  # uid -> (sort key, event)
        self.rows: list[dict] = []
        self._sorted: list[dict] | None = None  # every event, newest first
        self.terms: list[str] = []
        self._pending: list[tuple[str, dict]] = []
        self._watch = None

    def compose(self) -> ComposeResult:
        yield Static("Events, newest first", id="timeline-title")
        yield Input(placeholder="filter by object (kind/name, namespace)…", id="timeline-input")
        yield Static(COLUMNS, id="timeline-columns", markup=False)
        yield EventList(id="timeline-list")
        yield Footer()

    def on_mount(self) -> None:
        revision = self.client.store_revision()
        for ev in self.client.list("events"):
            self._put(ev)
        self._watch = self.client.watch("events", self._on_event, resource_version=str(revision))
        self.query_one(EventList).focus()
        super().on_mount()

    def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.stop()

    def _on_event(self, type_: str, obj: dict, old: dict | None) -> None:
        self._pending.append((type_, obj))

    def _put(self, ev: dict) -> None:
        self.events[ev["metadata"]["uid"]] = ((event_time(ev), int(ev["metadata"].get("resourceVersion") or 0)), ev)

    def refresh_view(self) -> None:
        pending, self._pending = self._pending, []
        if not pending and self._sorted is not None:
            self.query_one(EventList).set_rows(self.rows, self.client.now)  # only the ages moved
            return
        for type_, ev in pending:
            if type_ == "DELETED":
                self.events.pop(ev["metadata"]["uid"], None)
            else:
                self._put(ev)
        if len(self.events) > MAX_EVENTS:
            oldest = sorted(self.events.items(), key=lambda item: item[1][0])
            for uid, _ in oldest[:len(self.events) - MAX_EVENTS]:
                del self.events[uid]
        self._sorted = [ev for _, ev in sorted(self.events.values(), key=lambda item: item[0], reverse=True)]
        self._rebuild()

    def _rebuild(self) -> None:
        ordered = self._sorted or []
        self.rows = [e for e in ordered if matches(e, self.terms)] if self.terms else ordered
        self.query_one(EventList).set_rows(self.rows, self.client.now)
        shown = f"{len(self.rows)} of {len(self.events)}" if self.terms else str(len(self.events))
        self.query_one("#timeline-title", Static).update(f"Events, newest first ({shown})")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.terms = event.value.lower().split()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one(EventList).focus()

    def action_filter(self) -> None:
        self.query_one("#timeline-input", Input).focus()
