"""Event recorder: writes v1 Events through the API server, aggregating repeats like client-go's correlator."""

from __future__ import annotations

from collections import OrderedDict

from .api.errors import ApiError
from .api.server import APIServer
from .clock import rfc3339

_LRU_SIZE = 4096


class EventRecorder:
    """Records events for one component (`source.component`, optionally on a `host`).

    A repeat of the same event (same object, type, reason and message) bumps `count` and
    `lastTimestamp` on the existing Event instead of creating a new one, as client-go does.
    """

    def __init__(self, api: APIServer, component: str, host: str | None = None):
        self.api = api
        self.component = component
        self.host = host
        self._seen: OrderedDict[tuple, tuple[str, str]] = OrderedDict()
        self._seq = 0

    def event(self, obj: dict, type_: str, reason: str, message: str, field_path: str | None = None) -> None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        involved = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
                    "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                    "resourceVersion": meta.get("resourceVersion")}
        if not meta.get("namespace"):
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        now = rfc3339(self.api.clock.now)
        key = (meta.get("uid"), field_path, type_, reason, message)
        seen = self._seen.get(key)
        if seen is not None:
            existing = self.api.try_get("events", seen[1], seen[0])
            if existing is not None:
                self._seen.move_to_end(key)
                new = {**existing, "count": existing.get("count", 1) + 1, "lastTimestamp": now,
                       "metadata": {**existing["metadata"]}}
                try:
                    self.api.update("events", new, seen[0], field_validation="Ignore")
                    return
                except ApiError:
                    pass
        self._seq += 1
        nanos = int(self.api.clock.now * 1e9) + self._seq
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{nanos:x}", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason, "message": message, "source": source,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_,
            "eventTime": None, "reportingComponent": self.component, "reportingInstance": self.host or "",
        }
        try:
            created = self.api.create("events", event, namespace, field_validation="Ignore")
        except ApiError:
            return  # events are best effort, as upstream: a namespace being deleted drops them
        self._seen[key] = (namespace, created["metadata"]["name"])
        if len(self._seen) > _LRU_SIZE:
            self._seen.popitem(last=False)

    def normal(self, obj: dict, reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Normal", reason, message, field_path)

    def warning(self, obj: dict, reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Warning", reason, message, field_path)
