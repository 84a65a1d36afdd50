"""Shared informers: watch-backed caches with indexes and event handlers, as client-go's SharedIndexInformer."""

from __future__ import annotations

from typing import Callable, Iterable

from .api.server import APIServer
from .objects import key_of, reads

IndexFunc = Callable[[dict], Iterable[str]]
Handler = Callable[..., None]
_EMPTY: dict = {}


@reads("spec.nodeName")
def index_by_node(pod: dict) -> tuple[str, ...]:
    node = pod["spec"].get("nodeName")
    return (node,) if node else ()


@reads("metadata.namespace")
def index_by_namespace(obj: dict) -> tuple[str, ...]:
    ns = obj["metadata"].get("namespace")
    return (ns,) if ns else ()


@reads("metadata.namespace", "metadata.labels")
def index_by_label_pair(obj: dict) -> tuple[str, ...]:
    """`namespace/key=value` for every label: the objects of a namespace an equality selector can match."""
    labels = obj["metadata"].get("labels")
    if not labels:
        return ()
    ns = obj["metadata"].get("namespace", "")
    return tuple(f"{ns}/{k}={v}" for k, v in labels.items())


@reads("metadata.ownerReferences")
def index_by_controller_uid(obj: dict) -> tuple[str, ...]:
    refs = obj["metadata"].get("ownerReferences")
    if refs:
        for ref in refs:
            if ref.get("controller"):
                return (ref["uid"],)
    return ()


class Informer:
    """A cache of one resource kept current by a watch; handlers see add/update/delete.

    The cache holds the API server's own objects (shared, never mutate them). Handlers should only
    enqueue work; they run synchronously with the write that caused them.
    """

    def __init__(self, api: APIServer, resource: str, namespace: str | None = None,
                 field_selector: str | None = None):
        self.api = api
        self.resource = resource
        self._items: dict[str, dict] = {}
        self._indexers: dict[str, IndexFunc] = {}
        self._reads: dict[str, tuple[tuple[str, str], ...] | None] = {}
        self._indexes: dict[str, dict[str, set[str]]] = {}
        self._on_add: list[Handler] = []
        self._on_update: list[Handler] = []
        self._on_delete: list[Handler] = []
        items, rv = api.list(resource, namespace, field_selector=field_selector)
        for obj in items:
            self._items[key_of(obj)] = obj
        self._watch = api.watch(resource, self._on_event, namespace=namespace, field_selector=field_selector,
                                resource_version=rv)

    def stop(self) -> None:
        self._watch.stop()

    # -- indexes -----------------------------------------------------------------------------

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        if name in self._indexers:
            return
        self._indexers[name] = fn
        self._reads[name] = getattr(fn, "reads", None)
        index: dict[str, set[str]] = {}
        for key, obj in self._items.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)
        self._indexes[name] = index

    def by_index(self, name: str, value: str) -> list[dict]:
        keys = self._indexes[name].get(value)
        if not keys:
            return []
        items = self._items
        return [items[k] for k in sorted(keys)]

    def index_keys(self, name: str, value: str) -> set[str]:
        return self._indexes[name].get(value, set())

    def _reindex(self, key: str, old: dict | None, new: dict | None) -> None:
        both = old is not None and new is not None
        for name, fn in self._indexers.items():
            if both:
                fields = self._reads[name]
                if fields is None:  # an index function that declares nothing reads at most metadata and spec
                    if old["metadata"] is new["metadata"] and old.get("spec") is new.get("spec"):
                        continue
                else:
                    for section, field in fields:
                        a, b = old.get(section), new.get(section)
                        if a is not b and (a or _EMPTY).get(field) is not (b or _EMPTY).get(field):
                            break
                    else:
                        continue  # every field it reads is the very same object
            index = self._indexes[name]
            old_vals = tuple(fn(old)) if old is not None else ()
            new_vals = tuple(fn(new)) if new is not None else ()
            if old_vals == new_vals:
                continue
            for v in old_vals:
                bucket = index.get(v)
                if bucket is not None:
                    bucket.discard(key)
                    if not bucket:
                        del index[v]
            for v in new_vals:
                index.setdefault(v, set()).add(key)

    # -- handlers ----------------------------------------------------------------------------

    def add_handler(self, on_add: Handler | None = None, on_update: Handler | None = None,
                    on_delete: Handler | None = None, replay: bool = True) -> None:
        """Register handlers; with `replay`, on_add is called for every object already cached."""
        if on_add:
            self._on_add.append(on_add)
            if replay:
                for key in sorted(self._items):
                    on_add(self._items[key])
        if on_update:
            self._on_update.append(on_update)
        if on_delete:
            self._on_delete.append(on_delete)

    def _on_event(self, type_: str, obj: dict, old: dict | None) -> None:
        key = key_of(obj)
        if type_ == "DELETED":
            prev = self._items.pop(key, None)
            self._reindex(key, prev, None)
            for h in self._on_delete:
                h(obj)
            return
        prev = self._items.get(key)
        self._items[key] = obj
        self._reindex(key, prev, obj)
        if prev is None:
            for h in self._on_add:
                h(obj)
        else:
            for h in self._on_update:
                h(prev, obj)

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        return self._items.get(key)

    def list(self) -> list[dict]:
        return [self._items[k] for k in sorted(self._items)]

    def keys(self) -> list[str]:
        return sorted(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> Iterable[dict]:
        """Unordered iteration without sorting (for hot paths)."""
        return self._items.values()


class InformerFactory:
    """One informer per resource, shared by every component of the control plane."""

    def __init__(self, api: APIServer):
        self.api = api
        self._informers: dict[str, Informer] = {}

    def informer(self, resource: str) -> Informer:
        inf = self._informers.get(resource)
        if inf is None:
            inf = self._informers[resource] = Informer(self.api, resource)
            inf.add_indexer("namespace", index_by_namespace)
            if resource == "pods":
                inf.add_indexer("nodeName", index_by_node)
                inf.add_indexer("labels", index_by_label_pair)
            inf.add_indexer("controller", index_by_controller_uid)
        return inf
