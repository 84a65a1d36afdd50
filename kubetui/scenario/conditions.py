"""Declarative conditions over cluster state, shared by timeline `when:` triggers and lesson step checks."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from ..engine.api import kinds
from ..engine.api.errors import ApiError
from ..engine.api.selectors import parse_label_selector
from ..engine.clock import parse_rfc3339
from ..printers import node_status, pod_status
from .targets import parse_object_target

# `deployment/web available`: a target and a state word.
SHORTHAND_STATES = ("available", "ready", "complete", "failed", "bound", "exists", "absent", "Ready", "NotReady")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _target(value: object) -> object:
    if isinstance(value, str):
        try:
            parse_object_target(value)
        except ValueError as exc:
            raise PydanticCustomError("target", "{message}", {"message": str(exc)}) from None
    return value


Target = Annotated[str, BeforeValidator(_target), WithJsonSchema(
    {"type": "string", "description": "resource/name or namespace/resource/name, e.g. deployment/web"})]


class FieldCheck(_Strict):
    """A field of one object compared with a value: `path` is dotted (`status.readyReplicas`,
    `spec.containers.0.image`, `metadata.labels.app`)."""

    target: Target
    path: str = Field(min_length=1)
    equals: Any = None
    atLeast: float | None = None
    atMost: float | None = None
    contains: str | None = None
    matches: str | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> FieldCheck:
        given = [k for k in ("equals", "atLeast", "atMost", "contains", "matches") if getattr(self, k) is not None]
        if not given:
            raise PydanticCustomError("comparison", "give one of equals, atLeast, atMost, contains, matches")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise PydanticCustomError("regex", "matches: {message}", {"message": str(exc)}) from None
        return self


class PodsCheck(_Strict):
    """How many pods match: by label selector, namespace, phase (or the STATUS column kubectl shows),
    readiness and node. With no count bound, at least one."""

    selector: str = ""
    namespace: str = "default"
    phase: Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"] | None = None
    status: str | None = None  # kubectl's STATUS column: CrashLoopBackOff, ImagePullBackOff, Terminating, ...
    ready: bool | None = None
    node: str | None = None
    count: int | None = Field(None, ge=0)
    atLeast: int | None = Field(None, ge=0)
    atMost: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _valid_selector(self) -> PodsCheck:
        try:
            parse_label_selector(self.selector)
        except Exception as exc:
            raise PydanticCustomError("selector", "selector: {message}", {"message": str(exc)}) from None
        return self


class EventCheck(_Strict):
    """An Event with this reason was recorded (since the step started, for a lesson check)."""

    reason: str = Field(min_length=1)
    target: str | None = None  # kind/name of the involved object; a name ending in "-" matches a prefix
    type: Literal["Normal", "Warning"] | None = None
    message: str | None = None  # a substring of the message
    namespace: str | None = None


class TrafficCheck(_Strict):
    """A request stream (started with `:traffic`) has had at least `ok` answered requests (and at most
    `failed` failures, if given)."""

    ok: int = Field(1, ge=0)
    failed: int | None = Field(None, ge=0)
    name: str | None = None  # the stream; any stream when not given


class NodeCheck(_Strict):
    name: str = Field(min_length=1)
    ready: bool | None = None
    unschedulable: bool | None = None
    taint: str | None = None  # a taint key the node has


def _shorthand(value: object) -> object:
    """`deployment/web available` → {"available": "deployment/web"}; `node/worker-1 NotReady` → a node check."""
    if not isinstance(value, str):
        return value
    parts = value.split()
    if len(parts) != 2 or parts[1] not in SHORTHAND_STATES:
        raise PydanticCustomError(
            "condition", 'expected "TARGET STATE" with STATE one of {states}, got "{value}"',
            {"states": ", ".join(SHORTHAND_STATES), "value": value})
    target, state = parts
    if state in ("Ready", "NotReady"):
        kind, _, name = target.partition("/")
        if kind not in ("node", "nodes", "no") or not name:
            raise PydanticCustomError("condition", '{state} applies to node/NAME, got "{value}"',
                                      {"state": state, "value": target})
        return {"node": {"name": name, "ready": state == "Ready"}}
    return {state: target}


class Condition(_Strict):
    """Exactly one of the fields. `available` (Deployment), `ready` (every replica ready: Deployment,
    StatefulSet, DaemonSet, ReplicaSet), `complete`/`failed` (Job), `bound` (PersistentVolumeClaim)."""

    exists: Target | None = None
    absent: Target | None = None
    available: Target | None = None
    ready: Target | None = None
    complete: Target | None = None
    failed: Target | None = None
    bound: Target | None = None
    field: FieldCheck | None = None
    pods: PodsCheck | None = None
    event: EventCheck | None = None
    node: NodeCheck | None = None
    quorum: bool | None = None  # whether etcd has quorum (writes can succeed)
    traffic: TrafficCheck | None = None
    all: list[ConditionSpec] | None = None
    any: list[ConditionSpec] | None = None
    not_: ConditionSpec | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise PydanticCustomError("condition_kind", "give exactly one of {names}, got {count}",
                                      {"names": ", ".join(f.alias or n for n, f in type(self).model_fields.items()),
                                       "count": len(given)})
        return self

    def describe(self) -> str:
        """A short human phrase for the condition (`deployment/web available`)."""
        for name in ("exists", "absent", "available", "ready", "complete", "failed", "bound"):
            value = getattr(self, name)
            if value is not None:
                return f"{value} {name}"
        if self.field is not None:
            f = self.field
            op, want = next((k, getattr(f, k)) for k in ("equals", "atLeast", "atMost", "contains", "matches")
                            if getattr(f, k) is not None)
            return f"{f.target} {f.path} {_OPS[op]} {want:g}" if op in ("atLeast", "atMost") else \
                f"{f.target} {f.path} {_OPS[op]} {want!r}"
        if self.pods is not None:
            p = self.pods
            what = " ".join(x for x in (p.selector and f"-l {p.selector}", p.phase or p.status,
                                        p.ready is not None and ("ready" if p.ready else "not ready"),
                                        p.node and f"on {p.node}") if x)
            return f"pods {what} {_count_text(p)}".replace("  ", " ").strip()
        if self.event is not None:
            return f"event {self.event.reason}" + (f" on {self.event.target}" if self.event.target else "")
        if self.node is not None:
            n = self.node
            states = [("Ready" if n.ready else "NotReady") if n.ready is not None else "",
                      ("cordoned" if n.unschedulable else "schedulable") if n.unschedulable is not None else "",
                      f"tainted {n.taint}" if n.taint else ""]
            return f"node/{n.name} " + " ".join(s for s in states if s)
        if self.quorum is not None:
            return "etcd has quorum" if self.quorum else "etcd has lost quorum"
        if self.traffic is not None:
            return f"traffic {self.traffic.name or ''} ≥ {self.traffic.ok} answered".replace("  ", " ")
        if self.all is not None:
            return " and ".join(c.describe() for c in self.all)
        if self.any is not None:
            return " or ".join(c.describe() for c in self.any)
        return f"not ({self.not_.describe()})"


class _OrShorthand:
    """JSON Schema of a condition: the structured form, or the `TARGET STATE` shorthand string."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler) -> dict[str, Any]:
        shorthand = {"type": "string", "pattern": rf"^\S+ ({'|'.join(SHORTHAND_STATES)})$",
                     "description": 'TARGET STATE, e.g. "deployment/web available" or "node/worker-1 NotReady"'}
        return {"anyOf": [shorthand, handler(core_schema)]}


ConditionSpec = Annotated[Condition, BeforeValidator(_shorthand), _OrShorthand]
Condition.model_rebuild()

_OPS = {"equals": "=", "atLeast": "≥", "atMost": "≤", "contains": "contains", "matches": "matches"}


def _count_text(p: PodsCheck) -> str:
    if p.count is not None:
        return f"= {p.count}"
    if p.atLeast is not None and p.atMost is not None:
        return f"{p.atLeast}–{p.atMost}"
    if p.atMost is not None:
        return f"≤ {p.atMost}"
    return f"≥ {p.atLeast if p.atLeast is not None else 1}"


# -- evaluation ------------------------------------------------------------------------------------

def evaluate(cond: Condition, client, since: float = 0.0) -> tuple[bool, str]:
    """Whether `cond` holds now, and why (or why not) in a phrase a learner can act on. `since` is the
    virtual time events must be recorded after (a lesson step's start)."""
    for name in ("exists", "absent", "available", "ready", "complete", "failed", "bound"):
        target = getattr(cond, name)
        if target is not None:
            return _state(client, name, target)
    if cond.field is not None:
        return _field(client, cond.field)
    if cond.pods is not None:
        return _pods(client, cond.pods)
    if cond.event is not None:
        return _event(client, cond.event, since)
    if cond.node is not None:
        return _node(client, cond.node)
    if cond.traffic is not None:
        return _traffic(client, cond.traffic)
    if cond.quorum is not None:
        status = client.control_plane()
        text = f"etcd: {status['running']} of {status['members']} members up, {status['needed']} needed"
        return status["quorum"] == cond.quorum, text
    if cond.all is not None:
        for sub in cond.all:
            ok, why = evaluate(sub, client, since)
            if not ok:
                return False, why
        return True, cond.describe()
    if cond.any is not None:
        reasons = []
        for sub in cond.any:
            ok, why = evaluate(sub, client, since)
            if ok:
                return True, why
            reasons.append(why)
        return False, "; ".join(reasons)
    ok, why = evaluate(cond.not_, client, since)
    return (not ok), (f"not: {why}" if ok else why)


def _get(client, target: str) -> tuple[dict | None, str]:
    namespace, kind, name = parse_object_target(target)
    try:
        return client.get(kind.plural, name, (namespace or "default") if kind.namespaced else None), target
    except ApiError as exc:
        if exc.code == 404:
            return None, target
        raise


def _state(client, state: str, target: str) -> tuple[bool, str]:
    obj, _ = _get(client, target)
    if state == "absent":
        return obj is None, f"{target} {'is gone' if obj is None else 'still exists'}"
    if obj is None:
        return False, f"{target} does not exist"
    if state == "exists":
        return True, f"{target} exists"
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or ()}
    if state == "available":
        cond = conditions.get("Available") or {}
        want = spec.get("replicas", 1)
        ok = cond.get("status") == "True" and status.get("updatedReplicas", 0) == want \
            and status.get("availableReplicas", 0) >= want
        return ok, f"{target}: {status.get('availableReplicas', 0)}/{want} available" + \
            ("" if ok or cond.get("status") == "True" else f" ({cond.get('reason') or 'not Available yet'})")
    if state == "ready":
        if obj.get("kind") == "DaemonSet":
            have, want = status.get("numberReady", 0), status.get("desiredNumberScheduled", 0)
        else:
            have, want = status.get("readyReplicas", 0), spec.get("replicas", 1)
        return have >= want and want > 0, f"{target}: {have}/{want} ready"
    if state in ("complete", "failed"):
        kind = "Complete" if state == "complete" else "Failed"
        ok = (conditions.get(kind) or {}).get("status") == "True"
        return ok, f"{target}: {status.get('succeeded', 0)} succeeded, {status.get('failed', 0)} failed" + \
            (f" ({kind})" if ok else "")
    phase = status.get("phase", "Pending")
    return phase == "Bound", f"{target} is {phase}"


def _lookup(obj: Any, path: str) -> tuple[bool, Any]:
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return False, None
    return True, obj


def _field(client, f: FieldCheck) -> tuple[bool, str]:
    obj, _ = _get(client, f.target)
    if obj is None:
        return False, f"{f.target} does not exist"
    found, value = _lookup(obj, f.path)
    shown = f"{f.target} {f.path} is {value!r}" if found else f"{f.target} has no {f.path}"
    if f.equals is not None:
        ok = found and (value == f.equals or str(value) == str(f.equals))
        return ok, shown + ("" if ok else f", want {f.equals!r}")
    if f.contains is not None:
        ok = found and f.contains in (value if isinstance(value, (str, list, dict)) else str(value))
        return ok, shown + ("" if ok else f", want it to contain {f.contains!r}")
    if f.matches is not None:
        ok = found and re.search(f.matches, str(value)) is not None
        return ok, shown + ("" if ok else f", want it to match {f.matches!r}")
    try:
        number = float(value) if found else None
    except (TypeError, ValueError):
        return False, shown + ", want a number"
    if f.atLeast is not None and (number is None or number < f.atLeast):
        return False, shown + f", want ≥ {f.atLeast:g}"
    if f.atMost is not None and (number is None or number > f.atMost):
        return False, shown + f", want ≤ {f.atMost:g}"
    return True, shown


def _pods(client, p: PodsCheck) -> tuple[bool, str]:
    pods = client.list("pods", p.namespace, label_selector=p.selector or None)
    matching = 0
    for pod in pods:
        status = pod.get("status") or {}
        if p.phase is not None and (status.get("phase") != p.phase or pod["metadata"].get("deletionTimestamp")):
            continue
        if p.status is not None and pod_status(pod) != p.status:
            continue
        if p.ready is not None:
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())
            if ready != p.ready:
                continue
        if p.node is not None and pod["spec"].get("nodeName") != p.node:
            continue
        matching += 1
    ok = ((p.count is None or matching == p.count)
          and matching >= (p.atLeast if p.atLeast is not None else (0 if p.count is not None or p.atMost is not None else 1))
          and (p.atMost is None or matching <= p.atMost))
    what = Condition(pods=p).describe()
    return ok, f"{matching} pod{'s' if matching != 1 else ''} match ({what[len('pods '):]} wanted)"


def _event(client, e: EventCheck, since: float) -> tuple[bool, str]:
    for event in client.list("events", e.namespace) if e.namespace else client.list("events"):
        if event.get("reason") != e.reason or (e.type and event.get("type") != e.type):
            continue
        if e.message and e.message not in (event.get("message") or ""):
            continue
        stamp = event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get("creationTimestamp")
        if stamp and parse_rfc3339(stamp) < since:
            continue
        if e.target:
            kind, _, name = e.target.rpartition("/")
            involved = event.get("involvedObject") or {}
            if kind and (involved.get("kind") or "").lower() != _singular(kind):
                continue
            got = involved.get("name") or ""
            if not (got == name or (name.endswith("-") and got.startswith(name))):
                continue
        return True, f"event {e.reason}: {event.get('message', '')}"
    return False, f"no {e.reason} event yet" + (f" for {e.target}" if e.target else "")


def _singular(kind: str) -> str:
    """`deployment`, `deploy`, `deployments`, `Deployment` → the kind in lower case."""
    try:
        return kinds.resolve(kind).kind.lower()
    except ApiError:
        return kind.lower()


def _node(client, n: NodeCheck) -> tuple[bool, str]:
    try:
        node = client.get("nodes", n.name)
    except ApiError:
        return False, f"node/{n.name} does not exist"
    status = node_status(node)
    ready = status.split(",")[0] == "Ready"
    unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
    taints = [t.get("key") for t in (node.get("spec") or {}).get("taints") or ()]
    problems = []
    if n.ready is not None and ready != n.ready:
        problems.append(f"is {status.split(',')[0]}")
    if n.unschedulable is not None and unschedulable != n.unschedulable:
        problems.append("is cordoned" if unschedulable else "is schedulable")
    if n.taint is not None and n.taint not in taints:
        problems.append(f"has no {n.taint} taint")
    if problems:
        return False, f"node/{n.name} " + " and ".join(problems)
    return True, f"node/{n.name} {status}"


def _traffic(client, t: TrafficCheck) -> tuple[bool, str]:
    streams = [s for s in client.traffic_streams() if t.name is None or s.name == t.name]
    if not streams:
        return False, "no request stream running (start one with :traffic)"
    ok = sum(s.total_ok for s in streams)
    failed = sum(s.total_failed for s in streams)
    passed = ok >= t.ok and (t.failed is None or failed <= t.failed)
    return passed, f"{ok} requests answered, {failed} failed"
