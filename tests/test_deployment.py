"""The Deployment controller: template hashes, rolling updates within maxSurge/maxUnavailable, Recreate,
revisions and rollback, pausing, proportional scaling, progress conditions and history cleanup."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.controllers import deployment as dc
from kubetui.engine.controllers.podcontrol import POD_TEMPLATE_HASH_LABEL, compute_hash
from kubetui.engine.objects import deep_copy, is_pod_ready


@pytest.fixture
def cluster():
    return Cluster(nodes=[NodeConfig(f"worker-{i}") for i in range(1, 4)], profile="fast", seed=1)


def create(cluster, name="web", replicas=3, image="nginx:1.0", namespace="default", annotations=None, **spec):
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": image}]}}, **spec}}
    if annotations:
        body["metadata"]["annotations"] = annotations
    return cluster.api.create("deployments", body, namespace)


def set_image(cluster, image, name="web", change_cause=None, pull_policy=None):
    container = {"name": "app", "image": image}
    if pull_policy:
        container["imagePullPolicy"] = pull_policy
    body = {"spec": {"template": {"spec": {"containers": [container]}}}}
    if change_cause:
        body["metadata"] = {"annotations": {dc.CHANGE_CAUSE: change_cause}}
    return cluster.api.patch("deployments", name, body, "strategic", "default")


def patch(cluster, body, name="web"):
    return cluster.api.patch("deployments", name, body, "merge", "default")


def get(cluster, name="web"):
    return cluster.api.get("deployments", name, "default")


def replica_sets(cluster, namespace="default"):
    """The ReplicaSets, oldest revision first."""
    return sorted(cluster.api.list("replicasets", namespace)[0], key=lambda rs: int(
        (rs["metadata"].get("annotations") or {}).get(dc.REVISION, "0")))


def active_pods(cluster):
    return [p for p in cluster.api.list("pods", "default")[0]
            if not p["metadata"].get("deletionTimestamp") and p["status"].get("phase") not in ("Succeeded", "Failed")]


def images(cluster):
    return sorted(p["spec"]["containers"][0]["image"] for p in active_pods(cluster))


def scaling_events(cluster):
    items = sorted(cluster.api.list("events", "default")[0], key=lambda e: e["metadata"]["name"])
    return [e["message"] for e in items if e["reason"] == "ScalingReplicaSet"]


def condition(d, type_):
    return next(c for c in d["status"]["conditions"] if c["type"] == type_)


def test_creates_a_replica_set_named_after_the_template_hash(cluster):
    d = create(cluster)
    cluster.advance(10)
    template_hash = compute_hash(d["spec"]["template"])
    [rs] = replica_sets(cluster)
    meta = rs["metadata"]
    assert meta["name"] == f"web-{template_hash}"
    assert meta["labels"] == {"app": "web", POD_TEMPLATE_HASH_LABEL: template_hash}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", POD_TEMPLATE_HASH_LABEL: template_hash}}
    assert rs["spec"]["template"]["metadata"]["labels"] == meta["labels"]
    assert meta["ownerReferences"][0]["kind"] == "Deployment" and meta["ownerReferences"][0]["controller"]
    assert meta["annotations"] == {dc.REVISION: "1", dc.DESIRED_REPLICAS: "3", dc.MAX_REPLICAS: "4"}
    pods = active_pods(cluster)
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    assert all(p["metadata"]["labels"][POD_TEMPLATE_HASH_LABEL] == template_hash for p in pods)
    assert all(p["metadata"]["name"].startswith(f"web-{template_hash}-") for p in pods)
    assert get(cluster)["metadata"]["annotations"][dc.REVISION] == "1"
    assert scaling_events(cluster) == [f"Scaled up replica set web-{template_hash} from 0 to 3"]


def test_template_hash_is_stable_and_follows_the_template(cluster):
    template = create(cluster)["spec"]["template"]
    assert compute_hash(template) == compute_hash(deep_copy(template))
    changed = deep_copy(template)
    changed["spec"]["containers"][0]["image"] = "nginx:2.0"
    assert compute_hash(changed) != compute_hash(template)
    assert compute_hash(template, 1) != compute_hash(template)
    assert set(compute_hash(template)) <= set("bcdfghjklmnpqrstvwxz2456789")
    cluster.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    create(cluster, namespace="other")
    cluster.advance(1)
    assert [rs["metadata"]["name"] for rs in replica_sets(cluster, "other")] == \
        [rs["metadata"]["name"] for rs in replica_sets(cluster)]


def test_successful_rollout_status_and_conditions(cluster):
    create(cluster)
    cluster.advance(10)
    d = get(cluster)
    [rs] = replica_sets(cluster)
    assert {k: v for k, v in d["status"].items() if k != "conditions"} == {
        "observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
        "terminatingReplicas": 0}
    available = condition(d, "Available")
    assert (available["status"], available["reason"], available["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    progressing = condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.')


def test_rolling_update_stays_within_max_surge_and_max_unavailable(cluster):
    create(cluster, replicas=10, strategy={"type": "RollingUpdate",
                                           "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}})
    cluster.advance(10)
    [old] = replica_sets(cluster)
    set_image(cluster, "nginx:2.0")
    most, fewest_ready = 0, 10
    for _ in range(600):
        cluster.advance(0.1)
        pods = active_pods(cluster)
        most = max(most, len(pods))
        fewest_ready = min(fewest_ready, sum(is_pod_ready(p) for p in pods))
        assert len(pods) <= 13
        assert sum(is_pod_ready(p) for p in pods) >= 8
    assert most == 13 and fewest_ready == 8  # the controller used its whole budget
    assert images(cluster) == ["nginx:2.0"] * 10
    old_rs, new_rs = replica_sets(cluster)
    assert old_rs["spec"]["replicas"] == 0 and new_rs["status"]["availableReplicas"] == 10
    events = scaling_events(cluster)
    old_name, new_name = old["metadata"]["name"], new_rs["metadata"]["name"]
    assert events[1:3] == [f"Scaled up replica set {new_name} from 0 to 3",
                           f"Scaled down replica set {old_name} from 10 to 8"]
    assert events[-1].startswith(f"Scaled down replica set {old_name} from ") and events[-1].endswith(" to 0")


def test_percentages_round_surge_up_and_unavailable_down():
    d = {"spec": {"replicas": 10, "strategy": {"type": "RollingUpdate",
                                               "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}}
    assert (dc.max_surge(d), dc.max_unavailable(d)) == (3, 2)
    d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": "0%", "maxUnavailable": "10%"}
    d["spec"]["replicas"] = 5
    assert (dc.max_surge(d), dc.max_unavailable(d)) == (0, 1)  # both zero would deadlock: unavailable is 1


def test_revision_annotations_track_each_rollout(cluster):
    create(cluster)
    cluster.advance(10)
    set_image(cluster, "nginx:2.0")
    cluster.advance(30)
    first, second = replica_sets(cluster)
    assert first["metadata"]["annotations"][dc.REVISION] == "1"
    assert second["metadata"]["annotations"][dc.REVISION] == "2"
    assert get(cluster)["metadata"]["annotations"][dc.REVISION] == "2"
    assert get(cluster)["status"]["observedGeneration"] == 2


def test_rollback_restores_the_previous_template(cluster):
    create(cluster, annotations={dc.CHANGE_CAUSE: "first release"})
    cluster.advance(10)
    set_image(cluster, "nginx:2.0", change_cause="upgrade to 2.0")
    cluster.advance(30)
    first, second = replica_sets(cluster)
    assert second["metadata"]["annotations"][dc.CHANGE_CAUSE] == "upgrade to 2.0"
    result = dc.rollback(cluster.api, "default", "web")
    assert result["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.0"
    assert POD_TEMPLATE_HASH_LABEL not in result["spec"]["template"]["metadata"]["labels"]
    assert result["metadata"]["annotations"][dc.CHANGE_CAUSE] == "first release"
    cluster.advance(30)
    assert images(cluster) == ["nginx:1.0"] * 3
    after = {rs["metadata"]["name"]: rs for rs in replica_sets(cluster)}
    assert set(after) == {first["metadata"]["name"], second["metadata"]["name"]}  # no new ReplicaSet
    restored = after[first["metadata"]["name"]]["metadata"]["annotations"]
    assert restored[dc.REVISION] == "3" and restored[dc.REVISION_HISTORY] == "1"
    assert restored[dc.CHANGE_CAUSE] == "first release"
    assert get(cluster)["metadata"]["annotations"][dc.REVISION] == "3"
    assert all(p["metadata"]["labels"][POD_TEMPLATE_HASH_LABEL] ==
               first["metadata"]["labels"][POD_TEMPLATE_HASH_LABEL] for p in active_pods(cluster))


def test_rollback_to_a_revision_and_its_errors(cluster):
    create(cluster)
    cluster.advance(10)
    with pytest.raises(ApiError, match='no rollout history found for deployment "web"'):
        dc.rollback(cluster.api, "default", "web")
    for image in ("nginx:2.0", "nginx:3.0"):
        set_image(cluster, image)
        cluster.advance(30)
    dc.rollback(cluster.api, "default", "web", to_revision=1)
    assert get(cluster)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.0"
    current = get(cluster)
    assert dc.rollback(cluster.api, "default", "web", to_revision=1) == current  # already there: skipped
    with pytest.raises(ApiError, match="unable to find specified revision 9 in history"):
        dc.rollback(cluster.api, "default", "web", to_revision=9)
    patch(cluster, {"spec": {"paused": True}})
    with pytest.raises(ApiError, match="you cannot rollback a paused deployment"):
        dc.rollback(cluster.api, "default", "web")


def test_paused_deployment_scales_but_does_not_roll_out(cluster):
    create(cluster)
    cluster.advance(10)
    patch(cluster, {"spec": {"paused": True}})
    set_image(cluster, "nginx:2.0")
    cluster.advance(10)
    [rs] = replica_sets(cluster)
    progressing = condition(get(cluster), "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown", "DeploymentPaused", "Deployment is paused")
    patch(cluster, {"spec": {"replicas": 5}})
    cluster.advance(10)
    assert [r["spec"]["replicas"] for r in replica_sets(cluster)] == [5]
    assert images(cluster) == ["nginx:1.0"] * 5
    assert "updatedReplicas" not in get(cluster)["status"]  # zero, omitted as in the API
    patch(cluster, {"spec": {"paused": False}})
    cluster.advance(0.1)
    assert condition(get(cluster), "Progressing")["reason"] in ("DeploymentResumed", "NewReplicaSetCreated",
                                                                "ReplicaSetUpdated")
    cluster.advance(60)
    assert images(cluster) == ["nginx:2.0"] * 5
    assert condition(get(cluster), "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_recreate_stops_every_old_pod_before_starting_new_ones(cluster):
    create(cluster, strategy={"type": "Recreate"})
    cluster.advance(10)
    [old] = replica_sets(cluster)
    set_image(cluster, "nginx:2.0")
    for _ in range(400):
        cluster.advance(0.1)
        everything = cluster.api.list("pods", "default")[0]
        assert len({p["spec"]["containers"][0]["image"] for p in everything}) <= 1
    assert images(cluster) == ["nginx:2.0"] * 3
    new = replica_sets(cluster)[1]
    assert scaling_events(cluster)[1:] == [f"Scaled down replica set {old['metadata']['name']} from 3 to 0",
                                           f"Scaled up replica set {new['metadata']['name']} from 0 to 3"]


def test_old_replica_sets_beyond_the_history_limit_are_deleted(cluster):
    create(cluster, revisionHistoryLimit=2)
    cluster.advance(10)
    for version in range(2, 6):
        set_image(cluster, f"nginx:{version}.0")
        cluster.advance(30)
    revisions = [rs["metadata"]["annotations"][dc.REVISION] for rs in replica_sets(cluster)]
    assert revisions == ["3", "4", "5"]  # the new ReplicaSet and the two latest old ones


def test_scaling_during_a_stuck_rollout_is_proportional(cluster):
    create(cluster, replicas=10, strategy={"type": "RollingUpdate",
                                           "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}})
    cluster.advance(10)
    set_image(cluster, "registry.local/missing:1", pull_policy="Never")  # never starts: the rollout stalls
    cluster.advance(20)
    old, new = replica_sets(cluster)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)
    patch(cluster, {"spec": {"replicas": 20}})
    cluster.advance(1)
    old, new = replica_sets(cluster)
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (14, 9)  # 8:5 of 13 becomes 14:9 of 23
    assert scaling_events(cluster)[-2:] == [
        f"Scaled up replica set {old['metadata']['name']} from 8 to 14",
        f"Scaled up replica set {new['metadata']['name']} from 5 to 9"]
    assert old["metadata"]["annotations"][dc.DESIRED_REPLICAS] == "20"
    assert new["metadata"]["annotations"][dc.MAX_REPLICAS] == "23"


def test_a_stuck_rollout_exceeds_its_progress_deadline(cluster):
    create(cluster, progressDeadlineSeconds=15)
    cluster.advance(10)
    set_image(cluster, "registry.local/missing:1", pull_policy="Never")
    cluster.advance(5)
    assert condition(get(cluster), "Progressing")["reason"] == "ReplicaSetUpdated"
    cluster.advance(30)
    d = get(cluster)
    new = replica_sets(cluster)[1]
    progressing = condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{new["metadata"]["name"]}" has timed out progressing.')
    assert condition(d, "Available")["status"] == "True"  # the old pods still serve


def test_replica_failures_surface_on_the_deployment(cluster, monkeypatch):
    real_create = cluster.api.create

    def create_pod_refused(resource, obj, namespace=None, **kwargs):
        if resource == "pods":
            raise ApiError(403, "Forbidden", "exceeded quota: compute")
        return real_create(resource, obj, namespace, **kwargs)

    monkeypatch.setattr(cluster.api, "create", create_pod_refused)
    create(cluster)
    cluster.advance(1)
    failure = condition(get(cluster), "ReplicaFailure")
    assert (failure["status"], failure["reason"], failure["message"]) == ("True", "FailedCreate", "exceeded quota: compute")
    assert condition(get(cluster), "Available")["status"] == "False"
    monkeypatch.undo()
    cluster.advance(60)
    assert [c["type"] for c in get(cluster)["status"]["conditions"]] == ["Available", "Progressing"]
    assert get(cluster)["status"]["availableReplicas"] == 3


def test_adopts_a_matching_orphan_replica_set(cluster):
    template = {"metadata": {"labels": {"app": "web", POD_TEMPLATE_HASH_LABEL: "legacy"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.0"}]}}
    cluster.api.create("replicasets", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "legacy", "labels": {"app": "web"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web", POD_TEMPLATE_HASH_LABEL: "legacy"}},
                 "template": template}}, "default")
    d = create(cluster)
    cluster.advance(10)
    [rs] = replica_sets(cluster)
    assert rs["metadata"]["name"] == "legacy"
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["spec"]["replicas"] == 3 and rs["metadata"]["annotations"][dc.REVISION] == "1"
    assert len(active_pods(cluster)) == 3
