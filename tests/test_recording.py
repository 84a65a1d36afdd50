"""Record a run's actions at exact points of virtual time and replay them: the same cluster, byte for byte."""

from __future__ import annotations

import json

import pytest

from kubetui.cli import main, render
from kubetui.data import data_dir
from kubetui.engine.cluster import NodeConfig
from kubetui.live import LiveRunner
from kubetui.recording import (Recorder, RecordingClient, RecordingRunner, ReplayError, ReplayingClient,
                               loaded_scenario, read_recording)
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start

SCENARIO = data_dir("scenarios") / "node-failure.yaml"


def live_session(path) -> str:
    """A user at a live front end: the clock runs in uneven slices and actions land between events."""
    loaded = load_scenario(SCENARIO)
    run = start(loaded)
    recorder = Recorder(open(path, "w", encoding="utf-8"), loaded, 7, "fast")
    client = RecordingClient(run.client, recorder)
    runner = RecordingRunner(run.client, recorder, speed=2)
    runner.due(0.3)
    for step, action in enumerate([
            lambda: client.scale("deployments", "web", 8, "default"),
            lambda: client.cordon("worker-2"),
            lambda: runner.faster(),
            lambda: client.kill_pod(client.list("pods", "default")[0]["metadata"]["name"], "default"),
            lambda: client.add_node(NodeConfig("worker-9", cpu="2")),
            lambda: client.apply({"apiVersion": "v1", "kind": "ConfigMap",
                                  "metadata": {"name": "settings", "namespace": "default"}, "data": {"a": "1"}}),
            lambda: client.scale("deployments", "nope", 1, "default")]):
        for _ in range(30 + 7 * step):  # one slice of 3 events per frame: actions fall between events of an instant
            runner.due(0.25)
            runner.run_slice(3)
        try:
            action()
        except Exception:
            pass  # a failing action is recorded and fails the same way on replay
    run.cluster.run_until(200)
    recorder.close(run.log)
    return render(run, "json")


def test_a_headless_replay_reproduces_the_recorded_run_exactly(tmp_path, capsys):
    path = tmp_path / "demo.jsonl"
    recorded = live_session(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["format"] == "kubetui-recording/v1" and lines[0]["seed"] == 7
    assert lines[0]["scenario"]["spec"]["manifests"][0]["kind"] == "Deployment"  # manifest files inlined
    calls = [e["call"] for e in lines if "call" in e]
    assert calls == ["scale", "cordon", "kill_pod", "add_node", "apply", "scale"]
    assert any(e.get("ui") == "speed" and e["value"] == 4 for e in lines)
    assert any(e.get("timeline", "").startswith("30s: kill-node worker-1") for e in lines)
    assert all(0 < e["t"] < 200 and e["seq"] > 0 for e in lines if "call" in e)

    assert main(["replay", str(path), "--headless", "--for", "200s", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert out == recorded
    assert "scale('deployments', 'nope', 1, 'default') failed: deployments.apps \"nope\" not found" in err


def test_replay_stops_at_each_actions_event_count_even_inside_a_slice(tmp_path):
    path = tmp_path / "demo.jsonl"
    live_session(path)
    recording = read_recording(path)
    run = start(loaded_scenario(recording, str(path)), seed=recording.seed, profile=recording.profile)
    client = ReplayingClient(run.client, recording)
    runner = LiveRunner(client, speed=64)
    seen = []
    client.on_directive = lambda name, value: seen.append((run.cluster.clock.events_run, name, value))
    while client.remaining:
        runner.due(0.5)
        while not runner.run_slice(5):
            pass
    first_speed = next(e for e in recording.entries if e.get("ui") == "speed")
    assert seen[0] == (first_speed["seq"], "speed", first_speed["value"])


def test_bad_recordings_are_refused(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something-else"}\n')
    assert main(["replay", str(bad), "--headless"]) == 2
    assert "not a kubetui recording" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "missing.jsonl"), "--headless"]) == 2
    with pytest.raises(ReplayError, match="not a kubetui recording"):
        (tmp_path / "junk.jsonl").write_text("{nope\n")
        read_recording(tmp_path / "junk.jsonl")


def test_record_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "demo.jsonl"
    path.write_text("keep me")
    assert main([str(SCENARIO), "--record", str(path)]) == 2
    assert "File exists" in capsys.readouterr().err
    assert path.read_text() == "keep me"


@pytest.mark.asyncio
async def test_keys_pressed_in_the_tui_are_recorded_and_replay_to_the_same_cluster(tmp_path, capsys):
    from kubetui.tui.app import build_app
    from kubetui.tui.widgets.podlist import PodList

    path = tmp_path / "keys.jsonl"
    loaded = load_scenario(SCENARIO)
    run = start(loaded)
    recorder = Recorder(open(path, "w", encoding="utf-8"), loaded, 7, "fast")
    app = build_app(run, paused=True, confirm=False, recorder=recorder, live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        app.runner.step(12)
        app.refresh_views(force=True)
        app.query_one("#pods", PodList).focus()
        await pilot.press("plus", "plus")  # scale web 6 → 8
        app.runner.step(20)
        await pilot.press("x")  # delete the selected pod, no confirmation
        app.runner.step(30)
        await pilot.press("colon")
        app.query_one("#command").input.value = "load default"
        await pilot.press("enter")
        await pilot.pause()
        assert app.scenario_name == "node-failure"  # `:load` is refused while recording
    run.cluster.run_until(120)
    recorder.close(run.log)
    recorded = render(run, "json")
    calls = [json.loads(line).get("call") for line in path.read_text().splitlines()[1:]]
    assert calls[:3] == ["scale", "scale", "kill_pod"]
    assert main(["replay", str(path), "--headless", "--for", "120s", "-o", "json"]) == 0
    assert capsys.readouterr().out == recorded
