"""The base of every full-screen view: Escape goes back, and the view refreshes from the Client on a timer."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

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
