"""The MVCC store behaves like etcd: revisions, ranges at a revision, txns, watches, compaction, leases, snapshots."""

import pytest

from kubetui.engine.clock import Clock
from kubetui.engine.store import CompactedError, Compare, FutureRevisionError, Op, Store, StoreError


def test_revisions_and_versions():
    s = Store()
    assert s.revision == 1
    a1 = s.put("/registry/pods/default/a", {"v": 1})
    assert (a1.create_revision, a1.mod_revision, a1.version) == (2, 2, 1)
    s.put("/registry/pods/default/b", {"v": 1})
    a2 = s.put("/registry/pods/default/a", {"v": 2})
    assert (a2.create_revision, a2.mod_revision, a2.version) == (2, 4, 2)
    assert s.revision == 4
    s.delete("/registry/pods/default/a")
    assert s.get("/registry/pods/default/a") is None
    a3 = s.put("/registry/pods/default/a", {"v": 3})
    assert (a3.create_revision, a3.version) == (6, 1)  # a re-created key starts over


def test_range_prefix_sorted_and_at_past_revision():
    s = Store()
    s.put("/registry/pods/ns/b", {"n": "b"})
    s.put("/registry/pods/ns/a", {"n": "a"})
    s.put("/registry/services/specs/ns/a", {"n": "svc"})
    rev = s.revision
    s.put("/registry/pods/ns/a", {"n": "a2"})
    s.delete("/registry/pods/ns/b")
    assert [kv.value["n"] for kv in s.range("/registry/pods/")] == ["a2"]
    past = s.range("/registry/pods/", revision=rev)
    assert [(kv.key, kv.value["n"]) for kv in past] == [("/registry/pods/ns/a", "a"), ("/registry/pods/ns/b", "b")]
    assert s.get("/registry/pods/ns/b", revision=rev).value == {"n": "b"}
    with pytest.raises(FutureRevisionError):
        s.range("/registry/", revision=s.revision + 1)


def test_txn_compare_and_swap():
    s = Store()
    kv = s.put("/k", {"x": 1})
    ok, _ = s.txn([Compare("/k", "mod_revision", "=", kv.mod_revision)], [Op("put", "/k", {"x": 2})])
    assert ok and s.get("/k").value == {"x": 2}
    ok, _ = s.txn([Compare("/k", "mod_revision", "=", kv.mod_revision)], [Op("put", "/k", {"x": 3})],
                  [Op("put", "/other", {"y": 1})])
    assert not ok and s.get("/k").value == {"x": 2} and s.get("/other") is not None
    rev = s.revision
    s.txn([], [Op("put", "/a", {}), Op("put", "/b", {})])
    assert s.revision == rev + 1 and s.get("/a").mod_revision == s.get("/b").mod_revision == rev + 1
    ok, _ = s.txn([Compare("/missing", "version", "=", 0)], [Op("put", "/missing", {"created": True})])
    assert ok  # create-if-absent, the way kube-apiserver creates objects


def test_watch_live_and_from_revision():
    s = Store()
    s.put("/registry/pods/ns/a", {"v": 1})
    start = s.revision
    s.put("/registry/pods/ns/a", {"v": 2})
    s.put("/registry/configmaps/ns/c", {})
    seen = []
    w = s.watch("/registry/pods/", seen.append, start_revision=start)
    assert [(e.type, e.kv.value["v"]) for e in seen] == [("PUT", 1), ("PUT", 2)]
    s.delete("/registry/pods/ns/a")
    assert seen[-1].type == "DELETE" and seen[-1].prev_kv.value == {"v": 2}
    w.cancel()
    s.put("/registry/pods/ns/z", {"v": 9})
    assert len(seen) == 3


def test_compaction_makes_old_revisions_fail_like_etcd():
    s = Store()
    for i in range(5):
        s.put("/k", {"i": i})
    s.compact(4)
    assert s.get("/k", revision=4).value == {"i": 2}
    with pytest.raises(CompactedError, match="has been compacted"):
        s.get("/k", revision=3)
    with pytest.raises(CompactedError):
        s.watch("/k", lambda e: None, start_revision=2)
    assert [kv.value["i"] for kv in s.history("/k") if kv] == [2, 3, 4]
    with pytest.raises(CompactedError):
        s.compact(4)


def test_leases_expire_keys_on_the_virtual_clock():
    clock = Clock()
    s = Store(clock)
    lease = s.grant(10)
    s.put("/registry/events/ns/e1", {"x": 1}, lease=lease)
    s.put("/registry/events/ns/keep", {"x": 1})
    clock.advance(5)
    s.keepalive(lease)
    clock.advance(9)
    assert s.get("/registry/events/ns/e1") is not None
    clock.advance(2)
    assert s.get("/registry/events/ns/e1") is None
    assert s.get("/registry/events/ns/keep") is not None
    with pytest.raises(StoreError):
        s.keepalive(lease)


def test_snapshot_restore_keeps_everything(tmp_path):
    s = Store()
    for i in range(4):
        s.put(f"/registry/pods/ns/p{i}", {"i": i})
    s.delete("/registry/pods/ns/p1")
    s.compact(3)
    s.put("/registry/pods/ns/p0", {"i": 10})
    path = tmp_path / "snap.jsonl"
    s.snapshot(str(path))
    r = Store.restore(str(path))
    assert r.revision == s.revision and r.compact_revision == s.compact_revision
    assert [(kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version) for kv in r.range("/")] == \
           [(kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version) for kv in s.range("/")]
    for rev in range(s.compact_revision, s.revision + 1):
        assert [kv.value for kv in r.range("/", revision=rev)] == [kv.value for kv in s.range("/", revision=rev)]
    assert r.history("/registry/pods/ns/p0") == s.history("/registry/pods/ns/p0")
