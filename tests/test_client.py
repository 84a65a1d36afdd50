"""The in-process Client: kubectl's verbs (apply, scale, drain, logs, rollout undo) and the playground's."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.client import LAST_APPLIED, LocalClient
from kubetui.engine.cluster import Cluster


def deployment(image="nginx:1.27", replicas=3, labels=None):
    meta = {"name": "web"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}}}


@pytest.fixture
def client():
    return LocalClient(Cluster(seed=2))


def test_apply_creates_then_patches_three_way(client):
    created = client.apply(deployment(labels={"tier": "front", "team": "a"}))
    assert LAST_APPLIED in created["metadata"]["annotations"]
    client.scale("deployments", "web", 5)  # a live change the file does not know about
    updated = client.apply(deployment(image="nginx:1.28", replicas=3, labels={"tier": "front"}))
    assert updated["metadata"]["labels"] == {"tier": "front"}  # dropped from the file → removed
    assert updated["spec"]["replicas"] == 3
    assert updated["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert updated["metadata"]["generation"] == 3


def test_apply_rejects_invalid_and_keeps_live_object(client):
    client.apply(deployment())
    bad = deployment()
    bad["spec"]["replicas"] = -1
    with pytest.raises(ApiError) as e:
        client.apply(bad)
    assert e.value.code == 422 and "spec.replicas" in e.value.message
    assert client.get("deployments", "web")["spec"]["replicas"] == 3


def test_rollout_undo_and_logs(client):
    client.apply(deployment())
    client.advance(20)
    client.apply(deployment(image="nginx:1.28"))
    client.advance(30)
    client.rollout_undo("web")
    client.advance(30)
    assert client.get("deployments", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    pods = client.list("pods", "default", label_selector="app=web")
    assert {p["spec"]["containers"][0]["image"] for p in pods if not p["metadata"].get("deletionTimestamp")} == {"nginx:1.27"}
    assert isinstance(client.logs(pods[0]["metadata"]["name"]), str)


def test_cordon_and_drain(client):
    client.apply(deployment(replicas=6))
    client.advance(20)
    node = client.list("pods", "default")[0]["spec"]["nodeName"]
    client.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
                  "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.27"}]}})
    with pytest.raises(ApiError) as e:
        client.drain(node)
    assert "cannot delete Pods that declare no controller" in e.value.message
    assert not client.get("nodes", node)["spec"].get("unschedulable")
    evicted = client.drain(node, force=True)
    assert "default/bare" in evicted and client.get("nodes", node)["spec"]["unschedulable"] is True
    client.advance(40)
    live = [p for p in client.list("pods", "default", label_selector="app=web")]
    assert len(live) == 6 and all(p["spec"]["nodeName"] != node for p in live)
    client.cordon(node, unschedulable=False)
    assert "unschedulable" not in client.get("nodes", node)["spec"]


def test_store_browsing_and_explain(client):
    client.apply(deployment(replicas=1))
    client.advance(10)
    pod = client.list("pods", "default")[0]
    key = f"/registry/pods/default/{pod['metadata']['name']}"
    assert key in client.store_keys("/registry/pods/")
    kv = client.store_get(key)
    assert kv.mod_revision == int(pod["metadata"]["resourceVersion"]) and kv.version >= 3
    history = client.store_history(key)
    assert len(history) == kv.version and history[0].value["spec"].get("nodeName") is None
    assert client.store_get(key, revision=history[0].mod_revision).value == history[0].value
    explain = client.explain(pod["metadata"]["name"])
    assert explain is not None and explain["selectedNode"] == pod["spec"]["nodeName"]
    assert "/registry/minions/worker-1" in client.store_keys("/registry/minions/")
    assert "/registry/leases/kube-node-lease/worker-1" in client.store_keys("/registry/leases/")
    assert "/registry/leases/kube-system/kube-scheduler" in client.store_keys("/registry/leases/")


def test_reapplying_a_pod_keeps_what_admission_added_and_changes_its_labels():
    client = LocalClient(Cluster(profile="fast", seed=1))
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": {"tier": "a"}},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    client.apply(pod)
    live = client.apply({**pod, "metadata": {**pod["metadata"], "labels": {"tier": "b"}}})
    assert live["metadata"]["labels"] == {"tier": "b"}
    mounts = live["spec"]["containers"][0]["volumeMounts"]
    assert [m["mountPath"] for m in mounts] == ["/var/run/secrets/kubernetes.io/serviceaccount"]
