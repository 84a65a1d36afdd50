"""Pydantic models of the scenario file format (`apiVersion: kubetui/v1`, `kind: Scenario`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..engine.durations import parse_duration
from ..engine.quantity import parse_quantity
from ..live import MAX_SPEED, MIN_SPEED
from .conditions import ConditionSpec
from .targets import parse_object_target, parse_pod_target

CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"

_DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")
TRAFFIC_TARGET = re.compile(r"https?://[^\s/]+(/\S*)?|[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[a-z0-9-]+)?")

_Issue = tuple[tuple[str | int, ...], str, str, dict[str, Any]]  # (loc, error type, message template, context)


def _raise(title: str, problems: list[_Issue]) -> NoReturn:
    """Raise one ValidationError whose errors sit at the given locations (relative to the model)."""
    raise ValidationError.from_exception_data(title, [
        InitErrorDetails(type=PydanticCustomError(kind, message, ctx), loc=loc, input=ctx.get("value"))
        for loc, kind, message, ctx in problems
    ])


def _quantity(value: object) -> str:
    try:
        amount = parse_quantity(value)  # other types are a ValueError too
    except ValueError:
        raise PydanticCustomError("quantity", 'invalid quantity "{value}"', {"value": str(value)}) from None
    if amount < 0:
        raise PydanticCustomError("quantity_negative", 'quantity must not be negative, got "{value}"',
                                  {"value": str(value)})
    return str(value)


def _duration(value: object) -> float:
    try:
        return parse_duration(value)  # other types are a ValueError too
    except ValueError as exc:
        raise PydanticCustomError("duration", "{message}", {"message": str(exc)}) from None


Quantity = Annotated[str, BeforeValidator(_quantity), WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "number", "minimum": 0}],
     "description": 'A Kubernetes quantity: "4", "500m", "8Gi", "110".'})]
Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "number", "minimum": 0}],
     "description": "A duration: 90s, 5m, 1h30m, 1.5h, 250ms, or a number of seconds."})]


def _dns_name(value: object) -> object:
    if isinstance(value, str) and not _DNS_NAME.fullmatch(value):
        raise PydanticCustomError(
            "dns_name", '"{value}" is not a valid node name: use lowercase letters, digits, "-" and "."',
            {"value": value})
    return value


NodeName = Annotated[str, BeforeValidator(_dns_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioMeta(_Strict):
    name: str = Field(min_length=1)
    description: str = ""


class Taint(_Strict):
    key: str = Field(min_length=1)
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

    def to_dict(self) -> dict[str, str]:
        """The taint as it appears in a Node's `spec.taints`."""
        taint = {"key": self.key, "effect": self.effect}
        if self.value is not None:
            taint["value"] = self.value
        return taint


@dataclass(frozen=True)
class ExpandedNode:
    """One concrete node of the cluster, after `namePrefix`/`count` groups are expanded."""

    name: str
    cpu: str
    memory: str
    pods: str
    labels: dict[str, str]
    taints: list[dict[str, str]]
    role: Literal["worker", "control-plane"]

    @property
    def control_plane(self) -> bool:
        return self.role == "control-plane"


class NodeSpec(_Strict):
    """A node (`name`) or a group of identical nodes (`namePrefix` + `count`)."""

    name: NodeName | None = None
    namePrefix: NodeName | None = None
    count: int | None = Field(None, ge=1)
    cpu: Quantity = "4"
    memory: Quantity = "8Gi"
    pods: Quantity = "110"
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    role: Literal["worker", "control-plane"] = "worker"

    @model_validator(mode="after")
    def _name_or_group(self) -> NodeSpec:
        problems: list[_Issue] = []
        if self.name is not None and self.namePrefix is not None:
            problems.append((("namePrefix",), "node_name", "give either name or namePrefix (with count), not both", {}))
        elif self.name is None and self.namePrefix is None:
            problems.append((("name",), "missing", "Field required (or namePrefix with count)", {}))
        elif self.name is not None and self.count is not None:
            problems.append((("count",), "node_count", "count applies only with namePrefix", {}))
        elif self.namePrefix is not None and self.count is None:
            problems.append((("count",), "missing", "Field required with namePrefix", {}))
        if problems:
            _raise(type(self).__name__, problems)
        return self

    def names(self, first_index: int = 1) -> list[str]:
        """The node names this entry stands for; a group is numbered from `first_index`."""
        if self.name is not None:
            return [self.name]
        return [f"{self.namePrefix}-{first_index + i}" for i in range(self.count or 0)]

    def expand(self, name: str) -> ExpandedNode:
        control_plane = self.role == "control-plane" or name.startswith("control-plane")
        labels = dict(self.labels)
        taints = [t.to_dict() for t in self.taints]
        if control_plane:
            labels.setdefault(CONTROL_PLANE_LABEL, "")
            # As kubeadm does, unless the scenario spells out the taints itself.
            if "taints" not in self.model_fields_set:
                taints = [{"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}]
        return ExpandedNode(name, self.cpu, self.memory, self.pods, labels, taints,
                            "control-plane" if control_plane else "worker")


class ManifestRef(_Strict):
    """A file of Kubernetes manifests (or a folder of them), relative to the scenario file."""

    file: str = Field(min_length=1)


def manifest_problems(obj: object) -> list[tuple[tuple[str, ...], str]]:
    """What makes `obj` unusable as a Kubernetes object: (field path, message) pairs."""
    if not isinstance(obj, dict):
        return [((), "expected a Kubernetes object (a mapping with apiVersion and kind)")]
    problems: list[tuple[tuple[str, ...], str]] = []
    for field in ("apiVersion", "kind"):
        if field not in obj:
            problems.append(((field,), "Field required"))
        elif not isinstance(obj[field], str) or not obj[field]:
            problems.append(((field,), "Input should be a non-empty string"))
    return problems


def _check_object(obj: dict[str, Any]) -> dict[str, Any]:
    problems = manifest_problems(obj)
    if problems:
        _raise("manifest", [(loc, "manifest", message, {}) for loc, message in problems])
    return obj


def _manifest_entry(value: object) -> object:
    if not isinstance(value, dict):
        raise PydanticCustomError("manifest_type", "expected a Kubernetes object or a file reference (file: path)")
    if "file" in value and "apiVersion" not in value and "kind" not in value:
        return ManifestRef.model_validate(value)
    return _check_object(value)


ManifestEntry = Annotated[ManifestRef | dict[str, Any], BeforeValidator(_manifest_entry)]
KubeObject = Annotated[dict[str, Any], BeforeValidator(lambda v: _check_object(v) if isinstance(v, dict) else v)]

Lang = Literal["en", "ko"]
LANGS: tuple[Lang, ...] = ("en", "ko")


def _localized(value: object) -> object:
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict) and "en" not in value:
        raise PydanticCustomError("localized", "give the English text (en) at least, and ko for Korean")
    return value


Localized = Annotated[dict[Lang, str], BeforeValidator(_localized), WithJsonSchema(
    {"anyOf": [{"type": "string"},
               {"type": "object", "properties": {"en": {"type": "string"}, "ko": {"type": "string"}},
                "required": ["en"], "additionalProperties": False}],
     "description": "Text (Markdown), in English or as {en: ..., ko: ...}."})]


def localized(text: dict[str, str], lang: str) -> str:
    """`text` in `lang`, falling back to English."""
    return text.get(lang) or text["en"]


Action = Literal["kill-node", "restart-node", "partition-node", "heal-node", "kill-pod", "crash-container", "cordon",
                 "uncordon", "drain", "apply", "delete", "scale", "rollout-undo", "add-node", "traffic", "set-speed",
                 "pause", "note"]

# action -> (required fields, optional fields, what `target` names)
ACTION_FIELDS: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {
    "kill-node": (frozenset({"target"}), frozenset(), "node"),
    "restart-node": (frozenset({"target"}), frozenset(), "node"),
    "cordon": (frozenset({"target"}), frozenset(), "node"),
    "uncordon": (frozenset({"target"}), frozenset(), "node"),
    "drain": (frozenset({"target"}), frozenset(), "node"),
    "add-node": (frozenset({"target"}), frozenset(), "node"),
    "partition-node": (frozenset({"target"}), frozenset(), "node"),
    "heal-node": (frozenset({"target"}), frozenset(), "node"),
    "kill-pod": (frozenset({"target"}), frozenset(), "pod"),
    "crash-container": (frozenset({"target"}), frozenset({"container"}), "pod"),
    "apply": (frozenset(), frozenset({"manifest", "file"}), None),  # exactly one of them
    "delete": (frozenset({"target"}), frozenset(), "object"),
    "scale": (frozenset({"target", "replicas"}), frozenset(), "object"),
    "rollout-undo": (frozenset({"target"}), frozenset(), "object"),
    # Starts a stream (target, optional rate and name), or with `stop: true` stops the one called `name`.
    "traffic": (frozenset(), frozenset({"target", "rate", "name", "stop"}), "traffic"),
    "set-speed": (frozenset({"speed"}), frozenset(), None),
    "pause": (frozenset(), frozenset(), None),
    "note": (frozenset({"text"}), frozenset({"duration"}), None),
}
# Actions for the front end showing the run, not for the cluster: a headless run only logs them.
UI_ACTIONS = frozenset({"set-speed", "pause", "note"})
_PARAMETERS = ("target", "manifest", "file", "replicas", "container", "rate", "name", "stop", "speed", "text",
               "duration")
_ROLLOUT_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


class ActionSpec(_Strict):
    """Something done to the cluster: what a timeline entry, a lesson step or a lesson's solution does."""

    action: Action
    target: str | None = Field(None, min_length=1)
    manifest: KubeObject | None = None
    file: str | None = Field(None, min_length=1)  # apply: manifests in a file, relative to the scenario file
    replicas: int | None = Field(None, ge=0)
    container: str | None = Field(None, min_length=1)
    rate: int | None = Field(None, ge=1)  # traffic: requests per second (default 10)
    name: str | None = Field(None, min_length=1)  # traffic: the stream's name
    stop: bool | None = None  # traffic: stop the stream called `name`
    speed: float | None = Field(None, ge=MIN_SPEED, le=MAX_SPEED)  # set-speed: virtual seconds per wall second
    text: Localized | None = None  # note: the caption
    duration: Duration | None = None  # note: how long the caption stays (wall seconds, default 8)

    @model_validator(mode="after")
    def _fields_for_action(self) -> ActionSpec:
        required, optional, target_kind = ACTION_FIELDS[self.action]
        if self.action == "traffic":
            required, optional = (frozenset({"name"}), frozenset({"stop"})) if self.stop else (
                frozenset({"target"}), frozenset({"rate", "name", "stop"}))
        problems: list[_Issue] = []
        if self.action == "apply" and (self.manifest is None) == (self.file is None):
            problems.append((("manifest",), "missing", "apply needs either manifest (an object) or file (a path)", {}))
        for name in _PARAMETERS:
            value = getattr(self, name)
            if name in required and value is None:
                problems.append(((name,), "missing", "Field required for {action}", {"action": self.action}))
            elif name not in required | optional and value is not None:
                problems.append(((name,), "unused", "{action} does not take {field}",
                                 {"action": self.action, "field": name}))
        if self.target is not None and target_kind is not None:
            message = self._target_problem(target_kind)
            if message:
                problems.append((("target",), "target", "{message}", {"message": message, "value": self.target}))
        if problems:
            _raise(type(self).__name__, problems)
        return self

    def _target_problem(self, target_kind: str) -> str | None:
        target = self.target or ""
        if target_kind == "node":
            return None if "/" not in target else f'expected a node name, got "{target}"'
        if target_kind == "traffic":
            return None if TRAFFIC_TARGET.fullmatch(target) else \
                f'expected a URL (http://host/path) or a Service (name[.namespace][:port]), got "{target}"'
        try:
            if target_kind == "pod":
                parse_pod_target(target)
                return None
            _, kind, _ = parse_object_target(target, "deployments" if self.action == "rollout-undo" else None)
        except ValueError as exc:
            return str(exc)
        if self.action == "scale" and "scale" not in kind.subresources:
            return f"{kind.plural} cannot be scaled"
        if self.action == "rollout-undo" and kind.kind not in _ROLLOUT_KINDS:
            return f"{kind.plural} have no rollouts (use a deployment, daemonset or statefulset)"
        return None


class TimelineAction(ActionSpec):
    """An action `at` a virtual time since the scenario started, or once `when` a condition first holds
    (`after` that much later)."""

    at: Duration | None = None
    when: ConditionSpec | None = None
    after: Duration | None = None

    @model_validator(mode="after")
    def _at_or_when(self) -> TimelineAction:
        if (self.at is None) == (self.when is None):
            _raise(type(self).__name__, [(("at",), "at_or_when", "give either at (a time) or when (a condition)", {})])
        if self.after is not None and self.when is None:
            _raise(type(self).__name__, [(("after",), "after_without_when", "after applies only with when", {})])
        return self


class LessonAction(ActionSpec):
    """A step's action, or one move of its solution; `wait` lets virtual time pass before it."""

    wait: Duration = 0.0


class LessonStep(_Strict):
    """One step: text to read, a check that passes when the learner has done it, hints, and the solution
    `kubetui run --check` plays to prove the step can be done."""

    title: Localized
    text: Localized
    check: ConditionSpec
    hints: list[Localized] = Field(default_factory=list)
    actions: list[LessonAction] = Field(default_factory=list)   # done to the cluster when the step starts
    solution: list[LessonAction] = Field(default_factory=list)  # what a learner would do
    timeout: Duration = 300.0  # how long --check waits for the check after playing the solution


class Lesson(_Strict):
    title: Localized
    steps: list[LessonStep] = Field(min_length=1)


def _default_nodes() -> list[NodeSpec]:
    return [NodeSpec(namePrefix="worker", count=3)]


class ScenarioSpec(_Strict):
    seed: int = 1
    profile: Literal["fast", "realistic"] = "fast"
    nodes: list[NodeSpec] = Field(default_factory=_default_nodes)
    manifests: list[ManifestEntry] = Field(default_factory=list)
    timeline: list[TimelineAction] = Field(default_factory=list)
    lesson: Lesson | None = None

    def expand_nodes(self) -> list[ExpandedNode]:
        """All nodes, groups numbered after names already taken, with a control plane first unless one is given."""
        return self._expand()[0]

    def _expand(self) -> tuple[list[ExpandedNode], list[_Issue]]:
        explicit = {spec.name for spec in self.nodes if spec.name is not None}
        next_index: dict[str, int] = {}
        expanded: list[ExpandedNode] = []
        problems: list[_Issue] = []
        seen: set[str] = set()
        for i, spec in enumerate(self.nodes):
            if spec.namePrefix is not None:
                prefix = spec.namePrefix
                if prefix not in next_index:
                    numbered = re.compile(re.escape(prefix) + r"-(\d+)")
                    next_index[prefix] = 1 + max(
                        (int(m.group(1)) for name in explicit if (m := numbered.fullmatch(name))), default=0)
                names = spec.names(next_index[prefix])
                next_index[prefix] += len(names)
            else:
                names = spec.names()
            for name in names:
                if name in seen:
                    field = "name" if spec.name is not None else "namePrefix"
                    problems.append((("nodes", i, field), "duplicate", 'duplicate node name "{value}"',
                                     {"value": name}))
                    continue
                seen.add(name)
                expanded.append(spec.expand(name))
        if not any(node.control_plane for node in expanded):
            expanded.insert(0, NodeSpec(name="control-plane", role="control-plane").expand("control-plane"))
        return expanded, problems

    @model_validator(mode="after")
    def _nodes_and_targets(self) -> ScenarioSpec:
        expanded, problems = self._expand()
        names = {node.name for node in expanded}
        added = {a.target for a in self.timeline if a.action == "add-node"}
        for i, action in enumerate(self.timeline):
            if ACTION_FIELDS[action.action][2] != "node" or action.target is None:
                continue
            if action.action == "add-node" and action.target in names:
                problems.append((("timeline", i, "target"), "node_exists", 'node "{value}" already exists',
                                 {"value": action.target}))
            elif action.action != "add-node" and action.target not in names | added:
                problems.append((("timeline", i, "target"), "unknown_node", 'unknown node "{value}"',
                                 {"value": action.target}))
        if problems:
            _raise(type(self).__name__, problems)
        return self


class Scenario(_Strict):
    apiVersion: Literal["kubetui/v1"]
    kind: Literal["Scenario"]
    metadata: ScenarioMeta
    spec: ScenarioSpec = Field(default_factory=ScenarioSpec)


# The schema as shipped in the package (regenerate with `kubetui scenarios schema > kubetui/schemas/scenario.schema.json`).
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "scenario.schema.json"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors and validation."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **Scenario.model_json_schema()}


def scenario_json_schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
