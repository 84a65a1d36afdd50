"""PATCH semantics: RFC 7386 merge patch, RFC 6902 JSON patch and Kubernetes' strategic merge patch."""

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubetui.engine.api import schema
from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.patch import json_merge_patch, json_patch, strategic_merge_patch

DEPLOYMENT = schema.definition_name("apps", "v1", "Deployment")
POD = schema.definition_name("", "v1", "Pod")


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
                     "annotations": {"team": "a", "owner": "x"}, "finalizers": ["example.com/keep"]},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.27", "args": ["-g", "daemon off;"],
                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                        {"name": "sidecar", "image": "busybox", "command": ["sleep", "inf"]},
                    ],
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    }


def smp(obj, patch, kind=DEPLOYMENT):
    before_obj, before_patch = copy.deepcopy(obj), copy.deepcopy(patch)
    out = strategic_merge_patch(obj, patch, kind)
    assert obj == before_obj and patch == before_patch  # inputs are never mutated
    return out


def containers(obj):
    return obj["spec"]["template"]["spec"]["containers"]


def pod_spec(patch):
    return {"spec": {"template": {"spec": patch}}}


# -- strategic merge patch -------------------------------------------------------------------


def test_container_merged_by_name():
    out = smp(deployment(), pod_spec({"containers": [{"name": "web", "image": "nginx:1.28"}]}))
    web, sidecar = containers(out)
    assert web["image"] == "nginx:1.28"
    assert web["args"] == ["-g", "daemon off;"] and web["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert sidecar == deployment()["spec"]["template"]["spec"]["containers"][1]


def test_nested_merge_lists_by_their_own_keys():
    out = smp(deployment(), pod_spec({"containers": [{
        "name": "web",
        "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
        "ports": [{"containerPort": 443}],
    }]}))
    web = containers(out)[0]
    # New items go first (upstream prepends items the live list lacks), known items keep their place.
    assert web["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two"}, {"name": "C", "value": "3"}]
    assert [p["containerPort"] for p in web["ports"]] == [443, 80]


def test_new_container_goes_first_as_upstream():
    out = smp(deployment(), pod_spec({"containers": [{"name": "extra", "image": "redis"}]}))
    assert [c["name"] for c in containers(out)] == ["extra", "web", "sidecar"]


def test_non_merge_lists_are_replaced():
    out = smp(deployment(), pod_spec({"containers": [{"name": "web", "args": ["-v"]}],
                                      "tolerations": [{"key": "other", "operator": "Exists"}]}))
    assert containers(out)[0]["args"] == ["-v"]
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "other", "operator": "Exists"}]


def test_delete_directive_removes_a_container():
    out = smp(deployment(), pod_spec({"containers": [{"name": "sidecar", "$patch": "delete"}]}))
    assert [c["name"] for c in containers(out)] == ["web"]


def test_replace_directive_in_a_list_and_in_a_map():
    out = smp(deployment(), pod_spec({"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}))
    assert containers(out) == [{"name": "only", "image": "x"}]
    out = smp(deployment(), {"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}})
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    out = smp(deployment(), {"metadata": {"annotations": {"$patch": "delete"}}})
    assert out["metadata"]["annotations"] == {}


def test_null_deletes_fields():
    out = smp(deployment(), {"spec": {"strategy": {"rollingUpdate": None}}, "metadata": {"labels": None}})
    assert out["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert "labels" not in out["metadata"]
    # Nulls inside brand-new values are dropped rather than stored.
    out = smp(deployment(), {"metadata": {"ownerReferences": [{"uid": "u", "name": "o", "kind": "K",
                                                                "apiVersion": "v1", "controller": None}]}})
    assert out["metadata"]["ownerReferences"] == [{"uid": "u", "name": "o", "kind": "K", "apiVersion": "v1"}]


def test_finalizers_are_a_set_union():
    out = smp(deployment(), {"metadata": {"finalizers": ["example.com/new", "example.com/keep"]}})
    assert out["metadata"]["finalizers"] == ["example.com/new", "example.com/keep"]
    out = smp(deployment(), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/keep"]}})
    assert out["metadata"]["finalizers"] == []
    out = smp(deployment(), {"metadata": {"finalizers": ["b"], "$deleteFromPrimitiveList/finalizers": ["example.com/keep"]}})
    assert out["metadata"]["finalizers"] == ["b"]


def test_annotations_merge_as_a_free_form_map():
    out = smp(deployment(), {"metadata": {"annotations": {"team": "b", "owner": None, "new": "1"}}})
    assert out["metadata"]["annotations"] == {"team": "b", "new": "1"}


def test_retain_keys_clears_other_fields():
    out = smp(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    out = smp(deployment(), pod_spec({"volumes": [{"name": "data", "$retainKeys": ["name", "configMap"],
                                                   "configMap": {"name": "cm"}}]}))
    assert out["spec"]["template"]["spec"]["volumes"] == [{"name": "data", "configMap": {"name": "cm"}}]
    with pytest.raises(ApiError) as info:
        smp(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}})
    assert (info.value.code, info.value.message) == (400, "invalid patch format of retainKeys")


def test_set_element_order():
    out = smp(deployment(), pod_spec({
        "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "new"}, {"name": "web"}],
        "containers": [{"name": "new", "image": "redis"}],
    }))
    assert [c["name"] for c in containers(out)] == ["sidecar", "new", "web"]
    assert "$setElementOrder/containers" not in out["spec"]["template"]["spec"]
    out = smp(deployment(), {"metadata": {"$setElementOrder/finalizers": ["a", "example.com/keep"],
                                          "finalizers": ["a"]}})
    assert out["metadata"]["finalizers"] == ["a", "example.com/keep"]


def test_type_change_replaces_and_new_fields_are_added():
    out = smp(deployment(), {"spec": {"paused": True, "replicas": 5}, "status": {"replicas": 2}})
    assert out["spec"]["paused"] is True and out["spec"]["replicas"] == 5 and out["status"] == {"replicas": 2}


def test_result_shares_nothing_with_the_inputs():
    obj = deployment()
    patch = pod_spec({"containers": [{"name": "new", "image": "x", "env": [{"name": "E", "value": "1"}]}]})
    out = smp(obj, patch)
    out["metadata"]["labels"]["changed"] = "yes"
    containers(out)[0]["env"].append({"name": "F"})
    assert obj == deployment() and patch["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "E", "value": "1"}]


def test_errors():
    with pytest.raises(ApiError) as info:
        smp(deployment(), pod_spec({"containers": [{"image": "nginx"}]}))
    assert info.value.code == 500
    assert info.value.message == "map: map[image:nginx] does not contain declared merge key: name"
    with pytest.raises(ApiError) as info:
        strategic_merge_patch(deployment(), ["not", "a", "map"], DEPLOYMENT)
    assert info.value.code == 400
    with pytest.raises(ApiError) as info:
        smp(deployment(), pod_spec({"containers": [{"name": "web", "$patch": "merge"}]}))
    assert info.value.message == "merging lists cannot yet be specified in the patch"
    with pytest.raises(ApiError) as info:
        smp(deployment(), {"metadata": {"$deleteFromPrimitiveListfinalizers": ["x"]}})
    assert (info.value.code, info.value.message) == (400, "invalid patch format of primitive list")


def test_pod_conditions_merge_by_type():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}]}}
    out = smp(pod, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, POD)
    assert out["status"]["conditions"] == [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]


# -- JSON merge patch ------------------------------------------------------------------------


def test_merge_patch_rfc7386_examples():
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert json_merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert json_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert json_merge_patch({"a": "foo"}, {"a": None, "b": {"c": None, "d": 1}}) == {"b": {"d": 1}}
    assert json_merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}


def test_merge_patch_replaces_lists_wholesale():
    out = json_merge_patch(deployment(), pod_spec({"containers": [{"name": "web", "image": "x"}]}))
    assert containers(out) == [{"name": "web", "image": "x"}]


def test_merge_patch_rejects_non_objects():
    with pytest.raises(ApiError) as info:
        json_merge_patch({"a": 1}, [1])
    assert info.value.code == 400


_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
                     lambda inner: st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=10)


@given(st.dictionaries(st.text(max_size=3), _json, max_size=4), st.dictionaries(st.text(max_size=3), _json, max_size=4))
def test_merge_patch_is_idempotent(target, patch):
    once = json_merge_patch(target, patch)
    assert json_merge_patch(once, patch) == once


# -- JSON patch ------------------------------------------------------------------------------


def test_json_patch_operations():
    doc = {"a": {"b": [1, 2, 3]}, "x~y": 1, "p/q": 2}
    out = json_patch(doc, [
        {"op": "add", "path": "/a/b/1", "value": 9},
        {"op": "add", "path": "/a/b/-", "value": 4},
        {"op": "remove", "path": "/a/b/0"},
        {"op": "replace", "path": "/x~0y", "value": "tilde"},
        {"op": "move", "from": "/p~1q", "path": "/moved"},
        {"op": "copy", "from": "/a/b", "path": "/copy"},
        {"op": "test", "path": "/copy", "value": [9, 2, 3, 4]},
        {"op": "add", "path": "/a/new", "value": {"k": "v"}},
    ])
    assert out == {"a": {"b": [9, 2, 3, 4], "new": {"k": "v"}}, "x~y": "tilde", "moved": 2, "copy": [9, 2, 3, 4]}
    assert doc == {"a": {"b": [1, 2, 3]}, "x~y": 1, "p/q": 2}


def test_json_patch_on_a_deployment():
    out = json_patch(deployment(), [
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--verbose"},
        {"op": "remove", "path": "/metadata/annotations/owner"},
    ])
    assert out["spec"]["replicas"] == 4
    assert containers(out)[0]["args"][-1] == "--verbose"
    assert out["metadata"]["annotations"] == {"team": "a"}


def test_json_patch_whole_document():
    assert json_patch({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert json_patch({"a": 1}, None) == {"a": 1}


@pytest.mark.parametrize("ops, detail", [
    ([{"op": "test", "path": "/spec/replicas", "value": 3}], "testing value /spec/replicas failed: test failed"),
    ([{"op": "test", "path": "/spec/replicas", "value": True}], "testing value /spec/replicas failed: test failed"),
    ([{"op": "remove", "path": "/spec/nope"}], 'remove operation does not apply: doc is missing key: "/spec/nope"'),
    ([{"op": "replace", "path": "/spec/nope", "value": 1}],
     'replace operation does not apply: doc is missing key: "/spec/nope"'),
    ([{"op": "add", "path": "/nope/x", "value": 1}], 'add operation does not apply: doc is missing path: "/nope/x"'),
    ([{"op": "add", "path": "/metadata/finalizers/5", "value": "x"}],
     'add operation does not apply: index 5 out of bounds in "/metadata/finalizers/5"'),
    ([{"op": "move", "from": "/spec", "path": "/spec/x"}], 'move operation does not apply: "/spec/x" is a child of "/spec"'),
    ([{"op": "frobnicate", "path": "/a"}], "Unexpected kind: frobnicate"),
    ([{"op": "add", "value": 1}], "add operation missing path field"),
])
def test_json_patch_failures_are_422(ops, detail):
    with pytest.raises(ApiError) as info:
        json_patch(deployment(), ops)
    err = info.value
    assert (err.code, err.reason) == (422, "Invalid")
    assert err.message == "the server rejected our request due to an error in our request"
    assert err.details["causes"] == [{"message": detail}]


def test_json_patch_body_must_be_a_list_of_objects():
    for body in ({"op": "add"}, ["add"]):
        with pytest.raises(ApiError) as info:
            json_patch({"a": 1}, body)
        assert info.value.code == 400 and "cannot unmarshal" in info.value.message


def test_failed_json_patch_leaves_the_target_alone():
    doc = {"a": [1]}
    with pytest.raises(ApiError):
        json_patch(doc, [{"op": "add", "path": "/a/-", "value": 2}, {"op": "test", "path": "/a/0", "value": 5}])
    assert doc == {"a": [1]}
