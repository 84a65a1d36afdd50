"""Timing profiles: `realistic` uses upstream defaults; `fast` shortens the long waits for live demos."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Profile:
    name: str
    # kubelet
    node_lease_duration: float = 40.0             # nodeLeaseDurationSeconds
    node_lease_renew_interval: float = 10.0       # 0.25 × lease duration
    node_status_update_frequency: float = 10.0
    node_status_report_frequency: float = 300.0
    image_pull_seconds: float = 2.0               # simulated time to pull an image not yet on the node
    container_start_seconds: float = 0.5          # runtime create + start
    crashloop_initial_backoff: float = 10.0
    crashloop_max_backoff: float = 300.0
    crashloop_reset_after: float = 600.0
    # kube-controller-manager
    node_monitor_period: float = 5.0
    node_monitor_grace_period: float = 50.0
    node_startup_grace_period: float = 60.0
    node_eviction_rate: float = 0.1               # nodes per second
    # kube-apiserver admission
    default_toleration_seconds: int = 300
    # kube-scheduler
    pod_initial_backoff: float = 1.0
    pod_max_backoff: float = 10.0
    unschedulable_flush_interval: float = 300.0
    # kube-apiserver
    compaction_interval: float = 300.0
    resource_quota_sync_period: float = 300.0     # --resource-quota-sync-period
    hpa_sync_period: float = 15.0                 # --horizontal-pod-autoscaler-sync-period
    hpa_cpu_initialization_period: float = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
    hpa_initial_readiness_delay: float = 30.0     # --horizontal-pod-autoscaler-initial-readiness-delay
    hpa_downscale_stabilization: float = 300.0    # --horizontal-pod-autoscaler-downscale-stabilization
    # metrics-server
    metric_resolution: float = 15.0               # --metric-resolution
    load_balancer_provision_seconds: float = 5.0  # the simulated cloud takes this long to create a load balancer
    volume_provision_seconds: float = 4.0         # the simulated storage backend takes this long to create or delete a volume

    def differences(self) -> dict[str, tuple[object, object]]:
        """Settings that differ from upstream defaults (shown in the UI as non-default)."""
        base = REALISTIC
        return {f.name: (getattr(self, f.name), getattr(base, f.name))
                for f in fields(self) if f.name != "name" and getattr(self, f.name) != getattr(base, f.name)}


REALISTIC = Profile("realistic")
FAST = Profile(
    "fast",
    node_lease_duration=12.0,
    node_lease_renew_interval=3.0,
    node_status_update_frequency=3.0,
    node_monitor_period=2.0,
    node_monitor_grace_period=15.0,
    node_startup_grace_period=20.0,
    node_eviction_rate=1.0,
    default_toleration_seconds=20,
    crashloop_initial_backoff=5.0,
    crashloop_max_backoff=60.0,
    image_pull_seconds=1.0,
    load_balancer_provision_seconds=2.0,
    volume_provision_seconds=1.0,
)
PROFILES = {"realistic": REALISTIC, "fast": FAST}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}") from None
