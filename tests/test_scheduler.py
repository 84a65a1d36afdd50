"""kube-scheduler: queue, filters, scores, binding, failure messages, preemption and explain records."""

import json
import random

import pytest

from kubetui.engine.api.selectors import from_set, parse_label_selector
from kubetui.engine.api.server import APIServer
from kubetui.engine.clock import Clock
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.context import Context
from kubetui.engine.informer import InformerFactory
from kubetui.engine.profiles import get_profile
from kubetui.engine.objects import get_condition
from kubetui.engine.scheduler.explain import (BIND_RESULT, FILTER_RESULT, FINALSCORE_RESULT, RESULT_HISTORY,
                                              SCORE_RESULT, SELECTED_NODE, explain_annotations)
from kubetui.engine.scheduler import Scheduler
from kubetui.engine.scheduler.nodeinfo import NodeTable, pod_resources
from kubetui.engine.scheduler.plugins import ResourceView, num_feasible_nodes_to_find
from kubetui.engine.scheduler.spread import SpreadIndex
from kubetui.engine.store import Store

# -- helpers ------------------------------------------------------------------------------------

CP = "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def cluster(seed=1, profile="fast"):
    """A cluster with only its (tainted) control-plane machine and no controllers: workers are
    plain Node objects, as in scheduler_perf, so only the scheduler acts on pods."""
    return Cluster(nodes=[], profile=profile, seed=seed, controllers=())


def node(name, cpu="4", memory="8Gi", pods="110", labels=None, taints=None, unschedulable=False):
    spec = {"taints": taints} if taints else {}
    if unschedulable:
        spec["unschedulable"] = True
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec,
            "status": {"capacity": dict(alloc), "allocatable": alloc,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def add_nodes(c, *nodes):
    for n in nodes:
        c.api.create("nodes", n)


def pod(name, cpu="100m", memory="64Mi", labels=None, ports=None, **spec):
    container = {"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
    if ports:
        container["ports"] = ports
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [container], **spec}}


def add_pod(c, name, **kw):
    return c.api.create("pods", pod(name, **kw), "default")


def get(c, name):
    return c.api.get("pods", name, "default")


def node_of(c, name):
    return get(c, name)["spec"].get("nodeName")


def events(c, name, reason=None):
    items, _ = c.api.list("events", "default")
    return [e for e in items if e["involvedObject"]["name"] == name and (reason is None or e["reason"] == reason)]


def failed_message(c, name):
    cond = get_condition(get(c, name), "PodScheduled")
    assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
    return cond["message"]


# -- pure parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("nodes, expected", [
    (1, 1), (50, 50), (99, 99), (100, 100), (200, 100), (500, 230), (1000, 420), (5000, 500), (6000, 300),
    (20000, 1000)])
def test_num_feasible_nodes_to_find_is_upstreams_adaptive_formula(nodes, expected):
    assert num_feasible_nodes_to_find(nodes) == expected


def test_num_feasible_nodes_to_find_with_an_explicit_percentage():
    assert num_feasible_nodes_to_find(1000, 30) == 300
    assert num_feasible_nodes_to_find(1000, 5) == 100   # never fewer than 100 nodes
    assert num_feasible_nodes_to_find(80, 10) == 80     # small clusters check every node


def test_pod_resources_sum_containers_take_init_peak_and_count_sidecars_and_overhead():
    spec = {
        "containers": [{"name": "a", "resources": {"requests": {"cpu": "200m", "memory": "100Mi"}}},
                       {"name": "b", "resources": {"requests": {"cpu": "300m"}}}],
        "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "1", "memory": "50Mi"}}},
                           {"name": "sidecar", "restartPolicy": "Always",
                            "resources": {"requests": {"cpu": "100m", "memory": "10Mi"}},
                            "ports": [{"containerPort": 9000, "hostPort": 9000}]}],
        "overhead": {"cpu": "10m"},
    }
    res = pod_resources(spec)
    assert res.cpu == 1000 + 10          # the 1-cpu init container dominates 200m + 300m + 100m sidecar
    assert res.mem == 110 * 2**20        # 100Mi + 10Mi sidecar beats 50Mi init
    assert res.nz_mem == (100 + 200 + 10) * 2**20   # container b's missing memory counts 200Mi for scoring
    assert res.ports == (("0.0.0.0", "TCP", 9000),)
    empty = pod_resources({"containers": [{"name": "a"}]})
    assert (empty.cpu, empty.mem, empty.nz_cpu, empty.nz_mem) == (0, 0, 100, 200 * 2**20)


# -- binding --------------------------------------------------------------------------------------

def test_binds_pending_pod_and_records_scheduled_event():
    c = cluster()
    add_nodes(c, node("worker-1"))
    add_pod(c, "web")
    assert node_of(c, "web") is None      # nothing happens until the clock runs
    c.advance(0)
    assert node_of(c, "web") == "worker-1"
    assert get_condition(get(c, "web"), "PodScheduled")["status"] == "True"
    [ev] = events(c, "web", "Scheduled")
    assert ev["message"] == "Successfully assigned default/web to worker-1"
    assert ev["type"] == "Normal" and ev["source"]["component"] == "default-scheduler"
    assert c.scheduler.pending() == {"active": [], "backoff": [], "unschedulable": [], "in-flight": []}


def test_ignores_pods_of_other_schedulers():
    c = cluster()
    add_nodes(c, node("worker-1"))
    add_pod(c, "custom", schedulerName="my-scheduler")
    c.advance(1)
    assert node_of(c, "custom") is None and not events(c, "custom")


def test_assumed_pods_count_at_once_within_one_drain():
    c = cluster()
    add_nodes(c, node("worker-1", cpu="1"))
    add_pod(c, "a", cpu="600m")
    add_pod(c, "b", cpu="600m")
    c.advance(0)
    assert node_of(c, "a") == "worker-1" and node_of(c, "b") is None
    assert failed_message(c, "b").startswith(f"0/2 nodes are available: 1 Insufficient cpu, {CP}.")


def test_higher_priority_pods_are_scheduled_first():
    c = cluster()
    add_nodes(c, node("worker-1", cpu="1"))
    add_pod(c, "low", cpu="600m")
    add_pod(c, "high", cpu="600m", priority=100)
    c.advance(0)
    assert node_of(c, "high") == "worker-1" and node_of(c, "low") is None


# -- filters --------------------------------------------------------------------------------------

def test_taints_repel_pods_that_do_not_tolerate_them():
    c = cluster()
    add_nodes(c, node("gpu-1", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]))
    add_pod(c, "plain")
    add_pod(c, "tolerant", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                         "effect": "NoSchedule"}])
    add_pod(c, "exists", tolerations=[{"key": "dedicated", "operator": "Exists"}])
    c.advance(0)
    assert node_of(c, "tolerant") == "gpu-1" and node_of(c, "exists") == "gpu-1"
    assert failed_message(c, "plain") == (
        f"0/2 nodes are available: 1 node(s) had untolerated taint {{dedicated: gpu}}, {CP}. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_not_ready_node_is_avoided_through_its_noschedule_taint():
    c = cluster()
    add_nodes(c, node("sick", taints=[{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]),
              node("well"))
    for i in range(4):
        add_pod(c, f"p{i}")
    c.advance(0)
    assert {node_of(c, f"p{i}") for i in range(4)} == {"well"}


def test_prefer_no_schedule_taint_lowers_the_score():
    c = cluster()
    add_nodes(c, node("meh", taints=[{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}]), node("fine"))
    add_pod(c, "p")
    c.advance(0)
    assert node_of(c, "p") == "fine"
    record = c.scheduler.explain("default", "p")
    assert record["score"]["meh"]["TaintToleration"] == 1 and record["finalScore"]["meh"]["TaintToleration"] == 0
    assert record["finalScore"]["fine"]["TaintToleration"] == 300


def test_node_selector_and_required_node_affinity():
    c = cluster()
    add_nodes(c, node("ssd-1", labels={"disktype": "ssd", "cores": "16"}),
              node("hdd-1", labels={"disktype": "hdd", "cores": "4"}))
    add_pod(c, "sel", nodeSelector={"disktype": "ssd"})
    add_pod(c, "notin", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "disktype", "operator": "NotIn", "values": ["ssd"]}]}]}}})
    add_pod(c, "gt", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}]}}})
    add_pod(c, "nowhere", nodeSelector={"disktype": "nvme"})
    c.advance(0)
    assert (node_of(c, "sel"), node_of(c, "notin"), node_of(c, "gt")) == ("ssd-1", "hdd-1", "ssd-1")
    assert failed_message(c, "nowhere") == (
        f"0/3 nodes are available: {CP}, 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def test_preferred_node_affinity_attracts_pods():
    c = cluster()
    add_nodes(c, node("a", labels={"zone": "x"}), node("b", labels={"zone": "y"}))
    add_pod(c, "p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 50, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["y"]}]}}]}})
    c.advance(0)
    assert node_of(c, "p") == "b"
    record = c.scheduler.explain("default", "p")
    assert record["score"]["b"]["NodeAffinity"] == 50 and record["finalScore"]["b"]["NodeAffinity"] == 200
    assert record["finalScore"]["a"]["NodeAffinity"] == 0


def test_match_fields_node_name_restricts_the_nodes_like_daemonset_pods():
    c = cluster()
    add_nodes(c, node("n1", cpu="1"), node("n2"), node("n3"))
    add_pod(c, "ds", cpu="2", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}]}}})
    c.advance(0)
    assert failed_message(c, "ds") == (
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, "
        "3 Preemption is not helpful for scheduling.")
    assert c.scheduler.explain("default", "ds")["prefilterResult"] == {"NodeAffinity": ["n1"]}


def test_insufficient_cpu_and_memory_are_both_reported():
    c = cluster()
    add_nodes(c, node("small", cpu="1", memory="1Gi"), node("tiny", cpu="500m", memory="4Gi"))
    add_pod(c, "huge", cpu="2", memory="2Gi")
    add_pod(c, "hungry", cpu="100m", memory="3Gi")
    c.advance(0)
    # Go's sort.Strings orders the "count reason" strings bytewise.
    assert failed_message(c, "huge").startswith(
        f"0/3 nodes are available: 1 Insufficient memory, {CP}, 2 Insufficient cpu.")
    assert node_of(c, "hungry") == "tiny"


def test_too_many_pods():
    c = cluster()
    add_nodes(c, node("one", pods="1"))
    add_pod(c, "a")
    add_pod(c, "b")
    c.advance(0)
    assert node_of(c, "a") == "one"
    assert failed_message(c, "b").startswith(f"0/2 nodes are available: 1 Too many pods, {CP}.")


def test_host_ports_conflict():
    c = cluster()
    add_nodes(c, node("only"))
    ports = [{"containerPort": 80, "hostPort": 8080}]
    add_pod(c, "a", ports=ports)
    add_pod(c, "b", ports=ports)
    add_pod(c, "udp", ports=[{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}])
    c.advance(0)
    assert node_of(c, "a") == "only" and node_of(c, "udp") == "only"
    assert failed_message(c, "b").startswith(
        f"0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, {CP}.")
    c.api.delete("pods", "a", "default", grace_period_seconds=0)
    c.advance(2)
    assert node_of(c, "b") == "only"


def test_unschedulable_node_and_the_toleration_that_ignores_it():
    c = cluster()
    add_nodes(c, node("cordoned", unschedulable=True))
    add_pod(c, "p")
    add_pod(c, "tolerant", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                                         "effect": "NoSchedule"}])
    c.advance(0)
    assert node_of(c, "tolerant") == "cordoned"
    assert failed_message(c, "p").startswith(f"0/2 nodes are available: {CP}, 1 node(s) were unschedulable.")
    c.api.patch("nodes", "cordoned", {"spec": {"unschedulable": False}}, "merge")
    c.advance(2)
    assert node_of(c, "p") == "cordoned"


# -- failure handling -----------------------------------------------------------------------------

def test_failed_scheduling_message_condition_and_event():
    c = cluster()
    add_nodes(c, *(node(f"worker-{i}", cpu="1") for i in (1, 2, 3)))
    add_pod(c, "big", cpu="2")
    c.advance(0)
    expected = (f"0/4 nodes are available: {CP}, 3 Insufficient cpu. preemption: 0/4 nodes are available: "
                "1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.")
    cond = get_condition(get(c, "big"), "PodScheduled")
    assert cond == {"type": "PodScheduled", "status": "False", "lastProbeTime": None, "reason": "Unschedulable",
                    "message": expected, "lastTransitionTime": "2026-01-01T00:00:00Z"}
    [ev] = events(c, "big", "FailedScheduling")
    assert ev["type"] == "Warning" and ev["message"] == expected and ev["count"] == 1
    assert ev["source"] == {"component": "default-scheduler"}
    assert c.scheduler.pending()["unschedulable"] == ["default/big"]
    # A new node makes it try again: a new message, a new event, an updated condition.
    add_nodes(c, node("worker-4", cpu="1"))
    c.advance(2)
    assert failed_message(c, "big").startswith(f"0/5 nodes are available: {CP}, 4 Insufficient cpu.")
    assert len(events(c, "big", "FailedScheduling")) == 2


def test_repeated_identical_failures_aggregate_into_one_event():
    c = cluster()
    add_nodes(c, node("worker-1", cpu="1"))
    add_pod(c, "big", cpu="2")
    add_pod(c, "filler", cpu="100m")
    c.advance(0)
    rv = get(c, "big")["metadata"]["resourceVersion"]
    c.api.delete("pods", "filler", "default", grace_period_seconds=0)   # frees room: big is retried
    c.advance(2)
    [ev] = events(c, "big", "FailedScheduling")
    assert ev["count"] == 2
    assert get(c, "big")["metadata"]["resourceVersion"] == rv     # same condition: nothing written


def test_backoff_then_success_when_a_node_is_added():
    c = cluster()
    add_pod(c, "p")
    c.advance(0)
    assert failed_message(c, "p") == (
        f"0/1 nodes are available: {CP}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
        "scheduling.")
    assert c.scheduler.pending()["unschedulable"] == ["default/p"]
    add_nodes(c, node("late"))             # node add moves it; its 1 s backoff has not expired
    assert c.scheduler.pending()["backoff"] == ["default/p"]
    c.advance(0.5)
    assert node_of(c, "p") is None
    c.advance(0.6)
    assert node_of(c, "p") == "late"
    history = c.scheduler.explain("default", "p")["history"]
    assert [(h["attempt"], h["result"], h["time"]) for h in history] == [
        (1, "Unschedulable", "2026-01-01T00:00:00Z"), (2, "Scheduled", "2026-01-01T00:00:01Z")]


def test_backoff_doubles_up_to_the_maximum():
    c = cluster()
    q = c.scheduler.queue
    assert [q.backoff_duration(n) for n in range(7)] == [0, 1, 2, 4, 8, 10, 10]


def test_unschedulable_pods_are_retried_after_five_minutes_without_events():
    c = cluster(profile="realistic")
    add_nodes(c, node("worker-1", cpu="1"))
    add_pod(c, "big", cpu="2")
    c.advance(0)
    c.advance(299)
    assert c.scheduler.explain("default", "big")["attempt"] == 1
    c.advance(40)
    assert c.scheduler.explain("default", "big")["attempt"] == 2


def test_terminated_pods_free_their_resources():
    c = cluster()
    add_nodes(c, node("worker-1", cpu="1"))
    job = add_pod(c, "job", cpu="800m")
    add_pod(c, "waiting", cpu="800m")
    c.advance(0)
    assert node_of(c, "job") == "worker-1" and node_of(c, "waiting") is None
    job = get(c, "job")
    c.api.update_status("pods", {**job, "status": {**job["status"], "phase": "Succeeded"}})
    c.advance(2)
    assert node_of(c, "waiting") == "worker-1"


# -- scores ---------------------------------------------------------------------------------------

def test_least_allocated_prefers_the_emptier_node():
    c = cluster()
    add_nodes(c, node("big", cpu="8", memory="16Gi"), node("small", cpu="2", memory="4Gi"))
    add_pod(c, "p", cpu="500m", memory="512Mi")
    c.advance(0)
    assert node_of(c, "p") == "big"
    score = c.scheduler.explain("default", "p")["score"]
    # (8000-500)*100/8000 = 93, (16384-512)*100/16384 = 96 -> 94; small: 75 and 87 -> 81
    assert score["big"]["NodeResourcesFit"] == 94 and score["small"]["NodeResourcesFit"] == 81
    assert score["big"]["NodeResourcesBalancedAllocation"] == 98   # 1 - |0.0625 - 0.03125| / 2


def test_replicas_of_a_replicaset_spread_across_nodes():
    c = Cluster(nodes=[NodeConfig(f"worker-{i}") for i in (1, 2, 3)], profile="fast", seed=1)
    c.advance(5)
    c.api.create("replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "resources": {"requests": {"cpu": "100m"}}}]}}}}, "default")
    c.advance(5)
    pods, _ = c.api.list("pods", "default", label_selector="app=web")
    assert len(pods) == 6
    per_node = {}
    for p in pods:
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
    assert per_node == {"worker-1": 2, "worker-2": 2, "worker-3": 2}
    last = c.scheduler.explain("default", pods[-1]["metadata"]["name"])
    assert last["prescore"]["PodTopologySpread"] == "success"
    assert all("PodTopologySpread" in row for row in last["finalScore"].values())


def test_default_spreading_scores_zones_and_hostnames():
    c = cluster()
    add_nodes(c, *(node(f"a-{i}", labels={"topology.kubernetes.io/zone": "a"}) for i in range(4)),
              node("b-0", labels={"topology.kubernetes.io/zone": "b"}))
    rs = c.api.create("replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}, "default")
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
             "controller": True}

    def replica(name, **spec):
        body = pod(name, labels={"app": "web"}, **spec)
        body["metadata"]["ownerReferences"] = [owner]
        return c.api.create("pods", body, "default")
    replica("web-0", nodeName="a-0")
    replica("web-1", nodeName="a-0")
    replica("web-2")
    c.advance(0)
    record = c.scheduler.explain("default", "web-2")
    raw = {n: row["PodTopologySpread"] for n, row in record["score"].items()}
    final = {n: row["PodTopologySpread"] for n, row in record["finalScore"].items()}
    # hostname (maxSkew 3, 5 candidate nodes): count*ln(7) + 2; zone (maxSkew 5, 2 zones): count*ln(4) + 4
    assert raw == {"a-0": 13, "a-1": 9, "a-2": 9, "a-3": 9, "b-0": 6}
    # normalised 100*(max+min-s)/max, weight 2
    assert final == {"a-0": 92, "a-1": 152, "a-2": 152, "a-3": 152, "b-0": 200}
    assert record["selectedNode"] == "b-0"


def test_user_topology_spread_constraint_filters_skew():
    c = cluster()
    add_nodes(c, node("n1"), node("n2"))
    # nodeTaintsPolicy Honor: the tainted control plane is not a domain (with the default, Ignore, its
    # zero pods would hold every other node to maxSkew)
    spread = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "db"}}, "nodeTaintsPolicy": "Honor"}]
    for i in range(4):
        add_pod(c, f"db-{i}", labels={"app": "db"}, topologySpreadConstraints=spread)
    c.advance(0)
    placed = [node_of(c, f"db-{i}") for i in range(4)]
    assert placed.count("n1") == 2 and placed.count("n2") == 2
    # With nodeAffinityPolicy Ignore, n2 stays a domain for a pod pinned to n1 (with Honor it would not).
    pinned = [{**spread[0], "nodeAffinityPolicy": "Ignore"}]
    add_pod(c, "pinned", labels={"app": "db"}, topologySpreadConstraints=pinned,
            nodeSelector={"kubernetes.io/hostname": "n1"})
    c.api.delete("pods", [f"db-{i}" for i in range(4) if placed[i] == "n2"][0], "default", grace_period_seconds=0)
    c.advance(0)
    assert failed_message(c, "pinned").startswith(
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        f"1 node(s) didn't match pod topology spread constraints, {CP}.")


# -- preemption -----------------------------------------------------------------------------------

def test_preemption_evicts_lower_priority_pods_and_nominates_the_node():
    c = cluster()
    add_nodes(c, node("only", cpu="1"))
    add_pod(c, "low-1", cpu="400m")
    add_pod(c, "low-2", cpu="400m")
    c.advance(0)
    add_pod(c, "vip", cpu="500m", priority=1000)
    c.advance(0)
    vip = get(c, "vip")
    assert vip["spec"].get("nodeName") is None and vip["status"]["nominatedNodeName"] == "only"
    victims = [n for n in ("low-1", "low-2") if get(c, n)["metadata"].get("deletionTimestamp")]
    assert len(victims) == 1
    victim = get(c, victims[0])
    cond = get_condition(victim, "DisruptionTarget")
    assert cond["reason"] == "PreemptionByScheduler" and cond["status"] == "True"
    [ev] = events(c, victims[0], "Preempted")
    assert ev["message"] == f"Preempted by pod {vip['metadata']['uid']} on node only"
    assert failed_message(c, "vip") == f"0/2 nodes are available: 1 Insufficient cpu, {CP}."
    c.api.delete("pods", victims[0], "default", grace_period_seconds=0)   # the kubelet confirms
    c.advance(2)
    assert node_of(c, "vip") == "only"
    assert c.scheduler.explain("default", "vip")["history"][0]["nominatedNode"] == "only"


def test_preemption_policy_never_does_not_preempt():
    c = cluster()
    add_nodes(c, node("only", cpu="1"))
    add_pod(c, "low", cpu="800m")
    c.advance(0)
    add_pod(c, "polite", cpu="500m", priority=1000, preemptionPolicy="Never")
    c.advance(0)
    assert failed_message(c, "polite") == (
        f"0/2 nodes are available: 1 Insufficient cpu, {CP}. preemption: not eligible due to preemptionPolicy=Never.")
    assert not get(c, "low")["metadata"].get("deletionTimestamp")


# -- explain, sampling, determinism ---------------------------------------------------------------

def test_explain_record_has_filter_scores_and_selection():
    c = cluster()
    add_nodes(c, node("worker-1"), node("worker-2", cpu="1"))
    add_pod(c, "p", cpu="500m")
    c.advance(0)
    record = c.scheduler.explain("default", "p")
    assert record["result"] == "Scheduled" and record["selectedNode"] == node_of(c, "p") == "worker-1"
    assert record["filter"]["control-plane"] == {
        "NodeUnschedulable": "passed", "NodeName": "passed",
        "TaintToleration": "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"}
    assert record["filter"]["worker-1"] == {"NodeUnschedulable": "passed", "NodeName": "passed",
                                            "TaintToleration": "passed", "NodeResourcesFit": "passed"}
    assert set(record["score"]) == {"worker-1", "worker-2"}
    assert record["finalScore"]["worker-1"]["TaintToleration"] == 300
    total = record["totalScore"]
    assert total["worker-1"] == sum(record["finalScore"]["worker-1"].values()) and total["worker-1"] > total["worker-2"]
    assert record["nodes"] == {"total": 3, "percentageOfNodesToScore": 100, "numFeasibleNodesToFind": 3,
                               "startIndex": 0, "evaluated": 3, "feasible": 2}
    annotations = explain_annotations(record)
    assert annotations[SELECTED_NODE] == "worker-1"
    assert json.loads(annotations[FILTER_RESULT]) == record["filter"]
    assert json.loads(annotations[SCORE_RESULT])["worker-1"]["NodeResourcesFit"] == str(
        record["score"]["worker-1"]["NodeResourcesFit"])
    assert json.loads(annotations[FINALSCORE_RESULT])["worker-1"]["TaintToleration"] == "300"
    assert json.loads(annotations[BIND_RESULT]) == {"DefaultBinder": "success"}
    assert len(json.loads(annotations[RESULT_HISTORY])) == 1
    assert all(isinstance(v, str) for v in annotations.values())
    assert json.loads(json.dumps(record)) == record
    assert c.scheduler.explain("default", "nope") is None


def test_explain_record_of_a_failed_attempt():
    c = cluster()
    add_nodes(c, node("worker-1", cpu="1"))
    add_pod(c, "big", cpu="2")
    c.advance(0)
    record = c.scheduler.explain("default", "big")
    assert record["result"] == "Unschedulable" and record["selectedNode"] is None
    assert record["message"] == failed_message(c, "big")
    assert record["filter"]["worker-1"]["NodeResourcesFit"] == "Insufficient cpu"
    assert record["postfilter"] == {"control-plane": {}, "worker-1": {}}
    assert record["score"] == {} and record["nodes"]["feasible"] == 0
    annotations = explain_annotations(record)
    assert annotations[SELECTED_NODE] == "" and json.loads(annotations[BIND_RESULT]) == {}


def test_explain_keeps_per_node_detail_only_for_recent_attempts():
    c = cluster()
    c.scheduler.explains._detailed = type(c.scheduler.explains._detailed)(maxlen=2)
    add_nodes(c, node("n"))
    for i in range(4):
        add_pod(c, f"p{i}")
    c.advance(0)
    assert not c.scheduler.explain("default", "p0")["detailed"]
    assert "filter" not in c.scheduler.explain("default", "p1")
    assert c.scheduler.explain("default", "p3")["detailed"] and c.scheduler.explain("default", "p3")["filter"]
    assert c.scheduler.explain("default", "p0")["selectedNode"] == "n"
    c.api.delete("pods", "p0", "default", grace_period_seconds=0)
    assert c.scheduler.explain("default", "p0") is None


def test_percentage_of_nodes_to_score_samples_and_rotates_the_start():
    c = cluster()
    add_nodes(c, *(node(f"n{i:03d}") for i in range(199)))   # 200 nodes with the control plane
    add_pod(c, "a")
    add_pod(c, "b")
    c.advance(0)
    a, b = c.scheduler.explain("default", "a"), c.scheduler.explain("default", "b")
    # 50 - 200/125 = 49 % of 200 is 98, below the 100-node minimum
    assert a["nodes"] == {"total": 200, "percentageOfNodesToScore": 49, "numFeasibleNodesToFind": 100,
                          "startIndex": 0, "evaluated": 101, "feasible": 100}
    assert set(a["filter"]) == {"control-plane"} | {f"n{i:03d}" for i in range(100)}
    # b starts where a stopped and wraps around: n100..n198, the control plane, n000
    assert b["nodes"]["startIndex"] == 101 and b["nodes"]["evaluated"] == 101
    assert set(b["filter"]) == {f"n{i:03d}" for i in range(100, 199)} | {"control-plane", "n000"}
    assert a["selectedNode"] in a["score"] and b["selectedNode"] in b["score"]


def test_nodes_are_listed_zone_by_zone_like_the_node_tree():
    c = cluster()
    add_nodes(c, node("a1", labels={"topology.kubernetes.io/zone": "a"}),
              node("a2", labels={"topology.kubernetes.io/zone": "a"}),
              node("b1", labels={"topology.kubernetes.io/zone": "b"}))
    # zones in order of appearance (the control plane has none), the i-th node of each in turn
    assert c.scheduler.table.order().names == ("control-plane", "a1", "b1", "a2")


def test_same_seed_gives_the_same_placements():
    def run(seed):
        c = cluster(seed)
        add_nodes(c, *(node(f"n{i}") for i in range(8)))
        for i in range(30):
            add_pod(c, f"p{i}")
        c.advance(0)
        return [node_of(c, f"p{i}") for i in range(30)]
    first = run(7)
    assert run(7) == first
    assert len(set(first)) > 1


def test_scheduling_gates_hold_a_pod_until_removed():
    c = cluster()
    add_nodes(c, node("worker-1"))
    add_pod(c, "gated", schedulingGates=[{"name": "example.com/wait"}])
    c.advance(1)
    assert node_of(c, "gated") is None and not events(c, "gated", "FailedScheduling")
    c.api.patch("pods", "gated", [{"op": "remove", "path": "/spec/schedulingGates"}], "json", "default")
    c.advance(0)
    assert node_of(c, "gated") == "worker-1"


def test_conflicting_node_name_terms_fail_at_prefilter():
    c = cluster()
    add_nodes(c, node("n1"), node("n2"))
    add_pod(c, "confused", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]},
                                               {"key": "metadata.name", "operator": "In", "values": ["n2"]}]}]}}})
    c.advance(0)
    assert failed_message(c, "confused") == (
        "0/3 nodes are available: pod affinity terms conflict. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def test_resource_view_refreshed_slot_by_slot_equals_a_full_recompute():
    rng = random.Random(3)
    table = NodeTable()
    names = [f"n{i}" for i in range(40)]
    for name in names:
        table.set_node(node(name, cpu=f"{rng.randint(1, 8000)}m", memory=f"{rng.randint(1, 16)}Gi",
                            pods=str(rng.randint(1, 12))))
    wanted = pod_resources({"containers": [{"name": "c", "resources": {"requests": {"cpu": "300m",
                                                                                    "memory": "700Mi"}}}]})
    view = ResourceView(table, wanted)
    bound = []
    for step in range(300):
        if bound and rng.random() < 0.3:
            table.remove_pod(bound.pop(rng.randrange(len(bound))))
        else:
            spec = {"containers": [{"name": "c", "resources": {"requests": {
                "cpu": f"{rng.randint(0, 2000)}m", "memory": f"{rng.randint(0, 3000)}Mi"}}}]}
            key = f"default/p{step}"
            table.add_pod(key, rng.choice(names), 0, pod_resources(spec))
            bound.append(key)
        view.refresh(table)
        fresh = ResourceView(table, wanted)
        live = table.alive
        for attr in ("bits", "least", "balanced"):
            assert (getattr(view, attr)[live] == getattr(fresh, attr)[live]).all(), (step, attr)


def test_spread_counts_follow_pod_churn():
    c = cluster()
    add_nodes(c, *(node(f"n{i}") for i in range(4)))
    for i in range(12):
        add_pod(c, f"web-{i}", labels={"app": "web", "tier": "front" if i % 2 else "back"})
    c.advance(0)
    index = c.scheduler.spread
    selectors = [from_set({"app": "web"}), from_set({"tier": "front"}), parse_label_selector("tier notin (back)")]
    for sel in selectors:
        index.counts("default", sel)
    c.api.delete("pods", "web-0", "default", grace_period_seconds=0)
    c.api.delete("pods", "web-1", "default", grace_period_seconds=30)      # terminating: no longer counted
    c.api.patch("pods", "web-2", {"metadata": {"labels": {"tier": "front"}}}, "merge", "default")
    web3 = get(c, "web-3")
    c.api.update_status("pods", {**web3, "status": {**web3["status"], "phase": "Succeeded"}})
    add_pod(c, "web-new", labels={"app": "web", "tier": "front"})
    c.advance(0)
    fresh = SpreadIndex(c.scheduler.table, c.informers)
    for sel in selectors:
        assert (index.counts("default", sel) == fresh.counts("default", sel)).all(), str(sel)
    assert int(index.counts("default", selectors[0]).sum()) == 12 - 3 + 1


def test_nominated_pod_keeps_its_room_from_lower_priority_pods():
    c = cluster()
    add_nodes(c, node("only", cpu="1"))
    add_pod(c, "low-1", cpu="400m")
    add_pod(c, "low-2", cpu="400m")
    c.advance(0)
    add_pod(c, "vip", cpu="500m", priority=1000)
    c.advance(0)
    victim = next(n for n in ("low-1", "low-2") if get(c, n)["metadata"].get("deletionTimestamp"))
    c.api.delete("pods", victim, "default", grace_period_seconds=0)
    assert c.scheduler.pending()["backoff"] == ["default/vip"]     # released, but still backing off
    add_pod(c, "late", cpu="400m")
    c.advance(0)
    assert node_of(c, "late") is None and node_of(c, "vip") is None
    c.advance(5)
    assert node_of(c, "vip") == "only" and node_of(c, "late") is None
    # the nominated node is tried alone first
    assert c.scheduler.explain("default", "vip")["nodes"]["evaluated"] == 1


def test_standalone_scheduler_without_nodes_reports_no_nodes():
    clock = Clock()
    rng = random.Random(1)
    api = APIServer(Store(clock), clock, rng)
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    ctx = Context(api, clock, InformerFactory(api), rng, get_profile("fast"))
    scheduler = Scheduler(ctx)
    api.create("pods", pod("p"), "default")
    clock.advance(0)
    cond = get_condition(api.get("pods", "p", "default"), "PodScheduled")
    assert (cond["reason"], cond["message"]) == ("Unschedulable", "no nodes available to schedule pods")
    api.create("nodes", node("first"))
    clock.advance(1)
    assert api.get("pods", "p", "default")["spec"]["nodeName"] == "first"
    assert scheduler.stats == {"attempts": 2, "scheduled": 1, "unschedulable": 1, "errors": 0, "preemptions": 0}
