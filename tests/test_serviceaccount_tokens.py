"""ServiceAccount tokens: the projected token a pod sees, and legacy service-account-token Secrets."""

from __future__ import annotations

import base64

import pytest

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster
from kubetui.engine.tokens import ISSUER, claims_of


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(profile="fast", seed=1)


def token_secret(name: str, account: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
            "metadata": {"name": name, "namespace": "default",
                         "annotations": {"kubernetes.io/service-account.name": account}}}


def decoded(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def test_a_token_secret_is_filled_with_token_ca_and_namespace(cluster):
    cluster.api.create("secrets", token_secret("ci-token"))
    cluster.advance(2)
    secret = cluster.api.get("secrets", "ci-token", "default")
    account = cluster.api.get("serviceaccounts", "default", "default")
    assert secret["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == account["metadata"]["uid"]
    data = decoded(secret)
    assert set(data) == {"token", "ca.crt", "namespace"}
    assert data["namespace"] == "default"
    assert data["ca.crt"] == cluster.api.get("configmaps", "kube-root-ca.crt", "default")["data"]["ca.crt"]
    header, payload, signature = data["token"].split(".")
    assert len(base64.urlsafe_b64decode(signature + "==")) == 256
    assert claims_of(data["token"]) == {
        "iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "default",
        "kubernetes.io/serviceaccount/secret.name": "ci-token",
        "kubernetes.io/serviceaccount/service-account.name": "default",
        "kubernetes.io/serviceaccount/service-account.uid": account["metadata"]["uid"],
        "sub": "system:serviceaccount:default:default"}


def test_token_secrets_of_missing_or_deleted_accounts_are_deleted(cluster):
    cluster.api.create("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount",
                                           "metadata": {"name": "ci", "namespace": "default"}})
    cluster.api.create("secrets", token_secret("ci-token", "ci"))
    cluster.api.create("secrets", token_secret("ghost-token", "ghost"))
    cluster.advance(2)
    assert cluster.api.try_get("secrets", "ghost-token", "default") is None
    assert "token" in cluster.api.get("secrets", "ci-token", "default")["data"]
    cluster.api.delete("serviceaccounts", "ci", "default")
    cluster.advance(2)
    assert cluster.api.try_get("secrets", "ci-token", "default") is None


def test_a_pods_mounted_token_names_its_pod_and_account_and_is_rotated(cluster):
    client = LocalClient(cluster)
    client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app", "namespace": "default"},
                   "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
    cluster.advance(10)
    pod = client.get("pods", "app", "default")
    volume = next(v["name"] for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access-"))
    files = client.volume_files("app", volume, "default")
    assert set(files) == {"token", "ca.crt", "namespace"}
    claims = claims_of(files["token"])
    node = client.get("nodes", pod["spec"]["nodeName"])
    account = client.get("serviceaccounts", "default", "default")
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["aud"] == [ISSUER] and claims["iss"] == ISSUER
    assert claims["kubernetes.io"] == {
        "namespace": "default", "pod": {"name": "app", "uid": pod["metadata"]["uid"]},
        "serviceaccount": {"name": "default", "uid": account["metadata"]["uid"]},
        "node": {"name": node["metadata"]["name"], "uid": node["metadata"]["uid"]},
        "warnafter": claims["iat"] + 3607}
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600
    assert client.exec("app", ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], "default") \
        .strip() == files["token"]
    cluster.advance(0.8 * 3607)
    rotated = claims_of(client.volume_files("app", volume, "default")["token"])
    assert rotated["iat"] > claims["iat"] and rotated["jti"] != claims["jti"]
