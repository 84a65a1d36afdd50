"""`kubectl describe` as plain text: pure functions of objects, their events and the virtual time."""

from __future__ import annotations

from datetime import datetime, timezone

import yaml

from ..engine.api import kinds
from ..engine.api.errors import ApiError
from ..engine.clock import parse_rfc3339
from ..engine.durations import format_duration
from ..engine.quantity import cpu_millis, format_bytes, format_cpu, to_bytes
from ..printers import node_roles

NONE = "<none>"
MAX_NODE_PODS = 200  # a node's "Non-terminated Pods" table; the rest is summarised


class Writer:
    """Builds describe output: `Key:  value` lines aligned per block, nested by indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def fields(self, pairs: list[tuple[str, object]], indent: int = 0, width: int = 0) -> None:
        """`Key: value` lines with values aligned; a list value continues on the following lines."""
        width = max([len(k) + 2 for k, _ in pairs] + [width])
        pad = " " * indent
        for key, value in pairs:
            values = value if isinstance(value, list) else [value]
            values = [str(v) for v in values] or [NONE]
            head = f"{pad}{key}:".ljust(indent + width)
            self.lines.append((head + values[0]).rstrip())
            self.lines.extend((" " * (indent + width) + v).rstrip() for v in values[1:])

    def line(self, text: str = "", indent: int = 0) -> None:
        self.lines.append(" " * indent + text if text else "")

    def table(self, header: list[str], rows: list[list[str]], indent: int = 2) -> None:
        rows = [header, ["-" * len(h) for h in header]] + rows
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for r in rows:
            self.lines.append((" " * indent + "  ".join(c.ljust(widths[i]) for i, c in enumerate(r))).rstrip())

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def timestamp(text: str | None) -> str:
    """kubectl's describe time format (RFC 1123 with a numeric zone)."""
    if not text:
        return "<unset>"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).strftime(
        "%a, %d %b %Y %H:%M:%S +0000")


def since(text: str | None, now: float) -> str:
    if not text:
        return "<unknown>"
    return format_duration(max(0.0, now - parse_rfc3339(text)))


def key_values(mapping: dict | None) -> list[str]:
    return [f"{k}={v}" for k, v in sorted((mapping or {}).items())] or [NONE]


def annotations(mapping: dict | None) -> list[str]:
    return [f"{k}: {v}".rstrip() for k, v in sorted((mapping or {}).items())] or [NONE]


def _meta_fields(obj: dict, with_namespace: bool = True) -> list[tuple[str, object]]:
    meta = obj["metadata"]
    pairs: list[tuple[str, object]] = [("Name", meta["name"])]
    if with_namespace and meta.get("namespace"):
        pairs.append(("Namespace", meta["namespace"]))
    return pairs


def _controlled_by(obj: dict) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref['kind']}/{ref['name']}"
    return None


def events_section(w: Writer, events: list[dict], now: float) -> None:
    """The trailing `Events:` table, oldest first as kubectl prints it."""
    if not events:
        w.line("Events:  <none>")
        return
    w.line("Events:")
    rows = []
    for ev in sorted(events, key=_event_time):
        first = ev.get("firstTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp")
        last = ev.get("lastTimestamp") or first
        count = ev.get("count") or 1
        age_text = since(last, now)
        if count > 1:
            age_text = f"{age_text} (x{count} over {since(first, now)})"
        source = ev.get("source") or {}
        origin = source.get("component") or ev.get("reportingComponent") or ""
        rows.append([ev.get("type") or "", ev.get("reason") or "", age_text, origin,
                     " ".join((ev.get("message") or "").split())])
    w.table(["Type", "Reason", "Age", "From", "Message"], rows)


def _event_time(ev: dict) -> float:
    stamp = (ev.get("lastTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp"))
    return parse_rfc3339(stamp) if stamp else 0.0


def _conditions_table(w: Writer, conditions: list[dict], detailed: bool = False) -> None:
    if not conditions:
        w.line("Conditions:  <none>")
        return
    w.line("Conditions:")
    if detailed:
        rows = [[c.get("type", ""), c.get("status", ""), timestamp(c.get("lastHeartbeatTime")),
                 timestamp(c.get("lastTransitionTime")), c.get("reason") or "", c.get("message") or ""]
                for c in conditions]
        w.table(["Type", "Status", "LastHeartbeatTime", "LastTransitionTime", "Reason", "Message"], rows)
    elif any(c.get("reason") for c in conditions):
        w.table(["Type", "Status", "Reason"],
                [[c.get("type", ""), c.get("status", ""), c.get("reason") or ""] for c in conditions])
    else:
        w.table(["Type", "Status"], [[c.get("type", ""), c.get("status", "")] for c in conditions])


def _resources(w: Writer, resources: dict | None, indent: int) -> None:
    for section in ("limits", "requests"):
        values = (resources or {}).get(section)
        if values:
            w.line(f"{section.capitalize()}:", indent)
            w.fields([(k, v) for k, v in sorted(values.items())], indent + 2)


def _ports(container: dict) -> str:
    ports = container.get("ports") or ()
    return ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}"
                     + (f" ({p['name']})" if p.get("name") else "") for p in ports) or NONE


def _state_fields(state: dict | None, label: str) -> list[tuple[str, object]]:
    state = state or {}
    if "running" in state:
        return [(label, "Running"), ("  Started", timestamp(state["running"].get("startedAt")))]
    if "terminated" in state:
        t = state["terminated"]
        out: list[tuple[str, object]] = [(label, "Terminated"), ("  Reason", t.get("reason") or "")]
        if t.get("message"):
            out.append(("  Message", t["message"]))
        out += [("  Exit Code", t.get("exitCode", 0)), ("  Started", timestamp(t.get("startedAt"))),
                ("  Finished", timestamp(t.get("finishedAt")))]
        return out
    if "waiting" in state:
        out = [(label, "Waiting"), ("  Reason", state["waiting"].get("reason") or "")]
        if state["waiting"].get("message"):
            out.append(("  Message", state["waiting"]["message"]))
        return out
    return [(label, "Waiting")] if label == "State" else []


def _containers(w: Writer, title: str, containers: list[dict], statuses: list[dict] | None) -> None:
    """Container blocks; `statuses` None means a pod template (no runtime state to show)."""
    if not containers:
        return
    by_name = {s.get("name"): s for s in statuses or ()}
    w.line(f"{title}:")
    for c in containers:
        st = by_name.get(c["name"], {})
        w.line(f"{c['name']}:", 2)
        pairs: list[tuple[str, object]] = []
        if st.get("containerID"):
            pairs.append(("Container ID", st["containerID"]))
        pairs.append(("Image", c.get("image", "")))
        if st.get("imageID"):
            pairs.append(("Image ID", st["imageID"]))
        pairs.append(("Port", _ports(c)))
        if c.get("command"):
            pairs.append(("Command", list(c["command"])))
        if c.get("args"):
            pairs.append(("Args", list(c["args"])))
        if statuses is not None:
            pairs += _state_fields(st.get("state"), "State")
            pairs += _state_fields(st.get("lastState"), "Last State")
            pairs += [("Ready", "True" if st.get("ready") else "False"),
                      ("Restart Count", st.get("restartCount", 0))]
        width = max(len(k) for k, _ in pairs) + 2
        w.fields(pairs, 4, width)
        _resources(w, c.get("resources"), 4)
        env = [f"{e['name']}:  {e.get('value', '<set from source>')}" for e in c.get("env") or ()]
        mounts = [f"{m.get('mountPath')} from {m.get('name')} ({'ro' if m.get('readOnly') else 'rw'})"
                  for m in c.get("volumeMounts") or ()]
        w.fields([("Environment", env or [NONE]), ("Mounts", mounts or [NONE])], 4, width)


def _toleration(t: dict) -> str:
    text = t.get("key", "")
    if t.get("operator") == "Equal" or t.get("value"):
        text += f"={t.get('value', '')}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists":
        text += " op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {t['tolerationSeconds']}s"
    return text


def _volumes(w: Writer, volumes: list[dict]) -> None:
    if not volumes:
        w.line("Volumes:  <none>")
        return
    w.line("Volumes:")
    for v in volumes:
        w.line(f"{v['name']}:", 2)
        source = next(((k, s) for k, s in v.items() if k != "name"), None)
        if source is None:
            continue
        kind, spec = source
        pairs: list[tuple[str, object]] = [("Type", kind)]
        for k, value in (spec or {}).items():
            if not isinstance(value, (dict, list)):
                pairs.append((k[:1].upper() + k[1:], value))
        w.fields(pairs, 4)


def describe_pod(pod: dict, events: list[dict], now: float) -> str:
    w = Writer()
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    node = spec.get("nodeName")
    pairs = _meta_fields(pod) + [
        ("Priority", spec.get("priority", 0)),
    ]
    if spec.get("priorityClassName"):
        pairs.append(("Priority Class Name", spec["priorityClassName"]))
    pairs += [
        ("Service Account", spec.get("serviceAccountName") or "default"),
        ("Node", f"{node}/{status['hostIP']}" if node and status.get("hostIP") else (node or NONE)),
        ("Start Time", timestamp(status.get("startTime")) if status.get("startTime") else NONE),
        ("Labels", key_values(meta.get("labels"))),
        ("Annotations", annotations(meta.get("annotations"))),
    ]
    if meta.get("deletionTimestamp"):
        pairs.append(("Status", f"Terminating (lasts {since(meta['deletionTimestamp'], now)})"))
        pairs.append(("Termination Grace Period", f"{meta.get('deletionGracePeriodSeconds', 30)}s"))
    else:
        pairs.append(("Status", status.get("phase") or "Unknown"))
    if status.get("reason"):
        pairs.append(("Reason", status["reason"]))
    if status.get("message"):
        pairs.append(("Message", status["message"]))
    pairs.append(("IP", status.get("podIP") or ""))
    ips = [f"IP:  {i['ip']}" for i in status.get("podIPs") or ()]
    pairs.append(("IPs", ips or [NONE]))
    if _controlled_by(pod):
        pairs.append(("Controlled By", _controlled_by(pod)))
    if status.get("nominatedNodeName"):
        pairs.append(("NominatedNodeName", status["nominatedNodeName"]))
    w.fields(pairs)
    _containers(w, "Init Containers", spec.get("initContainers") or [], status.get("initContainerStatuses") or [])
    _containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses") or [])
    _conditions_table(w, status.get("conditions") or [])
    _volumes(w, spec.get("volumes") or [])
    w.fields([
        ("QoS Class", status.get("qosClass") or ""),
        ("Node-Selectors", key_values(spec.get("nodeSelector"))),
        ("Tolerations", [_toleration(t) for t in spec.get("tolerations") or ()] or [NONE]),
    ])
    events_section(w, events, now)
    return w.text()


def _request_totals(pods: list[dict]) -> dict[str, dict[str, int]]:
    totals = {"requests": {"cpu": 0, "memory": 0}, "limits": {"cpu": 0, "memory": 0}}
    for pod in pods:
        for kind, amounts in _pod_amounts(pod).items():
            for resource, value in amounts.items():
                totals[kind][resource] += value
    return totals


def _pod_amounts(pod: dict) -> dict[str, dict[str, int]]:
    out = {"requests": {"cpu": 0, "memory": 0}, "limits": {"cpu": 0, "memory": 0}}
    for c in (pod.get("spec") or {}).get("containers") or ():
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            values = res.get(kind) or {}
            if "cpu" in values:
                out[kind]["cpu"] += cpu_millis(values["cpu"])
            if "memory" in values:
                out[kind]["memory"] += to_bytes(values["memory"])
    return out


def _percent(part: int, whole: int) -> str:
    return f"{(part * 100 // whole) if whole else 0}%"


def _amount(resource: str, value: int) -> str:
    return format_cpu(value) if resource == "cpu" else format_bytes(value)


def describe_node(node: dict, pods: list[dict], lease: dict | None, events: list[dict], now: float) -> str:
    """`pods` are the pods bound to the node (terminated ones are left out here)."""
    w = Writer()
    meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    taints = [f"{t['key']}" + (f"={t['value']}" if t.get("value") else "") + f":{t.get('effect', '')}"
              for t in spec.get("taints") or ()]
    w.fields(_meta_fields(node, with_namespace=False) + [
        ("Roles", node_roles(node)),
        ("Labels", key_values(meta.get("labels"))),
        ("Annotations", annotations(meta.get("annotations"))),
        ("CreationTimestamp", timestamp(meta.get("creationTimestamp"))),
        ("Taints", taints or [NONE]),
        ("Unschedulable", "true" if spec.get("unschedulable") else "false"),
    ])
    w.line("Lease:")
    lease_spec = (lease or {}).get("spec") or {}
    w.fields([("HolderIdentity", lease_spec.get("holderIdentity") or "<unset>"),
              ("AcquireTime", timestamp(lease_spec.get("acquireTime"))),
              ("RenewTime", timestamp(lease_spec.get("renewTime")))], 2)
    _conditions_table(w, status.get("conditions") or [], detailed=True)
    w.line("Addresses:")
    w.fields([(a["type"], a["address"]) for a in status.get("addresses") or ()], 2)
    for title, values in (("Capacity", status.get("capacity")), ("Allocatable", status.get("allocatable"))):
        w.line(f"{title}:")
        w.fields([(k, v) for k, v in sorted((values or {}).items())], 2)
    info = status.get("nodeInfo") or {}
    if info:
        w.line("System Info:")
        w.fields([("Machine ID", info.get("machineID", "")), ("System UUID", info.get("systemUUID", "")),
                  ("Boot ID", info.get("bootID", "")), ("Kernel Version", info.get("kernelVersion", "")),
                  ("OS Image", info.get("osImage", "")), ("Operating System", info.get("operatingSystem", "")),
                  ("Architecture", info.get("architecture", "")),
                  ("Container Runtime Version", info.get("containerRuntimeVersion", "")),
                  ("Kubelet Version", info.get("kubeletVersion", ""))], 2)
    active = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    w.fields([("PodCIDR", spec.get("podCIDR") or ""), ("PodCIDRs", ",".join(spec.get("podCIDRs") or ())),
              ("Non-terminated Pods", f"({len(active)} in total)")])
    allocatable = status.get("allocatable") or {}
    alloc = {"cpu": cpu_millis(allocatable.get("cpu", "0")), "memory": to_bytes(allocatable.get("memory", "0"))}
    rows = []
    for pod in sorted(active, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))[:MAX_NODE_PODS]:
        a = _pod_amounts(pod)
        rows.append([pod["metadata"]["namespace"], pod["metadata"]["name"]]
                    + [f"{_amount(r, a[k][r])} ({_percent(a[k][r], alloc[r])})"
                       for r, k in (("cpu", "requests"), ("cpu", "limits"),
                                    ("memory", "requests"), ("memory", "limits"))]
                    + [since(pod["metadata"].get("creationTimestamp"), now)])
    if rows:
        w.table(["Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests", "Memory Limits", "Age"], rows)
        if len(active) > MAX_NODE_PODS:
            w.line(f"... and {len(active) - MAX_NODE_PODS} more", 2)
    totals = _request_totals(active)
    w.line("Allocated resources:")
    w.line("(Total limits may be over 100 percent, i.e., overcommitted.)", 2)
    w.table(["Resource", "Requests", "Limits"],
            [[r, f"{_amount(r, totals['requests'][r])} ({_percent(totals['requests'][r], alloc[r])})",
              f"{_amount(r, totals['limits'][r])} ({_percent(totals['limits'][r], alloc[r])})"]
             for r in ("cpu", "memory")])
    events_section(w, events, now)
    return w.text()


def _pod_template(w: Writer, template: dict) -> None:
    w.line("Pod Template:")
    tmeta, tspec = template.get("metadata") or {}, template.get("spec") or {}
    w.fields([("Labels", key_values(tmeta.get("labels")))], 2)
    if tmeta.get("annotations"):
        w.fields([("Annotations", annotations(tmeta.get("annotations")))], 2)
    if tspec.get("serviceAccountName"):
        w.fields([("Service Account", tspec["serviceAccountName"])], 2)
    inner = Writer()
    _containers(inner, "Containers", tspec.get("containers") or [], None)
    w.lines.extend("  " + line if line else line for line in inner.lines)
    if tspec.get("nodeSelector"):
        w.fields([("Node-Selectors", key_values(tspec["nodeSelector"]))], 2)
    if tspec.get("tolerations"):
        w.fields([("Tolerations", [_toleration(t) for t in tspec["tolerations"]])], 2)


def _selector_text(selector: dict | None) -> str:
    if not selector:
        return NONE
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or ():
        parts.append(f"{expr['key']} {expr['operator'].lower()} ({','.join(expr.get('values') or ())})")
    if not parts and "matchLabels" not in selector and "matchExpressions" not in selector:
        parts = [f"{k}={v}" for k, v in sorted(selector.items())]  # an RC's plain map selector
    return ",".join(parts) or NONE


def _rs_ref(rs: dict) -> str:
    st = rs.get("status") or {}
    desired = (rs.get("spec") or {}).get("replicas", 0)
    return f"{rs['metadata']['name']} ({st.get('replicas', 0)}/{desired} replicas created)"


def describe_deployment(dep: dict, replicasets: list[dict], events: list[dict], now: float) -> str:
    """`replicasets` are those the Deployment controls; the one matching the template hash is new."""
    w = Writer()
    meta, spec, status = dep["metadata"], dep.get("spec") or {}, dep.get("status") or {}
    desired = spec.get("replicas", 1)
    strategy = spec.get("strategy") or {}
    pairs = _meta_fields(dep) + [
        ("CreationTimestamp", timestamp(meta.get("creationTimestamp"))),
        ("Labels", key_values(meta.get("labels"))),
        ("Annotations", annotations(meta.get("annotations"))),
        ("Selector", _selector_text(spec.get("selector"))),
        ("Replicas", f"{desired} desired | {status.get('updatedReplicas', 0)} updated | "
                     f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
                     f"{status.get('unavailableReplicas', 0)} unavailable"),
        ("StrategyType", strategy.get("type", "RollingUpdate")),
        ("MinReadySeconds", spec.get("minReadySeconds", 0)),
    ]
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        pairs.append(("RollingUpdateStrategy", f"{ru.get('maxUnavailable', '25%')} max unavailable, "
                                               f"{ru.get('maxSurge', '25%')} max surge"))
    w.fields(pairs)
    _pod_template(w, spec.get("template") or {})
    _conditions_table(w, status.get("conditions") or [])
    template_hash = ""
    new = [rs for rs in replicasets if _template_matches(rs, spec.get("template") or {})]
    if new:
        template_hash = new[0]["metadata"]["name"]
    old = [rs for rs in replicasets if rs["metadata"]["name"] != template_hash
           and ((rs.get("spec") or {}).get("replicas") or (rs.get("status") or {}).get("replicas"))]
    w.fields([("OldReplicaSets", ", ".join(_rs_ref(rs) for rs in old) or NONE),
              ("NewReplicaSet", _rs_ref(new[0]) if new else NONE)])
    events_section(w, events, now)
    return w.text()


def _template_matches(rs: dict, template: dict) -> bool:
    """The ReplicaSet whose pod template equals the Deployment's (ignoring the hash label)."""
    rs_template = (rs.get("spec") or {}).get("template") or {}
    labels = {k: v for k, v in ((rs_template.get("metadata") or {}).get("labels") or {}).items()
              if k != "pod-template-hash"}
    return (labels == ((template.get("metadata") or {}).get("labels") or {})
            and rs_template.get("spec") == template.get("spec"))


def describe_replicaset(rs: dict, pods: list[dict], events: list[dict], now: float) -> str:
    """A ReplicaSet or ReplicationController; `pods` are those it owns."""
    w = Writer()
    meta, spec, status = rs["metadata"], rs.get("spec") or {}, rs.get("status") or {}
    phases = {phase: sum(1 for p in pods if (p.get("status") or {}).get("phase") == phase)
              for phase in ("Running", "Pending", "Succeeded", "Failed")}
    pairs = _meta_fields(rs) + [("Selector", _selector_text(spec.get("selector"))),
                               ("Labels", key_values(meta.get("labels"))),
                               ("Annotations", annotations(meta.get("annotations")))]
    if _controlled_by(rs):
        pairs.append(("Controlled By", _controlled_by(rs)))
    pairs += [("Replicas", f"{status.get('replicas', 0)} current / {spec.get('replicas', 1)} desired"),
              ("Pods Status", f"{phases['Running']} Running / {phases['Pending']} Waiting / "
                              f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed")]
    w.fields(pairs)
    _pod_template(w, spec.get("template") or {})
    _conditions_table(w, status.get("conditions") or [])
    events_section(w, events, now)
    return w.text()


def _endpoint_addresses(endpoints: dict | None) -> tuple[list[str], list[str]]:
    ready: list[str] = []
    not_ready: list[str] = []
    for subset in (endpoints or {}).get("subsets") or ():
        ports = [p.get("port") for p in subset.get("ports") or ()] or [None]
        for target, key in ((ready, "addresses"), (not_ready, "notReadyAddresses")):
            for a in subset.get(key) or ():
                target.extend(f"{a['ip']}:{p}" if p else a["ip"] for p in ports)
    return ready, not_ready


def describe_service(svc: dict, endpoints: dict | None, events: list[dict], now: float) -> str:
    w = Writer()
    meta, spec = svc["metadata"], svc.get("spec") or {}
    ready, not_ready = _endpoint_addresses(endpoints)
    pairs = _meta_fields(svc) + [
        ("Labels", key_values(meta.get("labels"))),
        ("Annotations", annotations(meta.get("annotations"))),
        ("Selector", ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or NONE),
        ("Type", spec.get("type", "ClusterIP")),
        ("IP Family Policy", spec.get("ipFamilyPolicy") or ""),
        ("IP Families", ",".join(spec.get("ipFamilies") or ())),
        ("IP", spec.get("clusterIP") or NONE),
        ("IPs", ",".join(spec.get("clusterIPs") or ()) or NONE),
    ]
    w.fields(pairs)
    for p in spec.get("ports") or ():
        name, protocol = p.get("name") or "<unset>", p.get("protocol", "TCP")
        port_pairs: list[tuple[str, object]] = [("Port", f"{name}  {p.get('port')}/{protocol}"),
                                                ("TargetPort", f"{p.get('targetPort', p.get('port'))}/{protocol}")]
        if p.get("nodePort"):
            port_pairs.append(("NodePort", f"{name}  {p['nodePort']}/{protocol}"))
        port_pairs.append(("Endpoints", _shorten(ready)))
        w.fields(port_pairs)
    if not_ready:
        w.fields([("NotReadyEndpoints", _shorten(not_ready))])
    w.fields([("Session Affinity", spec.get("sessionAffinity", "None")),
              ("Internal Traffic Policy", spec.get("internalTrafficPolicy", "Cluster"))])
    events_section(w, events, now)
    return w.text()


def _shorten(addresses: list[str]) -> str:
    if not addresses:
        return NONE
    shown = ",".join(addresses[:3])
    return shown + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")


def describe_generic(obj: dict, events: list[dict], now: float) -> str:
    """Any other kind: metadata fields, then the rest of the object as YAML."""
    w = Writer()
    meta = obj["metadata"]
    w.fields(_meta_fields(obj) + [("Labels", key_values(meta.get("labels"))),
                                  ("Annotations", annotations(meta.get("annotations"))),
                                  ("API Version", obj.get("apiVersion", "")), ("Kind", obj.get("kind", ""))])
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    if rest:
        w.lines.extend(yaml.safe_dump(rest, sort_keys=False, default_flow_style=False).rstrip().splitlines())
    events_section(w, events, now)
    return w.text()


def describe_resource_quota(quota: dict, events: list[dict], now: float) -> str:
    """kubectl describe quota: its scopes, then Resource / Used / Hard."""
    w = Writer()
    w.fields(_meta_fields(quota))
    status = quota.get("status") or {}
    hard, used = status.get("hard") or (quota.get("spec") or {}).get("hard") or {}, status.get("used") or {}
    w.table(["Resource", "Used", "Hard"], [[name, used.get(name, "0"), hard[name]] for name in sorted(hard)], indent=0)
    events_section(w, events, now)
    return w.text()


def describe_limit_range(limit_range: dict, events: list[dict], now: float) -> str:
    """kubectl describe limitrange: one row per limit type and resource; `-` where nothing is set."""
    w = Writer()
    w.fields(_meta_fields(limit_range))
    rows = []
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        columns = [item.get(f) or {} for f in ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
        for resource in sorted(set().union(*columns)):
            rows.append([item.get("type", ""), resource, *(str(c.get(resource, "-")) for c in columns)])
    w.table(["Type", "Resource", "Min", "Max", "Default Request", "Default Limit", "Max Limit/Request Ratio"],
            rows, indent=0)
    events_section(w, events, now)
    return w.text()


def describe_claim(claim: dict, pods: list[dict], events: list[dict], now: float) -> str:
    """kubectl describe pvc: class, status, volume, capacity, access modes and the pods using it."""
    w = Writer()
    meta, spec, status = claim["metadata"], claim.get("spec") or {}, claim.get("status") or {}
    users = sorted(p["metadata"]["name"] for p in pods
                   if any((v.get("persistentVolumeClaim") or {}).get("claimName") == meta["name"]
                          for v in p["spec"].get("volumes") or ()))
    w.fields(_meta_fields(claim) + [
        ("StorageClass", spec.get("storageClassName") or ""), ("Status", status.get("phase", "")),
        ("Volume", spec.get("volumeName") or ""), ("Labels", key_values(meta.get("labels"))),
        ("Annotations", annotations(meta.get("annotations"))), ("Finalizers", f"[{' '.join(meta.get('finalizers') or ())}]"),
        ("Capacity", (status.get("capacity") or {}).get("storage", "")),
        ("Access Modes", ",".join({"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
                                   "ReadWriteOncePod": "RWOP"}.get(m, m) for m in status.get("accessModes") or ())),
        ("VolumeMode", spec.get("volumeMode", "Filesystem")), ("Used By", users or [NONE])])
    events_section(w, events, now)
    return w.text()


def _match_labels(obj: dict) -> str | None:
    """A label selector string narrowing a list to the candidates of `obj`'s selector (owners are checked after)."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    labels = selector.get("matchLabels") if "matchLabels" in selector or "matchExpressions" in selector else selector
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or None


def object_events(client, obj: dict) -> list[dict]:
    """Events about `obj`: by uid through the field selector, or by kind and name if that is refused."""
    meta = obj["metadata"]
    ns = meta.get("namespace") or "default"
    try:
        return client.list("events", ns, field_selector=f"involvedObject.uid={meta['uid']}")
    except ApiError:
        return [e for e in client.list("events", ns)
                if (e.get("involvedObject") or {}).get("name") == meta["name"]
                and (e.get("involvedObject") or {}).get("kind") == obj.get("kind")]


def describe(client, resource: str, name: str, namespace: str | None) -> str:
    """Fetch an object and what its description needs through the Client, and render it."""
    kind = kinds.resolve(resource)
    ns = namespace if kind.namespaced else None
    obj = client.get(kind.plural, name, ns)
    events = object_events(client, obj)
    now = client.now
    ns = obj["metadata"].get("namespace")
    if kind.plural == "pods":
        return describe_pod(obj, events, now)
    if kind.plural == "nodes":
        pods = client.list("pods", field_selector=f"spec.nodeName={name}")
        try:
            lease = client.get("leases", name, "kube-node-lease")
        except ApiError:
            lease = None
        return describe_node(obj, pods, lease, events, now)
    if kind.plural == "deployments":
        uid = obj["metadata"]["uid"]
        owned = [rs for rs in client.list("replicasets", ns, label_selector=_match_labels(obj))
                 if any(r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or ())]
        return describe_deployment(obj, owned, events, now)
    if kind.plural in ("replicasets", "replicationcontrollers"):
        uid = obj["metadata"]["uid"]
        pods = [p for p in client.list("pods", ns, label_selector=_match_labels(obj))
                if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or ())]
        return describe_replicaset(obj, pods, events, now)
    if kind.plural == "services":
        try:
            endpoints = client.get("endpoints", name, ns)
        except ApiError:
            endpoints = None
        return describe_service(obj, endpoints, events, now)
    if kind.plural == "resourcequotas":
        return describe_resource_quota(obj, events, now)
    if kind.plural == "limitranges":
        return describe_limit_range(obj, events, now)
    if kind.plural == "persistentvolumeclaims":
        return describe_claim(obj, client.list("pods", ns), events, now)
    return describe_generic(obj, events, now)
