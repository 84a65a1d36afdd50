"""`:get RESOURCE [NAME]`: a kubectl-style table that follows the cluster, in a Line-API log view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Log, Static

from ...engine.api import kinds
from ...engine.api.errors import ApiError
from ...printers import format_rows, table
from .live import LiveScreen


def get_text(client, resource: str, name: str | None, namespace: str | None, all_namespaces: bool) -> str:
    """What `kubectl get` prints for the request; raises ApiError as the API server answers."""
    kind = kinds.by_plural(resource)
    if name:
        items = [client.get(resource, name, namespace)]
    else:
        items = client.list(resource, None if all_namespaces else namespace)
    if not items:
        where = "" if not kind.namespaced or all_namespaces else f" in {namespace} namespace"
        return f"No resources found{where}."
    return format_rows(table(kind, items, client.now, all_namespaces=all_namespaces))


class GetScreen(LiveScreen):
    """The table, refreshed when the store moves (at most once a second: big lists cost a relist)."""

    REFRESH_HZ = 1
    DEFAULT_CSS = """
    GetScreen #get-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    GetScreen Log { padding: 0 1; }
    """

    def __init__(self, client, resource: str, name: str | None, namespace: str | None,
                 all_namespaces: bool = False) -> None:
        super().__init__(client)
        self.resource = resource
        self.object_name = name
        self.namespace = namespace
        self.all_namespaces = all_namespaces
        self.text = ""

    @property
    def command(self) -> str:
        where = " -A" if self.all_namespaces else (f" -n {self.namespace}" if self.namespace else "")
        return f"get {self.resource}{' ' + self.object_name if self.object_name else ''}{where}"

    def compose(self) -> ComposeResult:
        yield Static(f"kubectl {self.command}   (esc back)", id="get-title", markup=False)
        yield Log(auto_scroll=False, id="get-table")
        yield Footer()

    def refresh_view(self) -> None:
        try:
            text = get_text(self.client, self.resource, self.object_name, self.namespace, self.all_namespaces)
        except ApiError as exc:
            text = f"Error from server ({exc.reason}): {exc.message}"
        if text != self.text:
            self.text = text
            log = self.query_one(Log)
            y = log.scroll_y
            log.clear()
            log.write_lines(text.splitlines())
            log.scroll_to(y=y, animate=False, immediate=True)
