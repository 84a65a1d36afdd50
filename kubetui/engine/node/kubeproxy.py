"""kube-proxy (iptables mode) on one machine: the Service rules it programs from Services and Endpoints."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from ..context import Context


@dataclass(frozen=True)
class ProxyEndpoint:
    """One ready backend of a Service port, as a KUBE-SEP chain DNATs to it."""

    ip: str
    port: int
    pod: str | None
    node: str | None
    chain: str


@dataclass(frozen=True)
class ServiceRule:
    """What kube-proxy programs for one Service port: the ClusterIP (and NodePort, external IPs) →
    a KUBE-SVC chain that picks one ready endpoint at random, with equal probability."""

    service: str  # "namespace/name"
    port_name: str
    protocol: str
    cluster_ip: str
    port: int
    node_port: int | None
    external_ips: tuple[str, ...]
    local_only: bool  # externalTrafficPolicy: Local — external traffic only to endpoints on this node
    chain: str
    endpoints: tuple[ProxyEndpoint, ...] = field(default=())

    @property
    def name(self) -> str:
        """The servicePortName kube-proxy uses in comments: `ns/name:port` (or `ns/name` for an unnamed port)."""
        return f"{self.service}:{self.port_name}" if self.port_name else self.service


def _hash(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest())[:16].decode()


def service_chain(port_name: str, protocol: str) -> str:
    """KUBE-SVC-<hash> as kube-proxy names it (servicePortChainName)."""
    return "KUBE-SVC-" + _hash(port_name + protocol.lower())


def endpoint_chain(port_name: str, protocol: str, endpoint: str) -> str:
    """KUBE-SEP-<hash> for one `ip:port` endpoint (servicePortEndpointChainName)."""
    return "KUBE-SEP-" + _hash(port_name + protocol.lower() + endpoint)


class KubeProxy:
    """Watches Services and Endpoints (through the shared informers) while its machine runs. When the
    machine powers off, the rules stay frozen as last programmed: a dead node's iptables do not change."""

    def __init__(self, ctx: Context, node_name: str):
        self.node_name = node_name
        self.services = ctx.informers.informer("services")
        self.endpoints = ctx.informers.informer("endpoints")
        self._frozen: list[ServiceRule] | None = []

    def start(self) -> None:
        self._frozen = None

    def stop(self) -> None:
        self._frozen = self.rules()

    def rules(self) -> list[ServiceRule]:
        """The Service rules in KUBE-SERVICES order (by namespace/name, then port)."""
        if self._frozen is not None:
            return self._frozen
        out = []
        for key, svc in ((k, self.services.get(k)) for k in self.services.keys()):
            spec = svc.get("spec") or {}
            if spec.get("type") == "ExternalName" or spec.get("clusterIP") in (None, "", "None"):
                continue  # DNS-only (CNAME) and headless Services get no rules
            ep = self.endpoints.get(key)
            external = tuple(i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {})
                             .get("ingress") or () if i.get("ip")) + tuple(spec.get("externalIPs") or ())
            for port in spec.get("ports") or ():
                out.append(self._rule(key, spec, port, ep, external))
        return out

    def _rule(self, key: str, spec: dict, port: dict, endpoints: dict | None, external: tuple) -> ServiceRule:
        port_name = port.get("name") or ""
        protocol = port.get("protocol", "TCP")
        spn = f"{key}:{port_name}" if port_name else key
        backends = []
        for subset in (endpoints or {}).get("subsets") or ():
            target = next((p.get("port") for p in subset.get("ports") or ()
                           if (p.get("name") or "") == port_name and p.get("protocol", "TCP") == protocol), None)
            if target is None:
                continue
            for address in subset.get("addresses") or ():  # only ready addresses are programmed
                ref = address.get("targetRef") or {}
                endpoint = f"{address['ip']}:{target}"
                backends.append(ProxyEndpoint(address["ip"], target, ref.get("name"), address.get("nodeName"),
                                              endpoint_chain(spn, protocol, endpoint)))
        backends.sort(key=lambda e: (e.ip, e.port))
        return ServiceRule(key, port_name, protocol, spec.get("clusterIP", ""), port.get("port"),
                           port.get("nodePort"), external, spec.get("externalTrafficPolicy") == "Local",
                           service_chain(spn, protocol), tuple(backends))


def iptables_save(rules: list[ServiceRule], node_name: str) -> list[str]:
    """The nat table as `iptables-save` would print the Service part of it on `node_name`."""
    lines = ["*nat", ":KUBE-SERVICES - [0:0]", ":KUBE-NODEPORTS - [0:0]"]
    for rule in rules:
        lines.append(f":{rule.chain} - [0:0]")
        lines.extend(f":{e.chain} - [0:0]" for e in rule.endpoints)
    body = []
    for rule in rules:
        proto = rule.protocol.lower()
        comment = f'-m comment --comment "{rule.name} cluster IP"'
        if rule.endpoints:
            body.append(f"-A KUBE-SERVICES -d {rule.cluster_ip}/32 -p {proto} {comment} -m {proto} "
                        f"--dport {rule.port} -j {rule.chain}")
        else:
            body.append(f'-A KUBE-SERVICES -d {rule.cluster_ip}/32 -p {proto} -m comment --comment '
                        f'"{rule.name} has no endpoints" -m {proto} --dport {rule.port} -j REJECT')
        for ip in rule.external_ips:
            body.append(f'-A KUBE-SERVICES -d {ip}/32 -p {proto} -m comment --comment "{rule.name} external IP" '
                        f"-m {proto} --dport {rule.port} -j {rule.chain}")
        if rule.node_port:
            local = [e for e in rule.endpoints if e.node == node_name]
            target = rule.chain if not rule.local_only or local else "DROP"
            body.append(f'-A KUBE-NODEPORTS -p {proto} -m comment --comment "{rule.name}" -m {proto} '
                        f"--dport {rule.node_port} -j {target}")
        n = len(rule.endpoints)
        for i, e in enumerate(rule.endpoints):
            pick = f"-m statistic --mode random --probability {1 / (n - i):.11f} " if i < n - 1 else ""
            body.append(f'-A {rule.chain} -m comment --comment "{rule.name} -> {e.ip}:{e.port}" {pick}-j {e.chain}')
            body.append(f'-A {e.chain} -p {proto} -m comment --comment "{rule.name}" -m {proto} '
                        f"-j DNAT --to-destination {e.ip}:{e.port}")
    body.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last '
                'rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    return lines + body + ["COMMIT"]
