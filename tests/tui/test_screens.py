"""Pilot tests of the full-screen views, each pushed onto a tiny host app over a scenario cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from textual.app import App
from textual.widgets import DataTable, Select, Static, TextArea, Tree

from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui.screens import (DescribeScreen, EditorScreen, EtcdScreen, ExplainScreen, NetworkScreen,
                                 TimelineScreen)
from kubetui.tui.screens.editor import ConfirmDiscard
from kubetui.tui.screens.etcd import TREE_EVERY
from kubetui.tui.screens.timeline import EventList
from kubetui.tui.templates import TEMPLATES

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"
SIZE = (160, 48)


class Host(App):
    """Pushes one screen on mount, as the real app does on a key press."""

    def __init__(self, screen) -> None:
        super().__init__()
        self.pushed = screen

    def on_mount(self) -> None:
        self.push_screen(self.pushed)


@pytest.fixture
def client():
    run = start(load_scenario(SCENARIO))
    run.client.advance(30)
    return run.client


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def web_pod(client) -> str:
    return sorted(p["metadata"]["name"] for p in client.list("pods", "default"))[0]


# -- etcd browser ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_etcd_shows_pod_keys_value_and_older_revisions(client):
    pod = web_pod(client)
    key = f"/registry/pods/default/{pod}"
    screen = EtcdScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = screen.query_one(Tree)
        top = [str(n.label) for n in tree.root.children]
        assert any(label.startswith("pods/") for label in top)
        assert any(label.startswith("minions/") for label in top)
        screen.select_key(key)
        await pilot.pause()
        pods_dir = next(n for n in tree.root.children if n.data == "/registry/pods/")
        default_dir = next(n for n in pods_dir.children if n.data == "/registry/pods/default/")
        assert pod in [str(n.label) for n in default_dir.children]
        assert tree.cursor_node is not None and tree.cursor_node.data == key
        live = client.store_get(key)
        meta = text_of(screen, "#etcd-meta")
        assert key in meta and f"mod_revision {live.mod_revision}" in meta and f"version {live.version}" in meta
        assert "kind: Pod" in text_of(screen, "#etcd-value")
        assert "live value" in text_of(screen, "#etcd-history")

        history = client.store_history(key)
        await pilot.press("left_square_bracket")
        older = history[-2]
        assert f"mod_revision {older.mod_revision}" in text_of(screen, "#etcd-meta")
        assert f"revision {len(history) - 1} of {len(history)}" in text_of(screen, "#etcd-history")
        for _ in range(len(history)):
            await pilot.press("left_square_bracket")
        assert screen.history_index == 0
        assert f"the key was created here (revision {history[0].create_revision})" in text_of(screen, "#etcd-history")
        await pilot.press(*["right_square_bracket"] * len(history))
        assert screen.history_index is None
        assert f"mod_revision {live.mod_revision}" in text_of(screen, "#etcd-meta")


@pytest.mark.asyncio
async def test_etcd_event_values_decode_hint_and_live_update(client):
    lease = "/registry/leases/kube-node-lease/worker-1"
    screen = EtcdScreen(client, key=lease)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = client.store_get(lease).mod_revision
        client.advance(20)  # the kubelet renews its lease
        screen.poll()
        after = client.store_get(lease).mod_revision
        assert after != before and f"mod_revision {after}" in text_of(screen, "#etcd-meta")
        screen.select_key("/registry/minions/worker-1")
        await pilot.pause()
        assert "minion" in text_of(screen, "#etcd-hint") and "kind: Node" in text_of(screen, "#etcd-value")
        event_key = client.store_keys("/registry/events/default/")[0]
        screen.select_key(event_key)
        await pilot.pause()
        value = text_of(screen, "#etcd-value")
        assert "kind: Event" in value and "involvedObject:" in value


@pytest.mark.asyncio
async def test_etcd_new_keys_appear_in_an_expanded_directory(client):
    screen = EtcdScreen(client, key=f"/registry/pods/default/{web_pod(client)}")
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        client.scale("deployments", "web", 7, "default")
        client.advance(2)
        for _ in range(TREE_EVERY):
            screen.refresh_view()
        await pilot.pause()
        tree = screen.query_one(Tree)
        pods_dir = next(n for n in tree.root.children if n.data == "/registry/pods/")
        default_dir = next(n for n in pods_dir.children if n.data == "/registry/pods/default/")
        assert len(default_dir.children) == 7
        assert tree.cursor_node is not None and tree.cursor_node.data == screen.selected_key


@pytest.mark.asyncio
async def test_etcd_history_stops_at_compaction(client):
    lease = "/registry/leases/kube-node-lease/worker-2"
    client.advance(700)  # kube-apiserver compacts every 5 minutes to the revision it saw last time
    retained = client.store_history(lease)
    assert retained and retained[0].version > 1
    screen = EtcdScreen(client, key=lease)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*["left_square_bracket"] * (len(retained) + 1))
        assert screen.history_index == 0
        history = text_of(screen, "#etcd-history")
        assert "older revisions compacted" in history and f"1 of {len(retained)}" in history
        assert f"version {retained[0].version}" in text_of(screen, "#etcd-meta")


# -- YAML editor -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_editor_invalid_deployment_shows_field_and_line_and_keeps_buffer(client):
    screen = EditorScreen(client, template_kind="Deployment")
    async with Host(screen).run_test(size=SIZE) as pilot:
        area = screen.query_one(TextArea)
        broken = "\n".join(line for line in area.text.splitlines() if "image:" not in line) + "\n"
        area.load_text(broken)
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = text_of(screen, "#editor-error")
        container_line = broken.splitlines().index("        - name: app") + 1
        assert "spec.template.spec.containers[0].image" in error
        assert "Required value" in error and f"line {container_line}" in error
        assert area.text == broken
        assert area.cursor_location[0] == container_line - 1
        assert client.list("deployments", "default", label_selector="app=my-deployment") == []


@pytest.mark.asyncio
async def test_editor_yaml_syntax_and_unknown_field_errors(client):
    screen = EditorScreen(client, template_kind="ConfigMap")
    async with Host(screen).run_test(size=SIZE) as pilot:
        area = screen.query_one(TextArea)
        area.load_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [1\n")
        await pilot.press("ctrl+s")
        assert "YAML syntax error at line" in text_of(screen, "#editor-error")
        text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labelz: {a: b}\n"
        area.load_text(text)
        await pilot.press("ctrl+s")
        error = text_of(screen, "#editor-error")
        assert "metadata.labelz" in error and "(line 5)" in error
        assert area.text == text


@pytest.mark.asyncio
async def test_editor_applies_a_template_and_several_documents(client):
    screen = EditorScreen(client, template_kind="Deployment")
    async with Host(screen).run_test(size=SIZE) as pilot:
        area = screen.query_one(TextArea)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert client.get("deployments", "my-deployment", "default")["spec"]["replicas"] == 3
        assert "applied: deployment.apps/my-deployment" in text_of(screen, "#editor-status")
        assert not screen.dirty
        area.load_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n---\n"
                       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: team-a}\ndata: {a: b}\n")
        await pilot.press("ctrl+s")
        assert client.get("configmaps", "cfg", "team-a")["data"] == {"a": "b"}


@pytest.mark.asyncio
async def test_editor_updates_live_object_and_reports_conflicts(client):
    dep = client.get("deployments", "web", "default")
    screen = EditorScreen(client, obj=dep)
    async with Host(screen).run_test(size=SIZE) as pilot:
        area = screen.query_one(TextArea)
        assert "managedFields" not in area.text and "resourceVersion:" in area.text
        area.load_text(area.text.replace("replicas: 6", "replicas: 4", 1))
        await pilot.press("ctrl+s")
        assert client.get("deployments", "web", "default")["spec"]["replicas"] == 4
        assert not screen.dirty
        edited = area.text.replace("replicas: 4", "replicas: 5", 1)
        area.load_text(edited)
        client.scale("deployments", "web", 3, "default")  # someone else writes first
        await pilot.press("ctrl+s")
        error = text_of(screen, "#editor-error")
        assert "Conflict" in error and "ctrl+r" in error
        assert area.text == edited
        await pilot.press("ctrl+r")
        assert "replicas: 3" in area.text and not screen.dirty


@pytest.mark.asyncio
async def test_editor_leaving_with_changes_asks_first(client):
    screen = EditorScreen(client, template_kind="Pod")
    host = Host(screen)
    async with host.run_test(size=SIZE) as pilot:
        area = screen.query_one(TextArea)
        area.load_text(area.text + "# more\n")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(host.screen, ConfirmDiscard)
        await pilot.click("#keep")
        await pilot.pause()
        assert host.screen is screen and area.text.endswith("# more\n")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#discard")
        await pilot.pause()
        assert host.screen is not screen and not isinstance(host.screen, ConfirmDiscard)


@pytest.mark.asyncio
async def test_editor_unchanged_buffer_leaves_without_asking(client):
    screen = EditorScreen(client, template_kind="Service")
    host = Host(screen)
    async with host.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert host.screen is not screen and not isinstance(host.screen, ConfirmDiscard)


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_every_template_is_accepted_by_the_api_server(client, kind):
    obj = client.apply(yaml.safe_load(TEMPLATES[kind]))
    assert obj["kind"] == kind


@pytest.mark.asyncio
async def test_editor_template_picker_asks_before_replacing_edits(client):
    screen = EditorScreen(client)
    host = Host(screen)
    async with host.run_test(size=SIZE) as pilot:
        select = screen.query_one("#editor-template", Select)
        select.value = "Secret"
        await pilot.pause()
        area = screen.query_one(TextArea)
        assert "kind: Secret" in area.text and not screen.dirty
        area.load_text(area.text + "# mine\n")
        select.value = "Pod"
        await pilot.pause()
        assert isinstance(host.screen, ConfirmDiscard)
        await pilot.click("#keep")
        await pilot.pause()
        assert "kind: Secret" in area.text and area.text.endswith("# mine\n")


# -- describe, explain, network, timeline ----------------------------------------------------


@pytest.mark.asyncio
async def test_describe_screen_shows_pod_and_follows_changes(client):
    pod = web_pod(client)
    screen = DescribeScreen(client, "pods", pod, "default")
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = text_of(screen, "#describe-text")
        assert f"Name:            {pod}" in text and "Events:" in text and "Scheduled" in text
        client.kill_pod(pod, "default")
        client.advance(1)
        screen.poll()
        assert "NotFound" in text_of(screen, "#describe-text")


@pytest.mark.asyncio
async def test_explain_screen_shows_nodes_plugins_and_scores(client):
    pod = web_pod(client)
    node = client.get("pods", pod, "default")["spec"]["nodeName"]
    screen = ExplainScreen(client, pod, "default")
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        filters = screen.query_one("#explain-filter", DataTable)
        labels = [str(c.label) for c in filters.columns.values()]
        assert {"NODE", "TaintToleration", "NodeResourcesFit"} <= set(labels)
        assert {"control-plane", "worker-1", "worker-2", "worker-3"} <= {k.value for k in filters.rows}
        row = filters.get_row("control-plane")
        assert any("untolerated taint" in str(cell) for cell in row)
        scores = screen.query_one("#explain-score", DataTable)
        assert "TOTAL" in [str(c.label) for c in scores.columns.values()]
        assert str(scores.get_row_at(0)[0]).strip() == f"★ {node}"
        assert f"Scheduled on {node}" in text_of(screen, "#explain-summary")


@pytest.mark.asyncio
async def test_explain_screen_says_why_a_pod_is_pending(client):
    client.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
                  "spec": {"containers": [{"name": "a", "image": "nginx", "resources": {"requests": {"cpu": "64"}}}]}})
    client.advance(2)
    screen = ExplainScreen(client, "big", "default")
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        summary = text_of(screen, "#explain-summary")
        assert "Why Pending" in summary and "Insufficient cpu" in summary
        row = screen.query_one("#explain-filter", DataTable).get_row("worker-1")
        assert any("Insufficient cpu" in str(cell) for cell in row)


@pytest.mark.asyncio
async def test_network_screen_shows_chain_and_broken_links(client):
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lonely"},
                  "spec": {"selector": {"app": "nothing"}, "ports": [{"port": 8080}]}})
    client.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "dangling"},
                  "spec": {"rules": [{"host": "gone.example.com", "http": {"paths": [
                      {"path": "/", "pathType": "Prefix",
                       "backend": {"service": {"name": "missing", "port": {"number": 80}}}}]}}]}})
    client.advance(2)
    screen = NetworkScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = text_of(screen, "#network-map")
        assert "web.example.com / (Prefix) → Service web:80" in text
        assert "Service default/web  ClusterIP" in text and "Endpoints: 6 ready, 0 not ready" in text
        pod = web_pod(client)
        assert f"→ pod {pod} on worker-" in text
        assert "gone.example.com / (Prefix) → ✗ Service missing not found" in text
        lonely = text[text.index("Service default/lonely"):]
        assert "DNS lonely.default.svc.cluster.local → the ClusterIP" in lonely.splitlines()[1]
        assert "✗ no endpoints" in lonely.splitlines()[2] and "app=nothing" in lonely.splitlines()[2]


@pytest.mark.asyncio
async def test_network_screen_shows_a_load_balancer_waiting_for_then_getting_its_ip(client):
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "public"},
                  "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}})
    client.advance(0.5)
    screen = NetworkScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = next(ln for ln in text_of(screen, "#network-map").splitlines() if "default/public" in ln)
        assert "LoadBalancer" in line and "external IP <pending>" in line
        client.advance(5)
        screen.refresh_view()
        await pilot.pause()
        line = next(ln for ln in text_of(screen, "#network-map").splitlines() if "default/public" in ln)
        assert "external IP 203.0.113.1" in line


@pytest.mark.asyncio
async def test_timeline_lists_newest_first_filters_and_follows(client):
    screen = TimelineScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        events = screen.query_one(EventList)
        assert len(events.rows) == len(client.list("events"))
        await pilot.press("slash")
        await pilot.press(*"deployment/web")
        assert events.rows and all(e["involvedObject"]["kind"] == "Deployment" for e in events.rows)
        await pilot.press("escape")
        await pilot.pause()
        host_screen = screen.app.screen
        assert host_screen is not screen


@pytest.mark.asyncio
async def test_timeline_picks_up_new_events_and_highlights_warnings(client):
    screen = TimelineScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        client.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
                      "spec": {"containers": [{"name": "a", "image": "nginx",
                                               "resources": {"requests": {"cpu": "64"}}}]}})
        client.advance(2)
        screen.poll()
        await pilot.pause()
        events = screen.query_one(EventList)
        assert events.rows[0]["reason"] == "FailedScheduling"
        first = events.render_line(0)
        assert "FailedScheduling" in first.text
        warning = events.get_component_rich_style("event-list--warning")
        assert any(seg.style == warning for seg in first)


@pytest.mark.asyncio
async def test_network_screen_shows_traffic_with_failures_after_a_node_dies(client):
    client.traffic_start("web", "http://web.example.com/", rate=20)
    client.advance(5)
    screen = NetworkScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = text_of(screen, "#network-map")
        assert "web → http://web.example.com/  20/s  ✓ 100  ✗ 0  █████" in text
        assert "answered (10 s): web-" in text
        client.cluster.kill_node("worker-1")
        client.advance(2)
        screen.refresh_view()
        await pilot.pause()
        text = text_of(screen, "#network-map")
        assert "last second: " in text and "× timeout (worker-1 is down)" in text


@pytest.mark.asyncio
async def test_network_screen_shows_stateful_pods_stable_dns_names(client):
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
                  "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}})
    client.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                  "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                           "template": {"metadata": {"labels": {"app": "db"}},
                                        "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                                                 "ports": [{"containerPort": 5432}]}]}}}})
    client.advance(30)
    screen = NetworkScreen(client)
    async with Host(screen).run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = text_of(screen, "#network-map")
        assert "DNS db.default.svc.cluster.local → each ready pod's IP (headless)" in text
        assert "→ pod db-0 on worker-" in text and "DNS db-0.db.default.svc.cluster.local" in text
        assert "DNS db-1.db.default.svc.cluster.local" in text
