"""The pod list as a virtual list: 10,000 pods render, scroll, sort and filter; STATUS colours come from the theme."""

import pytest

from kubetui.tui.model import ClusterModel
from kubetui.tui.themes import STATUS_VARIABLES
from kubetui.tui.widgets.podlist import PodFilter, PodList, status_variable
from podlist_fakes import FakeClient, ListApp

N = 10_000


def make_pod(i: int) -> dict:
    phase = "Pending" if i % 10 == 0 else "Running"
    statuses = [] if phase == "Pending" else [{"name": "app", "ready": True, "restartCount": i % 3,
                                              "state": {"running": {}}}]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"pod-{i:05d}", "namespace": "ns-a" if i % 2 else "ns-b", "uid": str(i),
                     "resourceVersion": str(i + 1), "creationTimestamp": "2026-01-01T00:00:00Z",
                     "labels": {"app": "web" if i % 4 == 0 else "db"}},
        "spec": {"nodeName": None if phase == "Pending" else f"node-{i % 7}", "containers": [{"name": "app"}]},
        "status": {"phase": phase, "podIP": None if phase == "Pending" else f"10.0.{i // 250}.{i % 250}",
                   "containerStatuses": statuses},
    }


def visible_text(pods: PodList) -> list[str]:
    return [pods.render_line(y).text for y in range(pods.size.height)]


@pytest.mark.asyncio
async def test_ten_thousand_pods_render_and_scroll():
    client = FakeClient([make_pod(i) for i in range(N)])
    app = ListApp(client)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        pods = app.query_one(PodList)
        assert len(pods.rows) == N
        assert N + 1 <= pods.virtual_size.height <= N + 1 + N // 10  # some slack: see below
        lines = visible_text(pods)
        assert lines[0].startswith("NAMESPACE NAME▲")
        assert "pod-00000" in lines[1] and "Pending" in lines[1] and "<none>" in lines[1]
        assert "pod-00001" in lines[2] and "Running" in lines[2] and "1m30s" not in lines[2] and "90s" in lines[2]
        await pilot.press("end")
        await pilot.pause()
        assert pods.cursor == N - 1
        assert "pod-09999" in visible_text(pods)[-1]
        await pilot.press("pageup")
        await pilot.pause()
        assert pods.cursor == N - 1 - (pods.size.height - 2)
        assert pods.selected_row.name in "".join(visible_text(pods))
        await pilot.press("home")
        await pilot.pause()
        assert pods.scroll_offset.y == 0 and pods.selected_row.name == "pod-00000"


@pytest.mark.asyncio
async def test_a_long_list_keeps_its_virtual_size_through_small_changes():
    """Each new virtual size costs a layout pass of the whole screen, so a long list has slack."""
    client = FakeClient([make_pod(i) for i in range(2000)])
    app = ListApp(client)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        pods = app.query_one(PodList)
        size = pods.virtual_size
        for i in range(50):
            client.callbacks["pods"]("DELETED", make_pod(i), None)
        pods.rebuild()
        assert len(pods.rows) == 1950 and pods.virtual_size == size
        for i in range(2000, 2100):
            client.callbacks["pods"]("ADDED", make_pod(i), None)
        pods.rebuild()
        assert len(pods.rows) == 2050 and pods.virtual_size == size
        for i in range(2100, 2400):  # outgrown: resized, with new slack
            client.callbacks["pods"]("ADDED", make_pod(i), None)
        pods.rebuild()
        assert pods.virtual_size.height > 2351
        await pilot.press("end")
        await pilot.pause()
        assert "pod-02399" in visible_text(pods)[-1]  # the last row, not the slack, ends the view


@pytest.mark.asyncio
async def test_live_update_keeps_selection_and_sorts():
    client = FakeClient([make_pod(i) for i in range(200)])
    app = ListApp(client)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        pods = app.query_one(PodList)
        assert pods.select_key("ns-a/pod-00101")
        app.model.take_dirty()
        changed = make_pod(101)
        changed["metadata"]["resourceVersion"] = "9999"
        changed["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
        client.callbacks["pods"]("MODIFIED", changed, make_pod(101))
        removed = make_pod(3)
        client.callbacks["pods"]("DELETED", removed, None)
        assert app.model.take_dirty() == {"pods"}
        pods.rebuild()
        assert len(pods.rows) == 199
        assert pods.selected_row.name == "pod-00101" and pods.selected_row.status == "CrashLoopBackOff"
        assert pods.selected_row.variable == "pod-crashloop"
        pods.sort_by("STATUS")
        assert pods.rows[0].status == "CrashLoopBackOff"
        assert pods.selected_row.name == "pod-00101"
        pods.sort_by("STATUS")
        assert pods.sort_reverse and pods.rows[0].status == "Running"
        await pilot.click(PodList, offset=(12, 0))  # the NAME title
        assert pods.sort_column == "NAME"


def test_filter_text_and_selector():
    model = ClusterModel(FakeClient([make_pod(i) for i in range(40)]))
    rows = []
    from kubetui.tui.widgets.podlist import PodRow
    for key, pod in model.pods().items():
        rows.append(PodRow.of(key, pod))
    assert sum(PodFilter("-l app=web").matches(r) for r in rows) == 10
    assert sum(PodFilter("-l app in (web,db),app!=db").matches(r) for r in rows) == 10
    assert sum(PodFilter("PENDING").matches(r) for r in rows) == 4
    assert sum(PodFilter("node-3").matches(r) for r in rows) > 0
    with pytest.raises(ValueError, match="bad label selector"):
        PodFilter("-l app in (web")
    with pytest.raises(ValueError):
        PodFilter("-l")


@pytest.mark.parametrize("status,variable", [
    ("Running", "pod-running"), ("Pending", "pod-pending"), ("ContainerCreating", "pod-creating"),
    ("Init:0/1", "pod-creating"), ("CrashLoopBackOff", "pod-crashloop"), ("Terminating", "pod-terminating"),
    ("Error", "pod-failed"), ("ImagePullBackOff", "pod-failed"), ("Completed", "pod-succeeded"),
    ("Unknown", "pod-unknown"), ("Init:CrashLoopBackOff", "pod-failed"),
])
def test_status_colour_variables(status, variable):
    assert status_variable(status) == variable
    assert variable in STATUS_VARIABLES


@pytest.mark.asyncio
async def test_a_narrow_pane_drops_the_least_needed_columns_for_the_name():
    client = FakeClient([make_pod(i) for i in range(5)])
    app = ListApp(client)
    async with app.run_test(size=(80, 12)) as pilot:
        await pilot.pause()
        pods = app.query_one(PodList)
        header = visible_text(pods)[0]
        assert "IP" not in header.split() and "NAMESPACE" not in header.split()
        assert header.split()[:4] == ["NAME▲", "READY", "STATUS", "RESTARTS"] and "NODE" in header
        assert "pod-00001" in visible_text(pods)[2] and "node-1" in visible_text(pods)[2]
        await pilot.resize_terminal(160, 12)
        await pilot.pause()
        assert visible_text(pods)[0].split()[:2] == ["NAMESPACE", "NAME▲"] and "IP" in visible_text(pods)[0]
