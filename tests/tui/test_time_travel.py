"""Time travel: the scrubber moves every pane to a past revision, read-only, and End returns to live."""

import pytest

from kubetui.engine.timetravel import ClusterAt
from kubetui.tui.widgets.podlist import PodList
from kubetui.tui.widgets.nodetree import NodeTree
from kubetui.tui.widgets.timetravel import TimeTravelBar

SIZE = (160, 48)


def pod_names(app) -> list[str]:
    return sorted(row.name for row in app.query_one("#pods", PodList).rows)


@pytest.mark.asyncio
async def test_scrubbing_back_shows_the_cluster_as_it_was_and_end_returns_to_live(make_app):
    app = make_app(confirm=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        client = app.client
        before = sorted(p["metadata"]["name"] for p in client.list("pods", "default"))
        revision_before = client.store_revision()
        time_before = client.now
        client.scale("deployments", "web", 3, "default")
        app.runner.step(30)
        app.refresh_views(force=True)
        now_pods = pod_names(app)
        assert len(now_pods) == 3

        await pilot.press("T")
        await pilot.pause()
        bar = app.query_one("#travel", TimeTravelBar)
        assert app.runner.paused and app.focused is bar
        assert bar.region.height == 2 and bar.region.bottom <= app.query_one("Footer").region.y  # not under it
        for _ in range(7):  # 35 s back: before the scale-down
            await pilot.press("left")
        await pilot.pause(0.3)
        assert isinstance(app.client, ClusterAt) and app.travel is not None
        assert app.client.now <= time_before + 1 and app.travel <= revision_before + 40
        assert pod_names(app) == before
        assert "read-only" in str(app.query_one("#travel", TimeTravelBar).render())

        app.query_one("#nodes", NodeTree).focus()
        await pilot.press("x")  # kill the selected node: refused, the past is read-only
        await pilot.pause()
        assert any("read-only" in n.message for n in app._notifications)
        assert all(app._live_client.machine_powered(n) for n in ("worker-1", "worker-2", "worker-3"))

        await pilot.press("T", "end")
        await pilot.pause(0.3)
        assert app.travel is None and app.client is app._live_client
        assert pod_names(app) == now_pods
        assert not app.query("#travel")
