"""MVCC key-value store with etcd semantics: revisions, ranges at a revision, txns, watches, compaction, leases."""

from __future__ import annotations

import bisect
import json
from array import array
from dataclasses import dataclass
from typing import Callable, Iterable

from .clock import Clock


class StoreError(Exception):
    """An etcd-style error (compacted revision, future revision, unknown lease)."""


class CompactedError(StoreError):
    def __init__(self, revision: int, compacted: int):
        super().__init__(f"mvcc: required revision {revision} has been compacted (compacted revision {compacted})")
        self.revision = revision
        self.compacted = compacted


class FutureRevisionError(StoreError):
    def __init__(self, revision: int):
        super().__init__(f"mvcc: required revision {revision} is a future revision")


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One version of a key, as etcd's mvccpb.KeyValue (the value is the object's Kubernetes JSON)."""

    key: str
    value: dict
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0


@dataclass(frozen=True, slots=True)
class Event:
    """A change: `kv` is the new version (PUT) or None (DELETE); `prev_kv` the version before."""

    type: str  # "PUT" | "DELETE"
    key: str
    revision: int
    kv: KeyValue | None
    prev_kv: KeyValue | None


@dataclass(frozen=True, slots=True)
class Compare:
    """A txn condition: `target` is one of mod_revision, create_revision, version, value."""

    key: str
    target: str
    op: str  # "=", "!=", "<", ">"
    value: object


@dataclass(frozen=True, slots=True)
class Op:
    type: str  # "put" | "delete"
    key: str
    value: dict | None = None
    lease: int = 0


@dataclass
class Lease:
    id: int
    ttl: float
    expires_at: float
    keys: set[str]


class _Watcher:
    __slots__ = ("prefix", "exact", "callback", "active")

    def __init__(self, prefix: str, exact: bool, callback: Callable[[Event], None]):
        self.prefix = prefix
        self.exact = exact
        self.callback = callback
        self.active = True

    def wants(self, key: str) -> bool:
        return key == self.prefix if self.exact else key.startswith(self.prefix)

    def cancel(self) -> None:
        self.active = False


class Store:
    """One global revision counter; every write makes a new revision (a txn makes one for all its ops).

    History is kept as a log of events since the last compaction, so ranges and watches can start at
    any revision after it; per-key revision lists let the etcd browser page through a key's versions.
    """

    def __init__(self, clock: Clock | None = None):
        self.clock = clock or Clock()
        self.revision = 1  # etcd starts at revision 1 with an empty keyspace
        self.compact_revision = 0
        self._kvs: dict[str, KeyValue] = {}
        # Keys grouped by resource directory (`/registry/pods/`), each group sorted lazily: ranges are
        # rare, writes are not, and a write invalidates only its own group.
        self._groups: dict[str, set[str]] = {}
        self._sorted_groups: dict[str, list[str]] = {}
        self._log: list[Event] = []
        self._log_revs: list[int] = []
        # Per-key revisions, as tuples: there is one per key ever written (every Event is a key) and a
        # tuple of ints drops out of the cyclic garbage collector's tracking; compaction bounds their length.
        self._key_revs: dict[str, tuple[int, ...]] = {}
        self._watchers: list[_Watcher] = []
        self._leases: dict[int, Lease] = {}
        self._next_lease = 1
        self._lease_timer = None
        self.quorum = True  # False while a majority of the members is down (set by the control plane)
        # The virtual time of each revision since the compaction point (for time travel): revision
        # `_times_base + i` was written at `_times[i]`.
        self._times = array("d", [self.clock.now])
        self._times_base = self.revision

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: str, revision: int | None = None) -> KeyValue | None:
        if revision is None or revision == self.revision:
            return self._kvs.get(key)
        return self._at_revision([key], revision).get(key)

    def range(self, prefix: str, revision: int | None = None, limit: int = 0) -> list[KeyValue]:
        """All live keys starting with `prefix`, sorted by key (at `revision` if given)."""
        if revision is None or revision == self.revision:
            keys = self._keys_with_prefix(prefix)
            out = [self._kvs[k] for k in keys]
        else:
            self._check_revision(revision)
            state = self._at_revision(None, revision, prefix)
            out = [state[k] for k in sorted(state)]
        return out[:limit] if limit else out

    def count(self, prefix: str) -> int:
        return len(self._keys_with_prefix(prefix))

    def keys(self, prefix: str = "") -> list[str]:
        return self._keys_with_prefix(prefix)

    def _keys_with_prefix(self, prefix: str) -> list[str]:
        group = _group_of(prefix)
        if group is not None and len(prefix) >= len(group):
            names = [group] if group in self._groups else []
        else:
            names = sorted(g for g in self._groups if g.startswith(prefix))
        out: list[str] = []
        for name in names:
            keys = self._sorted_groups.get(name)
            if keys is None:
                keys = self._sorted_groups[name] = sorted(self._groups[name])
            lo = bisect.bisect_left(keys, prefix)
            hi = bisect.bisect_left(keys, prefix + "\U0010ffff")
            out.extend(keys[lo:hi])
        return out

    def _index_key(self, key: str, present: bool) -> None:
        group = _group_of(key) or key
        if present:
            self._groups.setdefault(group, set()).add(key)
        else:
            members = self._groups.get(group)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._groups[group]
        self._sorted_groups.pop(group, None)

    def _check_revision(self, revision: int) -> None:
        if revision > self.revision:
            raise FutureRevisionError(revision)
        if revision < self.compact_revision:
            raise CompactedError(revision, self.compact_revision)

    def _at_revision(self, keys: Iterable[str] | None, revision: int, prefix: str = "") -> dict[str, KeyValue]:
        """Undo the log back to `revision` for the given keys (or every key under `prefix`)."""
        self._check_revision(revision)
        if keys is None:
            state = {k: self._kvs[k] for k in self._keys_with_prefix(prefix)}
            wanted = None
        else:
            wanted = set(keys)
            state = {k: self._kvs[k] for k in wanted if k in self._kvs}
        start = bisect.bisect_right(self._log_revs, revision)
        for event in reversed(self._log[start:]):
            key = event.key
            if (wanted is not None and key not in wanted) or (wanted is None and not key.startswith(prefix)):
                continue
            if event.prev_kv is None:
                state.pop(key, None)
            else:
                state[key] = event.prev_kv
        return state

    def history(self, key: str, until: int | None = None) -> list[KeyValue | None]:
        """Every retained version of `key` (up to revision `until`), oldest first (None marks a deletion)."""
        out: list[KeyValue | None] = []
        for rev in self._key_revs.get(key, ()):
            if until is not None and rev > until:
                break
            i = bisect.bisect_left(self._log_revs, rev)
            while i < len(self._log) and self._log_revs[i] == rev:
                if self._log[i].key == key:
                    out.append(self._log[i].kv)
                    break
                i += 1
        return out

    # -- writes ------------------------------------------------------------------------------

    def _next_revision(self) -> None:
        self.revision += 1
        self._times.append(self.clock.now)

    def put(self, key: str, value: dict, lease: int = 0) -> KeyValue:
        self._next_revision()
        return self._apply_put(key, value, lease)

    def delete(self, key: str) -> KeyValue | None:
        if key not in self._kvs:
            return None
        self._next_revision()
        return self._apply_delete(key)

    def txn(self, compares: list[Compare], success: list[Op], failure: list[Op] = ()) -> tuple[bool, list]:
        """Atomically: if every compare holds run `success`, else `failure`; one revision for the writes."""
        ok = all(self._compare(c) for c in compares)
        ops = success if ok else failure
        results: list = []
        if any(op.type in ("put", "delete") and (op.type == "put" or op.key in self._kvs) for op in ops):
            self._next_revision()
        for op in ops:
            if op.type == "put":
                results.append(self._apply_put(op.key, op.value, op.lease))
            elif op.type == "delete":
                results.append(self._apply_delete(op.key) if op.key in self._kvs else None)
            else:
                raise StoreError(f"unknown txn op {op.type!r}")
        return ok, results

    def _compare(self, c: Compare) -> bool:
        kv = self._kvs.get(c.key)
        if c.target == "value":
            actual = kv.value if kv else None
        else:
            actual = getattr(kv, c.target) if kv else 0
        if c.op == "=":
            return actual == c.value
        if c.op == "!=":
            return actual != c.value
        if c.op == "<":
            return actual < c.value
        if c.op == ">":
            return actual > c.value
        raise StoreError(f"unknown compare op {c.op!r}")

    def _apply_put(self, key: str, value: dict, lease: int) -> KeyValue:
        rev = self.revision
        prev = self._kvs.get(key)
        if lease:
            if lease not in self._leases:
                raise StoreError(f"etcdserver: requested lease not found ({lease})")
            self._leases[lease].keys.add(key)
        if prev is not None and prev.lease and prev.lease != lease and prev.lease in self._leases:
            self._leases[prev.lease].keys.discard(key)
        if prev is None:
            kv = KeyValue(key, value, rev, rev, 1, lease)
            self._index_key(key, True)
        else:
            kv = KeyValue(key, value, prev.create_revision, rev, prev.version + 1, lease)
        self._kvs[key] = kv
        self._record(Event("PUT", key, rev, kv, prev))
        return kv

    def _apply_delete(self, key: str) -> KeyValue:
        rev = self.revision
        prev = self._kvs.pop(key)
        self._index_key(key, False)
        if prev.lease in self._leases:
            self._leases[prev.lease].keys.discard(key)
        self._record(Event("DELETE", key, rev, None, prev))
        return prev

    def _record(self, event: Event) -> None:
        self._log.append(event)
        self._log_revs.append(event.revision)
        _append_rev(self._key_revs, event.key, event.revision)
        for w in self._watchers:
            if w.active and w.wants(event.key):
                w.callback(event)
        if len(self._watchers) > 64:
            self._watchers = [w for w in self._watchers if w.active]

    # -- watch -------------------------------------------------------------------------------

    def watch(self, prefix: str, callback: Callable[[Event], None], start_revision: int | None = None,
              exact: bool = False) -> _Watcher:
        """Call `callback` for every change under `prefix` (or of key `prefix` when exact).

        With `start_revision`, the retained changes from that revision on are replayed first; a
        revision below the compaction point raises CompactedError, as etcd does.
        """
        watcher = _Watcher(prefix, exact, callback)
        if start_revision is not None:
            if start_revision < self.compact_revision:
                raise CompactedError(start_revision, self.compact_revision)
            start = bisect.bisect_left(self._log_revs, start_revision)
            for event in self._log[start:]:
                if watcher.wants(event.key):
                    callback(event)
        self._watchers.append(watcher)
        return watcher

    # -- compaction --------------------------------------------------------------------------

    def compact(self, revision: int) -> None:
        """Forget history before `revision`: older reads and watches now fail, as in etcd."""
        if revision > self.revision:
            raise FutureRevisionError(revision)
        if revision <= self.compact_revision:
            raise CompactedError(revision, self.compact_revision)
        cut = bisect.bisect_left(self._log_revs, revision)
        dropped = self._log[:cut]
        self._log = self._log[cut:]
        self._log_revs = self._log_revs[cut:]
        touched = {e.key for e in dropped}
        for key in touched:
            revs = self._key_revs.get(key)
            if revs is None:
                continue
            revs = revs[bisect.bisect_left(revs, revision):]
            if revs:
                self._key_revs[key] = revs
            else:
                del self._key_revs[key]
        self.compact_revision = revision
        if revision > self._times_base:
            del self._times[:revision - self._times_base]
            self._times_base = revision

    def time_of(self, revision: int) -> float:
        """The virtual time `revision` was written (the compaction point or later)."""
        self._check_revision(revision)
        return self._times[max(0, revision - self._times_base)]

    def revision_at(self, time: float) -> int:
        """The last revision written at or before virtual `time` (at least the compaction point)."""
        return self._times_base + max(0, bisect.bisect_right(self._times, time) - 1)

    # -- leases ------------------------------------------------------------------------------

    def grant(self, ttl: float) -> int:
        lease_id = self._next_lease
        self._next_lease += 1
        self._leases[lease_id] = Lease(lease_id, ttl, self.clock.now + ttl, set())
        self._arm_lease_timer()
        return lease_id

    def keepalive(self, lease_id: int) -> None:
        lease = self._leases.get(lease_id)
        if lease is None:
            raise StoreError(f"etcdserver: requested lease not found ({lease_id})")
        lease.expires_at = self.clock.now + lease.ttl

    def revoke(self, lease_id: int) -> None:
        lease = self._leases.pop(lease_id, None)
        if lease is None:
            raise StoreError(f"etcdserver: requested lease not found ({lease_id})")
        live = sorted(k for k in lease.keys if k in self._kvs)
        if live:
            self.txn([], [Op("delete", k) for k in live])

    def leases(self) -> list[Lease]:
        return list(self._leases.values())

    def _arm_lease_timer(self) -> None:
        if self._lease_timer is None or self._lease_timer.cancelled:
            self._lease_timer = self.clock.call_later(1.0, self._expire_leases, daemon=True)

    def _expire_leases(self) -> None:
        self._lease_timer = None
        if not self.quorum:  # revoking a lease is a write the members must agree on
            self._arm_lease_timer()
            return
        now = self.clock.now
        for lease in [l for l in self._leases.values() if l.expires_at <= now]:
            self.revoke(lease.id)
        if self._leases:
            self._arm_lease_timer()

    # -- snapshot ----------------------------------------------------------------------------

    def snapshot(self, path: str) -> None:
        """Write everything (keys, values, revisions, retained history, leases) to a JSON-lines file."""
        with open(path, "w", encoding="utf-8") as f:
            header = {"format": "kubetui-store/v1", "revision": self.revision,
                      "compactRevision": self.compact_revision, "nextLease": self._next_lease,
                      "now": self.clock.now,
                      "leases": [{"id": l.id, "ttl": l.ttl, "expiresAt": l.expires_at} for l in self._leases.values()]}
            f.write(json.dumps(header, separators=(",", ":")) + "\n")
            # The state at the oldest retained revision, then the log replays forward from it.
            base_rev = self._log_revs[0] - 1 if self._log else self.revision
            base = self._at_revision(None, max(base_rev, self.compact_revision)) if self._log else dict(self._kvs)
            for kv in base.values():
                f.write(json.dumps({"base": _kv_json(kv)}, separators=(",", ":")) + "\n")
            for e in self._log:
                f.write(json.dumps({"event": e.type, "rev": e.revision, "key": e.key,
                                    "kv": _kv_json(e.kv) if e.kv else None}, separators=(",", ":")) + "\n")

    @classmethod
    def restore(cls, path: str, clock: Clock | None = None) -> "Store":
        store = cls(clock)
        with open(path, encoding="utf-8") as f:
            header = json.loads(f.readline())
            if header.get("format") != "kubetui-store/v1":
                raise StoreError(f"{path}: not a kubetui store snapshot")
            for line in f:
                rec = json.loads(line)
                if "base" in rec:
                    kv = _kv_from_json(rec["base"])
                    store._kvs[kv.key] = kv
                    continue
                key = rec["key"]
                prev = store._kvs.get(key)
                if rec["event"] == "PUT":
                    kv = _kv_from_json(rec["kv"])
                    store._kvs[key] = kv
                else:
                    kv = None
                    store._kvs.pop(key, None)
                store._log.append(Event(rec["event"], key, rec["rev"], kv, prev))
                store._log_revs.append(rec["rev"])
                _append_rev(store._key_revs, key, rec["rev"])
        for key in store._kvs:
            store._index_key(key, True)
        store.revision = header["revision"]
        store.compact_revision = header["compactRevision"]
        store._next_lease = header["nextLease"]
        if clock is None:
            store.clock.now = header["now"]
        store._times = array("d", [store.clock.now])  # snapshots keep no write times: older ones read as this
        store._times_base = store.revision
        for l in header["leases"]:
            keys = {k for k, kv in store._kvs.items() if kv.lease == l["id"]}
            store._leases[l["id"]] = Lease(l["id"], l["ttl"], l["expiresAt"], keys)
        if store._leases:
            store._arm_lease_timer()
        return store


def _append_rev(key_revs: dict[str, tuple[int, ...]], key: str, revision: int) -> None:
    key_revs[key] = key_revs.get(key, ()) + (revision,)


def _group_of(key: str) -> str | None:
    """The resource directory of a key: `/registry/pods/ns/a` → `/registry/pods/`; None if too short."""
    first = key.find("/", 1)
    if first < 0:
        return None
    second = key.find("/", first + 1)
    return key[:second + 1] if second >= 0 else None


def _kv_json(kv: KeyValue) -> dict:
    return {"key": kv.key, "value": kv.value, "createRevision": kv.create_revision,
            "modRevision": kv.mod_revision, "version": kv.version, "lease": kv.lease}


def _kv_from_json(d: dict) -> KeyValue:
    return KeyValue(d["key"], d["value"], d["createRevision"], d["modRevision"], d["version"], d["lease"])
