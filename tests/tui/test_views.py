"""Pilot tests of the views opened from a selection or a `:` command: top, volume files, quotas, the
container runtime and kube-proxy rules (from the node tree, a pod, or a control-plane component)."""

import pytest
from textual.widgets import Log

from kubetui.data import data_dir
from kubetui.live import LiveRunner
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui import commands as cmd
from kubetui.tui.app import KubetuiApp
from kubetui.tui.screens.files import FilesScreen
from kubetui.tui.screens.proxy import ProxyScreen
from kubetui.tui.screens.quota import QuotaScreen
from kubetui.tui.screens.runtime import RuntimeScreen
from kubetui.tui.screens.top import NOT_YET, TopScreen
from kubetui.tui.widgets.commandline import CommandLine
from kubetui.tui.widgets.nodetree import NodeTree
from kubetui.tui.widgets.podlist import PodList

SIZE = (160, 48)
SA = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture
def app_at(tmp_path, monkeypatch):
    """The app on the default scenario after `seconds` of virtual time, clock stopped, no confirmations."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def make(seconds: float = 30) -> KubetuiApp:
        run = start(load_scenario(data_dir("scenarios") / "default.yaml"))
        run.client.advance(seconds)
        return KubetuiApp(run.client, LiveRunner(run.client, paused=True), run.loaded.name, confirm=False, live=False)

    return make


def shown(app) -> list[str]:
    """The lines the screen's Log holds (what the user can scroll through)."""
    return list(app.screen.query_one(Log).lines)


async def command(pilot, text: str) -> None:
    await pilot.press("colon")
    pilot.app.query_one("#command", CommandLine).input.value = text
    await pilot.press("enter")
    await pilot.pause()


def hint(app) -> str:
    return app.query_one("#command", CommandLine).hint


async def step(pilot, seconds: float) -> None:
    """Advance the virtual clock and let the open screen poll, as its timer would."""
    pilot.app.runner.step(seconds)
    pilot.app.screen.poll()
    await pilot.pause()


def select_pod(app, name: str, namespace: str = "default") -> None:
    pods = app.query_one("#pods", PodList)
    pods.focus()
    assert pods.select_key(f"{namespace}/{name}")


def web_pods(app) -> list[str]:
    return sorted(p["metadata"]["name"] for p in app.client.list("pods", "default"))


# -- top ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_top_says_not_yet_until_the_first_scrape_then_follows_it(app_at):
    app = app_at(5)  # the web pods run, but the metrics server scrapes first at 15 s
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-1")
        await pilot.press("M")
        assert isinstance(app.screen, TopScreen) and app.screen.what == "nodes"
        assert shown(app)[0] == NOT_YET
        await pilot.press("escape")
        await pilot.pause()
        select_pod(app, web_pods(app)[0])
        await pilot.press("M")
        assert isinstance(app.screen, TopScreen) and (app.screen.what, app.screen.namespace) == ("pods", "default")
        assert shown(app)[0] == NOT_YET
        await step(pilot, 11)
        lines = shown(app)
        assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        assert sorted(line.split()[0] for line in lines[1:]) == web_pods(app)
        assert all(line.split()[1].endswith("m") and line.split()[2].endswith("Mi") for line in lines[1:])
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TopScreen)


@pytest.mark.asyncio
async def test_top_nodes_lists_a_dead_node_as_unknown(app_at):
    app = app_at(30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await command(pilot, "top nodes")
        assert isinstance(app.screen, TopScreen)
        lines = shown(app)
        assert lines[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
        rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
        assert sorted(rows) == ["control-plane", "worker-1", "worker-2", "worker-3"]
        assert rows["worker-1"][1].endswith("%") and rows["worker-1"][2].endswith("Mi")
        app.client.kill_node("worker-1")
        await step(pilot, 16)  # the next scrape cannot reach its kubelet
        rows = {line.split()[0]: line.split()[1:] for line in shown(app)[1:]}
        assert rows["worker-1"] == ["<unknown>"] * 4 and rows["worker-2"][0].endswith("m")
        await pilot.press("escape")
        await command(pilot, "top pods -n nowhere")
        assert hint(app) == 'Error from server (NotFound): namespaces "nowhere" not found'


# -- volume files ---------------------------------------------------------------------------------

STORAGE_POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "store", "namespace": "default"},
    "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                             "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                                              {"name": "data", "mountPath": "/data"},
                                              {"name": "settings", "mountPath": "/etc/app"}]}],
             "volumes": [{"name": "cache", "emptyDir": {}},
                         {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
                         {"name": "settings", "configMap": {"name": "settings"}}]}}


def volume_block(lines: list[str], volume: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith(f"Volume {volume} "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


@pytest.mark.asyncio
async def test_files_shows_each_volume_its_lifetime_and_its_files_live(app_at):
    app = app_at(30)
    client = app.client
    client.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                  "data": {"mode": "fast"}}, "default")
    client.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
                 "default")
    client.apply(STORAGE_POD, "default")
    client.advance(30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        select_pod(app, "store")
        await pilot.press("f")
        assert isinstance(app.screen, FilesScreen) and app.screen.pod == "store"
        lines = shown(app)
        node = client.get("pods", "store", "default")["spec"]["nodeName"]
        assert lines[0].split()[:4] == ["Pod", "default/store", "node", node]
        cache = volume_block(lines, "cache")
        assert "emptyDir" in cache[0] and "lifetime: survives container restarts; deleted with the pod" in cache[1]
        assert cache[2:] == ["  mounted in app at /cache", "    (empty)"]
        volume = client.get("persistentvolumeclaims", "data", "default")["spec"]["volumeName"]
        data = volume_block(lines, "data")
        assert data[0].startswith(f"Volume data   PVC data → PV {volume}")
        assert "survives container restarts and the pod's deletion" in data[1]
        settings = volume_block(lines, "settings")
        assert settings[0].endswith("read-only") and "configMap settings" in settings[0]
        assert settings[2] == "  mounted in app at /etc/app (ro)"
        assert settings[3].split() == ["/etc/app/mode", "4", "B", "fast"]
        token = volume_block(lines, next(v["name"] for v in client.get("pods", "store", "default")["spec"]["volumes"]
                                         if v["name"].startswith("kube-api-access-")))
        assert "the ServiceAccount's API credentials" in token[1]
        assert [line.split()[0] for line in token[4:]] == [f"{SA}/ca.crt", f"{SA}/namespace", f"{SA}/token"]
        assert token[5].split()[-1] == "default"

        client.exec("store", ["write", "/cache/note", "hello"], "default")
        client.exec("store", ["write", "/data/keep", "kept"], "default")
        await step(pilot, 1)
        lines = shown(app)
        assert volume_block(lines, "cache")[3].split() == ["/cache/note", "5", "B", "hello"]
        assert volume_block(lines, "data")[3].split() == ["/data/keep", "4", "B", "kept"]

        client.delete("pods", "store", "default", grace_period_seconds=0)
        await step(pilot, 5)
        lines = shown(app)
        assert lines[0] == 'Error from server (NotFound): pods "store" not found'
        assert "its emptyDir volumes went with it; PersistentVolumes keep their data" in lines[1]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FilesScreen)


@pytest.mark.asyncio
async def test_files_command_shows_the_service_account_token_and_checks_the_pod(app_at):
    app = app_at(30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pod = web_pods(app)[0]
        await command(pilot, f"files {pod}")
        assert isinstance(app.screen, FilesScreen)
        text = "\n".join(shown(app))
        assert f"mounted in web at {SA} (ro)" in text
        assert f"{SA}/token" in text and f"{SA}/ca.crt" in text and "-----BEGIN CERTIFICATE----- …" in text
        await pilot.press("escape")
        await command(pilot, "files nope")
        assert hint(app) == 'Error from server (NotFound): pods "nope" not found'
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-1")
        await pilot.press("f")
        assert not isinstance(app.screen, FilesScreen)


# -- quotas -------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_quota_lists_used_and_hard_and_limit_range_defaults(app_at):
    app = app_at(5)
    client = app.client
    client.apply({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"},
                  "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}, "default")
    client.apply({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
                  "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"},
                                       "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}]}},
                 "default")
    client.advance(5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        select_pod(app, web_pods(app)[0])
        await pilot.press("Q")
        assert isinstance(app.screen, QuotaScreen) and app.screen.namespace == "default"
        lines = shown(app)
        assert lines[0] == "# ResourceQuotas in default: 1"
        assert lines[1].split() == ["Name:", "compute"]
        table = {line.split()[0]: line.split()[1:] for line in lines if line.startswith(("pods ", "requests.cpu "))}
        assert table == {"pods": ["6", "10"], "requests.cpu": ["600m", "2"]}
        header = next(line for line in lines if line.startswith("Type "))
        assert header.split("  ")[0] == "Type" and "Default Request  Default Limit  Max Limit/Request Ratio" in header
        assert next(line for line in lines if line.startswith("Container ")).split() == \
            ["Container", "cpu", "-", "1", "100m", "500m", "-"]
        client.scale("deployments", "web", 3, "default")
        await step(pilot, 10)
        table = {line.split()[0]: line.split()[1:] for line in shown(app) if line.startswith("pods ")}
        assert table == {"pods": ["3", "10"]}
        await pilot.press("escape")
        await pilot.pause()
        await command(pilot, "quota kube-system")
        assert isinstance(app.screen, QuotaScreen)
        assert shown(app)[:2] == ["# ResourceQuotas in kube-system: 0", "No resources found in kube-system namespace."]
        await pilot.press("escape")
        await command(pilot, "quota nowhere")
        assert hint(app) == 'Error from server (NotFound): namespaces "nowhere" not found'


# -- the container runtime and kube-proxy from the node tree ---------------------------------------


@pytest.mark.asyncio
async def test_runtime_shows_a_pause_sandbox_per_pod_and_the_containers(app_at):
    app = app_at(30)
    client = app.client
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("worker-2")
        await pilot.press("r")
        assert isinstance(app.screen, RuntimeScreen) and app.screen.node == "worker-2"
        lines = shown(app)
        on_node = sorted(p["metadata"]["name"] for p in client.list("pods", "default")
                         if p["spec"]["nodeName"] == "worker-2")
        pods_at = lines.index(next(line for line in lines if line.startswith("POD ID")))
        assert lines[pods_at].split()[-2:] == ["PAUSE", "IMAGE"]
        sandboxes = lines[pods_at + 1:pods_at + 1 + len(on_node)]
        assert sorted(line.split()[4] for line in sandboxes) == on_node
        assert all(line.split()[3] == "Ready" and line.split()[-1] == "registry.k8s.io/pause:3.10"
                   for line in sandboxes)
        ps_at = lines.index(next(line for line in lines if line.startswith("CONTAINER ")))
        containers = lines[ps_at + 1:]
        assert sorted(line.split()[-2] for line in containers) == on_node
        sandbox_ids = {line.split()[4]: line.split()[0] for line in sandboxes}
        assert all(line.split()[-3] == sandbox_ids[line.split()[-2]] for line in containers)

        victim = on_node[0]
        ip = client.get("pods", victim, "default")["status"]["podIP"]
        client.crash_container(victim, "default")
        await step(pilot, 5)
        lines = shown(app)
        sandbox = next(line for line in lines if f" {victim} " in line and "pause" in line)
        assert sandbox.split()[0] == sandbox_ids[victim] and ip in sandbox.split()  # same sandbox, same IP
        ps = [line.split() for line in lines if line.endswith(f"{victim}   default") and "nginx" in line]
        assert sorted(row[6] for row in ps) == ["0", "1"] and any(row[4] == "Exited" for row in ps)
        client.kill_node("worker-2")
        await step(pilot, 1)
        assert shown(app)[0] == "machine worker-2 is off: nothing runs; this is what it held"
        await pilot.press("escape")
        await command(pilot, "crictl worker-9")
        assert hint(app).startswith('no node "worker-9"; nodes: control-plane, worker-1')
        await command(pilot, "crictl control-plane")
        assert isinstance(app.screen, RuntimeScreen) and shown(app)[0].startswith("# crictl pods")
        assert "(no sandboxes)" in shown(app)


@pytest.mark.asyncio
async def test_proxy_and_runtime_keys_from_a_pod_and_a_control_plane_component(app_at):
    app = app_at(30)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.query_one("#nodes", NodeTree)
        tree.focus()
        tree.select_node("control-plane")
        await pilot.press("down")  # the first control-plane component (kube-apiserver)
        assert tree.cursor_node.data == ("component", "kube-apiserver")
        await pilot.press("p")
        assert isinstance(app.screen, ProxyScreen) and app.screen.node == "control-plane"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("r")
        assert isinstance(app.screen, RuntimeScreen) and app.screen.node == "control-plane"
        await pilot.press("escape")
        await pilot.pause()
        pod = web_pods(app)[0]
        select_pod(app, pod)
        await pilot.press("r")
        node = app.client.get("pods", pod, "default")["spec"]["nodeName"]
        assert isinstance(app.screen, RuntimeScreen) and app.screen.node == node


class FakeNames:
    def names(self, resource, namespace):
        return {"pods": ["web-1", "web-2", "db-0"], "nodes": ["worker-1", "worker-2", "control-plane"]}[resource]

    def namespaces(self):
        return ["default", "kube-system"]

    def themes(self):
        return []

    def scenarios(self):
        return []


def test_the_new_commands_parse_and_complete():
    assert cmd.parse("top") == cmd.Top("pods", "default")
    assert cmd.parse("top no") == cmd.Top("nodes")
    assert cmd.parse("top pods -n kube-system") == cmd.Top("pods", "kube-system")
    assert cmd.parse("files web-1 -n shop") == cmd.Files("web-1", "shop")
    assert cmd.parse("quota") == cmd.Quota("default") and cmd.parse("quota -n x") == cmd.parse("quota x")
    assert cmd.parse("crictl node/worker-1") == cmd.Crictl("worker-1")
    for line, error in (("top deployments", 'top shows pods or nodes, not "deployments"'),
                        ("top nodes -n x", "nodes have no namespace"), ("files", "files needs a pod name"),
                        ("crictl", "crictl needs exactly one node name")):
        with pytest.raises(cmd.CommandError, match=error):
            cmd.parse(line)
    names = FakeNames()
    assert cmd.complete("to", names).candidates == ["top"]
    assert cmd.complete("top ", names).candidates == ["nodes", "pods"]
    assert cmd.complete("files web", names).candidates == ["web-1", "web-2"]
    assert cmd.complete("quota k", names).candidates == ["kube-system"]
    assert cmd.complete("crictl w", names).candidates == ["worker-1", "worker-2"]
