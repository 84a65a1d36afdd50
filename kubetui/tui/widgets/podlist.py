"""The pod list: a Line-API virtual table (only visible rows are rendered), sortable and filterable."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from operator import attrgetter

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from ...engine.api.selectors import parse_label_selector
from ...engine.clock import parse_rfc3339
from ...engine.durations import format_duration
from ...printers import pod_ready, pod_status
from ..model import ClusterModel

# (title, width or 0 for the flexible NAME column)
COLUMNS = [("NAMESPACE", 9), ("NAME", 0), ("READY", 5), ("STATUS", 16), ("RESTARTS", 10), ("NODE", 11),
           ("IP", 12), ("AGE", 5)]
MIN_NAME_WIDTH = 16
WANTED_NAME_WIDTH = 26  # a Deployment's pod name (`web-5d7f8c9b6d-x2k8j`) and some room
DROP_WHEN_NARROW = ("IP", "NAMESPACE", "RESTARTS", "AGE")  # first to go when the pane is narrow
EXACT_SIZE_UP_TO = 500  # rows
SORT_COLUMNS = [title for title, _ in COLUMNS]


def status_variable(status: str) -> str:
    """The theme variable that colours a kubectl STATUS string."""
    if status == "Running":
        return "pod-running"
    if status in ("Completed", "Succeeded"):
        return "pod-succeeded"
    if status == "Terminating":
        return "pod-terminating"
    if status in ("Pending", "NotReady"):
        return "pod-pending"
    if status in ("ContainerCreating", "PodInitializing") or status.startswith("Init:") and status[5:6].isdigit():
        return "pod-creating"
    if status == "CrashLoopBackOff":
        return "pod-crashloop"
    if status == "Unknown":
        return "pod-unknown"
    return "pod-failed"


@dataclass(slots=True)
class PodRow:
    """What the list shows of one pod, recomputed only when the pod's resourceVersion changes."""

    key: str
    rv: str
    namespace: str
    name: str
    ready: str
    status: str
    restarts: int
    last_restart: float | None
    node: str
    ip: str
    created: float
    labels: dict
    variable: str
    ip_key: tuple
    age_key: float

    @classmethod
    def of(cls, key: str, pod: dict) -> "PodRow":
        meta = pod["metadata"]
        status = pod.get("status") or {}
        restarts = 0
        last = None
        for cs in status.get("containerStatuses") or ():
            restarts += cs.get("restartCount", 0)
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            if finished:
                t = parse_rfc3339(finished)
                last = t if last is None else max(last, t)
        created = parse_rfc3339(meta["creationTimestamp"]) if meta.get("creationTimestamp") else 0.0
        text = pod_status(pod)
        ip = status.get("podIP") or "<none>"
        return cls(key, meta["resourceVersion"], meta.get("namespace", ""), meta["name"], pod_ready(pod),
                   text, restarts, last, pod["spec"].get("nodeName") or "<none>", ip, created,
                   meta.get("labels") or {}, status_variable(text), _ip_key(ip), -created)

    def cells(self, now: float) -> list[str]:
        restarts = str(self.restarts)
        if self.restarts and self.last_restart is not None:
            restarts += f" ({format_duration(max(0.0, now - self.last_restart))} ago)"
        return [self.namespace, self.name, self.ready, self.status, restarts, self.node, self.ip,
                format_duration(max(0.0, now - self.created))]


# Sorting reads existing attributes (no per-row key tuples): 10k allocations per sort would wake the GC.
SORT_ATTRS = {"NAMESPACE": "namespace", "NAME": "name", "READY": "ready", "STATUS": "status", "RESTARTS": "restarts",
              "NODE": "node", "IP": "ip_key", "AGE": "age_key"}


class _Desc:
    """Inverts the order of one sort-key part, for a descending column with ascending tie-breaks."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other) -> bool:
        return self.value == other.value

    def __lt__(self, other) -> bool:
        return other.value < self.value


def row_order(column: str, reverse: bool):
    """The key the list is ordered by: the column, then namespace and name (all reversed for NAMESPACE ▼)."""
    if column == "NAMESPACE":
        return (lambda r: (_Desc(r.namespace), _Desc(r.name))) if reverse else (lambda r: (r.namespace, r.name))
    attr = attrgetter(SORT_ATTRS[column])
    if reverse:
        return lambda r: (_Desc(attr(r)), r.namespace, r.name)
    return lambda r: (attr(r), r.namespace, r.name)


# Above this share of changed rows one full sort beats moving rows one by one.
RESORT_FRACTION = 0.1


def _ip_key(ip: str) -> tuple:
    parts = ip.split(".")
    return tuple(int(p) for p in parts) if len(parts) == 4 and all(p.isdigit() for p in parts) else (999,)


class PodFilter:
    """`/` filter text: `-l SELECTOR` matches labels, anything else is a case-insensitive substring of
    namespace/name, node, status or IP. Raises ValueError for a bad selector."""

    def __init__(self, text: str = ""):
        self.text = text.strip()
        self.selector = None
        self.needle = ""
        if self.text.startswith("-l"):
            expr = self.text[2:].strip()
            if not expr:
                raise ValueError("-l needs a label selector, e.g. -l app=web")
            try:
                self.selector = parse_label_selector(expr)
            except Exception as exc:  # the engine raises its API error type; the message is what matters
                raise ValueError(f"bad label selector {expr!r}: {getattr(exc, 'message', exc)}") from None
        else:
            self.needle = self.text.lower()

    def __bool__(self) -> bool:
        return bool(self.text)

    def matches(self, row: PodRow) -> bool:
        if self.selector is not None:
            return self.selector.matches(row.labels)
        n = self.needle
        return (n in row.name.lower() or n in row.namespace.lower() or n in row.node.lower()
                or n in row.status.lower() or n in row.ip)


class PodList(ScrollView, can_focus=True):
    """All pods, one line each; the header line stays on top, the cursor row is the selection."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="podlist-up"),
        Binding("down", "cursor(1)", "Down", show=False, id="podlist-down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="podlist-page-up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="podlist-page-down"),
        Binding("home", "jump(0)", "First pod", show=False, id="podlist-first"),
        Binding("end", "jump(-1)", "Last pod", show=False, id="podlist-last"),
    ]
    COMPONENT_CLASSES = {"podlist--header", "podlist--cursor"}
    DEFAULT_CSS = """
    PodList { height: 1fr; overflow-x: hidden; }
    PodList > .podlist--header { text-style: bold; color: $text-accent; }
    PodList > .podlist--cursor { background: $block-cursor-blurred-background; }
    PodList:focus > .podlist--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Selected(Message):
        """The cursor moved to another pod (`key` is `ns/name`, or None when the list is empty)."""

        def __init__(self, key: str | None):
            super().__init__()
            self.key = key

    def __init__(self, model: ClusterModel, clock, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.clock = clock
        self._cache: dict[str, PodRow] = {}
        self._changed = model.track_pods()
        self._order = None  # (column, reverse, filter text) self.rows is sorted for; None forces a full sort
        self.rows: list[PodRow] = []
        self.sort_column = "NAME"
        self.sort_reverse = False
        self.filter = PodFilter()
        self.selected_key: str | None = None
        self._styles: dict[str, Style] = {}
        self._styles_theme = None
        self._base_key: tuple | None = None
        self._layout: tuple[int, list[tuple[str, int, int]]] = (-1, [])
        self._base: tuple[Style, Style] = (Style(), Style())

    # -- data ----------------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Bring the rows up to date with the model: changed pods move in place by bisection; a new sort or
        filter (or many changes at once) sorts everything again."""
        pods = self.model.pods()
        cache = self._cache
        changed = self._changed.take()
        order = (self.sort_column, self.sort_reverse, self.filter.text)
        full = order != self._order or len(changed) > RESORT_FRACTION * max(1, len(self.rows))
        key = row_order(self.sort_column, self.sort_reverse)
        rows = self.rows
        for name in changed:
            old = cache.get(name)
            pod = pods.get(name)
            if old is not None and pod is not None and old.rv == pod["metadata"]["resourceVersion"]:
                continue
            if pod is None:
                cache.pop(name, None)
                new = None
            else:
                new = cache[name] = PodRow.of(name, pod)
            if full:
                continue
            if old is not None:
                i = bisect_left(rows, key(old), key=key)
                if i < len(rows) and rows[i] is old:
                    del rows[i]
            if new is not None and (not self.filter or self.filter.matches(new)):
                insort(rows, new, key=key)
        if full:
            if order == self._order:
                # Same order, many changes: start from the old order so the sort sees long sorted runs.
                seen = {r.key for r in rows}
                rows = [cache[r.key] for r in rows if r.key in cache] + [cache[k] for k in changed
                                                                        if k in cache and k not in seen]
            else:
                rows = list(cache.values())
            if self.filter:
                rows = [r for r in rows if self.filter.matches(r)]
            rows.sort(key=key)
            self._order = order
        self.rows = rows
        self._size_to_rows(self.size.width)
        self._restore_cursor()
        self.refresh()

    def _restore_cursor(self) -> None:
        index = self._index_of(self.selected_key)
        if index is not None:
            self.set_reactive(PodList.cursor, index)
            return
        self.cursor = min(self.cursor, max(0, len(self.rows) - 1))

    def set_filter(self, text: str) -> None:
        self.filter = PodFilter(text)
        self.rebuild()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        self.rebuild()

    def next_sort(self) -> None:
        index = SORT_COLUMNS.index(self.sort_column)
        self.sort_by(SORT_COLUMNS[(index + 1) % len(SORT_COLUMNS)], reverse=False)

    @property
    def selected_row(self) -> PodRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def _index_of(self, key: str | None) -> int | None:
        row = self._cache.get(key) if key is not None else None
        if row is None:
            return None
        order = row_order(self.sort_column, self.sort_reverse)
        i = bisect_left(self.rows, order(row), key=order)
        return i if i < len(self.rows) and self.rows[i] is row else None

    def select_key(self, key: str) -> bool:
        index = self._index_of(key)
        if index is not None:
            self.cursor = index
        return index is not None

    # -- cursor --------------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def watch_cursor(self, old: int, new: int) -> None:
        row = self.selected_row
        key = row.key if row else None
        if key != self.selected_key:
            self.selected_key = key
            self.post_message(self.Selected(key))
        body = max(1, self.size.height - 1)
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False, immediate=True)
            self.refresh()
        elif new >= self.scroll_offset.y + body:
            self.scroll_to(y=new - body + 1, animate=False, immediate=True)
            self.refresh()
        else:  # only the two rows change (row i is line i + 1, under the column titles)
            self.refresh_line(old + 1)
            self.refresh_line(new + 1)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 2)

    def action_jump(self, index: int) -> None:
        self.cursor = len(self.rows) - 1 if index < 0 else index

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # the pane's border is not a row
        if offset is None:
            return
        if offset.y == 0:
            x = 0
            for title, width, _ in self._widths():
                if offset.x < x + width + 1:
                    self.sort_by(title)
                    return
                x += width + 1
            return
        self.cursor = self.scroll_offset.y + offset.y - 1

    # -- rendering -----------------------------------------------------------------------------

    def _widths(self) -> list[tuple[str, int, int]]:
        """The columns shown as (title, width, index into a row's cells): NAME takes the room left, and
        in a narrow pane the least needed columns give way to it."""
        if self._layout[0] != self.size.width:
            shown = list(COLUMNS)
            for drop in DROP_WHEN_NARROW:
                if self.size.width - sum(w + 1 for _, w in shown if w) - 1 >= WANTED_NAME_WIDTH:
                    break
                shown = [c for c in shown if c[0] != drop]
            name = max(MIN_NAME_WIDTH, self.size.width - sum(w + 1 for _, w in shown if w) - 1)
            self._layout = (self.size.width, [(title, w or name, SORT_COLUMNS.index(title)) for title, w in shown])
        return self._layout[1]

    def _status_style(self, variable: str) -> Style:
        if self._styles_theme != self.app.theme:
            variables = self.app.theme_variables
            self._styles = {name: Style(color=value) for name, value in variables.items()
                            if name.startswith("pod-")}
            self._styles_theme = self.app.theme
        return self._styles.get(variable, Style())

    def _base_styles(self) -> tuple[Style, Style]:
        """(row, cursor row) styles; looking them up is costly, so once per theme and focus change."""
        key = (self.app.theme, self.has_focus)
        if self._base_key != key:
            self._base_key = key
            self._base = (self.rich_style, self.get_component_rich_style("podlist--cursor"))
        return self._base

    def render_line(self, y: int) -> Strip:
        widths = self._widths()
        width = self.size.width
        if y == 0:
            arrow = "▼" if self.sort_reverse else "▲"
            text = " ".join((title + (arrow if title == self.sort_column else "")).ljust(w)[:w]
                            for title, w, _ in widths)
            style = self.get_component_rich_style("podlist--header")
            return Strip([Segment(text.ljust(width)[:width], style)]).crop(self.scroll_offset.x, self.scroll_offset.x + width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        cells = row.cells(self.clock())
        base = self._base_styles()[index == self.cursor]
        segments = []
        used = 0
        for title, w, i in widths:
            text = cells[i][:w].ljust(w) + " "
            style = base + self._status_style(row.variable) if title == "STATUS" else base
            if index == self.cursor and self.has_focus and title == "STATUS":
                style = base
            segments.append(Segment(text, style))
            used += len(text)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments).crop(0, width)

    def on_resize(self, event: events.Resize) -> None:
        self._size_to_rows(event.size.width)

    def _size_to_rows(self, width: int) -> None:
        """A new virtual size costs a layout pass of the whole screen, so a long list keeps some slack
        (a few blank lines at its end) and only resizes when it outgrows or clearly shrinks from it."""
        needed = len(self.rows) + 1
        height = needed
        if needed > EXACT_SIZE_UP_TO:
            slack = needed // 20
            current = self.virtual_size.height
            height = current if needed <= current <= needed + 2 * slack else needed + slack
        size = Size(width, height)
        if size != self.virtual_size:
            self.virtual_size = size


class FilterInput(Input):
    """The `/` prompt above the pod list; Enter applies, Escape clears and closes."""

    BINDINGS = [Binding("escape", "cancel", "Clear filter", id="filter-cancel")]

    class Cancelled(Message):
        """The user left the filter prompt with Escape."""

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())
