"""Benchmark: 1,000 nodes and 100,000 pods from Deployments until every pod is Running (wall time, peak RSS)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubetui.engine.cluster import Cluster, NodeConfig  # noqa: E402


def deployment(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
                                                           "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--pods", type=int, default=100_000)
    parser.add_argument("--deployments", type=int, default=100)
    args = parser.parse_args()

    t0 = time.perf_counter()
    cluster = Cluster(nodes=[NodeConfig(f"node-{i:04d}", cpu="64", memory="256Gi", pods="250") for i in range(args.nodes)],
                      profile="fast", seed=1)
    cluster.advance(5)
    t_nodes = time.perf_counter() - t0
    per = args.pods // args.deployments
    for i in range(args.deployments):
        cluster.api.create("deployments", deployment(f"app-{i:03d}", per), "default")
    running = 0
    step = 0
    while True:
        cluster.advance(5)
        step += 1
        pods = cluster.informers.informer("pods")
        running = sum(1 for p in pods.values() if p.get("status", {}).get("phase") == "Running")
        if running >= per * args.deployments or step > 400:
            break
    wall = time.perf_counter() - t0
    print(f"nodes={args.nodes} pods={per * args.deployments} running={running} virtual={cluster.now:.0f}s "
          f"wall={wall:.1f}s (nodes up in {t_nodes:.1f}s) peak_rss={peak_rss_mib():.0f}MiB "
          f"store_revision={cluster.store.revision} clock_events={cluster.clock.events_run}")
    print(f"RESULTS.md: | {datetime.date.today()} | {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()} | {args.nodes} nodes / {per * args.deployments} pods all Running | "
          f"wall {wall:.1f} s | peak RSS {peak_rss_mib():.0f} MiB |")


if __name__ == "__main__":
    main()
