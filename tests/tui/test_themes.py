"""Theme files: bundled themes load, bad files are reported by file and field, fallback, `t` cycles."""

import pytest

from kubetui.data import data_dir
from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.app import KubetuiApp
from kubetui.tui.themes import DEFAULT_THEME, STATUS_VARIABLES, ThemeError, load_theme_file, load_themes


def test_bundled_themes_are_valid():
    themes, problems = load_themes([data_dir("themes")])
    names = {t.name for t in themes}
    assert problems == []
    assert len(themes) >= 6
    assert {"dark", "light", "high-contrast"} <= names and DEFAULT_THEME in names
    assert any(not t.dark for t in themes) and any(t.dark for t in themes)
    for theme in themes:
        assert set(theme.variables) <= set(STATUS_VARIABLES)


@pytest.mark.parametrize("body,field,message", [
    ("name: x\nprimary: '#12345z'\n", "primary", "not a colour"),
    ("name: x\nprimary: red\ncolour: blue\n", "colour", "unknown field"),
    ("name: x\nprimary: red\nvariables: {pod-runing: red}\n", "variables", "unknown variable 'pod-runing'"),
    ("name: x\nprimary: red\nvariables: {pod-running: nope}\n", "variables", "pod-running: not a colour"),
    ("primary: red\n", "name", "Field required"),
])
def test_bad_theme_file_names_file_and_field(tmp_path, body, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    assert info.value.problem.field == field
    assert message in info.value.problem.message
    assert str(path) in str(info.value) and f"field {field}" in str(info.value)


def test_invalid_yaml_reports_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nprimary: [red\n")
    with pytest.raises(ThemeError, match="line 3"):
        load_theme_file(path)


def make_app(theme=None):
    run = start(load_scenario(data_dir("scenarios") / "default.yaml"))
    return KubetuiApp(run.client, LiveRunner(run.client, paused=True), run.loaded.name, theme=theme, live=False)


@pytest.mark.asyncio
async def test_bad_user_theme_notifies_and_falls_back(tmp_path, monkeypatch):
    themes = tmp_path / "kubetui" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.yaml").write_text("name: mine\nprimary: '#00ff00'\nbackground: not-a-colour\n")
    (themes / "ok.yaml").write_text("name: mine-ok\nprimary: '#00ff00'\nvariables: {pod-running: '#010203'}\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app(theme="mine")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(str(themes / "mine.yaml") in m and "field background" in m for m in messages)
        assert any("theme 'mine' is not available; using 'dark'" in m for m in messages)
        assert app.theme == DEFAULT_THEME
        assert "mine-ok" in app.available_themes and "mine-ok" in app.kubetui_themes
        app.theme = "mine-ok"
        await pilot.pause()
        assert app.theme_variables["pod-running"] == "#010203"
        assert app.theme_variables["pod-pending"] == STATUS_VARIABLES["pod-pending"]


@pytest.mark.asyncio
async def test_theme_option_and_t_cycles(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app(theme="light")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "light" and app.theme_variables["pod-running"] == "#1a7f37"
        seen = [app.theme]
        for _ in range(len(app.kubetui_themes)):
            await pilot.press("t")
            seen.append(app.theme)
        assert seen[-1] == "light" and set(seen) == set(app.kubetui_themes)
