"""Event recorder: writes v1 Events through the API server, filtered and aggregated like client-go's correlator."""

from __future__ import annotations

from collections import OrderedDict

from .api.errors import ApiError
from .api.server import APIServer
from .clock import rfc3339

_LRU_SIZE = 4096
# client-go tools/record defaults
SPAM_BURST = 25               # events per object before the spam filter holds back
SPAM_REFILL_SECONDS = 300.0   # then one more every 5 minutes
AGGREGATE_MAX_EVENTS = 10     # similar events (differing only in message) before they are combined
AGGREGATE_WINDOW = 600.0      # within 10 minutes


class EventRecorder:
    """Records events for one component (`source.component`, optionally on a `host`).

    As client-go's EventCorrelator: a token bucket per object drops floods (burst 25, then one per
    5 min); more than 10 events that differ only in message within 10 min are combined into one
    "(combined from similar events): ..." event; an exact repeat bumps `count` and `lastTimestamp`
    of the existing Event instead of creating a new one.
    """

    def __init__(self, api: APIServer, component: str, host: str | None = None):
        self.api = api
        self.component = component
        self.host = host
        self._spam: OrderedDict[str, tuple[float, float]] = OrderedDict()  # uid → (tokens, last refill)
        # (uid, fieldPath, type, reason) → (window start, message hash(es) seen, hash of the last
        # recorded message, (namespace, name) of the Event that holds it)
        self._series: OrderedDict[tuple, tuple] = OrderedDict()

    def event(self, obj: dict, type_: str, reason: str, message: str, field_path: str | None = None) -> None:
        meta = obj["metadata"]
        uid = meta.get("uid") or f"{meta.get('namespace')}/{meta['name']}"
        now = self.api.clock.now
        if not self._allow(uid, now):
            return
        key = (uid, field_path, type_, reason)
        # Entries are tuples, replaced rather than mutated: a tuple of plain values drops out of the
        # cyclic garbage collector's tracking, and a cluster's recorders hold hundreds of thousands.
        series = self._series.get(key)
        digest = hash(message)
        if series is None or now - series[0] > AGGREGATE_WINDOW:
            series = (now, digest, None, None)
        elif series[1] != digest:  # a single hash, or a set once messages differ (most never do)
            hashes = series[1] if isinstance(series[1], set) else {series[1]}
            hashes.add(digest)
            series = (series[0], hashes, series[2], series[3])
        _remember(self._series, key, series)
        aggregated = isinstance(series[1], set) and len(series[1]) >= AGGREGATE_MAX_EVENTS
        identity = None if aggregated else digest
        if aggregated:
            message = f"(combined from similar events): {message}"
        if series[3] is not None and series[2] == identity and self._bump(series[3], message):
            return
        created = self._create(obj, type_, reason, message, field_path)
        if created is not None:
            self._series[key] = (series[0], series[1], identity, created)

    def _allow(self, uid: str, now: float) -> bool:
        bucket = self._spam.get(uid)
        if bucket is None:
            tokens = float(SPAM_BURST)
        else:
            tokens = min(SPAM_BURST, bucket[0] + (now - bucket[1]) / SPAM_REFILL_SECONDS)
        allowed = tokens >= 1
        _remember(self._spam, uid, (tokens - 1 if allowed else tokens, now))
        return allowed

    def _bump(self, seen: tuple[str, str], message: str) -> bool:
        """An exact repeat (or another combined event): count it on the existing Event."""
        existing = self.api.try_get("events", seen[1], seen[0])
        if existing is None:
            return False
        new = {**existing, "count": existing.get("count", 1) + 1, "message": message,
               "lastTimestamp": rfc3339(self.api.clock.now), "metadata": {**existing["metadata"]}}
        try:
            self.api.update("events", new, seen[0], field_validation="Ignore")
        except ApiError:
            return False
        return True

    def _create(self, obj: dict, type_: str, reason: str, message: str, field_path: str | None) -> tuple[str, str] | None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        involved = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta["name"],
                    "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                    "resourceVersion": meta.get("resourceVersion")}
        if not meta.get("namespace"):
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        stamp = rfc3339(self.api.clock.now)
        nanos = int(self.api.clock.now * 1e9) + self.api.next_sequence()
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{nanos:x}", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason, "message": message, "source": source,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "type": type_,
            "eventTime": None, "reportingComponent": self.component, "reportingInstance": self.host or "",
        }
        try:
            created = self.api.create("events", event, namespace, field_validation="Ignore", handover=True)
        except ApiError:
            return None  # events are best effort, as upstream: a namespace being deleted drops them
        return namespace, created["metadata"]["name"]

    def normal(self, obj: dict, reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Normal", reason, message, field_path)

    def warning(self, obj: dict, reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Warning", reason, message, field_path)


def _remember(cache: OrderedDict, key, value) -> None:
    """Insert into a bounded LRU cache (client-go keeps 4096 entries)."""
    cache[key] = value
    cache.move_to_end(key)
    if len(cache) > _LRU_SIZE:
        cache.popitem(last=False)
