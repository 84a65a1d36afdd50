"""Pilot tests of the main screen: panes, chaos keys with confirmation, clock keys, filter, help."""

import re
from pathlib import Path

import pytest

from kubetui.tui.widgets.dialogs import ConfirmDialog, HelpScreen
from kubetui.tui.widgets.header import ClusterHeader
from kubetui.tui.widgets.nodetree import NodeTree
from kubetui.tui.widgets.podlist import PodList

SIZE = (160, 48)


def header(app) -> str:
    return app.query_one("#header", ClusterHeader).plain


def pod_rows(app):
    return app.query_one("#pods", PodList).rows


@pytest.mark.asyncio
async def test_main_screen_shows_nodes_pods_events_and_header(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        labels = [item.label.plain for item in tree.root.children]
        assert labels[0].startswith("● control-plane Ready control-plane")
        assert any(label.startswith("● worker-1 Ready") and "cpu" in label and "200m/4" in label for label in labels)
        components = [c.label.plain for c in tree.root.children[0].children]
        assert any("kube-apiserver" in c for c in components) and any("etcd" in c for c in components)
        rows = pod_rows(app)
        assert len(rows) == 6 and all(r.status == "Running" and r.ready == "1/1" for r in rows)
        assert all(r.node.startswith("worker-") and r.ip.startswith("10.244.") for r in rows)
        text = header(app)
        assert "default" in text and "⏱ 30s" in text and "×1" in text and "paused" in text and "rev " in text
        assert "Normal" in app.query_one("#events").lines[0]
        workloads = [str(o.prompt) for o in app.query_one("#workloads").options]
        assert any(w.startswith("deploy/default/web  6/6 ready") for w in workloads)
        assert any(w.startswith("svc/default/web") and "6 ready" in w for w in workloads)


@pytest.mark.asyncio
async def test_kill_node_with_keys_then_pods_move(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        victims = {r.name for r in pod_rows(app) if r.node == "worker-1"}
        assert victims
        tree.focus()
        tree.select_node("worker-1")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.message.startswith("Power off machine worker-1? Its kubelet stops; the control plane "
                                             "will notice in ~12 s")
        await pilot.press("y")
        assert not isinstance(app.screen, ConfirmDialog)
        app.runner.step(10)
        app.refresh_views()
        await pilot.pause()
        assert "worker-1 → NotReady in" in header(app)
        app.runner.step(50)
        app.refresh_views()
        await pilot.pause()
        label = next(i.label.plain for i in tree.root.children if i.data == ("node", "worker-1"))
        assert "NotReady" in label and "unreachable:NoExecute" in label
        rows = pod_rows(app)
        running = [r for r in rows if r.status == "Running"]
        assert len(running) == 6 and all(r.node != "worker-1" for r in running)
        assert {r.name for r in rows if r.node == "worker-1"} == victims
        assert all(r.status == "Terminating" for r in rows if r.node == "worker-1")


@pytest.mark.asyncio
async def test_kill_pod_cancel_and_no_confirm(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pods = app.query_one("#pods", PodList)
        pods.focus()
        name = pods.selected_row.name
        await pilot.press("x")
        assert f"Delete pod default/{name} now" in app.screen.message
        assert "Its ReplicaSet web-" in app.screen.message and "will create a replacement" in app.screen.message
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        assert app.client.get("pods", name, "default")["metadata"].get("deletionTimestamp") is None
    app = make_app(confirm=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pods = app.query_one("#pods", PodList)
        pods.focus()
        name = pods.selected_row.name
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        app.refresh_views()
        assert next(r for r in pod_rows(app) if r.name == name).status == "Terminating"


@pytest.mark.asyncio
async def test_pause_step_and_speed_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "⏱ 30s" in header(app) and "paused" in header(app)
        await pilot.press("n")
        await pilot.pause()
        assert "⏱ 31s" in header(app)
        await pilot.press("space")
        assert "running" in header(app) and not app.runner.paused
        await pilot.press("space")
        assert "paused" in header(app)
        await pilot.press("greater_than_sign", "greater_than_sign")
        assert app.runner.speed == 4 and "×4" in header(app)
        await pilot.press("less_than_sign")
        assert app.runner.speed == 2 and "×2" in header(app)


@pytest.mark.asyncio
async def test_filter_by_text_and_label_selector(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        target = pod_rows(app)[0].name
        await pilot.press("slash")
        await pilot.press(*target[-5:], "enter")
        await pilot.pause()
        assert [r.name for r in pod_rows(app)] == [target]
        assert "filter:" in app.query_one("#pods").border_title
        await pilot.press("slash")
        app.query_one("#filter").value = "-l app=web"
        await pilot.press("enter")
        await pilot.pause()
        assert len(pod_rows(app)) == 6
        await pilot.press("slash")
        box = app.query_one("#filter")
        box.value = "-l"
        box.cursor_position = 2
        await pilot.press("space")  # typed into the prompt, not taken by the pause key
        assert box.value == "-l " and app.runner.paused
        box.value = "-l app=db"
        await pilot.press("enter")
        await pilot.pause()
        assert pod_rows(app) == []
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(pod_rows(app)) == 6


@pytest.mark.asyncio
async def test_scale_and_cordon_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#pods", PodList).focus()
        await pilot.press("plus")
        assert app.client.get("deployments", "web", "default")["spec"]["replicas"] == 7
        app.runner.step(10)
        app.refresh_views()
        assert len(pod_rows(app)) == 7
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-2")
        await pilot.press("c")
        app.refresh_views()
        label = next(i.label.plain for i in tree.root.children if i.data == ("node", "worker-2"))
        assert "cordoned" in label


@pytest.mark.asyncio
async def test_help_lists_every_binding_with_id(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for key, binding_id in (("x", "kill"), ("R", "restart-node"), ("n", "step"), ("N", "new-object"),
                                ("slash", "filter"), ("space", "pause"), ("t", "theme"), ("q", "quit")):
            assert any(line.split()[:2] == [key, binding_id] for line in text.splitlines()), binding_id
        assert "Power off" not in text and "node → its machine powers off" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.asyncio
async def test_user_keymap_remaps_by_id(make_app, tmp_path):
    keymap = Path(tmp_path / "config" / "kubetui" / "keymap.yaml")
    keymap.parent.mkdir(parents=True)
    keymap.write_text("step: j\nnot-a-binding: k\n")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()
        assert "⏱ 31s" in header(app)
        assert any("not-a-binding" in n.message for n in app._notifications)
        assert ("j", "step", "Step the virtual clock one second") in app.help_rows()


@pytest.mark.asyncio
async def test_add_node_crash_drain_restart_keys(make_app):
    app = make_app(confirm=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("a")
        app.runner.step(5)
        app.refresh_views()
        tree = app.query_one("#nodes", NodeTree)
        label = next(i.label.plain for i in tree.root.children if i.data == ("node", "worker-4"))
        assert "worker-4 Ready" in label
        pods = app.query_one("#pods", PodList)
        pods.focus()
        crashed = pods.selected_row.name
        await pilot.press("X")
        app.runner.step(3)
        app.refresh_views()
        assert next(r for r in pod_rows(app) if r.name == crashed).restarts == 1
        tree.focus()
        tree.select_node("worker-2")
        await pilot.press("D")
        app.runner.step(30)
        app.refresh_views()
        assert not [r for r in pod_rows(app) if r.node == "worker-2" and r.status == "Running"]
        assert any("drained: evicted 2 pods" in n.message for n in app._notifications)
        await pilot.pause()
        tree.select_node("worker-3")
        await pilot.press("x", "R")
        assert any("machine worker-3 powered on" in n.message for n in app._notifications)


@pytest.mark.asyncio
async def test_confirm_texts_for_drain_crash_and_undo(make_app):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-2")
        await pilot.press("D")
        assert app.screen.message.startswith("Drain node worker-2? It is cordoned, then its 2 pods are evicted")
        await pilot.press("escape")
        pods = app.query_one("#pods", PodList)
        pods.focus()
        await pilot.press("X")
        assert "the kubelet restarts it" in app.screen.message
        await pilot.press("n", "u")
        assert app.screen.message.startswith("Roll back deployment default/web to its previous revision?")
        await pilot.press("y")
        await pilot.pause()
        assert any("Roll back web failed" == n.title for n in app._notifications)


@pytest.mark.asyncio
async def test_kube_proxy_rules_of_the_selected_node_follow_the_endpoints(make_app):
    app = make_app(confirm=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-2")
        await pilot.press("p")
        await pilot.pause()
        text = app.screen.text
        assert text.startswith("kube-proxy on worker-2")
        web = app.client.get("services", "web")
        assert f"default/web" in text and f"{web['spec']['clusterIP']}:80/TCP" in text
        assert text.count("  1/6  ") == 6  # six ready web pods, each picked with probability 1/6
        assert "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp" in text and "KUBE-SVC-NPX46M4PTMTKRN6Y" in text
        await pilot.press("escape")
        await pilot.pause()
        tree.select_node("worker-1")
        await pilot.press("x")  # no confirm: the machine powers off
        app.client.scale("deployments", "web", 3)
        app.runner.step(5)
        await pilot.press("p")
        await pilot.pause()
        assert "machine off: the rules stay as last programmed" in app.screen.text
        assert app.screen.text.count("  1/6  ") == 6


@pytest.mark.asyncio
async def test_workloads_pane_lists_daemonsets_jobs_and_claims(make_app):
    app = make_app()
    client = app.client
    client.apply({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                  "spec": {"selector": {"matchLabels": {"app": "agent"}},
                           "template": {"metadata": {"labels": {"app": "agent"}},
                                        "spec": {"containers": [{"name": "agent", "image": "busybox",
                                                                 "command": ["sleep", "3600"]}]}}}})
    client.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hello"},
                  "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                      {"name": "hello", "image": "busybox", "command": ["sh", "-c", "echo hello"]}]}}}})
    client.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    client.apply({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                           "minReplicas": 2, "maxReplicas": 8, "metrics": [{"type": "Resource", "resource": {
                               "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}})
    client.advance(30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = [str(o.prompt) for o in app.query_one("#workloads").options]
        assert "ds/default/agent  3/3 ready" in lines  # one per worker; the control plane's taint keeps it off
        assert "job/default/hello  1/1 complete" in lines
        assert "pvc/default/data  Pending" in lines  # WaitForFirstConsumer: no pod uses it yet
        hpa = next(line for line in lines if line.startswith("hpa/default/web → deployment/web  cpu: "))
        assert re.match(r"hpa/default/web → deployment/web  cpu: \d+%/50%  \d+ repli", hpa)  # cut to the pane
