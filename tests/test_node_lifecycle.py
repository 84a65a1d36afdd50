"""Node IPAM, node lifecycle (lease expiry, taints, zone-aware eviction), taint eviction and pod GC."""

from __future__ import annotations

import pytest

from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.objects import get_condition

UNREACHABLE = "node.kubernetes.io/unreachable"


def make_pod(name: str, node: str, tolerations: list[dict] | None = None) -> dict:
    spec = {"nodeName": node, "containers": [{"name": "web", "image": "nginx:1.25"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def deployment(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}}


def ready(cluster: Cluster, node: str) -> str:
    return get_condition(cluster.api.get("nodes", node), "Ready")["status"]


def taints(cluster: Cluster, node: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in cluster.api.get("nodes", node)["spec"].get("taints") or ()}


def node_events(cluster: Cluster, node: str) -> list[str]:
    return [e["reason"] for e in cluster.api.list("events", "default")[0]
            if e["involvedObject"]["kind"] == "Node" and e["involvedObject"]["name"] == node]


def wait_until(cluster: Cluster, predicate, limit: float, step: float = 0.5) -> float:
    start = cluster.now
    while not predicate():
        assert cluster.now - start < limit, "condition not reached in time"
        cluster.advance(step)
    return cluster.now


def test_node_ipam_assigns_pod_cidrs_in_creation_order():
    cluster = Cluster(nodes=[NodeConfig(f"worker-{i}") for i in range(1, 4)], seed=1)
    cluster.advance(1)
    cidrs = {n["metadata"]["name"]: (n["spec"]["podCIDR"], n["spec"]["podCIDRs"]) for n in cluster.api.list("nodes")[0]}
    assert cidrs == {"control-plane": ("10.244.0.0/24", ["10.244.0.0/24"]),
                     "worker-1": ("10.244.1.0/24", ["10.244.1.0/24"]),
                     "worker-2": ("10.244.2.0/24", ["10.244.2.0/24"]),
                     "worker-3": ("10.244.3.0/24", ["10.244.3.0/24"])}
    cluster.api.delete("nodes", "worker-2")
    cluster.add_node(NodeConfig("worker-4"))
    cluster.advance(1)
    assert cluster.api.get("nodes", "worker-4")["spec"]["podCIDR"] == "10.244.4.0/24"


def test_node_controller_registers_nodes():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], seed=1)
    cluster.advance(cluster.profile.node_monitor_period + 0.1)
    events = [e for e in cluster.api.list("events", "default")[0] if e["reason"] == "RegisteredNode"]
    assert {e["involvedObject"]["name"] for e in events} == {"control-plane", "worker-1"}
    assert events[0]["source"]["component"] == "node-controller"
    assert events[0]["message"].endswith("event: Registered Node control-plane in Controller")


def test_cordon_adds_the_unschedulable_taint_and_uncordon_removes_it():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], seed=1)
    cluster.advance(1)
    cluster.api.patch("nodes", "worker-1", {"spec": {"unschedulable": True}}, "merge")
    cluster.advance(0.1)
    assert taints(cluster, "worker-1") == {("node.kubernetes.io/unschedulable", "NoSchedule")}
    cluster.api.patch("nodes", "worker-1", {"spec": {"unschedulable": None}}, "merge")
    cluster.advance(0.1)
    assert taints(cluster, "worker-1") == set()


def test_killed_node_goes_not_ready_is_tainted_and_its_pods_are_evicted_and_replaced():
    cluster = Cluster(profile="fast", seed=1)
    cluster.api.create("deployments", deployment("web", 6), "default")
    cluster.advance(10)
    pods = cluster.api.list("pods", "default", label_selector="app=web")[0]
    victim = pods[0]["spec"]["nodeName"]
    on_victim = sorted(p["metadata"]["name"] for p in pods if p["spec"]["nodeName"] == victim)
    nlc = cluster.controllers["nodelifecycle"]
    taint_eviction = cluster.controllers["tainteviction"]

    killed = cluster.now
    cluster.kill_node(victim)
    cluster.advance(cluster.profile.node_lease_renew_interval * 2)
    countdown = [t for t in nlc.pending_transitions() if t[0] == victim]
    assert countdown and countdown[0][1] == "NotReady" and countdown[0][2] > 0
    not_ready_at = wait_until(cluster, lambda: ready(cluster, victim) != "True", 60)
    profile = cluster.profile
    silent = not_ready_at - killed
    assert profile.node_monitor_grace_period - profile.node_lease_renew_interval < silent
    assert silent <= profile.node_monitor_grace_period + 2 * profile.node_monitor_period
    assert countdown[0][2] == pytest.approx(not_ready_at - killed - cluster.profile.node_lease_renew_interval * 2)

    node = cluster.api.get("nodes", victim)
    for type_ in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = get_condition(node, type_)
        assert (cond["status"], cond["reason"], cond["message"]) == \
            ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert "NodeNotReady" in node_events(cluster, victim)
    cluster.advance(0.1)
    assert (UNREACHABLE, "NoSchedule") in taints(cluster, victim)
    for name in on_victim:
        pod = cluster.api.get("pods", name, "default")
        assert get_condition(pod, "Ready")["status"] == "False"
    pod_events = [e for e in cluster.api.list("events", "default")[0] if e["reason"] == "NodeNotReady"
                  and e["involvedObject"]["kind"] == "Pod"]
    assert {e["involvedObject"]["name"] for e in pod_events} == set(on_victim)
    assert pod_events[0]["type"] == "Warning" and pod_events[0]["message"] == "Node is not ready"

    tainted_at = wait_until(cluster, lambda: (UNREACHABLE, "NoExecute") in taints(cluster, victim), 10, 0.1)
    time_added = next(t["timeAdded"] for t in cluster.api.get("nodes", victim)["spec"]["taints"]
                      if t["effect"] == "NoExecute")
    assert time_added
    cluster.advance(0.1)
    pending = taint_eviction.pending_evictions()
    assert sorted(p[1] for p in pending) == on_victim
    assert all(p[2] == victim for p in pending)
    assert pending[0][3] == pytest.approx(tainted_at + profile.default_toleration_seconds, abs=0.2)

    wait_until(cluster, lambda: all(cluster.api.get("pods", n, "default")["metadata"].get("deletionTimestamp")
                                    for n in on_victim), profile.default_toleration_seconds + 2, 0.1)
    assert cluster.now - tainted_at == pytest.approx(profile.default_toleration_seconds, abs=0.3)
    evicted = cluster.api.get("pods", on_victim[0], "default")
    disruption = get_condition(evicted, "DisruptionTarget")
    assert (disruption["status"], disruption["reason"]) == ("True", "DeletionByTaintManager")
    eviction_events = [e for e in cluster.api.list("events", "default")[0] if e["reason"] == "TaintManagerEviction"]
    assert f"Marking for deletion Pod default/{on_victim[0]}" in {e["message"] for e in eviction_events}
    assert eviction_events[0]["source"]["component"] == "taint-eviction-controller"

    cluster.advance(30)
    pods = cluster.api.list("pods", "default", label_selector="app=web")[0]
    running_elsewhere = [p for p in pods if p["spec"]["nodeName"] != victim and p["status"]["phase"] == "Running"
                         and not p["metadata"].get("deletionTimestamp")]
    assert len(running_elsewhere) == 6
    # Nobody confirms the deletion on a dead node: the old pods stay Terminating.
    for name in on_victim:
        assert cluster.api.get("pods", name, "default")["metadata"]["deletionTimestamp"]

    cluster.restart_node(victim)
    wait_until(cluster, lambda: ready(cluster, victim) == "True", 5, 0.1)
    wait_until(cluster, lambda: not taints(cluster, victim), cluster.profile.node_monitor_period + 1, 0.1)
    cluster.advance(1)
    for name in on_victim:
        assert cluster.api.try_get("pods", name, "default") is None
    assert "NodeReady" in node_events(cluster, victim)


def test_realistic_timeline_not_ready_within_40_to_60_seconds_and_eviction_300_seconds_later():
    cluster = Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="realistic", seed=1)
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(13)
    killed = cluster.now
    cluster.kill_node("worker-1")
    not_ready = wait_until(cluster, lambda: ready(cluster, "worker-1") != "True", 70, 0.5)
    assert 40 <= not_ready - killed <= 60
    evicted = wait_until(cluster, lambda: cluster.api.get("pods", "web", "default")["metadata"].get("deletionTimestamp"),
                         400, 1)
    assert 300 <= evicted - not_ready <= 300 + 2 * cluster.profile.node_monitor_period
    cluster.advance(600)
    assert cluster.api.get("pods", "web", "default")["status"]["phase"] == "Running"  # as last reported


def test_pods_tolerating_forever_stay_and_taint_removal_cancels_evictions():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    cluster.api.create("pods", make_pod("agent", "worker-1", forever))
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    cluster.kill_node("worker-1")
    wait_until(cluster, lambda: (UNREACHABLE, "NoExecute") in taints(cluster, "worker-1"), 60)
    cluster.advance(0.1)
    pending = cluster.controllers["tainteviction"].pending_evictions()
    assert [p[1] for p in pending] == ["web"]
    assert "evict default/web" in [t.label for t in cluster.clock.pending()]
    cluster.restart_node("worker-1")
    wait_until(cluster, lambda: not taints(cluster, "worker-1"), 10, 0.1)
    cluster.advance(0.1)
    assert cluster.controllers["tainteviction"].pending_evictions() == []
    messages = [e["message"] for e in cluster.api.list("events", "default")[0] if e["reason"] == "TaintManagerEviction"]
    assert messages == ["Cancelling deletion of Pod default/web"]
    cluster.advance(60)
    assert not cluster.api.get("pods", "web", "default")["metadata"].get("deletionTimestamp")
    assert not cluster.api.get("pods", "agent", "default")["metadata"].get("deletionTimestamp")


def test_an_untolerated_no_execute_taint_evicts_at_once():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.api.create("pods", make_pod("web", "worker-1"))
    tolerant = [{"key": "maintenance", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
    cluster.api.create("pods", make_pod("patient", "worker-1", tolerant))
    cluster.advance(5)
    cluster.api.patch("nodes", "worker-1", {"spec": {"taints": [{"key": "maintenance", "effect": "NoExecute"}]}},
                      "merge")
    cluster.advance(2)
    assert cluster.api.try_get("pods", "web", "default") is None  # evicted and gracefully stopped by its kubelet
    assert cluster.api.get("pods", "patient", "default")["status"]["phase"] == "Running"
    cluster.advance(30)
    assert cluster.api.try_get("pods", "patient", "default") is None


def test_a_small_cluster_losing_most_nodes_stops_evicting():
    cluster = Cluster(profile="fast", seed=1)  # control plane + 3 workers, all in one zone
    for i, node in enumerate(("worker-1", "worker-2", "worker-3")):
        cluster.api.create("pods", make_pod(f"web-{i}", node))
    cluster.advance(5)
    for node in ("worker-1", "worker-2", "worker-3"):
        cluster.kill_node(node)
    cluster.advance(cluster.profile.node_monitor_grace_period + 3 * cluster.profile.node_monitor_period)
    assert all(ready(cluster, n) == "Unknown" for n in ("worker-1", "worker-2", "worker-3"))
    zone = cluster.controllers["nodelifecycle"].zone_states()[0]
    assert zone["state"] == "PartialDisruption" and zone["eviction_rate"] == 0
    assert (zone["nodes"], zone["not_ready"]) == (4, 3)
    assert "evictions stopped" in zone["reason"]
    cluster.advance(cluster.profile.default_toleration_seconds + 10)
    for n in ("worker-1", "worker-2", "worker-3"):
        assert (UNREACHABLE, "NoSchedule") in taints(cluster, n)
        assert (UNREACHABLE, "NoExecute") not in taints(cluster, n)
    assert all(not p["metadata"].get("deletionTimestamp") for p in cluster.api.list("pods", "default")[0])
    transitions = cluster.controllers["nodelifecycle"].pending_transitions()
    assert {(name, left) for name, what, left in transitions if what.startswith("taint")} == \
        {("worker-1", None), ("worker-2", None), ("worker-3", None)}


def test_when_every_zone_is_down_nothing_is_evicted():
    # The control plane keeps running (it is excluded from zone health, so zone a is worker-1 alone):
    # every zone that has workers is down, as when the control plane's own network is cut off.
    nodes = [NodeConfig("control-plane", role="control-plane",
                        labels={"topology.kubernetes.io/zone": "a", "node.kubernetes.io/exclude-disruption": ""}),
             NodeConfig("worker-1", labels={"topology.kubernetes.io/zone": "a"}),
             NodeConfig("worker-2", labels={"topology.kubernetes.io/zone": "b"})]
    cluster = Cluster(nodes=nodes, profile="fast", seed=1)
    cluster.api.create("pods", make_pod("web", "worker-2"))
    cluster.advance(5)
    cluster.kill_node("worker-2")
    wait_until(cluster, lambda: (UNREACHABLE, "NoExecute") in taints(cluster, "worker-2"), 60)
    cluster.kill_node("worker-1")
    cluster.advance(cluster.profile.node_monitor_grace_period + 3 * cluster.profile.node_monitor_period)
    states = cluster.controllers["nodelifecycle"].zone_states()
    assert [(z["zone"], z["state"]) for z in states] == [("a", "FullDisruption"), ("b", "FullDisruption")]
    assert "control-plane network problem" in states[0]["reason"]
    assert (UNREACHABLE, "NoExecute") not in taints(cluster, "worker-2")  # taken off again
    cluster.advance(cluster.profile.default_toleration_seconds + 10)
    assert not cluster.api.get("pods", "web", "default")["metadata"].get("deletionTimestamp")


def test_pod_gc_force_deletes_pods_of_a_deleted_node_after_quarantine():
    cluster = Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="fast", seed=1)
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    cluster.kill_node("worker-1")
    cluster.api.delete("nodes", "worker-1")
    deleted = cluster.now
    seen = []
    cluster.api.watch("pods", lambda t, o, old: seen.append((cluster.now, t, o)), field_selector="metadata.name=web")
    cluster.advance(100)
    gone = next(t for t, kind, _ in seen if kind == "DELETED")
    assert 40 <= gone - deleted <= 60
    failed = [o for _, kind, o in seen if kind == "MODIFIED"][-1]
    assert failed["status"]["phase"] == "Failed"
    condition = get_condition(failed, "DisruptionTarget")
    assert (condition["reason"], condition["message"]) == ("DeletionByPodGC", "PodGC: node no longer exists")


def test_pod_gc_deletes_terminating_pods_on_out_of_service_nodes():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    cluster.kill_node("worker-1")
    wait_until(cluster, lambda: cluster.api.get("pods", "web", "default")["metadata"].get("deletionTimestamp"), 120)
    cluster.advance(60)
    assert cluster.api.try_get("pods", "web", "default") is not None
    node = cluster.api.get("nodes", "worker-1")
    cluster.api.update("nodes", {**node, "spec": {**node["spec"], "taints": [
        *node["spec"]["taints"], {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown",
                                  "effect": "NoExecute"}]}})
    cluster.advance(25)
    assert cluster.api.try_get("pods", "web", "default") is None


def test_pod_cidrs_run_out_after_1024_nodes_and_the_rest_are_not_ready():
    nodes = [NodeConfig(f"node-{i:04d}") for i in range(1024)]  # + the control plane
    cluster = Cluster(nodes=nodes, profile="fast", seed=1)
    cluster.advance(1)
    assert cluster.api.get("nodes", "node-0254")["spec"]["podCIDR"] == "10.244.255.0/24"  # the control plane has .0
    assert cluster.api.get("nodes", "node-0255")["spec"]["podCIDR"] == "10.245.0.0/24"
    assert "podCIDR" not in cluster.api.get("nodes", "node-1023")["spec"]
    cluster.api.create("pods", make_pod("web", "node-1023"))
    cluster.advance(cluster.profile.node_status_update_frequency + 0.5)
    ready_condition = get_condition(cluster.api.get("nodes", "node-1023"), "Ready")
    assert (ready_condition["status"], ready_condition["reason"]) == ("False", "KubeletNotReady")
    assert "NetworkPluginNotReady" in ready_condition["message"]
    assert ("node.kubernetes.io/not-ready", "NoSchedule") in taints(cluster, "node-1023")
    status = cluster.api.get("pods", "web", "default")["status"]
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    assert "podIP" not in status
    events = [e for e in cluster.api.list("events", "default")[0] if e["involvedObject"]["name"] == "web"]
    assert [(e["type"], e["reason"]) for e in events] == [("Warning", "NetworkNotReady")]
