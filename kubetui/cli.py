"""The `kubetui` command line: open a scenario, or run one headless and print the final state."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from .data import scenario_folders
from .engine.api import kinds
from .engine.durations import parse_duration
from .printers import format_rows, table
from .scenario.loader import ScenarioError, load_scenario
from .scenario.runner import ScenarioRun, finish, run_for, start

DEFAULT_SCENARIO = "default"
# `-o table` skips what `kubectl get all` would not list and what has no table of its own worth reading.
_TABLE_SKIP = {"events", "leases", "controllerrevisions"}


def resolve_scenario(name: str) -> Path:
    """A path to a file, or the name of a scenario in the user's folder or bundled (`node-failure`)."""
    path = Path(name)
    if path.exists():
        return path
    for _, folder in scenario_folders():
        for candidate in (folder / name, folder / f"{name}.yaml"):
            if candidate.is_file():
                return candidate
    user = scenario_folders()[0][1]
    known = ", ".join(sorted({p.stem for _, folder in scenario_folders() for p in folder.glob("*.yaml")}))
    raise UnknownScenario(f"{name}: no such file, and no bundled scenario of that name nor one in {user} "
                          f"(known: {known})")


class UnknownScenario(Exception):
    """A scenario name that resolves to nothing."""


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _speed(text: str) -> float:
    try:
        value = float(text.lstrip("x×"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid speed {text!r}: use a number such as 1, 10 or 0.5") from None
    if not 0.25 <= value <= 64:
        raise argparse.ArgumentTypeError(f"speed {value:g} is out of range: use 0.25 to 64")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    parser.add_argument("--profile", choices=("fast", "realistic"), default=None, help="timing profile")


def build_tui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubetui", description="A Kubernetes cluster playground in the terminal.",
        epilog="Other commands: `kubetui run SCENARIO` runs headless and prints the final state (kubetui run -h); "
               "`kubetui scenarios list|validate|new|schema` (kubetui scenarios -h).")
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help="a scenario or manifest file, or a bundled scenario name (default: %(default)s)")
    _common(parser)
    parser.add_argument("--speed", type=_speed, default=1.0, help="virtual seconds per wall second (default 1)")
    parser.add_argument("--paused", action="store_true", help="start with the clock paused")
    parser.add_argument("--theme", default=None, help="colour theme name")
    parser.add_argument("--no-confirm", dest="confirm", action="store_false",
                        help="do not ask before destructive keys (for live demos)")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubetui run", description="Run a scenario headless and print the final state.")
    parser.add_argument("scenario", help="a scenario or manifest file, or a bundled scenario name")
    parser.add_argument("--for", dest="duration", type=_duration, default=None,
                        help="virtual time to run (90s, 5m, 1h30m); default: until the timeline ends and the cluster settles")
    _common(parser)
    parser.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table")
    return parser


def _start(args: argparse.Namespace):
    try:
        loaded = load_scenario(resolve_scenario(args.scenario))
        return start(loaded, seed=args.seed, profile=args.profile)
    except (ScenarioError, UnknownScenario) as exc:
        print(f"kubetui: {exc}", file=sys.stderr)
        return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return run_headless(build_parser().parse_args(argv[1:]))
    if argv and argv[0] == "scenarios":
        from .scenarios_cli import scenarios_main

        return scenarios_main(argv[1:])
    args = build_tui_parser().parse_args(argv)
    run = _start(args)
    if run is None:
        return 2
    from .tui.app import run_tui  # Textual loads only for the TUI, so headless runs start fast

    return run_tui(run, speed=args.speed, paused=args.paused, theme=args.theme, confirm=args.confirm)


def run_headless(args: argparse.Namespace) -> int:
    run = _start(args)
    if run is None:
        return 2
    run_for(run, args.duration)
    finish(run)
    for line in run.log:
        print(line, file=sys.stderr)
    sys.stdout.write(render(run, args.output))
    return 0


def all_objects(run: ScenarioRun) -> list[dict]:
    items = []
    for kind in kinds.KINDS:
        items.extend(run.cluster.api.list(kind.plural)[0])
    return items


def render(run: ScenarioRun, output: str) -> str:
    if output in ("json", "yaml"):
        doc = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": str(run.cluster.store.revision)},
               "items": all_objects(run)}
        if output == "json":
            return json.dumps(doc, indent=2, sort_keys=False) + "\n"
        return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    return render_table(run)


def render_table(run: ScenarioRun) -> str:
    sections = []
    now = run.cluster.now
    for kind in kinds.KINDS:
        if kind.plural in _TABLE_SKIP:
            continue
        items = run.cluster.api.list(kind.plural)[0]
        if items:
            sections.append(format_rows(table(kind, items, now, all_namespaces=True, qualified_names=True)))
    return "\n\n".join(sections) + "\n"


if __name__ == "__main__":
    sys.exit(main())
