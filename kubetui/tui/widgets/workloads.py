"""Workloads & Services pane: workloads with ready counts, Services with endpoints, Ingress rules (broken links marked)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ...printers import service_ports
from ..model import ClusterModel

WORKLOADS = (("deployments", "deploy"), ("statefulsets", "sts"), ("replicasets", "rs"),
             ("replicationcontrollers", "rc"))
KINDS = {"deployments", "statefulsets", "replicasets", "replicationcontrollers", "services", "endpoints", "ingresses"}


class WorkloadList(OptionList):
    """Selectable lines; option ids are `resource/namespace/name`."""

    DEFAULT_CSS = "WorkloadList { height: 12; }"

    def __init__(self, model: ClusterModel, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self._ids: list[str | None] = []
        self._prompts: list = []

    def _bad(self) -> Style:
        return Style(color=self.app.theme_variables.get("pod-failed"))

    def refresh_items(self) -> None:
        objects = self.model.objects
        highlighted = self.selected
        options: list[Option | None] = []
        for resource, short in WORKLOADS:
            for key, obj in sorted(objects[resource].items()):
                if resource == "replicasets" and _owned(obj):
                    continue
                spec, status = obj.get("spec") or {}, obj.get("status") or {}
                want = spec.get("replicas", 1)
                ready = status.get("readyReplicas", 0) or 0
                text = Text(f"{short}/{key}  ")
                text.append(f"{ready}/{want} ready", None if ready >= want else Style(color=self.app.theme_variables.get("pod-pending")))
                options.append(Option(text, id=f"{resource}/{key}"))
        services = objects["services"]
        for key, svc in sorted(services.items()):
            spec = svc.get("spec") or {}
            ready, not_ready = self.model.endpoint_counts(svc)
            selector = bool(spec.get("selector"))
            text = Text(f"svc/{key} → ")
            text.append(f"{ready} ready" + (f", {not_ready} not ready" if not_ready else ""),
                        self._bad() if selector and not ready else None)
            text.append(f"  {spec.get('type', 'ClusterIP')} {spec.get('clusterIP') or '-'} {service_ports(svc)}",
                        Style(dim=True))
            options.append(Option(text, id=f"services/{key}"))
        for key, ing in sorted(objects["ingresses"].items()):
            ns = ing["metadata"].get("namespace", "default")
            for rule in (ing.get("spec") or {}).get("rules") or ():
                for path in ((rule.get("http") or {}).get("paths")) or ():
                    backend = ((path.get("backend") or {}).get("service") or {}).get("name", "?")
                    text = Text(f"ing/{key}  {rule.get('host', '*')}{path.get('path', '/')} → ")
                    missing = f"{ns}/{backend}" not in services
                    text.append(f"svc/{backend}" + (" (missing)" if missing else ""), self._bad() if missing else None)
                    options.append(Option(text, id=f"ingresses/{key}/{len(options)}"))
        width = max(10, self.scrollable_content_region.width - 1)
        for option in options:
            option.prompt.truncate(width, overflow="ellipsis")
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


def _owned(obj: dict) -> bool:
    return any(ref.get("controller") for ref in obj["metadata"].get("ownerReferences") or ())
