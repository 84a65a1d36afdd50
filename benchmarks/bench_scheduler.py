"""Benchmark: scheduler throughput on a SchedulingBasic-like workload (scheduler_perf: no kubelets, Ready nodes)."""

from __future__ import annotations

import argparse
import cProfile
import datetime
import os
import platform
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubetui.engine.api.server import APIServer  # noqa: E402
from kubetui.engine.clock import Clock  # noqa: E402
from kubetui.engine.context import Context  # noqa: E402
from kubetui.engine.informer import InformerFactory  # noqa: E402
from kubetui.engine.profiles import get_profile  # noqa: E402
from kubetui.engine.scheduler.scheduler import Scheduler  # noqa: E402
from kubetui.engine.store import Store  # noqa: E402


def node(name: str) -> dict:
    """scheduler_perf's node-default.yaml."""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "spec": {},
            "status": {"capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                       "allocatable": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}], "phase": "Running"}}


def pod(name: str) -> dict:
    """scheduler_perf's pod-default.yaml."""
    resources = {"cpu": "100m", "memory": "500Mi"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.10",
                                     "ports": [{"containerPort": 80}],
                                     "resources": {"limits": dict(resources), "requests": dict(resources)}}]}}


def setup(nodes: int) -> tuple[Context, Scheduler]:
    clock = Clock()
    rng = random.Random(1)
    api = APIServer(Store(clock), clock, rng)
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    ctx = Context(api, clock, InformerFactory(api), rng, get_profile("realistic"))
    scheduler = Scheduler(ctx)
    for i in range(nodes):
        api.create("nodes", node(f"scheduler-perf-{i:05d}"), field_validation="Ignore")
    return ctx, scheduler


def create_pods(ctx: Context, prefix: str, count: int) -> None:
    for i in range(count):
        ctx.api.create("pods", pod(f"{prefix}-{i:06d}"), "default", field_validation="Ignore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--init-pods", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=10_000, help="measured pods")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of the measured phase")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ctx, scheduler = setup(args.nodes)
    t_nodes = time.perf_counter() - t0
    create_pods(ctx, "init", args.init_pods)
    ctx.clock.advance(0)
    assert scheduler.stats["scheduled"] == args.init_pods, scheduler.stats

    t1 = time.perf_counter()
    create_pods(ctx, "measured", args.pods)
    t_create = time.perf_counter() - t1
    profiler = cProfile.Profile() if args.profile else None
    t2 = time.perf_counter()
    if profiler:
        profiler.enable()
    ctx.clock.advance(0)
    if profiler:
        profiler.disable()
    t_sched = time.perf_counter() - t2
    scheduled = scheduler.stats["scheduled"] - args.init_pods
    assert scheduled == args.pods, scheduler.stats
    throughput = scheduled / t_sched

    print(f"nodes created: {args.nodes} in {t_nodes:.2f}s; pods created: {args.pods} in {t_create:.2f}s "
          f"({args.pods / t_create:.0f}/s)")
    print(f"scheduled {scheduled} pods in {t_sched:.2f}s wall: {throughput:.0f} pods/s "
          f"(scheduler_perf SchedulingBasic/5000Nodes threshold: 680 pods/s)")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"RESULTS.md: | {datetime.date.today()} | bench_scheduler | {args.nodes} nodes, {args.init_pods} init + "
          f"{args.pods} measured pods | {throughput:.0f} pods/s | {machine} |")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
