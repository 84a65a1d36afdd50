"""`T` / `:top pods [-n NS]` / `:top nodes`: `kubectl top` from the metrics server's latest scrape, following it."""

from __future__ import annotations

from ...printers import format_rows
from .live import TextScreen

NOT_YET = "error: metrics not available yet"
UNKNOWN = "<unknown>"


def top_text(client, what: str, namespace: str | None = None) -> str:
    """What `kubectl top pods -n NS` / `kubectl top nodes` prints now, errors included."""
    if what == "nodes":
        rows = client.top_nodes()
        if len(rows) == 1:
            return f"{NOT_YET}\n\n(the metrics server has not scraped any kubelet yet: it does every metric resolution)"
        # Nodes the scrape did not reach (a powered-off machine) are listed as kubectl lists them.
        seen = {row[0] for row in rows[1:]}
        rows = rows + [[obj["metadata"]["name"]] + [UNKNOWN] * 4 for obj in client.list("nodes")
                 if obj["metadata"]["name"] not in seen]
        return format_rows(rows)
    rows = client.top_pods(namespace)
    if len(rows) == 1:
        if client.list("pods", namespace):
            return (f"{NOT_YET}\n\n(a pod appears once a metrics-server scrape, one every metric "
                    "resolution, finds all its containers running)")
        return f"No resources found in {namespace} namespace."
    return format_rows(rows)


class TopScreen(TextScreen):
    """Follows the scrapes: refreshes whenever virtual time moves (scrapes are not API writes)."""

    REFRESH_HZ = 1  # each refresh sorts the scrape's samples (all pods); scrapes come every metric resolution
    FOLLOW_CLOCK = True

    def __init__(self, client, what: str = "pods", namespace: str = "default") -> None:
        super().__init__(client)
        self.what = what
        self.namespace = namespace

    def title_text(self) -> str:
        return "kubectl top nodes" if self.what == "nodes" else f"kubectl top pods -n {self.namespace}"

    def view_text(self) -> str:
        return top_text(self.client, self.what, self.namespace)
