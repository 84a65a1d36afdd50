"""The garbage collector: background, foreground and orphan cascading deletion over ownerReferences."""

import pytest

from kubetui.engine.cluster import Cluster
from kubetui.engine.controllers.garbagecollector import GarbageCollector
from kubetui.engine.objects import owner_reference


@pytest.fixture
def cluster():
    # Only the collector runs, so no ReplicaSet controller recreates or adopts the test's pods.
    c = Cluster(nodes=[], controllers=(GarbageCollector,), profile="fast", seed=1)
    c.advance(1)
    return c


def replicaset(cluster, name="web"):
    return cluster.api.create("replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}, "default")


def pod(cluster, name, *owners, node=None, controller=True, block=True, namespace="default"):
    refs = [owner_reference(o, controller=controller and i == 0, block_owner_deletion=block) for i, o in enumerate(owners)]
    meta = {"name": name, "labels": {"app": "web"}}
    if refs:
        meta["ownerReferences"] = refs
    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return cluster.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}, namespace)


def names(cluster, resource="pods", namespace="default"):
    return [o["metadata"]["name"] for o in cluster.api.list(resource, namespace)[0]]


def test_background_deletion_deletes_dependents(cluster):
    rs = replicaset(cluster)
    pod(cluster, "web-a", rs)
    pod(cluster, "web-b", rs)
    pod(cluster, "loner")
    cluster.advance(1)
    cluster.api.delete("replicasets", "web", "default")
    assert cluster.api.try_get("replicasets", "web", "default") is None  # gone at once; pods follow
    cluster.advance(1)
    assert names(cluster) == ["loner"]


def test_dependents_on_nodes_terminate_gracefully(cluster):
    rs = replicaset(cluster)
    pod(cluster, "web-a", rs, node="worker-1")
    cluster.api.delete("replicasets", "web", "default")
    cluster.advance(1)
    meta = cluster.api.get("pods", "web-a", "default")["metadata"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 30


def test_chain_of_owners_is_collected(cluster):
    deploy = cluster.api.create("deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}, "default")
    rs = replicaset(cluster)
    rs = cluster.api.update("replicasets", {**rs, "metadata": {**rs["metadata"], "ownerReferences": [owner_reference(deploy)]}},
                            "default")
    pod(cluster, "web-a", rs)
    cluster.advance(1)
    cluster.api.delete("deployments", "web", "default")
    cluster.advance(1)
    assert names(cluster, "replicasets") == [] and names(cluster) == []


def test_orphan_leaves_dependents_without_the_owner_reference(cluster):
    rs = replicaset(cluster)
    other = cluster.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
                               "default")
    pod(cluster, "web-a", rs)
    pod(cluster, "web-b", rs, other)
    cluster.advance(1)
    cluster.api.delete("replicasets", "web", "default", propagation_policy="Orphan")
    cluster.advance(1)
    assert cluster.api.try_get("replicasets", "web", "default") is None
    assert names(cluster) == ["web-a", "web-b"]
    assert "ownerReferences" not in cluster.api.get("pods", "web-a", "default")["metadata"]
    refs = cluster.api.get("pods", "web-b", "default")["metadata"]["ownerReferences"]
    assert [r["name"] for r in refs] == ["cfg"]


def test_orphan_without_dependents_removes_the_finalizer(cluster):
    replicaset(cluster)
    cluster.api.delete("replicasets", "web", "default", propagation_policy="Orphan")
    cluster.advance(1)
    assert cluster.api.try_get("replicasets", "web", "default") is None


def test_foreground_keeps_the_owner_until_blocking_dependents_are_gone(cluster):
    rs = replicaset(cluster)
    pod(cluster, "web-a", rs, node="worker-1")  # terminates gracefully: no kubelet confirms here
    pod(cluster, "web-b", rs)
    cluster.advance(1)
    cluster.api.delete("replicasets", "web", "default", propagation_policy="Foreground")
    cluster.advance(1)
    owner = cluster.api.get("replicasets", "web", "default")
    assert owner["metadata"]["deletionTimestamp"] and owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert names(cluster) == ["web-a"]
    assert cluster.api.get("pods", "web-a", "default")["metadata"]["deletionTimestamp"]
    # The kubelet's final delete (grace period 0) removes the pod; then the owner goes.
    cluster.api.delete("pods", "web-a", "default", grace_period_seconds=0)
    cluster.advance(1)
    assert cluster.api.try_get("replicasets", "web", "default") is None


def test_foreground_does_not_wait_for_non_blocking_dependents(cluster):
    rs = replicaset(cluster)
    pod(cluster, "web-a", rs, node="worker-1", block=False)
    cluster.api.delete("replicasets", "web", "default", propagation_policy="Foreground")
    cluster.advance(1)
    assert cluster.api.try_get("replicasets", "web", "default") is None
    assert cluster.api.get("pods", "web-a", "default")["metadata"]["deletionTimestamp"]


def test_dependent_with_another_live_owner_survives(cluster):
    rs = replicaset(cluster)
    other = replicaset(cluster, "other")
    pod(cluster, "shared", rs, other)
    pod(cluster, "only-web", rs)
    cluster.advance(1)
    cluster.api.delete("replicasets", "web", "default")
    cluster.advance(1)
    assert names(cluster) == ["shared"]
    refs = cluster.api.get("pods", "shared", "default")["metadata"]["ownerReferences"]
    assert [r["uid"] for r in refs] == [other["metadata"]["uid"]]
    cluster.api.delete("replicasets", "other", "default")
    cluster.advance(1)
    assert names(cluster) == []


def test_owner_that_never_existed_or_was_replaced_is_absent(cluster):
    rs = replicaset(cluster)
    ghost = {**rs, "metadata": {**rs["metadata"], "uid": "00000000-0000-4000-8000-000000000000"}}
    pod(cluster, "stale", ghost)  # names "web" but a uid that is not the live object's
    never = {**rs, "metadata": {**rs["metadata"], "name": "never", "uid": "00000000-0000-4000-8000-000000000001"}}
    pod(cluster, "orphaned", never)
    pod(cluster, "good", rs)
    cluster.advance(1)
    assert names(cluster) == ["good"]


def test_cluster_scoped_owner_and_invalid_cross_namespace_reference(cluster):
    cluster.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    ns = cluster.api.get("namespaces", "team-a")
    cm = cluster.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
                            "default")
    pod(cluster, "by-namespace", ns, namespace="default")   # a cluster-scoped owner may own anything
    pod(cluster, "cross", cm, namespace="team-a")           # a namespaced owner must share the namespace
    cluster.advance(1)
    assert names(cluster, namespace="default") == ["by-namespace"]
    assert names(cluster, namespace="team-a") == []
    events = [e for e in cluster.api.list("events", "team-a")[0] if e["reason"] == "OwnerRefInvalidNamespace"]
    assert events and events[0]["type"] == "Warning"
    assert events[0]["message"] == (f'ownerRef [v1/ConfigMap, namespace: team-a, name: cfg, uid: {cm["metadata"]["uid"]}] '
                                    f'does not exist in namespace "team-a"')
    assert events[0]["source"] == {"component": "garbage-collector-controller"}


def test_releasing_a_dependent_keeps_it(cluster):
    rs = replicaset(cluster)
    p = pod(cluster, "web-a", rs)
    cluster.api.update("pods", {**p, "metadata": {k: v for k, v in p["metadata"].items() if k != "ownerReferences"}},
                       "default")
    cluster.api.delete("replicasets", "web", "default")
    cluster.advance(1)
    assert names(cluster) == ["web-a"]
    assert cluster.controllers["garbagecollector"].dependents_of(rs["metadata"]["uid"]) == []


def test_unblocking_a_dependent_releases_a_foreground_owner(cluster):
    rs = replicaset(cluster)
    pod(cluster, "web-a", rs, node="worker-1")
    cluster.api.delete("replicasets", "web", "default", propagation_policy="Foreground")
    cluster.advance(1)
    assert cluster.api.get("replicasets", "web", "default")["metadata"]["finalizers"] == ["foregroundDeletion"]
    p = cluster.api.get("pods", "web-a", "default")
    refs = [{**r, "blockOwnerDeletion": False} for r in p["metadata"]["ownerReferences"]]
    cluster.api.update("pods", {**p, "metadata": {**p["metadata"], "ownerReferences": refs}}, "default")
    cluster.advance(1)
    assert cluster.api.try_get("replicasets", "web", "default") is None


def test_foreground_cascades_through_a_chain(cluster):
    deploy = cluster.api.create("deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}, "default")
    rs = replicaset(cluster)
    rs = cluster.api.update("replicasets", {**rs, "metadata": {**rs["metadata"], "ownerReferences": [owner_reference(deploy)]}},
                            "default")
    pod(cluster, "web-a", rs, node="worker-1")
    cluster.api.delete("deployments", "web", "default", propagation_policy="Foreground")
    cluster.advance(1)
    # The ReplicaSet, itself an owner, is deleted in the foreground too: both wait for the pod.
    for resource in ("deployments", "replicasets"):
        meta = cluster.api.get(resource, "web", "default")["metadata"]
        assert meta["deletionTimestamp"] and meta["finalizers"] == ["foregroundDeletion"]
    cluster.api.delete("pods", "web-a", "default", grace_period_seconds=0)
    cluster.advance(1)
    assert names(cluster, "deployments") == [] and names(cluster, "replicasets") == []
