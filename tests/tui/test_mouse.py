"""Pilot tests for the mouse: clicking pod rows and tree nodes selects them, the wheel scrolls the pod list."""

import pytest
from textual import events

from kubetui.tui.widgets.dialogs import ConfirmDialog
from kubetui.tui.widgets.nodetree import NodeTree
from kubetui.tui.widgets.podlist import PodList

SIZE = (160, 48)
BORDER = 1  # the panes' round border; widget offsets include it


@pytest.mark.asyncio
async def test_click_pod_row_selects_it_and_x_targets_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pods = app.query_one("#pods", PodList)
        assert pods.cursor == 0
        target = pods.rows[2]
        # Below the border and the column titles: the third pod row.
        assert await pilot.click("#pods", offset=(3, BORDER + 1 + 2))
        assert pods.has_focus and pods.cursor == 2 and pods.selected_key == target.key
        assert target.name in pods.render_line(1 + 2).text
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message.startswith(f"Delete pod {target.namespace}/{target.name} now")


@pytest.mark.asyncio
async def test_click_node_in_tree_selects_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        item = next(i for i in tree.root.children if i.data == ("node", "worker-2"))
        assert tree.cursor_node is not item and item.line >= 0
        assert await pilot.click("#nodes", offset=(BORDER + 4, BORDER + item.line - tree.scroll_offset.y))
        assert tree.has_focus and tree.cursor_node is item
        assert app.selection() == ("node", "worker-2")


@pytest.mark.asyncio
async def test_mouse_wheel_scrolls_the_pod_list(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.client.scale("deployments", "web", 60, namespace="default")
        app.runner.step(30)
        app.refresh_views()
        await pilot.pause()
        pods = app.query_one("#pods", PodList)
        assert len(pods.rows) == 60 > pods.size.height
        first = pods.render_line(1).text
        assert pods.scroll_offset.y == 0
        # Pilot has no public wheel helper; this is the path its click() takes to deliver mouse events.
        await pilot._post_mouse_events([events.MouseScrollDown], "#pods", offset=(5, 5))
        assert pods.scroll_offset.y > 0
        assert pods.render_line(1).text != first
        assert pods.rows[pods.scroll_offset.y].name in pods.render_line(1).text
        await pilot._post_mouse_events([events.MouseScrollUp], "#pods", offset=(5, 5))
        assert pods.scroll_offset.y == 0 and pods.render_line(1).text == first
