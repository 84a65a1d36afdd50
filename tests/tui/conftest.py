"""Shared fixtures for the TUI tests: the app on the default scenario, clock stopped."""

import pytest

from kubetui.data import data_dir
from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.app import KubetuiApp


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def make(confirm=True):
        run = start(load_scenario(data_dir("scenarios") / "default.yaml"))
        run.client.advance(30)
        runner = LiveRunner(run.client, paused=True)
        return KubetuiApp(run.client, runner, run.loaded.name, confirm=confirm, live=False)

    return make
