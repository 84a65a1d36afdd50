"""The lesson pane: progress marks, a tick when a check passes, hints, hiding, narrow layout, aligned Korean text."""

import pytest
from rich.cells import cell_len

from kubetui.data import data_dir
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.app import build_app
from kubetui.tui.widgets.lesson import LessonPane

pytestmark = pytest.mark.asyncio
LESSON = data_dir("scenarios") / "lessons" / "lesson-01-pods.yaml"


def lesson_app(lang: str = "en"):
    return build_app(start(load_scenario(LESSON)), paused=True, confirm=False, live=False, lang=lang)


def text_of(app, selector: str) -> str:
    return str(app.query_one(selector).render())


def screen_cells(app) -> list[list[str]]:
    """The screen as rows of cells (a double-width character takes two)."""
    rows = []
    for strip in app.screen._compositor.render_strips():
        cells: list[str] = []
        for char in strip.text:
            cells.append(char)
            cells.extend([""] * (cell_len(char) - 1))
        rows.append(cells)
    return rows


async def test_steps_tick_as_their_checks_pass_and_hints_come_one_by_one():
    app = lesson_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        pane = app.query_one("#lesson", LessonPane)
        assert text_of(app, "#lesson-steps").splitlines()[:2] == ["▶ Run your first Pod", "○ Two containers, one IP"]
        assert pane.border_subtitle == "0/4" and pane.border_title == "Pods and multi-container Pods"
        assert "waiting: pod/hello does not exist" in text_of(app, "#lesson-status")
        await pilot.press("h")
        assert "💡 Press `:` to open the command line" in text_of(app, "#lesson-status")
        await pilot.press("colon")
        app.query_one("#command").input.value = "apply -f manifests/hello-pod.yaml"  # found next to the lesson
        await pilot.press("enter")
        await pilot.pause()
        app.runner.step(5)
        app.refresh_views()
        await pilot.pause()
        assert text_of(app, "#lesson-steps").splitlines()[:2] == ["✓ Run your first Pod", "▶ Two containers, one IP"]
        assert pane.border_subtitle == "1/4"
        assert any("Step 1 passed" in n.message for n in app._notifications)
        await pilot.press("L")
        assert not pane.display
        await pilot.press("L")
        assert pane.display


async def test_a_scenario_without_a_lesson_has_no_pane(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert not app.query("#lesson")
        await pilot.press("h")
        assert any("has no lesson" in n.message for n in app._notifications)


@pytest.mark.parametrize("size", [(160, 48), (100, 30)])
async def test_korean_text_keeps_the_pane_borders_in_their_columns(size):
    app = lesson_app("ko")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        region = app.query_one("#lesson").region
        if size[0] < 130:  # narrow: a strip under the panes, full width
            assert region.width == size[0] and region.y >= app.query_one("#main").region.bottom
        rows = screen_cells(app)[region.y:region.bottom]
        text = "\n".join("".join(row[region.x:region.right]) for row in rows)
        assert "파드(Pod)" in text and "명령줄" in text
        right = region.right - 1
        assert [row[right] for row in rows] == ["╮"] + ["│"] * (len(rows) - 2) + ["╯"]
        assert all(row[region.x] in "╭│╰" for row in rows)
