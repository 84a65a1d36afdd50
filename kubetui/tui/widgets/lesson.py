"""The lesson pane: progress through the steps, the current step's text, hints, and what its check waits for."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from ...scenario.lesson import LessonProgress


class LessonPane(Vertical):
    """Renders a LessonProgress; `refresh_lesson()` re-checks the current step when virtual time moved."""

    DEFAULT_CSS = """
    LessonPane { border: round $primary; border-title-color: $primary; }
    LessonPane #lesson-steps { height: auto; padding: 0 1; }
    LessonPane #lesson-text { height: 1fr; }
    LessonPane Markdown { margin: 0; padding: 0 1; }
    LessonPane #lesson-status { height: auto; max-height: 8; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, progress: LessonProgress, **kwargs):
        super().__init__(**kwargs)
        self.progress = progress
        self._checked_at: float | None = None
        self._shown_step: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-steps")
        with VerticalScroll(id="lesson-text"):
            yield Markdown()
        yield Static(id="lesson-status")

    def on_mount(self) -> None:
        self.border_title = self.progress.text(self.progress.lesson.title)
        self.refresh_lesson(force=True)

    def refresh_lesson(self, force: bool = False) -> int | None:
        """Check the step if virtual time moved; returns the number of a step that just passed."""
        progress = self.progress
        now = progress.run.cluster.now
        passed = None
        if force or now != self._checked_at:
            self._checked_at = now
            before = progress.index
            while progress.poll():  # a step whose check already holds passes at once
                pass
            if progress.index != before:
                passed = progress.index
        if progress.index != self._shown_step:
            self._shown_step = progress.index
            self._show_step()
        self._show_status()
        return passed

    def _show_step(self) -> None:
        progress = self.progress
        steps = progress.lesson.steps
        text = Text()
        for i, step in enumerate(steps):
            if i < progress.index:
                text.append("✓ ", Style(color=self.app.theme_variables.get("success"), bold=True))
            elif i == progress.index:
                text.append("▶ ", Style(color=self.app.theme_variables.get("primary"), bold=True))
            else:
                text.append("○ ", Style(dim=True))
            text.append(progress.text(step.title), Style(bold=i == progress.index, dim=i > progress.index))
            text.append("\n" if i < len(steps) - 1 else "")
        self.query_one("#lesson-steps", Static).update(text)
        self.border_subtitle = f"{min(progress.index, len(steps))}/{len(steps)}"
        step = progress.step
        body = progress.text(step.text) if step is not None else progress.text({
            "en": "## Lesson complete\n\nEvery step passed. `:load` another lesson, or keep experimenting.",
            "ko": "## 레슨 완료\n\n모든 단계를 통과했습니다. `:load` 로 다른 레슨을 열거나 계속 실험해 보세요."})
        self.query_one(Markdown).update(body)

    def _show_status(self) -> None:
        progress = self.progress
        text = Text()
        for hint in progress.hints():
            text.append("💡 " + hint + "\n", Style(italic=True))
        if progress.step is not None:
            more = len(progress.step.hints) - progress.hints_shown
            text.append(progress.text({"en": "waiting: ", "ko": "기다리는 중: "}), Style(dim=True))
            text.append(progress.last_reason or "…", Style(dim=True))
            if more:
                text.append(progress.text({"en": f"\nh: a hint ({more} left)", "ko": f"\nh: 힌트 보기 ({more}개 남음)"}),
                            Style(dim=True))
        self.query_one("#lesson-status", Static).update(text)

    def show_hint(self) -> str | None:
        hint = self.progress.next_hint()
        self._show_status()
        return hint
