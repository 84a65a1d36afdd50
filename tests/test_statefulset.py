"""The StatefulSet controller: ordered pods, claims per ordinal, stable DNS, rolling updates, dead nodes."""

import copy

import pytest

from kubetui.engine.cluster import CONTROLLERS, Cluster, NodeConfig
from kubetui.engine.controllers import statefulset as stsc
from kubetui.engine.controllers.statefulset import StatefulSetController

NS = "default"


def make_cluster():
    return Cluster(nodes=[NodeConfig(f"worker-{i}") for i in (1, 2, 3)], profile="fast", seed=1)


def statefulset(replicas=3, policy=None, strategy=None, claims=True, image="postgres:16"):
    spec = {"serviceName": "db", "replicas": replicas, "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                         "spec": {"containers": [{"name": "db", "image": image}]}}}
    if policy:
        spec["podManagementPolicy"] = policy
    if strategy:
        spec["updateStrategy"] = strategy
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": NS}, "spec": spec}


def pods(c):
    return {p["metadata"]["name"]: p for p in c.api.list("pods", NS)[0]}


def running(c):
    return sorted(n for n, p in pods(c).items() if p["status"].get("phase") == "Running"
                  and not p["metadata"].get("deletionTimestamp"))


def events(c, reason=None):
    return [e["message"] for e in sorted(c.api.list("events", NS)[0], key=lambda e: int(e["metadata"]["resourceVersion"]))
            if e["involvedObject"]["kind"] == "StatefulSet" and (reason is None or e["reason"] == reason)]


def status(c):
    return c.api.get("statefulsets", "db", NS)["status"]


def scale(c, replicas):
    sts = copy.deepcopy(c.api.get("statefulsets", "db", NS))
    sts["spec"]["replicas"] = replicas
    c.api.update("statefulsets", sts, NS)


def set_image(c, image, partition=None):
    sts = copy.deepcopy(c.api.get("statefulsets", "db", NS))
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = image
    if partition is not None:
        sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    c.api.update("statefulsets", sts, NS)


def image_of(pod):
    return pod["spec"]["containers"][0]["image"]


@pytest.fixture
def cluster():
    c = make_cluster()
    c.api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": NS},
                              "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}}, NS)
    return c


def test_registered_in_every_cluster():
    assert StatefulSetController in CONTROLLERS


def test_parent_and_ordinal():
    assert stsc.parent_and_ordinal({"metadata": {"name": "web-db-12"}}) == ("web-db", 12)
    assert stsc.parent_and_ordinal({"metadata": {"name": "db"}}) == ("", -1)


def test_ordered_creation_one_at_a_time(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(0.5)
    assert list(pods(c)) == ["db-0"]
    seen = []
    for _ in range(40):
        c.advance(0.5)
        names = sorted(pods(c))
        # a new ordinal appears only once every lower one is Running and Ready
        highest = max(int(n.rsplit("-", 1)[1]) for n in names)
        assert all(stsc.is_running_and_ready(pods(c)[f"db-{i}"]) for i in range(highest))
        if not seen or seen[-1] != names:
            seen.append(names)
    assert seen == [["db-0"], ["db-0", "db-1"], ["db-0", "db-1", "db-2"]]
    assert running(c) == ["db-0", "db-1", "db-2"]
    p = pods(c)["db-1"]
    labels = p["metadata"]["labels"]
    assert labels["app"] == "db" and labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    assert labels["controller-revision-hash"] == status(c)["updateRevision"].split("db-", 1)[1]
    assert p["spec"]["hostname"] == "db-1" and p["spec"]["subdomain"] == "db"
    assert p["spec"]["volumes"][0] == {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}}
    st = status(c)
    assert {k: st[k] for k in ("replicas", "readyReplicas", "availableReplicas", "currentReplicas",
                                "updatedReplicas", "observedGeneration")} == {
        "replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3,
        "observedGeneration": 1}
    assert st["currentRevision"] == st["updateRevision"]
    assert events(c, "SuccessfulCreate") == [
        "create Claim data-db-0 Pod db-0 in StatefulSet db success", "create Pod db-0 in StatefulSet db successful",
        "create Claim data-db-1 Pod db-1 in StatefulSet db success", "create Pod db-1 in StatefulSet db successful",
        "create Claim data-db-2 Pod db-2 in StatefulSet db success", "create Pod db-2 in StatefulSet db successful"]


def test_ordered_creation_waits_for_readiness(cluster):
    c = cluster
    sts = statefulset(claims=False)
    container = sts["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"containerPort": 5432}]
    container["readinessProbe"] = {"tcpSocket": {"port": 9999}, "periodSeconds": 1}  # never answers
    c.api.create("statefulsets", sts, NS)
    c.advance(30)
    assert list(pods(c)) == ["db-0"]
    assert pods(c)["db-0"]["status"]["phase"] == "Running"
    assert status(c)["readyReplicas"] == 0


def test_ordered_scale_down_from_highest(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(replicas=4), NS)
    c.advance(30)
    assert running(c) == ["db-0", "db-1", "db-2", "db-3"]
    scale(c, 1)
    c.advance(0.1)
    assert pods(c)["db-3"]["metadata"].get("deletionTimestamp")
    assert not pods(c)["db-2"]["metadata"].get("deletionTimestamp")  # waits for db-3 to be gone
    c.advance(60)
    assert sorted(pods(c)) == ["db-0"]
    assert events(c, "SuccessfulDelete") == [f"delete Pod db-{i} in StatefulSet db successful" for i in (3, 2, 1)]
    # claims are never deleted by scale-down (Retain)
    claims = sorted(x["metadata"]["name"] for x in c.api.list("persistentvolumeclaims", NS)[0])
    assert claims == ["data-db-0", "data-db-1", "data-db-2", "data-db-3"]
    scale(c, 3)
    c.advance(30)
    assert running(c) == ["db-0", "db-1", "db-2"]
    assert not any("Claim" in m for m in events(c, "SuccessfulCreate")[8:])  # old claims re-used


def test_parallel_creates_and_deletes_all_at_once(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(policy="Parallel", claims=False), NS)
    c.advance(0.1)
    assert sorted(pods(c)) == ["db-0", "db-1", "db-2"]
    c.advance(20)
    scale(c, 0)
    c.advance(0.1)
    assert all(p["metadata"].get("deletionTimestamp") for p in pods(c).values())
    c.advance(60)
    assert pods(c) == {}


def test_claim_survives_pod_deletion_and_is_reattached(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(30)
    old = pods(c)["db-1"]
    claim_uid = c.api.get("persistentvolumeclaims", "data-db-1", NS)["metadata"]["uid"]
    c.api.delete("pods", "db-1", NS)
    c.advance(60)
    new = pods(c)["db-1"]
    assert new["metadata"]["uid"] != old["metadata"]["uid"]
    assert new["status"]["phase"] == "Running"
    assert new["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-db-1"
    claim = c.api.get("persistentvolumeclaims", "data-db-1", NS)
    assert claim["metadata"]["uid"] == claim_uid and claim["status"]["phase"] == "Bound"
    assert new["spec"]["nodeName"] == old["spec"]["nodeName"]  # the hostpath volume pins it


def test_dns_names_through_headless_service(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(30)
    for name, p in pods(c).items():
        records = c.dns.lookup(f"{name}.db.{NS}.svc.cluster.local")
        assert [r.value for r in records] == [p["status"]["podIP"]]
    ep = c.api.get("endpoints", "db", NS)
    assert sorted(a["hostname"] for a in ep["subsets"][0]["addresses"]) == ["db-0", "db-1", "db-2"]


def test_rolling_update_from_highest_ordinal_with_partition(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(30)
    first = status(c)["currentRevision"]
    set_image(c, "postgres:17", partition=1)
    order = []
    for _ in range(120):
        c.advance(0.5)
        terminating = [n for n, p in pods(c).items() if p["metadata"].get("deletionTimestamp")]
        assert len(terminating) <= 1  # one pod at a time
        for n, p in pods(c).items():
            if image_of(p) == "postgres:17" and n not in order:
                order.append(n)
    assert order == ["db-2", "db-1"]
    assert image_of(pods(c)["db-0"]) == "postgres:16"  # below the partition
    st = status(c)
    assert st["updatedReplicas"] == 2 and st["currentReplicas"] == 1
    assert st["currentRevision"] == first and st["updateRevision"] != first
    assert len(c.api.list("controllerrevisions", NS)[0]) == 2
    # partition 0 finishes the rollout; the current revision then becomes the update revision
    sts = copy.deepcopy(c.api.get("statefulsets", "db", NS))
    sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 0
    c.api.update("statefulsets", sts, NS)
    c.advance(60)
    assert all(image_of(p) == "postgres:17" for p in pods(c).values())
    st = status(c)
    assert st["currentRevision"] == st["updateRevision"] and st["currentReplicas"] == st["updatedReplicas"] == 3
    assert events(c, "SuccessfulDelete") == [f"delete Pod db-{i} in StatefulSet db successful" for i in (2, 1, 0)]


def test_on_delete_updates_only_deleted_pods(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(strategy={"type": "OnDelete"}, claims=False), NS)
    c.advance(30)
    set_image(c, "postgres:17")
    c.advance(60)
    assert {image_of(p) for p in pods(c).values()} == {"postgres:16"}
    assert status(c)["updatedReplicas"] == 0
    c.api.delete("pods", "db-0", NS)
    c.advance(60)
    assert image_of(pods(c)["db-0"]) == "postgres:17"
    assert image_of(pods(c)["db-2"]) == "postgres:16"
    assert status(c)["updatedReplicas"] == 1 and status(c)["currentReplicas"] == 2


def test_dead_node_pod_stays_terminating_until_force_deleted(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(30)
    victim = pods(c)["db-1"]
    node = victim["spec"]["nodeName"]
    pv_name = c.api.get("persistentvolumeclaims", "data-db-1", NS)["spec"]["volumeName"]
    c.kill_node(node)
    c.advance(600)
    p = pods(c)["db-1"]
    assert p["metadata"]["uid"] == victim["metadata"]["uid"]  # no replacement with the same name
    assert p["metadata"].get("deletionTimestamp")
    assert events(c, "SuccessfulCreate").count("create Pod db-1 in StatefulSet db successful") == 1
    c.api.delete("pods", "db-1", NS, grace_period_seconds=0)
    c.advance(30)
    new = pods(c)["db-1"]
    assert new["metadata"]["uid"] != victim["metadata"]["uid"]
    assert new["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-db-1"
    assert c.api.get("persistentvolumeclaims", "data-db-1", NS)["spec"]["volumeName"] == pv_name
    # the hostpath PV is pinned to the dead node: upstream leaves the pod Pending
    assert new["status"]["phase"] == "Pending" and not new["spec"].get("nodeName")
    cond = next(x for x in new["status"]["conditions"] if x["type"] == "PodScheduled")
    assert cond["reason"] == "Unschedulable" and "volume node affinity conflict" in cond["message"]


def test_failed_create_is_reported(cluster):
    c = cluster
    c.api.create("resourcequotas", {"apiVersion": "v1", "kind": "ResourceQuota",
                                    "metadata": {"name": "q", "namespace": NS}, "spec": {"hard": {"pods": "1"}}}, NS)
    c.advance(1)
    c.api.create("statefulsets", statefulset(policy="Parallel", claims=False), NS)
    c.advance(5)
    assert sorted(pods(c)) == ["db-0"]
    assert any(m.startswith("create Pod db-1 in StatefulSet db failed error:") for m in events(c, "FailedCreate"))


def claims(c):
    return {x["metadata"]["name"]: x for x in c.api.list("persistentvolumeclaims", NS)[0]}


def owners(claim):
    return [(r["kind"], r["name"], r.get("controller")) for r in claim["metadata"].get("ownerReferences") or ()]


def with_retention(when_deleted, when_scaled, **kw):
    sts = statefulset(**kw)
    sts["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": when_deleted, "whenScaled": when_scaled}
    return sts


def test_retention_policy_defaults_to_retain(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    policy = c.api.get("statefulsets", "db", NS)["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    c.advance(30)
    assert all(owners(x) == [] for x in claims(c).values())


def test_retention_policy_rejects_unknown_values(cluster):
    from kubetui.engine.api.errors import ApiError
    sts = with_retention("Keep", "Delete")
    with pytest.raises(ApiError) as err:
        cluster.api.create("statefulsets", sts, NS)
    assert err.value.code == 422
    assert 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep"' in str(err.value)


def test_when_scaled_delete_removes_claims_of_condemned_ordinals(cluster):
    c = cluster
    c.api.create("statefulsets", with_retention("Retain", "Delete"), NS)
    c.advance(30)
    assert all(owners(x) == [] for x in claims(c).values())  # live ordinals: no owner
    scale(c, 1)
    c.advance(0.1)
    # every condemned ordinal's claim is handed to its pod before the first pod goes
    pod_uid = pods(c)["db-2"]["metadata"]["uid"]
    ref = claims(c)["data-db-2"]["metadata"]["ownerReferences"]
    assert ref == [{"apiVersion": "v1", "kind": "Pod", "name": "db-2", "uid": pod_uid, "controller": True,
                    "blockOwnerDeletion": True}]
    assert owners(claims(c)["data-db-1"]) == [("Pod", "db-1", True)]
    c.advance(60)
    assert sorted(pods(c)) == ["db-0"]
    assert sorted(claims(c)) == ["data-db-0"]  # the garbage collector deleted the others
    scale(c, 3)
    c.advance(30)
    assert running(c) == ["db-0", "db-1", "db-2"]
    assert sorted(claims(c)) == ["data-db-0", "data-db-1", "data-db-2"]
    assert all(owners(x) == [] for x in claims(c).values())
    assert events(c, "SuccessfulCreate").count("create Claim data-db-1 Pod db-1 in StatefulSet db success") == 2


def test_when_deleted_delete_claims_owned_by_the_set(cluster):
    c = cluster
    c.api.create("statefulsets", with_retention("Delete", "Retain"), NS)
    c.advance(30)
    uid = c.api.get("statefulsets", "db", NS)["metadata"]["uid"]
    for claim in claims(c).values():
        assert [(r["kind"], r["name"], r["uid"], r["controller"]) for r in claim["metadata"]["ownerReferences"]] == [
            ("StatefulSet", "db", uid, True)]
    scale(c, 2)
    c.advance(30)
    assert sorted(claims(c)) == ["data-db-0", "data-db-1", "data-db-2"]  # scale-down retains
    c.api.delete("statefulsets", "db", NS)
    c.advance(60)
    assert pods(c) == {} and claims(c) == {}


def test_delete_delete_moves_ownership_between_set_and_pod(cluster):
    c = cluster
    c.api.create("statefulsets", with_retention("Delete", "Delete"), NS)
    c.advance(30)
    assert {n: owners(x) for n, x in claims(c).items()} == {
        f"data-db-{i}": [("StatefulSet", "db", True)] for i in range(3)}
    scale(c, 2)
    c.advance(0.1)
    assert owners(claims(c)["data-db-2"]) == [("Pod", "db-2", True)]
    assert owners(claims(c)["data-db-1"]) == [("StatefulSet", "db", True)]
    c.advance(60)
    assert sorted(claims(c)) == ["data-db-0", "data-db-1"]


def test_changing_the_policy_updates_claim_owners(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(), NS)
    c.advance(30)
    sts = copy.deepcopy(c.api.get("statefulsets", "db", NS))
    sts["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete", "whenScaled": "Retain"}
    c.api.update("statefulsets", sts, NS)
    c.advance(1)
    assert all(owners(x) == [("StatefulSet", "db", True)] for x in claims(c).values())
    # UpdateStatefulPod writes each pod whose claims it fixed
    assert events(c, "SuccessfulUpdate") == [f"update Pod db-{i} in StatefulSet db successful" for i in range(3)]
    sts = copy.deepcopy(c.api.get("statefulsets", "db", NS))
    sts["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}
    c.api.update("statefulsets", sts, NS)
    c.advance(1)
    assert all(owners(x) == [] for x in claims(c).values())
    c.api.delete("statefulsets", "db", NS)
    c.advance(60)
    assert sorted(claims(c)) == ["data-db-0", "data-db-1", "data-db-2"]


def test_foreign_controller_keeps_claim_untouched(cluster):
    c = cluster
    c.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keeper", "namespace": NS}}, NS)
    cm = c.api.get("configmaps", "keeper", NS)
    c.api.create("persistentvolumeclaims", {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-db-0", "namespace": NS, "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "keeper", "uid": cm["metadata"]["uid"], "controller": True}]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, NS)
    c.api.create("statefulsets", with_retention("Delete", "Retain", replicas=1), NS)
    c.advance(30)
    assert running(c) == ["db-0"]
    assert owners(claims(c)["data-db-0"]) == [("ConfigMap", "keeper", True)]
    assert any("has a conflicting OwnerReference that acts as a manging controller" in m
               for m in events(c, "FailedUpdate"))


def test_pure_claim_owner_rules():
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": NS, "uid": "s1"},
           "spec": {"replicas": 2, "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete",
                                                                          "whenScaled": "Delete"}}}
    live = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db-1", "uid": "p1"}}
    condemned = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db-2", "uid": "p2"}}
    bare = {"metadata": {"name": "data-db-1"}}
    assert not stsc.claim_owners_up_to_date(bare, sts, live)
    assert [r["uid"] for r in stsc.claim_owner_refs(bare, sts, live)] == ["s1"]
    assert [r["uid"] for r in stsc.claim_owner_refs(bare, sts, condemned)] == ["p2"]
    owned = {"metadata": {"name": "data-db-2", "ownerReferences": stsc.claim_owner_refs(bare, sts, condemned)}}
    assert stsc.claim_owners_up_to_date(owned, sts, condemned)
    # a plain (non-controller) reference from an older controller is rewritten
    plain = {"metadata": {"name": "data-db-1", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": "s1"}]}}
    assert not stsc.claim_owners_up_to_date(plain, sts, live)
    # a reference to an earlier pod of the ordinal is stale: left for the garbage collector
    stale = {"metadata": {"name": "data-db-2", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Pod", "name": "db-2", "uid": "old", "controller": True}]}}
    assert stsc.claim_owners_up_to_date(stale, sts, condemned)


def test_identity_labels_are_repaired_in_place(cluster):
    c = cluster
    c.api.create("statefulsets", statefulset(claims=False), NS)
    c.advance(30)
    before = pods(c)["db-1"]
    c.api.patch("pods", "db-1", {"metadata": {"labels": {"statefulset.kubernetes.io/pod-name": None,
                                                         "apps.kubernetes.io/pod-index": None}}}, "merge", NS)
    c.advance(1)
    after = pods(c)["db-1"]
    assert after["metadata"]["uid"] == before["metadata"]["uid"]  # updated, not recreated
    assert after["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert after["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"
    assert events(c, "SuccessfulUpdate") == ["update Pod db-1 in StatefulSet db successful"]


def test_identity_and_storage_checks():
    sts = statefulset()
    sts["metadata"]["uid"] = "s1"
    pod = stsc.new_pod(sts, sts["spec"]["template"], "abc", 2)
    pod["metadata"]["namespace"] = NS
    assert stsc.identity_matches(sts, pod) and stsc.storage_matches(sts, pod)
    assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "2"
    unlabelled = {**pod, "metadata": {**pod["metadata"], "labels": {"app": "db"}}}
    assert not stsc.identity_matches(sts, unlabelled)
    assert stsc.identity_matches(sts, stsc.with_identity(sts, unlabelled))
    local = {**pod, "spec": {**pod["spec"], "volumes": [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]}}
    assert not stsc.storage_matches(sts, local)
    fixed = stsc.with_storage(sts, local)
    assert fixed["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-2"}},
                                        {"name": "tmp", "emptyDir": {}}]


def test_scale_up_during_scale_down_gets_a_fresh_claim(cluster):
    c = cluster
    c.api.create("statefulsets", with_retention("Retain", "Delete"), NS)
    c.advance(30)
    old_claim = claims(c)["data-db-2"]["metadata"]["uid"]
    scale(c, 2)
    c.advance(0.1)
    assert pods(c)["db-2"]["metadata"].get("deletionTimestamp")
    scale(c, 3)  # back up while db-2 terminates: its claim already belongs to the old pod
    seen_pod_with_old_claim = False
    for _ in range(120):
        c.advance(0.5)
        p, claim = pods(c).get("db-2"), claims(c).get("data-db-2")
        if p is not None and not p["metadata"].get("deletionTimestamp") and claim is not None:
            seen_pod_with_old_claim |= claim["metadata"]["uid"] == old_claim
    assert not seen_pod_with_old_claim
    assert running(c) == ["db-0", "db-1", "db-2"]
    new_claim = claims(c)["data-db-2"]
    assert new_claim["metadata"]["uid"] != old_claim and owners(new_claim) == []
