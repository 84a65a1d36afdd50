"""`r` / `:crictl NODE`: a node's container runtime as `crictl pods` and `crictl ps -a` show it (pause sandboxes)."""

from __future__ import annotations

from ...engine.durations import format_duration
from ...printers import format_rows
from .live import TextScreen

SHORT_ID = 13  # crictl truncates ids to 13 characters


def _ago(created: float, now: float) -> str:
    return f"{format_duration(max(0.0, now - created))} ago"


def runtime_text(client, node: str) -> str:
    """Every sandbox (one pause container per pod) and every container the node's runtime holds."""
    rows = client.machine_containers(node)
    now = client.now
    sandboxes = [r for r in rows if r.sandbox]
    pause = sandboxes[0].image if sandboxes else "registry.k8s.io/pause"
    lines = [] if client.machine_powered(node) else [f"machine {node} is off: nothing runs; this is what it held", ""]
    lines += [f"# crictl pods   each pod runs in a sandbox: a pause container ({pause}) that holds the pod's network",
              "#               namespace and IP; the pod's containers join it, so a container restart keeps the IP"]
    table = [["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "IP", "PAUSE IMAGE"]]
    table += [[r.id[:SHORT_ID], _ago(r.created_at, now), r.state, r.pod, r.namespace, str(r.attempt), r.ip or "",
               r.image] for r in sorted(sandboxes, key=lambda r: -r.created_at)]
    lines.append(format_rows(table) if sandboxes else "(no sandboxes)")
    lines += ["", "# crictl ps -a   (crictl hides the pause containers; they are the sandboxes above)"]
    sandbox_of = {(r.namespace, r.pod): r.id for r in sandboxes}
    containers = [r for r in rows if not r.sandbox]
    table = [["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"]]
    table += [[r.id[:SHORT_ID], r.image, _ago(r.created_at, now),
               r.state, r.name, str(r.attempt),
               sandbox_of.get((r.namespace, r.pod), "")[:SHORT_ID], r.pod, r.namespace]
              for r in sorted(containers, key=lambda r: -r.created_at)]
    lines.append(format_rows(table) if containers else "(no containers)")
    return "\n".join(lines)


class RuntimeScreen(TextScreen):
    """Follows the runtime: sandboxes and containers are not API objects, so it refreshes as time moves."""

    REFRESH_HZ = 2
    FOLLOW_CLOCK = True

    def __init__(self, client, node: str) -> None:
        super().__init__(client)
        self.node = node

    def title_text(self) -> str:
        return f"container runtime on {self.node} (crictl)"

    def view_text(self) -> str:
        return runtime_text(self.client, self.node)
