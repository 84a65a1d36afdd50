"""kube-apiserver: the only writer of the store; validation, defaulting, admission, graceful deletion, watches."""

from __future__ import annotations

import ipaddress
import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .. import objects, volumes
from ..clock import Clock, rfc3339
from ..store import CompactedError, Event as StoreEvent, Store
from . import (decode, defaults, errors, kinds, patch as patches, quota, rbac, schema, selectors, serviceaccounts,
               validation)
from .kinds import Kind

WatchCallback = Callable[[str, dict, "dict | None"], None]  # (ADDED|MODIFIED|DELETED, obj, old)

# Like kube-apiserver's watch cache (disabled for events), these are not kept decoded in memory:
# their values sit in the store as JSON text and are decoded when read.
_UNCACHED = frozenset({"events"})

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

# Kinds whose metadata.generation counts spec changes.
_GENERATION_KINDS = frozenset({
    "pods", "deployments", "replicasets", "replicationcontrollers", "statefulsets", "daemonsets", "jobs",
    "horizontalpodautoscalers", "ingresses", "services", "persistentvolumeclaims",
})
_DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String alphabet (no vowels, no 0/1/3)
# apps/v1 DaemonSets carry the internal spec.templateGeneration as this annotation.
DAEMONSET_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = (30000, 32767)


@dataclass
class Watch:
    """An open watch on one resource; `stop()` ends it."""

    kind: Kind
    callback: WatchCallback
    namespace: str | None = None
    label_selector: selectors.LabelSelector | None = None
    field_selector: selectors.FieldSelector | None = None
    node_name: str | None = None  # pods watched with spec.nodeName=X are routed by an index
    active: bool = True
    server: "APIServer | None" = field(default=None, repr=False)

    def stop(self) -> None:
        if self.active and self.server is not None:
            self.server._remove_watch(self)
        self.active = False

    def matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace and meta.get("namespace") != self.namespace:
            return False
        if self.label_selector is not None and not self.label_selector.matches(meta.get("labels")):
            return False
        if self.field_selector is not None and not self.field_selector.matches(obj):
            return False
        return True


@dataclass
class AdmissionConfig:
    default_toleration_seconds: int = 300
    event_ttl: float = 3600.0  # kube-apiserver --event-ttl


_LEASE_REUSE_SECONDS = 60


class APIServer:
    """Serves the Kubernetes API over the store.

    Like kube-apiserver's watch cache, it keeps the current objects of every kind in memory and serves
    gets and lists from there; every write goes to the store, and the store's watch stream updates the
    cache and feeds the watchers. Watch callbacks run synchronously after the write, so informers are
    never behind the store; callbacks must only record the change (enqueue work), never write back.
    """

    def __init__(self, store: Store, clock: Clock, rng: random.Random, admission: AdmissionConfig | None = None):
        self.store = store
        self.clock = clock
        self.rng = rng
        self.admission = admission or AdmissionConfig()
        self._cache: dict[str, dict[str, dict] | _StoreView] = {
            k.plural: _StoreView(store, k) if k.plural in _UNCACHED else {} for k in kinds.KINDS}
        self._watches: dict[str, list[Watch]] = {k.plural: [] for k in kinds.KINDS}
        self.authorizer = rbac.Authorizer(self._cache)
        self._pod_watches_by_node: dict[str, list[Watch]] = {}
        self._kind_by_resource = {k.prefix[len(kinds.REGISTRY_PREFIX) + 1:-1]: k for k in kinds.KINDS}
        self._allocated_ips: set[str] = set()
        self._allocated_node_ports: set[int] = set()
        self.request_count = 0
        # Set by the control plane while writes cannot succeed (no etcd quorum, no API server): makes
        # the error each write then fails with. Reads are still served from the watch cache.
        self.outage: Callable[[], errors.ApiError] | None = None
        self._event_lease: tuple[int, int] | None = None
        self._sequence = 0
        self._load_from_store()
        store.watch(kinds.REGISTRY_PREFIX + "/", self._on_store_event)

    # -- cache and watch fan-out -------------------------------------------------------------

    def _kind_of_key(self, key: str) -> Kind | None:
        """`/registry/pods/ns/name` → pods; `/registry/services/specs/...` → services."""
        parts = key.split("/", 4)
        if len(parts) < 4:
            return None
        return self._kind_by_resource.get(parts[2]) or self._kind_by_resource.get(f"{parts[2]}/{parts[3]}")

    def _cache_key(self, kind: Kind, key: str) -> str:
        return key[len(kind.prefix):]  # "ns/name" or "name", the informer key format

    def _load_from_store(self) -> None:
        for kv in self.store.range(kinds.REGISTRY_PREFIX + "/"):
            kind = self._kind_of_key(kv.key)
            if kind is not None and kind.plural not in _UNCACHED:
                self._cache[kind.plural][self._cache_key(kind, kv.key)] = kv.value
                self._track_allocations(kind, kv.value)

    def _on_store_event(self, event: StoreEvent) -> None:
        kind = self._kind_of_key(event.key)
        if kind is None:
            return
        if kind.plural in _UNCACHED:
            if self._watches[kind.plural]:
                self._dispatch(kind, _decoded(event.kv), _decoded(event.prev_kv), event.revision)
            return
        ckey = self._cache_key(kind, event.key)
        old = event.prev_kv.value if event.prev_kv else None
        if event.kv is None:
            self._cache[kind.plural].pop(ckey, None)
            new = None
            self._release_allocations(kind, old)
        else:
            new = event.kv.value
            self._cache[kind.plural][ckey] = new
        self._dispatch(kind, new, old, event.revision)

    def _dispatch(self, kind: Kind, new: dict | None, old: dict | None, revision: int) -> None:
        watches = self._watches[kind.plural]
        if kind.plural == "pods" and self._pod_watches_by_node:
            routed = []
            for node in {(new or {}).get("spec", {}).get("nodeName"), (old or {}).get("spec", {}).get("nodeName")}:
                if node:
                    routed.extend(self._pod_watches_by_node.get(node, ()))
            watches = watches + routed if routed else watches
        if not watches:
            return
        deleted_view = None
        for w in list(watches):
            if not w.active:
                continue
            was, now = w.matches(old), w.matches(new)
            if now:
                w.callback("ADDED" if not was else "MODIFIED", new, old if was else None)
            elif was:
                if deleted_view is None:
                    deleted_view = _with_rv(old, revision)
                w.callback("DELETED", deleted_view, None)

    def watch(self, resource: str, callback: WatchCallback, namespace: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None,
              resource_version: str | None = None) -> Watch:
        """Watch a resource. With `resource_version`, changes after that revision are replayed first
        (a compacted revision is 410 Expired); "0" or None starts from now."""
        kind = kinds.by_plural(resource)
        lsel = selectors.parse_label_selector(label_selector) if label_selector else None
        fsel = None
        node_name = None
        if field_selector:
            fsel = selectors.parse_field_selector(field_selector)
            selectors.validate_field_selector(kind.kind, fsel)
            reqs = fsel.requirements
            if kind.plural == "pods" and len(reqs) == 1 and reqs[0][0] == "spec.nodeName" and reqs[0][1] in ("=", "==") and reqs[0][2]:
                node_name = reqs[0][2]
        w = Watch(kind, callback, namespace or None, lsel, fsel, node_name, server=self)
        if resource_version not in (None, "", "0"):
            self._replay(w, int(resource_version))
        if node_name:
            self._pod_watches_by_node.setdefault(node_name, []).append(w)
        else:
            self._watches[kind.plural].append(w)
        return w

    def _replay(self, w: Watch, rv: int) -> None:
        replay: list[StoreEvent] = []
        try:
            self.store.watch(w.kind.prefix, replay.append, start_revision=rv + 1).cancel()
        except CompactedError:
            raise errors.gone(f"too old resource version: {rv} ({self.store.compact_revision})") from None
        for ev in replay:
            old, new = _decoded(ev.prev_kv), _decoded(ev.kv)
            was, now = w.matches(old), w.matches(new)
            if now:
                w.callback("ADDED" if not was else "MODIFIED", new, old if was else None)
            elif was:
                w.callback("DELETED", _with_rv(old, ev.revision), None)

    def _remove_watch(self, w: Watch) -> None:
        bucket = self._pod_watches_by_node.get(w.node_name) if w.node_name else self._watches[w.kind.plural]
        if bucket and w in bucket:
            bucket.remove(w)
        if w.node_name and not bucket:
            self._pod_watches_by_node.pop(w.node_name, None)

    # -- reads -------------------------------------------------------------------------------

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict:
        kind = kinds.by_plural(resource)
        obj = self._cache[kind.plural].get(f"{namespace}/{name}" if kind.namespaced else name)
        if obj is None:
            raise errors.not_found(kind.plural, kind.group, name)
        return obj

    def try_get(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        kind = kinds.by_plural(resource)
        return self._cache[kind.plural].get(f"{namespace}/{name}" if kind.namespaced else name)

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str]:
        """Items (sorted by namespace/name, like etcd's key order) and the list's resourceVersion."""
        kind = kinds.by_plural(resource)
        cache = self._cache[kind.plural]
        if namespace and kind.namespaced:
            prefix = namespace + "/"
            keys = sorted(k for k in cache if k.startswith(prefix))
        else:
            keys = sorted(cache)
        items = [cache[k] for k in keys]
        if label_selector:
            lsel = selectors.parse_label_selector(label_selector)
            items = [o for o in items if lsel.matches(o["metadata"].get("labels"))]
        if field_selector:
            fsel = selectors.parse_field_selector(field_selector)
            selectors.validate_field_selector(kind.kind, fsel)
            items = [o for o in items if fsel.matches(o)]
        return items, str(self.store.revision)

    def next_sequence(self) -> int:
        """A number unique within this API server (makes same-instant event names distinct)."""
        self._sequence += 1
        return self._sequence

    def count(self, resource: str) -> int:
        return len(self._cache[resource])

    def _put(self, kind: Kind, key: str, obj: dict, lease: int = 0) -> None:
        self.store.put(key, _ENCODER.encode(obj) if kind.plural in _UNCACHED else obj, lease)

    # -- create ------------------------------------------------------------------------------

    def create(self, resource: str, obj: dict, namespace: str | None = None, *, dry_run: bool = False,
               field_validation: str = "Strict", handover: bool = False) -> dict:
        """POST. With `handover` an in-process caller gives up a freshly built, complete and valid
        object, which is stored as it is: no defensive copy, defaulting or validation (the event
        recorder's hot path)."""
        kind = kinds.by_plural(resource)
        self.request_count += 1
        if self.outage is not None:
            raise self.outage()
        obj = obj if handover and isinstance(obj, dict) else self._decode(kind, obj, field_validation)
        meta = obj.setdefault("metadata", {})
        ns = self._resolve_namespace(kind, meta, namespace)
        self._admit_namespace(kind, ns)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(kind, meta["generateName"], ns)
        # Identity first: defaulting may depend on it (a Job's generated selector uses its uid).
        meta["uid"] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        meta["creationTimestamp"] = rfc3339(self.clock.now)
        for drop in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(drop, None)
        if not handover:
            defaults.apply_defaults(kind.kind, obj)
        self._prepare_for_create(kind, obj)
        errs = () if handover else validation.validate(kind.kind, obj)
        if errs:
            raise errors.invalid_object(kind.kind, kind.group, meta.get("name") or meta.get("generateName", ""), errs)
        key = kind.key(meta["name"], ns)
        if self.store.get(key) is not None:
            raise errors.already_exists(kind.plural, kind.group, meta["name"])
        charged = self._admit_quota(kind, obj, ns) if ns and not handover else []
        self._allocate(kind, obj, None)
        if kind.plural in _GENERATION_KINDS:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if dry_run:
            meta["resourceVersion"] = ""
            return obj
        meta["resourceVersion"] = str(self.store.revision + 1)
        self._put(kind, key, obj, self._lease_for(kind))
        for q, used in charged:  # the quotas now count the new object (their controller recounts on deletes)
            self.update_status("resourcequotas", {**q, "status": {"hard": q["spec"].get("hard", {}), "used": used}})
        return obj

    def _default_ingress_class(self, ing: dict) -> None:
        """DefaultIngressClass admission: an Ingress without a class gets the default one (the newest, if several)."""
        spec = ing.setdefault("spec", {})
        if spec.get("ingressClassName"):
            return
        defaults_ = [c for c in self._cache["ingressclasses"].values()
                     if (c["metadata"].get("annotations") or {}).get(_DEFAULT_INGRESS_CLASS) == "true"]
        if defaults_:
            newest = max(defaults_, key=lambda c: (c["metadata"].get("creationTimestamp", ""), c["metadata"]["name"]))
            spec["ingressClassName"] = newest["metadata"]["name"]

    def _in_namespace(self, plural: str, ns: str) -> list[dict]:
        prefix = f"{ns}/"
        cache = self._cache[plural]
        return [cache[k] for k in sorted(cache) if k.startswith(prefix)]

    def _admit_quota(self, kind: Kind, obj: dict, ns: str) -> list[tuple[dict, dict]]:
        """ResourceQuota admission: every quota of the namespace must have room for the object; returns each
        affected quota with its usage after the charge."""
        quotas = [q for q in self._in_namespace("resourcequotas", ns) if (q.get("spec") or {}).get("hard")]
        if not quotas or kind.plural == "events":
            return []
        charge = quota.usage(kind.plural, kind.group, obj)
        out = []
        for q in quotas:
            if (q.get("status") or {}).get("used") is None:  # not counted yet by its controller: count now
                q = {**q, "status": {"hard": q["spec"]["hard"], "used": self.quota_usage(q)}}
            used = quota.admit(q, kind.plural, obj["metadata"]["name"], charge, obj)
            if used != (q.get("status") or {}).get("used"):
                out.append((q, used))
        return out

    def quota_usage(self, q: dict) -> dict[str, str]:
        """What the quota's namespace uses of each resource the quota limits, counted from the objects."""
        ns, hard = q["metadata"]["namespace"], (q.get("spec") or {}).get("hard") or {}
        totals: dict = {}
        for plural in sorted({quota.resource_of(name) for name in hard} - {None}):
            if not isinstance(self._cache.get(plural), dict):
                continue  # not a kind this cluster serves (or events, which are not cached)
            kind = kinds.by_plural(plural)
            for obj in self._in_namespace(plural, ns):
                for name, value in quota.usage(plural, kind.group, obj).items():
                    totals[name] = totals.get(name, 0) + value
        return {name: quota.text(name, totals.get(name, 0)) for name in sorted(hard)}

    def _generate_name(self, kind: Kind, base: str, ns: str | None) -> str:
        """`base` + 5 random characters; like current kube-apiserver, retry a taken name (8 tries)."""
        for _ in range(8):
            name = base + "".join(self.rng.choice(_NAME_CHARS) for _ in range(5))
            if self.store.get(kind.key(name, ns)) is None:
                break
        return name

    def _decode(self, kind: Kind, obj: dict, field_validation: str) -> dict:
        if not isinstance(obj, dict):
            raise errors.bad_request(f"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        obj = objects.deep_copy(obj)
        if obj.get("kind", kind.kind) != kind.kind or obj.get("apiVersion", kind.api_version) != kind.api_version:
            raise errors.bad_request(
                f'the API version in the data ({obj.get("apiVersion")}) does not match the expected API version ({kind.api_version})'
                if obj.get("kind", kind.kind) == kind.kind else
                f'{obj.get("kind")} in version "{kind.version}" cannot be handled as a {kind.kind}: no kind "{obj.get("kind")}" is registered')
        obj["apiVersion"] = kind.api_version
        obj["kind"] = kind.kind
        # Strict and Warn decode as kube-apiserver does (types checked, unknown fields rejected or
        # dropped); "Ignore" is for in-process components, whose objects are typed already.
        if field_validation in ("Strict", "Warn"):
            decode.decode(kind.group, kind.version, kind.kind, obj, strict=field_validation == "Strict")
        return obj

    def _resolve_namespace(self, kind: Kind, meta: dict, namespace: str | None) -> str | None:
        if not kind.namespaced:
            meta.pop("namespace", None)
            return None
        ns = meta.get("namespace") or namespace or "default"
        if namespace and meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = ns
        return ns

    def _admit_namespace(self, kind: Kind, ns: str | None) -> None:
        """NamespaceLifecycle admission: the namespace must exist and not be terminating."""
        if ns is None:
            return
        nso = self._cache["namespaces"].get(ns)
        if nso is None:
            raise errors.not_found("namespaces", "", ns)
        if nso["metadata"].get("deletionTimestamp") and kind.plural != "events":
            message = f"unable to create new content in namespace {ns} because it is being terminated"
            raise errors.ApiError(403, "Forbidden", f"{kind.plural} is forbidden: {message}", {
                "name": kind.plural, "kind": kind.plural,
                "causes": [{"type": "NamespaceTerminating", "message": message, "field": "metadata.namespace"}]})

    def _prepare_for_create(self, kind: Kind, obj: dict) -> None:
        plural = kind.plural
        if plural == "pods":
            spec = obj.get("spec") or {}
            ns = obj["metadata"]["namespace"]
            problems = quota.limit_ranger(obj, self._in_namespace("limitranges", ns))
            if problems:
                name = obj["metadata"].get("name", "")
                raise quota.forbidden("pods", name, problems[0] if len(problems) == 1 else f"[{', '.join(problems)}]")
            account = self._cache["serviceaccounts"].get(f"{ns}/{spec.get('serviceAccountName') or 'default'}")
            serviceaccounts.admit_pod(obj, account, "".join(self.rng.choice(_NAME_CHARS) for _ in range(5)))
            defaults.add_default_tolerations(spec, self.admission.default_toleration_seconds)
            obj["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}
        elif plural == "ingresses":
            self._default_ingress_class(obj)
        elif plural == "namespaces":
            obj["status"] = {"phase": "Active"}
        elif plural == "persistentvolumeclaims":
            obj["status"] = {"phase": "Pending"}
            self._admit_claim(obj)
        elif plural == "persistentvolumes":
            obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": rfc3339(self.clock.now)}
            _add_finalizer(obj, volumes.PV_PROTECTION_FINALIZER)
        elif plural == "nodes":
            pass  # kubelets register their nodes with a status
        elif "status" in kind.subresources:
            obj["status"] = {}
        if plural in ("services", "ingresses") and "status" in kind.subresources:
            obj["status"] = {"loadBalancer": {}}
        if plural == "daemonsets":
            _set_template_generation(obj, None)

    def _admit_claim(self, claim: dict) -> None:
        """DefaultStorageClass (a claim that names no class gets the default one) and
        StorageObjectInUseProtection (the pvc-protection finalizer) admission."""
        spec = claim.setdefault("spec", {})
        if spec.get("storageClassName") is None and volumes.ANN_BETA_STORAGE_CLASS not in (
                claim["metadata"].get("annotations") or {}):
            default = volumes.default_class(self._cache["storageclasses"].values())
            if default is not None:
                spec["storageClassName"] = default["metadata"]["name"]
        _add_finalizer(claim, volumes.PVC_PROTECTION_FINALIZER)

    def _lease_for(self, kind: Kind) -> int:
        """Events expire after --event-ttl through an etcd lease; like kube-apiserver, one lease is
        reused for every event created within a minute."""
        if kind.plural != "events":
            return 0
        window = int(self.clock.now // _LEASE_REUSE_SECONDS)
        if self._event_lease is None or self._event_lease[0] != window:
            self._event_lease = (window, self.store.grant(self.admission.event_ttl + _LEASE_REUSE_SECONDS))
        return self._event_lease[1]

    # -- ClusterIP / NodePort allocation (the Service REST storage's job upstream) ------------

    def _track_allocations(self, kind: Kind, obj: dict) -> None:
        if kind.plural != "services":
            return
        spec = obj.get("spec") or {}
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            self._allocated_ips.add(ip)
        for port in spec.get("ports") or ():
            if port.get("nodePort"):
                self._allocated_node_ports.add(port["nodePort"])

    def _release_allocations(self, kind: Kind, obj: dict | None) -> None:
        if kind.plural != "services" or obj is None:
            return
        spec = obj.get("spec") or {}
        self._allocated_ips.discard(spec.get("clusterIP"))
        for port in spec.get("ports") or ():
            self._allocated_node_ports.discard(port.get("nodePort"))

    def _allocate(self, kind: Kind, obj: dict, old: dict | None) -> None:
        if kind.plural != "services":
            return
        spec = obj["spec"]
        name = obj["metadata"]["name"]
        stype = spec.get("type", "ClusterIP")
        if stype == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
            return
        ip = spec.get("clusterIP")
        old_spec = (old or {}).get("spec") or {}
        if old is not None and not ip:
            ip = old_spec.get("clusterIP")
        if ip and ip != "None":
            if old_spec.get("clusterIP") != ip:
                try:
                    address = ipaddress.ip_address(ip)
                except ValueError:
                    raise errors.invalid_object("Service", "", name, [errors.invalid(
                        "spec.clusterIPs[0]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]) from None
                if address not in SERVICE_CIDR:
                    raise errors.invalid_object("Service", "", name, [errors.invalid(
                        "spec.clusterIPs", ip, f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}")])
                if ip in self._allocated_ips:
                    raise errors.invalid_object("Service", "", name, [errors.invalid(
                        "spec.clusterIPs", [ip], f"failed to allocate IP {ip}: provided IP is already allocated")])
        elif not ip:
            ip = self._random_service_ip()
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]
        if stype in ("NodePort", "LoadBalancer"):
            old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in old_spec.get("ports") or ()}
            for i, port in enumerate(spec.get("ports") or ()):
                want = port.get("nodePort") or old_ports.get((port.get("port"), port.get("protocol")))
                if want:
                    lo, hi = NODE_PORT_RANGE
                    if not lo <= want <= hi:
                        raise errors.invalid_object("Service", "", name, [errors.invalid(
                            f"spec.ports[{i}].nodePort", want, f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}")])
                    if want in self._allocated_node_ports and want not in old_ports.values():
                        raise errors.invalid_object("Service", "", name, [errors.invalid(
                            f"spec.ports[{i}].nodePort", want, "provided port is already allocated")])
                else:
                    want = self._random_node_port()
                port["nodePort"] = want
                self._allocated_node_ports.add(want)
        if ip != "None":
            self._allocated_ips.add(ip)

    def _random_service_ip(self) -> str:
        base = int(SERVICE_CIDR.network_address)
        size = SERVICE_CIDR.num_addresses
        while True:
            ip = str(ipaddress.ip_address(base + self.rng.randrange(2, size - 1)))
            if ip not in self._allocated_ips:
                return ip

    def _random_node_port(self) -> int:
        lo, hi = NODE_PORT_RANGE
        while True:
            port = self.rng.randint(lo, hi)
            if port not in self._allocated_node_ports:
                return port

    # -- update ------------------------------------------------------------------------------

    def update(self, resource: str, obj: dict, namespace: str | None = None, *, subresource: str | None = None,
               dry_run: bool = False, field_validation: str = "Strict") -> dict:
        """PUT: replace an object (optimistic concurrency on metadata.resourceVersion)."""
        kind = kinds.by_plural(resource)
        self.request_count += 1
        if self.outage is not None:
            raise self.outage()
        obj = self._decode(kind, obj, field_validation)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name")
        if not name:
            raise errors.bad_request("name is required in the object's metadata")
        ns = self._resolve_namespace(kind, meta, namespace)
        current = self._cache[kind.plural].get(f"{ns}/{name}" if kind.namespaced else name)
        if current is None:
            raise errors.not_found(kind.plural, kind.group, name)
        rv = meta.get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(kind.plural, kind.group, name,
                                  "the object has been modified; please apply your changes to the latest version and try again")
        if meta.get("uid") and meta["uid"] != current["metadata"]["uid"]:
            raise errors.conflict(kind.plural, kind.group, name,
                                  f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {current['metadata']['uid']}")
        return self._write_update(kind, current, obj, subresource, dry_run)

    def update_status(self, resource: str, obj: dict) -> dict:
        """PUT .../status from an in-process component.

        Fast path for controllers and kubelets: the caller hands over a new object whose `status` it
        built (never mutated afterwards), so nothing is copied or re-validated.
        """
        kind = kinds.by_plural(resource)
        self.request_count += 1
        if self.outage is not None:
            raise self.outage()
        meta = obj["metadata"]
        current = self._cache[kind.plural].get(f"{meta.get('namespace')}/{meta['name']}" if kind.namespaced else meta["name"])
        if current is None:
            raise errors.not_found(kind.plural, kind.group, meta["name"])
        rv = meta.get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(kind.plural, kind.group, meta["name"],
                                  "the object has been modified; please apply your changes to the latest version and try again")
        status = obj.get("status", {})
        if status == current.get("status"):
            return current
        new = {**current, "status": status}
        new["metadata"] = {**current["metadata"], "resourceVersion": str(self.store.revision + 1)}
        self._put(kind, kind.key(meta["name"], meta.get("namespace")), new)
        return new

    def _write_update(self, kind: Kind, current: dict, obj: dict, subresource: str | None, dry_run: bool) -> dict:
        cur_meta = current["metadata"]
        if subresource == "status":
            new = {**current, "status": obj.get("status", {})}
            new["metadata"] = dict(cur_meta)
        elif subresource in (None, "finalize"):
            new = obj
            meta = new["metadata"]
            for keep in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
                if keep in cur_meta:
                    meta[keep] = cur_meta[keep]
                else:
                    meta.pop(keep, None)
            if kind.plural != "nodes" and "status" in kind.subresources:
                if "status" in current:
                    new["status"] = current["status"]
                else:
                    new.pop("status", None)
            if subresource == "finalize":
                new = {**current, "spec": {**(current.get("spec") or {}), "finalizers": (obj.get("spec") or {}).get("finalizers") or []}}
                new["metadata"] = dict(cur_meta)
            else:
                defaults.apply_defaults(kind.kind, new)
                if kind.plural == "services":
                    self._allocate(kind, new, current)
                elif kind.plural == "daemonsets":
                    _set_template_generation(new, current)
            if kind.plural in _GENERATION_KINDS and new.get("spec") != current.get("spec"):
                meta = new["metadata"]
                meta["generation"] = cur_meta.get("generation", 1) + 1
        else:
            raise errors.bad_request(f"unsupported subresource {subresource!r}")
        errs = validation.validate(kind.kind, new, current)
        if errs:
            raise errors.invalid_object(kind.kind, kind.group, cur_meta["name"], errs)
        if dry_run:
            return new
        key = kind.key(cur_meta["name"], cur_meta.get("namespace"))
        new["metadata"]["resourceVersion"] = cur_meta["resourceVersion"]
        if new == current:
            return current  # like kube-apiserver, an update that changes nothing writes nothing
        if cur_meta.get("deletionTimestamp") and not new["metadata"].get("finalizers") and not _namespace_finalizers(kind, new):
            if kind.plural != "pods" or _pod_deletable(new):
                self.store.delete(key)
                return new
        new["metadata"]["resourceVersion"] = str(self.store.revision + 1)
        self._put(kind, key, new, self.store.get(key).lease)
        return new

    # -- patch -------------------------------------------------------------------------------

    def patch(self, resource: str, name: str, body, patch_type: str = "strategic", namespace: str | None = None,
              *, subresource: str | None = None, dry_run: bool = False, field_validation: str = "Strict") -> dict:
        """PATCH with `json` (RFC 6902), `merge` (RFC 7386) or `strategic` (Kubernetes' merge keys)."""
        kind = kinds.by_plural(resource)
        current = self.get(resource, name, namespace)
        if patch_type == "merge":
            new = patches.json_merge_patch(current, body)
        elif patch_type == "strategic":
            new = patches.strategic_merge_patch(current, body, schema.definition_name(kind.group, kind.version, kind.kind))
        elif patch_type == "json":
            new = patches.json_patch(current, body)
        else:
            raise errors.ApiError(415, "UnsupportedMediaType", f"the server does not support patch type {patch_type!r}")
        if not isinstance(new, dict):
            raise errors.bad_request("the patch did not produce an object")
        meta = new.setdefault("metadata", {})
        meta.setdefault("resourceVersion", current["metadata"]["resourceVersion"])
        if meta.get("name") != name:
            raise errors.bad_request("the name of the object and the name of the patch target differ")
        return self.update(resource, new, namespace, subresource=subresource, dry_run=dry_run,
                           field_validation=field_validation)

    # -- delete ------------------------------------------------------------------------------

    def delete(self, resource: str, name: str, namespace: str | None = None, *,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               preconditions: dict | None = None, dry_run: bool = False) -> dict:
        """DELETE: graceful for pods on a node, finalizers honoured, ownerReference cascading via the GC."""
        kind = kinds.by_plural(resource)
        self.request_count += 1
        if self.outage is not None:
            raise self.outage()
        current = self.get(resource, name, namespace)
        meta = current["metadata"]
        if preconditions:
            if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
                raise errors.conflict(kind.plural, kind.group, name,
                                      f"Precondition failed: UID in precondition: {preconditions['uid']}, UID in object meta: {meta['uid']}")
            if preconditions.get("resourceVersion") and preconditions["resourceVersion"] != meta["resourceVersion"]:
                raise errors.conflict(kind.plural, kind.group, name,
                                      "the object has been modified; please apply your changes to the latest version and try again")
        if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
            raise errors.bad_request(f'Unsupported value: "{propagation_policy}": supported values: "Foreground", "Background", "Orphan"')
        if dry_run:
            return current
        key = kind.key(name, meta.get("namespace"))
        now = self.clock.now
        finalizers = list(meta.get("finalizers") or ())
        if propagation_policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif propagation_policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")

        grace = self._grace_period(kind, current, grace_period_seconds)
        if meta.get("deletionTimestamp"):
            # Already terminating: only a shorter grace period (or finalizer changes) can move it on.
            old_grace = meta.get("deletionGracePeriodSeconds", 0)
            if grace is None or grace >= old_grace:
                if kind.plural == "pods" and grace == 0 and not finalizers:
                    self.store.delete(key)
                return current
        if kind.plural == "namespaces":
            new_meta = {**meta, "deletionTimestamp": rfc3339(now), "deletionGracePeriodSeconds": 0,
                        "resourceVersion": str(self.store.revision + 1)}
            if finalizers:
                new_meta["finalizers"] = finalizers
            new = {**current, "metadata": new_meta, "status": {**(current.get("status") or {}), "phase": "Terminating"}}
            self._put(kind, key, new)
            return new
        if not finalizers and not grace:
            self.store.delete(key)
            return _with_rv(current, self.store.revision)
        new_meta = {**meta, "deletionTimestamp": rfc3339(now + (grace or 0)),
                    "deletionGracePeriodSeconds": grace or 0, "resourceVersion": str(self.store.revision + 1)}
        if finalizers:
            new_meta["finalizers"] = finalizers
        new = {**current, "metadata": new_meta}
        self._put(kind, key, new, self.store.get(key).lease)
        return new

    def _grace_period(self, kind: Kind, obj: dict, requested: int | None) -> int | None:
        """Only pods bound to a live kubelet terminate gracefully; anything else goes at once."""
        if kind.plural != "pods":
            return None
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        if requested is None:
            requested = spec.get("terminationGracePeriodSeconds", 30)
        return max(0, int(requested))

    # -- subresources ------------------------------------------------------------------------

    def bind(self, namespace: str, name: str, node_name: str) -> dict:
        """POST pods/<name>/binding, as the scheduler's DefaultBinder does."""
        self.request_count += 1
        if self.outage is not None:
            raise self.outage()
        pod = self.get("pods", name, namespace)
        spec = pod["spec"]
        if spec.get("nodeName"):
            raise errors.conflict("pods", "", name, f"pod {name} is already assigned to node \"{spec['nodeName']}\"")
        if pod["metadata"].get("deletionTimestamp"):
            raise errors.conflict("pods", "", name, "pod is being deleted, cannot be assigned to a host")
        if node_name not in self._cache["nodes"]:
            raise errors.not_found("nodes", "", node_name)
        now = rfc3339(self.clock.now)
        status = pod.get("status") or {}
        conditions = objects.set_condition(status.get("conditions"),
                                           {"type": "PodScheduled", "status": "True", "lastProbeTime": None}, now)
        new = {**pod, "spec": {**spec, "nodeName": node_name}, "status": {**status, "conditions": conditions}}
        new["metadata"] = {**pod["metadata"], "resourceVersion": str(self.store.revision + 1)}
        self.store.put(kinds.BY_PLURAL["pods"].key(name, namespace), new)
        return new

    def get_scale(self, resource: str, name: str, namespace: str | None = None) -> dict:
        obj = self.get(resource, name, namespace)
        selector = (obj.get("spec") or {}).get("selector") or {}
        if resource == "replicationcontrollers":
            sel_text = str(selectors.from_set(selector))
        else:
            sel_text = str(selectors.from_label_selector_object(selector))
        meta = obj["metadata"]
        return {
            "kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"), "uid": meta["uid"],
                         "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"]},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": sel_text},
        }

    def scale(self, resource: str, name: str, replicas: int, namespace: str | None = None,
              resource_version: str | None = None) -> dict:
        """PUT .../scale: set spec.replicas."""
        kind = kinds.by_plural(resource)
        if self.outage is not None:
            raise self.outage()
        if "scale" not in kind.subresources:
            raise errors.ApiError(404, "NotFound", f"the server could not find the requested resource ({resource}/scale)")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid_object("Scale", "autoscaling", name, [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
        current = self.get(resource, name, namespace)
        if resource_version and resource_version != current["metadata"]["resourceVersion"]:
            raise errors.conflict(kind.plural, kind.group, name,
                                  "the object has been modified; please apply your changes to the latest version and try again")
        new = {**current, "spec": {**current["spec"], "replicas": replicas}, "metadata": dict(current["metadata"])}
        self._write_update(kind, current, new, None, False)
        return self.get_scale(resource, name, namespace)


def _with_rv(obj: dict, revision: int) -> dict:
    return {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(revision)}}


def _set_template_generation(ds: dict, old: dict | None) -> None:
    """The DaemonSet strategy's templateGeneration: 1 on create (or what the request asked for),
    the old value on update, one more when the update changes spec.template."""
    meta = ds["metadata"]
    annotations = dict(meta.get("annotations") or {})
    source = annotations if old is None else old["metadata"].get("annotations") or {}
    try:
        generation = max(int(source.get(DAEMONSET_TEMPLATE_GENERATION) or 0), 1)
    except ValueError:
        generation = 1
    if old is not None and (ds.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
        generation += 1
    annotations[DAEMONSET_TEMPLATE_GENERATION] = str(generation)
    meta["annotations"] = annotations


def _namespace_finalizers(kind: Kind, obj: dict) -> bool:
    return kind.plural == "namespaces" and bool((obj.get("spec") or {}).get("finalizers"))


def _add_finalizer(obj: dict, finalizer: str) -> None:
    finalizers = obj["metadata"].setdefault("finalizers", [])
    if finalizer not in finalizers:
        finalizers.append(finalizer)


def _pod_deletable(pod: dict) -> bool:
    """A terminating pod goes once its kubelet confirmed (grace 0) or it never ran on a node."""
    return pod["metadata"].get("deletionGracePeriodSeconds", 0) == 0 or not pod["spec"].get("nodeName")


def _qos_class(spec: dict) -> str:
    """Guaranteed / Burstable / BestEffort, from the containers' requests and limits."""
    containers = list(spec.get("containers") or ()) + list(spec.get("initContainers") or ())
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _decoded(kv) -> dict | None:
    if kv is None:
        return None
    return json.loads(kv.value) if isinstance(kv.value, str) else kv.value


class _StoreView:
    """The cache interface for an uncached kind: reads go to the store and decode JSON each time."""

    def __init__(self, store: Store, kind: Kind):
        self.store = store
        self.prefix = kind.prefix

    def get(self, key: str, default=None):
        kv = self.store.get(self.prefix + key)
        return json.loads(kv.value) if kv is not None else default

    def __getitem__(self, key: str) -> dict:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        return self.store.get(self.prefix + key) is not None

    def __iter__(self):
        n = len(self.prefix)
        return iter([k[n:] for k in self.store.keys(self.prefix)])

    def __len__(self) -> int:
        return self.store.count(self.prefix)
