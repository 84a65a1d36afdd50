"""ServiceAccount controller: a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap in every namespace."""

from __future__ import annotations

from ..api.errors import ApiError
from .base import Controller

MANAGED_SERVICE_ACCOUNTS = ("default",)
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
ROOT_CA_DESCRIPTION = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as "
    "the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of "
    "Kubernetes clusters.")


class ServiceAccountController(Controller):
    """Creates the `default` ServiceAccount in every Active namespace, and again if it is deleted
    (pkg/controller/serviceaccount). It also publishes the cluster CA as the `kube-root-ca.crt`
    ConfigMap, the root-ca-cert-publisher's job upstream. The work queue is keyed by namespace name."""

    name = "serviceaccount"
    component = "service-account-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.namespaces = self.informers.informer("namespaces")
        self.service_accounts = self.informers.informer("serviceaccounts")
        self.namespaces.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self.configmaps = self.informers.informer("configmaps")
        self.service_accounts.add_handler(on_delete=self._on_service_account_delete)
        self.configmaps.add_handler(on_update=lambda old, new: self._on_configmap(new), on_delete=self._on_configmap)

    def _on_service_account_delete(self, sa: dict) -> None:
        if sa["metadata"]["name"] in MANAGED_SERVICE_ACCOUNTS:
            self.queue.add(sa["metadata"]["namespace"])

    def _on_configmap(self, cm: dict) -> None:
        if cm["metadata"]["name"] == ROOT_CA_CONFIGMAP:
            self.queue.add(cm["metadata"]["namespace"])

    def sync(self, key: str) -> None:
        ns = self.namespaces.get(key)
        if ns is None or (ns.get("status") or {}).get("phase") != "Active":
            return  # nothing is created in a namespace that is going away
        for name in MANAGED_SERVICE_ACCOUNTS:
            if self.service_accounts.get(f"{key}/{name}") is not None:
                continue
            sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": key}}
            try:
                self.api.create("serviceaccounts", sa, key, field_validation="Ignore")
            except ApiError as exc:
                if exc.code not in (403, 409):  # terminating namespace / created meanwhile
                    raise
        self._publish_root_ca(key)

    def _publish_root_ca(self, namespace: str) -> None:
        data = {"ca.crt": self.ctx.keys.ca_certificate()}
        current = self.configmaps.get(f"{namespace}/{ROOT_CA_CONFIGMAP}")
        if current is not None and current.get("data") == data:
            return
        annotations = {"kubernetes.io/description": ROOT_CA_DESCRIPTION}
        try:
            if current is None:
                cm = {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": namespace, "annotations": annotations},
                      "data": data}
                self.api.create("configmaps", cm, namespace, field_validation="Ignore")
            else:
                meta = {**current["metadata"],
                        "annotations": {**(current["metadata"].get("annotations") or {}), **annotations}}
                self.api.update("configmaps", {**current, "metadata": meta, "data": data}, namespace,
                                field_validation="Ignore")
        except ApiError as exc:
            if exc.code not in (403, 404, 409):
                raise
