"""The time-travel bar: a scrubber over the store's retained revisions, from the compaction point to now."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from .header import clock_text

STEP_SECONDS = 5.0
SETTLE_SECONDS = 0.15  # a held arrow key moves the marker at once and the panes once it stops


class TimeTravelBar(Widget, can_focus=True):
    """Shows where in the retained history the panes are; arrow keys move, End (or Escape) goes live."""

    DEFAULT_CSS = """
    TimeTravelBar { height: 2; background: $panel; padding: 0 1; }
    TimeTravelBar:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "5 s back", id="travel-back", tooltip="Five seconds of virtual time back"),
        Binding("right", "move(1)", "5 s on", id="travel-forward", tooltip="Five seconds of virtual time on"),
        Binding("shift+left", "step(-1)", "1 revision back", id="travel-back-revision",
                tooltip="One store revision (one write) back"),
        Binding("shift+right", "step(1)", "1 revision on", id="travel-forward-revision",
                tooltip="One store revision (one write) on"),
        Binding("home", "oldest", "Oldest", id="travel-oldest", tooltip="The oldest revision compaction has kept"),
        Binding("end,escape", "live", "Live", id="travel-live", tooltip="Back to the live cluster"),
    ]

    class Moved(Message):
        """The panes should show `revision` (None: the live cluster)."""

        def __init__(self, revision: int | None) -> None:
            super().__init__()
            self.revision = revision

    def __init__(self, store, revision: int, compaction_interval: float, **kwargs):
        super().__init__(**kwargs)
        self.store = store
        self.revision = revision
        self.compaction_interval = compaction_interval
        self._timer = None

    @property
    def oldest(self) -> int:
        return self.store.compact_revision or 1

    def render(self) -> Text:
        oldest, live = self.oldest, self.store.revision
        width = max(10, self.size.width - 2)
        span = max(1, live - oldest)
        at = round((self.revision - oldest) / span * (width - 1))
        text = Text()
        text.append("─" * at, Style(dim=True))
        text.append("●", Style(bold=True, color=self.app.theme_variables.get("warning")))
        text.append("─" * (width - 1 - at) + "\n", Style(dim=True))
        now, then = self.store.clock.now, self.store.time_of(self.revision)
        text.append(f"⏪ revision {self.revision} of {live}", Style(bold=True))
        text.append(f" · {clock_text(then)} ({clock_text(now - then)} ago) · read-only")
        text.append(f" · history kept from rev {oldest} ({clock_text(self.store.time_of(oldest))}): older revisions "
                    f"are compacted every {clock_text(self.compaction_interval)}", Style(dim=True))
        return text

    def _go(self, revision: int) -> None:
        self.revision = max(self.oldest, min(self.store.revision, revision))
        self.refresh()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SETTLE_SECONDS, self._settled)

    def _settled(self) -> None:
        self._timer = None
        self.post_message(self.Moved(None if self.revision >= self.store.revision else self.revision))

    def action_move(self, direction: int) -> None:
        target = self.store.time_of(self.revision) + direction * STEP_SECONDS
        revision = self.store.revision_at(target)
        if revision == self.revision and direction > 0:
            revision += 1
        self._go(revision)

    def action_step(self, direction: int) -> None:
        self._go(self.revision + direction)

    def action_oldest(self) -> None:
        self._go(self.oldest)

    def action_live(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.revision = self.store.revision
        self.post_message(self.Moved(None))
