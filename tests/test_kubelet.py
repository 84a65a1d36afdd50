"""The kubelet and container runtime: node registration, pod start, restarts, termination, reboots."""

from __future__ import annotations

import ipaddress

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.clock import parse_rfc3339
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.node.kubelet import go_duration
from kubetui.engine.node.runtime import normalize_image, program_of
from kubetui.engine.objects import get_condition


def make_pod(name: str, node: str | None = None, image: str = "nginx:1.25", **spec) -> dict:
    container = {"name": spec.pop("container_name", "web"), "image": image}
    for key in ("command", "args", "resources", "imagePullPolicy"):
        if key in spec:
            container[key] = spec.pop(key)
    pod_spec = {"containers": [container], **spec}
    if node:
        pod_spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": pod_spec}


def pod_events(cluster: Cluster, name: str) -> list[dict]:
    events = cluster.api.list("events", "default")[0]
    found = [e for e in events if e["involvedObject"]["kind"] == "Pod" and e["involvedObject"]["name"] == name]
    return sorted(found, key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))


def reasons(cluster: Cluster, name: str) -> list[str]:
    return [e["reason"] for e in pod_events(cluster, name)]


def container_status(cluster: Cluster, name: str) -> dict:
    return cluster.api.get("pods", name, "default")["status"]["containerStatuses"][0]


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="fast", seed=1)


def test_kubelet_registers_its_node_with_status_labels_and_lease(cluster):
    node = cluster.api.get("nodes", "worker-1")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "worker-1"
    assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
    status = node["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True" and conditions["Ready"]["reason"] == "KubeletReady"
    assert conditions["Ready"]["message"] == "kubelet is posting ready status"
    assert conditions["MemoryPressure"]["reason"] == "KubeletHasSufficientMemory"
    assert conditions["DiskPressure"]["status"] == "False" and conditions["PIDPressure"]["status"] == "False"
    assert status["capacity"]["cpu"] == "4" and status["allocatable"]["pods"] == "110"
    assert "ephemeral-storage" in status["capacity"]
    assert status["nodeInfo"]["kubeletVersion"].startswith("v1.")
    assert status["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")
    address = {a["type"]: a["address"] for a in status["addresses"]}
    assert address["Hostname"] == "worker-1"
    assert ipaddress.ip_address(address["InternalIP"]) in ipaddress.ip_network("172.18.0.0/16")
    control_plane = cluster.api.get("nodes", "control-plane")
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in control_plane["spec"]["taints"]

    lease = cluster.api.get("leases", "worker-1", "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == "worker-1"
    assert lease["spec"]["leaseDurationSeconds"] == int(cluster.profile.node_lease_duration)
    assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"
    first = lease["spec"]["renewTime"]
    cluster.advance(cluster.profile.node_lease_renew_interval + 0.1)
    assert cluster.api.get("leases", "worker-1", "kube-node-lease")["spec"]["renewTime"] > first

    events = [e for e in cluster.api.list("events", "default")[0] if e["involvedObject"]["name"] == "worker-1"]
    assert {"Starting", "NodeHasSufficientMemory", "NodeReady"} <= {e["reason"] for e in events}


def test_node_status_is_written_only_when_changed_or_every_report_interval(cluster):
    cluster.advance(1)
    writes = []
    cluster.api.watch("nodes", lambda t, o, old: writes.append(cluster.now), field_selector="metadata.name=worker-2")
    cluster.advance(cluster.profile.node_status_report_frequency - 10)
    assert writes == []  # leases carry the heartbeat; the status itself is unchanged
    cluster.advance(20)
    assert len(writes) == 1


def test_pod_reaches_running_with_conditions_statuses_events_and_an_ip_in_the_node_cidr(cluster):
    cluster.advance(1)
    cluster.api.create("pods", make_pod("web", "worker-1", resources={"requests": {"cpu": "250m", "memory": "64Mi"}}))
    writes = []
    cluster.api.watch("pods", lambda t, o, old: writes.append(o), field_selector="metadata.name=web")
    cluster.advance(5)
    pod = cluster.api.get("pods", "web", "default")
    status = pod["status"]
    assert status["phase"] == "Running"
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions == {"PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True",
                          "ContainersReady": "True", "PodScheduled": "True"}
    assert status["qosClass"] == "Burstable"
    node = cluster.api.get("nodes", "worker-1")
    assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
    assert status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["hostIP"] == next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    assert status["startTime"]
    cs = status["containerStatuses"][0]
    assert cs["name"] == "web" and cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert cs["image"] == "docker.io/library/nginx:1.25"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert cs["containerID"].startswith("containerd://") and len(cs["containerID"]) == len("containerd://") + 64
    assert "startedAt" in cs["state"]["running"] and cs["lastState"] == {}
    # ContainerCreating (with the sandbox's IP) first, then Running and Ready together.
    assert [w["status"]["phase"] for w in writes] == ["Pending", "Running"]
    assert writes[0]["status"]["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}

    assert reasons(cluster, "web") == ["Pulling", "Pulled", "Created", "Started"]
    by_reason = {e["reason"]: e for e in pod_events(cluster, "web")}
    assert by_reason["Pulling"]["message"] == 'Pulling image "nginx:1.25"'
    assert by_reason["Pulled"]["message"].startswith('Successfully pulled image "nginx:1.25" in 1s (1s including waiting). '
                                                     'Image size: ')
    assert by_reason["Started"]["involvedObject"]["fieldPath"] == "spec.containers{web}"
    assert by_reason["Started"]["source"] == {"component": "kubelet", "host": "worker-1"}
    assert cluster.machines["worker-1"].kubelet.allocated() == {"cpu": 250, "memory": 64 * 2 ** 20, "pods": 1}

    rows = cluster.machines["worker-1"].runtime.containers()
    assert [(r.name, r.state) for r in rows if r.pod == "web"] == [("POD", "Ready"), ("web", "Running")]


def test_second_pod_finds_the_image_present_and_gets_a_new_ip(cluster):
    cluster.advance(1)
    cluster.api.create("pods", make_pod("a", "worker-1"))
    cluster.advance(5)
    cluster.api.create("pods", make_pod("b", "worker-1"))
    cluster.advance(1)
    assert cluster.api.get("pods", "b", "default")["status"]["phase"] == "Running"
    assert reasons(cluster, "b") == ["Pulled", "Created", "Started"]
    assert pod_events(cluster, "b")[0]["message"] == \
        'Container image "nginx:1.25" already present on machine and can be accessed by the pod'
    ip_a = cluster.api.get("pods", "a", "default")["status"]["podIP"]
    ip_b = cluster.api.get("pods", "b", "default")["status"]["podIP"]
    assert ip_a != ip_b


def test_crash_loop_backs_off_10_20_40_seconds(cluster):
    cluster = Cluster(nodes=[NodeConfig("worker-1")], profile="realistic", seed=1)
    cluster.advance(1)  # the node has its podCIDR (a pod bound before that waits for the network)
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(10)
    restarts = []
    for attempt in range(1, 5):
        crashed = cluster.now
        cluster.crash_container("default", "web")
        cluster.advance(1.5)
        cs = container_status(cluster, "web")
        if attempt > 1:
            assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
            delay = go_duration(10 * 2 ** (attempt - 2))
            uid = cluster.api.get("pods", "web", "default")["metadata"]["uid"]
            assert cs["state"]["waiting"]["message"] == \
                f"back-off {delay} restarting failed container=web pod=web_default({uid})"
            assert cs["lastState"]["terminated"]["exitCode"] == 1
            assert cs["lastState"]["terminated"]["reason"] == "Error"
            assert cluster.api.get("pods", "web", "default")["status"]["phase"] == "Running"
            assert not cs["ready"]
        while container_status(cluster, "web")["restartCount"] < attempt:
            cluster.advance(0.5)
        restarts.append(cluster.now - crashed)
        assert "running" in container_status(cluster, "web")["state"]
    # The first restart is immediate (next relist); then the back-off doubles: 10 s, 20 s, 40 s.
    assert restarts[0] <= 2
    assert [round(r) for r in restarts[1:]] == [10, 20, 40]
    backoff = [e for e in pod_events(cluster, "web") if e["reason"] == "BackOff"][0]
    assert backoff["type"] == "Warning" and backoff["count"] == 3
    assert backoff["message"].startswith("Back-off restarting failed container web in pod web_default(")
    labels = [t.label for t in cluster.clock.pending()]
    assert labels == []  # no restart is waiting right now


def test_crash_loop_back_off_is_a_visible_countdown(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    cluster.crash_container("default", "web")
    cluster.advance(2)
    cluster.crash_container("default", "web")
    cluster.advance(1.5)
    assert "restart default/web container web" in [t.label for t in cluster.clock.pending()]


def test_crash_container_rejects_containers_that_are_not_running(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    with pytest.raises(ApiError) as err:
        cluster.crash_container("default", "web")
    assert err.value.code == 400


@pytest.mark.parametrize(("policy", "script", "phase", "exit_code", "reason"), [
    ("Never", "sleep 3; exit 3", "Failed", 3, "Error"),
    ("OnFailure", "echo done", "Succeeded", 0, "Completed"),
    ("Never", "true", "Succeeded", 0, "Completed"),
])
def test_containers_that_finish_end_the_pod_per_restart_policy(cluster, policy, script, phase, exit_code, reason):
    cluster.api.create("pods", make_pod("job", "worker-1", image="busybox:1.36", command=["sh", "-c", script],
                                        restartPolicy=policy))
    cluster.advance(10)
    status = cluster.api.get("pods", "job", "default")["status"]
    assert status["phase"] == phase
    term = status["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (exit_code, reason)
    ready = get_condition({"status": status}, "Ready")
    assert ready["status"] == "False"
    if phase == "Succeeded":
        assert ready["reason"] == "PodCompleted"
    assert get_condition({"status": status}, "PodReadyToStartContainers")["status"] == "False"
    assert cluster.machines["worker-1"].kubelet.allocated()["pods"] == 0


def test_busybox_without_a_command_exits_at_once_and_crash_loops(cluster):
    cluster.api.create("pods", make_pod("bb", "worker-1", image="busybox:1.36"))
    cluster.advance(12)
    cs = container_status(cluster, "bb")
    assert cs["restartCount"] >= 1
    assert cs["lastState"]["terminated"]["reason"] == "Completed"


def test_graceful_delete_stops_containers_then_the_kubelet_removes_the_pod(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    seen = []
    cluster.api.watch("pods", lambda t, o, old: seen.append((t, o)), field_selector="metadata.name=web")
    cluster.api.delete("pods", "web", "default")
    cluster.advance(0.1)
    pod = cluster.api.get("pods", "web", "default")
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    killing = [e for e in pod_events(cluster, "web") if e["reason"] == "Killing"]
    assert [e["message"] for e in killing] == ["Stopping container web"]
    cluster.advance(2)
    assert cluster.api.try_get("pods", "web", "default") is None
    final = [o for t, o in seen if t == "MODIFIED"][-1]
    assert final["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert final["status"]["phase"] == "Succeeded"
    assert seen[-1][0] == "DELETED"
    machine = cluster.machines["worker-1"]
    assert machine.kubelet.allocated()["pods"] == 0
    assert [r for r in machine.runtime.containers() if r.pod == "web"] == []


def test_a_shell_ignoring_sigterm_is_killed_after_the_grace_period(cluster):
    cluster.api.create("pods", make_pod("sleeper", "worker-1", image="busybox:1.36",
                                        command=["sh", "-c", "sleep 3600"], terminationGracePeriodSeconds=8))
    cluster.advance(5)
    start = cluster.now
    seen = []
    cluster.api.watch("pods", lambda t, o, old: seen.append((cluster.now, t, o)), field_selector="metadata.name=sleeper")
    cluster.api.delete("pods", "sleeper", "default")
    cluster.advance(20)
    gone = next(t for t, kind, _ in seen if kind == "DELETED")
    assert gone - start == pytest.approx(8)
    final = [o for _, kind, o in seen if kind == "MODIFIED"][-1]
    assert final["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 137


def test_init_containers_run_in_order_before_the_app(cluster):
    pod = make_pod("app", "worker-1")
    pod["spec"]["initContainers"] = [
        {"name": "wait-db", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2"]},
        {"name": "migrate", "image": "busybox:1.36", "command": ["sh", "-c", "echo migrated"]},
    ]
    cluster.api.create("pods", pod)
    cluster.advance(2)
    status = cluster.api.get("pods", "app", "default")["status"]
    assert status["phase"] == "Pending"
    init = get_condition({"status": status}, "Initialized")
    assert init["status"] == "False" and init["message"] == "containers with incomplete status: [wait-db migrate]"
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
    cluster.advance(15)
    status = cluster.api.get("pods", "app", "default")["status"]
    assert status["phase"] == "Running"
    assert [s["state"]["terminated"]["reason"] for s in status["initContainerStatuses"]] == ["Completed", "Completed"]
    order = [(e["involvedObject"].get("fieldPath"), e["reason"]) for e in pod_events(cluster, "app")
             if e["reason"] == "Started"]
    assert [f for f, _ in order] == ["spec.initContainers{wait-db}", "spec.initContainers{migrate}",
                                     "spec.containers{web}"]
    assert cluster.machines["worker-1"].kubelet.logs("default", "app", "migrate") == "migrated\n"


def test_kubelet_admission_rejects_a_pod_that_does_not_fit(cluster):
    cluster.api.create("pods", make_pod("huge", "worker-1", resources={"requests": {"cpu": "8"}}))
    cluster.advance(1)
    status = cluster.api.get("pods", "huge", "default")["status"]
    assert status["phase"] == "Failed" and status["reason"] == "OutOfcpu"
    assert status["message"] == ("Pod was rejected: Node didn't have enough resource: cpu, requested: 8000, "
                                 "used: 0, capacity: 4000")
    assert reasons(cluster, "huge") == ["OutOfcpu"]


def test_image_pull_policy_never_without_the_image(cluster):
    cluster.advance(1)  # the node has its podCIDR
    cluster.api.create("pods", make_pod("local", "worker-1", image="my-app:dev", imagePullPolicy="Never"))
    cluster.advance(2)
    waiting = container_status(cluster, "local")["state"]["waiting"]
    assert waiting == {"reason": "ErrImageNeverPull",
                       "message": 'Container image "my-app:dev" is not present with pull policy of Never'}


def test_logs_of_a_waiting_container_is_an_error(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(0.1)
    with pytest.raises(ApiError, match="is waiting to start: ContainerCreating"):
        cluster.machines["worker-1"].kubelet.logs("default", "web")


def test_power_off_freezes_the_pods_and_reboot_restarts_them_with_new_sandboxes(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    before = cluster.api.get("pods", "web", "default")
    cluster.kill_node("worker-1")
    lease = cluster.api.get("leases", "worker-1", "kube-node-lease")["spec"]["renewTime"]
    cluster.advance(5)
    assert cluster.api.get("leases", "worker-1", "kube-node-lease")["spec"]["renewTime"] == lease
    assert cluster.api.get("pods", "web", "default")["status"]["containerStatuses"] == \
        before["status"]["containerStatuses"]  # nobody is left to report anything
    cluster.restart_node("worker-1")
    cluster.advance(3)
    after = cluster.api.get("pods", "web", "default")
    cs = after["status"]["containerStatuses"][0]
    assert after["status"]["phase"] == "Running" and cs["ready"]
    assert cs["restartCount"] == 1
    assert cs["lastState"]["terminated"]["exitCode"] == 255 and cs["lastState"]["terminated"]["reason"] == "Unknown"
    assert after["status"]["podIP"] != before["status"]["podIP"]
    assert "SandboxChanged" in reasons(cluster, "web")
    node_events = [e["reason"] for e in cluster.api.list("events", "default")[0]
                   if e["involvedObject"]["name"] == "worker-1"]
    assert "Rebooted" in node_events


def test_a_pod_deleted_while_its_node_is_down_is_finished_after_reboot(cluster):
    cluster.api.create("pods", make_pod("web", "worker-1"))
    cluster.advance(5)
    cluster.kill_node("worker-1")
    cluster.api.delete("pods", "web", "default")
    cluster.advance(60)
    assert cluster.api.get("pods", "web", "default")["metadata"]["deletionTimestamp"]
    cluster.restart_node("worker-1")
    cluster.advance(1)
    assert cluster.api.try_get("pods", "web", "default") is None


def test_finished_and_rejected_pods_keep_their_status_across_a_reboot(cluster):
    cluster.api.create("pods", make_pod("done", "worker-1", image="busybox:1.36", command=["true"],
                                        restartPolicy="Never"))
    cluster.api.create("pods", make_pod("huge", "worker-1", resources={"requests": {"cpu": "8"}}))
    cluster.advance(5)
    before = {n: cluster.api.get("pods", n, "default")["status"] for n in ("done", "huge")}
    assert [before["done"]["phase"], before["huge"]["phase"]] == ["Succeeded", "Failed"]
    cluster.kill_node("worker-1")
    cluster.restart_node("worker-1")
    cluster.advance(5)
    after = {n: cluster.api.get("pods", n, "default")["status"] for n in ("done", "huge")}
    assert after == before


def test_a_long_running_container_does_not_keep_the_cluster_busy(cluster):
    cluster.api.create("pods", make_pod("sleeper", "worker-1", image="busybox:1.36", command=["sleep", "3600"]))
    assert cluster.run_until_idle() < 120
    assert cluster.api.get("pods", "sleeper", "default")["status"]["phase"] == "Running"
    cluster.advance(3600)
    assert container_status(cluster, "sleeper")["restartCount"] == 1  # it exited (0) and was restarted


def test_program_model_and_image_names():
    assert program_of({"image": "nginx"}).duration is None
    assert program_of({"image": "busybox", "command": ["sleep", "30"]}).duration == 30
    sleeper = program_of({"image": "busybox", "command": ["sh", "-c", "echo hi; sleep 1m && exit 2"]})
    assert (sleeper.duration, sleeper.exit_code, sleeper.output, sleeper.obeys_sigterm) == (60, 2, ("hi",), False)
    assert program_of({"image": "busybox", "command": ["sh", "-c", "while true; do sleep 1; done"]}).duration is None
    assert normalize_image("nginx") == "docker.io/library/nginx:latest"
    assert normalize_image("registry.k8s.io/pause:3.10") == "registry.k8s.io/pause:3.10"
    assert normalize_image("bitnami/redis:7") == "docker.io/bitnami/redis:7"
    assert [go_duration(s) for s in (0.2, 1.5, 40, 80, 300)] == ["200ms", "1.5s", "40s", "1m20s", "5m0s"]
    assert parse_rfc3339("2026-01-01T00:00:10Z") == 10


def test_two_containers_of_a_pod_cannot_bind_the_same_port(cluster):
    cluster.advance(1)
    pod = make_pod("pair", "worker-1")
    pod["spec"]["containers"] = [
        {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
        {"name": "proxy", "image": "envoyproxy/envoy:v1.31", "ports": [{"containerPort": 80}]},
        {"name": "metrics", "image": "prom/statsd-exporter", "ports": [{"containerPort": 9102}]}]
    cluster.api.create("pods", pod)
    cluster.advance(30)
    statuses = {cs["name"]: cs for cs in cluster.api.get("pods", "pair", "default")["status"]["containerStatuses"]}
    assert "running" in statuses["web"]["state"] and "running" in statuses["metrics"]["state"]
    proxy = statuses["proxy"]
    assert proxy["restartCount"] >= 1 and proxy["lastState"]["terminated"]["exitCode"] == 1
    assert cluster.machines["worker-1"].kubelet.logs("default", "pair", "proxy").strip() == \
        "listen tcp 0.0.0.0:80: bind: address already in use"


def test_a_misspelt_image_is_err_image_pull_then_image_pull_back_off(cluster):
    cluster.advance(1)
    cluster.api.create("pods", make_pod("typo", "worker-1", image="ngnix"))
    cluster.advance(1)
    waiting = container_status(cluster, "typo")["state"]["waiting"]
    assert waiting["reason"] == "ErrImagePull"
    assert "docker.io/library/ngnix:latest" in waiting["message"] and "repository does not exist" in waiting["message"]
    cluster.advance(2)
    assert container_status(cluster, "typo")["state"]["waiting"] == {
        "reason": "ImagePullBackOff", "message": 'Back-off pulling image "ngnix"'}
    reasons = [(e["type"], e["reason"], e["message"]) for e in pod_events(cluster, "typo")]
    assert ("Normal", "Pulling", 'Pulling image "ngnix"') in reasons
    assert ("Warning", "Failed", "Error: ErrImagePull") in reasons
    assert ("Normal", "BackOff", 'Back-off pulling image "ngnix"') in reasons
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in reasons
    assert any(t.label == "retry pulling ngnix for default/typo" for t in cluster.clock.pending())
    cluster.advance(10)  # the back-off (10 s) has passed: pulled again, failed again, now 20 s
    pulling = [e for e in pod_events(cluster, "typo") if e["reason"] == "Pulling"]
    assert pulling[0]["count"] == 2
    assert cluster.api.get("pods", "typo", "default")["status"]["phase"] == "Pending"
