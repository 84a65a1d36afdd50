"""Node lifecycle controller: lease expiry → Ready=Unknown, node taints, rate-limited eviction."""

from __future__ import annotations

from .base import Controller


class NodeLifecycleController(Controller):
    name = "nodelifecycle"

    def sync(self, key: str) -> None:
        """Placeholder until the real controller lands."""
