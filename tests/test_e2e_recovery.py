"""End to end: kill a node and watch the whole self-healing chain, as in a real cluster."""

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster
from kubetui.engine.objects import condition_true, get_condition

WEB = [{
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                   "ports": [{"containerPort": 80, "name": "http"}]}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]}},
]


def start(profile):
    cluster = Cluster(profile=profile, seed=3)
    client = LocalClient(cluster)
    for obj in WEB:
        client.apply(obj)
    cluster.advance(30)
    return cluster, client


def web_pods(client):
    return client.list("pods", "default", label_selector="app=web")


def busiest_node(client):
    counts = {}
    for p in web_pods(client):
        counts[p["spec"]["nodeName"]] = counts.get(p["spec"]["nodeName"], 0) + 1
    return max(sorted(counts), key=counts.get)


def endpoint_ips(client):
    ep = client.get("endpoints", "web")
    return sorted(a["ip"] for s in ep.get("subsets") or () for a in s.get("addresses") or ())


def reasons(client, kind=None, name=None):
    out = []
    for e in client.list("events"):
        inv = e["involvedObject"]
        if (kind is None or inv["kind"] == kind) and (name is None or inv["name"] == name):
            out.append(e["reason"])
    return out


def test_kill_node_full_recovery_chain_fast_profile():
    cluster, client = start("fast")
    pods = web_pods(client)
    assert len(pods) == 6 and all(p["status"]["phase"] == "Running" for p in pods)
    assert len(endpoint_ips(client)) == 6
    victim = busiest_node(client)
    doomed = {p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == victim}
    doomed_ips = {p["status"]["podIP"] for p in pods if p["spec"]["nodeName"] == victim}
    lease_before = client.get("leases", victim, "kube-node-lease")["spec"]["renewTime"]

    client.kill_node(victim)
    killed_at = cluster.now
    cluster.advance(5)
    assert client.get("leases", victim, "kube-node-lease")["spec"]["renewTime"] in (
        lease_before, client.get("leases", victim, "kube-node-lease")["spec"]["renewTime"])
    assert condition_true(client.get("nodes", victim), "Ready")  # nothing visible yet

    # Lease expiry → the node lifecycle controller marks the node Unknown and taints it.
    while condition_true(client.get("nodes", victim), "Ready") and cluster.now - killed_at < 60:
        cluster.advance(1)
    node = client.get("nodes", victim)
    ready = get_condition(node, "Ready")
    assert ready["status"] == "Unknown" and ready["reason"] == "NodeStatusUnknown"
    assert cluster.now - killed_at >= cluster.profile.node_monitor_grace_period - cluster.profile.node_lease_renew_interval
    cluster.advance(cluster.profile.node_monitor_period + 1)
    taints = {(t["key"], t["effect"]) for t in client.get("nodes", victim)["spec"].get("taints", ())}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in taints
    assert ("node.kubernetes.io/unreachable", "NoSchedule") in taints
    assert "NodeNotReady" in reasons(client, "Node", victim)
    # Its pods are no longer ready, so the Service stops routing to them.
    assert not (set(endpoint_ips(client)) & doomed_ips)

    # After the 20 s (fast) toleration the pods are evicted and replaced on other nodes.
    cluster.advance(cluster.profile.default_toleration_seconds + 15)
    assert any(r == "TaintManagerEviction" for r in reasons(client, "Pod"))
    pods = web_pods(client)
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 6 and all(p["spec"]["nodeName"] != victim for p in live)
    assert all(p["status"]["phase"] == "Running" for p in live)
    assert cluster.now - killed_at <= 60  # the bar for the fast profile
    # The evicted pods stay Terminating: no kubelet is left to confirm their end.
    stuck = [p for p in pods if p["metadata"]["name"] in doomed]
    assert stuck and all(p["metadata"].get("deletionTimestamp") for p in stuck)
    assert sorted(endpoint_ips(client)) == sorted(p["status"]["podIP"] for p in live)
    assert "SuccessfulCreate" in reasons(client, "ReplicaSet")

    # Power the machine back on: the kubelet finishes the old pods and the node is Ready again.
    client.restart_node(victim)
    cluster.advance(30)
    assert condition_true(client.get("nodes", victim), "Ready")
    assert not any(t["key"].startswith("node.kubernetes.io/") for t in client.get("nodes", victim)["spec"].get("taints", ()))
    assert {p["metadata"]["name"] for p in web_pods(client)}.isdisjoint(doomed)


def test_realistic_profile_timeline():
    cluster, client = start("realistic")
    victim = busiest_node(client)
    client.kill_node(victim)
    killed_at = cluster.now
    while condition_true(client.get("nodes", victim), "Ready"):
        cluster.advance(1)
    not_ready_after = cluster.now - killed_at
    assert 40 <= not_ready_after <= 60  # reference timeline: lease grace 50 s, monitor every 5 s
    while all(not p["metadata"].get("deletionTimestamp") for p in web_pods(client) if p["spec"]["nodeName"] == victim):
        cluster.advance(5)
    evicted_after = cluster.now - killed_at
    assert 330 <= evicted_after <= 370  # plus the 300 s default toleration


def test_kill_pod_is_replaced_within_seconds():
    cluster, client = start("fast")
    victim = web_pods(client)[0]["metadata"]["name"]
    client.kill_pod(victim)
    cluster.advance(5)
    names = {p["metadata"]["name"] for p in web_pods(client) if not p["metadata"].get("deletionTimestamp")}
    assert victim not in names and len(names) == 6
    cluster.advance(5)
    assert all(p["status"]["phase"] == "Running" for p in web_pods(client))
