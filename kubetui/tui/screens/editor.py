"""The YAML editor: edit a live object or a template, apply with ctrl+s, errors inline with field and line."""

from __future__ import annotations

import re

import yaml
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Select, Static, TextArea
from textual.widgets.text_area import LanguageDoesNotExist

from ...engine.api import kinds
from ...engine.api.errors import ApiError
from ...scenario.yamlsrc import Document, SourceError, load_documents
from ..templates import TEMPLATES
from .live import LiveScreen

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_UNKNOWN_FIELD = re.compile(r'unknown field "([^"]+)"')
EMPTY_BUFFER = "# Pick a template above, or write a manifest; ctrl+s applies it.\n"


def field_path(text: str) -> list[str | int]:
    """`spec.template.spec.containers[0].image` → ['spec', 'template', 'spec', 'containers', 0, 'image']."""
    out: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(text):
        if name:
            out.append(name)
        else:
            out.append(int(index) if index.isdigit() else index)
    return out


def object_yaml(obj: dict) -> str:
    """An object as `kubectl edit` shows it: without managedFields, with resourceVersion (so updates are
    optimistic: a concurrent change makes the update fail with a Conflict)."""
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
    return yaml.safe_dump({**obj, "metadata": meta}, sort_keys=False, default_flow_style=False, allow_unicode=True,
                          width=1 << 30)


def error_fields(exc: ApiError) -> list[tuple[str, str]]:
    """(field path, message) of every field an API error names: Status causes, or strict decoding's
    unknown fields (which only appear in the message)."""
    causes = (exc.status().get("details") or {}).get("causes") or []
    fields = [(c["field"], c.get("message", "")) for c in causes if c.get("field")]
    if not fields:
        fields = [(name, "unknown field") for name in _UNKNOWN_FIELD.findall(exc.message)]
    return fields


class ConfirmDiscard(ModalScreen[bool]):
    """Asks before unapplied edits are thrown away; dismisses with True to discard them."""

    BINDINGS = [Binding("escape", "keep", "Keep editing", id="discard-keep", tooltip="Return to the editor")]

    DEFAULT_CSS = """
    ConfirmDiscard { align: center middle; }
    ConfirmDiscard > Grid { grid-size: 2; grid-gutter: 1 2; grid-rows: auto 3; width: 64; height: auto;
                            padding: 1 2; border: thick $warning; background: $surface; }
    ConfirmDiscard Label { column-span: 2; width: 100%; }
    ConfirmDiscard Button { width: 100%; }
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Grid():
            yield Label(self.message)
            yield Button("Discard changes", variant="error", id="discard")
            yield Button("Keep editing", variant="primary", id="keep")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard")

    def action_keep(self) -> None:
        self.dismiss(False)


class EditorScreen(LiveScreen):
    """Edit YAML (key `4`, `e`, `N`): a live object (updated with its resourceVersion) or new objects
    from a template (applied like `kubectl apply`); several documents may be applied at once."""

    BINDINGS = [
        # Escape is a priority binding: the TextArea would otherwise take it to move focus.
        Binding("escape", "back", "Back", id="screen-back", priority=True,
                tooltip="Close the editor (asks first when there are unapplied changes)"),
        Binding("ctrl+s", "apply", "Apply", id="editor-apply", priority=True,
                tooltip="Send the buffer to the API server"),
        Binding("ctrl+r", "reload", "Reload (discards edits)", id="editor-reload", priority=True,
                tooltip="Replace the buffer with the live object, discarding your edits"),
    ]

    DEFAULT_CSS = """
    EditorScreen #editor-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    EditorScreen #editor-template { width: 40; }
    EditorScreen #editor-text { height: 1fr; }
    EditorScreen #editor-status { height: auto; padding: 0 1; color: $text-muted; }
    EditorScreen #editor-error { height: auto; max-height: 12; padding: 0 1; border: tall $error;
                                 color: $text-error; display: none; }
    EditorScreen #editor-error.-shown { display: block; }
    """

    def __init__(self, client, obj: dict | None = None, template_kind: str | None = None) -> None:
        super().__init__(client)
        self.obj = obj
        self.template_kind = template_kind
        if obj is not None:
            text = object_yaml(obj)
        elif template_kind is not None:
            text = TEMPLATES[template_kind]
        else:
            text = EMPTY_BUFFER
        self.saved_text = text
        self._initial_text = text
        self._live_rv = (obj or {}).get("metadata", {}).get("resourceVersion")

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="editor-title")
        yield Select([(kind, kind) for kind in TEMPLATES], prompt="New object from template…",
                     id="editor-template", allow_blank=True, compact=True)
        try:
            area = TextArea.code_editor(self._initial_text, language="yaml", id="editor-text")
        except LanguageDoesNotExist:
            area = TextArea.code_editor(self._initial_text, id="editor-text")
        area.cursor_blink = False
        area.indent_width = 2
        yield area
        yield Static(id="editor-error")
        yield Static("ctrl+s apply · esc back", id="editor-status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.text_area.focus()

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#editor-text", TextArea)

    @property
    def dirty(self) -> bool:
        return self.text_area.text != self.saved_text

    def _title(self) -> str:
        if self.obj is None:
            return f"New {self.template_kind}" if self.template_kind else "New object"
        meta = self.obj["metadata"]
        where = f"{meta['namespace']}/" if meta.get("namespace") else ""
        return f"Editing {self.obj.get('kind')} {where}{meta['name']} (live)"

    def _set_buffer(self, text: str) -> None:
        self.text_area.load_text(text)
        self.saved_text = text
        self._clear_error()

    # -- applying ------------------------------------------------------------------------------

    def action_apply(self) -> None:
        try:
            docs = [d for d in load_documents(self.text_area.text, "buffer") if d.data is not None]
        except SourceError as exc:
            self._show_error(Content.assemble(("YAML syntax error", "bold"),
                                              f" at line {exc.line}, column {exc.column}: {exc.message}"),
                             exc.line, exc.column)
            return
        if not docs:
            self._show_error(Content("Nothing to apply: the buffer holds no YAML document"))
            return
        done: list[str] = []
        for doc in docs:
            if not isinstance(doc.data, dict):
                self._show_error(Content(f"Document {doc.index + 1} (line {doc.line}) is not a mapping"), doc.line)
                return
            try:
                result = self._send(doc.data)
            except ApiError as exc:
                self._show_api_error(exc, doc, len(docs), done)
                return
            done.append(self._describe(result))
        if self.obj is not None and len(docs) == 1 and self._is_live(docs[0].data):
            self.obj = result
            self._live_rv = result["metadata"].get("resourceVersion")
            self._set_buffer(object_yaml(result))
        else:
            self.saved_text = self.text_area.text
            self._clear_error()
        self.query_one("#editor-status", Static).update(Content.styled("applied: " + ", ".join(done), "$text-success"))
        self.notify("applied: " + ", ".join(done), title="YAML editor")

    def _is_live(self, obj: dict) -> bool:
        live = self.obj or {}
        meta, live_meta = obj.get("metadata") or {}, live.get("metadata") or {}
        return (obj.get("kind") == live.get("kind") and meta.get("name") == live_meta.get("name")
                and (meta.get("namespace") or live_meta.get("namespace")) == live_meta.get("namespace"))

    def _send(self, obj: dict) -> dict:
        namespace = (obj.get("metadata") or {}).get("namespace")
        if self.obj is not None and self._is_live(obj):
            return self.client.update(obj, namespace or self.obj["metadata"].get("namespace"))
        return self.client.apply(obj, namespace)

    @staticmethod
    def _describe(obj: dict) -> str:
        kind = kinds.for_object(obj)
        return f"{kind.kind.lower()}{'.' + kind.group if kind.group else ''}/{obj['metadata']['name']}"

    def _show_api_error(self, exc: ApiError, doc: Document, total: int, done: list[str]) -> None:
        obj = doc.data
        what = f"{obj.get('kind', '?')} {(obj.get('metadata') or {}).get('name', '')}".strip()
        parts: list = []
        if done:
            parts.append((f"applied {', '.join(done)}; then ", "$text-muted"))
        if total > 1:
            parts.append(f"document {doc.index + 1} ({what}): ")
        parts.append((f"{exc.reason} ({exc.code}): ", "bold"))
        parts.append(exc.message)
        first_line = None
        first_column = None
        for path, message in error_fields(exc):
            line, column = doc.position_of(field_path(path))
            if first_line is None:
                first_line, first_column = line, column
            parts += ["\n  ", (path, "bold"), f": {message}", (f"  (line {line})", "$text-warning")]
        if exc.reason == "Conflict" and self.obj is not None:
            parts.append(("\n  The object changed since you loaded it: ctrl+r reloads the live object "
                          "(discarding your edits), then edit and apply again.", "$text-warning"))
        self._show_error(Content.assemble(*parts), first_line, first_column)

    def _show_error(self, message: Content, line: int | None = None, column: int | None = None) -> None:
        """Show the problem under the editor and put the cursor where it is; the buffer is never touched."""
        panel = self.query_one("#editor-error", Static)
        panel.update(Content.assemble(("✗ ", "bold"), message))
        panel.add_class("-shown")
        if line is not None:
            row = max(0, min(line - 1, self.text_area.document.line_count - 1))
            self.text_area.move_cursor((row, max(0, (column or 1) - 1)), center=True)
        self.query_one("#editor-status", Static).update("not applied: fix the problem and press ctrl+s again")

    def _clear_error(self) -> None:
        panel = self.query_one("#editor-error", Static)
        panel.update("")
        panel.remove_class("-shown")

    # -- reloading, templates, leaving ---------------------------------------------------------

    def action_reload(self) -> None:
        if self.obj is None:
            self.notify("Nothing to reload: this is a new object", severity="warning")
            return
        meta = self.obj["metadata"]
        try:
            self.obj = self.client.get(kinds.for_object(self.obj).plural, meta["name"], meta.get("namespace"))
        except ApiError as exc:
            self._show_error(Content(f"Reload failed: {exc.message}"))
            return
        self._live_rv = self.obj["metadata"].get("resourceVersion")
        self._set_buffer(object_yaml(self.obj))
        self.query_one("#editor-status", Static).update(f"reloaded (resourceVersion {self._live_rv})")

    @on(Select.Changed, "#editor-template")
    def _template_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        kind = str(event.value)

        def load(discard: bool | None) -> None:
            if discard:
                self.obj = None
                self.template_kind = kind
                self._set_buffer(TEMPLATES[kind])
                self.query_one("#editor-title", Static).update(self._title())
            self.query_one("#editor-template", Select).clear()
            self.text_area.focus()

        if self.dirty:
            self.app.push_screen(ConfirmDiscard(f"Replace your unapplied edits with the {kind} template?"), load)
        else:
            load(True)

    def action_back(self) -> None:
        select = self.query_one("#editor-template", Select)
        if select.expanded:
            select.expanded = False
            return
        if not self.dirty:
            self.dismiss()
            return
        self.app.push_screen(ConfirmDiscard("The buffer has changes that were not applied. Discard them?"),
                             lambda discard: self.dismiss() if discard else None)

    def refresh_view(self) -> None:
        """Say when the live object changed under the buffer (the buffer itself is never replaced)."""
        if self.obj is None:
            return
        meta = self.obj["metadata"]
        try:
            live = self.client.get(kinds.for_object(self.obj).plural, meta["name"], meta.get("namespace"))
        except ApiError:
            self.query_one("#editor-status", Static).update(Content.styled(
                "the live object no longer exists; ctrl+s would fail to update it", "$text-warning"))
            return
        rv = live["metadata"].get("resourceVersion")
        if rv != self._live_rv:
            self.query_one("#editor-status", Static).update(Content.styled(
                f"the live object changed (resourceVersion {self._live_rv} → {rv}): applying will conflict; "
                "ctrl+r reloads it (discards your edits)", "$text-warning"))
