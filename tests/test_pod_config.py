"""ConfigMaps and Secrets consumed by pods: env (valueFrom, envFrom), config volumes, and what a missing one does."""

import base64

import pytest

from kubetui.engine.cluster import Cluster, NodeConfig


@pytest.fixture
def cluster():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.advance(1)
    return cluster


def configmap(name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def pod(name, container_extra=None, volumes=None):
    container = {"name": "app", "image": "nginx:1.27", **(container_extra or {})}
    spec = {"containers": [container], "nodeName": "worker-1"}
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"tier": "web"}}, "spec": spec}


def state(cluster, name):
    return cluster.api.get("pods", name, "default")["status"]["containerStatuses"][0]["state"]


def env_of(cluster, name):
    worker = cluster.machines["worker-1"].kubelet._workers[f"default/{name}"]
    return dict(worker.app[0].env)


def warnings(cluster, name):
    return [(e["reason"], e["message"]) for e in cluster.api.list("events", "default")[0]
            if e["involvedObject"]["name"] == name and e["type"] == "Warning"]


def test_env_from_configmap_secret_envfrom_and_the_downward_api(cluster):
    cluster.api.create("configmaps", configmap("app", {"MODE": "blue", "COLOR": "red"}), "default")
    cluster.api.create("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                                   "stringData": {"password": "s3cret"}}, "default")
    assert cluster.api.get("secrets", "db", "default")["data"] == {"password": base64.b64encode(b"s3cret").decode()}
    cluster.api.create("pods", pod("web", {
        "envFrom": [{"configMapRef": {"name": "app"}, "prefix": "APP_"}],
        "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "MODE"}}},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
                {"name": "OPTIONAL", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "x", "optional": True}}},
                {"name": "PLAIN", "value": "1"}]}), "default")
    cluster.advance(5)
    assert "running" in state(cluster, "web")
    assert env_of(cluster, "web") == {"APP_MODE": "blue", "APP_COLOR": "red", "MODE": "blue", "DB_PASSWORD": "s3cret",
                                      "POD": "web", "TIER": "web", "PLAIN": "1"}


def test_a_missing_reference_is_create_container_config_error_until_it_appears(cluster):
    cluster.api.create("pods", pod("web", {"env": [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "MODE"}}}]}), "default")
    cluster.advance(5)
    assert state(cluster, "web") == {"waiting": {"reason": "CreateContainerConfigError",
                                                 "message": 'configmap "app" not found'}}
    assert ("Failed", 'Error: configmap "app" not found') in warnings(cluster, "web")
    cluster.api.create("configmaps", configmap("app", {"OTHER": "x"}), "default")
    cluster.advance(11)
    assert state(cluster, "web")["waiting"]["message"] == "couldn't find key MODE in ConfigMap default/app"
    cluster.api.update("configmaps", configmap("app", {"MODE": "green"}), "default")
    cluster.advance(11)
    assert "running" in state(cluster, "web") and env_of(cluster, "web")["MODE"] == "green"


def test_a_missing_config_volume_keeps_the_pod_creating(cluster):
    cluster.api.create("pods", pod("web", {"volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]},
                                   [{"name": "config", "configMap": {"name": "app"}}]), "default")
    cluster.advance(5)
    assert state(cluster, "web") == {"waiting": {"reason": "ContainerCreating"}}
    assert ("FailedMount", 'MountVolume.SetUp failed for volume "config" : configmap "app" not found') in \
        warnings(cluster, "web")
    cluster.api.create("configmaps", configmap("app", {"app.conf": "x=1"}), "default")
    cluster.advance(12)
    assert "running" in state(cluster, "web")
