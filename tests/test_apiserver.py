"""The API server's contract: metadata, optimistic concurrency, patches, graceful deletion, watches, subresources."""

import random

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.server import APIServer
from kubetui.engine.clock import Clock
from kubetui.engine.store import Store


@pytest.fixture
def api():
    clock = Clock()
    server = APIServer(Store(clock), clock, random.Random(1))
    for ns in ("default", "kube-system"):
        server.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    return server


def pod(name="p", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **spec}}


def deployment(name="web", image="nginx:1.27", replicas=2):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": image}]}}}}


def test_create_sets_metadata_and_stores_under_kube_apiserver_keys(api):
    created = api.create("pods", {**pod(), "metadata": {"generateName": "web-"}})
    meta = created["metadata"]
    assert meta["name"].startswith("web-") and len(meta["name"]) == len("web-") + 5
    assert meta["namespace"] == "default" and meta["uid"] and meta["creationTimestamp"] == "2026-01-01T00:00:00Z"
    kv = api.store.get(f"/registry/pods/default/{meta['name']}")
    assert kv is not None and meta["resourceVersion"] == str(kv.mod_revision)
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    svc = api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                  "spec": {"selector": {"a": "b"}, "ports": [{"port": 80}]}})
    assert api.store.get("/registry/services/specs/default/s") is not None
    assert svc["spec"]["clusterIP"].startswith("10.") and svc["spec"]["clusterIPs"] == [svc["spec"]["clusterIP"]]
    api.create("replicationcontrollers", {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
                                          "spec": {"template": {"metadata": {"labels": {"a": "b"}},
                                                                "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    assert api.store.get("/registry/controllers/default/rc") is not None


def test_create_duplicate_and_missing_namespace(api):
    api.create("pods", pod())
    with pytest.raises(ApiError) as e:
        api.create("pods", pod())
    assert e.value.code == 409 and e.value.reason == "AlreadyExists" and e.value.message == 'pods "p" already exists'
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(), "nope")
    assert e.value.code == 404 and e.value.message == 'namespaces "nope" not found'


def test_strict_decoding_and_validation_errors(api):
    bad = deployment()
    bad["spec"]["replicsa"] = 3
    with pytest.raises(ApiError) as e:
        api.create("deployments", bad)
    assert e.value.code == 400 and e.value.reason == "BadRequest"
    assert 'unknown field "spec.replicsa"' in e.value.message
    missing = deployment()
    del missing["spec"]["template"]["spec"]["containers"][0]["image"]
    with pytest.raises(ApiError) as e:
        api.create("deployments", missing)
    assert e.value.code == 422 and e.value.reason == "Invalid"
    assert "spec.template.spec.containers[0].image: Required value" in e.value.message
    assert e.value.status()["details"]["causes"][0]["field"] == "spec.template.spec.containers[0].image"


def test_defaults_applied(api):
    d = api.create("deployments", deployment())
    assert d["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10 and d["spec"]["progressDeadlineSeconds"] == 600
    p = api.create("pods", pod())
    assert p["spec"]["restartPolicy"] == "Always" and p["spec"]["terminationGracePeriodSeconds"] == 30
    tolerations = {(t["key"], t.get("tolerationSeconds")) for t in p["spec"]["tolerations"]}
    assert tolerations == {("node.kubernetes.io/not-ready", 300), ("node.kubernetes.io/unreachable", 300)}


def test_update_conflict_generation_and_noop(api):
    d = api.create("deployments", deployment())
    assert d["metadata"]["generation"] == 1
    changed = {**d, "spec": {**d["spec"], "replicas": 5}}
    d2 = api.update("deployments", changed)
    assert d2["metadata"]["generation"] == 2 and int(d2["metadata"]["resourceVersion"]) > int(d["metadata"]["resourceVersion"])
    with pytest.raises(ApiError) as e:
        api.update("deployments", changed)  # stale resourceVersion
    assert e.value.code == 409 and "the object has been modified" in e.value.message
    rev = api.store.revision
    same = api.update("deployments", d2)
    assert api.store.revision == rev and same["metadata"]["resourceVersion"] == d2["metadata"]["resourceVersion"]
    labelled = api.update("deployments", {**d2, "metadata": {**d2["metadata"], "labels": {"x": "y"}}})
    assert labelled["metadata"]["generation"] == 2  # metadata changes do not bump generation


def test_status_subresource_keeps_spec_and_main_resource_keeps_status(api):
    d = api.create("deployments", deployment())
    api.update_status("deployments", {**d, "status": {"replicas": 2}})
    cur = api.get("deployments", "web", "default")
    assert cur["status"] == {"replicas": 2}
    api.update("deployments", {**cur, "status": {"replicas": 99}, "spec": {**cur["spec"], "replicas": 3}})
    cur = api.get("deployments", "web", "default")
    assert cur["status"] == {"replicas": 2} and cur["spec"]["replicas"] == 3


def test_patch_types(api):
    api.create("deployments", deployment())
    out = api.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}},
                    "strategic", "default")
    c = out["spec"]["template"]["spec"]["containers"]
    assert len(c) == 1 and c[0]["image"] == "nginx:1.28" and c[0]["imagePullPolicy"] == "IfNotPresent"
    out = api.patch("deployments", "web", {"metadata": {"labels": {"tier": "front"}}}, "merge", "default")
    assert out["metadata"]["labels"] == {"tier": "front"}
    out = api.patch("deployments", "web", [{"op": "replace", "path": "/spec/replicas", "value": 4}], "json", "default")
    assert out["spec"]["replicas"] == 4


def test_pod_graceful_deletion(api):
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    api.create("pods", pod())
    # An unscheduled pod goes at once.
    api.delete("pods", "p", "default")
    assert api.try_get("pods", "p", "default") is None
    api.create("pods", pod())
    api.bind("default", "p", "n1")
    out = api.delete("pods", "p", "default")
    assert out["metadata"]["deletionGracePeriodSeconds"] == 30
    assert out["metadata"]["deletionTimestamp"] == "2026-01-01T00:00:30Z"
    again = api.delete("pods", "p", "default")  # a second delete with the same grace changes nothing
    assert again["metadata"]["resourceVersion"] == out["metadata"]["resourceVersion"]
    api.delete("pods", "p", "default", grace_period_seconds=0)  # the kubelet confirms
    assert api.try_get("pods", "p", "default") is None


def test_finalizers_hold_deletion(api):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["example.com/keep"]}}
    api.create("configmaps", cm)
    out = api.delete("configmaps", "c", "default")
    assert out["metadata"]["deletionTimestamp"]
    cur = api.get("configmaps", "c", "default")
    api.update("configmaps", {**cur, "metadata": {**cur["metadata"], "finalizers": []}})
    assert api.try_get("configmaps", "c", "default") is None


def test_delete_propagation_adds_gc_finalizers(api):
    api.create("deployments", deployment())
    out = api.delete("deployments", "web", "default", propagation_policy="Foreground")
    assert out["metadata"]["finalizers"] == ["foregroundDeletion"]
    api.create("deployments", deployment("other"))
    out = api.delete("deployments", "other", "default", propagation_policy="Orphan")
    assert out["metadata"]["finalizers"] == ["orphan"]


def test_watch_filters_replays_and_expires(api):
    seen = []
    api.watch("pods", lambda t, o, old: seen.append((t, o["metadata"]["name"])), label_selector="app=web")
    api.create("pods", {**pod("a"), "metadata": {"name": "a", "labels": {"app": "web"}}})
    api.create("pods", pod("b"))
    cur = api.get("pods", "a", "default")
    api.update("pods", {**cur, "metadata": {**cur["metadata"], "labels": {"app": "db"}}})
    assert seen == [("ADDED", "a"), ("DELETED", "a")]  # leaving the selector looks like a deletion
    rv = api.list("pods")[1]
    api.create("pods", pod("c"))
    replay = []
    api.watch("pods", lambda t, o, old: replay.append((t, o["metadata"]["name"])), resource_version=rv)
    assert replay == [("ADDED", "c")]
    api.create("pods", pod("d"))
    api.store.compact(api.store.revision)
    with pytest.raises(ApiError) as e:
        api.watch("pods", lambda *a: None, resource_version=rv)
    assert e.value.code == 410


def test_node_routed_pod_watch(api):
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    seen = []
    api.watch("pods", lambda t, o, old: seen.append((t, o["metadata"]["name"])), field_selector="spec.nodeName=n1")
    api.create("pods", pod("a"))
    api.create("pods", pod("b"))
    api.bind("default", "a", "n1")
    assert seen == [("ADDED", "a")]


def test_scale_and_bind_subresources(api):
    api.create("deployments", deployment())
    scale = api.scale("deployments", "web", 7, "default")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 7 and scale["status"]["selector"] == "app=web"
    with pytest.raises(ApiError) as e:
        api.scale("deployments", "web", -1, "default")
    assert e.value.code == 422
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    api.create("pods", pod())
    bound = api.bind("default", "p", "n1")
    assert bound["spec"]["nodeName"] == "n1"
    assert [c["type"] for c in bound["status"]["conditions"]] == ["PodScheduled"]
    with pytest.raises(ApiError) as e:
        api.bind("default", "p", "n1")
    assert e.value.code == 409


def test_service_ip_and_node_port_allocation(api):
    a = api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"},
                                "spec": {"type": "NodePort", "selector": {"x": "y"}, "ports": [{"port": 80}]}})
    port = a["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    with pytest.raises(ApiError) as e:
        api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"},
                                "spec": {"type": "NodePort", "selector": {"x": "y"}, "ports": [{"port": 80, "nodePort": port}]}})
    assert e.value.code == 422 and "provided port is already allocated" in e.value.message
    api.delete("services", "a", "default")
    b = api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"},
                                "spec": {"type": "NodePort", "selector": {"x": "y"}, "ports": [{"port": 80, "nodePort": port}]}})
    assert b["spec"]["ports"][0]["nodePort"] == port
    headless = api.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "h"},
                                       "spec": {"clusterIP": "None", "selector": {"x": "y"}, "ports": [{"port": 80}]}})
    assert headless["spec"]["clusterIP"] == "None"


def test_events_expire_with_event_ttl(api):
    api.create("events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"},
                          "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
                          "reason": "Test", "message": "m", "type": "Normal"})
    api.clock.advance(3600 - 1)
    assert api.try_get("events", "e1", "default") is not None
    api.clock.advance(62)
    assert api.try_get("events", "e1", "default") is None


def test_terminating_namespace_refuses_new_content(api):
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    api.delete("namespaces", "team")
    ns = api.get("namespaces", "team")
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(ApiError) as e:
        api.create("pods", pod(), "team")
    assert e.value.code == 403
    assert "unable to create new content in namespace team because it is being terminated" in e.value.message


def test_job_gets_a_generated_selector_from_its_uid(api):
    job = api.create("jobs", {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
                              "spec": {"template": {"spec": {"restartPolicy": "Never",
                                                             "containers": [{"name": "pi", "image": "perl:5.34"}]}}}})
    uid = job["metadata"]["uid"]
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"


def test_binding_replaces_an_unschedulable_condition(api):
    api.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}})
    p = api.create("pods", pod())
    api.update_status("pods", {**p, "status": {**p["status"], "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes are available"}]}})
    bound = api.bind("default", "p", "n1")
    assert bound["status"]["conditions"] == [
        {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": "2026-01-01T00:00:00Z"}]
