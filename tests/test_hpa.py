"""HorizontalPodAutoscaler: simulated CPU usage, the metrics server, and the controller's scaling rules."""

import pytest

from kubetui import printers
from kubetui.engine.api import kinds
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.controllers.replicacalculator import PodInfo, Sample, Timing, Tolerances, resource_replicas
from kubetui.engine.node import usage


def _pod(annotations):
    return {"metadata": {"annotations": annotations}}


def test_cpu_profile_over_time_and_per_container():
    pod = _pod({"sim.kubetui.io/cpu": "50m; 400m@2m; 100m@10m", "sim.kubetui.io/cpu.side": "7m"})
    assert [usage.container_cpu_millis(pod, "app", t, 0) for t in (0, 119, 120, 599, 600)] == [50, 50, 400, 400, 100]
    assert usage.container_cpu_millis(pod, "side", 500, 0) == 7
    late = _pod({"sim.kubetui.io/cpu": "300m@1m"})
    assert usage.container_cpu_millis(late, "app", 30, 0) == usage.IDLE_CPU_MILLIS
    assert usage.container_cpu_millis(_pod({"sim.kubetui.io/cpu": "lots"}), "app", 0, 0) == usage.IDLE_CPU_MILLIS


def test_traffic_adds_cpu_per_request():
    assert usage.container_cpu_millis(_pod({}), "app", 0, 10) == 1 + 50
    pod = _pod({"sim.kubetui.io/cpu": "20m", "sim.kubetui.io/cpu-per-request": "2m"})
    assert usage.container_cpu_millis(pod, "app", 0, 2.5) == 25


def _cluster(request="100m", annotations=None):
    cluster = Cluster(nodes=[NodeConfig("worker-1", cpu="8"), NodeConfig("worker-2", cpu="8")], profile="fast", seed=1)
    client = LocalClient(cluster)
    resources = {"requests": {"cpu": request}} if request else {}
    client.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}, "annotations": annotations or {}}, "spec": {
            "containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                            "resources": resources}]}}}})
    client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    return cluster, client


def _hpa(client, min_replicas=1, max_replicas=10, target=None):
    client.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                   "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                            "minReplicas": min_replicas, "maxReplicas": max_replicas, "metrics": [{
                                "type": "Resource", "resource": {"name": "cpu", "target": target or {
                                    "type": "Utilization", "averageUtilization": 50}}}]}})


def _conditions(client):
    hpa = client.get("horizontalpodautoscalers", "web")
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in hpa["status"].get("conditions") or ()}


def _events(client, reason):
    """Messages of the HPA's events with `reason`, oldest first (events are listed by name, not time)."""
    found = [e for e in client.list("events")
             if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler" and e["reason"] == reason]
    return [e["message"] for e in sorted(found, key=lambda e: int(e["metadata"]["resourceVersion"]))]


def test_metrics_server_and_kubectl_top():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "150m", "sim.kubetui.io/memory": "64Mi"})
    cluster.advance(45)
    [pod] = client.list("pods")
    assert client.top_pods() == [["NAME", "CPU(cores)", "MEMORY(bytes)"], [pod["metadata"]["name"], "150m", "64Mi"]]
    [metrics] = cluster.metrics.pod_metrics("default")
    assert metrics["window"] == "15s" and metrics["containers"] == [
        {"name": "web", "usage": {"cpu": "150m", "memory": "65536Ki"}}]
    nodes = {row[0]: row for row in client.top_nodes()[1:]}
    assert nodes[pod["spec"]["nodeName"]][1] == "200m"  # the pod plus the node's own 50m


def test_scales_up_under_traffic_and_down_after_the_stabilization_window():
    cluster, client = _cluster()
    _hpa(client)
    cluster.advance(60)
    assert _conditions(client)["ScalingActive"][:2] == ("True", "ValidMetricFound")
    kind = kinds.by_plural("horizontalpodautoscalers")
    row = printers.table(kind, [client.get("horizontalpodautoscalers", "web")], cluster.now, all_namespaces=False)
    assert row == [["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
                   ["web", "Deployment/web", "cpu: 1%/50%", "1", "10", "1", "60s"]]
    client.traffic_start("load", "web", rate=40)  # 40 req/s × 5m = 200m on a 100m request: 200%
    cluster.advance(30)
    assert client.get("deployments", "web")["spec"]["replicas"] == 4
    assert _events(client, "SuccessfulRescale") == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"]
    status = client.get("horizontalpodautoscalers", "web")["status"]
    assert status["desiredReplicas"] == 4 and status["lastScaleTime"]
    cluster.advance(120)
    status = client.get("horizontalpodautoscalers", "web")["status"]
    assert status["currentReplicas"] == 4 and 40 <= status["currentMetrics"][0]["resource"]["current"]["averageUtilization"] <= 55
    assert _conditions(client)["AbleToScale"][:2] == ("True", "ReadyForNewScale")
    client.traffic_stop("load")
    stopped = cluster.now
    cluster.advance(60)
    assert client.get("deployments", "web")["spec"]["replicas"] == 4
    assert _conditions(client)["AbleToScale"] == (
        "True", "ScaleDownStabilized",
        "recent recommendations were higher than current one, applying the highest recent recommendation")
    while client.get("deployments", "web")["spec"]["replicas"] == 4:
        cluster.advance(15)
    assert 290 <= cluster.now - stopped <= 330
    assert client.get("deployments", "web")["spec"]["replicas"] == 1
    assert _events(client, "SuccessfulRescale")[-1] == "New size: 1; reason: All metrics below target"


def test_max_and_min_replicas_limit_the_scale():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "900m"})
    _hpa(client, max_replicas=3)
    cluster.advance(120)
    assert client.get("deployments", "web")["spec"]["replicas"] == 3
    assert _conditions(client)["ScalingLimited"] == (
        "True", "TooManyReplicas", "the desired replica count is more than the maximum replica count")
    cluster2, client2 = _cluster()
    _hpa(client2, min_replicas=2)
    cluster2.advance(30)
    assert client2.get("deployments", "web")["spec"]["replicas"] == 2
    assert _events(client2, "SuccessfulRescale") == ["New size: 2; reason: Current number of replicas below Spec.MinReplicas"]
    cluster2.advance(330)  # past the scale-down stabilization window: the 1 recommended is held at 2
    assert client2.get("deployments", "web")["spec"]["replicas"] == 2
    assert _conditions(client2)["ScalingLimited"] == (
        "True", "TooFewReplicas", "the desired replica count is less than the minimum replica count")


def test_missing_cpu_request_fails_to_get_the_metric():
    cluster, client = _cluster(request=None)
    _hpa(client)
    cluster.advance(60)
    [pod] = client.list("pods")
    error = f"failed to get cpu utilization: missing request for cpu in container web of Pod {pod['metadata']['name']}"
    assert _conditions(client)["ScalingActive"] == (
        "False", "FailedGetResourceMetric", f"the HPA was unable to compute the replica count: {error}")
    assert error in _events(client, "FailedGetResourceMetric")
    row = printers.table(kinds.by_plural("horizontalpodautoscalers"), [client.get("horizontalpodautoscalers", "web")],
                         cluster.now, all_namespaces=False)[1]
    assert row[2] == "cpu: <unknown>/50%"


def test_average_value_target():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "300m"})
    _hpa(client, target={"type": "AverageValue", "averageValue": "100m"})
    cluster.advance(90)
    # every pod keeps using 300m whatever the count, so the HPA keeps growing it, as fast as policies allow
    events = _events(client, "SuccessfulRescale")
    assert events[0] == "New size: 3; reason: cpu resource above target" and len(events) >= 2
    status = client.get("horizontalpodautoscalers", "web")["status"]
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "300m"}}}]


TIMING = Timing(1000.0, 300.0, 30.0)


def _ready_pods(n, start=0.0):
    return [PodInfo(f"p{i}", "Running", False, "True", start, start, (("c", {"cpu": 100}),)) for i in range(n)]


def _replicas(current, pods, metrics):
    return resource_replicas(current, pods, metrics, 50, "cpu", "", Tolerances(), TIMING)[0]


@pytest.mark.parametrize("used,expected", [(54, 4), (46, 4), (56, 5), (44, 4), (40, 4), (39, 4), (30, 3)])
def test_tolerance_keeps_the_count_within_ten_percent(used, expected):
    pods = _ready_pods(4)
    metrics = {p.name: Sample(used, 1000.0, 15.0) for p in pods}
    assert _replicas(4, pods, metrics) == expected


def test_unready_pods_count_as_idle_on_scale_up_and_missing_as_full_on_scale_down():
    pods = _ready_pods(2) + [PodInfo("new", "Pending", False, None, None, None, (("c", {"cpu": 100}),))]
    metrics = {"p0": Sample(100, 1000.0, 15.0), "p1": Sample(100, 1000.0, 15.0)}
    # 200% over two ready pods; the pending one counts as 0%: 200/300 → ratio 1.33 × 3 pods → 4
    assert _replicas(3, pods, metrics) == 4
    pods = _ready_pods(3)
    metrics = {"p0": Sample(10, 1000.0, 15.0), "p1": Sample(10, 1000.0, 15.0)}
    # p2 has no metrics: on scale-down it counts as 100% of its request → (10+10+100)/300 = 40% → ceil(0.8×3)
    assert _replicas(3, pods, metrics) == 3
