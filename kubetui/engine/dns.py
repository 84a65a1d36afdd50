"""Cluster DNS as CoreDNS's kubernetes plugin answers it: Service, headless, ExternalName, pod and SRV records."""

from __future__ import annotations

from dataclasses import dataclass

from .informer import InformerFactory

CLUSTER_DOMAIN = "cluster.local"
NDOTS = 5  # the kubelet writes `options ndots:5` into every pod's resolv.conf


@dataclass(frozen=True)
class Record:
    """One answer: `A name → ip`, `CNAME name → target`, or `SRV name → port target`."""

    type: str
    name: str
    value: str
    port: int | None = None


def service_name(name: str, namespace: str) -> str:
    """The Service's fully qualified name: `web.default.svc.cluster.local`."""
    return f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"


def search_path(namespace: str) -> list[str]:
    """The search domains of a pod in `namespace` (its resolv.conf with dnsPolicy ClusterFirst)."""
    return [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN]


class ClusterDNS:
    """Answers from the Services and Endpoints the informers hold, as CoreDNS would from its own watches."""

    def __init__(self, informers: InformerFactory):
        self.services = informers.informer("services")
        self.endpoints = informers.informer("endpoints")

    def resolve(self, name: str, namespace: str = "default") -> tuple[str, list[Record]]:
        """Look `name` up as a pod in `namespace` would: search domains first unless it has ≥ NDOTS dots or ends
        with a dot. Returns the name that answered and its records ([] for NXDOMAIN)."""
        name = name.lower()
        if name.endswith("."):
            candidates = [name.rstrip(".")]
        else:
            expanded = [f"{name}.{domain}" for domain in search_path(namespace)]
            candidates = [name] + expanded if name.count(".") >= NDOTS else expanded + [name]
        for candidate in candidates:
            records = self.lookup(candidate)
            if records:
                return candidate, records
        return candidates[0], []

    def lookup(self, fqdn: str) -> list[Record]:
        """Records for one fully qualified name (no search path)."""
        suffix = f".svc.{CLUSTER_DOMAIN}"
        if fqdn.endswith(f".pod.{CLUSTER_DOMAIN}"):
            dashed = fqdn[: -len(f".pod.{CLUSTER_DOMAIN}")].split(".")[0]
            return [Record("A", fqdn, dashed.replace("-", "."))] if dashed.count("-") == 3 else []
        if not fqdn.endswith(suffix):
            return []
        labels = fqdn[: -len(suffix)].split(".")
        if len(labels) == 4 and labels[0].startswith("_") and labels[1].startswith("_"):
            return self._srv(fqdn, labels[0][1:], labels[1][1:], labels[2], labels[3])
        if len(labels) == 3:  # <hostname>.<service>.<namespace>: one endpoint of a headless Service
            hostname, svc_name, namespace = labels
            return [Record("A", fqdn, ip) for host, ip in self._ready(namespace, svc_name) if host == hostname]
        if len(labels) != 2:
            return []
        svc_name, namespace = labels
        svc = self.services.get(f"{namespace}/{svc_name}")
        if svc is None:
            return []
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return [Record("CNAME", fqdn, spec.get("externalName", ""))]
        if spec.get("clusterIP") == "None":
            return [Record("A", fqdn, ip) for _, ip in self._ready(namespace, svc_name)]
        return [Record("A", fqdn, spec["clusterIP"])] if spec.get("clusterIP") else []

    def _ready(self, namespace: str, svc_name: str) -> list[tuple[str | None, str]]:
        ep = self.endpoints.get(f"{namespace}/{svc_name}")
        return sorted({(a.get("hostname"), a["ip"]) for s in (ep or {}).get("subsets") or ()
                       for a in s.get("addresses") or ()}, key=lambda h: h[1])

    def _srv(self, fqdn: str, port_name: str, protocol: str, svc_name: str, namespace: str) -> list[Record]:
        svc = self.services.get(f"{namespace}/{svc_name}")
        if svc is None:
            return []
        return [Record("SRV", fqdn, service_name(svc_name, namespace), p.get("port"))
                for p in (svc.get("spec") or {}).get("ports") or ()
                if p.get("name") == port_name and p.get("protocol", "TCP").lower() == protocol]
