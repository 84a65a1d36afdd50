"""Server-side defaulting, checked against what kube-apiserver stores for the same manifests."""

import pytest

from kubetui.engine.api.defaults import add_default_tolerations, apply_defaults, image_pull_policy
from kubetui.engine.objects import deep_copy

CONTAINER_DEFAULTS = {"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                      "terminationMessagePolicy": "File"}
TEMPLATE_SPEC_DEFAULTS = {"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                          "securityContext": {}, "terminationGracePeriodSeconds": 30}


def defaulted(kind, obj):
    obj = deep_copy(obj)
    apply_defaults(kind, obj)
    return obj


def template(**spec):
    return {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}], **spec}}


def test_a_bare_deployment_gets_upstreams_defaults():
    bare = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}}
    assert defaulted("Deployment", bare)["spec"] == {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "web", "image": "nginx:1.25", **CONTAINER_DEFAULTS}],
                              **TEMPLATE_SPEC_DEFAULTS}},
    }


def test_recreate_deployments_get_no_rolling_update_block():
    obj = {"spec": {"strategy": {"type": "Recreate"}, "template": template()}}
    assert defaulted("Deployment", obj)["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("image,policy", [
    ("nginx", "Always"),
    ("nginx:latest", "Always"),
    ("nginx:1.25", "IfNotPresent"),
    ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ("nginx:latest@sha256:" + "b" * 64, "Always"),
    ("registry.example.com:5000/team/app", "Always"),
    ("registry.example.com:5000/team/app:v2", "IfNotPresent"),
    ("NotAReference", "IfNotPresent"),
])
def test_image_pull_policy(image, policy):
    assert image_pull_policy(image) == policy
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": image}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_an_explicit_pull_policy_is_kept():
    pod = defaulted("Pod", {"spec": {"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}]}})
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_pod_defaults_and_admission_defaults():
    pod = defaulted("Pod", {"metadata": {"name": "p"}, "spec": {
        "containers": [{
            "name": "c", "image": "nginx:1.25",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}},
            "livenessProbe": {"httpGet": {"port": 80}},
            "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5},
        }],
        "volumes": [{"name": "scratch"}, {"name": "cfg", "configMap": {"name": "cfg"}}],
    }})
    spec = pod["spec"]
    for key, value in {**TEMPLATE_SPEC_DEFAULTS, "enableServiceLinks": True, "serviceAccountName": "default",
                       "serviceAccount": "default", "priority": 0,
                       "preemptionPolicy": "PreemptLowerPriority"}.items():
        assert spec[key] == value, key
    c = spec["containers"][0]
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "spec.nodeName", "apiVersion": "v1"}
    assert c["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}  # requests default to limits
    assert c["livenessProbe"] == {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                                  "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
    assert c["readinessProbe"]["periodSeconds"] == 5
    assert spec["volumes"] == [{"name": "scratch", "emptyDir": {}},
                               {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}]


def test_templates_get_pod_spec_defaults_but_not_pod_only_ones():
    spec = defaulted("ReplicaSet", {"spec": {"template": template(
        containers=[{"name": "c", "image": "x:1", "resources": {"limits": {"cpu": "1"}}}])}})["spec"]
    tspec = spec["template"]["spec"]
    assert spec["replicas"] == 1
    assert tspec["restartPolicy"] == "Always"
    for pod_only in ("enableServiceLinks", "serviceAccountName", "priority", "preemptionPolicy"):
        assert pod_only not in tspec
    assert "requests" not in tspec["containers"][0]["resources"]


def test_service_account_names_stay_in_step_and_priority_follows_builtin_classes():
    spec = defaulted("Pod", {"spec": {"serviceAccount": "robot", "priorityClassName": "system-node-critical",
                                      "containers": [{"name": "c", "image": "x"}]}})["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "robot"
    assert spec["priority"] == 2000001000


def test_host_network_pods_publish_their_container_ports():
    spec = defaulted("Pod", {"spec": {"hostNetwork": True, "containers": [
        {"name": "c", "image": "x", "ports": [{"containerPort": 8080}]}]}})["spec"]
    assert spec["containers"][0]["ports"][0]["hostPort"] == 8080


def test_job_defaults():
    job = defaulted("Job", {"metadata": {"name": "pi"}, "spec": {"template": template()}})
    spec = job["spec"]
    assert {k: spec[k] for k in ("completions", "parallelism", "backoffLimit", "completionMode", "suspend",
                                 "podReplacementPolicy", "manualSelector")} == {
        "completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False}
    assert spec["template"]["spec"]["restartPolicy"] == "Always"  # so validation insists on OnFailure/Never
    assert job["metadata"]["labels"] == {"app": "web"}
    assert "selector" not in spec  # needs the uid


def test_job_parallelism_alone_leaves_completions_unset():
    spec = defaulted("Job", {"spec": {"parallelism": 3, "template": template()}})["spec"]
    assert spec["parallelism"] == 3 and "completions" not in spec


def test_a_job_with_a_uid_gets_its_generated_selector():
    job = defaulted("Job", {"metadata": {"name": "pi", "uid": "u-1"}, "spec": {"template": template()}})
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u-1"}}
    assert job["spec"]["template"]["metadata"]["labels"] == job["metadata"]["labels"] == {
        "app": "web", "job-name": "pi", "batch.kubernetes.io/job-name": "pi",
        "controller-uid": "u-1", "batch.kubernetes.io/controller-uid": "u-1"}
    manual = defaulted("Job", {"metadata": {"name": "pi", "uid": "u-1"},
                               "spec": {"manualSelector": True, "template": template()}})
    assert "selector" not in manual["spec"]


def test_stateful_set_and_daemon_set_defaults():
    sts = defaulted("StatefulSet", {"spec": {"template": template(), "volumeClaimTemplates": [
        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}})["spec"]
    assert sts["podManagementPolicy"] == "OrderedReady"
    assert sts["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert sts["replicas"] == 1 and sts["revisionHistoryLimit"] == 10
    claim = sts["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}
    on_delete = defaulted("StatefulSet", {"spec": {"updateStrategy": {"type": "OnDelete"}, "template": template()}})
    assert on_delete["spec"]["updateStrategy"] == {"type": "OnDelete"}
    ds = defaulted("DaemonSet", {"spec": {"template": template()}})["spec"]
    assert ds["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["revisionHistoryLimit"] == 10


def test_replication_controller_selector_and_labels_come_from_the_template():
    rc = defaulted("ReplicationController", {"metadata": {"name": "rc"}, "spec": {"template": template()}})
    assert rc["spec"]["selector"] == {"app": "web"} and rc["metadata"]["labels"] == {"app": "web"}
    assert rc["spec"]["replicas"] == 1
    rs = defaulted("ReplicaSet", {"metadata": {"name": "rs"}, "spec": {"template": template()}})
    assert "labels" not in rs["metadata"] and "selector" not in rs["spec"]


def test_service_defaults():
    spec = defaulted("Service", {"spec": {"selector": {"app": "web"}, "ports": [{"port": 80}, {"port": 53, "protocol": "UDP",
                                                                              "targetPort": "dns"}]}})["spec"]
    assert spec == {"selector": {"app": "web"}, "type": "ClusterIP", "sessionAffinity": "None",
                    "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80},
                              {"port": 53, "protocol": "UDP", "targetPort": "dns"}],
                    "internalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"]}
    node_port = defaulted("Service", {"spec": {"type": "NodePort", "ports": [{"port": 80}]}})["spec"]
    assert node_port["externalTrafficPolicy"] == "Cluster"
    lb = defaulted("Service", {"spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})["spec"]
    assert lb["allocateLoadBalancerNodePorts"] is True and lb["externalTrafficPolicy"] == "Cluster"
    external = defaulted("Service", {"spec": {"type": "ExternalName", "externalName": "example.com"}})["spec"]
    assert "ipFamilies" not in external and "internalTrafficPolicy" not in external
    headless = defaulted("Service", {"spec": {"clusterIP": "None", "ports": [{"port": 80}]}})["spec"]
    assert headless["ipFamilyPolicy"] == "RequireDualStack" and headless["ipFamilies"] == ["IPv4", "IPv6"]
    sticky = defaulted("Service", {"spec": {"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}})["spec"]
    assert sticky["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_namespace_secret_and_volume_defaults():
    ns = defaulted("Namespace", {"metadata": {"name": "team-a"}})
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    finalized = defaulted("Namespace", {"metadata": {"name": "team-a"}, "spec": {"finalizers": []}})
    assert finalized["spec"]["finalizers"] == []
    secret = defaulted("Secret", {"data": {"a": "YQ=="}, "stringData": {"b": "hello"}})
    assert secret == {"type": "Opaque", "data": {"a": "YQ==", "b": "aGVsbG8="}}
    assert defaulted("PersistentVolumeClaim", {"spec": {}})["spec"] == {"volumeMode": "Filesystem"}
    pv = defaulted("PersistentVolume", {"spec": {"hostPath": {"path": "/d"}}})["spec"]
    assert pv == {"hostPath": {"path": "/d", "type": ""}, "persistentVolumeReclaimPolicy": "Retain",
                  "volumeMode": "Filesystem"}


def test_horizontal_pod_autoscaler_defaults():
    spec = defaulted("HorizontalPodAutoscaler", {"spec": {"maxReplicas": 5, "behavior": {"scaleDown": {
        "stabilizationWindowSeconds": 60}}}})["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 80}}}]
    assert spec["behavior"]["scaleDown"] == {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                                             "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert spec["behavior"]["scaleUp"]["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}


def test_defaulting_is_idempotent():
    for kind, obj in (("Deployment", {"spec": {"template": template()}}),
                      ("Pod", {"spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": {"cpu": "1"}}}]}}),
                      ("Service", {"spec": {"type": "NodePort", "ports": [{"port": 80}]}}),
                      ("Job", {"metadata": {"uid": "u"}, "spec": {"template": template()}})):
        once = defaulted(kind, obj)
        assert defaulted(kind, once) == once


def test_default_tolerations_are_added_once():
    spec = {"containers": [{"name": "c", "image": "x"}]}
    add_default_tolerations(spec)
    expected = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300}]
    assert spec["tolerations"] == expected
    add_default_tolerations(spec)
    assert spec["tolerations"] == expected


def test_default_tolerations_respect_existing_ones_and_custom_seconds():
    tolerate_all = {"tolerations": [{"operator": "Exists"}]}
    add_default_tolerations(tolerate_all)
    assert tolerate_all["tolerations"] == [{"operator": "Exists"}]
    own = {"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                            "tolerationSeconds": 30}]}
    add_default_tolerations(own, seconds=60)
    assert own["tolerations"][1:] == [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                       "effect": "NoExecute", "tolerationSeconds": 60}]
    no_schedule_only = {"tolerations": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule",
                                         "operator": "Exists"}]}
    add_default_tolerations(no_schedule_only)
    assert len(no_schedule_only["tolerations"]) == 3
