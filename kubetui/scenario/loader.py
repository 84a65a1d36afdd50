"""Load a scenario file (or plain Kubernetes YAML) into nodes, manifests and a timeline, with file:line errors."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from .model import ExpandedNode, ManifestRef, Scenario, ScenarioMeta, ScenarioSpec, TimelineAction, manifest_problems
from .yamlsrc import Document, SourceError, load_documents

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Source:
    """Where something was written: a file and the 1-based line it starts on."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Manifest:
    obj: dict[str, Any]
    source: Source


@dataclass(frozen=True)
class TimelineEntry:
    action: TimelineAction
    source: Source

    @property
    def at(self) -> float | None:
        return self.action.at


@dataclass(frozen=True)
class Problem:
    """One mistake in a scenario or manifest file, printed as `file:line: field.path: message`."""

    file: str
    line: int | None
    path: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """Everything wrong with a scenario, one problem per line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    nodes: list[ExpandedNode]
    manifests: list[Manifest]
    timeline: list[TimelineEntry]  # `at` entries in time order (equal times keep file order), then `when` ones
    source: str

    @property
    def name(self) -> str:
        return self.scenario.metadata.name


def load_scenario(path: str | Path) -> LoadedScenario:
    """Load a scenario file, or a plain multi-document Kubernetes YAML file as a scenario on the default cluster."""
    path = Path(path)
    text = _read(path, str(path), None)
    return load_scenario_text(text, str(path), path.parent)


def load_scenario_text(text: str, filename: str, base_dir: str | Path | None = None) -> LoadedScenario:
    """Load scenario text; `file:` references resolve against `base_dir` (default: the folder of `filename`)."""
    base = Path(base_dir) if base_dir is not None else Path(filename).parent
    documents = [d for d in _parse(text, filename) if d.data is not None]
    if documents and _is_scenario(documents[0].data):
        return _load_scenario_document(documents, filename, base)
    problems: list[Problem] = []
    manifests = [m for doc in documents for m in _objects(doc, problems)]
    if problems:
        raise ScenarioError(problems)
    scenario = Scenario(apiVersion="kubetui/v1", kind="Scenario", metadata=ScenarioMeta(name=Path(filename).stem),
                        spec=ScenarioSpec(manifests=[m.obj for m in manifests]))
    return LoadedScenario(scenario, scenario.spec.expand_nodes(), manifests, [], filename)


def _is_scenario(data: object) -> bool:
    if not isinstance(data, dict) or data.get("kind") != "Scenario":
        return False
    api_version = data.get("apiVersion")
    return not isinstance(api_version, str) or api_version.startswith("kubetui/")


def _load_scenario_document(documents: list[Document], filename: str, base: Path) -> LoadedScenario:
    doc = documents[0]
    if len(documents) > 1:
        raise ScenarioError([Problem(filename, documents[1].line, "", "a scenario file holds exactly one document; "
                                     "list manifests under spec.manifests or in a file referenced from there")])
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError([_validation_problem(error, doc) for error in exc.errors(include_url=False)]) from None
    problems: list[Problem] = []
    manifests: list[Manifest] = []
    for i, entry in enumerate(scenario.spec.manifests):
        origin = Source(filename, doc.line_of(("spec", "manifests", i)))
        if isinstance(entry, ManifestRef):
            manifests += _load_reference(entry.file, origin, base, problems)
        else:
            manifests.append(Manifest(entry, origin))
    if problems:
        raise ScenarioError(problems)
    timeline = [TimelineEntry(action, Source(filename, doc.line_of(("spec", "timeline", i))))
                for i, action in enumerate(scenario.spec.timeline)]
    timeline.sort(key=lambda entry: (entry.at is None, entry.at or 0.0))  # `when` entries last, in file order
    return LoadedScenario(scenario, scenario.spec.expand_nodes(), manifests, timeline, filename)


def load_manifest_file(path: Path) -> list[Manifest]:
    """Every Kubernetes object of a YAML/JSON file (or a folder of them); ValueError says what is wrong."""
    problems: list[Problem] = []
    manifests = _load_reference(path.name, Source(str(path), 1), path.parent, problems)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return manifests


def _load_reference(ref: str, origin: Source, base: Path, problems: list[Problem]) -> list[Manifest]:
    """The manifests of a `file:` entry: one file, or every YAML/JSON file of a folder in name order."""
    target = base / ref
    shown = os.path.normpath(os.path.join(os.path.dirname(origin.file), ref))
    if target.is_dir():
        files = [(p, os.path.join(shown, p.name)) for p in sorted(target.iterdir())
                 if p.suffix in MANIFEST_SUFFIXES and p.is_file()]
    else:
        files = [(target, shown)]
    manifests: list[Manifest] = []
    for path, name in files:
        try:
            text = _read(path, name, origin)
            documents = _parse(text, name)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        for doc in documents:
            if doc.data is not None:
                manifests += _objects(doc, problems)
    return manifests


def _read(path: Path, shown: str, origin: Source | None) -> str:
    referenced = f" (referenced from {origin})" if origin else ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = "file not found"
    except UnicodeDecodeError:
        message = "not a UTF-8 text file"
    except OSError as exc:
        message = exc.strerror or str(exc)
    raise ScenarioError([Problem(shown, None, "", message + referenced)])


def _parse(text: str, filename: str) -> list[Document]:
    try:
        return load_documents(text, filename)
    except SourceError as exc:
        raise ScenarioError([Problem(exc.filename, exc.line, "", exc.message, exc.column)]) from None


def _objects(doc: Document, problems: list[Problem]) -> list[Manifest]:
    """The Kubernetes objects of one document; `kind: List` (and `*List` with items) is flattened."""
    found: list[Manifest] = []

    def visit(obj: object, path: tuple[str | int, ...]) -> None:
        issues = manifest_problems(obj)
        for sub, message in issues:
            problems.append(Problem(doc.filename, doc.line_of(path + sub), dotted(path + sub), message))
        if issues:
            return
        if obj["kind"].endswith("List") and "items" in obj:
            items = obj["items"]
            if not isinstance(items, list):
                problems.append(Problem(doc.filename, doc.line_of(path + ("items",)), dotted(path + ("items",)),
                                        "expected a list of objects"))
                return
            for i, item in enumerate(items):
                visit(item, path + ("items", i))
        else:
            found.append(Manifest(obj, Source(doc.filename, doc.line_of(path))))

    visit(doc.data, ())
    return found


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def dotted(path: Sequence[object]) -> str:
    """A field path as users read it: `spec.nodes[1].cpu`, `metadata.labels[app.kubernetes.io/name]`."""
    text = ""
    for step in path:
        if isinstance(step, str) and _PLAIN_KEY.fullmatch(step):
            text += f".{step}" if text else step
        else:
            text += f"[{step}]"
    return text


def _validation_problem(error: Any, doc: Document) -> Problem:
    loc = error["loc"]
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = f'unknown field "{loc[-1]}"'
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
        if close:
            message += f' (did you mean "{close[0]}"?)'
    elif error["type"] == "literal_error":
        message += f", got {error['input']!r}"
    return Problem(doc.filename, doc.line_of(loc), dotted(loc), message)


def _fields_at(loc: Sequence[object]) -> list[str]:
    """The field names of the scenario model found at `loc` (for spelling suggestions)."""
    model: type[BaseModel] | None = Scenario
    for step in loc:
        if isinstance(step, int):
            continue
        if model is None or step not in model.model_fields:
            return []
        model = _model_in(model.model_fields[step].annotation)
    return list(model.model_fields) if model else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model class inside an annotation such as `list[NodeSpec]` or `ManifestRef | dict`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        model = _model_in(arg)
        if model is not None:
            return model
    return None
