"""cloud-controller-manager's service controller: LoadBalancer Services get an external IP, and give it back."""

import copy

from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.controllers.service import LB_FINALIZER
from kubetui.printers import service_external_ip


def lb_service(name="web", type_="LoadBalancer"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"type": type_, "selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}


def reasons(cluster, name):
    return [e["reason"] for e in sorted(cluster.api.list("events", "default")[0],
                                         key=lambda e: e["metadata"]["resourceVersion"])
            if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "Service"]


def test_load_balancer_gets_an_external_ip_after_the_cloud_delay():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.api.create("services", lb_service(), "default")
    cluster.advance(1)
    svc = cluster.api.get("services", "web", "default")
    assert service_external_ip(svc) == "<pending>"
    assert LB_FINALIZER in svc["metadata"]["finalizers"]
    assert reasons(cluster, "web") == ["EnsuringLoadBalancer"]
    cluster.advance(2)
    svc = cluster.api.get("services", "web", "default")
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.1", "ipMode": "VIP"}]
    assert reasons(cluster, "web") == ["EnsuringLoadBalancer", "EnsuredLoadBalancer"]
    assert svc["spec"]["ports"][0]["nodePort"]  # a LoadBalancer is a NodePort Service too

    cluster.api.create("services", lb_service("api"), "default")
    cluster.advance(3)
    assert service_external_ip(cluster.api.get("services", "api", "default")) == "203.0.113.2"
    assert service_external_ip(cluster.api.create("services", lb_service("plain", "ClusterIP"), "default")) == "<none>"


def test_deleting_or_retyping_releases_the_balancer_and_its_address():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.api.create("services", lb_service(), "default")
    cluster.advance(3)
    cluster.api.delete("services", "web", "default")
    cluster.advance(1)
    assert cluster.api.try_get("services", "web", "default") is None  # the finalizer was removed
    assert reasons(cluster, "web")[-2:] == ["DeletingLoadBalancer", "DeletedLoadBalancer"]

    cluster.api.create("services", lb_service("api"), "default")
    cluster.advance(3)
    svc = copy.deepcopy(cluster.api.get("services", "api", "default"))  # what the API returns is shared
    assert service_external_ip(svc) == "203.0.113.1"  # the freed address is handed out again
    svc["spec"]["type"] = "ClusterIP"  # and drop the fields only an external Service may have
    svc["spec"].pop("allocateLoadBalancerNodePorts", None)
    svc["spec"].pop("externalTrafficPolicy", None)
    for port in svc["spec"]["ports"]:
        port.pop("nodePort", None)
    cluster.api.update("services", svc, "default")
    cluster.advance(1)
    svc = cluster.api.get("services", "api", "default")
    assert service_external_ip(svc) == "<none>"
    assert LB_FINALIZER not in (svc["metadata"].get("finalizers") or ())
