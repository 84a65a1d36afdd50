"""Per-refresh work stays small: node request totals are kept incrementally, changed pod rows move in place."""

import random

import pytest

from kubetui.tui.model import ClusterModel
from kubetui.tui.widgets.podlist import SORT_COLUMNS, PodList, row_order
from podlist_fakes import FakeClient, ListApp


def pod(i: int, rv: int = 1, node: str | None = "node-a", phase: str = "Running", cpu: str = "100m",
        restarts: int = 0) -> dict:
    return {"metadata": {"name": f"p{i:03d}", "namespace": f"ns-{i % 3}", "resourceVersion": str(rv),
                         "creationTimestamp": f"2026-01-01T00:00:{i % 60:02d}Z"},
            "spec": {"nodeName": node, "containers": [{"name": "c", "resources": {"requests": {
                "cpu": cpu, "memory": "64Mi"}}}]},
            "status": {"phase": phase, "podIP": f"10.0.0.{i}" if node else None,
                       "containerStatuses": [{"name": "c", "restartCount": restarts, "state": {"running": {}}}]}}


def test_allocated_follows_pod_add_change_and_delete():
    client = FakeClient(now=100.0, pods=[pod(1), pod(2, cpu="250m"), pod(3, node=None)])
    model = ClusterModel(client)
    assert model.allocated("node-a") == (350, 2 * 64 * 2**20)
    send = client.callbacks["pods"]
    send("ADDED", pod(3, rv=2, node="node-b", cpu="1"), None)
    assert model.allocated("node-b") == (1000, 64 * 2**20)
    send("MODIFIED", pod(2, rv=2, cpu="250m", phase="Succeeded"), None)
    assert model.allocated("node-a") == (100, 64 * 2**20)
    send("MODIFIED", pod(1, rv=2, node="node-b"), None)
    assert model.allocated("node-a") == (0, 0) and model.allocated("node-b") == (1100, 2 * 64 * 2**20)
    send("DELETED", pod(3, rv=3, node="node-b", cpu="1"), None)
    assert model.allocated("node-b") == (100, 64 * 2**20)


@pytest.mark.asyncio
async def test_changed_rows_move_in_place_to_the_full_sort_order():
    rng = random.Random(7)
    client = FakeClient(now=100.0, pods=[pod(i, restarts=rng.randrange(4)) for i in range(300)])
    app = ListApp(client)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        pods = app.query_one(PodList)
        send = client.callbacks["pods"]
        others = [i for i in range(300) if i != 100]  # p100 stays selected throughout
        rv = 10
        for column in SORT_COLUMNS:
            for reverse in (False, True):
                pods.sort_by(column, reverse)
                pods.select_key("ns-1/p100")
                for batch in (8, 8, 60):  # 60 changes take the full-sort path
                    for i in rng.sample(others, batch):
                        rv += 1
                        send("MODIFIED", pod(i, rv=rv, node=rng.choice(["node-a", "node-b", None]),
                                             restarts=rng.randrange(4)), None)
                    send("DELETED", pod(rng.choice(others)), None)
                    rv += 1
                    send("ADDED", pod(rng.choice(others), rv=rv), None)
                    pods.rebuild()
                    key = row_order(column, reverse)
                    assert pods.rows == sorted(pods.rows, key=key), (column, reverse)
                    assert {r.key for r in pods.rows} == set(app.model.pods())
                    assert pods.selected_row.key == "ns-1/p100"
