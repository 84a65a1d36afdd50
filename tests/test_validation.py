"""Semantic validation with kube-apiserver's field paths and messages."""

import time

from kubetui.engine.api import errors
from kubetui.engine.api.decode import strict_decode
from kubetui.engine.api.defaults import apply_defaults
from kubetui.engine.api.kinds import BY_KIND
from kubetui.engine.api.validation import validate
from kubetui.engine.objects import deep_copy

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
SELECTOR_MISMATCH = "`selector` does not match template `labels`"


def prepared(obj: dict, uid: str | None = None) -> dict:
    """What the API server validates: a decoded, defaulted copy in a namespace."""
    obj = deep_copy(obj)
    kind = BY_KIND[obj["kind"]]
    meta = obj.setdefault("metadata", {})
    if kind.namespaced:
        meta.setdefault("namespace", "default")
    if uid:
        meta["uid"] = uid
    strict_decode(kind.group, kind.version, kind.kind, obj)
    apply_defaults(kind.kind, obj)
    return obj


def messages(obj: dict, old: dict | None = None) -> list[str]:
    return [str(e) for e in validate(obj["kind"], obj, old)]


def pod(**spec) -> dict:
    spec.setdefault("containers", [{"name": "web", "image": "nginx:1.25"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec}


def deployment(selector=None, labels=None, **spec) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": selector or {"app": "web"}},
                     "template": {"metadata": {"labels": labels or {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}, **spec}}


def job(restart_policy=None) -> dict:
    tspec = {"containers": [{"name": "pi", "image": "perl:5.34"}]}
    if restart_policy:
        tspec["restartPolicy"] = restart_policy
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"}, "spec": {"template": {"spec": tspec}}}


def service(**spec) -> dict:
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


# -- metadata ---------------------------------------------------------------------------------------------


def test_valid_objects_have_no_errors():
    for obj in (pod(), deployment(), service(selector={"app": "web"}), job("Never")):
        assert messages(prepared(obj, uid="u-1")) == []


def test_name_is_required_and_must_be_a_dns_subdomain():
    nameless = prepared(pod())
    del nameless["metadata"]["name"]
    assert messages(nameless) == ["metadata.name: Required value: name or generateName is required"]
    bad = prepared({**pod(), "metadata": {"name": "Web_1"}})
    assert messages(bad) == [f'metadata.name: Invalid value: "Web_1": {SUBDOMAIN_MSG}']


def test_namespace_and_service_names_have_their_own_rules():
    ns = prepared({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team.a"}})
    assert messages(ns) == ['metadata.name: Invalid value: "team.a": must not contain dots']
    svc = prepared({**service(), "metadata": {"name": "1web"}})
    assert messages(svc) == [
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters '
        "or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]


def test_label_values_are_checked():
    obj = prepared({**pod(), "metadata": {"name": "p", "labels": {"app": "web server"}}})
    assert messages(obj) == [
        'metadata.labels: Invalid value: "web server": a valid label must be an empty string or consist of '
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?"
        "[A-Za-z0-9])?')"]


# -- pods ---------------------------------------------------------------------------------------------------


def test_missing_image_and_missing_containers():
    assert messages(prepared(pod(containers=[{"name": "web"}]))) == ["spec.containers[0].image: Required value"]
    assert messages(prepared(pod(containers=[]))) == ["spec.containers: Required value"]


def test_duplicate_container_names():
    obj = prepared(pod(containers=[{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]))
    assert messages(obj) == ['spec.containers[1].name: Duplicate value: "web"']


def test_volume_mounts_must_name_a_volume():
    obj = prepared(pod(containers=[{"name": "web", "image": "a", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]))
    assert messages(obj) == ['spec.containers[0].volumeMounts[0].name: Not found: "data"']
    obj = prepared(pod(volumes=[{"name": "data"}, {"name": "data"}]))
    assert messages(obj) == ['spec.volumes[1].name: Duplicate value: "data"']


def test_requests_may_not_exceed_limits():
    obj = prepared(pod(containers=[{"name": "web", "image": "a",
                                    "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": 1}}}]))
    assert messages(obj) == ['spec.containers[0].resources.requests: Invalid value: "2": '
                             'must be less than or equal to cpu limit of 1']


def test_container_ports_and_host_port_conflicts():
    obj = prepared(pod(containers=[{"name": "web", "image": "a", "ports": [{"containerPort": 70000}]}]))
    assert messages(obj) == ["spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
                             "must be between 1 and 65535, inclusive"]
    same_container_port = prepared(pod(containers=[{"name": "a", "image": "a", "ports": [{"containerPort": 80}]},
                                                   {"name": "b", "image": "b", "ports": [{"containerPort": 80}]}]))
    assert messages(same_container_port) == []
    same_host_port = prepared(pod(containers=[
        {"name": "a", "image": "a", "ports": [{"containerPort": 80, "hostPort": 8080}]},
        {"name": "b", "image": "b", "ports": [{"containerPort": 81, "hostPort": 8080}]}]))
    assert messages(same_host_port) == ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']


def test_restart_and_dns_policies():
    obj = prepared(pod(restartPolicy="Sometimes", dnsPolicy="Google"))
    assert messages(obj) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", '
        '"ClusterFirst", "Default", "None"']


def test_tolerations():
    obj = prepared(pod(tolerations=[{"key": "k", "operator": "Maybe"},
                                    {"operator": "Equal", "value": "v"},
                                    {"key": "k", "operator": "Exists", "effect": "NoRun"}]))
    assert messages(obj) == [
        'spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
        'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, '
        'which means "match all values and all keys"',
        'spec.tolerations[2].effect: Unsupported value: "NoRun": supported values: "NoSchedule", '
        '"PreferNoSchedule", "NoExecute"']


def test_pod_updates_may_only_change_images_and_a_few_fields():
    old = prepared(pod(tolerations=[{"key": "a", "operator": "Exists"}]))
    new = deep_copy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.26"
    new["spec"]["activeDeadlineSeconds"] = 60
    new["spec"]["tolerations"].append({"key": "b", "operator": "Exists"})
    assert messages(new, old) == []
    new["spec"]["nodeName"] = "node-1"
    errs = validate("Pod", new, old)
    assert len(errs) == 1 and errs[0].path == "spec" and errs[0].type == "Forbidden"
    assert errs[0].detail.startswith(
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n")
    assert '+ \tNodeName: "node-1",' in errs[0].detail
    fewer = deep_copy(old)
    fewer["spec"]["containers"] = []
    assert messages(fewer, old)[-1] == "spec.containers: Forbidden: pod updates may not add or remove containers"


# -- workloads ------------------------------------------------------------------------------------------------


def test_selector_must_match_template_labels():
    obj = prepared(deployment(selector={"app": "api"}, labels={"app": "x"}))
    errs = validate("Deployment", obj)
    assert [str(e) for e in errs] == [
        f'spec.template.metadata.labels: Invalid value: map[string]string{{"app":"x"}}: {SELECTOR_MISMATCH}']
    assert errors.invalid_object("Deployment", "apps", "web", errs).message == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        f'map[string]string{{"app":"x"}}: {SELECTOR_MISMATCH}')


def test_a_missing_selector_is_required_and_matches_nothing():
    obj = prepared(deployment())
    del obj["spec"]["selector"]
    assert messages(obj) == ["spec.selector: Required value",
                             f'spec.template.metadata.labels: Invalid value: map[string]string{{"app":"web"}}: '
                             f"{SELECTOR_MISMATCH}"]


def test_selector_is_immutable_on_update():
    old = prepared(deployment())
    new = deep_copy(old)
    new["spec"]["selector"]["matchLabels"]["tier"] = "front"
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert messages(new, old) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, '
        'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']


def test_rolling_update_needs_some_room_and_templates_restart_always():
    obj = prepared(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}))
    obj["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert messages(obj) == [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: '
        "may not be 0 when `maxSurge` is 0"]


def test_replicas_may_not_be_negative():
    assert messages(prepared(deployment(replicas=-1))) == ["spec.replicas: Invalid value: -1: must be greater than or "
                                                           "equal to 0"]


def test_job_restart_policy_must_be_on_failure_or_never():
    assert messages(prepared(job(), uid="u-1")) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    assert messages(prepared(job("Always"), uid="u-1")) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    # The pod spec check and the Job's own check both fire, as upstream.
    assert messages(prepared(job("Sometimes"), uid="u-1")) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", '
        '"Never"',
        'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"']
    assert messages(prepared(job("OnFailure"), uid="u-1")) == []


def test_job_counts_and_immutable_fields():
    obj = prepared(job("Never"), uid="u-1")
    obj["spec"]["parallelism"] = -1
    assert messages(obj) == ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"]
    old = prepared(job("Never"), uid="u-1")
    new = deep_copy(old)
    new["spec"]["completions"] = 3
    assert messages(new, old) == ["spec.completions: Invalid value: 3: field is immutable"]


def test_stateful_set_updates_are_limited():
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}}
    old = prepared(sts)
    assert messages(old) == []
    new = deep_copy(old)
    new["spec"]["replicas"] = 3
    assert messages(new, old) == []
    new["spec"]["serviceName"] = "other"
    assert messages(new, old) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"]


def test_replication_controller_selector():
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
          "spec": {"selector": {"app": "other"}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
              "containers": [{"name": "web", "image": "nginx"}]}}}}
    assert messages(prepared(rc)) == [
        f'spec.template.metadata.labels: Invalid value: map[string]string{{"app":"web"}}: {SELECTOR_MISMATCH}']


# -- services and networking -----------------------------------------------------------------------------------


def test_service_ports():
    assert messages(prepared(service(ports=[{"port": 80}, {"port": 443}]))) == [
        "spec.ports[0].name: Required value", "spec.ports[1].name: Required value"]
    assert messages(prepared(service(ports=[]))) == ["spec.ports: Required value"]
    assert messages(prepared(service(ports=[], clusterIP="None"))) == []
    assert messages(prepared(service(ports=[{"port": 0}]))) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"]


def test_service_types():
    assert messages(prepared(service(type="Internal"))) == [
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
        '"NodePort"']
    assert messages(prepared(service(type="ExternalName", ports=[]))) == ["spec.externalName: Required value"]
    assert messages(prepared(service(type="ExternalName", ports=[], externalName="db.example.com"))) == []


def test_cluster_ip_may_not_change():
    old = prepared(service(clusterIP="10.96.0.10"))
    old["spec"]["clusterIPs"] = ["10.96.0.10"]
    new = deep_copy(old)
    new["spec"]["clusterIP"] = "10.96.0.11"
    new["spec"]["clusterIPs"] = ["10.96.0.11"]
    assert messages(new, old) == ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']


def test_ingress_paths():
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
               "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [
                   {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                   {"path": "/api", "pathType": "Regex", "backend": {"service": {"name": "api", "port": {"name": "http"}}}},
                   {"path": "/x", "pathType": "Prefix", "backend": {"service": {"name": "x", "port": {}}}}]}}]}}
    assert messages(prepared(ingress)) == [
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
        'spec.rules[0].http.paths[1].pathType: Unsupported value: "Regex": supported values: "Exact", '
        '"ImplementationSpecific", "Prefix"',
        "spec.rules[0].http.paths[2].backend: Required value: port name or number is required"]


# -- configuration, storage, autoscaling ----------------------------------------------------------------------


def test_config_map_and_secret_keys():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"app.conf": "x", "bad key": "y"}}
    assert messages(prepared(cm)) == [
        "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', "
        "'_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"token": "not base64!"}}
    unchecked = deep_copy(secret)
    unchecked["metadata"]["namespace"] = "default"
    apply_defaults("Secret", unchecked)  # as with fieldValidation=Ignore, nothing decoded the data
    assert messages(unchecked) == ['data[token]: Invalid value: "<secret contents redacted>": '
                                   'illegal base64 data at input byte 3']


def test_persistent_volume_claims_need_access_modes_and_storage():
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {}}
    assert messages(prepared(pvc)) == ["spec.accessModes: Required value: at least 1 access mode is required",
                                       "spec.resources[storage]: Required value"]


def test_horizontal_pod_autoscaler_bounds():
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
           "spec": {"minReplicas": 5, "maxReplicas": 2,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}}
    assert messages(prepared(hpa)) == ["spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`"]


def test_resource_quota_resources():
    quota = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
             "spec": {"hard": {"pods": "2.5", "requests.cpu": "4"}}}
    assert messages(prepared(quota)) == ['spec.hard[pods]: Invalid value: "2500m": must be an integer']


def test_validating_a_typical_pod_is_fast():
    obj = prepared(pod(containers=[{
        "name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80, "name": "http"}],
        "env": [{"name": "MODE", "value": "prod"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        volumes=[{"name": "data", "emptyDir": {}}]))
    obj["metadata"]["labels"] = {"app": "web", "pod-template-hash": "7d4b9c8f5"}
    assert messages(obj) == []
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            validate("Pod", obj)
        best = min(best, (time.perf_counter() - start) / 200)
    assert best < 150e-6
