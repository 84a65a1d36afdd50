"""The HPA's replica calculator: a proposal per metric from pod samples (upstream replica_calculator.go)."""

from __future__ import annotations

import math
from dataclasses import dataclass

TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance


class MetricError(Exception):
    pass


@dataclass(frozen=True)
class Tolerances:
    """How far the usage ratio may fall below / rise above 1.0 before the count changes."""

    down: float = TOLERANCE
    up: float = TOLERANCE

    def within(self, ratio: float) -> bool:
        return 1.0 - self.down <= ratio <= 1.0 + self.up


@dataclass(frozen=True)
class PodInfo:
    """What the replica calculator needs of one pod the target's selector matches."""

    name: str
    phase: str
    deleting: bool
    ready: str | None                  # the Ready condition's status, None without one
    ready_transition: float | None
    start_time: float | None
    # (container, {resource: request in milli-units}) for each container and restartable init container
    requests: tuple[tuple[str, dict[str, int]], ...]

    @property
    def deleted_or_failed(self) -> bool:
        return self.deleting or self.phase == "Failed"

    @property
    def pending(self) -> bool:
        return self.phase == "Pending"

    @property
    def running_ready(self) -> bool:
        return self.phase == "Running" and self.ready == "True"


@dataclass(frozen=True)
class Sample:
    value: int          # milli-units
    timestamp: float
    window: float


@dataclass(frozen=True)
class Timing:
    now: float
    cpu_initialization_period: float
    initial_readiness_delay: float


def group_pods(pods: list[PodInfo], metrics: dict[str, Sample], cpu: bool, timing: Timing
               ) -> tuple[int, set[str], set[str], set[str]]:
    """upstream groupPods: (ready count, unready, missing, ignored); readiness only matters for cpu."""
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
        if cpu:
            if pod.ready is None or pod.start_time is None:
                is_unready = True
            elif pod.start_time + timing.cpu_initialization_period > timing.now:
                # Still initialising: skip unready pods and samples not a full window after readiness changed.
                is_unready = pod.ready == "False" or \
                    sample.timestamp < (pod.ready_transition or 0.0) + sample.window
            else:
                # Skip pods that are unready and have never been ready.
                is_unready = pod.ready == "False" and \
                    pod.start_time + timing.initial_readiness_delay > (pod.ready_transition or 0.0)
            if is_unready:
                unready.add(pod.name)
                continue
        ready_count += 1
    return ready_count, unready, missing, ignored


def pod_requests(pods: list[PodInfo], container: str, resource: str) -> dict[str, int]:
    """upstream calculateRequests: each pod's request (all containers, or the named one)."""
    out = {}
    for pod in pods:
        total = 0
        for name, requests in pod.requests:
            if container and name != container:
                continue
            if resource not in requests:
                raise MetricError(f"missing request for {resource} in container {name} of Pod {pod.name}")
            total += requests[resource]
            if container:
                break
        else:
            if container:
                raise MetricError(f"container {container} not found in Pod {pod.name}")
        out[pod.name] = total
    return out


def utilization_ratio(values: dict[str, int], requests: dict[str, int], target: int) -> tuple[float, int, int]:
    """upstream GetResourceUtilizationRatio: (usage ratio, utilization %, average raw usage)."""
    used = requested = matched = 0
    for name, value in values.items():
        if name in requests:
            used += value
            requested += requests[name]
            matched += 1
    if requested == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = used * 100 // requested
    return utilization / target, utilization, used // matched


def _usage_ratio(values: dict[str, int], target: int) -> tuple[float, int]:
    """upstream GetMetricUsageRatio: the ratio of the (integer) average to the target."""
    average = sum(values.values()) // len(values)
    return average / target, average


def _ready_samples(pods: list[PodInfo], metrics: dict[str, Sample], cpu: bool, timing: Timing):
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    ready_count, unready, missing, ignored = group_pods(pods, metrics, cpu, timing)
    values = {name: s.value for name, s in metrics.items() if name not in ignored and name not in unready}
    if not values:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    return ready_count, unready, missing, values


def _rebalanced(current: int, ratio: float, new_ratio: float, count: int, tolerances: Tolerances) -> int:
    """The count once unready and missing pods are filled in, unless that flips the direction."""
    if tolerances.within(new_ratio) or ratio < 1.0 < new_ratio or ratio > 1.0 > new_ratio:
        return current
    replicas = math.ceil(new_ratio * count)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def resource_replicas(current: int, pods: list[PodInfo], metrics: dict[str, Sample], target: int, resource: str,
                      container: str, tolerances: Tolerances, timing: Timing) -> tuple[int, int, int]:
    """upstream GetResourceReplicas (a Utilization target): (replicas, utilization %, average usage)."""
    ready_count, unready, missing, values = _ready_samples(pods, metrics, resource == "cpu", timing)
    requests = pod_requests(pods, container, resource)
    ratio, percent, raw = utilization_ratio(values, requests, target)
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return current, percent, raw
        return math.ceil(ratio * ready_count), percent, raw
    if missing:
        if ratio < 1.0:  # scale-down: missing pods use their request (or the target, above 100%)
            for name in missing:
                values[name] = requests[name] * max(100, target) // 100
        elif ratio > 1.0:  # scale-up: missing pods are idle
            for name in missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio = utilization_ratio(values, requests, target)[0]
    return _rebalanced(current, ratio, new_ratio, len(values), tolerances), percent, raw


def plain_replicas(current: int, pods: list[PodInfo], metrics: dict[str, Sample], target: int, cpu: bool,
                   tolerances: Tolerances, timing: Timing) -> tuple[int, int]:
    """upstream calcPlainMetricReplicas (AverageValue of a resource, Pods metrics): (replicas, average)."""
    ready_count, unready, missing, values = _ready_samples(pods, metrics, cpu, timing)
    ratio, average = _usage_ratio(values, target)
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if tolerances.within(ratio):
            return current, average
        return math.ceil(ratio * ready_count), average
    if missing:
        if ratio < 1.0:  # scale-down: missing pods use exactly the target
            for name in missing:
                values[name] = target
        elif ratio > 1.0:
            for name in missing:
                values[name] = 0
    if scale_up_with_unready:
        for name in unready:
            values[name] = 0
    new_ratio = _usage_ratio(values, target)[0]
    return _rebalanced(current, ratio, new_ratio, len(values), tolerances), average


def usage_ratio_replicas(current: int, ratio: float, pods: list[PodInfo], tolerances: Tolerances) -> int:
    """upstream getUsageRatioReplicaCount (Object and External Value targets): the ratio times the ready pods."""
    if current == 0:
        return math.ceil(ratio)
    if tolerances.within(ratio):
        return current
    if not pods:
        raise MetricError("unable to calculate ready pods: no pods returned by selector while calculating replica count")
    return math.ceil(ratio * sum(1 for p in pods if p.running_ready))


def per_pod_replicas(status_replicas: int, total: int, target: int, tolerances: Tolerances) -> tuple[int, int]:
    """upstream GetObjectPerPodMetricReplicas (an AverageValue target on one total): (replicas, average)."""
    replicas = status_replicas
    if status_replicas == 0 or not tolerances.within(total / (target * status_replicas)):
        replicas = math.ceil(total / target)
    return replicas, math.ceil(total / status_replicas) if status_replicas else total
