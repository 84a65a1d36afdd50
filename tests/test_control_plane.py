"""An HA control plane: leader election through Leases, takeover when the leader's machine dies, etcd quorum."""

from __future__ import annotations

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.leaderelection import LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD, Gate
from kubetui.engine.workqueue import WorkQueue
from kubetui.printers import node_status

COMPONENTS = ("kube-scheduler", "kube-controller-manager", "cloud-controller-manager")


def ha_cluster(control_planes: int = 3, workers: int = 2) -> Cluster:
    nodes = [NodeConfig(f"cp-{i}", role="control-plane") for i in range(1, control_planes + 1)]
    nodes += [NodeConfig(f"worker-{i}") for i in range(1, workers + 1)]
    return Cluster(nodes=nodes, profile="fast", seed=1)


def deployment(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def running(cluster: Cluster, app: str) -> list[dict]:
    pods = cluster.api.list("pods", "default", label_selector=f"app={app}")[0]
    return [p for p in pods if (p.get("status") or {}).get("phase") == "Running"
            and not p["metadata"].get("deletionTimestamp")]


def holder(cluster: Cluster, component: str) -> str:
    return cluster.api.get("leases", component, "kube-system")["spec"]["holderIdentity"]


def leader_events(cluster: Cluster) -> list[str]:
    return [e["message"] for e in cluster.api.list("events", "kube-system")[0] if e["reason"] == "LeaderElection"]


def test_each_component_holds_its_lease_on_the_first_control_plane_machine():
    cluster = ha_cluster()
    cluster.advance(10)
    for component in COMPONENTS:
        lease = cluster.api.get("leases", component, "kube-system")
        assert lease["spec"]["holderIdentity"].startswith("cp-1_")
        assert lease["spec"]["leaseDurationSeconds"] == LEASE_DURATION
        assert cluster.control_plane.leader(component) == "cp-1"
    assert sum(m.endswith("became leader") and m.startswith("cp-1_") for m in leader_events(cluster)) == 3
    status = cluster.control_plane.status()
    assert (status["members"], status["running"], status["needed"], status["quorum"]) == (3, 3, 2, True)


def test_killing_the_leaders_machine_hands_over_after_the_lease_expires():
    cluster = ha_cluster()
    cluster.api.create("deployments", deployment("web", 2))
    cluster.advance(30)
    old = holder(cluster, "kube-controller-manager")
    transitions = cluster.api.get("leases", "kube-controller-manager", "kube-system")["spec"]["leaseTransitions"]
    killed_at = cluster.now
    cluster.kill_node("cp-1")
    assert cluster.control_plane.leader("kube-controller-manager") is None  # its process died with the machine
    cluster.api.patch("deployments", "web", {"spec": {"replicas": 4}}, "merge", "default")  # quorum holds: accepted
    cluster.advance(LEASE_DURATION - RETRY_PERIOD - 1)
    assert cluster.control_plane.leader("kube-controller-manager") is None
    assert len(cluster.api.list("pods", "default")[0]) == 2  # nobody runs the ReplicaSet controller meanwhile
    while cluster.control_plane.leader("kube-controller-manager") is None:
        cluster.advance(0.5)
        assert cluster.now - killed_at <= LEASE_DURATION + RETRY_PERIOD + 1
    took_over = cluster.now - killed_at
    assert LEASE_DURATION - RETRY_PERIOD <= took_over <= LEASE_DURATION + RETRY_PERIOD
    lease = cluster.api.get("leases", "kube-controller-manager", "kube-system")["spec"]
    assert lease["holderIdentity"] != old and lease["holderIdentity"].split("_")[0] in ("cp-2", "cp-3")
    assert lease["leaseTransitions"] == transitions + 1
    assert any(m == f"{lease['holderIdentity']} became leader" for m in leader_events(cluster))
    cluster.advance(30)
    assert len(running(cluster, "web")) == 4  # the new leader did the waiting work


def test_losing_etcd_quorum_fails_writes_and_stalls_the_controllers_until_a_member_returns():
    cluster = ha_cluster()
    cluster.api.create("deployments", deployment("web", 2))
    cluster.advance(30)
    cluster.kill_node("cp-2")
    cluster.api.patch("deployments", "web", {"spec": {"replicas": 3}}, "merge", "default")  # 2 of 3: still fine
    cluster.advance(20)
    assert len(running(cluster, "web")) == 3
    cluster.kill_node("cp-3")
    status = cluster.control_plane.status()
    assert (status["running"], status["quorum"], status["serving"]) == (1, False, True)
    with pytest.raises(ApiError) as failed:
        cluster.api.patch("deployments", "web", {"spec": {"replicas": 5}}, "merge", "default")
    assert (failed.value.code, str(failed.value)) == (500, "etcdserver: request timed out")
    assert cluster.api.get("deployments", "web", "default")["spec"]["replicas"] == 3  # reads are still served
    revision = cluster.store.revision
    cluster.advance(RENEW_DEADLINE + RETRY_PERIOD + 1)
    assert all(cluster.control_plane.leader(c) is None for c in COMPONENTS)  # the leaders gave up
    cluster.advance(200)  # far past the node grace period: nobody can mark nodes NotReady, nothing is written
    assert cluster.store.revision == revision
    assert any(err[2] == "etcdserver: request timed out" for err in cluster.ctx.errors)
    assert len(running(cluster, "web")) == 3  # the containers on the workers kept running
    cluster.restart_node("cp-3")
    assert cluster.control_plane.quorum
    cluster.advance(5)
    assert all(cluster.control_plane.leader(c) is not None for c in COMPONENTS)
    cluster.api.patch("deployments", "web", {"spec": {"replicas": 5}}, "merge", "default")
    cluster.advance(60)
    assert len(running(cluster, "web")) == 5
    # A new controller-manager gives every node a fresh grace period: the silent outage evicts nobody.
    statuses = {n["metadata"]["name"]: node_status(n) for n in cluster.api.list("nodes")[0]}
    assert statuses == {"cp-1": "Ready", "cp-2": "NotReady", "cp-3": "Ready", "worker-1": "Ready", "worker-2": "Ready"}
    assert not [e for e in cluster.api.list("events", "default")[0] if e["reason"] == "TaintManagerEviction"]


def test_two_members_have_no_quorum_with_one_down():
    cluster = ha_cluster(control_planes=2)
    cluster.advance(5)
    cluster.kill_node("cp-2")
    assert not cluster.control_plane.quorum
    with pytest.raises(ApiError, match="etcdserver: request timed out"):
        cluster.api.create("deployments", deployment("web", 1))


def test_powering_off_a_lone_control_plane_stops_the_api_and_a_restart_resumes_everything():
    cluster = Cluster(profile="fast", seed=1)
    client = LocalClient(cluster)
    client.create(deployment("web", 3))
    cluster.advance(30)
    assert len(running(cluster, "web")) == 3
    cluster.kill_node("control-plane")
    with pytest.raises(ApiError) as refused:
        client.scale("deployments", "web", 6, "default")
    assert refused.value.code == 503
    assert str(refused.value) == ("The connection to the server 172.18.0.2:6443 was refused - "
                                  "did you specify the right host or port?")
    cluster.advance(300)
    assert len(running(cluster, "web")) == 3
    cluster.restart_node("control-plane")
    cluster.advance(5)
    client.scale("deployments", "web", 6, "default")
    cluster.advance(60)
    assert len(running(cluster, "web")) == 6
    assert all(node_status(n) == "Ready" for n in cluster.api.list("nodes")[0])


def test_a_busy_cluster_rides_out_an_outage():
    """Every component that writes on a timer survives refused writes (no exception escapes the clock)."""
    cluster = Cluster(profile="fast", seed=3)
    client = LocalClient(cluster)
    client.create(deployment("web", 4))
    client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}})
    client.create({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default"},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": "pi", "image": "perl", "command": ["sh", "-c", "sleep 20"]}]}}}})
    cluster.advance(10)
    client.traffic_start("load", "web", rate=10)
    cluster.advance(5)
    cluster.kill_node("control-plane")
    cluster.advance(120)
    cluster.restart_node("control-plane")
    cluster.advance(120)
    job = client.get("jobs", "pi", "default")
    assert any(c["type"] == "Complete" and c["status"] == "True" for c in job["status"].get("conditions", ()))
    assert len(running(cluster, "web")) == 4
    assert client.get("services", "web", "default")["status"]["loadBalancer"]["ingress"]


def test_a_gated_work_queue_waits_for_a_leader_and_starts_fresh():
    from kubetui.engine.clock import Clock
    clock = Clock()
    gate = Gate("kube-controller-manager")
    gate.elected = True
    synced: list[tuple[float, str]] = []
    failing = {"b"}

    def sync(key: str) -> None:
        synced.append((clock.now, key))
        if key in failing:
            raise RuntimeError("refused")

    queue = WorkQueue(clock, sync, "test", gate=gate)
    queue.add("a")
    clock.advance(10)
    assert synced == []
    gate.lead("cp-1_x")
    clock.advance(0)
    assert synced == [(10, "a")]
    queue.add("b")
    clock.advance(5)  # fails again and again, backing off
    failures = len(synced) - 1
    assert failures > 5
    gate.release()
    clock.advance(100)
    assert len(synced) - 1 == failures  # no leader, no syncs
    failing.clear()
    gate.lead("cp-2_y")  # a new process has no backoff: b is synced at once
    clock.advance(0)
    assert synced[-1] == (115, "b")


def test_the_kubernetes_endpoints_list_the_api_servers_with_a_live_master_lease():
    cluster = ha_cluster()
    cluster.advance(1)

    def addresses() -> list[str]:
        endpoints = cluster.api.get("endpoints", "kubernetes", "default")
        assert endpoints["subsets"][0]["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]
        return [a["ip"] for a in endpoints["subsets"][0]["addresses"]]

    ips = [cluster.machines[f"cp-{i}"].ip for i in (1, 2, 3)]
    assert addresses() == ips
    assert sorted(cluster.store.keys("/registry/masterleases/")) == [f"/registry/masterleases/{ip}" for ip in ips]
    cluster.kill_node("cp-1")
    cluster.advance(14)
    assert addresses() == ips  # its lease has not expired yet
    cluster.advance(12)  # TTL 15 s, then the next 10 s reconcile of a live API server
    assert addresses() == ips[1:]
    cluster.restart_node("cp-1")
    cluster.advance(1)
    assert addresses() == ips


def test_the_bundled_ha_scenario_plays_takeover_quorum_loss_and_recovery():
    from kubetui.data import data_dir
    from kubetui.scenario.loader import load_scenario
    from kubetui.scenario.runner import run_for, start

    run = start(load_scenario(data_dir("scenarios") / "ha-control-plane.yaml"))
    run_for(run, 60)
    assert run.cluster.control_plane.leader("kube-controller-manager") in ("control-plane-2", "control-plane-3")
    run_for(run, 300)
    failed = [line for line in run.log if line.startswith("2m: scale")]
    assert len(failed) == 1 and failed[0].endswith("etcdserver: request timed out")
    assert run.log[-1] == "3m20s: scale deployment/web"
    assert len(running(run.cluster, "web")) == 8
