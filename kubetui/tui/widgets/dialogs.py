"""Modal dialogs: confirmation for destructive keys, and the help screen listing every binding."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Asks before a destructive action; the message says exactly what will happen."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 72; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    ConfirmDialog #confirm-message { width: 100%; margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    def __init__(self, title: str, message: str, action_label: str = "Yes"):
        super().__init__()
        self.title_text = title
        self.message = message
        self.action_label = action_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text, style="bold"), id="confirm-title")
            yield Static(self.message, id="confirm-message")
            with Horizontal():
                yield Button(f"{self.action_label} (y)", variant="error", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class HelpScreen(ModalScreen[None]):
    """Every key binding: key, id (for the keymap file) and what it does."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help-close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, rows: list[tuple[str, str, str]], notes: str = ""):
        super().__init__()
        self.rows = rows
        self.notes = notes

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("kubetui keys", style="bold")
        text.append("   (remap by id in ~/.config/kubetui/keymap.yaml, e.g. `kill: ctrl+k`)\n\n", style="dim")
        text.append(f"{'KEY':<12} {'ID':<16} WHAT IT DOES\n", style="bold")
        for key, binding_id, description in self.rows:
            text.append(f"{key:<12} {binding_id:<16} {description}\n")
        if self.notes:
            text.append("\n" + self.notes, style="dim")
        with VerticalScroll():
            yield Static(text, id="help-text")

    def action_dismiss(self) -> None:
        self.dismiss(None)
