"""Pod garbage collector: removes pods bound to nodes that no longer exist."""

from __future__ import annotations

from .base import Controller


class PodGCController(Controller):
    name = "podgc"

    def sync(self, key: str) -> None:
        """Placeholder until the real controller lands."""
