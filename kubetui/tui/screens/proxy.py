"""`p` / `:proxy NODE`: the Service rules kube-proxy has programmed on one node, as a table and as iptables-save."""

from __future__ import annotations

from ...engine.node.kubeproxy import iptables_save
from .live import TextScreen


def proxy_text(client, node: str) -> str:
    """A summary (VIP:port → endpoints, per Service port) then the nat table kube-proxy would write."""
    rules = client.proxy_rules(node)
    frozen = "" if client.machine_powered(node) else "  (machine off: the rules stay as last programmed)"
    lines = [f"kube-proxy on {node}{frozen}",
             ""]
    for rule in rules:
        front = f"{rule.cluster_ip}:{rule.port}/{rule.protocol}"
        if rule.node_port:
            front += f"  NodePort :{rule.node_port}" + (" (Local)" if rule.local_only else "")
        if rule.external_ips:
            front += "  external " + ",".join(rule.external_ips)
        lines.append(f"{rule.name:<36} {front}")
        if not rule.endpoints:
            lines.append("    ✗ no ready endpoints: connections are rejected")
        for e in rule.endpoints:
            share = f"1/{len(rule.endpoints)}"
            lines.append(f"    → {e.ip}:{e.port}  {share:>5}  {e.pod or '-'}" + (f" on {e.node}" if e.node else ""))
    lines += ["", "# iptables-save -t nat   (Service chains)"] + iptables_save(rules, node)
    return "\n".join(lines)


class ProxyScreen(TextScreen):
    """Follows the node's rules as Services and endpoints change."""

    REFRESH_HZ = 2

    def __init__(self, client, node: str) -> None:
        super().__init__(client)
        self.node = node

    def title_text(self) -> str:
        return f"kube-proxy rules on {self.node}"

    def view_text(self) -> str:
        return proxy_text(self.client, self.node)
