"""Namespace deletion and per-namespace defaults: contents removed, conditions reported, namespace finalized."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.cluster import Cluster
from kubetui.engine.controllers.garbagecollector import GarbageCollector
from kubetui.engine.controllers.namespace import NamespaceController
from kubetui.engine.controllers.serviceaccount import ROOT_CA_CONFIGMAP, ServiceAccountController


@pytest.fixture
def cluster():
    c = Cluster(nodes=[], controllers=(NamespaceController, ServiceAccountController, GarbageCollector),
                profile="fast", seed=1)
    c.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    c.advance(1)
    return c


def create(cluster, resource, kind, name, api_version="v1", **body):
    return cluster.api.create(resource, {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}, **body},
                              "team-a")


def pod(cluster, name, node=None):
    spec = {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return create(cluster, "pods", "Pod", name, spec=spec)


def conditions(ns):
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in ns["status"].get("conditions", ())}


def test_every_namespace_gets_a_default_service_account_and_root_ca(cluster):
    for ns in ("default", "kube-system", "team-a"):
        assert cluster.api.try_get("serviceaccounts", "default", ns) is not None
        cm = cluster.api.get("configmaps", ROOT_CA_CONFIGMAP, ns)
        assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----\n")
        assert cm["data"]["ca.crt"].endswith("\n-----END CERTIFICATE-----\n")
    cluster.api.delete("serviceaccounts", "default", "team-a")
    cm = cluster.api.get("configmaps", ROOT_CA_CONFIGMAP, "team-a")
    cluster.api.update("configmaps", {**cm, "data": {"ca.crt": "tampered"}}, "team-a")
    cluster.advance(1)
    assert cluster.api.try_get("serviceaccounts", "default", "team-a") is not None
    assert cluster.api.get("configmaps", ROOT_CA_CONFIGMAP, "team-a")["data"] == cm["data"]


def test_deleting_a_namespace_removes_its_content_then_itself(cluster):
    deploy = create(cluster, "deployments", "Deployment", "web", api_version="apps/v1", spec={
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}})
    pod(cluster, "web-1")
    create(cluster, "services", "Service", "web", spec={"selector": {"app": "web"}, "ports": [{"port": 80}]})
    create(cluster, "configmaps", "ConfigMap", "settings", data={"a": "b"})
    create(cluster, "secrets", "Secret", "token", data={})
    cluster.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}, "default")
    assert deploy

    ns = cluster.api.delete("namespaces", "team-a")
    assert ns["status"]["phase"] == "Terminating"
    cluster.advance(4)  # the controller starts 5 s after the deletion
    assert cluster.api.get("configmaps", "settings", "team-a")
    cluster.advance(2)
    assert cluster.api.try_get("namespaces", "team-a") is None
    for resource in ("deployments", "pods", "services", "configmaps", "secrets", "serviceaccounts"):
        assert cluster.api.list(resource, "team-a")[0] == [], resource
    assert cluster.api.try_get("configmaps", "keep", "default") is not None


def test_creating_in_a_terminating_namespace_is_forbidden(cluster):
    pod(cluster, "slow", node="worker-1")  # terminates gracefully; no kubelet confirms in this test
    cluster.api.delete("namespaces", "team-a")
    with pytest.raises(ApiError) as e:
        create(cluster, "configmaps", "ConfigMap", "late")
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    assert e.value.message == ("configmaps is forbidden: unable to create new content in namespace team-a "
                               "because it is being terminated")


def test_terminating_pods_keep_the_namespace_and_are_reported(cluster):
    pod(cluster, "slow-1", node="worker-1")
    pod(cluster, "slow-2", node="worker-1")
    cluster.api.delete("namespaces", "team-a")
    cluster.advance(6)
    ns = cluster.api.get("namespaces", "team-a")
    conds = conditions(ns)
    assert conds["NamespaceContentRemaining"] == ("True", "SomeResourcesRemain",
                                                  "Some resources are remaining: pods. has 2 resource instances")
    assert conds["NamespaceDeletionContentFailure"] == (
        "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization")
    assert conds["NamespaceDeletionDiscoveryFailure"][0] == "False"
    assert conds["NamespaceFinalizersRemaining"] == ("False", "ContentRemoved", "All content successfully removed")
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert all(p["metadata"]["deletionTimestamp"] for p in cluster.api.list("pods", "team-a")[0])
    # The kubelet confirms the pods' termination; the next check finalizes the namespace.
    for name in ("slow-1", "slow-2"):
        cluster.api.delete("pods", name, "team-a", grace_period_seconds=0)
    cluster.advance(30)
    assert cluster.api.try_get("namespaces", "team-a") is None


def test_content_with_finalizers_is_waited_for(cluster):
    create(cluster, "configmaps", "ConfigMap", "guarded")
    cm = cluster.api.get("configmaps", "guarded", "team-a")
    cluster.api.update("configmaps", {**cm, "metadata": {**cm["metadata"], "finalizers": ["example.com/hold"]}},
                       "team-a")
    cluster.api.delete("namespaces", "team-a")
    cluster.advance(6)
    conds = conditions(cluster.api.get("namespaces", "team-a"))
    assert conds["NamespaceContentRemaining"][2] == "Some resources are remaining: configmaps. has 1 resource instances"
    assert conds["NamespaceFinalizersRemaining"] == (
        "True", "SomeFinalizerRemain", "Some finalizers are remaining: example.com/hold in 1 resource instances")
    cm = cluster.api.get("configmaps", "guarded", "team-a")
    cluster.api.update("configmaps", {**cm, "metadata": {**cm["metadata"], "finalizers": []}}, "team-a")
    cluster.advance(15)
    assert cluster.api.try_get("namespaces", "team-a") is None


def test_end_to_end_namespace_with_a_deployment():
    c = Cluster(profile="fast", seed=1)  # every controller, the scheduler and the kubelets
    c.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    c.api.create("deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}, "team-a")
    c.api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                              "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}, "team-a")
    c.advance(30)
    assert [p["status"]["phase"] for p in c.api.list("pods", "team-a")[0]] == ["Running", "Running"]
    c.api.delete("namespaces", "team-a")
    c.advance(60)  # pods terminate gracefully on their kubelets, then the namespace is finalized
    assert c.api.try_get("namespaces", "team-a") is None
    for resource in ("deployments", "replicasets", "pods", "services", "endpoints", "serviceaccounts", "configmaps"):
        assert c.api.list(resource, "team-a")[0] == [], resource
    assert c.ctx.errors == []
