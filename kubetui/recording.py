"""Record a run's user actions at exact points of virtual time, and replay them: the same run, event for event.

A recording is JSON Lines: a header with the whole scenario (manifests inlined, so it replays without
its files), the seed and the profile; then one line per user action (a Client call) or front-end
directive (speed, pause), each stamped with the virtual time and the number of clock events run
before it. Timeline events are written too, for the reader; replay regenerates them from the scenario.
Replaying runs the clock to exactly that event count before each action, so the cluster sees the
action between the same two events as the first time.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import IO, Any

import yaml

from .engine.api.errors import ApiError
from .engine.cluster import NodeConfig
from .live import LiveRunner
from .scenario.loader import LoadedScenario, load_scenario_text

FORMAT = "kubetui-recording/v1"
# The Client calls that change the cluster (or what a pod sees): these are recorded and replayed.
RECORDED_CALLS = frozenset({
    "add_node", "apply", "cordon", "crash_container", "create", "delete", "drain", "exec", "kill_node",
    "kill_pod", "patch", "restart_node", "rollout_undo", "scale", "traffic_start", "traffic_stop", "update"})


class ReplayError(Exception):
    """A recording that cannot be replayed (bad file, or made by a kubetui whose engine differs)."""


def scenario_document(loaded: LoadedScenario) -> dict:
    """The scenario as one self-contained document: referenced manifest files inlined."""
    doc = loaded.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["spec"]["manifests"] = [m.obj for m in loaded.manifests]
    return doc


def _encode(value: Any) -> Any:
    if isinstance(value, NodeConfig):
        return {"__node__": dataclasses.asdict(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__node__"}:
        return NodeConfig(**value["__node__"])
    return value


class Recorder:
    """Writes a recording as the run goes (line by line, so a crash keeps what happened)."""

    def __init__(self, out: IO[str], loaded: LoadedScenario, seed: int, profile: str):
        self.out = out
        self._write({"format": FORMAT, "scenario": scenario_document(loaded), "seed": seed, "profile": profile})

    def _write(self, entry: dict) -> None:
        self.out.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self.out.flush()

    def call(self, clock, name: str, args: tuple, kwargs: dict) -> None:
        self._write({"t": clock.now, "seq": clock.events_run, "call": name,
                     "args": [_encode(a) for a in args], "kwargs": {k: _encode(v) for k, v in kwargs.items()}})

    def directive(self, clock, name: str, value: Any = None) -> None:
        """A front-end change that is not a cluster change: `speed`, `pause`, `resume`."""
        self._write({"t": clock.now, "seq": clock.events_run, "ui": name, "value": value})

    def close(self, timeline: list[str] = ()) -> None:
        """Finish the file; `timeline` (the run's log, each line stamped with its virtual time) is kept for
        the reader (replay regenerates those events from the scenario)."""
        for line in timeline:
            self._write({"timeline": line})
        self.out.close()


class RecordingClient:
    """A Client that records every cluster-changing call before making it; everything else passes through."""

    def __init__(self, client, recorder: Recorder):
        self._client = client
        self._recorder = recorder

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if name not in RECORDED_CALLS:
            return attr

        def recorded(*args, **kwargs):
            self._recorder.call(self._client.cluster.clock, name, args, kwargs)
            return attr(*args, **kwargs)
        return recorded


class RecordingRunner(LiveRunner):
    """A LiveRunner whose speed and pause changes are recorded, so a replayed demo keeps its pacing."""

    def __init__(self, client, recorder: Recorder, **kwargs):
        self._recorder = None
        super().__init__(client, **kwargs)
        self._recorder = recorder

    @LiveRunner.speed.setter
    def speed(self, value: float) -> None:
        LiveRunner.speed.fset(self, value)
        if self._recorder is not None:
            self._recorder.directive(self.client.cluster.clock, "speed", self.speed)

    def pause(self) -> None:
        super().pause()
        self._recorder.directive(self.client.cluster.clock, "pause")

    def resume(self) -> None:
        super().resume()
        self._recorder.directive(self.client.cluster.clock, "resume")


def replay_directive(runner: LiveRunner, name: str, value: Any) -> None:
    """Replay a recorded front-end directive on a live runner."""
    if name == "speed":
        runner.speed = value
    elif name == "pause":
        runner.pause()
    elif name == "resume":
        runner.resume()


@dataclasses.dataclass
class Recording:
    scenario: dict
    seed: int
    profile: str
    entries: list[dict]  # calls and directives, in the order they happened

    @property
    def end(self) -> float:
        return max((e["t"] for e in self.entries), default=0.0)


def read_recording(path: str | Path) -> Recording:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ReplayError(f"{path}: {exc.strerror or exc}") from None
    try:
        header = json.loads(lines[0]) if lines else {}
        entries = [json.loads(line) for line in lines[1:] if line.strip()]
    except json.JSONDecodeError as exc:
        raise ReplayError(f"{path}:{exc.lineno}: not a kubetui recording ({exc.msg})") from None
    if header.get("format") != FORMAT:
        raise ReplayError(f"{path}: not a kubetui recording (expected format {FORMAT})")
    return Recording(header["scenario"], header["seed"], header["profile"],
                     [e for e in entries if "call" in e or "ui" in e])


def loaded_scenario(recording: Recording, name: str) -> LoadedScenario:
    return load_scenario_text(yaml.safe_dump(recording.scenario, sort_keys=False), name)


class ReplayingClient:
    """A Client whose clock stops at each recorded action's event count and makes the call there.

    Front ends drive it as any Client (run_until / advance); `on_directive(name, value)` hears the
    recorded speed and pause changes; `results` lists each call's outcome for the reader.
    """

    def __init__(self, client, recording: Recording, on_directive=None):
        self._client = client
        self._pending = list(recording.entries)
        self.on_directive = on_directive
        self.results: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    @property
    def remaining(self) -> int:
        return len(self._pending)

    def run_until(self, end: float, max_events: int | None = None) -> bool:
        clock = self._client.cluster.clock
        budget = max_events
        while self._pending and self._pending[0]["t"] <= end:
            entry = self._pending[0]
            need = entry["seq"] - clock.events_run
            if need < 0:
                raise ReplayError(f"recording out of step at {entry['t']:.3f}s: the cluster ran {-need} events "
                                  "more than when it was recorded (a different kubetui version?)")
            if budget is not None and need > budget:
                clock.run_until(entry["t"], budget)
                return False
            before = clock.events_run
            clock.run_until(entry["t"], need)
            if clock.events_run != entry["seq"]:
                raise ReplayError(f"recording out of step at {entry['t']:.3f}s: {entry['seq'] - clock.events_run} "
                                  "events fewer than when it was recorded (a different kubetui version?)")
            if budget is not None:
                budget -= clock.events_run - before
            clock.now = max(clock.now, entry["t"])  # every pending timer is due at or after it
            self._pending.pop(0)
            self._play(entry)
        return clock.run_until(end, budget)

    def advance(self, seconds: float) -> None:
        self.run_until(self._client.now + seconds)

    def _play(self, entry: dict) -> None:
        if "ui" in entry:
            if self.on_directive is not None:
                self.on_directive(entry["ui"], entry.get("value"))
            return
        args = [_decode(a) for a in entry["args"]]
        kwargs = {k: _decode(v) for k, v in entry["kwargs"].items()}
        stamp = f"{entry['t']:.1f}s {entry['call']}({', '.join(map(repr, args))})"
        try:
            getattr(self._client, entry["call"])(*args, **kwargs)
            self.results.append(stamp)
        except (ApiError, ValueError, KeyError) as exc:  # it failed the same way when recorded
            self.results.append(f"{stamp} failed: {exc}")
