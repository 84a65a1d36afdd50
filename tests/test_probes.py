"""Liveness, readiness and startup probes of simulated apps: Ready follows readiness, liveness restarts, startup gates."""

import pytest

from kubetui.engine.cluster import Cluster, NodeConfig


@pytest.fixture
def cluster():
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1)
    cluster.advance(1)
    return cluster


def web(annotations=None, **probes):
    container = {"name": "web", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 8080}], **probes}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "annotations": annotations or {}},
            "spec": {"nodeName": "worker-1", "containers": [container]}}


def http(path="/healthz", port="http", **extra):
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": 5, **extra}


def status(cluster):
    return cluster.api.get("pods", "web", "default")["status"]["containerStatuses"][0]


def unhealthy(cluster):
    return [e["message"] for e in cluster.api.list("events", "default")[0]
            if e["reason"] == "Unhealthy" and e["involvedObject"]["name"] == "web"]


def test_readiness_waits_for_the_app_to_start_then_follows_it(cluster):
    cluster.api.create("pods", web({"sim.kubetui.io/ready-after": "12s", "sim.kubetui.io/fail-readiness-after": "40s"},
                                   readinessProbe=http(failureThreshold=1)), "default")
    cluster.advance(8)
    assert "running" in status(cluster)["state"] and status(cluster)["ready"] is False
    ip = cluster.api.get("pods", "web", "default")["status"]["podIP"]
    assert unhealthy(cluster)[0] == (f'Readiness probe failed: Get "http://{ip}:8080/healthz": dial tcp {ip}:8080: '
                                     "connect: connection refused")
    cluster.advance(10)
    assert status(cluster)["ready"] is True
    pod = cluster.api.get("pods", "web", "default")
    assert {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"] == "True"
    cluster.advance(30)
    assert status(cluster)["ready"] is False and status(cluster)["restartCount"] == 0  # not ready is not restarted
    assert "Readiness probe failed: HTTP probe failed with statuscode: 503" in unhealthy(cluster)


def test_a_hung_app_is_restarted_by_its_liveness_probe(cluster):
    cluster.api.create("pods", web({"sim.kubetui.io/fail-liveness-after": "20s"},
                                   livenessProbe=http(failureThreshold=3)), "default")
    cluster.advance(25)
    assert status(cluster)["restartCount"] == 0
    cluster.advance(30)
    assert status(cluster)["restartCount"] >= 1
    events = [(e["reason"], e["message"]) for e in cluster.api.list("events", "default")[0]
              if e["involvedObject"]["name"] == "web"]
    assert ("Killing", "Container web failed liveness probe, will be restarted") in events
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in unhealthy(cluster)


def test_a_probe_on_a_port_nobody_listens_on_keeps_failing(cluster):
    cluster.api.create("pods", web(readinessProbe={"tcpSocket": {"port": 9999}, "periodSeconds": 5}), "default")
    cluster.advance(20)
    assert status(cluster)["ready"] is False
    assert unhealthy(cluster)[0].endswith(":9999: connect: connection refused")


def test_startup_probe_gates_liveness_and_kills_a_container_that_never_starts(cluster):
    slow = web({"sim.kubetui.io/ready-after": "300s"},
               startupProbe=http(failureThreshold=4), livenessProbe=http(failureThreshold=1))
    cluster.api.create("pods", slow, "default")
    cluster.advance(12)
    assert status(cluster)["started"] is False and status(cluster)["ready"] is False
    assert all(m.startswith("Startup probe failed") for m in unhealthy(cluster))  # liveness waits
    cluster.advance(20)
    events = [(e["reason"], e["message"]) for e in cluster.api.list("events", "default")[0]
              if e["involvedObject"]["name"] == "web"]
    assert ("Killing", "Container web failed startup probe, will be restarted") in events


def test_without_probes_a_running_container_is_ready_at_once(cluster):
    cluster.api.create("pods", web({"sim.kubetui.io/ready-after": "60s"}), "default")
    cluster.advance(5)
    assert status(cluster)["ready"] is True and status(cluster)["started"] is True


def test_crash_after_makes_the_process_exit_with_its_code_into_crash_loop_back_off(cluster):
    cluster.api.create("pods", web({"sim.kubetui.io/crash-after": "15s", "sim.kubetui.io/exit-code": "3"}), "default")
    cluster.advance(14)  # the image pull and start take ~1.5 s: still up
    assert "running" in status(cluster)["state"]
    cluster.advance(6)
    last = status(cluster)
    assert last["restartCount"] == 1 and last["lastState"]["terminated"]["exitCode"] == 3
    cluster.advance(15)  # crashed again 15 s after its restart: now backing off
    assert status(cluster)["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    logs = cluster.machines["worker-1"].kubelet.logs("default", "web").splitlines()
    assert logs[-1] == "simulated crash after 15s (exit code 3)"
