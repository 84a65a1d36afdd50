"""Cluster DNS: Service names, the search path, headless and ExternalName Services, pod and SRV records."""

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.dns import Record, search_path


def setup():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))
    client.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                  "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}})
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-headless"},
                  "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}})
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                  "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    client.advance(10)
    return client


def test_service_names_resolve_through_the_search_path():
    client = setup()
    ip = client.get("services", "web")["spec"]["clusterIP"]
    answer = ("web.default.svc.cluster.local", [Record("A", "web.default.svc.cluster.local", ip)])
    assert client.resolve("web") == answer
    assert client.resolve("web.default") == answer
    assert client.resolve("web.default.svc.cluster.local.") == answer
    assert client.resolve("kubernetes.default.svc")[1] == [Record("A", "kubernetes.default.svc.cluster.local",
                                                                  "10.96.0.1")]
    assert client.resolve("web", namespace="kube-system")[1] == []  # another namespace: NXDOMAIN
    assert search_path("prod") == ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local"]


def test_headless_external_name_pod_and_srv_records():
    client = setup()
    pod_ips = sorted(p["status"]["podIP"] for p in client.list("pods"))
    _, records = client.resolve("web-headless")
    assert [r.value for r in records] == pod_ips and {r.type for r in records} == {"A"}
    assert client.resolve("db")[1] == [Record("CNAME", "db.default.svc.cluster.local", "db.example.com")]
    dashed = pod_ips[0].replace(".", "-")
    assert client.resolve(f"{dashed}.default.pod.cluster.local")[1][0].value == pod_ips[0]
    srv = client.resolve("_http._tcp.web.default.svc.cluster.local")[1]
    assert srv == [Record("SRV", "_http._tcp.web.default.svc.cluster.local", "web.default.svc.cluster.local", 80)]
    assert client.resolve("nothing-here")[1] == []
