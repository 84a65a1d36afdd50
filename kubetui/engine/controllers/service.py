"""Service controller (cloud-controller-manager): LoadBalancer Services get an external IP from a simulated cloud."""

from __future__ import annotations

import ipaddress

from .base import Controller

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
# The simulated cloud hands out addresses from TEST-NET-3 (RFC 5737), a range kept for documentation.
LB_POOL = ipaddress.ip_network("203.0.113.0/24")
INGRESS_ADDRESS = str(LB_POOL[-2])  # kept for the ingress controller's own load balancer


class ServiceController(Controller):
    """Provisions a load balancer for each `type: LoadBalancer` Service (k8s.io/cloud-provider's service
    controller): adds the cleanup finalizer, reports `EnsuringLoadBalancer`, and after the cloud's delay
    writes `status.loadBalancer.ingress`; when the Service is deleted or changes type, the balancer is
    released and the finalizer removed."""

    name = "service"
    component = "service-controller"
    manager = "cloud-controller-manager"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.services = self.informers.informer("services")
        self.services.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self._ready_at: dict[str, float] = {}  # balancers being created: key -> when the cloud is done

    def sync(self, key: str) -> None:
        svc = self.services.get(key)
        if svc is None:
            self._ready_at.pop(key, None)
            return
        meta = svc["metadata"]
        wanted = (svc.get("spec") or {}).get("type") == "LoadBalancer" and not meta.get("deletionTimestamp")
        if wanted:
            self._ensure(key, svc)
        elif LB_FINALIZER in (meta.get("finalizers") or ()) or _ingress(svc):
            self._release(key, svc)

    def _ensure(self, key: str, svc: dict) -> None:
        meta = svc["metadata"]
        if LB_FINALIZER not in (meta.get("finalizers") or ()):
            svc = self.api.update("services", {**svc, "metadata": {
                **meta, "finalizers": [*(meta.get("finalizers") or ()), LB_FINALIZER]}}, meta["namespace"])
        if _ingress(svc):
            return
        now = self.clock.now
        ready_at = self._ready_at.get(key)
        if ready_at is None:
            self.recorder.normal(svc, "EnsuringLoadBalancer", "Ensuring load balancer")
            ready_at = self._ready_at[key] = now + self.profile.load_balancer_provision_seconds
        if now < ready_at:
            self.queue.add_after(key, ready_at - now)
            return
        del self._ready_at[key]
        status = {**(svc.get("status") or {}), "loadBalancer": {"ingress": [{"ip": self._free_ip(), "ipMode": "VIP"}]}}
        self.api.update_status("services", {**svc, "status": status})
        self.recorder.normal(svc, "EnsuredLoadBalancer", "Ensured load balancer")

    def _release(self, key: str, svc: dict) -> None:
        self._ready_at.pop(key, None)
        self.recorder.normal(svc, "DeletingLoadBalancer", "Deleting load balancer")
        if _ingress(svc):
            svc = self.api.update_status("services", {**svc, "status": {**(svc.get("status") or {}),
                                                                          "loadBalancer": {}}})
        meta = svc["metadata"]
        if LB_FINALIZER in (meta.get("finalizers") or ()):
            rest = [f for f in meta["finalizers"] if f != LB_FINALIZER]
            self.api.update("services", {**svc, "metadata": {**meta, "finalizers": rest}}, meta["namespace"])
        self.recorder.normal(svc, "DeletedLoadBalancer", "Deleted load balancer")

    def _free_ip(self) -> str:
        used = {i.get("ip") for s in self.services.list() for i in _ingress(s)}
        return next(str(ip) for ip in LB_POOL.hosts() if str(ip) not in used and str(ip) != INGRESS_ADDRESS)


def _ingress(svc: dict) -> list[dict]:
    return ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
