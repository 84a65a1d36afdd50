"""A lesson in progress: the current step, its check, hints, and headless checking by playing each step's solution."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..engine.api.errors import ApiError
from ..engine.durations import format_duration
from .conditions import evaluate
from .model import LANGS, Lesson, LessonAction, LessonStep, localized
from .runner import ScenarioRun, play

CHECK_STEP_SECONDS = 1.0  # how often a headless check looks again while the cluster works


def default_lang(setting: str | None = None) -> str:
    """`--lang`/the setting if given, else Korean when the locale is Korean, else English."""
    if setting in LANGS:
        return setting
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


@dataclass
class LessonProgress:
    """Where a learner is in a lesson. `poll()` checks the current step (a front end calls it as virtual
    time moves); a passed step is stamped and the next one starts, playing its actions."""

    run: ScenarioRun
    lesson: Lesson
    lang: str = "en"
    index: int = 0
    started_at: float = 0.0
    passed_at: list[float] = field(default_factory=list)
    hints_shown: int = 0
    last_reason: str = ""
    log: list[str] = field(default_factory=list)  # what the steps' actions did, or why they failed
    _pending: list = field(default_factory=list)  # timers of the current step's actions still to come

    def __post_init__(self) -> None:
        self._start_step()

    @property
    def finished(self) -> bool:
        return self.index >= len(self.lesson.steps)

    @property
    def step(self) -> LessonStep | None:
        return None if self.finished else self.lesson.steps[self.index]

    def text(self, value: dict[str, str]) -> str:
        return localized(value, self.lang)

    def _start_step(self) -> None:
        self.started_at = self.run.cluster.now
        self.hints_shown = 0
        self.last_reason = ""
        for timer in self._pending:  # the last step's actions that had not happened yet
            timer.cancel()
        self._pending = []
        step = self.step
        if step is not None:
            delay = 0.0
            for action in step.actions:  # each `wait` counts from the action before it
                delay += action.wait
                self._pending.append(self.run.cluster.clock.call_later(
                    delay, self._act, action, label=f"lesson: {action.action} {action.target or ''}".rstrip()))

    def _act(self, action: LessonAction) -> None:
        try:
            play(self.run, action)
            self.log.append(f"{format_duration(self.run.cluster.now)}: {action.action} {action.target or ''}".rstrip())
        except (ApiError, ValueError, KeyError) as exc:
            self.log.append(f"{format_duration(self.run.cluster.now)}: {action.action} failed: {exc}")

    def poll(self) -> bool:
        """Check the current step; True when it has just passed (the next step has started)."""
        step = self.step
        if step is None:
            return False
        ok, self.last_reason = evaluate(step.check, self.run.client, self.started_at)
        if not ok:
            return False
        self.passed_at.append(self.run.cluster.now)
        self.index += 1
        self._start_step()
        return True

    def next_hint(self) -> str | None:
        """Reveal the current step's next hint (None when there are no more)."""
        step = self.step
        if step is None or self.hints_shown >= len(step.hints):
            return None
        self.hints_shown += 1
        return self.text(step.hints[self.hints_shown - 1])

    def hints(self) -> list[str]:
        step = self.step
        return [self.text(h) for h in step.hints[:self.hints_shown]] if step is not None else []


@dataclass(frozen=True)
class StepResult:
    number: int
    title: str
    passed: bool
    seconds: float  # virtual time from the step's start to its pass (or to giving up)
    reason: str

    total: int = 0

    def __str__(self) -> str:
        if self.passed:
            return f"✓ {self.number}/{self.total} {self.title} (passed after {format_duration(self.seconds)})"
        return f"✗ {self.number}/{self.total} {self.title}: {self.reason} (after {format_duration(self.seconds)})"


def check_lesson(run: ScenarioRun, lang: str = "en") -> list[StepResult]:
    """Play every step's solution as a learner would and wait for its check, step by step; stops at the
    first step that does not pass in its timeout (later steps build on it)."""
    lesson = run.loaded.scenario.spec.lesson
    progress = LessonProgress(run, lesson, lang)
    cluster = run.cluster
    results: list[StepResult] = []
    for number, step in enumerate(lesson.steps, 1):
        start = progress.started_at
        problem = ""
        for action in step.solution:
            cluster.advance(action.wait)
            try:
                play(run, action)
            except (ApiError, ValueError, KeyError) as exc:
                problem = f"solution {action.action} {action.target or ''} failed: {exc}".replace("  ", " ")
                break
        deadline = cluster.now + step.timeout
        passed = not problem and progress.poll()
        while not passed and not problem and cluster.now < deadline:
            cluster.advance(CHECK_STEP_SECONDS)
            passed = progress.poll()
        title = localized(step.title, lang)
        if not passed:
            results.append(StepResult(number, title, False, cluster.now - start, problem or progress.last_reason,
                                      len(lesson.steps)))
            break
        results.append(StepResult(number, title, True, progress.passed_at[-1] - start, "", len(lesson.steps)))
    return results
