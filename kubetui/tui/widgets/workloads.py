"""Workloads & service map pane: workloads with ready counts; Ingress rules → Services → endpoints → pods (broken links marked)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...printers import hpa_targets, service_external_ip, service_ports
from ..model import ClusterModel

WORKLOADS = (("deployments", "deploy"), ("statefulsets", "sts"), ("daemonsets", "ds"), ("replicasets", "rs"),
             ("replicationcontrollers", "rc"), ("jobs", "job"))
MAX_NAMES = 12
KINDS = {"deployments", "statefulsets", "daemonsets", "replicasets", "replicationcontrollers", "jobs", "services",
         "endpoints", "ingresses", "persistentvolumeclaims", "horizontalpodautoscalers"}


class WorkloadList(OptionList):
    """Selectable lines; option ids are `resource/namespace/name`."""

    def __init__(self, model: ClusterModel, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self._ids: list[str | None] = []
        self._prompts: list = []

    def _service_prompt(self, key: str, svc: dict) -> Text:
        """Two lines: the Service (type, ClusterIP, ports) and where it leads (endpoints → pods, or why not)."""
        spec = svc.get("spec") or {}
        stype = spec.get("type", "ClusterIP")
        text = Text(f"svc/{key}  ")
        text.append(f"{stype} {spec.get('clusterIP') or '-'} {service_ports(svc)}", Style(dim=True))
        if stype == "LoadBalancer":
            external = service_external_ip(svc)
            text.append(f"  external {external}", self._bad() if external == "<pending>" else None)
        text.append("\n  ")
        if stype == "ExternalName":
            text.append(f"→ DNS alias for {spec.get('externalName', '?')}", Style(dim=True))
            return text
        ready, not_ready = self.model.endpoint_targets(svc)
        if ready:
            text.append(f"✓ {len(ready)} ready", Style(color=self.app.theme_variables.get("pod-running")))
        elif spec.get("selector"):
            text.append("✗ no endpoints", self._bad())
        else:
            text.append("no selector: endpoints by hand", Style(dim=True))
        if not_ready:
            text.append(f", {len(not_ready)} not ready", Style(color=self.app.theme_variables.get("pod-pending")))
        if ready or not_ready:
            names = (ready + not_ready)[:MAX_NAMES]  # the line is cut to the pane's width anyway
            text.append(" → " + " ".join(names), Style(dim=True))
        return text

    def _bad(self) -> Style:
        return Style(color=self.app.theme_variables.get("pod-failed"))

    def refresh_items(self) -> None:
        objects = self.model.objects
        highlighted = self.selected
        entries: list[tuple[Text, str]] = []
        pending = Style(color=self.app.theme_variables.get("pod-pending"))
        stuck = self.model.stuck_stateful_pods() if objects["statefulsets"] else {}
        for resource, short in WORKLOADS:
            for key, obj in sorted(objects[resource].items()):
                if resource in ("replicasets", "jobs") and _owned(obj):
                    continue
                done, want, word = _progress(resource, obj)
                text = Text(f"{short}/{key}  ")
                text.append(f"{done}/{want} {word}", None if done >= want else pending)
                if resource == "statefulsets":
                    for pod, node in stuck.get(key, ()):
                        text.append(f"\n  ⚠ {pod} stuck Terminating on unreachable {node}", self._bad())
                        text.append(f"\n    not replaced until its node is deleted\n    or :delete pod {pod} --force",
                                    Style(dim=True))
                entries.append((text, f"{resource}/{key}"))
        for key, hpa in sorted(objects["horizontalpodautoscalers"].items()):
            spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
            ref = spec.get("scaleTargetRef") or {}
            text = Text(f"hpa/{key} → {ref.get('kind', '').lower()}/{ref.get('name', '')}  {hpa_targets(hpa)}  ")
            text.append(f"{status.get('currentReplicas', 0)} replicas ({spec.get('minReplicas', 1)}–{spec.get('maxReplicas')})",
                        Style(dim=True))
            entries.append((text, f"horizontalpodautoscalers/{key}"))
        for key, claim in sorted(objects["persistentvolumeclaims"].items()):
            phase = (claim.get("status") or {}).get("phase", "Pending")
            text = Text(f"pvc/{key}  ")
            text.append(phase, None if phase == "Bound" else pending)
            size = ((claim.get("status") or {}).get("capacity") or {}).get("storage")
            volume = (claim.get("spec") or {}).get("volumeName")
            if volume:
                text.append(f"  {size or ''} → {volume}", Style(dim=True))
            entries.append((text, f"persistentvolumeclaims/{key}"))
        services = objects["services"]
        for key, ing in sorted(objects["ingresses"].items()):
            ns = ing["metadata"].get("namespace", "default")
            for rule in (ing.get("spec") or {}).get("rules") or ():
                for path in ((rule.get("http") or {}).get("paths")) or ():
                    backend = ((path.get("backend") or {}).get("service") or {})
                    name = backend.get("name", "?")
                    port = backend.get("port") or {}
                    text = Text(f"ing/{key}  {rule.get('host', '*')}{path.get('path', '/')} → ")
                    missing = f"{ns}/{name}" not in services
                    text.append(f"svc/{name}" + (" (missing)" if missing else f":{port.get('number', port.get('name', '?'))}"),
                                self._bad() if missing else None)
                    entries.append((text, f"ingresses/{key}/{len(entries)}"))
        for key, svc in sorted(services.items()):
            entries.append((self._service_prompt(key, svc), f"services/{key}"))
        width = max(10, self.scrollable_content_region.width - 1)
        options = [Option(_fit(text, width), id=option_id) for text, option_id in entries]
        options = options or [Option(Text("no workloads or services", Style(dim=True)), id="none", disabled=True)]
        ids = [o.id for o in options]
        if ids == self._ids:  # same lines: swap changed prompts in place, which needs no layout pass
            for index, (option, old) in enumerate(zip(options, self._prompts)):
                if option.prompt != old:
                    self.replace_option_prompt_at_index(index, option.prompt)
            self.refresh()
        else:
            self.clear_options()
            self.add_options(options)
            if highlighted is not None:
                self.select_id(highlighted)
        self._ids = ids
        self._prompts = [o.prompt for o in options]

    def on_resize(self) -> None:
        self.refresh_items()

    def select_id(self, option_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(option_id)
        except OptionDoesNotExist:  # the object is gone; leave the highlight where OptionList put it
            pass

    @property
    def selected(self) -> str | None:
        if self.highlighted is None:
            return None
        option = self.get_option_at_index(self.highlighted)
        return option.id if option.id != "none" else None

    @property
    def selected_object(self) -> tuple[str, str, str] | None:
        """(resource, namespace, name) of the highlighted line."""
        if self.selected is None:
            return None
        resource, ns, name = self.selected.split("/")[:3]
        return resource, ns, name


def _progress(resource: str, obj: dict) -> tuple[int, int, str]:
    """What a workload line counts: ready replicas (pods for a DaemonSet), or a Job's completions."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if resource == "daemonsets":
        return status.get("numberReady", 0) or 0, status.get("desiredNumberScheduled", 0) or 0, "ready"
    if resource == "jobs":
        return status.get("succeeded", 0) or 0, spec.get("completions") or 1, "complete"
    return status.get("readyReplicas", 0) or 0, spec.get("replicas", 1), "ready"


def _fit(text: Text, width: int) -> Text:
    """Each line of `text` cut to `width` cells with an ellipsis."""
    lines = text.split("\n")
    if all(line.cell_len <= width for line in lines):
        return text
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


def _owned(obj: dict) -> bool:
    return any(ref.get("controller") for ref in obj["metadata"].get("ownerReferences") or ())
