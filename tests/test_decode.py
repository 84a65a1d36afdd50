"""Decoding request bodies against the official schema: strict unknown fields, type errors, Go's round trip."""

import time

import pytest

from kubetui.engine.api import decode
from kubetui.engine.api.errors import ApiError
from kubetui.engine.objects import deep_copy


def deployment(**spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}, **spec}}


def bad_request(group, version, kind, obj) -> str:
    with pytest.raises(ApiError) as e:
        decode.strict_decode(group, version, kind, obj)
    assert e.value.code == 400 and e.value.reason == "BadRequest"
    return e.value.message


def test_unknown_field_is_a_strict_decoding_error():
    message = bad_request("apps", "v1", "Deployment", deployment(replicsa=3))
    assert message == ('Deployment in version "v1" cannot be handled as a Deployment: '
                       'strict decoding error: unknown field "spec.replicsa"')


def test_all_unknown_fields_are_listed_with_list_indexes():
    obj = deployment(replicsa=3)
    obj["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    obj["metadata"]["lables"] = {}
    message = bad_request("apps", "v1", "Deployment", obj)
    # In document order, as Go's decoder meets them.
    assert message.endswith('strict decoding error: unknown field "metadata.lables", '
                            'unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.replicsa"')


def test_wrong_json_types_report_the_go_struct_field():
    cases = [
        (deployment(replicas="3"), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (deployment(replicas=2.5), "json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (deployment(strategy="RollingUpdate"), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.strategy of type v1.DeploymentStrategy"),
        (deployment(paused="yes"), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"),
    ]
    for obj, detail in cases:
        assert bad_request("apps", "v1", "Deployment", obj) == (
            f'Deployment in version "v1" cannot be handled as a Deployment: {detail}')


def test_type_errors_inside_lists_and_maps_drop_indexes_and_keys_from_the_go_path():
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"] = {"name": "web"}
    assert bad_request("apps", "v1", "Deployment", obj).endswith(
        "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container")
    pod = {"metadata": {"name": "p", "labels": {"version": 1.0}}, "spec": {"containers": [{"name": "c", "command": [1]}]}}
    assert bad_request("", "v1", "Pod", pod).endswith(
        "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")
    del pod["metadata"]["labels"]
    assert bad_request("", "v1", "Pod", pod).endswith(
        "json: cannot unmarshal number into Go struct field Container.spec.containers.command of type string")


def test_a_type_error_wins_over_unknown_fields():
    message = bad_request("apps", "v1", "Deployment", deployment(replicsa=1, replicas="1"))
    assert "unknown field" not in message and "cannot unmarshal string" in message


def test_int_or_string_takes_both_and_rejects_other_types():
    ok = deployment(strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}})
    decode.strict_decode("apps", "v1", "Deployment", ok)
    bad = deployment(strategy={"rollingUpdate": {"maxSurge": True}})
    assert bad_request("apps", "v1", "Deployment", bad).endswith(
        "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge "
        "of type int32")


def test_quantities_are_canonicalized_and_bad_ones_rejected():
    obj = deployment()
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"cpu": 0.5, "memory": "1024Mi"}, "requests": {"cpu": "1000m", "memory": 1}}
    decode.strict_decode("apps", "v1", "Deployment", obj)
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1"}}
    container["resources"] = {"limits": {"cpu": "two"}}
    assert bad_request("apps", "v1", "Deployment", obj).endswith(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


@pytest.mark.parametrize("text,canonical", [
    ("0.5", "500m"), ("1.5", "1500m"), ("1000m", "1"), ("2048", "2048"), ("1000000", "1M"), ("1024Mi", "1Gi"),
    ("1536Mi", "1536Mi"), ("0.5Gi", "512Mi"), ("0.5Ki", "512"), ("1e3", "1e3"), ("100m", "100m"), ("0", "0"),
])
def test_canonical_quantity_matches_resource_quantity_string(text, canonical):
    assert decode.canonical_quantity(text) == canonical


def test_nulls_vanish_and_integral_floats_become_ints_like_the_go_round_trip():
    obj = deployment(replicas=3.0, paused=None)
    obj["metadata"]["labels"] = {"app": None}
    decode.strict_decode("apps", "v1", "Deployment", obj)
    assert obj["spec"]["replicas"] == 3 and type(obj["spec"]["replicas"]) is int
    assert "paused" not in obj["spec"] and obj["metadata"]["labels"] == {"app": ""}


def test_secret_data_must_be_base64():
    secret = {"metadata": {"name": "s"}, "data": {"ok": "aGVsbG8=", "wrapped": "aGVs\nbG8="}}
    decode.strict_decode("", "v1", "Secret", secret)
    for value, offset in (("aGVsbG8", 4), ("aG!sbG8=", 2), ("a===", 1)):
        message = bad_request("", "v1", "Secret", {"data": {"k": value}})
        assert message == f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte {offset}'


def test_api_version_and_kind_may_be_missing_and_free_form_fields_take_anything():
    decode.strict_decode("apps", "v1", "ControllerRevision",
                         {"metadata": {"name": "r"}, "revision": 1, "data": {"spec": {"anything": [1, {"x": None}]}}})


def test_non_strict_decode_drops_unknown_fields_and_reports_them():
    obj = deployment(replicsa=3)
    assert decode.decode("apps", "v1", "Deployment", obj, strict=False) == ["spec.replicsa"]
    assert "replicsa" not in obj["spec"]
    with pytest.raises(ApiError):
        decode.decode("apps", "v1", "Deployment", deployment(replicas="x"), strict=False)


def test_known_kind():
    assert decode.known_kind("apps", "v1", "Deployment")
    assert decode.known_kind("", "v1", "Pod")
    assert not decode.known_kind("apps", "v1", "Pod")
    assert not decode.known_kind("example.com", "v1", "Widget")


def test_a_typical_pod_decodes_well_under_100_microseconds():
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web-7d4b9c8f5-abcde", "namespace": "default",
                        "labels": {"app": "web", "pod-template-hash": "7d4b9c8f5"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f5",
                                             "uid": "1234", "controller": True, "blockOwnerDeletion": True}]},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                    "ports": [{"containerPort": 80, "name": "http"}],
                                    "env": [{"name": "MODE", "value": "prod"}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                  "limits": {"cpu": "500m", "memory": "256Mi"}},
                                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80}},
                                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}]}}
    decode.strict_decode("", "v1", "Pod", deep_copy(pod))  # compile the schema once
    best = float("inf")
    for _ in range(5):
        copies = [deep_copy(pod) for _ in range(200)]
        start = time.perf_counter()
        for obj in copies:
            decode.strict_decode("", "v1", "Pod", obj)
        best = min(best, (time.perf_counter() - start) / len(copies))
    assert best < 100e-6
