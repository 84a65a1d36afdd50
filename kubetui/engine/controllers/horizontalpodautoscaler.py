"""HorizontalPodAutoscaler controller: scales a target by its pods' CPU (upstream pkg/controller/podautoscaler)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..api import selectors
from ..api.errors import ApiError
from ..clock import parse_rfc3339, rfc3339
from ..objects import get_condition, set_condition, split_key
from ..quantity import cpu_millis, format_cpu
from .base import Controller

TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
SCALABLE = {("apps", "Deployment"): "deployments", ("apps", "ReplicaSet"): "replicasets",
            ("apps", "StatefulSet"): "statefulsets", ("", "ReplicationController"): "replicationcontrollers"}
# What the API defaults spec.behavior to when it is given; the controller applies the same when it is not.
DEFAULT_SCALE_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]}
DEFAULT_SCALE_DOWN = {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


class MetricError(Exception):
    pass


@dataclass(frozen=True)
class PodInfo:
    """What the replica calculator needs of one pod the target's selector matches."""

    name: str
    deleted_or_failed: bool
    pending: bool
    ready: str | None                  # the Ready condition's status, None without one
    ready_transition: float | None
    start_time: float | None
    requests: tuple[tuple[str, int | None], ...]  # (container, cpu request millis or None)


@dataclass(frozen=True)
class Sample:
    value: int          # cpu millis, all containers of the pod
    timestamp: float
    window: float


def group_pods(pods: list[PodInfo], metrics: dict[str, Sample], now: float, cpu_init_period: float,
               readiness_delay: float) -> tuple[int, set[str], set[str], set[str]]:
    """upstream groupPods for CPU: (ready count, unready, missing, ignored)."""
    ready_count, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        if pod.deleted_or_failed:
            ignored.add(pod.name)
            continue
        if pod.pending:
            unready.add(pod.name)
            continue
        sample = metrics.get(pod.name)
        if sample is None:
            missing.add(pod.name)
            continue
        if pod.ready is None or pod.start_time is None:
            is_unready = True
        elif pod.start_time + cpu_init_period > now:
            # Still initialising: skip unready pods and samples not a full window after readiness changed.
            is_unready = pod.ready == "False" or sample.timestamp < (pod.ready_transition or 0.0) + sample.window
        else:
            # Skip pods that are unready and have never been ready.
            is_unready = pod.ready == "False" and pod.start_time + readiness_delay > (pod.ready_transition or 0.0)
        if is_unready:
            unready.add(pod.name)
            continue
        ready_count += 1
    return ready_count, unready, missing, ignored


def pod_requests(pods: list[PodInfo]) -> dict[str, int]:
    out = {}
    for pod in pods:
        total = 0
        for container, request in pod.requests:
            if request is None:
                raise MetricError(f"missing request for cpu in container {container} of Pod {pod.name}")
            total += request
        out[pod.name] = total
    return out


def utilization_ratio(values: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int, int]:
    """upstream GetResourceUtilizationRatio: (usage ratio, utilization %, average raw usage)."""
    used = requested = 0
    for name, value in values.items():
        if name in requests:
            used += value
            requested += requests[name]
    if requested == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = used * 100 // requested
    return utilization / target, utilization, used // len(values)


def replica_count(current: int, pods: list[PodInfo], metrics: dict[str, Sample], target: int, utilization: bool,
                  now: float, cpu_init_period: float, readiness_delay: float, tolerance: float = TOLERANCE
                  ) -> tuple[int, int, int]:
    """upstream GetResourceReplicas (utilization) / GetRawResourceReplicas (average value):
    (replicas, utilization %, average usage millis)."""
    if not metrics:
        raise MetricError("unable to get metrics for resource cpu: no metrics returned from resource metrics API")
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    ready_count, unready, missing, ignored = group_pods(pods, metrics, now, cpu_init_period, readiness_delay)
    values = {name: s.value for name, s in metrics.items() if name not in ignored and name not in unready}
    if not values:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    requests = pod_requests(pods) if utilization else {}

    def ratio(vals: dict[str, int]) -> tuple[float, int, int]:
        if utilization:
            return utilization_ratio(vals, requests, target)
        average = sum(vals.values()) // len(vals)
        return average / target, 0, average

    usage_ratio, percent, raw = ratio(values)
    scale_up_with_unready = bool(unready) and usage_ratio > 1.0
    if not scale_up_with_unready and not missing:
        if abs(1.0 - usage_ratio) <= tolerance:
            return current, percent, raw
        return math.ceil(usage_ratio * ready_count), percent, raw
    if missing:
        if usage_ratio < 1.0:  # scale-down: missing pods count as using their request (or the target)
            for name in missing:
                values[name] = requests[name] * max(100, target) // 100 if utilization else target
        elif usage_ratio > 1.0:  # scale-up: missing pods count as idle
            for name in missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio = ratio(values)[0]
    if (abs(1.0 - new_ratio) <= tolerance or (usage_ratio < 1.0 < new_ratio)
            or (usage_ratio > 1.0 > new_ratio)):
        return current, percent, raw
    replicas = math.ceil(new_ratio * len(values))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, percent, raw
    return replicas, percent, raw


def _change_in_period(events: list[tuple[float, int]], period: float, now: float) -> int:
    return sum(change for at, change in events if at > now - period)


def scale_up_limit(current: int, ups: list, downs: list, rules: dict, now: float) -> int:
    """upstream calculateScaleUpLimitWithScalingRules."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or ():
        start = current - _change_in_period(ups, policy["periodSeconds"], now) \
            + _change_in_period(downs, policy["periodSeconds"], now)
        proposals.append(start + policy["value"] if policy["type"] == "Pods"
                         else math.ceil(start * (1 + policy["value"] / 100)))
    return (min if select == "Min" else max)(proposals)


def scale_down_limit(current: int, ups: list, downs: list, rules: dict, now: float) -> int:
    """upstream calculateScaleDownLimitWithBehaviors."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or ():
        start = current - _change_in_period(ups, policy["periodSeconds"], now) \
            + _change_in_period(downs, policy["periodSeconds"], now)
        proposals.append(start - policy["value"] if policy["type"] == "Pods"
                         else int(start * (1 - policy["value"] / 100)))
    return (max if select == "Min" else min)(proposals)


class HorizontalPodAutoscalerController(Controller):
    """Mirrors upstream's HorizontalController: every sync period each HPA reads its target's scale
    subresource and its pods' CPU from the metrics server, proposes a replica count (ceil(current ×
    usage/target), 10% tolerance, upstream's rules for unready pods and missing metrics), stabilises it over
    the behavior windows, limits the rate by the scaling policies and min/maxReplicas, and writes the scale
    and the status (conditions AbleToScale, ScalingActive, ScalingLimited) with upstream's events.

    Simplified: only `Resource` metrics for cpu (Utilization or AverageValue) are computed; other metric
    types count as invalid. Without spec.behavior the defaulted behavior is used (upstream's legacy path
    limits scale-up to max(2×current, 4) instead)."""

    name = "horizontalpodautoscaling"
    component = "horizontal-pod-autoscaler"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.hpas = self.informers.informer("horizontalpodautoscalers")
        self.pods = self.informers.informer("pods")
        self.hpas.add_handler(self._schedule, lambda old, new: self._schedule(new))
        self.recommendations: dict[str, list[tuple[float, int]]] = {}  # key -> [(when, replicas)]
        self.scale_ups: dict[str, list[tuple[float, int]]] = {}        # key -> [(when, replicas added)]
        self.scale_downs: dict[str, list[tuple[float, int]]] = {}

    def _schedule(self, hpa: dict) -> None:
        # Upstream's queue is rate limited to one pass per sync period for every add, the first included.
        self.queue.add_after(f"{hpa['metadata']['namespace']}/{hpa['metadata']['name']}", self.profile.hpa_sync_period)

    def sync(self, key: str) -> None:
        hpa = self.hpas.get(key)
        if hpa is None:
            for state in (self.recommendations, self.scale_ups, self.scale_downs):
                state.pop(key, None)
            return
        try:
            self._reconcile(key, hpa)
        finally:
            self.queue.add_after(key, self.profile.hpa_sync_period)

    def _reconcile(self, key: str, hpa: dict) -> None:
        namespace, _ = split_key(key)
        spec, old_status = hpa["spec"], hpa.get("status") or {}
        now, stamp = self.clock.now, rfc3339(self.clock.now)
        status = {**old_status, "conditions": list(old_status.get("conditions") or ())}

        def condition(type_: str, ok: bool, reason: str, message: str) -> None:
            status["conditions"] = set_condition(status["conditions"], {
                "type": type_, "status": "True" if ok else "False", "reason": reason, "message": message}, stamp)

        ref = spec["scaleTargetRef"]
        group = ref.get("apiVersion", "").rpartition("/")[0] if "/" in ref.get("apiVersion", "") else ""
        plural = SCALABLE.get((group, ref["kind"]))
        reference = f"{ref['kind']}/{ref['name']}"
        try:
            if plural is None:
                raise ApiError(404, "NotFound", f'no matches for kind "{ref["kind"]}" in group "{group}"')
            scale = self.api.get_scale(plural, ref["name"], namespace)
        except ApiError as exc:
            self.recorder.warning(hpa, "FailedGetScale", str(exc))
            condition("AbleToScale", False, "FailedGetScale",
                      f"the HPA controller was unable to get the target's current scale: {exc}")
            self._write(hpa, status)
            return
        condition("AbleToScale", True, "SucceededGetScale",
                  "the HPA controller was able to get the target's current scale")
        current = scale["spec"]["replicas"]
        minimum, maximum = spec.get("minReplicas", 1), spec["maxReplicas"]
        metric_statuses = old_status.get("currentMetrics")
        reason = ""
        if current == 0 and minimum != 0:
            desired = 0
            condition("ScalingActive", False, "ScalingDisabled",
                      "scaling is disabled since the replica count of the target is zero")
        elif current > maximum:
            desired, reason = maximum, "Current number of replicas above Spec.MaxReplicas"
        elif current < minimum:
            desired, reason = minimum, "Current number of replicas below Spec.MinReplicas"
        else:
            proposal, metric_name, metric_statuses, error = self._metrics(hpa, scale, current, now, condition)
            if proposal == -1:
                status.update(currentReplicas=current, currentMetrics=metric_statuses)
                self._write(hpa, status)
                self.recorder.warning(hpa, "FailedComputeMetricsReplicas", error)
                return
            desired = self._normalize(key, spec, current, proposal, minimum, maximum, now, condition)
            if desired > current:
                reason = f"{metric_name} above target"
            elif desired < current:
                reason = "All metrics below target"
        if desired != current:
            try:
                self.api.scale(plural, ref["name"], desired, namespace)
            except ApiError as exc:
                self.recorder.warning(hpa, "FailedRescale", f"New size: {desired}; reason: {reason}; error: {exc}")
                condition("AbleToScale", False, "FailedUpdateScale",
                          f"the HPA controller was unable to update the target scale: {exc}")
                status.update(currentReplicas=current, currentMetrics=metric_statuses)
                self._write(hpa, status)
                return
            condition("AbleToScale", True, "SucceededRescale",
                      f"the HPA controller was able to update the target scale to {desired}")
            self.recorder.normal(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            events = self.scale_ups if desired > current else self.scale_downs
            events.setdefault(key, []).append((now, abs(desired - current)))
            status["lastScaleTime"] = stamp
        status.update(currentReplicas=current, desiredReplicas=desired, currentMetrics=metric_statuses)
        self._write(hpa, status)

    def _write(self, hpa: dict, status: dict) -> None:
        status = {k: v for k, v in status.items() if v is not None}
        if status != (hpa.get("status") or {}):
            self.api.update_status("horizontalpodautoscalers", {**hpa, "status": status})

    # -- metrics --------------------------------------------------------------------------

    def _metrics(self, hpa: dict, scale: dict, current: int, now: float, condition):
        """upstream computeReplicasForMetrics: (largest proposal or -1 if none is valid, its metric's name,
        metric statuses, the first error)."""
        best, best_name, statuses, first_error, invalid = 0, "", [], "", 0
        metrics = hpa["spec"].get("metrics") or ()
        for metric in metrics:
            try:
                proposal, name, metric_status = self._resource_metric(hpa, scale, metric, current, now)
            except MetricError as exc:
                invalid += 1
                first_error = first_error or str(exc)
                reason = getattr(exc, "reason", "FailedGetResourceMetric")
                self.recorder.warning(hpa, reason, str(exc))
                condition("ScalingActive", False, reason, f"the HPA was unable to compute the replica count: {exc}")
                statuses.append({"type": ""})
                continue
            statuses.append(metric_status)
            if proposal > best:
                best, best_name = proposal, name
        statuses = [s for s in statuses if s.get("type")] or None
        if invalid and invalid == len(metrics):
            return -1, "", statuses, f"invalid metrics ({invalid} invalid out of {len(metrics)}), first error is: {first_error}"
        condition("ScalingActive", True, "ValidMetricFound",
                  f"the HPA was able to successfully calculate a replica count from {best_name}")
        return best, best_name, statuses, ""

    def _resource_metric(self, hpa: dict, scale: dict, metric: dict, current: int, now: float):
        resource = metric.get("resource") or {}
        if metric.get("type") != "Resource" or resource.get("name") != "cpu":
            exc = MetricError(f"unsupported metric {metric.get('type')} {resource.get('name', '')}".rstrip())
            exc.reason = "FailedGetResourceMetric" if metric.get("type") == "Resource" else "InvalidMetricSourceType"
            raise exc
        target = resource.get("target") or {}
        utilization = target.get("type") == "Utilization"
        namespace = hpa["metadata"]["namespace"]
        try:
            if not scale["status"].get("selector"):
                raise MetricError("selector is required")
            selector = selectors.parse_label_selector(scale["status"]["selector"])
            pods = [self._pod_info(p) for p in self.pods.by_index("namespace", namespace)
                    if selector.matches(p["metadata"].get("labels"))]
            samples = {name: Sample(s.cpu_millis, s.timestamp, s.window)
                       for name, s in self.ctx.metrics.pod_samples(namespace).items()
                       if selector.matches(self._labels(namespace, name))}
            goal = target.get("averageUtilization", 0) if utilization else cpu_millis(target.get("averageValue", "0"))
            if goal <= 0:
                raise MetricError("invalid target")
            replicas, percent, raw = replica_count(current, pods, samples, goal, utilization, now,
                                                   self.profile.hpa_cpu_initialization_period,
                                                   self.profile.hpa_initial_readiness_delay)
        except MetricError as exc:
            raise MetricError(f"failed to get cpu utilization: {exc}") from None
        name = "cpu resource utilization (percentage of request)" if utilization else "cpu resource"
        current_value = {"averageUtilization": percent, "averageValue": format_cpu(raw)} if utilization \
            else {"averageValue": format_cpu(raw)}
        return replicas, name, {"type": "Resource", "resource": {"name": "cpu", "current": current_value}}

    def _labels(self, namespace: str, name: str) -> dict | None:
        pod = self.pods.get(f"{namespace}/{name}")
        return pod["metadata"].get("labels") if pod else None

    @staticmethod
    def _pod_info(pod: dict) -> PodInfo:
        status = pod.get("status") or {}
        ready = get_condition(pod, "Ready")
        return PodInfo(
            name=pod["metadata"]["name"],
            deleted_or_failed=bool(pod["metadata"].get("deletionTimestamp")) or status.get("phase") == "Failed",
            pending=status.get("phase") == "Pending",
            ready=ready.get("status") if ready else None,
            ready_transition=parse_rfc3339(ready["lastTransitionTime"]) if ready and ready.get("lastTransitionTime") else None,
            start_time=parse_rfc3339(status["startTime"]) if status.get("startTime") else None,
            requests=tuple((c["name"], cpu_millis(c["resources"]["requests"]["cpu"])
                            if ((c.get("resources") or {}).get("requests") or {}).get("cpu") else None)
                           for c in pod["spec"].get("containers") or ()))

    # -- behavior -------------------------------------------------------------------------

    def _normalize(self, key: str, spec: dict, current: int, proposal: int, minimum: int, maximum: int,
                   now: float, condition) -> int:
        """upstream normalizeDesiredReplicasWithBehaviors: stabilise, then limit the rate and the range."""
        behavior = spec.get("behavior") or {}
        up = {**DEFAULT_SCALE_UP, **(behavior.get("scaleUp") or {})}
        down = {**DEFAULT_SCALE_DOWN, **(behavior.get("scaleDown") or {})}
        if key not in self.recommendations and down["stabilizationWindowSeconds"] > 0:
            self.recommendations[key] = [(now, current)]
        stabilized = self._stabilize(key, current, proposal, up, down, now)
        if stabilized != proposal:
            if proposal >= current:
                condition("AbleToScale", True, "ScaleUpStabilized",
                          "recent recommendations were lower than current one, applying the lowest recent recommendation")
            else:
                condition("AbleToScale", True, "ScaleDownStabilized",
                          "recent recommendations were higher than current one, applying the highest recent recommendation")
        else:
            condition("AbleToScale", True, "ReadyForNewScale", "recommended size matches current size")
        desired, reason, message = self._limit_rate(key, current, stabilized, minimum, maximum, up, down, now)
        condition("ScalingLimited", desired != stabilized, reason, message)
        return desired

    def _stabilize(self, key: str, current: int, proposal: int, up: dict, down: dict, now: float) -> int:
        up_cutoff = now - up["stabilizationWindowSeconds"]
        down_cutoff = now - down["stabilizationWindowSeconds"]
        up_rec = down_rec = proposal
        records = self.recommendations.setdefault(key, [])
        old = None
        for i, (at, replicas) in enumerate(records):
            if at > up_cutoff:
                up_rec = min(up_rec, replicas)
            if at > down_cutoff:
                down_rec = max(down_rec, replicas)
            if at < up_cutoff and at < down_cutoff:
                old = i
        if old is None:
            records.append((now, proposal))
        else:
            records[old] = (now, proposal)
        return min(max(current, up_rec), down_rec)

    def _limit_rate(self, key: str, current: int, desired: int, minimum: int, maximum: int, up: dict, down: dict,
                    now: float) -> tuple[int, str, str]:
        """upstream convertDesiredReplicasWithBehaviorRate."""
        ups, downs = self.scale_ups.get(key, []), self.scale_downs.get(key, [])
        self._forget_old_events(key, up, down, now)
        if desired > current:
            limit = max(scale_up_limit(current, ups, downs, up, now), current)
            if maximum > limit:
                allowed, reason, message = limit, "ScaleUpLimit", \
                    "the desired replica count is increasing faster than the maximum scale rate"
            else:
                allowed, reason, message = maximum, "TooManyReplicas", \
                    "the desired replica count is more than the maximum replica count"
            if desired > allowed:
                return allowed, reason, message
        elif desired < current:
            limit = min(scale_down_limit(current, ups, downs, down, now), current)
            if minimum < limit:
                allowed, reason, message = limit, "ScaleDownLimit", \
                    "the desired replica count is decreasing faster than the maximum scale rate"
            else:
                allowed, reason, message = minimum, "TooFewReplicas", \
                    "the desired replica count is less than the minimum replica count"
            if desired < allowed:
                return allowed, reason, message
        return desired, "DesiredWithinRange", "the desired count is within the acceptable range"

    def _forget_old_events(self, key: str, up: dict, down: dict, now: float) -> None:
        for events, rules in ((self.scale_ups, up), (self.scale_downs, down)):
            longest = max((p["periodSeconds"] for p in rules.get("policies") or ()), default=0)
            if key in events:
                events[key] = [e for e in events[key] if e[0] > now - longest]
