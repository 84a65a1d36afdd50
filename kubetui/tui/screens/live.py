"""The base of every full-screen view: Escape goes back, and the view refreshes from the Client on a timer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

REFRESH_HZ = 4


class LiveScreen(Screen):
    """Polls `client.store_revision()` a few times a second and calls `refresh_view` when it moved, so
    a burst of watch events costs one repaint, not one per event. Views of state kept outside the API
    store (metrics scrapes, files, the container runtime) set FOLLOW_CLOCK to refresh when virtual time moved."""

    BINDINGS = [Binding("escape", "back", "Back", id="screen-back", tooltip="Close this screen")]
    REFRESH_HZ = REFRESH_HZ
    FOLLOW_CLOCK = False

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client
        self._seen_revision: object = None

    def on_mount(self) -> None:
        self.poll()
        self.set_interval(1 / self.REFRESH_HZ, self.poll)

    def poll(self) -> None:
        """Refresh now if the store changed since the last refresh (tests call this after advancing)."""
        revision = self.client.store_revision()
        if self.FOLLOW_CLOCK:
            revision = (revision, self.client.now)
        if revision != self._seen_revision:
            self._seen_revision = revision
            self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the client; each screen overrides this."""

    def action_back(self) -> None:
        self.dismiss()


class TextScreen(LiveScreen):
    """A title line over plain text in a Log (a Line-API view: only the visible lines are painted, so a
    100,000-line table stays cheap); the text is rebuilt on each refresh and repainted only when it changed,
    keeping the scroll position."""

    DEFAULT_CSS = """
    TextScreen #screen-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    TextScreen #screen-text { padding: 0 1; }
    """

    def __init__(self, client) -> None:
        super().__init__(client)
        self.text = ""

    def title_text(self) -> str:
        """The line over the text."""
        return ""

    def view_text(self) -> str:
        """The text to show now; each screen overrides this."""
        return ""

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text()}   (esc back)", id="screen-title", markup=False)
        yield Log(auto_scroll=False, id="screen-text")
        yield Footer()

    def refresh_view(self) -> None:
        text = self.view_text()
        if text != self.text:
            self.text = text
            log = self.query_one(Log)
            y = log.scroll_y
            log.clear()
            # Log.write_lines splits each item again and drops empty ones: "\n" keeps a blank line blank.
            log.write_lines(line + "\n" for line in text.split("\n"))
            log.scroll_to(y=y, animate=False, immediate=True)
