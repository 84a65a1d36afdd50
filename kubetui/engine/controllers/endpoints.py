"""Endpoints controller: a Service's ready and not-ready pod addresses."""

from __future__ import annotations

import ipaddress

from ..api.errors import ApiError
from ..objects import is_pod_ready, key_of, split_key
from .base import Controller

LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
HEADLESS_LABEL = "service.kubernetes.io/headless"
MAX_CAPACITY = 1000  # addresses kept in one Endpoints object; the rest are truncated
# Virtual time has no worker latency to coalesce a burst of pod changes, so a Service is synced at
# most once per interval while its pods churn (an isolated change is still synced at once).
BURST_INTERVAL = 1.0


class EndpointsController(Controller):
    """Keeps one v1 Endpoints object per Service with a selector, as pkg/controller/endpoint does.

    Pods are indexed by label pair and Services by one pair of their selector, so a pod event only
    touches the Services whose selector it matches (before or after the change).
    """

    name = "endpoint"
    component = "endpoint-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.pods = self.informers.informer("pods")
        self.services = self.informers.informer("services")
        self.endpoints = self.informers.informer("endpoints")
        self._selectors: dict[str, dict] = {}
        self._services_by_pair: dict[tuple[str, str, str], set[str]] = {}
        self._pods_by_pair: dict[tuple[str, str, str], set[str]] = {}
        self._trigger_state: dict[str, tuple[str | None, dict[str, str]]] = {}
        self._last_sync: dict[str, float] = {}
        self.services.add_handler(self._on_service, lambda old, new: self._on_service(new), self._on_service_delete)
        self.pods.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        self.endpoints.add_handler(on_delete=self.enqueue)
        for key in self.endpoints.keys():  # checkLeftoverEndpoints: Endpoints whose Service is gone
            self.queue.add(key)

    # -- indexes and handlers ------------------------------------------------------------------

    def _on_service(self, svc: dict) -> None:
        key = key_of(svc)
        selector = (svc.get("spec") or {}).get("selector") or None
        if selector != self._selectors.get(key):
            self._unindex_service(key)
            if selector:
                self._selectors[key] = selector
                pair = min(selector.items())
                self._services_by_pair.setdefault((svc["metadata"]["namespace"], *pair), set()).add(key)
        self.queue.add(key)

    def _on_service_delete(self, svc: dict) -> None:
        key = key_of(svc)
        self._unindex_service(key)
        self._last_sync.pop(key, None)
        self.queue.add(key)

    def _unindex_service(self, key: str) -> None:
        selector = self._selectors.pop(key, None)
        if selector:
            index_key = (split_key(key)[0], *min(selector.items()))
            bucket = self._services_by_pair[index_key]
            bucket.discard(key)
            if not bucket:
                del self._services_by_pair[index_key]

    def _services_for(self, namespace: str, labels: dict | None) -> set[str]:
        """Keys of the Services in `namespace` whose selector matches `labels`."""
        found: set[str] = set()
        if not labels:
            return found
        for pair in labels.items():
            for key in self._services_by_pair.get((namespace, *pair), ()):
                if _selects(self._selectors[key], labels):
                    found.add(key)
        return found

    def _index_pod(self, key: str, namespace: str, old: dict | None, new: dict | None) -> None:
        index = self._pods_by_pair
        for pair in (old or {}).items():
            if new is None or new.get(pair[0]) != pair[1]:
                bucket = index.get((namespace, *pair))
                if bucket is not None:
                    bucket.discard(key)
                    if not bucket:
                        del index[(namespace, *pair)]
        for pair in (new or {}).items():
            if old is None or old.get(pair[0]) != pair[1]:
                index.setdefault((namespace, *pair), set()).add(key)

    def _on_pod_add(self, pod: dict) -> None:
        meta = pod["metadata"]
        ns, labels = meta["namespace"], meta.get("labels")
        self._index_pod(key_of(pod), ns, None, labels)
        for key in self._services_for(ns, labels):
            self._enqueue_for_pods(key)

    def _on_pod_update(self, old: dict, new: dict) -> None:
        old_meta, meta = old["metadata"], new["metadata"]
        old_labels, labels = old_meta.get("labels"), meta.get("labels")
        labels_changed = (old_labels is not labels and old_labels != labels) or _hostname(old) != _hostname(new)
        pod_changed = _endpoint_changed(old, new)
        if not labels_changed and not pod_changed:
            return
        ns = meta["namespace"]
        services = self._services_for(ns, labels)
        if labels_changed:
            if old_labels != labels:
                self._index_pod(key_of(new), ns, old_labels, labels)
            old_services = self._services_for(ns, old_labels)
            services = services | old_services if pod_changed else services ^ old_services
        for key in services:
            self._enqueue_for_pods(key)

    def _on_pod_delete(self, pod: dict) -> None:
        meta = pod["metadata"]
        ns, labels = meta["namespace"], meta.get("labels")
        self._index_pod(key_of(pod), ns, labels, None)
        for key in self._services_for(ns, labels):
            self._enqueue_for_pods(key)

    def _enqueue_for_pods(self, key: str) -> None:
        last = self._last_sync.get(key)
        self.queue.add_after(key, 0.0 if last is None else last + BURST_INTERVAL - self.clock.now)

    # -- reconcile -----------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        ns, name = split_key(key)
        svc = self.services.get(key)
        if svc is None:
            self._trigger_state.pop(key, None)
            try:
                self.api.delete("endpoints", name, ns)
            except ApiError as exc:
                if exc.code != 404:
                    raise
            return
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return
        selector = spec.get("selector")
        if not selector:  # Endpoints managed by someone else (`kubernetes`: the API servers themselves)
            return
        self._last_sync[key] = self.clock.now
        pods = self._selected_pods(ns, selector)
        trigger = self._trigger_time(key, svc, pods)
        subsets = build_subsets(svc, pods)
        subsets, truncated = _truncate(subsets)
        labels = dict(svc["metadata"].get("labels") or {})
        current = self.endpoints.get(key)
        if current is not None:
            cur_meta = current["metadata"]
            cur_labels = {k: v for k, v in (cur_meta.get("labels") or {}).items() if k != HEADLESS_LABEL}
            if (current.get("subsets") or []) == subsets and cur_labels == labels and \
                    (OVER_CAPACITY in (cur_meta.get("annotations") or {})) == truncated:
                return
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        if trigger:
            annotations[LAST_CHANGE_TRIGGER_TIME] = trigger
        else:
            annotations.pop(LAST_CHANGE_TRIGGER_TIME, None)
        if truncated:
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        if spec.get("clusterIP") in (None, "", "None"):
            labels[HEADLESS_LABEL] = ""
        self._write(svc, current, subsets, labels, annotations)

    def _write(self, svc: dict, current: dict | None, subsets: list[dict], labels: dict, annotations: dict) -> None:
        svc_meta = svc["metadata"]
        if current is None:
            meta = {"name": svc_meta["name"], "namespace": svc_meta["namespace"]}
        else:
            meta = {k: v for k, v in current["metadata"].items() if k not in ("labels", "annotations")}
        if labels:
            meta["labels"] = labels
        if annotations:
            meta["annotations"] = annotations
        new = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            new["subsets"] = subsets
        try:
            if current is None:
                self.api.create("endpoints", new, svc_meta["namespace"], field_validation="Ignore")
            else:
                self.api.update("endpoints", new, svc_meta["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if current is None and exc.code == 403 and "being terminated" in exc.message:
                return  # the namespace is terminating: creates keep failing, drop the item
            if current is None:
                self.recorder.warning(new, "FailedToCreateEndpoint",
                                      f"Failed to create endpoint for service {svc_meta['namespace']}/{svc_meta['name']}: {exc}")
            else:
                self.recorder.warning(new, "FailedToUpdateEndpoint",
                                      f"Failed to update endpoint {svc_meta['namespace']}/{svc_meta['name']}: {exc}")
            raise

    def _selected_pods(self, namespace: str, selector: dict) -> list[dict]:
        smallest: set[str] | None = None
        for pair in selector.items():
            bucket = self._pods_by_pair.get((namespace, *pair))
            if not bucket:
                return []
            if smallest is None or len(bucket) < len(smallest):
                smallest = bucket
        get = self.pods.get
        pods = []
        for key in smallest or ():
            pod = get(key)
            if pod is not None and _selects(selector, pod["metadata"].get("labels") or {}):
                pods.append(pod)
        return pods

    def _trigger_time(self, key: str, svc: dict, pods: list[dict]) -> str | None:
        """endpoints.kubernetes.io/last-change-trigger-time: the earliest change (a pod's Ready
        transition, or the Service's creation) not yet reflected by a previous sync."""
        state = self._trigger_state.get(key)
        last_svc, last_pods = state if state is not None else (None, {})
        changed: list[str] = []
        pod_times: dict[str, str] = {}
        for pod in pods:
            ready = _ready_condition(pod)
            when = ready.get("lastTransitionTime") if ready else None
            if when:
                name = pod["metadata"]["name"]
                pod_times[name] = when
                if when > last_pods.get(name, ""):
                    changed.append(when)
        svc_time = svc["metadata"].get("creationTimestamp")
        if svc_time and svc_time > (last_svc or ""):
            changed.append(svc_time)
        self._trigger_state[key] = (svc_time, pod_times)
        if state is None:
            return svc_time
        return min(changed) if changed else None


# -- pure helpers ------------------------------------------------------------------------------

def _selects(selector: dict, labels: dict) -> bool:
    get = labels.get
    for k, v in selector.items():
        if get(k) != v:
            return False
    return True


def _hostname(pod: dict) -> tuple:
    spec = pod["spec"]
    return spec.get("hostname"), spec.get("subdomain")


def _pod_ips(pod: dict) -> tuple:
    status = pod.get("status") or {}
    ips = status.get("podIPs")
    if ips:
        return tuple(p.get("ip") for p in ips)
    return (status["podIP"],) if status.get("podIP") else ()


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _endpoint_changed(old: dict, new: dict) -> bool:
    """Whether a pod update can change its endpoint address (podEndpointsChanged)."""
    return (old["metadata"].get("deletionTimestamp") != new["metadata"].get("deletionTimestamp")
            or is_pod_ready(old) != is_pod_ready(new)
            or _pod_ips(old) != _pod_ips(new)
            or _terminal(old) != _terminal(new)
            or old["spec"].get("nodeName") != new["spec"].get("nodeName"))


def _ready_condition(pod: dict) -> dict | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond
    return None


def should_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating (unless published)."""
    if _terminal(pod) or not _pod_ips(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def find_port(pod: dict, service_port: dict) -> int | None:
    """The pod's port for a Service port: a number as is, a name looked up in the containers' ports."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    protocol = service_port.get("protocol") or "TCP"
    spec = pod["spec"]
    containers = list(spec.get("containers") or ())
    containers += [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for container in containers:
        for port in container.get("ports") or ():
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return port.get("containerPort")
    return None


def _ip_key(ip: str) -> tuple:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (2, ip)
    return (addr.version, addr.packed)


def _address_key(addr: dict) -> tuple:
    return (_ip_key(addr["ip"]), addr["targetRef"]["uid"] if "targetRef" in addr else "")


def _port_key(port: dict) -> tuple:
    return (port.get("name", ""), port["port"], port.get("protocol", ""), port.get("appProtocol", ""))


def build_subsets(svc: dict, pods: list[dict]) -> list[dict]:
    """The Endpoints subsets for `svc` over its selected `pods`, packed like endpoints.RepackSubsets:
    addresses offering the same set of ports share one subset; everything sorted."""
    spec = svc.get("spec") or {}
    meta = svc["metadata"]
    publish = bool(spec.get("publishNotReadyAddresses"))
    service_ports = spec.get("ports") or []
    headless = spec.get("clusterIP") in (None, "", "None")
    by_port: dict[tuple | None, dict[tuple, bool]] = {}
    ports: dict[tuple, dict] = {}
    addresses: dict[tuple, dict] = {}
    for pod in pods:
        if not should_be_in_endpoints(pod, publish):
            continue
        pmeta, pspec = pod["metadata"], pod["spec"]
        addr = {"ip": _pod_ips(pod)[0]}
        if pspec.get("hostname") and pspec.get("subdomain") == meta["name"]:
            addr["hostname"] = pspec["hostname"]
        if pspec.get("nodeName"):
            addr["nodeName"] = pspec["nodeName"]
        addr["targetRef"] = {"kind": "Pod", "namespace": pmeta["namespace"], "name": pmeta["name"], "uid": pmeta["uid"]}
        akey = _address_key(addr)
        ready = publish or is_pod_ready(pod)
        if not service_ports:
            if headless:
                addresses[akey] = addr
                by_port.setdefault(None, {})[akey] = ready
            continue
        for sp in service_ports:
            number = find_port(pod, sp)
            if number is None:
                continue
            port = {"port": number, "protocol": sp.get("protocol") or "TCP"}
            if sp.get("name"):
                port = {"name": sp["name"], **port}
            if sp.get("appProtocol"):
                port["appProtocol"] = sp["appProtocol"]
            pkey = _port_key(port)
            ports[pkey] = port
            addresses[akey] = addr
            by_port.setdefault(pkey, {}).setdefault(akey, ready)
    groups: dict[frozenset, list] = {}
    for pkey, addr_ready in by_port.items():
        groups.setdefault(frozenset(addr_ready.items()), []).append(pkey)
    subsets = []
    for members, pkeys in groups.items():
        subset: dict = {}
        ready_keys = sorted(k for k, r in members if r)
        not_ready_keys = sorted(k for k, r in members if not r)
        if ready_keys:
            subset["addresses"] = [addresses[k] for k in ready_keys]
        if not_ready_keys:
            subset["notReadyAddresses"] = [addresses[k] for k in not_ready_keys]
        real_ports = sorted(k for k in pkeys if k is not None)
        if real_ports:
            subset["ports"] = [ports[k] for k in real_ports]
        subsets.append((tuple(real_ports), ready_keys, not_ready_keys, subset))
    subsets.sort(key=lambda s: s[:3])
    return [s[3] for s in subsets]


def _truncate(subsets: list[dict]) -> tuple[list[dict], bool]:
    """Keep at most MAX_CAPACITY addresses, ready ones first, spread over subsets in proportion."""
    ready = sum(len(s.get("addresses", ())) for s in subsets)
    not_ready = sum(len(s.get("notReadyAddresses", ())) for s in subsets)
    if ready + not_ready <= MAX_CAPACITY:
        return subsets, False
    truncate_ready = ready > MAX_CAPACITY
    room = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - ready
    total = ready if truncate_ready else not_ready
    left = room
    out = []
    for subset in subsets:
        field = "addresses" if truncate_ready else "notReadyAddresses"
        items = subset.get(field, [])
        take = min(-(-len(items) * room // total), left)
        new = dict(subset)
        if truncate_ready:
            new.pop("notReadyAddresses", None)
        if items:
            new[field] = items[:take]
            if not new[field]:
                del new[field]
            left -= len(items[:take])
        out.append(new)
    return out, True
