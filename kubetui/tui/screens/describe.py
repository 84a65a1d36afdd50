"""`kubectl describe` for the selected object (key `d`), refreshed while the cluster changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ...engine.api.errors import ApiError
from ..describe_text import describe
from .live import LiveScreen


class DescribeScreen(LiveScreen):
    """The object's description and its events; says so when the object is gone."""

    REFRESH_HZ = 2  # each refresh lists the object's events, which the store keeps as JSON text

    DEFAULT_CSS = """
    DescribeScreen #describe-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    DescribeScreen #describe-text { padding: 0 1; }
    """

    def __init__(self, client, resource: str, name: str, namespace: str | None) -> None:
        super().__init__(client)
        self.resource = resource
        self.object_name = name
        self.namespace = namespace
        self.text = ""
        self._last_good = ""

    def compose(self) -> ComposeResult:
        where = f"{self.namespace}/" if self.namespace else ""
        yield Static(f"describe {self.resource} {where}{self.object_name}", id="describe-title")
        with VerticalScroll():
            yield Static(id="describe-text", markup=False)
        yield Footer()

    def refresh_view(self) -> None:
        try:
            text = self._last_good = describe(self.client, self.resource, self.object_name, self.namespace)
        except ApiError as exc:
            text = f"Error from server ({exc.reason}): {exc.message}\n\n{self._last_good}"
        if text != self.text:
            self.text = text
            self.query_one("#describe-text", Static).update(text)
