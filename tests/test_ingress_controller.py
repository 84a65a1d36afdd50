"""The simulated ingress-nginx: class ownership, default class admission, status address, TLS, routing rules."""

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.controllers.ingress import route
from kubetui.engine.controllers.service import INGRESS_ADDRESS


def ingress_class(name="nginx", default=True, controller="k8s.io/ingress-nginx"):
    meta = {"name": name}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": meta,
            "spec": {"controller": controller}}


def backend(name, port=80):
    return {"service": {"name": name, "port": {"number": port}}}


def ingress(name, rules, class_name=None, tls=None, default_backend=None, namespace="default"):
    spec = {"rules": rules}
    if class_name:
        spec["ingressClassName"] = class_name
    if tls:
        spec["tls"] = tls
    if default_backend:
        spec["defaultBackend"] = default_backend
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": namespace},
            "spec": spec}


def rule(host, *paths):
    return {"host": host, "http": {"paths": [{"path": p, "pathType": t, "backend": backend(svc)} for p, t, svc in paths]}}


def test_owned_ingresses_get_the_address_a_sync_event_and_the_default_class():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))
    client.create(ingress_class())
    client.create(ingress_class("other", default=False, controller="example.com/other"))
    mine = client.create(ingress("web", [rule("web.example.com", ("/", "Prefix", "web"))]))
    assert mine["spec"]["ingressClassName"] == "nginx"  # DefaultIngressClass admission
    client.create(ingress("theirs", [rule("x.example.com", ("/", "Prefix", "x"))], class_name="other"))
    client.advance(1)
    assert client.get("ingresses", "web")["status"] == {"loadBalancer": {"ingress": [{"ip": INGRESS_ADDRESS}]}}
    assert not client.get("ingresses", "theirs").get("status", {}).get("loadBalancer")
    events = [(e["reason"], e["message"]) for e in client.list("events") if e["involvedObject"]["name"] == "web"]
    assert events == [("Sync", "Scheduled for sync")]


def test_a_missing_tls_secret_is_reported_until_it_exists():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))
    client.create(ingress_class())
    client.create(ingress("web", [rule("web.example.com", ("/", "Prefix", "web"))],
                          tls=[{"hosts": ["web.example.com"], "secretName": "web-tls"}]))
    client.advance(1)
    warnings = [e["message"] for e in client.list("events") if e["type"] == "Warning"]
    assert warnings == ['Error getting SSL certificate "default/web-tls": local SSL certificate default/web-tls was '
                        'not found. Using default certificate']


def test_routing_host_then_longest_path_exact_before_prefix_and_default_backend():
    ings = [
        {"metadata": {"name": "a", "namespace": "default"},
         "spec": {"rules": [rule("shop.example.com", ("/", "Prefix", "front"), ("/api", "Prefix", "api"),
                                 ("/api/v2", "Prefix", "api-v2"), ("/api/v2", "Exact", "api-v2-exact")),
                            rule("*.example.com", ("/", "Prefix", "wildcard")),
                            rule("", ("/health", "Exact", "health"))]}},
        {"metadata": {"name": "b", "namespace": "default"}, "spec": {"defaultBackend": backend("fallback", 8080)}}]
    at = lambda host, path: (lambda r: r and (r.service, r.path, r.path_type))(route(ings, host, path))
    assert at("shop.example.com", "/") == ("default/front", "/", "Prefix")
    assert at("shop.example.com", "/api/users") == ("default/api", "/api", "Prefix")
    assert at("shop.example.com", "/apis") == ("default/front", "/", "Prefix")  # Prefix matches whole elements
    assert at("shop.example.com", "/api/v2") == ("default/api-v2-exact", "/api/v2", "Exact")
    assert at("shop.example.com", "/api/v2/") == ("default/api-v2", "/api/v2", "Prefix")
    assert at("blog.example.com", "/") == ("default/wildcard", "/", "Prefix")
    assert at("a.b.example.com", "/health") == ("default/health", "/health", "Exact")  # one label only
    assert at("other.org", "/nothing") == ("default/fallback", "", "")
    assert route(ings[:1], "other.org", "/nothing") is None  # 404


def test_client_routes_through_the_served_ingresses():
    client = LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))
    client.create(ingress_class())
    client.create(ingress("web", [rule("web.example.com", ("/", "Prefix", "web"))]))
    client.advance(1)
    assert client.ingress_route("web.example.com", "/index.html").service == "default/web"
    assert client.ingress_route("nope.example.com") is None
