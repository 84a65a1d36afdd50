"""Turns a loaded scenario into a running cluster: builds the machines, applies manifests, plays the timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.api.errors import ApiError
from ..engine.client import LocalClient
from ..engine.cluster import Cluster, NodeConfig
from ..engine.durations import format_duration
from ..engine.traffic import stream_name
from .conditions import evaluate
from .loader import LoadedScenario, Manifest, Problem, ScenarioError, TimelineEntry, load_manifest_file
from .model import UI_ACTIONS, ActionSpec, localized
from .targets import parse_object_target, parse_pod_target

# `when` conditions are looked at once a virtual second, as a person watching `kubectl get -w` would notice.
WHEN_POLL_SECONDS = 1.0
DEFAULT_TRAFFIC_RATE = 10


@dataclass
class ScenarioRun:
    """A cluster built from a scenario, with the log of timeline actions played so far.

    set-speed, pause and note concern whoever shows the run: they are kept in `directives` (with their
    virtual time) and handed to `on_directive`, which a live front end sets.
    """

    loaded: LoadedScenario
    cluster: Cluster
    client: LocalClient
    log: list[str] = field(default_factory=list)
    directives: list[tuple[float, ActionSpec]] = field(default_factory=list)
    on_directive: Callable[[ActionSpec], None] | None = None
    waiting: list[TimelineEntry] = field(default_factory=list)  # `when` entries whose condition has not held yet
    finished: bool = False

    @property
    def base_dir(self) -> Path:
        """The scenario's folder: `file:` paths of actions are relative to it."""
        return Path(self.loaded.source).parent

    @property
    def timeline_end(self) -> float:
        """The time of the last `at` entry (`when` entries have no time of their own)."""
        return max((e.at for e in self.loaded.timeline if e.at is not None), default=0.0)


def node_config(node) -> NodeConfig:
    return NodeConfig(node.name, cpu=str(node.cpu), memory=str(node.memory), pods=str(node.pods),
                      labels=dict(node.labels), taints=[dict(t) for t in node.taints], role=node.role)


def start(loaded: LoadedScenario, seed: int | None = None, profile: str | None = None) -> ScenarioRun:
    """Build the cluster, apply every manifest (errors name file and line), and arm the timeline."""
    spec = loaded.scenario.spec
    cluster = Cluster(nodes=[node_config(n) for n in loaded.nodes], profile=profile or spec.profile,
                      seed=spec.seed if seed is None else seed)
    client = LocalClient(cluster)
    run = ScenarioRun(loaded, cluster, client)
    problems = []
    for manifest in loaded.manifests:
        try:
            apply_manifest(client, manifest.obj)
        except ApiError as exc:
            problems.append(_problem(manifest, exc))
    if problems:
        raise ScenarioError(problems)
    for entry in loaded.timeline:
        if entry.at is not None:
            cluster.clock.call_at(entry.at, _play, run, entry, label=_what(entry.action))
        else:
            run.waiting.append(entry)
    if run.waiting:
        # A daemon timer: watching for conditions must not keep run_until_idle from settling.
        cluster.clock.call_later(WHEN_POLL_SECONDS, _watch, run, daemon=True)
    return run


def apply_manifest(client: LocalClient, obj: dict) -> dict:
    return client.apply(obj, obj.get("metadata", {}).get("namespace"))


def _problem(manifest: Manifest, exc: ApiError) -> Problem:
    meta = manifest.obj.get("metadata") or {}
    what = f"{manifest.obj.get('kind')} {meta.get('name', '')}".strip()
    return Problem(manifest.source.file, manifest.source.line, "", f"{what}: {exc.message}")


def _what(action: ActionSpec) -> str:
    return f"{action.action} {action.target or ''}".strip()


def _watch(run: ScenarioRun) -> None:
    """Fire each `when` entry the first time its condition holds (its `after` later)."""
    for entry in list(run.waiting):
        if not evaluate(entry.action.when, run.client)[0]:
            continue
        run.waiting.remove(entry)
        if entry.action.after:
            run.cluster.clock.call_later(entry.action.after, _play, run, entry, label=_what(entry.action))
        else:
            _play(run, entry)
    if run.waiting:
        run.cluster.clock.call_later(WHEN_POLL_SECONDS, _watch, run, daemon=True)


def _trigger(entry: TimelineEntry) -> str:
    """`when deployment/web available: ` or `30s after deployment/web available: ` (empty for `at` entries)."""
    action = entry.action
    if action.when is None:
        return ""
    condition = action.when.describe()
    return f"{format_duration(action.after)} after {condition}: " if action.after else f"when {condition}: "


def _play(run: ScenarioRun, entry: TimelineEntry) -> None:
    action = entry.action
    stamp = format_duration(run.cluster.now)
    try:
        result = play(run, action)
        run.log.append(f"{stamp}: {_trigger(entry)}{_what(action)}" + (f": {result}" if result else ""))
    except (ApiError, ValueError, KeyError) as exc:
        run.log.append(f"{stamp}: {_trigger(entry)}{_what(action)} failed ({entry.source}): {exc}")


def play(run: ScenarioRun, action: ActionSpec) -> str:
    """Carry out an action of any kind: on the cluster, or (set-speed, pause, note) handed to the front end."""
    if action.action not in UI_ACTIONS:
        return perform(run.client, action, run.base_dir)
    run.directives.append((run.cluster.now, action))
    if run.on_directive is not None:
        run.on_directive(action)
    if action.action == "set-speed":
        return f"{action.speed:g}×"
    if action.action == "note":
        return localized(action.text, "en")
    return ""


def finish(run: ScenarioRun) -> None:
    """The run is over: log the `when` entries whose condition never held (once)."""
    if run.finished:
        return
    run.finished = True
    stamp = format_duration(run.cluster.now)
    for entry in run.waiting:
        run.log.append(f"{stamp}: never happened: when {entry.action.when.describe()}: {_what(entry.action)} "
                       f"({entry.source})")


def perform(client: LocalClient, action: ActionSpec, base_dir: Path | None = None) -> str:
    """Carry out one action on the cluster through the Client; returns a short note of what happened.
    An apply's `file` is read relative to `base_dir` (the scenario's folder)."""
    verb = action.action
    target = action.target
    if verb in UI_ACTIONS:
        raise ValueError(f"{verb} concerns the screen, not the cluster: play it with runner.play")
    if verb == "kill-node":
        client.kill_node(target)
    elif verb == "restart-node":
        client.restart_node(target)
    elif verb == "partition-node":
        client.partition_node(target)
    elif verb == "heal-node":
        client.heal_node(target)
    elif verb == "traffic":
        if action.stop:
            client.traffic_stop(action.name)
            return f"stopped {action.name}"
        name, rate = action.name or stream_name(target), action.rate or DEFAULT_TRAFFIC_RATE
        client.traffic_start(name, target, rate)
        return f"{name}, {rate} requests/s"
    elif verb == "add-node":
        client.add_node(NodeConfig(target))
    elif verb == "cordon":
        client.cordon(target)
    elif verb == "uncordon":
        client.cordon(target, unschedulable=False)
    elif verb == "drain":
        return f"evicted {len(client.drain(target))} pods"
    elif verb in ("kill-pod", "crash-container"):
        namespace, name = _pod_target(client, target)
        if verb == "kill-pod":
            client.kill_pod(name, namespace)
        else:
            client.crash_container(name, namespace, action.container)
        return f"{namespace}/{name}"
    elif verb == "apply" and action.file is not None:
        objects = [m.obj for m in load_manifest_file(Path(base_dir or ".") / action.file)]
        return ", ".join(f"{o['kind'].lower()}/{apply_manifest(client, o)['metadata']['name']}" for o in objects)
    elif verb == "apply":
        obj = apply_manifest(client, action.manifest)
        return f"{obj['kind'].lower()}/{obj['metadata']['name']}"
    elif verb in ("delete", "scale", "rollout-undo"):
        namespace, kind, name = parse_object_target(target, "deployment" if verb == "rollout-undo" else None)
        namespace = namespace or "default"
        if verb == "delete":
            client.delete(kind.plural, name, namespace)
        elif verb == "scale":
            client.scale(kind.plural, name, action.replicas, namespace)
        elif kind.plural == "deployments":
            client.rollout_undo(name, namespace)
        else:
            raise ValueError(f"rollout undo of {kind.plural} is not simulated yet")
    else:
        raise ValueError(f"unknown action {verb!r}")
    return ""


def _pod_target(client: LocalClient, target: str) -> tuple[str, str]:
    """`ns/name` or `name`; a name prefix picks the first matching pod (by name) that is not terminating."""
    namespace, name = parse_pod_target(target)
    namespace = namespace or "default"
    pods = client.list("pods", namespace)
    for pod in pods:
        if pod["metadata"]["name"] == name:
            return namespace, name
    for pod in pods:
        if pod["metadata"]["name"].startswith(name) and not pod["metadata"].get("deletionTimestamp"):
            return namespace, pod["metadata"]["name"]
    raise KeyError(f"no pod matches {target!r}")


def run_for(run: ScenarioRun, seconds: float | None) -> None:
    """Advance `seconds`, or (by default) past the last `at` entry until the cluster settles, which lets
    `when` entries fire as long as something is still happening; then log those that never did."""
    if seconds is not None:
        run.cluster.advance(seconds)
        return
    if run.timeline_end > run.cluster.now:
        run.cluster.clock.run_until(run.timeline_end)
    run.cluster.run_until_idle()
    finish(run)
