"""ServiceAccount admission: the token volume every pod gets, automount opt-out, and a missing named account."""

import re

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.serviceaccounts import TOKEN_MOUNT_PATH
from kubetui.engine.cluster import Cluster, NodeConfig


def pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}}


@pytest.fixture
def cluster():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.advance(1)
    return cluster


def test_every_pod_gets_the_token_ca_and_namespace_mounted(cluster):
    created = cluster.api.create("pods", pod("web", initContainers=[{"name": "init", "image": "busybox"}]), "default")
    spec = created["spec"]
    assert spec["serviceAccountName"] == "default"
    [volume] = spec["volumes"]
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", volume["name"])
    sources = volume["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"
    for container in spec["initContainers"] + spec["containers"]:
        assert container["volumeMounts"] == [{"name": volume["name"], "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}]


def test_automount_can_be_switched_off_by_the_pod_or_its_account(cluster):
    assert "volumes" not in cluster.api.create("pods", pod("a", automountServiceAccountToken=False), "default")["spec"]
    cluster.api.create("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
                                           "automountServiceAccountToken": False}, "default")
    assert "volumes" not in cluster.api.create("pods", pod("b", serviceAccountName="quiet"), "default")["spec"]
    # the pod's own setting wins over its account's
    assert cluster.api.create("pods", pod("c", serviceAccountName="quiet", automountServiceAccountToken=True),
                              "default")["spec"]["volumes"]


def test_a_missing_named_account_is_forbidden(cluster):
    with pytest.raises(ApiError) as err:
        cluster.api.create("pods", pod("web", serviceAccountName="robot"), "default")
    assert err.value.code == 403
    assert err.value.message == ('pods "web" is forbidden: error looking up service account default/robot: '
                                 'serviceaccount "robot" not found')


def test_an_existing_mount_at_the_token_path_is_left_alone(cluster):
    mine = {"name": "app", "image": "nginx:1.27", "volumeMounts": [{"name": "own", "mountPath": TOKEN_MOUNT_PATH}]}
    created = cluster.api.create("pods", pod("web", containers=[mine], volumes=[{"name": "own", "emptyDir": {}}]),
                                 "default")
    assert [v["name"] for v in created["spec"]["volumes"]] == ["own"]
