"""A simulated ingress-nginx: serves the Ingresses of its IngressClass, publishes its address, routes requests."""

from __future__ import annotations

from dataclasses import dataclass

from ..objects import key_of
from .base import Controller
from .service import INGRESS_ADDRESS

CONTROLLER_NAME = "k8s.io/ingress-nginx"


@dataclass(frozen=True)
class Route:
    """Where a request lands: an Ingress rule's backend Service and port (or the default backend)."""

    ingress: str        # "namespace/name"
    host: str           # the rule's host ("*" for any)
    path: str           # the matched path ("" for a default backend)
    path_type: str
    service: str        # "namespace/name"
    port: int | str


def _host_matches(rule_host: str, host: str) -> bool:
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == rule_host[2:]  # a wildcard covers exactly one label
    return rule_host == host


def _path_matches(path_type: str, rule_path: str, path: str) -> bool:
    if path_type == "Exact":
        return path == rule_path
    # Prefix (and ingress-nginx's ImplementationSpecific): element-wise on `/`, a trailing slash ignored
    want = [p for p in rule_path.split("/") if p]
    have = [p for p in path.split("/") if p]
    return have[: len(want)] == want


def route(ingresses: list[dict], host: str, path: str) -> Route | None:
    """The backend ingress-nginx would send `http://host/path` to among `ingresses`, or None (404).

    Rules with the request's host (exact, then wildcard) are tried before host-less ones; the longest
    matching path wins, Exact before Prefix on a tie; failing all, an Ingress's defaultBackend."""
    candidates = []
    for ing in ingresses:
        spec = ing.get("spec") or {}
        for rule in spec.get("rules") or ():
            rule_host = rule.get("host") or ""
            if not _host_matches(rule_host, host):
                continue
            host_rank = 0 if rule_host == host else 1 if rule_host else 2
            for p in (rule.get("http") or {}).get("paths") or ():
                path_type, rule_path = p.get("pathType", "Prefix"), p.get("path") or "/"
                if _path_matches(path_type, rule_path, path):
                    candidates.append(((host_rank, -len(rule_path.rstrip("/")), path_type != "Exact", key_of(ing)),
                                       ing, rule_host or "*", rule_path, path_type, p.get("backend") or {}))
    if candidates:
        _, ing, rule_host, rule_path, path_type, backend = min(candidates, key=lambda c: c[0])
        return _route(ing, rule_host, rule_path, path_type, backend)
    for ing in sorted(ingresses, key=key_of):
        backend = (ing.get("spec") or {}).get("defaultBackend")
        if backend:
            return _route(ing, "*", "", "", backend)
    return None


def _route(ing: dict, host: str, path: str, path_type: str, backend: dict) -> Route | None:
    service = backend.get("service")
    if service is None:
        return None
    port = service.get("port") or {}
    return Route(key_of(ing), host, path, path_type, f"{ing['metadata']['namespace']}/{service.get('name')}",
                 port.get("number", port.get("name", "")))


class IngressController(Controller):
    """Watches Ingresses, IngressClasses and TLS Secrets. An Ingress of a class this controller owns (by name,
    or through the default class) gets `status.loadBalancer` with the controller's address and a `Sync`
    event; a TLS section whose Secret is missing is reported, and the default certificate served instead."""

    name = "ingress"
    manager = None  # ingress-nginx runs as pods of its own
    component = "nginx-ingress-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.ingresses = self.informers.informer("ingresses")
        self.classes = self.informers.informer("ingressclasses")
        self.secrets = self.informers.informer("secrets")
        self.ingresses.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self.classes.add_handler(self._all, lambda old, new: self._all(new), self._all)
        self.secrets.add_handler(self._tls_secret, lambda old, new: self._tls_secret(new), self._tls_secret)
        self._synced: dict[str, str] = {}  # ingress key -> resourceVersion last reported

    def _all(self, _obj: dict) -> None:
        for key in self.ingresses.keys():
            self.queue.add(key)

    def _tls_secret(self, secret: dict) -> None:
        if secret.get("type") != "kubernetes.io/tls":
            return
        ns, name = secret["metadata"]["namespace"], secret["metadata"]["name"]
        for key in sorted(self.ingresses.index_keys("namespace", ns)):
            tls = ((self.ingresses.get(key) or {}).get("spec") or {}).get("tls") or ()
            if any(t.get("secretName") == name for t in tls):
                self.queue.add(key)

    def owns(self, ing: dict) -> bool:
        """Served by this controller: its class names an IngressClass with our controller name."""
        class_name = (ing.get("spec") or {}).get("ingressClassName")
        ingress_class = self.classes.get(class_name) if class_name else None
        return ingress_class is not None and (ingress_class.get("spec") or {}).get("controller") == CONTROLLER_NAME

    def served(self) -> list[dict]:
        """The Ingresses this controller routes for."""
        return [ing for ing in self.ingresses.list() if self.owns(ing)]

    def sync(self, key: str) -> None:
        ing = self.ingresses.get(key)
        if ing is None:
            self._synced.pop(key, None)
            return
        if not self.owns(ing):
            return
        rv = ing["metadata"]["resourceVersion"]
        if self._synced.get(key) != rv:
            self.recorder.normal(ing, "Sync", "Scheduled for sync")
        ns = ing["metadata"]["namespace"]
        for tls in (ing.get("spec") or {}).get("tls") or ():
            secret_name = tls.get("secretName")
            if secret_name and self.secrets.get(f"{ns}/{secret_name}") is None:
                self.recorder.warning(ing, "TLSSecretNotFound",
                                      f'Error getting SSL certificate "{ns}/{secret_name}": local SSL certificate '
                                      f"{ns}/{secret_name} was not found. Using default certificate")
        status = {"loadBalancer": {"ingress": [{"ip": INGRESS_ADDRESS}]}}
        if ing.get("status") != status:
            ing = self.api.update_status("ingresses", {**ing, "status": status})
        self._synced[key] = ing["metadata"]["resourceVersion"]
