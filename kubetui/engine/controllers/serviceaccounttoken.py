"""Tokens controller: fills `kubernetes.io/service-account-token` Secrets with a token, ca.crt and namespace."""

from __future__ import annotations

import base64

from ..api.errors import ApiError
from ..objects import key_of
from .base import Controller

TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token"
NAME_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class ServiceAccountTokenController(Controller):
    """pkg/controller/serviceaccount's TokensController: a Secret of type service-account-token that names
    an existing ServiceAccount (annotation `kubernetes.io/service-account.name`) gets the account's
    uid annotation and `token` (a legacy, never-expiring JWT), `ca.crt` and `namespace` data. A token
    Secret whose ServiceAccount is gone (or was recreated with another uid) is deleted."""

    name = "serviceaccount-token"
    component = "serviceaccount-token-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.secrets = self.informers.informer("secrets")
        self.accounts = self.informers.informer("serviceaccounts")
        self.secrets.add_handler(self._on_secret, lambda old, new: self._on_secret(new))
        self.accounts.add_handler(on_delete=self._on_account_change,
                                  on_update=lambda old, new: self._on_account_change(new))

    def _on_secret(self, secret: dict) -> None:
        if secret.get("type") == TOKEN_SECRET_TYPE:
            self.enqueue(secret)

    def _on_account_change(self, account: dict) -> None:
        ns, name = account["metadata"]["namespace"], account["metadata"]["name"]
        for secret in self.secrets.by_index("namespace", ns):
            if secret.get("type") == TOKEN_SECRET_TYPE and \
                    (secret["metadata"].get("annotations") or {}).get(NAME_ANNOTATION) == name:
                self.enqueue(secret)

    def sync(self, key: str) -> None:
        secret = self.secrets.get(key)
        if secret is None or secret["metadata"].get("deletionTimestamp"):
            return
        meta = secret["metadata"]
        annotations = meta.get("annotations") or {}
        account = self.accounts.get(f"{meta['namespace']}/{annotations.get(NAME_ANNOTATION, '')}")
        uid = annotations.get(UID_ANNOTATION)
        if account is None or (uid and uid != account["metadata"]["uid"]):
            try:
                self.api.delete("secrets", meta["name"], meta["namespace"], preconditions={"uid": meta["uid"]})
            except ApiError as exc:
                if exc.code not in (404, 409):
                    raise
            return
        data = dict(secret.get("data") or {})
        wanted = {"ca.crt": _b64(self.ctx.keys.ca_certificate()), "namespace": _b64(meta["namespace"])}
        if "token" not in data:
            wanted["token"] = _b64(self.ctx.keys.legacy_token(secret, account))
        if uid and all(data.get(k) == v for k, v in wanted.items()):
            return
        new_meta = {**meta, "annotations": {**annotations, UID_ANNOTATION: account["metadata"]["uid"]}}
        try:
            self.api.update("secrets", {**secret, "metadata": new_meta, "data": {**data, **wanted}},
                            meta["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if exc.code == 409:
                self.queue.add(key_of(secret))
            elif exc.code != 404:
                raise
