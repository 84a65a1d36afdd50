"""Turns a loaded scenario into a running cluster: builds the machines, applies manifests, plays the timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..engine.api.errors import ApiError
from ..engine.client import LocalClient
from ..engine.cluster import Cluster, NodeConfig
from ..engine.durations import format_duration
from ..engine.traffic import stream_name
from .loader import LoadedScenario, Manifest, Problem, ScenarioError, TimelineEntry, load_manifest_file
from .conditions import evaluate
from .targets import parse_object_target, parse_pod_target

WHEN_POLL_SECONDS = 1.0


@dataclass
class ScenarioRun:
    """A cluster built from a scenario, with the log of timeline actions played so far."""

    loaded: LoadedScenario
    cluster: Cluster
    client: LocalClient
    log: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # `when` conditions that have not held yet

    @property
    def base_dir(self) -> Path:
        """The scenario's folder: `file:` paths of actions are relative to it."""
        return Path(self.loaded.source).parent

    @property
    def timeline_end(self) -> float:
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
    waiting = []
    for entry in loaded.timeline:
        if entry.at is None:
            waiting.append(entry)
            continue
        cluster.clock.call_at(entry.at, _play, run, entry, label=f"{entry.action.action} {entry.action.target or ''}".strip())
    if waiting:
        run.waiting = [e.action.when.describe() for e in waiting]
        cluster.clock.call_later(WHEN_POLL_SECONDS, _watch_conditions, run, waiting, daemon=True)
    return run


def _watch_conditions(run: ScenarioRun, waiting: list[TimelineEntry]) -> None:
    """Play each `when` entry the first time its condition holds (looked at once a virtual second)."""
    still = []
    for entry in waiting:
        try:
            holds, _ = evaluate(entry.action.when, run.client)
        except ApiError:
            holds = False
        if holds:
            _play(run, entry, f"when {entry.action.when.describe()}")
        else:
            still.append(entry)
    if still:
        run.cluster.clock.call_later(WHEN_POLL_SECONDS, _watch_conditions, run, still, daemon=True)
    run.waiting = [e.action.when.describe() for e in still]


def apply_manifest(client: LocalClient, obj: dict) -> dict:
    return client.apply(obj, obj.get("metadata", {}).get("namespace"))


def _problem(manifest: Manifest, exc: ApiError) -> Problem:
    meta = manifest.obj.get("metadata") or {}
    what = f"{manifest.obj.get('kind')} {meta.get('name', '')}".strip()
    return Problem(manifest.source.file, manifest.source.line, "", f"{what}: {exc.message}")


def _play(run: ScenarioRun, entry: TimelineEntry, trigger: str = "") -> None:
    action = entry.action
    stamp = format_duration(run.cluster.now) + (f": {trigger}" if trigger else "")
    try:
        result = perform(run.client, action, run.base_dir)
        run.log.append(f"{stamp}: {action.action} {action.target or ''}".rstrip() + (f": {result}" if result else ""))
    except (ApiError, ValueError, KeyError) as exc:
        run.log.append(f"{stamp}: {action.action} {action.target or ''} failed ({entry.source}): {exc}")


def perform(client: LocalClient, action, base_dir: Path | None = None) -> str:
    """Carry out one timeline action through the Client; returns a short note of what happened.
    An apply's `file` is read relative to `base_dir` (the scenario's folder)."""
    verb = action.action
    target = action.target
    if verb == "kill-node":
        client.kill_node(target)
    elif verb == "restart-node":
        client.restart_node(target)
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
    elif verb == "traffic":
        name = action.name or stream_name(action.target)
        if action.stop:
            client.traffic_stop(name)
            return f"{name} stopped"
        client.traffic_start(name, action.target, action.rate or 10)
        return f"{name}: {action.rate or 10} req/s to {action.target}"
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
    """Advance `seconds`, or (by default) past the last timeline action until the cluster settles."""
    if seconds is not None:
        run.cluster.advance(seconds)
        return
    if run.timeline_end > run.cluster.now:
        run.cluster.clock.run_until(run.timeline_end)
    run.cluster.run_until_idle()
    run.log += [f"never happened: when {w}" for w in run.waiting]
