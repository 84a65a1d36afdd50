"""Pilot tests of the `:` command line: completion, history, errors that keep the line, and every command."""

import pytest
from textual.widgets import Log

from kubetui.tui.screens.describe import DescribeScreen
from kubetui.tui.screens.get import GetScreen
from kubetui.tui.widgets.commandline import CommandLine
from kubetui.tui.widgets.dialogs import ConfirmDialog
from kubetui.tui.widgets.header import ClusterHeader
from kubetui.tui.widgets.nodetree import NodeTree
from kubetui.tui.widgets.podlist import PodList

SIZE = (160, 48)


def line(app) -> CommandLine:
    return app.query_one("#command", CommandLine)


async def type_command(pilot, text: str, submit: bool = True) -> None:
    await pilot.press("colon")
    line(pilot.app).input.value = text
    if submit:
        await pilot.press("enter")
    await pilot.pause()


@pytest.mark.asyncio
async def test_colon_opens_escape_closes_and_focus_returns(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not line(app).is_open
        await pilot.press("colon")
        assert line(app).is_open and app.focused is line(app).input
        await pilot.press("q")  # typed into the line, not the quit key
        assert line(app).input.value == "q" and app.is_running
        await pilot.press("escape")
        assert not line(app).is_open and app.focused.id == "nodes"


@pytest.mark.asyncio
async def test_tab_completes_commands_resources_and_names(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("colon", "d", "e", "s", "tab")
        assert line(app).input.value == "describe "
        await pilot.press("d", "e", "p", "tab")
        assert line(app).input.value == "describe deploy" and line(app).hint == "deploy  deployments"
        await pilot.press("space", "w", "tab")
        assert line(app).input.value == "describe deploy web "
        line(app).input.value = "cordon worker-"
        line(app).input.cursor_position = len("cordon worker-")
        await pilot.press("tab")
        assert line(app).input.value == "cordon worker-"
        assert line(app).hint == "worker-1  worker-2  worker-3"
        await pilot.press("tab")
        assert line(app).input.value == "cordon worker-1" and "[worker-1]" in line(app).hint
        await pilot.press("tab")
        assert line(app).input.value == "cordon worker-2"
        line(app).input.value = "kill pod web-"
        line(app).input.cursor_position = len(line(app).input.value)
        await pilot.press("tab")
        assert len(line(app).hint.split()) == 6 and all(w.startswith("web-") for w in line(app).hint.split())


@pytest.mark.asyncio
async def test_unknown_command_and_bad_arguments_keep_the_line(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "frobnicate all")
        assert line(app).is_open and line(app).input.value == "frobnicate all"
        assert line(app).hint.startswith('unknown command "frobnicate"')
        await type_command(pilot, "scale deploy web")
        assert "needs a replica count" in line(app).hint and line(app).input.value == "scale deploy web"
        await type_command(pilot, "describe deploy nope")
        assert line(app).hint == 'Error from server (NotFound): deployments.apps "nope" not found'
        assert line(app).input.value == "describe deploy nope"
        await pilot.press("x")  # editing clears the error
        assert line(app).hint == ""


@pytest.mark.asyncio
async def test_get_shows_a_kubectl_table(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "get deploy")
        assert isinstance(app.screen, GetScreen) and not line(app).is_open
        lines = list(app.screen.query_one(Log).lines)
        assert lines[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        assert lines[1].split()[:2] == ["web", "6/6"]
        await pilot.press("escape")
        await type_command(pilot, "get pods -A")
        lines = list(app.screen.query_one(Log).lines)
        assert lines[0].startswith("NAMESPACE") and sum(1 for ln in lines if ln.startswith("default ")) == 6


@pytest.mark.asyncio
async def test_describe_scale_and_history(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "describe svc web")
        assert isinstance(app.screen, DescribeScreen) and app.screen.text.startswith("Name:")
        await pilot.press("escape")
        await type_command(pilot, "scale deploy web 3")
        assert app.client.get("deployments", "web", "default")["spec"]["replicas"] == 3
        await type_command(pilot, "scale deployment/web --replicas=4")
        assert app.client.get("deployments", "web", "default")["spec"]["replicas"] == 4
        await pilot.press("colon", "up")
        assert line(app).input.value == "scale deployment/web --replicas=4"
        await pilot.press("up", "up")
        assert line(app).input.value == "describe svc web"
        await pilot.press("down", "down", "down")
        assert line(app).input.value == ""


@pytest.mark.asyncio
async def test_delete_asks_unless_no_confirm(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "delete svc web")
        assert isinstance(app.screen, ConfirmDialog) and app.screen.message.startswith("Delete service default/web?")
        await pilot.press("n")
        app.client.get("services", "web", "default")
        await type_command(pilot, "delete svc web --no-confirm")
        assert not isinstance(app.screen, ConfirmDialog)
        assert "web" not in [s["metadata"]["name"] for s in app.client.list("services", "default")]


@pytest.mark.asyncio
async def test_kill_node_cordon_drain_and_rollout(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "kill node worker-9")
        assert line(app).hint.startswith('no node "worker-9"; nodes: control-plane, worker-1')
        await type_command(pilot, "kill node worker-1")
        assert isinstance(app.screen, ConfirmDialog) and app.screen.message.startswith("Power off machine worker-1?")
        await pilot.press("y")
        app.runner.step(60)
        app.refresh_views()
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        assert "NotReady" in next(i.label.plain for i in tree.root.children if i.data == ("node", "worker-1"))
        await type_command(pilot, "cordon worker-2")
        assert app.client.get("nodes", "worker-2")["spec"]["unschedulable"] is True
        await type_command(pilot, "uncordon worker-2")
        assert not app.client.get("nodes", "worker-2")["spec"].get("unschedulable")
        await type_command(pilot, "drain worker-3 --no-confirm")
        app.runner.step(5)
        assert app.client.get("nodes", "worker-3")["spec"]["unschedulable"] is True
        await type_command(pilot, "rollout undo deployment/web")
        assert isinstance(app.screen, ConfirmDialog) and "Roll back deployment default/web" in app.screen.message


@pytest.mark.asyncio
async def test_apply_file_reports_file_line_and_field(make_app, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n---\n"
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  a: b\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  selector:\n"
                   "    matchLabels: {app: b}\n  template:\n    metadata:\n      labels: {app: b}\n    spec:\n"
                   "      containers:\n      - name: c\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, f"apply -f {good}")
        assert not line(app).is_open
        assert app.client.get("configmaps", "two", "default")["data"] == {"a": "b"}
        await type_command(pilot, f"apply -f {bad}")
        assert line(app).is_open and line(app).input.value == f"apply -f {bad}"
        assert f"{bad}:13: spec.template.spec.containers[0].image: Required value" in line(app).hint
        await type_command(pilot, f"apply -f {tmp_path / 'missing.yaml'}")
        assert line(app).hint == f"{tmp_path / 'missing.yaml'}: file not found"


@pytest.mark.asyncio
async def test_speed_theme_load_and_quit(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "speed 8")
        assert app.runner.speed == 8 and "×8" in app.query_one("#header", ClusterHeader).plain
        await type_command(pilot, "theme no-such-theme")
        assert line(app).hint.startswith('no theme "no-such-theme"; themes:')
        await type_command(pilot, "theme textual-light")
        assert app.theme == "textual-light"
        await type_command(pilot, "load no-such-scenario")
        assert "no bundled scenario of that name" in line(app).hint
        await type_command(pilot, "load node-failure")
        await pilot.pause()
        assert app.scenario_name == "node-failure" and app.client.now == 0
        assert "node-failure" in app.query_one("#header", ClusterHeader).plain
        app.runner.step(30)
        app.refresh_views()
        await pilot.pause()
        assert app.query_one("#pods", PodList).rows
        await pilot.press("colon", "up")
        assert line(app).input.value == "load node-failure"
        await pilot.press("escape")
        await type_command(pilot, "quit")
        assert not app.is_running


@pytest.mark.asyncio
async def test_tab_walks_nodes_pods_events_workloads(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seen = [app.focused.id]
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == ["nodes", "pods", "events", "workloads", "nodes"]
        await pilot.press("shift+tab")
        assert app.focused.id == "workloads"


@pytest.mark.asyncio
async def test_traffic_command_starts_a_stream_shows_the_network_and_stops(make_app):
    from kubetui.tui.screens.network import NetworkScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_command(pilot, "traffic http://web.example.com/ --rate 5")
        await pilot.pause()
        assert isinstance(app.screen, NetworkScreen)
        assert [(s.name, s.target, s.rate) for s in app.client.traffic_streams()] == [
            ("web.example.com", "http://web.example.com/", 5)]
        await pilot.press("escape")
        await type_command(pilot, "traffic stop web.example.com")
        await pilot.pause()
        assert app.client.traffic_streams() == []
        await type_command(pilot, "traffic stop nothing")
        assert "not found" in line(app).hint


@pytest.mark.asyncio
async def test_exec_writes_and_reads_a_file_in_a_pod(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pod = app.client.list("pods", "default")[0]["metadata"]["name"]
        await type_command(pilot, f"exec {pod} -- write /tmp/note hello")
        await type_command(pilot, f"exec {pod} -- cat /tmp/note")
        await pilot.pause()
        assert any(n.message == "hello" for n in app._notifications)
        await type_command(pilot, f"exec {pod} -- cat /nope")
        assert "No such file or directory" in line(app).hint


@pytest.mark.asyncio
async def test_a_stateful_pod_stuck_on_a_dead_node_is_flagged_and_force_delete_frees_it(make_app):
    from kubetui.tui.widgets.workloads import WorkloadList
    app = make_app()
    client = app.client
    client.create({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
                   "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                            "template": {"metadata": {"labels": {"app": "db"}},
                                         "spec": {"containers": [{"name": "db", "image": "postgres"}]}}}})
    app.runner.step(30)
    node = client.get("pods", "db-1", "default")["spec"]["nodeName"]
    client.kill_node(node)
    app.runner.step(400)  # NotReady, NoExecute taint, eviction: the pod waits for a kubelet that never answers
    assert client.get("pods", "db-1", "default")["metadata"].get("deletionTimestamp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.refresh_views(force=True)
        workloads = app.query_one("#workloads", WorkloadList)
        line_text = workloads.get_option("statefulsets/default/db").prompt.plain
        assert f"⚠ db-1 stuck Terminating on unreachable {node}" in line_text
        assert "not replaced until its node is deleted\n    or :delete pod db-1 --force" in line_text
        await type_command(pilot, "delete pod db-1 --force")
        assert "removed from the API at once" in app.screen.message
        await pilot.press("y")
        await pilot.pause()
        app.runner.step(30)
        app.refresh_views(force=True)
        replacement = client.get("pods", "db-1", "default")
        assert replacement["spec"]["nodeName"] != node and not replacement["metadata"].get("deletionTimestamp")
        assert "stuck" not in workloads.get_option("statefulsets/default/db").prompt.plain
