"""Stable screenshots of the main screen, a node failure, the network map, the editor's inline error and help.

The cluster is seeded and its clock stopped, so every run renders the same frames. After an intended
change to the UI, review the new pictures and refresh them with `pytest tests/tui/test_snapshots.py
--snapshot-update`.
"""

from pathlib import Path

from kubetui.data import data_dir
from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.app import KubetuiApp
from kubetui.tui.screens.editor import EditorScreen

SIZE = (140, 40)


def default_app(seconds: float = 30) -> KubetuiApp:
    run = start(load_scenario(data_dir("scenarios") / "default.yaml"), seed=7)
    run.client.advance(seconds)
    # Only the bundled themes and no user keymap: the pictures must not depend on the user's config folder.
    return KubetuiApp(run.client, LiveRunner(run.client, paused=True), run.loaded.name, confirm=False, live=False,
                      theme="dark", theme_dirs=[data_dir("themes")], keymap_file=Path("/nonexistent/keymap.yaml"))


def test_main_screen(snap_compare):
    assert snap_compare(default_app(), terminal_size=SIZE)


def test_node_failure_healed(snap_compare):
    app = default_app()

    async def kill_worker_and_wait(pilot):
        app.client.kill_node("worker-1")
        app.client.advance(120)  # fast profile: NotReady, evicted, replaced on the other workers
        app.refresh_views(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=kill_worker_and_wait)


def test_network_map(snap_compare):
    assert snap_compare(default_app(), terminal_size=SIZE, press=["2"])


def test_editor_keeps_the_buffer_and_shows_the_error(snap_compare):
    app = default_app()

    async def break_the_image(pilot):
        app.push_screen(EditorScreen(app.client, template_kind="Deployment"))
        await pilot.pause()
        area = app.screen.query_one("TextArea")
        area.load_text("\n".join(line for line in area.text.splitlines() if "image:" not in line) + "\n")
        await pilot.press("ctrl+s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=break_the_image)


def test_help(snap_compare):
    assert snap_compare(default_app(), terminal_size=SIZE, press=["question_mark"])
