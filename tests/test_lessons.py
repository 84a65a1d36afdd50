"""Lessons: every bundled lesson passes `kubetui run --check` with its solution; progress, hints and failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubetui.cli import main
from kubetui.data import data_dir
from kubetui.scenario.lesson import LessonProgress, check_lesson, default_lang
from kubetui.scenario.loader import load_scenario, load_scenario_text
from kubetui.scenario.runner import start

LESSONS = sorted((data_dir("scenarios") / "lessons").glob("*.yaml"))


def test_the_library_has_a_lesson_per_chapter():
    assert len(LESSONS) >= 14
    for path in LESSONS:
        lesson = load_scenario(path).scenario.spec.lesson
        assert lesson is not None, path
        for step in lesson.steps:
            for text in (step.title, step.text, *step.hints):
                assert set(text) == {"en", "ko"}, f"{path.name}: {step.title['en']} needs English and Korean"


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_bundled_lesson_passes_its_check(path: Path, capsys):
    assert main(["run", str(path), "--check"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    steps = len(load_scenario(path).scenario.spec.lesson.steps)
    assert out.count("✓ ") == steps and f"{steps}/{steps} steps passed" in out


LESSON = """
apiVersion: kubetui/v1
kind: Scenario
metadata: {name: tiny}
spec:
  lesson:
    title: Tiny
    steps:
      - title: {en: Make web, ko: 웹 만들기}
        text: Scale it.
        check: deployment/web exists
        hints: [first, {en: second, ko: 두 번째}]
        solution:
          - action: apply
            manifest:
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: web}
              spec:
                replicas: 1
                selector: {matchLabels: {app: web}}
                template:
                  metadata: {labels: {app: web}}
                  spec: {containers: [{name: web, image: nginx}]}
      - title: Five replicas
        text: Scale to five.
        check: {field: {target: deployment/web, path: status.readyReplicas, atLeast: 5}}
        timeout: 30s
        solution:
          - {action: scale, target: deployment/web, replicas: 4}
"""


def test_progress_hints_and_advancing():
    run = start(load_scenario_text(LESSON, "tiny.yaml"))
    progress = LessonProgress(run, run.loaded.scenario.spec.lesson, "ko")
    assert not progress.poll() and progress.last_reason == "deployment/web does not exist"
    assert progress.next_hint() == "first" and progress.next_hint() == "두 번째" and progress.next_hint() is None
    run.client.apply(run.loaded.scenario.spec.lesson.steps[0].solution[0].manifest, "default")
    assert progress.poll() and progress.index == 1 and progress.hints_shown == 0
    assert progress.text(progress.step.title) == "Five replicas"  # no Korean given: English


def test_a_failing_step_reports_why_and_stops(tmp_path, capsys):
    (tmp_path / "tiny.yaml").write_text(LESSON)
    assert main(["run", str(tmp_path / "tiny.yaml"), "--check", "--lang", "ko"]) == 1
    out = capsys.readouterr().out
    assert "✓ 1/2 웹 만들기 (passed after" in out
    assert "✗ 2/2 Five replicas: deployment/web status.readyReplicas is 4, want ≥ 5 (after 30s)" in out
    assert "1/2 steps passed" in out
    run = start(load_scenario_text(LESSON, "tiny.yaml"))
    assert [r.passed for r in check_lesson(run)] == [True, False]


def test_check_needs_a_lesson(capsys):
    assert main(["run", "node-failure", "--check"]) == 2
    assert "this scenario has no lesson (spec.lesson) to check" in capsys.readouterr().err


def test_language_comes_from_the_option_then_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert default_lang(None) == "ko" and default_lang("en") == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert default_lang(None) == "en"


ACTIONS = LESSON.replace("""      - title: Five replicas""", """      - title: Two, not three
        text: The step's actions come 5 s apart; once it passes, the ones still to come are dropped.
        actions:
          - {action: scale, target: deployment/web, replicas: 2, wait: 5s}
          - {action: scale, target: deployment/web, replicas: 3, wait: 20s}
        check: {field: {target: deployment/web, path: status.readyReplicas, atLeast: 2}}
        solution: []
      - title: Five replicas""")


def test_step_actions_wait_one_after_the_other_and_stop_when_the_step_passes():
    run = start(load_scenario_text(ACTIONS, "actions.yaml"))
    results = check_lesson(run)
    assert [r.passed for r in results[:2]] == [True, True]
    assert 5 <= results[1].seconds <= 10  # the first action came 5 s into the step
    run.cluster.advance(60)
    assert run.client.get("deployments", "web", "default")["spec"]["replicas"] == 4  # step 3's solution, not 3


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_step_is_already_done_when_it_starts(path: Path):
    """A check that holds before the learner acts would skip the step unread."""
    from kubetui.scenario.conditions import evaluate
    from kubetui.scenario.runner import play

    run = start(load_scenario(path))
    progress = LessonProgress(run, run.loaded.scenario.spec.lesson)
    while not progress.finished:
        step = progress.step
        assert not evaluate(step.check, run.client, progress.started_at)[0], f"{step.title['en']} passes at once"
        for action in step.solution:
            run.cluster.advance(action.wait)
            play(run, action)
        for _ in range(int(step.timeout) + 1):
            if progress.poll():
                break
            run.cluster.advance(1)
        else:
            pytest.fail(f"{step.title['en']} did not pass: {progress.last_reason}")
