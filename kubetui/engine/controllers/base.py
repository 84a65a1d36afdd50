"""The shape every controller shares: informers feed keys into a work queue; `sync(key)` reconciles."""

from __future__ import annotations

import abc

from ..context import Context
from ..events import EventRecorder
from ..objects import key_of
from ..workqueue import WorkQueue


class Controller(abc.ABC):
    """Base class: subclasses set `name`, register informer handlers that call `enqueue`, and
    implement `sync(key)`. Writes go through `self.api`; events through `self.recorder`."""

    name = "controller"
    component = ""  # the event source component, e.g. "replicaset-controller"
    manager: str | None = "kube-controller-manager"  # the leader-elected process it runs in (None: its own)

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.api = ctx.api
        self.clock = ctx.clock
        self.informers = ctx.informers
        self.profile = ctx.profile
        self.recorder = EventRecorder(ctx.api, self.component or f"{self.name}-controller")
        self.gate = ctx.gate(self.manager) if self.manager else None
        self.queue = WorkQueue(ctx.clock, self.sync, self.name, on_error=self._record_error, gate=self.gate)

    def enqueue(self, obj: dict) -> None:
        self.queue.add(key_of(obj))

    @abc.abstractmethod
    def sync(self, key: str) -> None:
        """Reconcile the object under `key` (raise to be retried with backoff)."""

    def _record_error(self, key: str, exc: Exception) -> None:
        self.ctx.record_error(self.name, key, exc)
