"""The `:` command line: a bottom prompt with Tab completion, up/down history and an inline error line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from ..commands import Names, common_prefix, complete

HISTORY_LIMIT = 200
MAX_SHOWN_CANDIDATES = 12


class CommandInput(Input):
    """The text field of the command line; its keys are remappable by id like every binding."""

    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False, id="command-complete",
                tooltip="Complete the command, resource or object name"),
        Binding("up", "history(-1)", "Previous", show=False, id="command-history-previous"),
        Binding("down", "history(1)", "Next", show=False, id="command-history-next"),
        Binding("escape", "close", "Close", show=False, id="command-close", tooltip="Close the command line"),
    ]

    @property
    def line(self) -> CommandLine:
        return self.query_ancestor(CommandLine)

    def action_complete(self) -> None:
        self.line.complete()

    def action_history(self, step: int) -> None:
        self.line.history_step(step)

    def action_close(self) -> None:
        self.line.close()


class CommandLine(Vertical):
    """Hidden until opened; posts Submitted with the typed line and keeps it until told the command ran."""

    DEFAULT_CSS = """
    CommandLine { height: auto; display: none; background: $surface; }
    CommandLine.-open { display: block; }
    CommandLine > Horizontal { height: 1; }
    CommandLine #command-prompt { width: 2; padding-left: 1; color: $primary; text-style: bold; }
    CommandLine CommandInput, CommandLine CommandInput:focus { border: none; height: 1; padding: 0 0; width: 1fr; }
    CommandLine > #command-hint { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    CommandLine > #command-hint.-error { color: $text-error; }
    """

    class Submitted(Message):
        """The user pressed Enter on `value`."""

        def __init__(self, value: str):
            super().__init__()
            self.value = value

    class Closed(Message):
        """The command line closed (Escape, or a command ran)."""

    def __init__(self, names: Names, **kwargs):
        super().__init__(**kwargs)
        self.names = names
        self.history: list[str] = []
        self._history_index = 0
        self._draft = ""
        self._cycle: list[str] = []
        self._cycle_index = -1
        self._cycle_start = 0
        self._set_by_us: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(":", id="command-prompt")
            yield CommandInput(placeholder="get, describe, scale, delete, apply -f, kill, cordon, drain, "
                                           "rollout undo, load, speed, theme, quit   (tab completes, esc closes)",
                               id="command-input")
        yield Static("", id="command-hint", markup=False)

    @property
    def input(self) -> CommandInput:
        return self.query_one(CommandInput)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def hint(self) -> str:
        return str(self.query_one("#command-hint", Static).content)

    def open(self, text: str = "") -> None:
        self.add_class("-open")
        self._history_index = len(self.history)
        self._set(text)
        self.show_hint("")
        self.input.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self._set("")
        self.show_hint("")
        self.post_message(self.Closed())

    def fail(self, message: str) -> None:
        """Show why the command did not run; what was typed stays for the user to fix."""
        self.show_hint(message, error=True)
        self.input.focus()

    def succeed(self, line: str) -> None:
        self.remember(line)
        self.close()

    def remember(self, line: str) -> None:
        line = line.strip()
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_LIMIT]
        self._history_index = len(self.history)

    def show_hint(self, text: str, error: bool = False) -> None:
        hint = self.query_one("#command-hint", Static)
        hint.update(text)
        hint.set_class(error, "-error")

    def _set(self, text: str) -> None:
        self._set_by_us = text
        self.input.value = text
        self.input.cursor_position = len(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self._set_by_us:
            self._cycle = []
            self._set_by_us = None
            if self.query_one("#command-hint").has_class("-error"):
                self.show_hint("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Submitted(event.value))

    def history_step(self, step: int) -> None:
        if not self.history:
            return
        if self._history_index == len(self.history):
            self._draft = self.input.value
        index = max(0, min(len(self.history), self._history_index + step))
        self._history_index = index
        self._set(self.history[index] if index < len(self.history) else self._draft)

    def complete(self) -> None:
        """Extend the word at the end to what every candidate shares; when nothing is left to extend,
        each further Tab puts the next candidate in place."""
        text = self.input.value[:self.input.cursor_position]
        tail = self.input.value[self.input.cursor_position:]
        if self._cycle:
            self._cycle_index = (self._cycle_index + 1) % len(self._cycle)
            self._set(text[:self._cycle_start] + self._cycle[self._cycle_index])
            self._show_candidates(self._cycle, self._cycle_index)
            return
        result = complete(text, self.names)
        word = text[result.start:]
        if not result.candidates:
            self.show_hint(f"nothing to complete for {word!r}" if word else "nothing to complete here")
            return
        if len(result.candidates) == 1:
            done = result.candidates[0]
            self._set(text[:result.start] + done + ("" if done.endswith(("/", "=")) else " ") + tail)
            self.show_hint("")
            return
        shared = common_prefix(result.candidates)
        if len(shared) > len(word):
            self._set(text[:result.start] + shared + tail)
        else:
            self._cycle, self._cycle_index, self._cycle_start = result.candidates, -1, result.start
        self._show_candidates(result.candidates, -1)

    def _show_candidates(self, candidates: list[str], current: int) -> None:
        shown = [f"[{c}]" if i == current else c for i, c in enumerate(candidates[:MAX_SHOWN_CANDIDATES])]
        more = len(candidates) - MAX_SHOWN_CANDIDATES
        self.show_hint("  ".join(shown) + (f"  … {more} more" if more > 0 else ""))
