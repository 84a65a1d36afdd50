"""The DaemonSet controller: a pod per eligible node, node changes, failures, rolling updates, history, status."""

import copy
import re

import pytest

from kubetui.engine.api.server import DAEMONSET_TEMPLATE_GENERATION
from kubetui.engine.cluster import CONTROLLERS, Cluster, NodeConfig
from kubetui.engine.controllers import daemonset as dsc, podcontrol
from kubetui.engine.controllers.daemonset import DaemonSetController
from kubetui.engine.objects import is_pod_ready

NS = "kube-system"
GENERATED = re.compile(r"^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$")
WORKERS = ["worker-1", "worker-2", "worker-3"]
DEFAULT_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def make_cluster(nodes=None):
    nodes = nodes if nodes is not None else [NodeConfig(n) for n in WORKERS]
    return Cluster(nodes=nodes, profile="fast", seed=1)


def test_the_daemonset_controller_runs_in_every_cluster():
    assert DaemonSetController in CONTROLLERS


@pytest.fixture
def cluster():
    return make_cluster()


def daemonset(cluster, name="agent", image="nginx:1.27", pod_spec=None, strategy=None, min_ready=0,
              history_limit=None, annotations=None):
    spec = {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}, "annotations": {"team": "infra"}},
                         "spec": {"containers": [{"name": "agent", "image": image}], **(pod_spec or {})}}}
    if strategy is not None:
        spec["updateStrategy"] = strategy
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if history_limit is not None:
        spec["revisionHistoryLimit"] = history_limit
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return cluster.api.create("daemonsets", {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
                                             "spec": spec}, NS)


def get_ds(cluster, name="agent"):
    return cluster.api.get("daemonsets", name, NS)


def set_image(cluster, image, name="agent"):
    ds = copy.deepcopy(get_ds(cluster, name))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return cluster.api.update("daemonsets", ds, NS)


def pods(cluster, include_terminating=False):
    items = cluster.api.list("pods", NS)[0]
    return [p for p in items if include_terminating or not p["metadata"].get("deletionTimestamp")]


def by_node(cluster):
    out = {}
    for p in pods(cluster):
        out.setdefault(p["spec"].get("nodeName"), []).append(p)
    return out


def events(cluster, reason=None, namespace=NS):
    items = cluster.api.list("events", namespace)[0]
    return [e for e in items if reason is None or e["reason"] == reason]


def revisions(cluster):
    return sorted(cluster.api.list("controllerrevisions", NS)[0], key=lambda r: r["revision"])


def label_node(cluster, node, **labels):
    obj = copy.deepcopy(cluster.api.get("nodes", node))
    obj["metadata"].setdefault("labels", {}).update(labels)
    for key, value in labels.items():
        if value is None:
            del obj["metadata"]["labels"][key]
    cluster.api.update("nodes", obj)


def taint_node(cluster, node, taints):
    obj = copy.deepcopy(cluster.api.get("nodes", node))
    obj["spec"]["taints"] = [t for t in obj["spec"].get("taints") or () if t["key"].startswith("node.kubernetes.io/")]
    obj["spec"]["taints"] += taints
    cluster.api.update("nodes", obj)


def status(cluster, name="agent"):
    return get_ds(cluster, name)["status"]


# -- placement ------------------------------------------------------------------------------------

def test_one_pod_per_worker_with_upstream_names_labels_affinity_and_tolerations(cluster):
    created = []
    cluster.api.watch("pods", lambda type_, obj, old: type_ == "ADDED" and created.append(obj), namespace=NS)
    ds = daemonset(cluster)
    cluster.advance(10)
    placed = by_node(cluster)
    assert sorted(placed) == WORKERS  # the control plane's NoSchedule taint is not tolerated
    revision = revisions(cluster)[0]
    template_hash = revision["metadata"]["labels"]["controller-revision-hash"]
    for node, [pod] in placed.items():
        meta, spec = pod["metadata"], pod["spec"]
        assert GENERATED.match(meta["name"]) and meta["generateName"] == "agent-"
        assert meta["labels"] == {"app": "agent", "controller-revision-hash": template_hash,
                                  "pod-template-generation": "1"}
        assert meta["annotations"] == {"team": "infra"}
        assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                            "uid": ds["metadata"]["uid"], "controller": True,
                                            "blockOwnerDeletion": True}]
        assert spec["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        # no tolerationSeconds: the DefaultTolerationSeconds admission added nothing of its own
        assert spec["tolerations"] == DEFAULT_TOLERATIONS
        assert pod["status"]["phase"] == "Running" and is_pod_ready(pod)
    # the controller leaves binding to the scheduler
    assert len(created) == 3 and not any(p["spec"].get("nodeName") for p in created)
    scheduled = {e["involvedObject"]["name"]: e["message"] for e in events(cluster, "Scheduled")}
    for node, [pod] in placed.items():
        assert scheduled[pod["metadata"]["name"]] == f"Successfully assigned {NS}/{pod['metadata']['name']} to {node}"
    created_events = [e for e in events(cluster, "SuccessfulCreate") if e["involvedObject"]["kind"] == "DaemonSet"]
    assert sorted(e["message"] for e in created_events) == sorted(
        f"Created pod: {p['metadata']['name']}" for [p] in placed.values())
    assert {e["source"]["component"] for e in created_events} == {"daemonset-controller"}


def test_the_control_plane_runs_a_pod_only_when_its_taint_is_tolerated(cluster):
    toleration = {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
    daemonset(cluster, pod_spec={"tolerations": [toleration]})
    daemonset(cluster, name="plain")
    cluster.advance(10)
    agents = {p["spec"]["nodeName"] for p in pods(cluster) if p["metadata"]["labels"]["app"] == "agent"}
    plain = {p["spec"]["nodeName"] for p in pods(cluster) if p["metadata"]["labels"]["app"] == "plain"}
    assert agents == {"control-plane", *WORKERS}
    assert plain == set(WORKERS)
    agent = next(p for p in pods(cluster) if p["metadata"]["labels"]["app"] == "agent")
    assert agent["spec"]["tolerations"] == [toleration, *DEFAULT_TOLERATIONS]
    assert status(cluster)["desiredNumberScheduled"] == 4 and status(cluster, "plain")["desiredNumberScheduled"] == 3


def test_node_selector_limits_the_nodes():
    cluster = make_cluster([NodeConfig("worker-1", labels={"disk": "ssd"}), NodeConfig("worker-2"),
                            NodeConfig("worker-3", labels={"disk": "ssd"})])
    daemonset(cluster, pod_spec={"nodeSelector": {"disk": "ssd"}})
    cluster.advance(10)
    assert sorted(by_node(cluster)) == ["worker-1", "worker-3"]
    assert status(cluster)["desiredNumberScheduled"] == 2


def test_required_node_affinity_limits_the_nodes_and_is_replaced_by_the_node_name():
    cluster = make_cluster([NodeConfig("worker-1", labels={"zone": "a"}), NodeConfig("worker-2", labels={"zone": "b"}),
                            NodeConfig("worker-3", labels={"zone": "c"})])
    preferred = [{"weight": 10, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}}]
    affinity = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["b"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": preferred}}
    daemonset(cluster, pod_spec={"affinity": affinity})
    cluster.advance(10)
    placed = by_node(cluster)
    assert sorted(placed) == ["worker-1", "worker-3"]
    pod = placed["worker-3"][0]
    assert pod["spec"]["affinity"]["nodeAffinity"] == {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["worker-3"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": preferred}


def test_a_new_node_gets_its_pod(cluster):
    daemonset(cluster)
    cluster.advance(10)
    cluster.add_node(NodeConfig("worker-9"))
    cluster.advance(10)
    placed = by_node(cluster)
    assert sorted(placed) == [*WORKERS, "worker-9"]
    assert is_pod_ready(placed["worker-9"][0])
    assert status(cluster)["desiredNumberScheduled"] == 4 and status(cluster)["numberReady"] == 4


def test_a_node_made_ineligible_loses_its_pod_and_gets_it_back(cluster):
    for node in WORKERS:
        label_node(cluster, node, agent="yes")
    daemonset(cluster, pod_spec={"nodeSelector": {"agent": "yes"}})
    cluster.advance(10)
    victim = by_node(cluster)["worker-2"][0]["metadata"]["name"]
    label_node(cluster, "worker-2", agent=None)
    cluster.advance(5)
    assert sorted(by_node(cluster)) == ["worker-1", "worker-3"]
    assert f"Deleted pod: {victim}" in [e["message"] for e in events(cluster, "SuccessfulDelete")]
    assert status(cluster)["desiredNumberScheduled"] == 2
    label_node(cluster, "worker-2", agent="yes")
    cluster.advance(5)
    assert sorted(by_node(cluster)) == WORKERS


def test_an_untolerated_no_execute_taint_removes_the_pod_and_no_schedule_leaves_it_misscheduled(cluster):
    daemonset(cluster)
    cluster.advance(10)
    taint_node(cluster, "worker-1", [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    taint_node(cluster, "worker-2", [{"key": "dedicated", "value": "db", "effect": "NoExecute"}])
    cluster.advance(5)
    placed = by_node(cluster)
    assert sorted(placed) == ["worker-1", "worker-3"]
    assert status(cluster) == {"currentNumberScheduled": 1, "numberMisscheduled": 1, "desiredNumberScheduled": 1,
                               "numberReady": 1, "observedGeneration": 1, "updatedNumberScheduled": 1,
                               "numberAvailable": 1}


def test_a_cordoned_node_still_gets_its_pod(cluster):
    cluster.api.patch("nodes", "worker-1", {"spec": {"unschedulable": True}}, "merge")
    cluster.advance(3)
    taints = cluster.api.get("nodes", "worker-1")["spec"]["taints"]
    assert {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"} in [
        {k: t[k] for k in ("key", "effect")} for t in taints]
    daemonset(cluster)
    cluster.advance(10)
    placed = by_node(cluster)
    assert sorted(placed) == WORKERS and is_pod_ready(placed["worker-1"][0])


def test_a_dead_node_keeps_its_daemon_pod_while_replica_set_pods_are_evicted(cluster):
    daemonset(cluster)
    cluster.api.create("replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}, NS)
    cluster.advance(10)
    on_worker_1 = {p["metadata"]["labels"]["app"]: p["metadata"]["name"] for p in by_node(cluster)["worker-1"]}
    assert set(on_worker_1) == {"agent", "web"}
    cluster.kill_node("worker-1")
    # past NotReady (15 s grace) and the 20 s default toleration the ReplicaSet pod got, with room
    cluster.advance(60)
    taints = {(t["key"], t["effect"]) for t in cluster.api.get("nodes", "worker-1")["spec"]["taints"]}
    assert ("node.kubernetes.io/unreachable", "NoExecute") in taints
    web = cluster.api.get("pods", on_worker_1["web"], NS)
    assert web["metadata"].get("deletionTimestamp")  # evicted; stuck terminating with no kubelet to confirm
    evicted = [e["message"] for e in events(cluster, "TaintManagerEviction")]
    assert f"Marking for deletion Pod {NS}/{on_worker_1['web']}" in evicted
    assert not any(on_worker_1["agent"] in m for m in evicted)
    agent = cluster.api.get("pods", on_worker_1["agent"], NS)
    assert not agent["metadata"].get("deletionTimestamp") and not is_pod_ready(agent)
    # the node's unreachable:NoSchedule taint keeps new pods off, so it no longer counts as desired
    assert status(cluster) == {"currentNumberScheduled": 2, "numberMisscheduled": 1, "desiredNumberScheduled": 2,
                               "numberReady": 2, "observedGeneration": 1, "updatedNumberScheduled": 2,
                               "numberAvailable": 2}
    cluster.restart_node("worker-1")
    cluster.advance(20)
    agent = cluster.api.get("pods", on_worker_1["agent"], NS)
    assert is_pod_ready(agent)
    assert status(cluster)["desiredNumberScheduled"] == 3 and status(cluster)["numberReady"] == 3


def test_a_removed_node_loses_its_pod_through_pod_gc(cluster):
    daemonset(cluster)
    cluster.advance(10)
    cluster.kill_node("worker-3")
    cluster.api.delete("nodes", "worker-3")
    cluster.advance(90)  # the pod GC's quarantine for pods of a missing node
    assert sorted(by_node(cluster)) == ["worker-1", "worker-2"]
    assert not [p for p in pods(cluster, include_terminating=True) if p["spec"].get("nodeName") == "worker-3"]
    assert status(cluster)["desiredNumberScheduled"] == 2


def test_an_extra_pod_on_a_node_is_adopted_and_the_newer_one_deleted(cluster):
    daemonset(cluster)
    cluster.advance(10)
    original = by_node(cluster)["worker-1"][0]["metadata"]["name"]
    cluster.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {"app": "agent"}},
                                "spec": {"nodeName": "worker-1", "containers": [{"name": "agent", "image": "nginx:1.27"}]}}, NS)
    cluster.advance(5)
    assert [p["metadata"]["name"] for p in by_node(cluster)["worker-1"]] == [original]
    assert "Deleted pod: stray" in [e["message"] for e in events(cluster, "SuccessfulDelete")]


def test_a_failed_pod_is_deleted_and_recreated_with_backoff(cluster):
    daemonset(cluster)
    cluster.advance(10)
    deletions = []  # (time, pod) when the controller deleted a failed pod

    def watch(type_, obj, old):
        name = obj["metadata"]["name"]
        if (type_ == "DELETED" or obj["metadata"].get("deletionTimestamp")) and name not in [n for _, n in deletions]:
            deletions.append((cluster.now, name))
    cluster.api.watch("pods", watch, namespace=NS)

    def fail_pod_on_worker_1():
        pod = by_node(cluster)["worker-1"][0]
        cluster.api.update_status("pods", {**pod, "status": {**pod["status"], "phase": "Failed", "reason": "Evicted"}})
        return pod["metadata"]["name"]

    failed = []
    for _ in range(3):
        failed.append(fail_pod_on_worker_1())
        for _ in range(100):
            cluster.advance(0.1)
            if failed[-1] in [name for _, name in deletions] and by_node(cluster).get("worker-1"):
                break
    assert [name for _, name in deletions] == failed
    warnings = [e["message"] for e in events(cluster, "FailedDaemonPod")]
    assert warnings == [f"Found failed daemon pod {NS}/{name} on node worker-1, will try to kill it" for name in failed]
    assert all(e["type"] == "Warning" for e in events(cluster, "FailedDaemonPod"))
    # each deletion waits out the backoff started by the previous one: 1 s, then 2 s
    times = [t for t, _ in deletions]
    assert times[1] - times[0] >= 1 and times[2] - times[1] >= 2
    cluster.advance(10)
    assert is_pod_ready(by_node(cluster)["worker-1"][0])


def test_a_succeeded_pod_is_deleted_and_replaced(cluster):
    daemonset(cluster)
    cluster.advance(10)
    pod = by_node(cluster)["worker-3"][0]
    cluster.api.update_status("pods", {**pod, "status": {**pod["status"], "phase": "Succeeded"}})
    cluster.advance(5)
    [event] = events(cluster, "SucceededDaemonPod")
    assert event["type"] == "Normal" and event["message"] == (
        f"Found succeeded daemon pod {NS}/{pod['metadata']['name']} on node worker-3, will try to delete it")
    [replacement] = by_node(cluster)["worker-3"]
    assert replacement["metadata"]["name"] != pod["metadata"]["name"] and is_pod_ready(replacement)


def test_an_unscheduled_pod_meant_for_a_missing_node_is_deleted(cluster):
    daemonset(cluster)
    cluster.advance(10)
    cluster.api.create("pods", {"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": "ghost-pod", "labels": {"app": "agent"}},
                                "spec": {"affinity": dsc.node_name_affinity(None, "ghost"),
                                         "containers": [{"name": "agent", "image": "nginx:1.27"}]}}, NS)
    cluster.advance(2)
    assert cluster.api.try_get("pods", "ghost-pod", NS) is None
    assert "Deleted pod: ghost-pod" in [e["message"] for e in events(cluster, "SuccessfulDelete")]


def test_failed_pod_backoff_doubles_up_to_the_maximum_and_resets_when_quiet():
    backoff = dsc._Backoff(1, 8)
    assert not backoff.in_backoff("k", 0)
    delays = []
    now = 0.0
    for _ in range(6):
        backoff.next("k", now)
        delays.append(backoff.delay("k"))
        assert backoff.in_backoff("k", now + delays[-1] - 0.01) and not backoff.in_backoff("k", now + delays[-1])
        now += delays[-1]
    assert delays == [1, 2, 4, 8, 8, 8]
    now += 17  # quiet for more than twice the maximum
    assert not backoff.in_backoff("k", now)
    backoff.next("k", now)
    assert backoff.delay("k") == 1


# -- updates --------------------------------------------------------------------------------------

def _unavailable_nodes(cluster, nodes):
    """Desired nodes without a ready pod that is not being deleted."""
    placed = by_node(cluster)
    return [n for n in nodes if not any(is_pod_ready(p) for p in placed.get(n, ()))]


def test_rolling_update_replaces_one_node_at_a_time(cluster):
    daemonset(cluster)
    cluster.advance(10)
    old_pods = {p["metadata"]["name"] for p in pods(cluster)}
    old_hash = revisions(cluster)[0]["metadata"]["labels"]["controller-revision-hash"]
    ds = set_image(cluster, "nginx:1.28")
    assert ds["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] == "2"
    worst = 0
    for _ in range(600):
        cluster.advance(0.1)
        worst = max(worst, len(_unavailable_nodes(cluster, WORKERS)))
        if status(cluster).get("updatedNumberScheduled") == 3 and status(cluster).get("numberAvailable") == 3:
            break
    assert worst == 1  # maxUnavailable 1: one node at a time
    revs = revisions(cluster)
    assert [r["revision"] for r in revs] == [1, 2]
    new_hash = revs[1]["metadata"]["labels"]["controller-revision-hash"]
    assert revs[1]["metadata"]["name"] == f"agent-{new_hash}" and new_hash != old_hash
    assert revs[1]["data"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert revs[1]["data"]["spec"]["template"]["$patch"] == "replace"
    current = pods(cluster)
    assert sorted(p["spec"]["nodeName"] for p in current) == WORKERS
    assert not old_pods & {p["metadata"]["name"] for p in current}
    for p in current:
        assert p["metadata"]["labels"]["controller-revision-hash"] == new_hash
        assert p["metadata"]["labels"]["pod-template-generation"] == "2"
        assert p["spec"]["containers"][0]["image"] == "nginx:1.28"
    deleted = [e["message"] for e in events(cluster, "SuccessfulDelete")]
    assert sorted(deleted) == sorted(f"Deleted pod: {name}" for name in old_pods)
    assert status(cluster) == {"currentNumberScheduled": 3, "numberMisscheduled": 0, "desiredNumberScheduled": 3,
                               "numberReady": 3, "observedGeneration": 2, "updatedNumberScheduled": 3,
                               "numberAvailable": 3}


def test_rolling_update_waits_for_min_ready_seconds_before_the_next_node(cluster):
    daemonset(cluster, min_ready=5)
    cluster.advance(5)
    early = status(cluster)
    assert early["numberReady"] == 3 and "numberAvailable" not in early and early["numberUnavailable"] == 3
    cluster.advance(10)
    assert status(cluster)["numberAvailable"] == 3
    set_image(cluster, "nginx:1.28")
    deleted_at = []
    seen = set()
    for _ in range(900):
        cluster.advance(0.1)
        for e in events(cluster, "SuccessfulDelete"):
            if e["metadata"]["name"] not in seen:
                seen.add(e["metadata"]["name"])
                deleted_at.append(cluster.now)
        if status(cluster).get("updatedNumberScheduled") == 3 and status(cluster).get("numberAvailable") == 3:
            break
    assert len(deleted_at) == 3
    # a replacement must be ready and then available for 5 s before the next old pod goes
    assert all(b - a > 5 for a, b in zip(deleted_at, deleted_at[1:]))


def test_rolling_update_with_max_surge_starts_the_new_pod_before_the_old_one_goes(cluster):
    daemonset(cluster, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
    cluster.advance(10)
    set_image(cluster, "nginx:1.28")
    most = 0
    for _ in range(600):
        cluster.advance(0.1)
        assert not _unavailable_nodes(cluster, WORKERS)  # every node keeps a ready pod throughout
        most = max(most, max(len(v) for v in by_node(cluster).values()))
        if status(cluster).get("updatedNumberScheduled") == 3 and len(pods(cluster)) == 3:
            break
    assert most == 2
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.28" for p in pods(cluster))
    assert sorted(p["spec"]["nodeName"] for p in pods(cluster)) == WORKERS


def test_on_delete_replaces_only_the_pods_someone_deletes(cluster):
    daemonset(cluster, strategy={"type": "OnDelete"})
    cluster.advance(10)
    set_image(cluster, "nginx:1.28")
    cluster.advance(20)
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.27" for p in pods(cluster))
    assert [r["revision"] for r in revisions(cluster)] == [1, 2]
    assert "updatedNumberScheduled" not in status(cluster)  # zero, omitted as upstream's omitempty does
    assert status(cluster)["observedGeneration"] == 2 and status(cluster)["numberAvailable"] == 3
    victim = by_node(cluster)["worker-2"][0]["metadata"]["name"]
    cluster.api.delete("pods", victim, NS)
    cluster.advance(10)
    images = {n: ps[0]["spec"]["containers"][0]["image"] for n, ps in by_node(cluster).items()}
    assert images == {"worker-1": "nginx:1.27", "worker-2": "nginx:1.28", "worker-3": "nginx:1.27"}
    assert status(cluster)["updatedNumberScheduled"] == 1


def test_a_template_change_back_reuses_the_old_revision_with_a_new_number(cluster):
    daemonset(cluster)
    cluster.advance(10)
    first = revisions(cluster)[0]["metadata"]["name"]
    set_image(cluster, "nginx:1.28")
    cluster.advance(30)
    set_image(cluster, "nginx:1.27")
    cluster.advance(30)
    revs = {r["metadata"]["name"]: r["revision"] for r in revisions(cluster)}
    assert len(revs) == 2 and revs[first] == 3
    assert get_ds(cluster)["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] == "3"
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in pods(cluster)} == {"3"}


def test_old_revisions_beyond_the_history_limit_are_deleted_unless_pods_use_them(cluster):
    daemonset(cluster, history_limit=1, strategy={"type": "OnDelete"})
    cluster.advance(10)
    kept = []
    for image in ("nginx:1.28", "nginx:1.29", "nginx:1.30"):
        set_image(cluster, image)
        cluster.advance(5)
        kept.append([r["revision"] for r in revisions(cluster)])
    # every pod still runs revision 1, so it stays; the other old ones go beyond the limit of one
    assert kept == [[1, 2], [1, 3], [1, 4]]
    for p in pods(cluster):
        cluster.api.delete("pods", p["metadata"]["name"], NS)
    cluster.advance(15)
    set_image(cluster, "nginx:1.31")
    cluster.advance(5)
    assert [r["revision"] for r in revisions(cluster)] == [4, 5]


def test_a_revision_name_taken_by_another_template_bumps_the_collision_count(cluster):
    body = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}},
                                  "spec": {"containers": [{"name": "agent", "image": "nginx:1.27"}]}}}}
    template = cluster.api.create("daemonsets", body, NS, dry_run=True)["spec"]["template"]
    taken = f"agent-{podcontrol.compute_hash(template)}"
    cluster.api.create("controllerrevisions", {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                                               "metadata": {"name": taken, "labels": {"app": "other"}},
                                               "data": {"spec": {}}, "revision": 1}, NS)
    cluster.api.create("daemonsets", body, NS)
    cluster.advance(10)
    assert status(cluster)["collisionCount"] == 1
    names = {r["metadata"]["name"] for r in revisions(cluster)}
    assert names == {taken, f"agent-{podcontrol.compute_hash(template, 1)}"}
    assert len(pods(cluster)) == 3


# -- deletion -------------------------------------------------------------------------------------

def test_deleting_the_daemonset_lets_the_garbage_collector_delete_its_pods_and_revisions(cluster):
    daemonset(cluster)
    cluster.advance(10)
    assert len(pods(cluster)) == 3 and len(revisions(cluster)) == 1
    cluster.api.delete("daemonsets", "agent", NS)
    cluster.advance(0.5)
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(cluster, include_terminating=True))
    cluster.advance(40)
    assert pods(cluster, include_terminating=True) == [] and revisions(cluster) == []


# -- the API server's template generation -------------------------------------------------------

def test_the_template_generation_annotation_follows_template_changes_only(cluster):
    ds = daemonset(cluster, annotations={DAEMONSET_TEMPLATE_GENERATION: "7"})
    assert ds["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] == "7"
    ds = copy.deepcopy(ds)
    ds["spec"]["minReadySeconds"] = 3
    ds["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] = "100"  # clients cannot set it
    ds = cluster.api.update("daemonsets", ds, NS)
    assert ds["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] == "7" and ds["metadata"]["generation"] == 2
    ds = set_image(cluster, "nginx:1.28")
    assert ds["metadata"]["annotations"][DAEMONSET_TEMPLATE_GENERATION] == "8" and ds["metadata"]["generation"] == 3


# -- pure helpers -------------------------------------------------------------------------------

def _node(name, labels=None, taints=None):
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


def _ds(pod_spec):
    return {"spec": {"template": {"metadata": {"labels": {"app": "a"}}, "spec": pod_spec}}}


def test_node_should_run_daemon_pod():
    plain = dsc.Placement(_ds({}))
    assert plain.fits(_node("n")) == (True, True)
    assert plain.fits(_node("n", taints=[{"key": "k", "effect": "NoSchedule"}])) == (False, True)
    assert plain.fits(_node("n", taints=[{"key": "k", "effect": "NoExecute"}])) == (False, False)
    assert plain.fits(_node("n", taints=[{"key": "k", "effect": "PreferNoSchedule"}])) == (True, True)
    for default in ("node.kubernetes.io/unschedulable", "node.kubernetes.io/disk-pressure"):
        assert plain.fits(_node("n", taints=[{"key": default, "effect": "NoSchedule"}])) == (True, True)
    assert plain.fits(_node("n", taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                                         {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}])) == (False, True)
    # hostNetwork pods also tolerate a node whose network is not set up yet
    network = [{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]
    assert plain.fits(_node("n", taints=network)) == (False, True)
    assert dsc.Placement(_ds({"hostNetwork": True})).fits(_node("n", taints=network)) == (True, True)
    tolerant = dsc.Placement(_ds({"tolerations": [{"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute"}]}))
    assert tolerant.fits(_node("n", taints=[{"key": "k", "value": "v", "effect": "NoExecute"}])) == (True, True)
    assert tolerant.fits(_node("n", taints=[{"key": "k", "value": "w", "effect": "NoExecute"}])) == (False, False)
    assert dsc.Placement(_ds({"nodeName": "m"})).fits(_node("n")) == (False, False)
    selected = dsc.Placement(_ds({"nodeSelector": {"disk": "ssd"}}))
    assert selected.fits(_node("n", {"disk": "ssd"}))[0] and selected.fits(_node("n", {"disk": "hdd"})) == (False, False)


def test_required_node_affinity_terms_are_ored_and_bad_terms_match_nothing():
    def placement(*terms):
        return dsc.Placement(_ds({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": list(terms)}}}}))
    by_name = placement({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]})
    assert by_name.fits(_node("a"))[0] and not by_name.fits(_node("b"))[0]
    not_name = placement({"matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["a"]}]})
    assert not not_name.fits(_node("a"))[0] and not_name.fits(_node("b"))[0]
    either = placement({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]},
                       {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]})
    assert either.fits(_node("n", {"gpu": ""}))[0] and either.fits(_node("n", {"cores": "16"}))[0]
    assert not either.fits(_node("n", {"cores": "8"}))[0]
    assert not placement({}).fits(_node("n"))[0]  # an empty term selects nothing
    bad = placement({"matchExpressions": [{"key": "gpu", "operator": "In", "values": []}]},
                    {"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]})
    assert bad.fits(_node("n"))[0] and not bad.fits(_node("n", {"zone": "a"}))[0]
    two_names = placement({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]})
    assert not two_names.fits(_node("a"))[0]  # a field requirement takes exactly one value


def test_default_tolerations_replace_matching_ones_and_keep_others():
    spec = {"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 30},
                            {"key": "custom", "operator": "Exists"}]}
    assert dsc.daemon_tolerations(spec) == [DEFAULT_TOLERATIONS[0], {"key": "custom", "operator": "Exists"},
                                            *DEFAULT_TOLERATIONS[1:]]
    assert spec["tolerations"][0]["tolerationSeconds"] == 30  # the template is not touched
    host = dsc.daemon_tolerations({"hostNetwork": True})
    assert host[-1] == {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def test_target_node_of_a_pod():
    pod = {"spec": {"affinity": dsc.node_name_affinity(None, "worker-4")}}
    assert dsc.target_node(pod) == "worker-4"
    assert dsc.target_node({"spec": {"nodeName": "worker-1", **pod["spec"]}}) == "worker-1"
    assert dsc.target_node({"spec": {}}) is None
