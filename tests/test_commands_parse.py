"""Unit tests of the `:` command language: parsing into typed commands, errors, and completion."""

import subprocess
import sys

import pytest

from kubetui.tui import commands as c


@pytest.mark.parametrize("line, expected", [
    ("get pods", c.Get("pods", None, "default")),
    ("get po web-1 -n kube-system", c.Get("pods", "web-1", "kube-system")),
    ("get deploy/web --namespace=prod", c.Get("deployments", "web", "prod")),
    ("get pods -A", c.Get("pods", None, None, True)),
    ("get nodes -A", c.Get("nodes", None, None, False)),
    ("get no worker-1", c.Get("nodes", "worker-1", None)),
    ("describe svc web", c.Describe("services", "web", "default")),
    ("describe node/worker-2", c.Describe("nodes", "worker-2", None)),
    ("scale deploy web 3", c.Scale("deployments", "web", 3, "default")),
    ("scale deployment/web --replicas=5", c.Scale("deployments", "web", 5, "default")),
    ("scale rs web-abc --replicas 0 -n x", c.Scale("replicasets", "web-abc", 0, "x")),
    ("delete pod web-1", c.Delete("pods", "web-1", "default", True)),
    ("delete deploy/web --no-confirm", c.Delete("deployments", "web", "default", False)),
    ("delete pod db-1 --force", c.Delete("pods", "db-1", "default", True, 0)),
    ("delete pod db-1 --grace-period=5", c.Delete("pods", "db-1", "default", True, 5)),
    ("delete pod db-1 --force --grace-period 0", c.Delete("pods", "db-1", "default", True, 0)),
    ("apply -f manifests/web.yaml", c.Apply("manifests/web.yaml")),
    ("apply --filename=a.yaml", c.Apply("a.yaml")),
    ("kill node worker-1", c.Kill("node", "worker-1", None, True)),
    ("kill pod web-1 -n prod --no-confirm", c.Kill("pod", "web-1", "prod", False)),
    ("kill pod/web-1", c.Kill("pod", "web-1", "default", True)),
    ("cordon worker-1", c.Cordon("worker-1", True)),
    ("uncordon node/worker-1", c.Cordon("worker-1", False)),
    ("drain worker-1", c.Drain("worker-1", True)),
    ("rollout undo deployment/web", c.RolloutUndo("web", "default", 0, True)),
    ("rollout undo deploy web --to-revision=2 -n prod", c.RolloutUndo("web", "prod", 2, True)),
    ("proxy worker-2", c.Proxy("worker-2")),
    ("traffic http://web.example.com/ --rate 50", c.Traffic("http://web.example.com/", 50, "web.example.com")),
    ("traffic web:80 --name inside", c.Traffic("web:80", 10, "inside")),
    ("traffic stop inside", c.Traffic("", name="inside", stop=True)),
    ("exec web-1 -- write /data/note hello world", c.Exec("web-1", ("write", "/data/note", "hello", "world"))),
    ("exec db -n prod -c main -- cat /x", c.Exec("db", ("cat", "/x"), "prod", "main")),
    ("proxy node/worker-2", c.Proxy("worker-2")),
    ("load node-failure", c.Load("node-failure")),
    ("load 'my scenarios/x.yaml'", c.Load("my scenarios/x.yaml")),
    ("speed 10", c.Speed(10.0)),
    ("speed x0.5", c.Speed(0.5)),
    ("theme nord", c.Theme("nord")),
    ("quit", c.Quit()),
    ("q", c.Quit()),
])
def test_parse(line, expected):
    assert c.parse(line) == expected


@pytest.mark.parametrize("line, message", [
    ("", "type a command: get, describe"),
    ("frob x", 'unknown command "frob"; commands: get, describe'),
    ("get", "get needs a resource type   usage: get RESOURCE [NAME] [-n NS | -A]"),
    ("get gizmos", 'unknown resource type "gizmos"'),
    ("get pods -x", 'unknown flag "-x" for get (its flags: --all-namespaces, --namespace, -A, -n)'),
    ("get pods -n", "-n needs a value"),
    ("get pods -n a -A", "use either -n NS or -A, not both"),
    ("get pods a b", 'unexpected "b"'),
    ("describe deploy", "describe needs the name of the deployment"),
    ("scale svc web 2", "services cannot be scaled"),
    ("scale deploy web", "scale needs a replica count (--replicas=N)"),
    ("scale deploy web two", 'replicas must be a whole number, got "two"'),
    ("scale deploy web -1", "replicas must be 0 or more, got -1"),
    ("scale deploy web 2 --replicas=3", "give the replica count once"),
    ("apply", "apply needs -f FILE"),
    ("kill", "kill needs node NAME or pod NAME"),
    ("kill cat tom", 'kill takes node or pod, got "cat"'),
    ("kill node", "kill node needs the name of the node"),
    ("kill node a -n x", "nodes have no namespace"),
    ("cordon", "cordon needs exactly one node name"),
    ("drain pod/x", "drain works on nodes, not pod"),
    ("rollout restart deploy/web", "only rollout undo is supported"),
    ("rollout undo sts/db", "rollout undo of statefulsets is not simulated"),
    ("speed fast", 'speed must be a number such as 1, 10 or 0.5, got "fast"'),
    ("speed 1000", "speed 1000 is out of range (0.25 to 64)"),
    ("theme", "theme needs a theme name"),
    ("quit now", 'unexpected "now"'),
    ('get "pods', "cannot read the line: No closing quotation"),
    ("delete pod x --no-confirm=yes", "--no-confirm takes no value"),
    ("delete pod x --force --grace-period=3", "--force needs --grace-period=0 (or no --grace-period)"),
    ("delete pod x --grace-period=soon", '--grace-period must be a whole number of seconds, got "soon"'),
])
def test_parse_errors_say_what_is_wrong(line, message):
    with pytest.raises(c.CommandError) as info:
        c.parse(line)
    assert message in str(info.value)


class FakeNames:
    def names(self, resource, namespace):
        return {("nodes", None): ["control-plane", "worker-1", "worker-2"],
                ("pods", "default"): ["web-a", "web-b", "db-0"],
                ("pods", "prod"): ["api-1"],
                ("deployments", "default"): ["web", "worker"]}.get((resource, namespace), [])

    def namespaces(self):
        return ["default", "kube-system", "prod"]

    def themes(self):
        return ["kubetui-dark", "kubetui-light", "nord"]

    def scenarios(self):
        return ["default", "node-failure"]


@pytest.mark.parametrize("line, start, candidates", [
    ("", 0, sorted(c.COMMANDS)),
    ("d", 0, ["delete", "describe", "drain"]),
    ("get dep", 4, ["deploy", "deployments"]),
    ("get pods ", 9, ["db-0", "web-a", "web-b"]),
    ("get pods -n prod ", 17, ["api-1"]),
    ("get pods --namespace=prod w", 26, []),
    ("get pods -n ", 12, ["default", "kube-system", "prod"]),
    ("get pods --namespace=k", 9, ["--namespace=kube-system"]),
    ("get pods --", 9, ["--all-namespaces", "--namespace"]),
    ("describe deploy/w", 9, ["deploy/web", "deploy/worker"]),
    ("scale d", 6, ["deploy", "deployments"]),
    ("scale s", 6, ["statefulsets", "sts"]),
    ("kill ", 5, ["node", "pod"]),
    ("kill node w", 10, ["worker-1", "worker-2"]),
    ("kill pod web", 9, ["web-a", "web-b"]),
    ("exec web", 5, ["web-a", "web-b"]),
    ("exec web-a -- ca", 14, []),
    ("cordon c", 7, ["control-plane"]),
    ("drain worker-1 ", 15, []),
    ("rollout ", 8, ["undo"]),
    ("rollout undo deployment/", 13, ["deployment/web", "deployment/worker"]),
    ("load n", 5, ["node-failure"]),
    ("theme k", 6, ["kubetui-dark", "kubetui-light"]),
    ("speed 1", 6, ["1", "10"]),
    ("apply ", 6, ["-f"]),
    ("frob ", 5, []),
])
def test_complete(line, start, candidates):
    assert c.complete(line, FakeNames()) == c.Completion(start, candidates)


def test_complete_paths(tmp_path, monkeypatch):
    (tmp_path / "web.yaml").write_text("")
    (tmp_path / "wide").mkdir()
    (tmp_path / ".hidden.yaml").write_text("")
    monkeypatch.chdir(tmp_path)
    assert c.complete("apply -f w", FakeNames()).candidates == ["web.yaml", "wide/"]
    assert c.complete(f"apply -f {tmp_path}/we", FakeNames()).candidates == [f"{tmp_path}/web.yaml"]
    assert c.complete("load ./w", FakeNames()).candidates == ["./web.yaml", "./wide/"]


def test_commands_module_does_not_import_textual():
    code = "import sys, kubetui.tui.commands; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
