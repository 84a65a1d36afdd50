"""Layering rules from ARCHITECTURE: the engine and scenario layers never import front ends."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "kubetui"
FORBIDDEN = ("textual", "kubetui.tui", "kubetui.serve", "kubetui.cli")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_engine_and_scenario_import_no_front_end():
    offenders = []
    for layer in ("engine", "scenario"):
        for path in (ROOT / layer).rglob("*.py"):
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    assert offenders == []


def test_engine_never_reads_the_wall_clock():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for bad in ("time.sleep(", "time.time(", "datetime.now(", "time.monotonic("):
            if bad in text:
                offenders.append(f"{path.name}: {bad}")
    assert offenders == []


def test_every_module_has_a_docstring():
    missing = [str(p.relative_to(ROOT.parent)) for p in ROOT.rglob("*.py")
               if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None]
    assert missing == []
