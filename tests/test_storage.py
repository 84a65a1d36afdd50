"""Persistent storage: the PV controller's binding and reclaim, dynamic provisioning, protection finalizers,
and the scheduler's VolumeBinding."""

import copy

import pytest

from kubetui.engine import volumes as V
from kubetui.engine.cluster import CONTROLLERS, Cluster, NodeConfig
from kubetui.engine.controllers.persistentvolume import RESYNC_PERIOD, PersistentVolumeController
from kubetui.engine.controllers.provisioner import PROVISIONER, HostPathProvisioner, default_storage_class
from kubetui.engine.controllers.pvcprotection import PVCProtectionController
from kubetui.engine.controllers.pvprotection import PVProtectionController
from kubetui.engine.scheduler.volumebinding import BIND_TIMEOUT_SECONDS

NOT_HELPFUL = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


def cluster(seed=1):
    """Two nodes and no StorageClass: each test sets up the classes it is about."""
    c = Cluster(nodes=[NodeConfig("n1"), NodeConfig("n2")], profile="fast", seed=seed)
    c.api.delete("storageclasses", "standard")
    c.run_until_idle()
    return c


def test_every_cluster_has_the_default_class_and_provisions_a_claim_for_its_pod():
    c = Cluster(nodes=[NodeConfig("n1")], profile="fast", seed=1)
    assert {PersistentVolumeController, PVCProtectionController, PVProtectionController, HostPathProvisioner} <= \
        set(CONTROLLERS)
    standard = c.api.get("storageclasses", "standard")
    assert standard["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi"), "default")
    c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"},
                          "spec": {"containers": [{"name": "db", "image": "postgres:16"}],
                                   "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}},
                 "default")
    c.advance(20)
    assert c.api.get("persistentvolumeclaims", "data", "default")["spec"]["storageClassName"] == "standard"
    assert c.api.get("persistentvolumeclaims", "data", "default")["status"]["phase"] == "Bound"
    assert c.api.get("pods", "db", "default")["status"]["phase"] == "Running"


def pv(name, size, modes=("ReadWriteOnce",), cls="", path=None, **spec):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "accessModes": list(modes), "storageClassName": cls,
                     "hostPath": {"path": path or f"/data/{name}"}, **spec}}


def pvc(name, size, cls=None, modes=("ReadWriteOnce",), **spec):
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
             "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec}}
    if cls is not None:
        claim["spec"]["storageClassName"] = cls
    return claim


def pod(name, *claims, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx"}],
                     "volumes": [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                                 for i, c in enumerate(claims)], **spec}}


def storage_class(name, mode="Immediate", provisioner=PROVISIONER, **fields):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": provisioner, "volumeBindingMode": mode, **fields}


def local_pv(name, size, node, cls="local"):
    affinity = {"required": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
    return pv(name, size, cls=cls, nodeAffinity=affinity)


def events(c, name):
    """(type, reason, message, count) of an object's events, oldest first."""
    found = [e for e in c.api.list("events", "default")[0] if e["involvedObject"]["name"] == name]
    found.sort(key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))
    return [(e["type"], e["reason"], e["message"], e.get("count", 1)) for e in found]


def claim(c, name):
    return c.api.get("persistentvolumeclaims", name, "default")


def volume(c, name):
    return c.api.try_get("persistentvolumes", name)


def scheduled_message(c, name):
    return next(cond["message"] for cond in c.api.get("pods", name, "default")["status"]["conditions"]
                if cond["type"] == "PodScheduled")


# -- static binding ------------------------------------------------------------------------------------


def test_a_claim_binds_the_smallest_available_volume_that_fits():
    c = cluster()
    for name, size in (("big", "10Gi"), ("tiny", "1Gi"), ("mid", "5Gi")):
        c.api.create("persistentvolumes", pv(name, size))
    c.api.create("persistentvolumes", pv("other-class", "3Gi", cls="gold"))
    c.api.create("persistentvolumes", pv("read-only", "3Gi", modes=("ReadOnlyMany",)))
    c.run_until_idle()
    assert {p["metadata"]["name"]: p["status"]["phase"] for p in c.api.list("persistentvolumes")[0]} == dict.fromkeys(
        ("big", "mid", "other-class", "read-only", "tiny"), "Available")
    c.api.create("persistentvolumeclaims", pvc("data", "2Gi", cls=""))
    c.run_until_idle()

    bound = claim(c, "data")
    assert bound["spec"]["volumeName"] == "mid"
    assert bound["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"}}
    assert bound["metadata"]["annotations"] == {V.ANN_BOUND_BY_CONTROLLER: "yes", V.ANN_BIND_COMPLETED: "yes"}
    mid = volume(c, "mid")
    assert mid["status"]["phase"] == "Bound"
    assert mid["spec"]["claimRef"] == {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data",
                                       "uid": bound["metadata"]["uid"], "apiVersion": "v1",
                                       "resourceVersion": mid["spec"]["claimRef"]["resourceVersion"]}
    assert mid["metadata"]["annotations"] == {V.ANN_BOUND_BY_CONTROLLER: "yes"}
    assert [volume(c, n)["status"]["phase"] for n in ("big", "tiny")] == ["Available", "Available"]
    assert events(c, "data") == []  # binding itself is silent


def test_find_best_match_prefers_the_fewest_access_modes_then_the_smallest_size():
    def available(name, size, modes, **meta):
        return {"metadata": {"name": name, **meta}, "status": {"phase": "Available"},
                "spec": {"capacity": {"storage": size}, "accessModes": list(modes), "volumeMode": "Filesystem"}}

    want = {"metadata": {"name": "c", "namespace": "ns", "uid": "u1"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    shared = available("shared", "2Gi", ("ReadWriteOnce", "ReadWriteMany"))
    exclusive = available("exclusive", "8Gi", ("ReadWriteOnce",))
    assert V.find_best_match(want, [shared, exclusive], False) is exclusive
    assert V.find_best_match(want, [shared], False) is shared

    labelled = available("labelled", "4Gi", ("ReadWriteOnce",), labels={"tier": "ssd"})
    picky = copy.deepcopy(want)
    picky["spec"]["selector"] = {"matchLabels": {"tier": "ssd"}}
    assert V.find_best_match(picky, [exclusive, labelled], False) is labelled
    block = copy.deepcopy(want)
    block["spec"]["volumeMode"] = "Block"
    assert V.find_best_match(block, [exclusive, labelled], False) is None
    # a volume pre-bound to the claim wins whatever its size, even when binding waits for a consumer
    reserved = available("reserved", "50Gi", ("ReadWriteOnce",))
    reserved["spec"]["claimRef"] = {"namespace": "ns", "name": "c"}
    assert V.find_best_match(want, [exclusive, reserved], False) is reserved
    assert V.find_best_match(want, [exclusive, reserved], True) is reserved
    assert V.find_best_match(want, [exclusive], True) is None


def test_a_claim_nothing_matches_stays_pending_and_says_so_every_resync():
    c = cluster()
    c.api.create("persistentvolumes", pv("small", "1Gi"))
    c.api.create("persistentvolumeclaims", pvc("huge", "20Gi", cls=""))
    c.advance(1)
    assert claim(c, "huge")["status"] == {"phase": "Pending"}
    message = "no persistent volumes available for this claim and no storage class is set"
    assert events(c, "huge") == [("Normal", "FailedBinding", message, 1)]
    c.advance(RESYNC_PERIOD)
    assert events(c, "huge") == [("Normal", "FailedBinding", message, 2)]

    c.api.create("persistentvolumes", pv("roomy", "50Gi"))  # a new volume is picked up when the claim syncs again
    c.advance(RESYNC_PERIOD)
    assert claim(c, "huge")["spec"]["volumeName"] == "roomy"


def test_a_claim_naming_a_volume_that_does_not_fit_reports_the_mismatch():
    c = cluster()
    c.api.create("persistentvolumes", pv("small", "1Gi"))
    c.run_until_idle()
    c.api.create("persistentvolumeclaims", pvc("data", "2Gi", cls="", volumeName="small"))
    c.advance(1)
    assert claim(c, "data")["status"]["phase"] == "Pending"
    assert events(c, "data") == [("Warning", "VolumeMismatch",
                                  'Cannot bind to requested volume "small": requested PV is too small', 1)]


def test_a_volume_reserved_for_a_claim_binds_only_to_it():
    c = cluster()
    c.api.create("persistentvolumes", pv("reserved", "1Gi", claimRef={"namespace": "default", "name": "owner"}))
    c.run_until_idle()
    assert volume(c, "reserved")["status"]["phase"] == "Available"
    c.api.create("persistentvolumeclaims", pvc("stranger", "1Gi", cls=""))
    c.advance(1)
    assert claim(c, "stranger")["status"]["phase"] == "Pending"
    c.api.create("persistentvolumeclaims", pvc("owner", "1Gi", cls=""))
    c.advance(1)
    owner = claim(c, "owner")
    assert owner["spec"]["volumeName"] == "reserved"
    assert V.annotations(volume(c, "reserved")) == {}  # bound as the user asked, not by the controller
    assert volume(c, "reserved")["spec"]["claimRef"]["uid"] == owner["metadata"]["uid"]


# -- admission --------------------------------------------------------------------------------------------


def test_admission_gives_claims_the_default_class_and_protection_finalizers():
    c = cluster()
    before = c.api.create("persistentvolumeclaims", pvc("early", "1Gi"))
    assert "storageClassName" not in before["spec"]
    c.api.create("storageclasses", default_storage_class())
    assert c.api.create("persistentvolumeclaims", pvc("late", "1Gi"))["spec"]["storageClassName"] == "standard"
    explicit = c.api.create("persistentvolumeclaims", pvc("none", "1Gi", cls=""))
    assert explicit["spec"]["storageClassName"] == ""
    assert explicit["metadata"]["finalizers"] == [V.PVC_PROTECTION_FINALIZER]
    created = c.api.create("persistentvolumes", pv("v", "1Gi"))
    assert created["metadata"]["finalizers"] == [V.PV_PROTECTION_FINALIZER]
    assert created["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert created["status"]["phase"] == "Pending"
    sc = c.api.get("storageclasses", "standard")
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "WaitForFirstConsumer")


# -- dynamic provisioning -----------------------------------------------------------------------------


def test_an_immediate_class_provisions_a_volume_at_once():
    c = cluster()
    c.api.create("storageclasses", storage_class("fast"))
    created = c.api.create("persistentvolumeclaims", pvc("data", "3Gi", cls="fast"))
    uid = created["metadata"]["uid"]
    c.advance(0.5)
    assert claim(c, "data")["status"]["phase"] == "Pending"
    assert claim(c, "data")["metadata"]["annotations"] == {V.ANN_BETA_STORAGE_PROVISIONER: PROVISIONER,
                                                           V.ANN_STORAGE_PROVISIONER: PROVISIONER}
    c.advance(c.profile.volume_provision_seconds)
    bound = claim(c, "data")
    assert bound["spec"]["volumeName"] == f"pvc-{uid}"
    assert bound["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "3Gi"}}
    made = volume(c, f"pvc-{uid}")
    assert made["metadata"]["annotations"] == {V.ANN_DYNAMICALLY_PROVISIONED: PROVISIONER}
    assert made["status"]["phase"] == "Bound"
    spec = made["spec"]
    assert (spec["storageClassName"], spec["persistentVolumeReclaimPolicy"], spec["capacity"]) == (
        "fast", "Delete", {"storage": "3Gi"})
    assert spec["claimRef"]["uid"] == uid and "nodeAffinity" not in spec
    reasons = [e[1] for e in events(c, "data")]
    assert reasons[0] == "ExternalProvisioning" and reasons[-2:] == ["Provisioning", "ProvisioningSucceeded"]
    assert events(c, "data")[-1][2] == f"Successfully provisioned volume pvc-{uid}"


def test_wait_for_first_consumer_provisions_on_the_node_the_scheduler_picks():
    c = cluster()
    c.api.create("storageclasses", default_storage_class())
    created = c.api.create("persistentvolumeclaims", pvc("data", "2Gi"))
    c.advance(20)
    assert claim(c, "data")["status"]["phase"] == "Pending"
    assert c.api.list("persistentvolumes")[0] == []
    assert events(c, "data") == [("Normal", "WaitForFirstConsumer",
                                  "waiting for first consumer to be created before binding", 2)]

    c.api.create("pods", pod("web", "data"))
    c.advance(0.5)
    waiting = c.api.get("pods", "web", "default")
    assert not waiting["spec"].get("nodeName")  # PreBind holds the pod until its claim is bound
    node = V.annotations(claim(c, "data"))[V.ANN_SELECTED_NODE]
    assert node in ("n1", "n2")
    c.run_until_idle()

    running = c.api.get("pods", "web", "default")
    assert (running["spec"]["nodeName"], running["status"]["phase"]) == (node, "Running")
    name = f"pvc-{created['metadata']['uid']}"
    assert claim(c, "data")["spec"]["volumeName"] == name
    made = volume(c, name)
    assert made["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]
    assert made["spec"]["hostPath"] == {"path": f"/var/lib/kubetui/hostpath/{name}_default_data",
                                        "type": "DirectoryOrCreate"}
    claim_times = {e["reason"]: e["firstTimestamp"] for e in c.api.list("events", "default")[0]
                   if e["involvedObject"]["name"] in ("data", "web")}
    assert claim_times["ProvisioningSucceeded"] == claim_times["Scheduled"]  # bound at the next 1 s poll
    assert [e[1] for e in events(c, "web")][:1] == ["Scheduled"]


def test_a_pod_of_a_provisioned_local_volume_returns_to_its_node():
    c = cluster()
    c.api.create("storageclasses", default_storage_class())
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi"))
    c.api.create("pods", pod("first", "data"))
    c.run_until_idle()
    node = c.api.get("pods", "first", "default")["spec"]["nodeName"]
    other = "n2" if node == "n1" else "n1"
    c.api.delete("pods", "first", "default")
    c.run_until_idle()
    c.api.create("pods", pod("second", "data", nodeSelector={"kubernetes.io/hostname": other}))
    c.advance(1)
    assert scheduled_message(c, "second") == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) had volume node affinity conflict. " + NOT_HELPFUL)


# -- the scheduler ------------------------------------------------------------------------------------


def test_a_pod_whose_claim_is_missing_or_unbound_stays_pending():
    c = cluster()
    c.api.create("pods", pod("orphan", "missing"))
    c.api.create("persistentvolumeclaims", pvc("nothing-yet", "1Gi", cls=""))
    c.api.create("pods", pod("early", "nothing-yet"))
    c.advance(5)
    assert scheduled_message(c, "orphan") == (
        '0/3 nodes are available: persistentvolumeclaim "missing" not found. ' + NOT_HELPFUL)
    assert events(c, "orphan")[0][:2] == ("Warning", "FailedScheduling")
    assert scheduled_message(c, "early") == (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. " + NOT_HELPFUL)

    c.api.create("persistentvolumeclaims", pvc("missing", "1Gi", cls=""))
    c.api.create("persistentvolumes", pv("a", "1Gi"))
    c.api.create("persistentvolumes", pv("b", "1Gi"))
    c.run_until_idle()  # the claims bind, and their updates send the pods back to the active queue
    assert c.api.get("pods", "orphan", "default")["status"]["phase"] == "Running"
    assert c.api.get("pods", "early", "default")["status"]["phase"] == "Running"


def test_wait_for_first_consumer_binds_a_local_volume_on_its_node():
    c = cluster()
    c.api.create("storageclasses", storage_class("local", "WaitForFirstConsumer", V.NOT_SUPPORTED_PROVISIONER))
    c.api.create("persistentvolumes", local_pv("disk-n2", "10Gi", "n2"))
    c.api.create("persistentvolumes", local_pv("disk-n1", "1Gi", "n1"))
    c.api.create("persistentvolumeclaims", pvc("data", "5Gi", cls="local"))
    c.run_until_idle()
    assert claim(c, "data")["status"]["phase"] == "Pending"  # the PV controller leaves it to the scheduler
    assert volume(c, "disk-n2")["status"]["phase"] == "Available"

    c.api.create("pods", pod("db", "data"))
    c.run_until_idle()
    db = c.api.get("pods", "db", "default")
    assert (db["spec"]["nodeName"], db["status"]["phase"]) == ("n2", "Running")
    assert claim(c, "data")["spec"]["volumeName"] == "disk-n2"
    assert volume(c, "disk-n2")["metadata"]["annotations"] == {V.ANN_BOUND_BY_CONTROLLER: "yes"}  # by the scheduler

    c.api.create("persistentvolumeclaims", pvc("more", "5Gi", cls="local"))
    c.api.create("pods", pod("db2", "more"))
    c.advance(2)
    assert scheduled_message(c, "db2") == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't find available persistent volumes to bind. " + NOT_HELPFUL)


def test_each_claim_of_a_pod_gets_its_own_local_volume_on_one_node():
    c = cluster()
    c.api.create("storageclasses", storage_class("local", "WaitForFirstConsumer", V.NOT_SUPPORTED_PROVISIONER))
    for name, size, node in (("n1-big", "5Gi", "n1"), ("n1-small", "3Gi", "n1"), ("n2-huge", "10Gi", "n2")):
        c.api.create("persistentvolumes", local_pv(name, size, node))
    c.api.create("persistentvolumeclaims", pvc("logs", "2Gi", cls="local"))
    c.api.create("persistentvolumeclaims", pvc("cache", "1Gi", cls="local"))
    c.api.create("pods", pod("app", "logs", "cache"))
    c.run_until_idle()
    assert c.api.get("pods", "app", "default")["spec"]["nodeName"] == "n1"  # n2 has one volume for two claims
    assert (claim(c, "cache")["spec"]["volumeName"], claim(c, "logs")["spec"]["volumeName"]) == ("n1-small", "n1-big")
    assert volume(c, "n2-huge")["status"]["phase"] == "Available"


def test_a_pod_waiting_for_provisioning_gives_up_after_the_bind_timeout():
    c = cluster()
    c.api.create("storageclasses", storage_class("remote", "WaitForFirstConsumer", "ebs.csi.aws.com"))
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls="remote"))
    c.api.create("pods", pod("web", "data"))
    c.advance(BIND_TIMEOUT_SECONDS + 1)
    failed = [e for e in events(c, "web") if e[1] == "FailedScheduling"]
    assert failed[0][:3] == ("Warning", "FailedScheduling",
                             'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded')
    assert ("Normal", "ExternalProvisioning") in {e[:2] for e in events(c, "data")}
    assert not c.api.get("pods", "web", "default")["spec"].get("nodeName")


def test_a_pod_deleted_while_its_volumes_bind_frees_its_node():
    c = cluster()
    c.api.create("storageclasses", default_storage_class())
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi"))
    c.api.create("pods", pod("web", "data"))
    c.advance(0.5)
    assert c.scheduler.table.pod_node["default/web"].assumed
    c.api.delete("pods", "web", "default")
    assert "default/web" not in c.scheduler.table.pod_node
    c.run_until_idle()
    assert claim(c, "data")["status"]["phase"] == "Bound"  # the provisioning it started still completes


# -- reclaim ------------------------------------------------------------------------------------------


def bound_static(c, reclaim, path=None):
    c.api.create("persistentvolumes", pv("vol", "1Gi", path=path, persistentVolumeReclaimPolicy=reclaim))
    c.run_until_idle()
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls=""))
    c.run_until_idle()
    assert volume(c, "vol")["status"]["phase"] == "Bound"


def test_retain_keeps_a_released_volume_and_its_claim_ref():
    c = cluster()
    bound_static(c, "Retain")
    uid = claim(c, "data")["metadata"]["uid"]
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.run_until_idle()
    kept = volume(c, "vol")
    assert kept["status"]["phase"] == "Released"
    assert kept["spec"]["claimRef"]["uid"] == uid
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls=""))
    c.advance(RESYNC_PERIOD + 1)
    assert claim(c, "data")["status"]["phase"] == "Pending"  # a Released volume is not bound again


def test_delete_removes_a_provisioned_volume_through_its_provisioner():
    c = cluster()
    c.api.create("storageclasses", storage_class("fast"))
    created = c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls="fast"))
    c.run_until_idle()
    name = f"pvc-{created['metadata']['uid']}"
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.advance(0.5)
    assert volume(c, name)["status"]["phase"] == "Released"
    c.advance(c.profile.volume_provision_seconds)
    assert volume(c, name) is None


def test_delete_of_a_static_host_path_volume_only_works_under_tmp():
    c = cluster()
    bound_static(c, "Delete")
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.run_until_idle()
    failed = volume(c, "vol")
    message = "host_path deleter only supports /tmp/.+ but received provided /data/vol"
    assert (failed["status"]["phase"], failed["status"]["message"]) == ("Failed", message)
    assert events(c, "vol") == [("Warning", "VolumeFailedDelete", message, 1)]

    c2 = cluster()
    bound_static(c2, "Delete", path="/tmp/scratch")
    c2.api.delete("persistentvolumeclaims", "data", "default")
    c2.run_until_idle()
    assert volume(c2, "vol") is None


def test_recycle_scrubs_a_released_volume_and_makes_it_available_again():
    c = cluster()
    bound_static(c, "Recycle")
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.run_until_idle()
    recycled = volume(c, "vol")
    assert recycled["status"]["phase"] == "Available" and "claimRef" not in recycled["spec"]
    assert events(c, "vol") == [("Normal", "VolumeRecycled", "Volume recycled", 1)]


# -- protection -----------------------------------------------------------------------------------------


def test_a_claim_in_use_by_a_pod_waits_for_the_pod_before_it_goes():
    c = cluster()
    c.api.create("persistentvolumes", pv("vol", "1Gi"))
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls=""))
    c.api.create("pods", pod("web", "data"))
    c.run_until_idle()
    assert c.api.get("pods", "web", "default")["status"]["phase"] == "Running"
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.advance(10)
    held = claim(c, "data")
    assert held["metadata"]["deletionTimestamp"] and held["metadata"]["finalizers"] == [V.PVC_PROTECTION_FINALIZER]
    assert held["status"]["phase"] == "Bound" and volume(c, "vol")["status"]["phase"] == "Bound"
    c.api.create("pods", pod("late", "data"))
    c.advance(2)
    assert scheduled_message(c, "late").startswith('0/3 nodes are available: persistentvolumeclaim "data" is being deleted.')

    c.api.delete("pods", "web", "default")
    c.api.delete("pods", "late", "default")
    c.run_until_idle()
    assert c.api.try_get("persistentvolumeclaims", "data", "default") is None
    assert volume(c, "vol")["status"]["phase"] == "Released"


def test_a_bound_volume_being_deleted_stays_until_it_is_released():
    c = cluster()
    bound_static(c, "Retain")
    c.api.delete("persistentvolumes", "vol")
    c.advance(5)
    held = volume(c, "vol")
    assert held["metadata"]["deletionTimestamp"] and held["status"]["phase"] == "Bound"
    c.api.delete("persistentvolumeclaims", "data", "default")
    c.run_until_idle()
    assert volume(c, "vol") is None


# -- the kubelet ----------------------------------------------------------------------------------------


def test_the_kubelet_mounts_a_claim_only_once_it_is_bound():
    c = cluster()
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls=""))
    c.api.create("pods", pod("pinned", "data", nodeName="n1"))  # bypasses the scheduler
    c.advance(130)
    pinned = c.api.get("pods", "pinned", "default")
    assert pinned["status"]["phase"] == "Pending"
    assert pinned["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert ("Warning", "FailedMount",
            "Unable to attach or mount volumes: unmounted volumes=[v0], unattached volumes=[], "
            "failed to process volumes=[v0]: context deadline exceeded", 1) in events(c, "pinned")
    c.api.create("persistentvolumes", pv("vol", "1Gi"))
    c.advance(RESYNC_PERIOD + 5)
    assert c.api.get("pods", "pinned", "default")["status"]["phase"] == "Running"


# -- determinism ----------------------------------------------------------------------------------------


def run_scenario(seed):
    c = cluster(seed)
    c.api.create("storageclasses", default_storage_class())
    c.api.create("storageclasses", storage_class("fast"))
    for i in range(3):
        c.api.create("persistentvolumeclaims", pvc(f"wffc-{i}", f"{i + 1}Gi"))
        c.api.create("pods", pod(f"app-{i}", f"wffc-{i}"))
    c.api.create("persistentvolumeclaims", pvc("imm", "1Gi", cls="fast"))
    c.run_until_idle()
    c.api.delete("persistentvolumeclaims", "imm", "default")
    c.run_until_idle()
    placed = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in c.api.list("pods", "default")[0]}
    vols = sorted((p["metadata"]["name"], p["status"]["phase"]) for p in c.api.list("persistentvolumes")[0])
    evs = [(e["involvedObject"]["name"], e["reason"], e["message"], e["firstTimestamp"], e.get("count"))
           for e in c.api.list("events", "default")[0]]
    return placed, vols, sorted(evs), c.now


def test_the_same_seed_gives_the_same_storage_history():
    first = run_scenario(3)
    assert first == run_scenario(3)
    placed, vols, _, _ = first
    assert all(placed[f"app-{i}"] in ("n1", "n2") for i in range(3))
    assert [phase for _, phase in vols] == ["Bound"] * 3


@pytest.mark.parametrize("mode", ["Immediate", "WaitForFirstConsumer"])
def test_a_class_without_a_provisioner_never_provisions(mode):
    c = cluster()
    c.api.create("storageclasses", storage_class("manual", mode, V.NOT_SUPPORTED_PROVISIONER))
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls="manual"))
    c.api.create("pods", pod("web", "data"))
    c.advance(5)
    if mode == "Immediate":
        assert events(c, "data")[0][:3] == ("Warning", "ProvisioningFailed",
                                            "no volume plugin matched name: kubernetes.io/no-provisioner")
        assert "pod has unbound immediate PersistentVolumeClaims" in scheduled_message(c, "web")
    else:
        assert events(c, "data")[0][:3] == ("Normal", "WaitForPodScheduled", "waiting for pod web to be scheduled")
        assert "2 node(s) didn't find available persistent volumes to bind" in scheduled_message(c, "web")
    assert c.api.list("persistentvolumes")[0] == []


def test_a_claim_of_a_missing_class_reports_it_on_every_resync():
    c = cluster()
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi", cls="nope"))
    c.advance(RESYNC_PERIOD + 1)
    assert events(c, "data") == [("Warning", "ProvisioningFailed", 'storageclass.storage.k8s.io "nope" not found', 2)]
    c.api.create("storageclasses", storage_class("nope"))
    c.advance(RESYNC_PERIOD + c.profile.volume_provision_seconds)
    assert claim(c, "data")["status"]["phase"] == "Bound"


def test_kubectl_get_columns_for_claims_volumes_and_classes():
    from kubetui.engine.api import kinds
    from kubetui.printers import table

    c = Cluster(nodes=[NodeConfig("n1")], profile="fast", seed=1)
    c.api.create("persistentvolumeclaims", pvc("data", "1Gi"), "default")
    c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"},
                          "spec": {"containers": [{"name": "db", "image": "postgres:16"}],
                                   "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}},
                 "default")
    c.advance(20)
    get = lambda plural: table(kinds.by_plural(plural), c.api.list(plural, "default" if plural.startswith("persistentvolumec")
                                                                    else None)[0], c.now, all_namespaces=False)
    header, row = get("storageclasses")
    assert row[:5] == ["standard (default)", "kubetui.io/hostpath", "Delete", "WaitForFirstConsumer", "false"]
    header, row = get("persistentvolumeclaims")
    volume = row[2]
    assert header[:6] == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS"]
    assert row[:2] == ["data", "Bound"] and volume.startswith("pvc-") and row[3:6] == ["1Gi", "RWO", "standard"]
    header, row = get("persistentvolumes")
    assert row[:7] == [volume, "1Gi", "RWO", "Delete", "Bound", "default/data", "standard"]


def test_describe_claim_shows_its_volume_and_users():
    from kubetui.engine.client import LocalClient
    from kubetui.tui.describe_text import describe

    client = LocalClient(Cluster(nodes=[NodeConfig("n1")], profile="fast", seed=1))
    client.create(pvc("data", "1Gi"))
    client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"},
                   "spec": {"containers": [{"name": "db", "image": "postgres:16"}],
                            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}})
    client.advance(20)
    text = describe(client, "persistentvolumeclaims", "data", "default")
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith(" "))
    assert fields["Status"].strip() == "Bound" and fields["StorageClass"].strip() == "standard"
    assert fields["Volume"].strip().startswith("pvc-") and fields["Capacity"].strip() == "1Gi"
    assert fields["Access Modes"].strip() == "RWO" and fields["Used By"].strip() == "db"
