"""Time travel: a read-only Client that shows the cluster as the store held it at one past revision."""

from __future__ import annotations

import json

from .api import errors, kinds, selectors
from .store import KeyValue

REGISTRY = "/registry/"


class _NoWatch:
    """The past does not change: a watch on it never fires."""

    def stop(self) -> None:
        pass


def _value(kv: KeyValue) -> dict:
    return json.loads(kv.value) if isinstance(kv.value, (str, bytes)) else kv.value  # Events are JSON text


class ClusterAt:
    """The objects, keys and events of `revision`, read from the store's retained history.

    Reads work as on the live Client; every write is refused (the past is read-only). What etcd does not
    hold — running processes, timers, the scheduler's reasoning — is not shown from the past.
    """

    def __init__(self, live, revision: int):
        self.live = live
        self.store = live.cluster.store
        self.revision = revision
        self.now = self.store.time_of(revision)

    def __getattr__(self, name: str):
        """Anything that would change the cluster, or that only exists now (logs, explain, timers)."""
        def refuse(*args, **kwargs):
            raise errors.ApiError(405, "MethodNotAllowed",
                                  f"read-only: this is the cluster as it was at revision {self.revision}; "
                                  "press End to return to the live cluster")
        return refuse

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict:
        kind = kinds.resolve(resource)
        kv = self.store.get(kind.key(name, (namespace or "default") if kind.namespaced else None), self.revision)
        if kv is None:
            raise errors.not_found(kind.plural, kind.group, name)
        return _value(kv)

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict]:
        kind = kinds.resolve(resource)
        prefix = kind.prefix + (f"{namespace}/" if namespace and kind.namespaced else "")
        items = [_value(kv) for kv in self.store.range(prefix, self.revision)]
        if label_selector:
            wanted = selectors.parse_label_selector(label_selector)
            items = [o for o in items if wanted.matches(o["metadata"].get("labels"))]
        if field_selector:
            fields = selectors.parse_field_selector(field_selector)
            items = [o for o in items if fields.matches(o)]
        return items

    def watch(self, *args, **kwargs) -> _NoWatch:
        return _NoWatch()

    def store_revision(self) -> int:
        return self.revision

    def store_keys(self, prefix: str = REGISTRY) -> list[str]:
        return [kv.key for kv in self.store.range(prefix, self.revision)]

    def store_get(self, key: str, revision: int | None = None) -> KeyValue | None:
        return self.store.get(key, min(revision or self.revision, self.revision))

    def store_history(self, key: str) -> list[KeyValue | None]:
        return self.store.history(key, until=self.revision)

    def countdowns(self) -> list:
        return []

    def control_plane(self) -> dict:
        return self.live.control_plane()  # processes are not in etcd: shown as they are now

    def traffic_streams(self) -> list:
        return []
