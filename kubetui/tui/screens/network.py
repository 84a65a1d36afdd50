"""The service map: Ingress rules → Services → Endpoints → pods, with broken links called out."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Static

from ...engine.dns import service_name
from ...printers import service_external_ip
from .live import LiveScreen

MAX_ADDRESSES = 50  # per Service; a 10,000-pod Service shows a count past this
OK, BROKEN, WARN, DIM, NAME = "$success", "bold $error", "$warning", "$text-muted", "bold"

Line = list[tuple[str, str] | str]


def _key(obj: dict) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _service_ports(svc: dict) -> str:
    parts = []
    for p in (svc.get("spec") or {}).get("ports") or ():
        text = (f"{p['name']} " if p.get("name") else "") + f"{p.get('port')}/{p.get('protocol', 'TCP')}"
        text += f" → {p.get('targetPort', p.get('port'))}"
        if p.get("nodePort"):
            text += f" (NodePort {p['nodePort']})"
        parts.append(text)
    return ", ".join(parts) or "no ports"


def _backend_port_ok(svc: dict, port: dict) -> bool:
    ports = (svc.get("spec") or {}).get("ports") or ()
    if "number" in port:
        return any(p.get("port") == port["number"] for p in ports)
    return any(p.get("name") == port.get("name") for p in ports)


def _port_text(port: dict) -> str:
    return str(port["number"]) if "number" in port else str(port.get("name", "?"))


def service_lines(svc: dict, endpoints: dict | None, indent: int) -> list[Line]:
    """The Service line, then its ready and not-ready endpoint addresses with their pods."""
    pad = " " * indent
    spec = svc.get("spec") or {}
    ns, name = _key(svc)
    stype = spec.get("type", "ClusterIP")
    lines: list[Line] = [[pad, ("Service ", DIM), (f"{ns}/{name}", NAME), f"  {stype}",
                          f"  {spec.get('clusterIP') or 'None'}", ("  " + _service_ports(svc), DIM)]]
    if stype == "LoadBalancer":
        external = service_external_ip(svc)
        lines[0].append((f"  external IP {external}", WARN if external == "<pending>" else OK))
    dns = service_name(name, ns)
    if stype == "ExternalName":
        lines.append([pad + "  ", (f"DNS {dns} → CNAME {spec.get('externalName', '?')} (no endpoints)", DIM)])
        return lines
    headless = spec.get("clusterIP") == "None"
    lines.append([pad + "  ", (f"DNS {dns} → " + ("each ready pod's IP (headless)" if headless else "the ClusterIP"),
                               DIM)])
    ready, not_ready = [], []
    for subset in (endpoints or {}).get("subsets") or ():
        ports = ",".join(str(p.get("port")) for p in subset.get("ports") or ())
        ready += [(a, ports) for a in subset.get("addresses") or ()]
        not_ready += [(a, ports) for a in subset.get("notReadyAddresses") or ()]
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    if not ready:
        why = (f"selector {selector} matches no ready pod" if selector
               else "no selector: its Endpoints are managed by hand")
        lines.append([pad + "  ", ("✗ no endpoints", BROKEN), (f"  {why}", WARN)])
    else:
        lines.append([pad + "  ", (f"Endpoints: {len(ready)} ready", OK),
                      (f", {len(not_ready)} not ready", WARN if not_ready else DIM)])
    shown = 0
    for addresses, mark, style in ((ready, "✓", OK), (not_ready, "…", WARN)):
        for address, ports in addresses:
            if shown == MAX_ADDRESSES:
                break
            shown += 1
            ref = address.get("targetRef") or {}
            target = f"{ref.get('kind', '').lower()} {ref['name']}" if ref.get("name") else ""
            node = f" on {address['nodeName']}" if address.get("nodeName") else ""
            where = f"  → {target}{node}" if target or node else ""
            if address.get("hostname"):  # a StatefulSet pod's stable name through its headless Service
                where += f"  DNS {address['hostname']}.{dns}"
            lines.append([pad + "    ", (mark, style), f" {address['ip']}:{ports}", (where, DIM)])
    if len(ready) + len(not_ready) > shown:
        lines.append([pad + "    ", (f"… {len(ready) + len(not_ready) - shown} more addresses", DIM)])
    return lines


SPARK = "▁▂▃▄▅▆▇█"
SPARK_SECONDS = 60


def sparkline(values: list[float]) -> str:
    """0..1 fractions as block characters, oldest first."""
    return "".join(SPARK[min(len(SPARK) - 1, int(v * (len(SPARK) - 1) + 0.5))] for v in values)


def traffic_lines(streams: list) -> list[Line]:
    """Each request stream: totals, a sparkline of the share of requests that succeeded each second, the
    last second's failures and which pods answered lately."""
    lines: list[Line] = [[("Traffic", "bold underline"), ("   (:traffic URL|SERVICE [--rate N], :traffic stop NAME)", DIM)]]
    if not streams:
        lines.append([("  (no request streams)", DIM)])
    for stream in streams:
        recent = list(stream.history)[-SPARK_SECONDS:]
        shares = [s.ok / max(1, s.ok + sum(s.failed.values())) for s in recent]
        last = recent[-1] if recent else None
        lines.append(["  ", (stream.name, NAME), f" → {stream.target}  {stream.rate}/s  ",
                      (f"✓ {stream.total_ok}", OK), "  ", (f"✗ {stream.total_failed}", BROKEN if stream.total_failed else DIM),
                      "  ", (sparkline(shares), OK if not last or not last.failed else WARN)])
        if last is not None and last.failed:
            reasons = ", ".join(f"{n}× {why}" for why, n in sorted(last.failed.items()))
            lines.append(["    ", (f"last second: {reasons}", BROKEN)])
        answered: dict[str, int] = {}
        for second in recent[-10:]:
            for pod, n in second.pods.items():
                answered[pod] = answered.get(pod, 0) + n
        if answered:
            lines.append(["    ", ("answered (10 s): " + "  ".join(f"{p} {n}" for p, n in sorted(answered.items())), DIM)])
    lines.append([])
    return lines


def network_map(ingresses: list[dict], services: list[dict], endpoints: list[dict], streams: list = ()) -> Content:
    """The whole map as one Content: traffic, each Ingress rule with its Service chain, then the other Services."""
    svc_by_key = {_key(s): s for s in services}
    ep_by_key = {_key(e): e for e in endpoints}
    used: set[tuple[str, str]] = set()
    lines: list[Line] = traffic_lines(list(streams)) + [[("Ingresses", "bold underline")]]
    if not ingresses:
        lines.append([("  (none)", DIM)])
    for ing in sorted(ingresses, key=_key):
        ns, name = _key(ing)
        spec = ing.get("spec") or {}
        lines.append([("Ingress ", DIM), (f"{ns}/{name}", NAME),
                      (f"  class {spec.get('ingressClassName') or '<default>'}", DIM)])
        routes = []
        for rule in spec.get("rules") or ():
            for path in (rule.get("http") or {}).get("paths") or ():
                routes.append((rule.get("host") or "*", path.get("path") or "/", path.get("pathType", ""),
                               path.get("backend") or {}))
        if spec.get("defaultBackend"):
            routes.append(("*", "(default backend)", "", spec["defaultBackend"]))
        for host, path, path_type, backend in routes:
            route: Line = ["  ", (host, NAME), f" {path}", (f" ({path_type})" if path_type else "", DIM), " → "]
            target = backend.get("service")
            if target is None:
                lines.append(route + [(f"resource {(backend.get('resource') or {}).get('name', '?')}", DIM)])
                continue
            port = target.get("port") or {}
            svc = svc_by_key.get((ns, target.get("name")))
            if svc is None:
                lines.append(route + [(f"✗ Service {target.get('name')} not found", BROKEN)])
                continue
            used.add((ns, target["name"]))
            if not _backend_port_ok(svc, port):
                lines.append(route + [(f"✗ Service {target['name']} has no port {_port_text(port)}", BROKEN)])
            else:
                lines.append(route + [f"Service {target['name']}:{_port_text(port)}"])
            lines.extend(service_lines(svc, ep_by_key.get((ns, target["name"])), 4))
    lines.append([])
    lines.append([("Services without an Ingress", "bold underline")])
    for svc in sorted(services, key=_key):
        if _key(svc) not in used:
            lines.extend(service_lines(svc, ep_by_key.get(_key(svc)), 2))
    return Content("\n").join(Content.assemble(*line) for line in lines)


class NetworkScreen(LiveScreen):
    """Full-screen service/ingress map (key `2`)."""

    DEFAULT_CSS = """
    NetworkScreen #network-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    NetworkScreen #network-map { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Network: Ingress → Service → Endpoints → Pods", id="network-title")
        with VerticalScroll():
            yield Static(id="network-map")
        yield Footer()

    def refresh_view(self) -> None:
        content = network_map(self.client.list("ingresses"), self.client.list("services"),
                              self.client.list("endpoints"), self.client.traffic_streams())
        self.query_one("#network-map", Static).update(content)
