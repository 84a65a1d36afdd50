"""Scenario files: YAML positions, the model, the loader and its file:line errors."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from pydantic import ValidationError

from kubetui.scenario.loader import ScenarioError, load_scenario, load_scenario_text
from kubetui.scenario.model import CONTROL_PLANE_LABEL, ScenarioSpec, TimelineAction, scenario_json_schema
from kubetui.scenario.yamlsrc import SourceError, load_documents


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def error_of(tmp_path, monkeypatch, text, name="scenario.yaml", **files) -> str:
    monkeypatch.chdir(tmp_path)
    for file_name, file_text in files.items():
        write(tmp_path, file_name.replace("_", "."), file_text)
    write(tmp_path, name, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(name)
    return str(info.value)


SCENARIO = """
apiVersion: kubetui/v1
kind: Scenario
metadata:
  name: node-failure
  description: A worker dies; its pods come back elsewhere
spec:
  seed: 7
  profile: realistic
  nodes:
    - {name: worker-1, cpu: "8", memory: 16Gi, labels: {zone: a}}
    - {namePrefix: worker, count: 2, cpu: 2}
  manifests:
    - file: web.yaml
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: x}
      data: {a: b}
  timeline:
    - {at: 2m, action: scale, target: default/deployment/web, replicas: 5}
    - {at: 60s, action: kill-node, target: worker-1}
    - {at: 90, action: kill-pod, target: default/web}
    - at: 1h30m
      action: apply
      manifest: {apiVersion: v1, kind: Namespace, metadata: {name: late}}
"""

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: 2}
---
# a comment, then an empty document
---

---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Service, metadata: {name: web}}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: web-config}
"""


def test_scenario_with_inline_and_file_manifests(tmp_path):
    write(tmp_path, "web.yaml", WEB)
    path = write(tmp_path, "scenario.yaml", SCENARIO)
    loaded = load_scenario(path)

    assert loaded.name == "node-failure"
    assert loaded.scenario.spec.seed == 7 and loaded.scenario.spec.profile == "realistic"
    assert [n.name for n in loaded.nodes] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert loaded.nodes[1].cpu == "8" and loaded.nodes[1].labels == {"zone": "a"}
    assert loaded.nodes[2].cpu == "2" and loaded.nodes[2].memory == "8Gi" and loaded.nodes[2].pods == "110"

    web = str(tmp_path / "web.yaml")
    assert [(m.obj["kind"], m.source.file, m.source.line) for m in loaded.manifests] == [
        ("Deployment", web, 1),
        ("Service", web, 13),
        ("ConfigMap", web, 14),
        ("ConfigMap", str(path), 14),
    ]
    assert [(e.at, e.action.action, e.source.line) for e in loaded.timeline] == [
        (60.0, "kill-node", 20),
        (90.0, "kill-pod", 21),
        (120.0, "scale", 19),
        (5400.0, "apply", 22),
    ]
    assert loaded.timeline[3].action.manifest["metadata"] == {"name": "late"}


def test_plain_multi_document_manifests(tmp_path):
    path = write(tmp_path, "web.yaml", WEB)
    loaded = load_scenario(path)
    assert loaded.name == "web"
    assert loaded.scenario.spec.profile == "fast" and loaded.scenario.spec.seed == 1
    assert [n.name for n in loaded.nodes] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    assert all((n.cpu, n.memory) == ("4", "8Gi") for n in loaded.nodes)
    assert [(m.obj["metadata"]["name"], m.source.line) for m in loaded.manifests] == [
        ("web", 1), ("web", 13), ("web-config", 14)]
    assert loaded.timeline == []


def test_empty_file_is_an_empty_cluster():
    loaded = load_scenario_text("# nothing yet\n", "empty.yaml", ".")
    assert loaded.manifests == [] and len(loaded.nodes) == 4


def test_bad_quantity(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: broken}
    spec:
      nodes:
        - {name: a}
        - {name: b, cpu: 4 cores}
    """
    assert error_of(tmp_path, monkeypatch, text, "broken.yaml") == (
        'broken.yaml:7: spec.nodes[1].cpu: invalid quantity "4 cores"')


def test_unknown_field_names_field_and_line(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: typo}
    spec:
      nodes:
        - name: a
          cpuu: "2"
      timelin: []
    """
    assert error_of(tmp_path, monkeypatch, text).splitlines() == [
        'scenario.yaml:7: spec.nodes[0].cpuu: unknown field "cpuu" (did you mean "cpu"?)',
        'scenario.yaml:8: spec.timelin: unknown field "timelin" (did you mean "timeline"?)',
    ]


def test_kill_node_needs_a_known_target(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: t}
    spec:
      timeline:
        - at: 10s
          action: kill-node
        - {at: 20s, action: kill-node, target: worker-9}
        - {at: 30s, action: cordon, target: worker-1, replicas: 2}
    """
    assert error_of(tmp_path, monkeypatch, text).splitlines() == [
        "scenario.yaml:6: spec.timeline[0].target: Field required for kill-node",
        "scenario.yaml:9: spec.timeline[2].replicas: cordon does not take replicas",
    ]
    text = text.replace(", replicas: 2", "")
    text = text.replace("action: kill-node\n", "action: kill-node\n          target: worker-1\n")
    assert error_of(tmp_path, monkeypatch, text) == 'scenario.yaml:9: spec.timeline[1].target: unknown node "worker-9"'


def test_bad_duration_and_literal(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: t}
    spec:
      profile: turbo
      timeline:
        - {at: soon, action: kill-node, target: worker-1}
    """
    lines = error_of(tmp_path, monkeypatch, text).splitlines()
    assert lines[0] == "scenario.yaml:5: spec.profile: Input should be 'fast' or 'realistic', got 'turbo'"
    assert lines[1].startswith('scenario.yaml:7: spec.timeline[0].at: invalid duration "soon"')


def test_target_formats():
    with pytest.raises(ValidationError, match="cannot be scaled"):
        TimelineAction(at=1, action="scale", target="daemonset/agent", replicas=2)
    with pytest.raises(ValidationError, match='unknown resource type "deploymnet"'):
        TimelineAction(at=1, action="rollout-undo", target="deploymnet/web")
    with pytest.raises(ValidationError, match="resource/name"):
        TimelineAction(at=1, action="delete", target="web")
    with pytest.raises(ValidationError, match="Field required for scale"):
        TimelineAction(at=1, action="scale", target="deploy/web")
    assert TimelineAction(at="1.5h", action="crash-container", target="web-", container="app").at == 5400.0
    assert TimelineAction(at=0, action="rollout-undo", target="web").target == "web"
    with pytest.raises(ValidationError, match="configmaps have no rollouts"):
        TimelineAction(at=1, action="rollout-undo", target="kube-system/cm/web")


def test_yaml_syntax_error(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: t
    spec: {}
    """
    message = error_of(tmp_path, monkeypatch, text)
    assert message.startswith("scenario.yaml:4:5: ") and message.endswith("(while parsing a flow mapping at line 3)")
    with pytest.raises(SourceError) as info:
        load_documents("a: b: c\n", "x.yaml")
    assert str(info.value).startswith("x.yaml:1:5: mapping values are not allowed")


def test_missing_referenced_file(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: t}
    spec:
      manifests:
        - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
        - apiVersion: v1
          kind: ConfigMap
          metadata: {name: b}
        - file: web.yaml
    """
    assert error_of(tmp_path, monkeypatch, text) == "web.yaml: file not found (referenced from scenario.yaml:10)"
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f"{tmp_path.name}/scenario.yaml")
    assert str(info.value) == (
        f"{tmp_path.name}/web.yaml: file not found (referenced from {tmp_path.name}/scenario.yaml:10)")


def test_bad_manifest_documents(tmp_path, monkeypatch):
    manifests = """
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: ok}
    ---
    - just
    - a list
    ---
    apiVersion: v1
    metadata: {name: no-kind}
    ---
    kind: List
    apiVersion: v1
    items:
      - {kind: Pod, metadata: {name: p}}
    """
    assert error_of(tmp_path, monkeypatch, manifests, "plain.yaml").splitlines() == [
        "plain.yaml:5: expected a Kubernetes object (a mapping with apiVersion and kind)",
        "plain.yaml:8: kind: Field required",
        "plain.yaml:14: items[0].apiVersion: Field required",
    ]


def test_scenario_holds_one_document(tmp_path, monkeypatch):
    text = """
    apiVersion: kubetui/v1
    kind: Scenario
    metadata: {name: t}
    ---
    apiVersion: v1
    kind: ConfigMap
    """
    assert error_of(tmp_path, monkeypatch, text).startswith("scenario.yaml:5: a scenario file holds exactly one")


def test_folder_reference_and_manifest_errors_in_referenced_file(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    write(tmp_path / "app", "b.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n")
    write(tmp_path / "app", "a.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    write(tmp_path / "app", "notes.txt", "not a manifest")
    text = "apiVersion: kubetui/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  manifests: [{file: app}]\n"
    loaded = load_scenario_text(text, "s.yaml", tmp_path)
    assert [(m.obj["metadata"]["name"], m.source.file) for m in loaded.manifests] == [("a", "app/a.yml"),
                                                                                       ("b", "app/b.yaml")]
    text = text.replace("{file: app}", "{file: bad.yaml}")
    write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: [oops\n")
    with pytest.raises(ScenarioError, match=r"^bad\.yaml:3:1: "):
        load_scenario_text(text, "s.yaml", tmp_path)


def test_expand_nodes_naming():
    spec = ScenarioSpec.model_validate({"nodes": [
        {"namePrefix": "worker", "count": 2},
        {"name": "worker-1", "labels": {"disk": "ssd"}},
        {"namePrefix": "gpu", "count": 1, "taints": [{"key": "gpu", "effect": "NoSchedule"}]},
        {"namePrefix": "worker", "count": 1},
    ]})
    nodes = spec.expand_nodes()
    assert [n.name for n in nodes] == ["control-plane", "worker-2", "worker-3", "worker-1", "gpu-1", "worker-4"]
    control_plane = nodes[0]
    assert control_plane.control_plane and control_plane.labels == {CONTROL_PLANE_LABEL: ""}
    assert control_plane.taints == [{"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"}]
    assert nodes[4].taints == [{"key": "gpu", "effect": "NoSchedule"}] and not nodes[4].control_plane

    assert [n.name for n in ScenarioSpec().expand_nodes()] == ["control-plane", "worker-1", "worker-2", "worker-3"]
    given = ScenarioSpec.model_validate({"nodes": [{"name": "cp", "role": "control-plane", "taints": []},
                                                   {"name": "w"}]})
    assert [(n.name, n.role, n.taints) for n in given.expand_nodes()] == [("cp", "control-plane", []),
                                                                           ("w", "worker", [])]


def test_duplicate_and_malformed_nodes():
    with pytest.raises(ValidationError) as info:
        ScenarioSpec.model_validate({"nodes": [{"name": "a"}, {"name": "a"}, {"namePrefix": "w"},
                                               {"name": "b", "namePrefix": "c", "count": 1}, {"name": "Bad_Name"}]})
    assert {(e["loc"], e["msg"]) for e in info.value.errors()} == {
        (("nodes", 2, "count"), "Field required with namePrefix"),
        (("nodes", 3, "namePrefix"), "give either name or namePrefix (with count), not both"),
        (("nodes", 4, "name"), '"Bad_Name" is not a valid node name: use lowercase letters, digits, "-" and "."'),
    }
    with pytest.raises(ValidationError) as info:
        ScenarioSpec.model_validate({"nodes": [{"name": "a"}, {"name": "a"}]})
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(("nodes", 1, "name"), 'duplicate node name "a"')]


def test_line_of_falls_back_to_nearest_ancestor():
    text = "a: 1\n---\nspec:\n  nodes:\n    - name: x\n    -   name: y\n        cpu: 2\n"
    first, second = load_documents(text, "f.yaml")
    assert first.data == {"a": 1} and second.line == 3
    assert second.position_of(("spec", "nodes", 1, "cpu")) == (7, 9)
    assert second.line_of(("spec", "nodes", 1, "memory")) == 6
    assert second.line_of(("spec", "nodes", 5)) == 4
    assert second.line_of(("spec", "nodes", 0, "name", "deeper")) == 5


def test_documents_match_safe_load():
    text = textwrap.dedent("""
        base: &base {cpu: 1, when: 2026-01-01, on: yes, none: ~, f: 1.5e3, o: 0o17}
        derived: {<<: *base, cpu: 2}
        dup: 1
        dup: 2
        ---
        ---
        [1, two, {3: three}]
    """)
    documents = load_documents(text, "x.yaml")
    assert [d.data for d in documents] == list(yaml.safe_load_all(text))
    assert documents[0].line_of(("derived", "when")) == 2
    assert documents[0].line_of(("dup",)) == 5
    assert documents[2].line_of((2, 3)) == 8
    assert load_documents("", "empty.yaml") == []


def test_positions_with_bom_crlf_and_documents_not_at_column_one():
    text = "\ufeffx: 1\r\n--- {a: 1,\r\n  b: [2, 3]}\r\n--- !!map\r\nc:\r\n  d: é\r\n  e: 1\r\n"
    documents = load_documents(text, "f.yaml")
    assert [d.data for d in documents] == list(yaml.safe_load_all(text))
    assert (documents[1].line, documents[1].column) == (2, 5)
    assert documents[1].position_of(("b", 1)) == (3, 10)
    assert documents[2].position_of(("c", "e")) == (7, 3)


def test_json_schema_describes_the_format():
    schema = scenario_json_schema()
    spec = schema["$defs"]["ScenarioSpec"]
    assert "timeline" in spec["properties"] and "nodes" in spec["properties"]
    assert spec["additionalProperties"] is False
    assert "kill-node" in schema["$defs"]["TimelineAction"]["properties"]["action"]["enum"]
