"""The base of every full-screen view: Escape goes back, and the view refreshes from the Client on a timer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Log, Static

REFRESH_HZ = 4


class LiveScreen(Screen):
    """Polls `client.store_revision()` a few times a second and calls `refresh_view` when it moved, so
    a burst of watch events costs one repaint, not one per event."""

    BINDINGS = [Binding("escape", "back", "Back", id="screen-back", tooltip="Close this screen")]
    REFRESH_HZ = REFRESH_HZ

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client
        self._seen_revision: int | None = None

    def on_mount(self) -> None:
        self.poll()
        self.set_interval(1 / self.REFRESH_HZ, self.poll)

    def poll(self) -> None:
        """Refresh now if the store changed since the last refresh (tests call this after advancing)."""
        revision = self.client.store_revision()
        if revision != self._seen_revision:
            self._seen_revision = revision
            self.refresh_view()

    def refresh_view(self) -> None:
        """Redraw from the client; each screen overrides this."""

    def action_back(self) -> None:
        self.dismiss()


class TextScreen(LiveScreen):
    """A titled, scrollable text view rebuilt from `text()` whenever it changes (the scroll position stays)."""

    REFRESH_HZ = 2
    DEFAULT_CSS = """
    TextScreen .text-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    TextScreen Log { padding: 0 1; }
    """

    def __init__(self, client, title: str) -> None:
        super().__init__(client)
        self.title_text = title
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Static(f"{self.title_text}   (esc back)", classes="text-title", markup=False)
        yield Log(auto_scroll=False)
        yield Footer()

    def build_text(self) -> str:
        """The whole view as text; each screen overrides this."""
        return ""

    def refresh_view(self) -> None:
        text = self.build_text()
        if text != self.text:
            self.text = text
            log = self.query_one(Log)
            y = log.scroll_y
            log.clear()
            log.write_lines(text.splitlines())
            log.scroll_to(y=y, animate=False, immediate=True)
