"""`kubetui scenarios list | validate FILE... | new NAME | schema`: find, check and start scenario files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .data import data_dir
from .scenario.loader import ScenarioError, load_scenario
from .scenario.model import scenario_json_schema
from .settings import user_config_dir

SCHEMA_FILE = Path(__file__).parent / "schemas" / "scenario.schema.json"

STARTER = """\
# yaml-language-server: $schema={schema}
# A kubetui scenario: the cluster, what runs on it, and what happens to it. Format: docs/scenarios.md
apiVersion: kubetui/v1
kind: Scenario
metadata:
  name: {name}
  description: "One line shown by `kubetui scenarios list`"
spec:
  seed: 1              # same seed, same run
  profile: fast        # fast (demo timings) or realistic (upstream defaults)
  nodes:
    - {{namePrefix: worker, count: 3, cpu: "4", memory: 8Gi}}
  manifests:           # Kubernetes objects, inline or `- file: app.yaml` next to this file
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {{name: web}}
      spec:
        replicas: 3
        selector: {{matchLabels: {{app: web}}}}
        template:
          metadata: {{labels: {{app: web}}}}
          spec: {{containers: [{{name: web, image: "nginx:1.27"}}]}}
  timeline:            # at a virtual time, or when a condition first holds
    - {{at: 30s, action: kill-node, target: worker-1}}
    - {{when: node/worker-1 NotReady, action: scale, target: deployment/web, replicas: 4}}
"""

LESSON = """\
  lesson:
    title: {{en: "My lesson", ko: "나의 레슨"}}
    steps:
      - title: {{en: "Scale out", ko: "늘리기"}}
        text:
          en: |
            Markdown shown in the lesson pane. Scale `web` to five: `:scale deployment web --replicas=5`
          ko: |
            레슨 창에 보이는 마크다운. `web` 을 다섯으로 늘리세요: `:scale deployment web --replicas=5`
        check: {{field: {{target: deployment/web, path: status.readyReplicas, atLeast: 5}}}}
        hints:
          - {{en: "Press : for the command line.", ko: ": 를 누르면 명령줄이 열립니다."}}
        solution:   # what `kubetui run {name}.yaml --check` plays
          - {{action: scale, target: deployment/web, replicas: 5}}
"""


def user_scenarios_dir() -> Path:
    return user_config_dir() / "scenarios"


def scenario_files() -> list[tuple[str, Path]]:
    """(where, file) of every bundled scenario and lesson, then the user's."""
    bundled = data_dir("scenarios")
    found = [("bundled", p) for p in sorted(bundled.glob("*.yaml"))]
    found += [("lesson", p) for p in sorted((bundled / "lessons").glob("*.yaml"))]
    found += [("user", p) for p in sorted(user_scenarios_dir().glob("*.yaml"))]
    return found


def cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for where, path in scenario_files():
        try:
            loaded = load_scenario(path)
            mark = "lesson" if loaded.scenario.spec.lesson is not None else where
            rows.append((loaded.name, mark, loaded.scenario.metadata.description))
        except ScenarioError as exc:
            rows.append((path.stem, where, f"(invalid: {exc.problems[0]})"))
    width = max(len(name) for name, _, _ in rows)
    for name, mark, description in rows:
        print(f"{name:<{width}}  {mark:<7}  {description}")
    print(f"\nUser scenarios: {user_scenarios_dir()}  ·  open one: kubetui NAME  ·  check a lesson: kubetui run NAME --check")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        try:
            loaded = load_scenario(name)
        except ScenarioError as exc:
            failed += 1
            for problem in exc.problems:
                print(str(problem))
            continue
        lesson = loaded.scenario.spec.lesson
        extra = f", a lesson of {len(lesson.steps)} steps" if lesson else ""
        print(f"{name}: OK ({len(loaded.nodes)} nodes, {len(loaded.manifests)} manifests, "
              f"{len(loaded.timeline)} timeline entries{extra})")
    return 1 if failed else 0


def cmd_new(args: argparse.Namespace) -> int:
    path = Path(args.name if args.name.endswith((".yaml", ".yml")) else f"{args.name}.yaml")
    name = path.stem
    text = STARTER.format(name=name, schema=SCHEMA_FILE.resolve().as_uri())
    if args.lesson:
        text += LESSON.format(name=name)
    try:
        with open(path, "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        print(f"kubetui: {path} exists; not overwriting it", file=sys.stderr)
        return 1
    print(f"wrote {path}: edit it, then `kubetui scenarios validate {path}` and `kubetui {path}`")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def schema_text() -> str:
    """The JSON Schema of scenario files, as shipped in kubetui/schemas/scenario.schema.json."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubetui scenarios", description="Find, check and start scenario files.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="bundled scenarios and lessons, and yours, one line each").set_defaults(fn=cmd_list)
    validate = sub.add_parser("validate", help="check scenario files: every problem with file, line and field")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(fn=cmd_validate)
    new = sub.add_parser("new", help="write a commented starter scenario NAME.yaml")
    new.add_argument("name")
    new.add_argument("--lesson", action="store_true", help="include a lesson section")
    new.set_defaults(fn=cmd_new)
    sub.add_parser("schema", help="print the JSON Schema of scenario files").set_defaults(fn=cmd_schema)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.fn(args)
