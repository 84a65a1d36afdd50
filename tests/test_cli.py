"""The headless `kubetui run` command: output formats, determinism, and clear errors for bad input."""

import json

import pytest

from kubetui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_is_a_v1_list_with_events(capsys):
    code, out, _ = run(capsys, "run", "default", "--for", "40s", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List"
    kinds = {item["kind"] for item in doc["items"]}
    assert {"Pod", "Deployment", "ReplicaSet", "Service", "Endpoints", "Node", "Event", "Ingress"} <= kinds
    reasons = {item["reason"] for item in doc["items"] if item["kind"] == "Event"}
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started", "SuccessfulCreate", "ScalingReplicaSet"} <= reasons


def test_same_input_and_seed_give_byte_identical_output(capsys):
    first = run(capsys, "run", "node-failure", "--for", "2m", "-o", "json")[1]
    second = run(capsys, "run", "node-failure", "--for", "2m", "-o", "json")[1]
    assert first == second
    other_seed = run(capsys, "run", "node-failure", "--for", "2m", "-o", "json", "--seed", "99")[1]
    assert other_seed != first


def test_table_output_lists_pods_with_status(capsys):
    code, out, _ = run(capsys, "run", "default", "--for", "30s")
    assert code == 0
    pod_lines = [line for line in out.splitlines() if "pod/web-" in line]
    assert len(pod_lines) == 6 and all(" Running " in line for line in pod_lines)
    assert "deployment.apps/web" in out and "service/web" in out


def test_plain_manifest_file_runs_on_default_cluster(tmp_path, capsys):
    f = tmp_path / "app.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec:\n  containers: [{name: c, image: busybox:1.36}]\n")
    code, out, _ = run(capsys, "run", str(f), "--for", "20s")
    assert code == 0 and "pod/solo" in out
    assert out.count("node/worker-") == 3 and "node/control-plane" in out


def test_invalid_manifest_reports_file_line_and_field(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n"
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {a: b}}\n"
                 "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c}]\n")
    code, out, err = run(capsys, "run", str(f))
    assert code != 0 and out == ""
    assert f"{f}:5:" in err and "spec.template.spec.containers[0].image: Required value" in err
    assert "Traceback" not in err


def test_unknown_field_and_bad_scenario_field(tmp_path, capsys):
    f = tmp_path / "typo.yaml"
    f.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicsa: 3\n")
    code, _, err = run(capsys, "run", str(f))
    assert code != 0 and 'unknown field "spec.replicsa"' in err and f"{f}:1:" in err
    s = tmp_path / "scenario.yaml"
    s.write_text("apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {name: x}\nspec:\n  nodes:\n    - {name: w1, cpu: 4 cores}\n")
    code, _, err = run(capsys, "run", str(s))
    assert code != 0 and f"{s}:6" in err and "cpu" in err


def test_missing_file_and_bad_duration(capsys):
    code, _, err = run(capsys, "run", "no-such-scenario")
    assert code != 0 and "no-such-scenario" in err and "bundled" in err
    with pytest.raises(SystemExit) as e:
        main(["run", "default", "--for", "soon"])
    assert e.value.code != 0
    assert "invalid duration" in capsys.readouterr().err


def test_output_does_not_depend_on_python_hash_seed():
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "kubetui", "run", "node-failure", "--for", "2m", "-o", "json"],
                              capture_output=True, text=True, env=env, check=True)
        outs.append(proc.stdout)
    assert outs[0] == outs[1] and outs[0].startswith("{")
