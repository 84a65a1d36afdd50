"""`r` on a node: its container runtime as crictl shows it — each pod's sandbox (the pause container) and containers."""

from __future__ import annotations

from ...engine.durations import format_duration
from .live import TextScreen


def runtime_text(client, node: str) -> str:
    """`crictl pods` and `crictl ps -a` of one machine, grouped by pod."""
    now = client.now
    rows = client.machine_containers(node)
    state = "" if client.machine_powered(node) else "  (machine off: nothing runs; containerd's state is lost)"
    lines = [f"containerd on {node}{state}",
             "Every pod gets a sandbox first: the pause container holds the pod's network namespace (its IP) so",
             "the app containers can come and go (restart) without the pod losing its address.", ""]
    if not rows:
        lines.append("no pod sandboxes")
    for row in rows:
        ago = format_duration(max(0.0, now - row.created_at)) + " ago"
        if row.sandbox:
            lines += ["", f"POD {row.namespace}/{row.pod}   IP {row.ip or '-'}",
                      f"  {row.id[:13]}  {'(pause)':<14} {row.image:<40} {row.state:<9} attempt {row.attempt}  {ago}"]
        else:
            exited = f" (exit {row.exit_code})" if row.exit_code is not None and row.state == "Exited" else ""
            lines.append(f"  {row.id[:13]}  {row.name:<14} {row.image:<40} {row.state + exited:<9} "
                         f"attempt {row.attempt}  {ago}")
    return "\n".join(lines)


class RuntimeScreen(TextScreen):
    """Follows the machine's sandboxes and containers as pods start, crash and go."""

    def __init__(self, client, node: str) -> None:
        super().__init__(client, f"container runtime on {node} (crictl pods / crictl ps -a)")
        self.node = node

    def build_text(self) -> str:
        return runtime_text(self.client, self.node)
