"""`kubetui scenarios list|validate|new|schema`, and the JSON Schema shipped in the package."""

import json

import jsonschema
import pytest
import yaml

from kubetui.cli import main
from kubetui.data import data_dir
from kubetui.scenario.model import SCHEMA_FILE, scenario_json_schema, scenario_json_schema_text


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "config" / "kubetui" / "scenarios"


def test_shipped_schema_is_what_the_model_generates(capsys):
    assert SCHEMA_FILE.read_text(encoding="utf-8") == scenario_json_schema_text(), \
        "regenerate it: kubetui scenarios schema > kubetui/schemas/scenario.schema.json"
    code, out, _ = run(capsys, "scenarios", "schema")
    assert code == 0 and json.loads(out) == scenario_json_schema()


def test_bundled_scenarios_and_starters_pass_the_schema(tmp_path, capsys):
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    for lesson in ("", "--lesson"):
        name = "starter-lesson" if lesson else "starter"
        assert run(capsys, "scenarios", "new", name, *filter(None, [lesson]))[0] == 0
    files = sorted(data_dir("scenarios").glob("*.yaml")) + [tmp_path / "starter.yaml", tmp_path / "starter-lesson.yaml"]
    for path in files:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
        assert errors == [], path
    wrong = {"apiVersion": "kubetui/v1", "kind": "Scenario", "metadata": {"name": "x"},
             "spec": {"timeline": [{"when": "deployment/web sleeping", "action": "pause"}]}}
    assert not validator.is_valid(wrong)


def test_list_shows_bundled_and_user_scenarios_with_lessons_marked(user_config, capsys):
    user_config.mkdir(parents=True)
    assert run(capsys, "scenarios", "new", str(user_config / "my-lesson"), "--lesson")[0] == 0
    (user_config / "broken.yaml").write_text("apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {}\n")
    code, out, _ = run(capsys, "scenarios", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "FROM", "DESCRIPTION"]
    rows = {line.split()[0]: line.split(None, 3) for line in lines[1:]}
    assert rows["node-failure"][1:3] == ["scenario", "bundled"] and "worker dies" in rows["node-failure"][3]
    assert rows["my-lesson"][1:3] == ["lesson", "user"]
    assert rows["broken"][1:3] == ["invalid", "user"] and "broken.yaml:3: metadata.name: Field required" in out
    # A user scenario opens by name, like a bundled one.
    assert run(capsys, "run", "my-lesson", "--for", "5s", "-o", "json")[0] == 0


def test_validate_reports_every_problem_of_every_file(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  timeline:\n"
        "    - {at: 5s, action: partition-node, target: worker/9}\n"
        "    - {when: deployment/web available, action: traffic, rate: 5}\n"
        "    - {at: 1m, after: 5s, action: note, text: hi}\n"
        "    - {at: 2m, action: set-speed, speed: 1000}\n")
    (tmp_path / "no-node.yaml").write_text(
        "apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {name: n}\nspec:\n  timeline:\n"
        "    - {at: 5s, action: heal-node, target: worker-9}\n")
    (tmp_path / "bad-object.yaml").write_text(
        "apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {name: obj}\nspec:\n  manifests:\n"
        "    - {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 99999}]}}\n")
    assert run(capsys, "scenarios", "new", "good")[0] == 0
    code, out, _ = run(capsys, "scenarios", "validate", "bad.yaml", "no-node.yaml", "good.yaml", "bad-object.yaml", "node-failure")
    assert code == 1
    assert 'bad.yaml:6: spec.timeline[0].target: expected a node name, got "worker/9"' in out
    assert 'no-node.yaml:6: spec.timeline[0].target: unknown node "worker-9"' in out
    assert "bad.yaml:7: spec.timeline[1].target: Field required for traffic" in out
    assert "bad.yaml:8: spec.timeline[2].after: after applies only with when" in out
    assert "bad.yaml:9: spec.timeline[3].speed: Input should be less than or equal to 64" in out
    assert "bad-object.yaml:6: Service s:" in out and "99999" in out
    assert "good.yaml: OK (good: 4 nodes, 2 objects, 5 timeline entries)" in out
    assert "node-failure.yaml: OK" in out
    assert run(capsys, "scenarios", "validate", "good.yaml")[0] == 0


def test_new_writes_a_starter_with_the_schema_comment_and_never_overwrites(tmp_path, capsys):
    code, out, _ = run(capsys, "scenarios", "new", "demo")
    assert code == 0 and "wrote demo.yaml" in out
    text = (tmp_path / "demo.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"
    assert "name: demo" in text and "when:" in text
    (tmp_path / "demo.yaml").write_text("mine")
    code, _, err = run(capsys, "scenarios", "new", "demo")
    assert code == 1 and "exists" in err and (tmp_path / "demo.yaml").read_text() == "mine"
    code, _, err = run(capsys, "scenarios", "new", "Bad_Name")
    assert code == 2 and "not a scenario name" in err
