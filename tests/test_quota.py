"""ResourceQuota and LimitRange: admission with upstream's messages, defaults, and quota status kept current."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig


def pod(name, cpu=None, limit_cpu=None, memory=None):
    resources = {}
    if cpu or memory:
        resources["requests"] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if limit_cpu:
        resources["limits"] = {"cpu": limit_cpu}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "resources": resources}]}}


@pytest.fixture
def client():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1", cpu="8", memory="16Gi")], profile="fast", seed=1))
    client.advance(1)
    return client


def forbidden(client, obj):
    with pytest.raises(ApiError) as err:
        client.create(obj)
    assert err.value.code == 403 and err.value.reason == "Forbidden"
    return err.value.message


def test_quota_counts_pods_and_refuses_the_one_too_many(client):
    client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
                                     "spec": {"hard": {"pods": "2", "requests.cpu": "1"}}})
    client.advance(1)
    assert client.get("resourcequotas", "compute")["status"] == {"hard": {"pods": "2", "requests.cpu": "1"},
                                                                 "used": {"pods": "0", "requests.cpu": "0"}}
    client.create(pod("a", cpu="600m"))
    assert client.get("resourcequotas", "compute")["status"]["used"] == {"pods": "1", "requests.cpu": "600m"}
    assert forbidden(client, pod("b", cpu="500m")) == (
        'pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=600m, '
        'limited: requests.cpu=1')
    assert forbidden(client, pod("c")) == 'pods "c" is forbidden: failed quota: compute: must specify requests.cpu for: app'
    client.create(pod("d", cpu="400m"))
    assert forbidden(client, pod("e", cpu="1m")).startswith('pods "e" is forbidden: exceeded quota: compute, '
                                                             'requested: pods=1,requests.cpu=1m')
    client.delete("pods", "a", grace_period_seconds=0)
    client.advance(1)  # the controller recounts once a counted object goes away
    assert client.get("resourcequotas", "compute")["status"]["used"] == {"pods": "1", "requests.cpu": "400m"}
    client.create(pod("f", cpu="500m"))


def test_quota_on_object_counts(client):
    client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "objects"},
                                     "spec": {"hard": {"configmaps": "2", "services.nodeports": "1",
                                                       "count/deployments.apps": "0"}}})
    client.advance(1)
    used = client.get("resourcequotas", "objects")["status"]["used"]
    assert used["configmaps"] == "1"  # kube-root-ca.crt, published into every namespace
    client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert "exceeded quota: objects, requested: configmaps=1, used: configmaps=2, limited: configmaps=2" in \
        forbidden(client, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y"}})
    assert "count/deployments.apps=1" in forbidden(client, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})


def test_limit_range_defaults_and_bounds(client):
    client.create({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "limits"},
                                  "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"},
                                                       "defaultRequest": {"cpu": "200m"}, "max": {"cpu": "1"},
                                                       "min": {"cpu": "100m"}}]}})
    created = client.create(pod("a"))
    resources = created["spec"]["containers"][0]["resources"]
    assert resources == {"limits": {"cpu": "500m"}, "requests": {"cpu": "200m"}}
    assert created["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu request for container app; cpu limit for container app")
    assert forbidden(client, pod("b", cpu="200m", limit_cpu="2")) == (
        'pods "b" is forbidden: Maximum cpu usage per Container is 1, but limit is 2.')
    assert forbidden(client, pod("c", cpu="50m", limit_cpu="2")) == (
        'pods "c" is forbidden: [Minimum cpu usage per Container is 100m, but request is 50m., '
        'Maximum cpu usage per Container is 1, but limit is 2.]')


def test_limit_range_defaults_satisfy_a_quota_that_demands_limits(client):
    client.create({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "limits"},
                                  "spec": {"limits": [{"type": "Container", "default": {"cpu": "250m"}}]}})
    client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
                                     "spec": {"hard": {"limits.cpu": "1"}}})
    client.advance(1)
    client.create(pod("a"))
    assert client.get("resourcequotas", "q")["status"]["used"] == {"limits.cpu": "250m"}


def test_get_and_describe_show_used_and_hard(client):
    from kubetui.engine.api import kinds
    from kubetui.printers import table
    from kubetui.tui.describe_text import describe

    client.create({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
                   "spec": {"hard": {"pods": "4", "requests.cpu": "2", "limits.cpu": "4"}}})
    client.advance(1)
    client.create(pod("a", cpu="500m", limit_cpu="1"))
    header, row = table(kinds.by_plural("resourcequotas"), client.list("resourcequotas"), client.now,
                        all_namespaces=False)
    assert header == ["NAME", "AGE", "REQUEST", "LIMIT"]
    assert row[2:] == ["pods: 1/4, requests.cpu: 500m/2", "limits.cpu: 1/4"]
    text = describe(client, "resourcequotas", "compute", "default")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Resource"))
    assert lines[start].split() == ["Resource", "Used", "Hard"]
    assert [line.split() for line in lines[start + 2:start + 5]] == [["limits.cpu", "1", "4"], ["pods", "1", "4"],
                                                                    ["requests.cpu", "500m", "2"]]
