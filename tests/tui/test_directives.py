"""A scenario's set-speed, pause and note reach the live screen: the runner obeys, notes show as a caption."""

import pytest
from textual.widgets import Static

from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario_text
from kubetui.scenario.runner import start
from kubetui.tui.app import KubetuiApp
from kubetui.tui.widgets.header import ClusterHeader

SIZE = (160, 48)
SCENARIO = """
apiVersion: kubetui/v1
kind: Scenario
metadata: {name: demo}
spec:
  timeline:
    - {at: 2s, action: note, text: {en: Watch worker-1, ko: worker-1 을 보세요}, duration: 0.5s}
    - {at: 3s, action: set-speed, speed: 8}
    - {when: configmap/go exists, action: pause}
"""


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    run = start(load_scenario_text(SCENARIO, "demo.yaml"))
    app = KubetuiApp(run.client, LiveRunner(run.client), run.loaded.name, live=False)
    run.on_directive = app.apply_directive
    return app, run


@pytest.mark.asyncio
async def test_note_shows_a_caption_for_its_duration(demo_app):
    app, run = demo_app
    async with app.run_test(size=SIZE) as pilot:
        caption = app.query_one("#caption", Static)
        assert not caption.display
        run.client.advance(2.5)
        await pilot.pause()
        assert caption.display and "Watch worker-1" in str(caption.render())
        footer = app.query_one("Footer")
        assert caption.region.height >= 1 and caption.region.bottom <= footer.region.y  # just above the footer
        await pilot.pause(0.7)
        assert not caption.display


@pytest.mark.asyncio
async def test_scenario_sets_speed_and_pauses_the_clock(demo_app):
    app, run = demo_app
    async with app.run_test(size=SIZE) as pilot:
        run.client.advance(4)
        await pilot.pause()
        assert app.runner.speed == 8 and not app.runner.paused
        run.client.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "go", "namespace": "default"}})
        run.client.advance(2)
        await pilot.pause()
        assert app.runner.paused
        assert "paused" in app.query_one("#header", ClusterHeader).plain
