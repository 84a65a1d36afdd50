"""`kubetui scenarios list|validate|new|schema`: find, check and start scenario files."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .cli import UnknownScenario, resolve_scenario
from .data import scenario_folders
from .scenario.loader import ScenarioError, load_scenario
from .scenario.model import SCHEMA_FILE, scenario_json_schema_text
from .scenario.runner import start

_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubetui scenarios", description="Find, check and start scenario files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="bundled scenarios and yours (~/.config/kubetui/scenarios), one line each")
    check = sub.add_parser("validate", help="check scenario files: every problem with file, line and field")
    check.add_argument("files", nargs="+", metavar="FILE", help="a scenario file, or a scenario's name")
    new = sub.add_parser("new", help="write NAME.yaml, a commented starter scenario that validates")
    new.add_argument("name", metavar="NAME", help="the scenario's name (lowercase letters, digits and -)")
    new.add_argument("--lesson", action="store_true", help="start a lesson (steps with checks) instead")
    sub.add_parser("schema", help="print the JSON Schema of the format (as shipped in the package)")
    return parser


def scenarios_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        return list_scenarios()
    if args.command == "validate":
        return validate(args.files)
    if args.command == "new":
        return new(args.name, args.lesson)
    sys.stdout.write(scenario_json_schema_text())
    return 0


def list_scenarios() -> int:
    rows = [("NAME", "TYPE", "FROM", "DESCRIPTION")]
    for origin, folder in scenario_folders():
        for path in sorted(folder.glob("*.yaml")):
            try:
                scenario = load_scenario(path).scenario
            except ScenarioError as exc:
                rows.append((path.stem, "invalid", origin, f"{exc.problems[0]} (kubetui scenarios validate {path})"))
                continue
            kind = "lesson" if scenario.spec.lesson is not None else "scenario"
            rows.append((path.stem, kind, origin, scenario.metadata.description))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
    return 0


def validate(files: list[str]) -> int:
    """Load each file and apply its manifests to a fresh cluster, as opening it would; print every problem."""
    failed = False
    for name in files:
        try:
            path = resolve_scenario(name)
            loaded = load_scenario(path)
            start(loaded)
        except UnknownScenario as exc:
            print(exc)
            failed = True
            continue
        except ScenarioError as exc:
            for problem in exc.problems:
                print(problem)
            failed = True
            continue
        spec = loaded.scenario.spec
        parts = [_count(len(loaded.nodes), "node"), _count(len(loaded.manifests), "object"),
                 _count(len(spec.timeline), "timeline entry", "timeline entries")]
        if spec.lesson is not None:
            parts.append(f"a lesson of {_count(len(spec.lesson.steps), 'step')}")
        print(f"{path}: OK ({loaded.name}: {', '.join(parts)})")
    return 1 if failed else 0


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def new(name: str, lesson: bool) -> int:
    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    stem = path.stem
    if not _NAME.fullmatch(stem):
        print(f'kubetui: "{stem}" is not a scenario name: use lowercase letters, digits and -', file=sys.stderr)
        return 2
    if path.exists():
        print(f"kubetui: {path} exists; not overwriting it", file=sys.stderr)
        return 1
    path.write_text(starter(stem, lesson), encoding="utf-8")
    print(f"wrote {path}: check it with `kubetui scenarios validate {path}`, open it with `kubetui {path}`")
    return 0


def starter(name: str, lesson: bool) -> str:
    """A commented scenario (or lesson) that validates, with the schema comment editors read."""
    return (_HEADER.format(schema=SCHEMA_FILE, name=name) + _CLUSTER + (_LESSON if lesson else _TIMELINE))


_HEADER = """\
# yaml-language-server: $schema={schema}
# A kubetui scenario: a cluster, what runs on it, and what happens to it over virtual time.
# The format: docs/scenarios.md. Check: `kubetui scenarios validate {name}.yaml`.
# Open it: `kubetui {name}.yaml`; run it headless: `kubetui run {name}.yaml`.
apiVersion: kubetui/v1
kind: Scenario
metadata:
  name: {name}
  description: One line that `kubetui scenarios list` shows
"""

_CLUSTER = """\
spec:
  seed: 1             # the same scenario and seed replay the same run
  profile: fast       # fast (short timeouts, for demos) or realistic (upstream defaults)
  nodes:              # a control plane is added unless one is listed
    - {namePrefix: worker, count: 3, cpu: "4", memory: 8Gi}
  manifests:          # created in order when the scenario starts; also {file: some.yaml} or {file: folder/}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 3
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
              - {name: web, image: "nginx:1.27", ports: [{containerPort: 80}]}
    - apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        selector: {app: web}
        ports: [{port: 80}]
"""

_TIMELINE = """\
  timeline:           # `at` a virtual time, or once `when` a condition first holds (`after` that much later)
    - {when: deployment/web available, action: note, text: "web is up: three replicas behind Service web"}
    - {when: deployment/web available, after: 5s, action: traffic, target: web, rate: 10}
    - {at: 30s, action: kill-node, target: worker-1}
    - when: node/worker-1 NotReady
      action: note
      text:
        en: worker-1 stopped reporting; its pods are evicted once their toleration runs out
        ko: worker-1 이 응답하지 않습니다. 톨러레이션이 끝나면 파드가 축출됩니다
      duration: 12s
    - {at: 3m, action: restart-node, target: worker-1}
"""

_LESSON = """\
  lesson:
    title: {en: Scaling a Deployment, ko: 디플로이먼트 스케일링}
    steps:
      - title: Scale web to 5 replicas
        text: |
          Deployment **web** runs 3 replicas. Give it 5: press `:` and type
          `scale deployment/web --replicas=5`, then watch the new pods start.
        check: {field: {target: deployment/web, path: status.readyReplicas, equals: 5}}
        hints:
          - "`:scale deployment/web --replicas=5`"
        solution:     # what `kubetui run --check` plays to prove the step can be done
          - {action: scale, target: deployment/web, replicas: 5}
      - title: Lose a node
        text: |
          Kill **worker-1** (select it and press `x`) and watch its pods come back on the other workers.
        check: node/worker-1 NotReady
        solution:
          - {action: kill-node, target: worker-1}
"""
