"""HorizontalPodAutoscaler controller: scales a target by its metrics (upstream pkg/controller/podautoscaler)."""

from __future__ import annotations

import math

from ..api import selectors
from ..api.errors import ApiError
from ..clock import parse_rfc3339, rfc3339
from ..objects import get_condition, set_condition, split_key
from ..quantity import cpu_millis, format_decimal_millis, parse_quantity
from .base import Controller
from .replicacalculator import (TOLERANCE, MetricError, PodInfo, Sample, Timing, Tolerances, per_pod_replicas,
                                plain_replicas, resource_replicas, usage_ratio_replicas)

SCALABLE = {("apps", "Deployment"): "deployments", ("apps", "ReplicaSet"): "replicasets",
            ("apps", "StatefulSet"): "statefulsets", ("", "ReplicationController"): "replicationcontrollers"}
# The legacy limit without spec.behavior: at most max(2 × current, 4) replicas in one step.
SCALE_UP_LIMIT_FACTOR = 2
SCALE_UP_LIMIT_MINIMUM = 4


class MetricFailure(Exception):
    """One metric could not be computed: the event/condition reason and text, and the error it adds up to."""

    def __init__(self, reason: str, detail: str, error: str | None = None):
        super().__init__(error or detail)
        self.reason, self.detail = reason, detail


def go_selector(selector: dict | None) -> str:
    """A metric's label selector as upstream's messages print it (`%+v` of a *LabelSelector)."""
    if selector is None:
        return "nil"
    labels = "".join(f"{k}: {v}," for k, v in sorted((selector.get("matchLabels") or {}).items()))
    expressions = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[]string{{{','.join(e.get('values') or ())}}},}},"
        for e in selector.get("matchExpressions") or ())
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}")


def _identifier(metric: dict) -> dict:
    return {k: v for k, v in (("name", metric.get("name", "")), ("selector", metric.get("selector")))
            if v is not None}


class HorizontalPodAutoscalerController(Controller):
    """Mirrors upstream's HorizontalController: every sync period each HPA reads its target's scale
    subresource, computes a proposal per metric (Resource and ContainerResource from the metrics server,
    Pods and Object from the simulated custom-metrics API; External metrics have no API here and fail as
    upstream reports it) and takes the largest; a failing metric blocks a scale-down. Without spec.behavior
    the proposal is stabilised over --horizontal-pod-autoscaler-downscale-stabilization and limited to
    max(2×current, 4); with it, by the behavior's windows, policies and tolerances. It writes the scale
    and the status (currentMetrics, conditions AbleToScale, ScalingActive, ScalingLimited) with upstream's
    events."""

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
        self.recommendations.setdefault(key, [(now, current)])
        minimum, maximum = spec.get("minReplicas", 1), spec["maxReplicas"]
        metric_statuses, reason, rescale = None, "", True
        if current == 0 and minimum != 0:
            desired, rescale = 0, False
            condition("ScalingActive", False, "ScalingDisabled",
                      "scaling is disabled since the replica count of the target is zero")
        elif current > maximum:
            desired, reason = maximum, "Current number of replicas above Spec.MaxReplicas"
        elif current < minimum:
            desired, reason = minimum, "Current number of replicas below Spec.MinReplicas"
        else:
            proposal, metric_name, metric_statuses, error = self._metrics(hpa, scale, now, condition)
            if proposal == -1:
                status.update(currentReplicas=current, currentMetrics=metric_statuses,
                              desiredReplicas=old_status.get("desiredReplicas", 0))
                self._write(hpa, status)
                self.recorder.warning(hpa, "FailedComputeMetricsReplicas", error)
                return
            desired = proposal
            if desired > current:
                reason = f"{metric_name} above target"
            elif desired < current:
                reason = "All metrics below target"
            if spec.get("behavior") is None:
                desired = self._normalize_legacy(key, current, desired, minimum, maximum, now, condition)
            else:
                desired = self._normalize(key, spec["behavior"], current, desired, minimum, maximum, now, condition)
            rescale = desired != current
        if rescale:
            try:
                self.api.scale(plural, ref["name"], desired, namespace)
            except ApiError as exc:
                self.recorder.warning(hpa, "FailedRescale", f"New size: {desired}; reason: {reason}; error: {exc}")
                condition("AbleToScale", False, "FailedUpdateScale",
                          f"the HPA controller was unable to update the target scale: {exc}")
                status.update(currentReplicas=current, currentMetrics=metric_statuses,
                              desiredReplicas=old_status.get("desiredReplicas", 0))
                self._write(hpa, status)
                return
            condition("AbleToScale", True, "SucceededRescale",
                      f"the HPA controller was able to update the target scale to {desired}")
            self.recorder.normal(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            if spec.get("behavior") is not None:
                events = self.scale_ups if desired > current else self.scale_downs
                events.setdefault(key, []).append((now, abs(desired - current)))
            status["lastScaleTime"] = stamp
        else:
            desired = current
        status.update(currentReplicas=current, desiredReplicas=desired, currentMetrics=metric_statuses)
        self._write(hpa, status)

    def _write(self, hpa: dict, status: dict) -> None:
        status = {k: v for k, v in status.items() if v is not None and not (k == "currentReplicas" and v == 0)}
        status.setdefault("desiredReplicas", 0)
        if status != (hpa.get("status") or {}):
            self.api.update_status("horizontalpodautoscalers", {**hpa, "status": status})

    # -- metrics --------------------------------------------------------------------------

    def _metrics(self, hpa: dict, scale: dict, now: float, condition):
        """upstream computeReplicasForMetrics: (the largest proposal, or -1 when every metric failed or some
        failed and the rest would scale down; its metric's name; a status per metric; the error)."""
        text = scale["status"].get("selector")
        if not text:
            self.recorder.warning(hpa, "SelectorRequired", "selector is required")
            condition("ScalingActive", False, "InvalidSelector", "the HPA target's scale is missing a selector")
            return -1, "", None, "selector is required"
        selector = selectors.parse_label_selector(text)
        namespace = hpa["metadata"]["namespace"]
        pods = [p for p in self.pods.by_index("namespace", namespace) if selector.matches(p["metadata"].get("labels"))]
        context = _Context(hpa, scale, [self._pod_info(p) for p in pods], {p["metadata"]["name"] for p in pods},
                           Timing(now, self.profile.hpa_cpu_initialization_period,
                                  self.profile.hpa_initial_readiness_delay), _tolerances(hpa["spec"].get("behavior")))
        specs = hpa["spec"].get("metrics") or ()
        replicas, name, statuses, invalid, first = 0, "", [{"type": ""} for _ in specs], 0, None
        for i, metric in enumerate(specs):
            try:
                proposal, proposal_name, statuses[i] = self._metric(context, metric)
            except MetricFailure as failure:
                self.recorder.warning(hpa, failure.reason, failure.detail)
                if first is None:
                    first = failure
                invalid += 1
                continue
            if replicas == 0 or proposal > replicas:
                replicas, name = proposal, proposal_name
        error = f"invalid metrics ({invalid} invalid out of {len(specs)}), first error is: {first}" if first else ""
        if invalid >= len(specs) or (invalid and replicas < scale["spec"]["replicas"]):
            condition("ScalingActive", False, first.reason, f"the HPA was unable to compute the replica count: {first.detail}")
            return -1, "", statuses, error
        condition("ScalingActive", True, "ValidMetricFound",
                  f"the HPA was able to successfully calculate a replica count from {name}")
        return replicas, name, statuses, error

    def _metric(self, ctx: _Context, metric: dict) -> tuple[int, str, dict]:
        """upstream computeReplicasForMetric: (proposal, metric name for messages, metric status)."""
        kind = metric.get("type")
        if kind in ("Resource", "ContainerResource"):
            source = metric.get("resource" if kind == "Resource" else "containerResource") or {}
            reason = "FailedGetResourceMetric" if kind == "Resource" else "FailedGetContainerResourceMetric"
            wrap = f"failed to get {source.get('name')} resource metric value" if kind == "Resource" \
                else f"failed to get {source.get('container')} container metric value"
            try:
                replicas, name, current = self._resource(ctx, source, kind)
            except MetricError as exc:
                raise MetricFailure(reason, str(exc), f"{wrap}: {exc}") from None
            body = {"name": source.get("name"), "current": current}
            if kind == "ContainerResource":
                body = {"name": source.get("name"), "container": source.get("container"), "current": current}
            return replicas, name, {"type": kind, "resource" if kind == "Resource" else "containerResource": body}
        if kind == "Pods":
            return self._pods(ctx, metric.get("pods") or {})
        if kind == "Object":
            return self._object(ctx, metric.get("object") or {})
        if kind == "External":
            return self._external(ctx, metric.get("external") or {})
        error = f'unknown metric source type "{kind}"'
        raise MetricFailure("InvalidMetricSourceType", error)

    def _resource(self, ctx: _Context, source: dict, kind: str) -> tuple[int, str, dict]:
        """upstream computeStatusForResourceMetricGeneric."""
        resource, container, target = source.get("name", ""), source.get("container", ""), source.get("target") or {}
        namespace = ctx.hpa["metadata"]["namespace"]
        current = ctx.scale["spec"]["replicas"]
        if target.get("averageValue") is not None:
            try:
                samples = self._resource_samples(namespace, ctx.names, resource, container)
                replicas, raw = plain_replicas(current, ctx.pods, samples, cpu_millis(target["averageValue"]),
                                               resource == "cpu", ctx.tolerances, ctx.timing)
            except MetricError as exc:
                raise MetricError(f"failed to get {resource} usage: {exc}") from None
            return replicas, f"{resource} resource", {"averageValue": format_decimal_millis(raw)}
        if target.get("averageUtilization") is None:
            raise MetricError("invalid resource metric source: neither an average utilization target nor an "
                              "average value (usage) target was set")
        try:
            samples = self._resource_samples(namespace, ctx.names, resource, container)
            replicas, percent, raw = resource_replicas(current, ctx.pods, samples, target["averageUtilization"],
                                                       resource, container, ctx.tolerances, ctx.timing)
        except MetricError as exc:
            raise MetricError(f"failed to get {resource} utilization: {exc}") from None
        name = f"{resource} {'container ' if kind == 'ContainerResource' else ''}resource utilization (percentage of request)"
        return replicas, name, {"averageUtilization": percent, "averageValue": format_decimal_millis(raw)}

    def _resource_samples(self, namespace: str, names: set[str], resource: str, container: str) -> dict[str, Sample]:
        """upstream's resource metrics client: each pod's usage (all containers, or the named one)."""
        found = {name: s for name, s in self.ctx.metrics.pod_samples(namespace).items() if name in names}
        if not found:
            raise MetricError(f"unable to get metrics for resource {resource}: "
                              "no metrics returned from resource metrics API")
        out = {}
        index = {"cpu": 1, "memory": 2}.get(resource)
        for name, sample in found.items():
            usage = {c[0]: (c[1] if index == 1 else c[2] * 1000) for c in sample.containers} if index else {}
            if container:
                if container not in {c[0] for c in sample.containers}:
                    raise MetricError(f"unable to get metrics for resource {resource}: failed to get container "
                                      f"metrics: container {container} not present in metrics for pod "
                                      f"{namespace}/{name}")
                if container in usage:
                    out[name] = Sample(usage[container], sample.timestamp, sample.window)
            elif usage:
                out[name] = Sample(sum(usage.values()), sample.timestamp, sample.window)
        return out

    def _pods(self, ctx: _Context, source: dict) -> tuple[int, str, dict]:
        """upstream computeStatusForPodsMetric (an AverageValue target)."""
        metric = (source.get("metric") or {}).get("name", "")
        namespace = ctx.hpa["metadata"]["namespace"]
        try:
            try:
                values = self.ctx.metrics.pod_custom_metric(namespace, metric)
            except LookupError as exc:
                raise MetricError(f"unable to fetch metrics from custom metrics API: {exc}") from None
            samples = {name: Sample(*v) for name, v in values.items() if name in ctx.names}
            if not samples:
                raise MetricError("no metrics returned from custom metrics API")
        except MetricError as exc:
            raise MetricFailure("FailedGetPodsMetric", f"unable to get metric {metric}: {exc}",
                                f"failed to get pods metric value: unable to get metric {metric}: {exc}") from None
        try:
            target = cpu_millis((source.get("target") or {}).get("averageValue") or "0")
            replicas, average = plain_replicas(ctx.scale["spec"]["replicas"], ctx.pods, samples, target, False,
                                               ctx.tolerances, ctx.timing)
        except (MetricError, ZeroDivisionError) as exc:
            raise MetricFailure("FailedGetPodsMetric", str(exc), f"failed to get pods metric value: {exc}") from None
        return replicas, f"pods metric {metric}", {"type": "Pods", "pods": {
            "metric": _identifier(source.get("metric") or {}), "current": {"averageValue": format_decimal_millis(average)}}}

    def _object(self, ctx: _Context, source: dict) -> tuple[int, str, dict]:
        """upstream computeStatusForObjectMetric: a Value target (times the ready pods) or an AverageValue
        target (per replica)."""
        target, described = source.get("target") or {}, source.get("describedObject") or {}
        metric = source.get("metric") or {}
        namespace = ctx.hpa["metadata"]["namespace"]
        wrap = "failed to get object metric value"
        average = target.get("type") == "AverageValue" and target.get("averageValue") is not None
        if not average and not (target.get("type") == "Value" and target.get("value") is not None):
            error = "invalid object metric source: neither a value target nor an average value target was set"
            raise MetricFailure("FailedGetObjectMetric", error, f"{wrap}: {error}")
        try:
            usage, _ = self.ctx.metrics.object_metric(namespace, described.get("kind", ""), described.get("name", ""),
                                                      metric.get("name", ""))
        except LookupError as exc:
            # upstream's message puts the object's name after the error's place: reproduced as it reads
            detail = (f"unable to get metric {metric.get('name', '')}: {described.get('kind', '')} on {namespace} "
                      f"{described.get('name', '')}/unable to fetch metrics from custom metrics API: {exc}")
            inner = f"failed to get {metric.get('name', '')} object metric: {detail}" if average else detail
            raise MetricFailure("FailedGetObjectMetric", detail, f"{wrap}: {inner}") from None
        status = {"type": "Object", "object": {"describedObject": described, "metric": _identifier(metric)}}
        if average:
            replicas, per_pod = per_pod_replicas(ctx.scale["status"]["replicas"], usage,
                                                 cpu_millis(target["averageValue"]), ctx.tolerances)
            status["object"]["current"] = {"averageValue": format_decimal_millis(per_pod)}
            return replicas, f"external metric {metric.get('name', '')}({go_selector(metric.get('selector'))})", status
        try:
            replicas = usage_ratio_replicas(ctx.scale["spec"]["replicas"], usage / cpu_millis(target["value"]),
                                            ctx.pods, ctx.tolerances)
        except MetricError as exc:
            raise MetricFailure("FailedGetObjectMetric", str(exc), f"{wrap}: {exc}") from None
        status["object"]["current"] = {"value": format_decimal_millis(usage)}
        return replicas, f"{described.get('kind', '')} metric {metric.get('name', '')}", status

    def _external(self, ctx: _Context, source: dict) -> tuple[int, str, dict]:
        """upstream computeStatusForExternalMetric, with no external metrics API registered in the cluster."""
        metric, target = source.get("metric") or {}, source.get("target") or {}
        name = metric.get("name", "")
        if target.get("averageValue") is None and target.get("value") is None:
            error = "invalid external metric source: neither a value target nor an average value target was set"
            raise MetricFailure("FailedGetExternalMetric", error, f"failed to get {name} external metric value: {error}")
        detail = (f"unable to get external metric {ctx.hpa['metadata']['namespace']}/{name}/"
                  f"{go_selector(metric.get('selector'))}: unable to fetch metrics from external metrics API: "
                  f"the server could not find the requested resource (get {name}.external.metrics.k8s.io)")
        inner = f"failed to get {name} external metric: {detail}" if target.get("averageValue") is not None \
            else f"failed to get external metric {name}: {detail}"
        raise MetricFailure("FailedGetExternalMetric", detail, f"failed to get {name} external metric value: {inner}")

    @staticmethod
    def _pod_info(pod: dict) -> PodInfo:
        status = pod.get("status") or {}
        ready = get_condition(pod, "Ready")
        spec = pod["spec"]
        containers = list(spec.get("containers") or ()) + [
            c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
        return PodInfo(
            name=pod["metadata"]["name"],
            phase=status.get("phase", "Pending"),
            deleting=bool(pod["metadata"].get("deletionTimestamp")),
            ready=ready.get("status") if ready else None,
            ready_transition=parse_rfc3339(ready["lastTransitionTime"]) if ready and ready.get("lastTransitionTime") else None,
            start_time=parse_rfc3339(status["startTime"]) if status.get("startTime") else None,
            requests=tuple((c["name"], {r: cpu_millis(q) for r, q in
                                        ((c.get("resources") or {}).get("requests") or {}).items()})
                           for c in containers))

    # -- normalization --------------------------------------------------------------------

    def _normalize_legacy(self, key: str, current: int, proposal: int, minimum: int, maximum: int, now: float,
                          condition) -> int:
        """upstream normalizeDesiredReplicas (no spec.behavior): the highest recommendation of the downscale
        stabilization window, then minReplicas, and maxReplicas or max(2×current, 4), whichever is lower."""
        cutoff = now - self.profile.hpa_downscale_stabilization
        records = self.recommendations.setdefault(key, [])
        stabilized, old = proposal, None
        for i, (at, replicas) in enumerate(records):
            if at < cutoff:
                old = i
            else:
                stabilized = max(stabilized, replicas)
        if old is None:
            records.append((now, proposal))
        else:
            records[old] = (now, proposal)
        if stabilized != proposal:
            condition("AbleToScale", True, "ScaleDownStabilized",
                      "recent recommendations were higher than current one, applying the highest recent recommendation")
        else:
            condition("AbleToScale", True, "ReadyForNewScale", "recommended size matches current size")
        limit = max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM)
        if maximum > limit:
            ceiling, reason, message = limit, "ScaleUpLimit", \
                "the desired replica count is increasing faster than the maximum scale rate"
        else:
            ceiling, reason, message = maximum, "TooManyReplicas", \
                "the desired replica count is more than the maximum replica count"
        if stabilized < minimum:
            desired, reason, message = minimum, "TooFewReplicas", \
                "the desired replica count is less than the minimum replica count"
        elif stabilized > ceiling:
            desired = ceiling
        else:
            desired, reason, message = stabilized, "DesiredWithinRange", "the desired count is within the acceptable range"
        condition("ScalingLimited", desired != stabilized, reason, message)
        return desired

    def _normalize(self, key: str, behavior: dict, current: int, proposal: int, minimum: int, maximum: int,
                   now: float, condition) -> int:
        """upstream normalizeDesiredReplicasWithBehaviors: stabilise, then limit the rate and the range. An
        unset scale-down window is --horizontal-pod-autoscaler-downscale-stabilization."""
        up = behavior.get("scaleUp") or {}
        down = behavior.get("scaleDown") or {}
        up_window = up.get("stabilizationWindowSeconds", 0)
        down_window = down.get("stabilizationWindowSeconds", self.profile.hpa_downscale_stabilization)
        stabilized = self._stabilize(key, current, proposal, up_window, down_window, now)
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

    def _stabilize(self, key: str, current: int, proposal: int, up_window: float, down_window: float,
                   now: float) -> int:
        up_cutoff, down_cutoff = now - up_window, now - down_window
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
        self._forget_old_events(key, up, down, now)
        ups, downs = self.scale_ups.get(key, []), self.scale_downs.get(key, [])
        if desired > current:
            limit = max(_rate_limit(current, ups, downs, up, now, True), current)
            if maximum > limit:
                allowed, reason, message = limit, "ScaleUpLimit", \
                    "the desired replica count is increasing faster than the maximum scale rate"
            else:
                allowed, reason, message = maximum, "TooManyReplicas", \
                    "the desired replica count is more than the maximum replica count"
            if desired > allowed:
                return allowed, reason, message
        elif desired < current:
            limit = min(_rate_limit(current, ups, downs, down, now, False), current)
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


class _Context:
    """What every metric of one HPA's pass shares."""

    def __init__(self, hpa: dict, scale: dict, pods: list[PodInfo], names: set[str], timing: Timing,
                 tolerances: Tolerances):
        self.hpa, self.scale, self.pods, self.names, self.timing, self.tolerances = \
            hpa, scale, pods, names, timing, tolerances


def _tolerances(behavior: dict | None) -> Tolerances:
    """upstream getTolerances: the per-direction `tolerance` of spec.behavior, else the controller's 10%."""
    behavior = behavior or {}
    down = (behavior.get("scaleDown") or {}).get("tolerance")
    up = (behavior.get("scaleUp") or {}).get("tolerance")
    return Tolerances(TOLERANCE if down is None else float(parse_quantity(down)),
                      TOLERANCE if up is None else float(parse_quantity(up)))


def _change_in_period(events: list[tuple[float, int]], period: float, now: float) -> int:
    return sum(change for at, change in events if at > now - period)


def _rate_limit(current: int, ups: list, downs: list, rules: dict, now: float, scale_up: bool) -> int:
    """upstream calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors."""
    select = rules.get("selectPolicy", "Max")
    if select == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or ():
        start = current - _change_in_period(ups, policy["periodSeconds"], now) \
            + _change_in_period(downs, policy["periodSeconds"], now)
        if scale_up:
            proposals.append(start + policy["value"] if policy["type"] == "Pods"
                             else math.ceil(start * (1 + policy["value"] / 100)))
        else:
            proposals.append(start - policy["value"] if policy["type"] == "Pods"
                             else int(start * (1 - policy["value"] / 100)))
    if not proposals:
        return current
    # Scaling up, the Min policy picks the smallest limit; scaling down it picks the largest (the smallest change).
    return (min if (select == "Min") == scale_up else max)(proposals)
