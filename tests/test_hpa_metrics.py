"""HorizontalPodAutoscaler: every metric type, several metrics, the legacy and behavior paths, TARGETS."""

import copy

import kubernetes_validate

from kubetui import printers
from kubetui.engine.api import kinds
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig
from kubetui.engine.controllers.horizontalpodautoscaler import go_selector
from kubetui.engine.quantity import format_decimal_millis

MI = 1024 * 1024


def _cluster(containers=None, annotations=None, replicas=1):
    cluster = Cluster(nodes=[NodeConfig("worker-1", cpu="16", memory="32Gi"),
                             NodeConfig("worker-2", cpu="16", memory="32Gi")], profile="fast", seed=1)
    client = LocalClient(cluster)
    containers = containers or [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}}}]
    client.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}, "annotations": annotations or {}},
                     "spec": {"containers": containers}}}})
    client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                   "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    return cluster, client


def _hpa(client, metrics, max_replicas=10, behavior=None, min_replicas=1):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": min_replicas, "maxReplicas": max_replicas, "metrics": metrics}
    if behavior is not None:
        spec["behavior"] = behavior
    client.create({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
                   "spec": spec})


def _cpu(target=50):
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}


def _memory(target=80):
    return {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": target}}}


def _status(client):
    return client.get("horizontalpodautoscalers", "web")["status"]


def _conditions(client):
    return {c["type"]: (c["status"], c["reason"], c["message"]) for c in _status(client).get("conditions") or ()}


def _events(client, reason):
    found = [e for e in client.list("events")
             if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler" and e["reason"] == reason]
    return [e["message"] for e in sorted(found, key=lambda e: int(e["metadata"]["resourceVersion"]))]


def _replicas(client):
    return client.get("deployments", "web")["spec"]["replicas"]


def _targets(cluster, client):
    row = printers.table(kinds.by_plural("horizontalpodautoscalers"), [client.get("horizontalpodautoscalers", "web")],
                         cluster.now, all_namespaces=False)[1]
    return row[2]


def _valid(client):
    kubernetes_validate.validate(client.get("horizontalpodautoscalers", "web"),
                                 kubernetes_validate.latest_version(), strict=True)


def test_memory_utilization_scales_and_reports_the_raw_average():
    cluster, client = _cluster(annotations={"sim.kubetui.io/memory": "90Mi"})
    _hpa(client, [_memory(50)], max_replicas=3)
    cluster.advance(40)
    assert _events(client, "SuccessfulRescale")[0] == \
        "New size: 2; reason: memory resource utilization (percentage of request) above target"
    assert _status(client)["currentMetrics"][0] == {"type": "Resource", "resource": {"name": "memory", "current": {
        "averageUtilization": 90, "averageValue": str(90 * MI)}}}
    cluster.advance(60)
    assert _replicas(client) == 3  # every pod keeps its 90Mi: held by maxReplicas
    assert _targets(cluster, client) == "memory: 90%/50%"
    _valid(client)


def test_memory_average_value_target():
    cluster, client = _cluster(annotations={"sim.kubetui.io/memory": "300Mi"})
    _hpa(client, [{"type": "Resource", "resource": {"name": "memory", "target": {
        "type": "AverageValue", "averageValue": "100Mi"}}}], max_replicas=3)
    cluster.advance(40)
    assert _events(client, "SuccessfulRescale")[0] == "New size: 3; reason: memory resource above target"
    assert _targets(cluster, client) == f"memory: {300 * MI}/100Mi"


def test_container_resource_measures_only_the_named_container():
    containers = [{"name": "app", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}},
                  {"name": "proxy", "image": "envoyproxy/envoy", "resources": {"requests": {"cpu": "300m"}}}]
    annotations = {"sim.kubetui.io/cpu.app": "80m"}
    # the whole pod uses 81m of 400m (20%), under a 50% target; the app container alone uses 80%
    cluster, client = _cluster(containers, annotations)
    _hpa(client, [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 50}}}], max_replicas=2)
    cluster.advance(60)
    assert _replicas(client) == 2
    assert _events(client, "SuccessfulRescale") == [
        "New size: 2; reason: cpu container resource utilization (percentage of request) above target"]
    assert _status(client)["currentMetrics"] == [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "app", "current": {"averageUtilization": 80, "averageValue": "80m"}}}]
    assert _targets(cluster, client) == "cpu: 80%/50%"
    cluster2, client2 = _cluster(containers, annotations)
    _hpa(client2, [_cpu(50)])
    cluster2.advance(60)
    assert _replicas(client2) == 1 and _status(client2)["currentMetrics"][0]["resource"]["current"]["averageUtilization"] == 20


def test_container_resource_for_a_missing_container_fails():
    cluster, client = _cluster()
    _hpa(client, [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "sidecar", "target": {"type": "Utilization", "averageUtilization": 50}}}])
    cluster.advance(40)
    [pod] = client.list("pods")
    error = ("failed to get cpu utilization: unable to get metrics for resource cpu: failed to get container metrics: "
             f"container sidecar not present in metrics for pod default/{pod['metadata']['name']}")
    assert _conditions(client)["ScalingActive"] == (
        "False", "FailedGetContainerResourceMetric", f"the HPA was unable to compute the replica count: {error}")
    assert _events(client, "FailedComputeMetricsReplicas")[0] == \
        f"invalid metrics (1 invalid out of 1), first error is: failed to get sidecar container metric value: {error}"
    _valid(client)


def test_pods_metric_requests_per_second_from_the_traffic_generator():
    cluster, client = _cluster()
    _hpa(client, [{"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                            "target": {"type": "AverageValue", "averageValue": "10"}}}])
    cluster.advance(30)
    assert _status(client)["currentMetrics"] == [{"type": "Pods", "pods": {
        "metric": {"name": "http_requests_per_second"}, "current": {"averageValue": "0"}}}]
    assert _targets(cluster, client) == "0/10"
    client.traffic_start("load", "web", rate=40)  # 40 req/s on one pod, 10 wanted each
    cluster.advance(30)
    assert _replicas(client) == 4
    assert _events(client, "SuccessfulRescale") == ["New size: 4; reason: pods metric http_requests_per_second above target"]
    cluster.advance(120)
    assert _replicas(client) == 4  # 40 req/s spread over four pods: on target
    average = _status(client)["currentMetrics"][0]["pods"]["current"]["averageValue"]
    assert average == "10" or 9000 <= int(average.rstrip("m")) <= 11000
    _valid(client)


def test_pods_metric_from_a_profile_annotation():
    cluster, client = _cluster(annotations={"sim.kubetui.io/metric.queue_depth": "5; 30@1m"})
    _hpa(client, [{"type": "Pods", "pods": {"metric": {"name": "queue_depth"},
                                            "target": {"type": "AverageValue", "averageValue": "10"}}}], max_replicas=3)
    cluster.advance(60)
    assert _replicas(client) == 1 and not _events(client, "SuccessfulRescale")
    cluster.advance(35)  # the pod reports 30 from one minute after it started
    assert _events(client, "SuccessfulRescale") == ["New size: 3; reason: pods metric queue_depth above target"]


def test_unknown_pods_metric_is_reported():
    cluster, client = _cluster()
    _hpa(client, [{"type": "Pods", "pods": {"metric": {"name": "jobs_waiting"},
                                            "target": {"type": "AverageValue", "averageValue": "10"}}}])
    cluster.advance(30)
    error = ("unable to get metric jobs_waiting: unable to fetch metrics from custom metrics API: "
             "the server could not find the metric jobs_waiting for pods")
    assert _conditions(client)["ScalingActive"] == (
        "False", "FailedGetPodsMetric", f"the HPA was unable to compute the replica count: {error}")
    assert error in _events(client, "FailedGetPodsMetric")
    assert _status(client)["currentMetrics"] == [{"type": ""}]
    assert _targets(cluster, client) == "<unknown>/10"
    _valid(client)


def test_object_metric_average_value_on_a_service():
    cluster, client = _cluster()
    service = {"apiVersion": "v1", "kind": "Service", "name": "web"}
    _hpa(client, [{"type": "Object", "object": {"describedObject": service,
                                                "metric": {"name": "http_requests_per_second"},
                                                "target": {"type": "AverageValue", "averageValue": "20"}}}])
    client.traffic_start("load", "web", rate=40)
    cluster.advance(45)
    assert _replicas(client) == 2  # 40 req/s to the Service, 20 per replica
    # upstream names an Object AverageValue metric this way in its events
    assert _events(client, "SuccessfulRescale") == ["New size: 2; reason: external metric http_requests_per_second(nil) above target"]
    cluster.advance(120)
    assert _replicas(client) == 2
    assert _status(client)["currentMetrics"] == [{"type": "Object", "object": {
        "describedObject": service, "metric": {"name": "http_requests_per_second"}, "current": {"averageValue": "20"}}}]
    assert _targets(cluster, client) == "20/20 (avg)"
    _valid(client)


def test_object_metric_value_from_an_annotated_object():
    cluster, client = _cluster()
    client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "queue", "annotations": {"sim.kubetui.io/metric.backlog": "100"}}, "data": {}})
    queue = {"apiVersion": "v1", "kind": "ConfigMap", "name": "queue"}
    _hpa(client, [{"type": "Object", "object": {"describedObject": queue, "metric": {"name": "backlog"},
                                                "target": {"type": "Value", "value": "50"}}}], max_replicas=3)
    cluster.advance(35)
    # a Value target scales the ready pods by value/target, whatever their count: 1 → 2 → 3 (maxReplicas)
    assert _events(client, "SuccessfulRescale")[0] == "New size: 2; reason: ConfigMap metric backlog above target"
    cluster.advance(60)
    assert _replicas(client) == 3
    assert _status(client)["currentMetrics"][0]["object"]["current"] == {"value": "100"}
    assert _targets(cluster, client) == "100/50"
    missing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "nowhere"}
    hpa = copy.deepcopy(client.get("horizontalpodautoscalers", "web"))
    hpa["spec"]["metrics"] = [{"type": "Object", "object": {"describedObject": missing, "metric": {"name": "hits"},
                                                            "target": {"type": "Value", "value": "5"}}}]
    client.update(hpa)
    cluster.advance(30)
    assert _conditions(client)["ScalingActive"] == ("False", "FailedGetObjectMetric", (
        "the HPA was unable to compute the replica count: unable to get metric hits: Ingress on default nowhere/"
        "unable to fetch metrics from custom metrics API: the server could not find the metric hits for "
        "ingresses.networking.k8s.io nowhere"))
    _valid(client)


def test_external_metrics_are_unavailable_and_block_a_scale_down():
    cluster, client = _cluster(replicas=3)
    external = {"type": "External", "external": {
        "metric": {"name": "queue_messages_ready", "selector": {"matchLabels": {"queue": "tasks"}}},
        "target": {"type": "AverageValue", "averageValue": "30"}}}
    _hpa(client, [_cpu(50), external])
    cluster.advance(400)  # idle pods: cpu alone would scale down to 1 once stabilised
    assert _replicas(client) == 3
    detail = ("unable to get external metric default/queue_messages_ready/&LabelSelector{MatchLabels:"
              "map[string]string{queue: tasks,},MatchExpressions:[]LabelSelectorRequirement{},}: unable to fetch "
              "metrics from external metrics API: the server could not find the requested resource "
              "(get queue_messages_ready.external.metrics.k8s.io)")
    assert _conditions(client)["ScalingActive"] == (
        "False", "FailedGetExternalMetric", f"the HPA was unable to compute the replica count: {detail}")
    assert detail in _events(client, "FailedGetExternalMetric")
    assert _events(client, "FailedComputeMetricsReplicas")[-1] == (
        "invalid metrics (1 invalid out of 2), first error is: failed to get queue_messages_ready external metric "
        f"value: failed to get queue_messages_ready external metric: {detail}")
    assert _targets(cluster, client) == "cpu: 1%/50%, <unknown>/30 (avg)"
    _valid(client)


def test_a_failing_metric_does_not_stop_a_scale_up():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "200m"})
    external = {"type": "External", "external": {"metric": {"name": "lag"}, "target": {"type": "Value", "value": "1"}}}
    _hpa(client, [external, _cpu(50)], max_replicas=4)
    cluster.advance(40)
    assert _replicas(client) == 4
    assert _conditions(client)["ScalingActive"][:2] == ("True", "ValidMetricFound")
    assert "failed" not in " ".join(_events(client, "SuccessfulRescale"))


def test_several_metrics_take_the_largest_proposal_and_print_like_kubectl():
    cluster, client = _cluster(annotations={"sim.kubetui.io/memory": "90Mi"})
    pods = {"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
                                     "target": {"type": "AverageValue", "averageValue": "100"}}}
    _hpa(client, [_cpu(50), _memory(80), pods], max_replicas=2)
    cluster.advance(40)
    assert _replicas(client) == 2  # cpu says 1, requests say 1, memory (90% of 80%) says 2
    assert _events(client, "SuccessfulRescale") == [
        "New size: 2; reason: memory resource utilization (percentage of request) above target"]
    assert _targets(cluster, client) == "cpu: 1%/50%, memory: 90%/80% + 1 more..."
    assert [m["type"] for m in _status(client)["currentMetrics"]] == ["Resource", "Resource", "Pods"]
    _valid(client)


def test_without_behavior_scale_up_is_limited_to_double_or_four():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "900m"})
    _hpa(client, [_cpu(50)], max_replicas=20)
    assert "behavior" not in client.get("horizontalpodautoscalers", "web")["spec"]
    cluster.advance(40)
    assert _events(client, "SuccessfulRescale")[0] == \
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    assert _conditions(client)["ScalingLimited"] == (
        "True", "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
    cluster.advance(30)
    assert _events(client, "SuccessfulRescale")[1].startswith("New size: 8;")


def test_with_behavior_the_default_policies_allow_four_pods_or_double():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "900m"})
    _hpa(client, [_cpu(50)], max_replicas=20, behavior={})
    behavior = client.get("horizontalpodautoscalers", "web")["spec"]["behavior"]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert "stabilizationWindowSeconds" not in behavior["scaleDown"]  # upstream leaves it to the controller flag
    cluster.advance(40)
    assert _events(client, "SuccessfulRescale")[0].startswith("New size: 5;")


def test_behavior_scale_down_window_and_default_window():
    for behavior, expected in (({"scaleDown": {"stabilizationWindowSeconds": 60}}, 60), ({}, 300)):
        cluster, client = _cluster(replicas=3)
        _hpa(client, [_cpu(50)], behavior=behavior)
        cluster.advance(20)
        while _replicas(client) == 3:
            cluster.advance(5)
        assert expected <= cluster.now <= expected + 35
        assert _events(client, "SuccessfulRescale") == ["New size: 1; reason: All metrics below target"]


def test_behavior_tolerance_widens_the_dead_band():
    cluster, client = _cluster(annotations={"sim.kubetui.io/cpu": "70m"})  # 70% of a 50% target: ratio 1.4
    _hpa(client, [_cpu(50)], behavior={"scaleUp": {"tolerance": "0.5"}})
    cluster.advance(90)
    assert _replicas(client) == 1
    cluster2, client2 = _cluster(annotations={"sim.kubetui.io/cpu": "70m"})
    _hpa(client2, [_cpu(50)], behavior={})
    cluster2.advance(40)
    assert _events(client2, "SuccessfulRescale")[0] == \
        "New size: 2; reason: cpu resource utilization (percentage of request) above target"


def test_targets_column_for_every_type():
    hpa = {"spec": {"metrics": [
        {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "i"}, "metric": {"name": "rps"},
                                      "target": {"type": "Value", "value": "10"}}},
        {"type": "External", "external": {"metric": {"name": "q"}, "target": {"type": "AverageValue", "averageValue": "5"}}},
    ]}, "status": {"currentMetrics": [
        {"type": "Object", "object": {"describedObject": {"kind": "Ingress", "name": "i"}, "metric": {"name": "rps"},
                                      "current": {"value": "12"}}},
        {"type": "External", "external": {"metric": {"name": "q"}, "current": {"averageValue": "2500m"}}}]}}
    assert printers.hpa_targets(hpa) == "12/10, 2500m/5 (avg)"
    assert printers.hpa_targets({"spec": {"metrics": []}}) == "<none>"
    hpa["spec"]["metrics"].append({"type": "ContainerResource", "containerResource": {
        "name": "memory", "container": "app", "target": {"type": "Utilization"}}})
    hpa["spec"]["metrics"].append({"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "AverageValue", "averageValue": "200m"}}})
    assert printers.hpa_targets(hpa) == "12/10, 2500m/5 (avg) + 2 more..."
    del hpa["spec"]["metrics"][:2]
    assert printers.hpa_targets(hpa) == "memory: <unknown>/<auto>, cpu: <unknown>/200m"


def test_decimal_quantities_and_go_selectors():
    assert [format_decimal_millis(v) for v in (0, 333, 1000, 1500, 1500000, 64000000000, 67108864000)] == \
        ["0", "333m", "1", "1500m", "1500", "64M", "67108864"]
    assert go_selector(None) == "nil"
    assert go_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x", "y"]}]}) == (
        "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{"
        "LabelSelectorRequirement{Key:a,Operator:In,Values:[]string{x,y},},},}")
