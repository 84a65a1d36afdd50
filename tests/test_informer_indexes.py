"""Informer indexes stay exact when updates that leave an index function's declared fields untouched skip it."""

from __future__ import annotations

import copy

from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.informer import Informer


def _rebuilt(informer: Informer) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    for name, fn in informer._indexers.items():
        index: dict[str, set[str]] = {}
        for key, obj in informer._items.items():
            for value in fn(obj):
                index.setdefault(value, set()).add(key)
        out[name] = index
    return out


def _deployment(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}


def test_pod_indexes_match_a_rebuild_through_binds_status_writes_relabels_orphaning_and_deletes():
    cluster = Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="fast", seed=1)
    cluster.api.create("deployments", _deployment("web", 4), "default")
    cluster.advance(20)
    pods = cluster.informers.informer("pods")
    assert {"nodeName", "labels", "controller", "orphan", "pvc"} <= set(pods._indexers)
    assert pods._indexes == _rebuilt(pods)

    # A relabel that orphans a pod (its ReplicaSet releases it and makes a replacement), an added
    # label, then a delete: each must move the pod in the labels, controller and orphan indexes.
    first, second, third = sorted(pods.keys())[:3]
    pod = copy.deepcopy(pods.get(first))
    pod["metadata"]["labels"] = {"app": "elsewhere"}
    cluster.api.update("pods", pod, "default")
    pod = copy.deepcopy(pods.get(second))
    pod["metadata"]["labels"]["tier"] = "front"
    cluster.api.update("pods", pod, "default")
    cluster.api.delete("pods", third.split("/")[1], "default", grace_period_seconds=0)
    cluster.advance(20)

    assert pods._indexes == _rebuilt(pods)
    assert pods.index_keys("labels", "default/app=elsewhere") == {first}
    assert first in pods.index_keys("orphan", "default")
    assert second in pods.index_keys("labels", "default/tier=front")
    assert third not in {k for bucket in pods._indexes["nodeName"].values() for k in bucket}
