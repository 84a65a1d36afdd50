"""ServiceAccount tokens as kube-apiserver issues them: JWTs with upstream's claims, signed by the cluster's stand-in key."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

from .clock import EPOCH

ISSUER = "https://kubernetes.default.svc.cluster.local"  # --service-account-issuer, as kubeadm sets it
LEGACY_ISSUER = "kubernetes/serviceaccount"
# --service-account-extend-token-expiration: a projected token asked for ~1 h is valid a year, and
# `warnafter` says when a client should have rotated it.
EXTENDED_EXPIRATION = 365 * 24 * 3600
_EPOCH_TS = int(EPOCH.timestamp())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _digest_bytes(seed: bytes, size: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:size]


class ClusterKeys:
    """The cluster CA certificate and the service-account signing key. Nothing verifies them in the
    simulation, so they are stand-in bytes derived from a cluster identity (the kube-system uid): the
    same seed gives the same certificate and tokens."""

    def __init__(self, identity: str):
        self.identity = identity.encode()
        self.key_id = _b64url(hashlib.sha256(b"sa-key" + self.identity).digest())

    def ca_certificate(self) -> str:
        body = base64.b64encode(b"\x30\x82\x03\x00" + _digest_bytes(b"ca" + self.identity, 768)).decode()
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"

    def sign(self, claims: dict) -> str:
        """A compact JWS (RS256-shaped: a 256-byte signature) over `claims`."""
        header = _b64url(json.dumps({"alg": "RS256", "kid": self.key_id}, separators=(",", ":")).encode())
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signed = f"{header}.{payload}"
        return f"{signed}.{_b64url(_digest_bytes(self.identity + signed.encode(), 256))}"

    def bound_token(self, pod: dict, account_uid: str, node: dict | None, issued_at: float,
                    expiration_seconds: int) -> str:
        """The token the kubelet asks the TokenRequest API for to fill a projected serviceAccountToken volume."""
        meta = pod["metadata"]
        iat = _EPOCH_TS + int(issued_at)
        account = pod["spec"].get("serviceAccountName") or "default"
        private = {"namespace": meta["namespace"], "pod": {"name": meta["name"], "uid": meta["uid"]},
                   "serviceaccount": {"name": account, "uid": account_uid}, "warnafter": iat + expiration_seconds}
        if node is not None:
            private["node"] = {"name": node["metadata"]["name"], "uid": node["metadata"]["uid"]}
        jti = uuid.UUID(bytes=hashlib.sha256(f"{meta['uid']}/{iat}".encode()).digest()[:16], version=4)
        return self.sign({"aud": [ISSUER], "exp": iat + EXTENDED_EXPIRATION, "iat": iat, "iss": ISSUER,
                          "jti": str(jti), "kubernetes.io": private, "nbf": iat,
                          "sub": f"system:serviceaccount:{meta['namespace']}:{account}"})

    def legacy_token(self, secret: dict, account: dict) -> str:
        """The never-expiring token the tokens controller writes into a service-account-token Secret."""
        ns = secret["metadata"]["namespace"]
        name = account["metadata"]["name"]
        return self.sign({"iss": LEGACY_ISSUER, "kubernetes.io/serviceaccount/namespace": ns,
                          "kubernetes.io/serviceaccount/secret.name": secret["metadata"]["name"],
                          "kubernetes.io/serviceaccount/service-account.name": name,
                          "kubernetes.io/serviceaccount/service-account.uid": account["metadata"]["uid"],
                          "sub": f"system:serviceaccount:{ns}:{name}"})


def claims_of(token: str) -> dict:
    """The payload of a JWT (unverified), e.g. to show what a mounted token says."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
