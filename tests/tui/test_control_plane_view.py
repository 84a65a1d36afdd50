"""The TUI shows who leads, etcd's quorum and what killing a control-plane machine will do."""

import pytest

from kubetui.data import data_dir
from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.app import KubetuiApp
from kubetui.tui.widgets.dialogs import ConfirmDialog
from kubetui.tui.widgets.header import ClusterHeader
from kubetui.tui.widgets.nodetree import NodeTree

SIZE = (160, 48)


def ha_app() -> KubetuiApp:
    run = start(load_scenario(data_dir("scenarios") / "ha-control-plane.yaml"))
    run.client.advance(20)
    return KubetuiApp(run.client, LiveRunner(run.client, paused=True), run.loaded.name, live=False)


def components(tree: NodeTree, node: str) -> dict[str, str]:
    item = next(i for i in tree.root.children if i.data == ("node", node))
    return {c.data[1]: c.label.plain.split("  ", 1)[1] for c in item.children if c.data[0] == "component"}


@pytest.mark.asyncio
async def test_leaders_standbys_takeover_and_quorum_loss_are_shown():
    app = ha_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        assert components(tree, "control-plane-1") == {
            "kube-apiserver": "running", "etcd": "member, raft leader", "kube-scheduler": "leader",
            "kube-controller-manager": "leader", "cloud-controller-manager": "leader"}
        assert components(tree, "control-plane-2")["kube-controller-manager"] == "standby"

        tree.focus()
        tree.select_node("control-plane-1")
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "a standby on another control-plane machine takes over" in dialog.message
        await pilot.press("y")
        await pilot.pause()
        app.refresh_views(force=True)
        header = app.query_one("#header", ClusterHeader).plain
        assert "no leader for kube-scheduler, kube-controller-manager, cloud-controller-manager" in header
        assert "lease expires in" in header
        assert set(components(tree, "control-plane-1").values()) == {"stopped (machine off)"}

        app.runner.step(20)
        app.refresh_views(force=True)
        leaders = [n for n in ("control-plane-2", "control-plane-3")
                   if components(tree, n)["kube-controller-manager"] == "leader"]
        assert len(leaders) == 1
        assert "⚠" not in app.query_one("#header", ClusterHeader).plain

        tree.select_node("control-plane-2")
        await pilot.press("x")
        assert "etcd loses quorum (1 of 3 members up, 2 needed)" in app.screen.message
        await pilot.press("y")
        await pilot.pause()
        app.refresh_views(force=True)
        assert ("etcd lost quorum (1 of 3 members up, 2 needed): writes fail, controllers stalled"
                in app.query_one("#header", ClusterHeader).plain)
        assert components(tree, "control-plane-3")["etcd"] == "member, no quorum (1 of 3 up)"
        await pilot.press("3")
        await pilot.pause()
        title = str(app.screen.query_one("#etcd-title").render())
        assert "control-plane-1 ✗ down, control-plane-2 ✗ down, control-plane-3 ✓" in title
        assert "NO QUORUM (1 of 3 up, 2 needed): writes fail" in title
