"""Simulated files: what survives a container restart, a pod's deletion, and how config volumes follow edits."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig


@pytest.fixture
def client():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))
    client.advance(1)
    return client


def pod(name, volumes, mounts, **extra):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "volumeMounts": mounts}],
                     "volumes": volumes, **extra}}


def test_container_files_vanish_on_restart_but_empty_dir_survives(client):
    client.create(pod("web", [{"name": "scratch", "emptyDir": {}}], [{"name": "scratch", "mountPath": "/data"}]))
    client.advance(5)
    client.exec("web", ["write", "/data/note", "hello", "there"])
    client.exec("web", ["write", "/tmp/own", "mine"])
    assert client.exec("web", ["cat", "/data/note"]) == "hello there\n"
    assert client.exec("web", ["ls", "/data"]) == "note\n"
    client.crash_container("web")
    client.advance(5)
    assert client.exec("web", ["cat", "/data/note"]) == "hello there\n"  # the pod's emptyDir outlives the container
    with pytest.raises(ApiError, match="No such file"):
        client.exec("web", ["cat", "/tmp/own"])  # the container's own layer did not


def test_a_persistent_volume_outlives_its_pod(client):
    client.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    client.create(pod("db", volumes, [{"name": "data", "mountPath": "/var/lib/db"}]))
    client.advance(10)
    client.exec("db", ["write", "/var/lib/db/rows", "42"])
    client.delete("pods", "db", grace_period_seconds=0)
    client.advance(2)
    client.create(pod("db2", volumes, [{"name": "data", "mountPath": "/srv"}]))
    client.advance(10)
    assert client.exec("db2", ["cat", "/srv/rows"]) == "42\n"
    assert client.volume_files("db2", "data") == {"rows": "42"}


def test_config_volumes_are_read_only_and_follow_edits_after_a_sync(client):
    client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"mode": "blue"}})
    client.create(pod("web", [{"name": "config", "configMap": {"name": "app"}}],
                      [{"name": "config", "mountPath": "/etc/app"}]))
    client.advance(5)
    assert client.exec("web", ["cat", "/etc/app/mode"]) == "blue\n"
    with pytest.raises(ApiError, match="read-only file system"):
        client.exec("web", ["write", "/etc/app/mode", "red"])
    client.update({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"mode": "green"}})
    client.advance(10)
    assert client.exec("web", ["cat", "/etc/app/mode"]) == "blue\n"  # not yet: the kubelet syncs later
    client.advance(60)
    assert client.exec("web", ["cat", "/etc/app/mode"]) == "green\n"
    token = client.exec("web", ["ls", "/var/run/secrets/kubernetes.io/serviceaccount"])
    assert token == "ca.crt\nnamespace\ntoken\n"
