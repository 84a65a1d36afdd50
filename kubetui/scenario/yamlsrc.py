"""YAML loading that remembers the source line and column of every node."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NodePath = Sequence[Hashable]


@dataclass
class SourceError(Exception):
    """A YAML syntax error at a 1-based line and column."""

    filename: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}: {self.message}"


class Document:
    """One YAML document: `data` as `yaml.safe_load` gives it, plus where each node came from.

    Positions are found by composing the document's text again on the first lookup, so a big file
    costs no more than `safe_load_all` until an error has to be located.
    """

    __slots__ = ("data", "filename", "index", "line", "column", "_text", "_start", "_end", "_root")

    def __init__(self, data: Any, filename: str, index: int, text: str, root: Node) -> None:
        self.data = data
        self.filename = filename
        self.index = index
        self.line = root.start_mark.line + 1  # where the document's content starts
        self.column = root.start_mark.column + 1
        self._text = text
        self._start = root.start_mark.index - root.start_mark.column
        self._end = root.end_mark.index
        self._root: Node | None = None

    def position_of(self, path: NodePath) -> tuple[int, int]:
        """The 1-based (line, column) of the node at `path`, or of its nearest existing ancestor.

        A mapping member is located at its key, so an unknown or misspelt field points at its name.
        """
        if not path:
            return self.line, self.column
        node = self._tree()
        mark = node.start_mark
        constructor = SafeConstructor()
        for step in path:
            if isinstance(node, SequenceNode) and isinstance(step, int) and not isinstance(step, bool):
                if not -len(node.value) <= step < len(node.value):
                    break
                node = node.value[step]
                mark = node.start_mark
            elif isinstance(node, MappingNode):
                pair = _member(node, step, constructor)
                if pair is None:
                    break
                mark = pair[0].start_mark
                node = pair[1]
            else:
                break
        return mark.line + self.line, mark.column + 1

    def line_of(self, path: NodePath) -> int:
        return self.position_of(path)[0]

    def _tree(self) -> Node:
        if self._root is None:
            # The slice starts at the beginning of the root's first line, so columns stay as they were.
            loader = _Loader(self._text[self._start:self._end])
            try:
                loader.check_node()
                self._root = loader.get_node()
            finally:
                loader.dispose()
        return self._root

    def __repr__(self) -> str:
        return f"Document({self.filename!r}, index={self.index}, line={self.line})"


def _member(node: MappingNode, key: Hashable, constructor: SafeConstructor) -> tuple[Node, Node] | None:
    constructor.flatten_mapping(node)  # resolve `<<` merge keys as the constructed dict did
    # Later duplicates win, as they do in the constructed dict.
    for key_node, value_node in reversed(node.value):
        if isinstance(key_node, ScalarNode) and constructor.construct_object(key_node) == key:
            return key_node, value_node
    return None


def load_documents(text: str, filename: str) -> list[Document]:
    """Every document in `text` (empty ones included, as `None`); raises SourceError on bad YAML."""
    # libyaml leaves a byte order mark out of its character positions; the pure-Python reader does not.
    text = text.removeprefix("\ufeff")
    documents: list[Document] = []
    try:
        loader = _Loader(text)  # the pure-Python reader checks the characters here already
        try:
            while loader.check_node():
                root = loader.get_node()
                data = loader.construct_document(root)
                documents.append(Document(data, filename, len(documents), text, root))
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _source_error(exc, filename) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise SourceError(filename, line, column, str(exc).splitlines()[0]) from None
    return documents


def _source_error(exc: yaml.MarkedYAMLError, filename: str) -> SourceError:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context:
        where = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message = f"{exc.problem} ({exc.context}{where})"
    if mark is None:
        return SourceError(filename, 1, 1, message)
    return SourceError(filename, mark.line + 1, mark.column + 1, message)
