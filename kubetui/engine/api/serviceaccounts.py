"""ServiceAccount admission: a pod runs as a ServiceAccount and gets its API token mounted, as upstream's plugin does."""

from __future__ import annotations

from . import errors

TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_EXPIRATION_SECONDS = 3607  # what the plugin asks for: an hour, plus a little to spread refreshes
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"

# The same for every pod, so every pod shares this one (frozen, like every stored object) instead of
# carrying a dozen small dicts and lists of its own.
_TOKEN_PROJECTION = {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS, "path": "token"}},
    {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
    {"downwardAPI": {"items": [{"path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}


def admit_pod(pod: dict, account: dict | None, suffix: str) -> None:
    """Check the pod's ServiceAccount and add the `kube-api-access-<suffix>` projected volume (token, ca.crt,
    namespace) mounted read-only at TOKEN_MOUNT_PATH in every container, unless automount is off.

    The `default` account may be missing for a moment after its namespace is created (the ServiceAccount
    controller adds it on its next turn); upstream rejects the pod then, a race that here would be
    deterministic on every apply of a Namespace with its pods, so only a named, missing account is refused.
    """
    meta, spec = pod["metadata"], pod["spec"]
    name = spec.get("serviceAccountName") or "default"
    if account is None and name != "default":
        raise errors.ApiError(403, "Forbidden", f'pods "{meta.get("name") or meta.get("generateName", "")}" is '
                              f'forbidden: error looking up service account {meta["namespace"]}/{name}: '
                              f'serviceaccount "{name}" not found', {"name": meta.get("name", ""), "kind": "pods"})
    automount = spec.get("automountServiceAccountToken")
    if automount is None and account is not None:
        automount = account.get("automountServiceAccountToken")
    if automount is False:
        return
    containers = [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]
    if all(any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in c.get("volumeMounts") or ()) for c in containers):
        return
    volume = f"kube-api-access-{suffix}"
    spec["volumes"] = [*(spec.get("volumes") or ()), {"name": volume, "projected": _TOKEN_PROJECTION}]
    for container in containers:
        mounts = container.get("volumeMounts") or []
        if not any(m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
            container["volumeMounts"] = [*mounts, {"name": volume, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}]
