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
from .recording import Recorder, ReplayError, ReplayingClient, loaded_scenario, read_recording
from .scenario.lesson import check_lesson, default_lang
from .scenario.loader import ScenarioError, load_scenario
from .scenario.model import LANGS, localized
from .scenario.runner import ScenarioRun, finish, run_for, start
from .settings import load_settings

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
               "`kubetui replay FILE` replays a recording (kubetui replay -h); "
               "`kubetui scenarios list|validate|new|schema` (kubetui scenarios -h).")
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help="a scenario or manifest file, or a bundled scenario name (default: %(default)s)")
    _common(parser)
    parser.add_argument("--speed", type=_speed, default=1.0, help="virtual seconds per wall second (default 1)")
    parser.add_argument("--paused", action="store_true", help="start with the clock paused")
    parser.add_argument("--theme", default=None, help="colour theme name")
    parser.add_argument("--no-confirm", dest="confirm", action="store_false",
                        help="do not ask before destructive keys (for live demos)")
    parser.add_argument("--record", metavar="FILE", default=None,
                        help="record every action with its virtual time, for `kubetui replay FILE`")
    _lang(parser)
    return parser


def build_replay_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubetui replay", description="Replay a recording (kubetui --record FILE) exactly: in the TUI, or headless.")
    parser.add_argument("recording", help="a file written by kubetui --record")
    parser.add_argument("--headless", action="store_true",
                        help="replay without the TUI and print the final state (as kubetui run does)")
    parser.add_argument("--for", dest="duration", type=_duration, default=None,
                        help="headless: virtual time to run; default: past the last recorded action until the cluster settles")
    parser.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table")
    parser.add_argument("--speed", type=_speed, default=1.0, help="TUI: starting speed (recorded changes apply)")
    parser.add_argument("--theme", default=None, help="TUI: colour theme name")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubetui run", description="Run a scenario headless and print the final state.")
    parser.add_argument("scenario", help="a scenario or manifest file, or a bundled scenario name")
    parser.add_argument("--for", dest="duration", type=_duration, default=None,
                        help="virtual time to run (90s, 5m, 1h30m); default: until the timeline ends and the cluster settles")
    _common(parser)
    parser.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table")
    parser.add_argument("--check", action="store_true",
                        help="play the lesson's solutions step by step and report each step's check; exit 1 if one fails")
    _lang(parser)
    return parser


def _lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGS, default=None,
                        help="lesson language (default: the `lang` setting, else from LANG: ko or en)")


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
    if argv and argv[0] == "replay":
        return replay(build_replay_parser().parse_args(argv[1:]))
    if argv and argv[0] == "scenarios":
        from .scenarios_cli import scenarios_main

        return scenarios_main(argv[1:])
    args = build_tui_parser().parse_args(argv)
    run = _start(args)
    if run is None:
        return 2
    recorder = None
    if args.record:
        try:
            out = open(args.record, "x", encoding="utf-8")
        except OSError as exc:
            print(f"kubetui: --record {args.record}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        spec = run.loaded.scenario.spec
        recorder = Recorder(out, run.loaded, spec.seed if args.seed is None else args.seed, args.profile or spec.profile)
    from .tui.app import run_tui  # Textual loads only for the TUI, so headless runs start fast

    return run_tui(run, speed=args.speed, paused=args.paused, theme=args.theme, confirm=args.confirm,
                   recorder=recorder, lang=default_lang(args.lang or load_settings().lang))


def replay(args: argparse.Namespace) -> int:
    try:
        recording = read_recording(args.recording)
        run = start(loaded_scenario(recording, args.recording), seed=recording.seed, profile=recording.profile)
    except (ReplayError, ScenarioError) as exc:
        print(f"kubetui: {exc}", file=sys.stderr)
        return 2
    if not args.headless:
        from .tui.app import run_tui

        return run_tui(run, speed=args.speed, theme=args.theme, recording=recording)
    client = ReplayingClient(run.client, recording)
    try:
        if args.duration is not None:
            client.run_until(args.duration)
        else:
            client.run_until(max(recording.end, run.timeline_end))
            run.cluster.run_until_idle()
    except ReplayError as exc:
        print(f"kubetui: {exc}", file=sys.stderr)
        return 1
    for line in run.log + client.results:
        print(line, file=sys.stderr)
    sys.stdout.write(render(run, args.output))
    return 0


def run_headless(args: argparse.Namespace) -> int:
    run = _start(args)
    if run is None:
        return 2
    if args.check:
        return check(run, default_lang(args.lang or load_settings().lang))
    run_for(run, args.duration)
    finish(run)
    for line in run.log:
        print(line, file=sys.stderr)
    sys.stdout.write(render(run, args.output))
    return 0


def check(run: ScenarioRun, lang: str) -> int:
    """`kubetui run --check`: one line per step, exit 1 at the first step that does not pass."""
    lesson = run.loaded.scenario.spec.lesson
    if lesson is None:
        print(f"kubetui: {run.loaded.source}: this scenario has no lesson (spec.lesson) to check", file=sys.stderr)
        return 2
    print(f"{localized(lesson.title, lang)} ({run.loaded.name})")
    results = check_lesson(run, lang)
    for result in results:
        print(str(result))
    passed = sum(r.passed for r in results)
    total = len(lesson.steps)
    untried = range(passed + 2, total + 1)  # after the step that failed
    print(f"{passed}/{total} steps passed" + ("" if not untried else f"; step {untried[0]} not tried" if len(untried) == 1
                                               else f"; steps {untried[0]}–{untried[-1]} not tried"))
    return 0 if passed == total else 1


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
