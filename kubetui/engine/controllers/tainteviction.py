"""Taint eviction controller: deletes pods that do not tolerate a node's NoExecute taints."""

from __future__ import annotations

from .base import Controller


class TaintEvictionController(Controller):
    name = "tainteviction"

    def sync(self, key: str) -> None:
        """Placeholder until the real controller lands."""
