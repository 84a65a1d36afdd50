"""`:get RESOURCE [NAME]`: a kubectl-style table that follows the cluster, in a Line-API log view."""

from __future__ import annotations

from ...engine.api import kinds
from ...engine.api.errors import ApiError
from ...printers import format_rows, table
from .live import TextScreen


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


class GetScreen(TextScreen):
    """The table, refreshed when the store moves (at most once a second: big lists cost a relist)."""

    REFRESH_HZ = 1

    def __init__(self, client, resource: str, name: str | None, namespace: str | None,
                 all_namespaces: bool = False) -> None:
        super().__init__(client)
        self.resource = resource
        self.object_name = name
        self.namespace = namespace
        self.all_namespaces = all_namespaces

    @property
    def command(self) -> str:
        where = " -A" if self.all_namespaces else (f" -n {self.namespace}" if self.namespace else "")
        return f"get {self.resource}{' ' + self.object_name if self.object_name else ''}{where}"

    def title_text(self) -> str:
        return f"kubectl {self.command}"

    def view_text(self) -> str:
        try:
            return get_text(self.client, self.resource, self.object_name, self.namespace, self.all_namespaces)
        except ApiError as exc:
            return f"Error from server ({exc.reason}): {exc.message}"
