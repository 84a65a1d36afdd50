"""kube-proxy: the Service rules each node programs, iptables chain names, NodePort, Local policy, frozen when off."""

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.node.kubeproxy import iptables_save, service_chain


def cluster_with_web(replicas=3, **service_spec):
    cluster = Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="fast", seed=1)
    client = LocalClient(cluster)
    client.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                                 "ports": [{"containerPort": 8080}]}]}}}})
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                  "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
                           **service_spec}})
    client.advance(10)
    return cluster, client


def rule_for(client, node, service):
    return next(r for r in client.proxy_rules(node) if r.service == service)


def test_chain_names_match_kube_proxy():
    # the chain every kubeadm cluster has for the API server's Service
    assert service_chain("default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"


def test_every_node_routes_the_cluster_ip_to_the_ready_pods():
    cluster, client = cluster_with_web()
    svc = client.get("services", "web")
    pods = {p["status"]["podIP"]: p["metadata"]["name"] for p in client.list("pods")}
    for node in ("worker-1", "worker-2"):
        rule = rule_for(client, node, "default/web")
        assert (rule.cluster_ip, rule.port, rule.protocol, rule.name) == (svc["spec"]["clusterIP"], 80, "TCP",
                                                                          "default/web:http")
        assert {(e.ip, e.port) for e in rule.endpoints} == {(ip, 8080) for ip in pods}
        assert {e.pod for e in rule.endpoints} == set(pods.values())
    lines = iptables_save(client.proxy_rules("worker-1"), "worker-1")
    svc_rules = [ln for ln in lines if ln.startswith(f"-A {rule.chain} ")]
    assert [("probability 0.33333333333" in ln, "probability 0.50000000000" in ln) for ln in svc_rules] == \
        [(True, False), (False, True), (False, False)]  # 1/3, then 1/2 of the rest, then the last
    assert sum("-j DNAT --to-destination" in ln for ln in lines if "default/web:http" in ln) == 3


def test_a_not_ready_pod_leaves_the_rules_and_no_endpoints_rejects():
    cluster, client = cluster_with_web(replicas=1)
    client.scale("deployments", "web", 0)
    client.advance(40)
    rule = rule_for(client, "worker-1", "default/web")
    assert rule.endpoints == ()
    assert any('"default/web:http has no endpoints"' in ln and ln.endswith("-j REJECT")
               for ln in iptables_save([rule], "worker-1"))


def test_node_port_on_every_node_and_local_policy_drops_where_no_pod_runs():
    cluster, client = cluster_with_web(replicas=1, type="NodePort", externalTrafficPolicy="Local")
    pod = client.list("pods")[0]
    here, there = pod["spec"]["nodeName"], ({"worker-1", "worker-2"} - {pod["spec"]["nodeName"]}).pop()
    node_port = client.get("services", "web")["spec"]["ports"][0]["nodePort"]
    for node in (here, there):
        assert rule_for(client, node, "default/web").node_port == node_port
    nodeports = lambda node: [ln for ln in iptables_save(client.proxy_rules(node), node) if "KUBE-NODEPORTS -p" in ln]
    assert nodeports(here)[0].endswith(rule_for(client, here, "default/web").chain)
    assert nodeports(there)[0].endswith("-j DROP")


def test_headless_and_external_name_services_get_no_rules():
    cluster, client = cluster_with_web(clusterIP="None")
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                  "spec": {"type": "ExternalName", "externalName": "db.example.com"}})
    client.advance(1)
    assert {r.service for r in client.proxy_rules("worker-1")} == {"default/kubernetes"}


def test_a_powered_off_node_keeps_its_last_rules():
    cluster, client = cluster_with_web(replicas=2)
    cluster.kill_node("worker-2")
    before = client.proxy_rules("worker-2")
    client.scale("deployments", "web", 4)
    client.advance(10)
    assert client.proxy_rules("worker-2") == before
    assert len(rule_for(client, "worker-1", "default/web").endpoints) > len(rule_for(client, "worker-2", "default/web").endpoints)
    cluster.restart_node("worker-2")
    assert client.proxy_rules("worker-2") == client.proxy_rules("worker-1")
