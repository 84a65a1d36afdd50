"""The Endpoints controller: a Service's Endpoints follow its pods' IPs, readiness and ports."""

import pytest

from kubetui.engine.clock import rfc3339
from kubetui.engine.cluster import Cluster
from kubetui.engine.controllers.endpoints import (HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, EndpointsController,
                                                  build_subsets)


@pytest.fixture
def cluster():
    # Only the controller under test runs; pods get their IPs and readiness from the test itself.
    c = Cluster(nodes=[], controllers=(EndpointsController,), profile="fast", seed=1)
    c.advance(1)
    return c


def service(name="web", selector=None, ports=None, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"selector": {"app": "web"} if selector is None else selector,
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080}] if ports is None else ports, **spec}}


def make_pod(cluster, name, labels=None, node="node-a", ports=None, **spec):
    container = {"name": "app", "image": "nginx:1.27"}
    if ports:
        container["ports"] = ports
    return cluster.api.create("pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {"app": "web"}},
        "spec": {"nodeName": node, "containers": [container], **spec}}, "default")


def set_status(cluster, name, ip, ready):
    pod = cluster.api.get("pods", name, "default")
    now = rfc3339(cluster.now)
    status = {**pod["status"], "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
              "conditions": [{"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now}]}
    cluster.api.update_status("pods", {**pod, "status": status})


def endpoints(cluster, name="web"):
    return cluster.api.try_get("endpoints", name, "default")


def ips(ep, field="addresses"):
    return [a["ip"] for s in ep.get("subsets", ()) for a in s.get(field, ())]


def test_ready_and_not_ready_pods(cluster):
    cluster.api.create("services", service())
    cluster.advance(1)
    ep = endpoints(cluster)
    assert ep is not None and "subsets" not in ep and ep["metadata"]["labels"] == {"app": "web"}
    for i, name in enumerate(("web-1", "web-2", "web-3")):
        make_pod(cluster, name)
        set_status(cluster, name, f"10.244.1.{10 - i}", ready=name != "web-3")
    make_pod(cluster, "no-ip")
    make_pod(cluster, "other", labels={"app": "db"})
    set_status(cluster, "other", "10.244.1.99", ready=True)
    cluster.advance(2)
    ep = endpoints(cluster)
    pod = cluster.api.get("pods", "web-1", "default")
    assert ep["subsets"] == [{
        "addresses": [
            {"ip": "10.244.1.9", "nodeName": "node-a",
             "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-2",
                           "uid": cluster.api.get("pods", "web-2", "default")["metadata"]["uid"]}},
            {"ip": "10.244.1.10", "nodeName": "node-a",
             "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": pod["metadata"]["uid"]}}],
        "notReadyAddresses": [
            {"ip": "10.244.1.8", "nodeName": "node-a",
             "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-3",
                           "uid": cluster.api.get("pods", "web-3", "default")["metadata"]["uid"]}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    assert ep["metadata"]["annotations"][LAST_CHANGE_TRIGGER_TIME].startswith("2026-01-01T00:00:")

    set_status(cluster, "web-1", "10.244.1.10", ready=False)  # readiness lost
    set_status(cluster, "web-3", "10.244.1.8", ready=True)
    cluster.advance(2)
    ep = endpoints(cluster)
    assert ips(ep) == ["10.244.1.8", "10.244.1.9"] and ips(ep, "notReadyAddresses") == ["10.244.1.10"]

    cluster.api.delete("pods", "web-2", "default")  # bound to a node: terminating, out at once
    cluster.advance(2)
    assert cluster.api.get("pods", "web-2", "default")["metadata"]["deletionTimestamp"]
    assert ips(endpoints(cluster)) == ["10.244.1.8"]
    cluster.api.delete("pods", "web-3", "default", grace_period_seconds=0)
    cluster.advance(2)
    ep = endpoints(cluster)
    assert ips(ep) == [] and ips(ep, "notReadyAddresses") == ["10.244.1.10"]


def test_update_only_when_something_changed(cluster):
    cluster.api.create("services", service())
    make_pod(cluster, "web-1")
    set_status(cluster, "web-1", "10.244.0.5", ready=True)
    cluster.advance(2)
    rv = endpoints(cluster)["metadata"]["resourceVersion"]
    pod = cluster.api.get("pods", "web-1", "default")
    pod = cluster.api.update("pods", {**pod, "metadata": {**pod["metadata"], "annotations": {"note": "x"}}}, "default")
    cluster.api.update_status("pods", {**pod, "status": {**pod["status"], "message": "still fine"}})
    cluster.advance(2)
    assert endpoints(cluster)["metadata"]["resourceVersion"] == rv


def test_named_target_port_and_pods_without_it(cluster):
    cluster.api.create("services", service(ports=[{"name": "http", "port": 80, "targetPort": "web"},
                                                  {"name": "metrics", "port": 9090, "targetPort": 9090}]))
    make_pod(cluster, "new", ports=[{"name": "web", "containerPort": 8081}])
    make_pod(cluster, "old", ports=[{"name": "web", "containerPort": 8080}])
    make_pod(cluster, "plain")
    for name, ip in (("new", "10.0.0.1"), ("old", "10.0.0.2"), ("plain", "10.0.0.3")):
        set_status(cluster, name, ip, ready=True)
    cluster.advance(2)
    subsets = endpoints(cluster)["subsets"]
    summary = sorted(([a["ip"] for a in s["addresses"]], [(p["name"], p["port"]) for p in s["ports"]])
                     for s in subsets)
    # Addresses serving the same ports share a subset; "plain" has no port named "web".
    assert summary == [(["10.0.0.1"], [("http", 8081)]), (["10.0.0.1", "10.0.0.2", "10.0.0.3"], [("metrics", 9090)]),
                       (["10.0.0.2"], [("http", 8080)])]


def test_publish_not_ready_addresses_and_terminating_pods(cluster):
    cluster.api.create("services", service(publishNotReadyAddresses=True))
    make_pod(cluster, "web-1")
    make_pod(cluster, "web-2")
    set_status(cluster, "web-1", "10.0.0.1", ready=False)
    set_status(cluster, "web-2", "10.0.0.2", ready=True)
    cluster.api.delete("pods", "web-2", "default")
    cluster.advance(2)
    ep = endpoints(cluster)
    assert ips(ep) == ["10.0.0.1", "10.0.0.2"] and ips(ep, "notReadyAddresses") == []


def test_headless_service_without_ports(cluster):
    cluster.api.create("services", service(name="db", selector={"app": "db"}, ports=[], clusterIP="None"))
    make_pod(cluster, "db-0", labels={"app": "db"}, hostname="db-0", subdomain="db")
    set_status(cluster, "db-0", "10.0.0.7", ready=True)
    cluster.advance(2)
    ep = endpoints(cluster, "db")
    assert ep["metadata"]["labels"] == {"app": "db", HEADLESS_LABEL: ""}
    assert len(ep["subsets"]) == 1 and "ports" not in ep["subsets"][0]
    assert ep["subsets"][0]["addresses"][0]["hostname"] == "db-0"


def test_selector_change_moves_endpoints_blue_green(cluster):
    cluster.api.create("services", service(selector={"app": "web", "version": "blue"}))
    for i, version in enumerate(("blue", "blue", "green", "green")):
        name = f"{version}-{i}"
        make_pod(cluster, name, labels={"app": "web", "version": version})
        set_status(cluster, name, f"10.1.0.{i + 1}", ready=True)
    cluster.advance(2)
    assert ips(endpoints(cluster)) == ["10.1.0.1", "10.1.0.2"]
    svc = cluster.api.get("services", "web", "default")
    cluster.api.update("services", {**svc, "spec": {**svc["spec"], "selector": {"app": "web", "version": "green"}}},
                       "default")
    cluster.advance(1)
    assert ips(endpoints(cluster)) == ["10.1.0.3", "10.1.0.4"]
    # A pod relabelled into the selector joins; one relabelled out leaves.
    pod = cluster.api.get("pods", "blue-0", "default")
    cluster.api.update("pods", {**pod, "metadata": {**pod["metadata"], "labels": {"app": "web", "version": "green"}}},
                       "default")
    pod = cluster.api.get("pods", "green-3", "default")
    cluster.api.update("pods", {**pod, "metadata": {**pod["metadata"], "labels": {"app": "web"}}}, "default")
    cluster.advance(2)
    assert ips(endpoints(cluster)) == ["10.1.0.1", "10.1.0.3"]


def test_service_deleted_and_services_without_selector(cluster):
    cluster.api.create("services", service())
    cluster.api.create("services", service(name="external", selector={}))
    cluster.api.create("endpoints", {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "external"},
                                     "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"port": 5432}]}]})
    cluster.advance(1)
    assert endpoints(cluster) is not None
    cluster.api.delete("services", "web", "default")
    cluster.advance(1)
    assert endpoints(cluster) is None
    assert ips(endpoints(cluster, "external")) == ["192.0.2.10"]  # left alone


def test_endpoints_recreated_when_deleted(cluster):
    cluster.api.create("services", service())
    cluster.advance(1)
    cluster.api.delete("endpoints", "web", "default")
    cluster.advance(1)
    assert endpoints(cluster) is not None


def test_kubernetes_service_points_at_the_control_plane():
    c = Cluster(nodes=[], controllers=(EndpointsController,), profile="fast", seed=1)
    c.api.create("nodes", {"apiVersion": "v1", "kind": "Node",
                           "metadata": {"name": "cp", "labels": {"node-role.kubernetes.io/control-plane": ""}},
                           "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"},
                                                    {"type": "Hostname", "address": "cp"}]}})
    c.advance(1)
    ep = c.api.get("endpoints", "kubernetes", "default")
    assert ep["subsets"] == [{"addresses": [{"ip": "172.18.0.2"}],
                              "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]
    assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}


def test_large_service_is_truncated_and_bursts_are_coalesced(cluster):
    cluster.api.create("services", service())
    cluster.advance(1)
    for i in range(1005):
        name = f"web-{i}"
        make_pod(cluster, name)
        set_status(cluster, name, f"10.{i // 250}.{i % 250}.1", ready=True)
    cluster.advance(2)
    ep = endpoints(cluster)
    assert sum(len(s["addresses"]) for s in ep["subsets"]) == 1000
    assert ep["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == "truncated"
    controller = cluster.controllers["endpoint"]
    assert controller.queue.processed < 20  # not one sync per pod


def test_build_subsets_sorts_and_groups():
    svc = {"metadata": {"name": "s", "namespace": "n"},
           "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80, "targetPort": 80}, {"name": "b", "port": 81}]}}

    def pod(name, ip, ready):
        return {"metadata": {"name": name, "namespace": "n", "uid": name},
                "spec": {"containers": []},
                "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": str(ready)}]}}

    subsets = build_subsets(svc, [pod("a", "10.0.0.10", True), pod("b", "10.0.0.9", False), pod("c", "10.0.0.2", True)])
    assert len(subsets) == 1
    assert [a["ip"] for a in subsets[0]["addresses"]] == ["10.0.0.2", "10.0.0.10"]
    assert [a["ip"] for a in subsets[0]["notReadyAddresses"]] == ["10.0.0.9"]
    assert subsets[0]["ports"] == [{"port": 80, "protocol": "TCP"}, {"name": "b", "port": 81, "protocol": "TCP"}]


def test_end_to_end_with_a_deployment():
    c = Cluster(profile="fast", seed=1)  # every controller, the scheduler and the kubelets
    c.api.create("deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                                       "ports": [{"name": "http", "containerPort": 8080}]}]}}}})
    c.api.create("services", service(ports=[{"port": 80, "targetPort": "http"}]))
    c.advance(30)

    def serving():
        ep = endpoints(c)
        return sorted(a["targetRef"]["name"] for s in ep.get("subsets", ()) for a in s["addresses"])

    def ready_pods():
        return sorted(p["metadata"]["name"] for p in c.api.list("pods", "default")[0]
                      if not p["metadata"].get("deletionTimestamp") and any(
                          cond["type"] == "Ready" and cond["status"] == "True" for cond in p["status"].get("conditions", ())))

    assert len(serving()) == 3 and serving() == ready_pods()
    ep = endpoints(c)
    assert ep["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert all(a["nodeName"].startswith("worker-") for a in ep["subsets"][0]["addresses"])
    control_plane = c.api.get("nodes", "control-plane")
    internal_ip = next(a["address"] for a in control_plane["status"]["addresses"] if a["type"] == "InternalIP")
    assert ips(c.api.get("endpoints", "kubernetes", "default")) == [internal_ip]

    old = set(serving())
    deploy = c.api.get("deployments", "web", "default")
    template = deploy["spec"]["template"]
    containers = [{**template["spec"]["containers"][0], "image": "nginx:1.28"}]
    c.api.update("deployments", {**deploy, "spec": {**deploy["spec"], "template": {
        **template, "spec": {**template["spec"], "containers": containers}}}}, "default")
    c.advance(60)
    assert len(serving()) == 3 and serving() == ready_pods() and not old & set(serving())

    c.api.delete("deployments", "web", "default")  # the garbage collector removes its ReplicaSets and pods
    c.advance(60)
    assert c.api.list("replicasets", "default")[0] == [] and c.api.list("pods", "default")[0] == []
    assert "subsets" not in endpoints(c)
    assert c.ctx.errors == []
