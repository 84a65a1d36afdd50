"""Benchmark: a 3-worker `fast` cluster with a 6-replica Deployment; kill a node; virtual seconds until 6 Running elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubetui.engine.cluster import Cluster  # noqa: E402


def running_elsewhere(cluster: Cluster, dead: str) -> int:
    pods = cluster.api.list("pods", "default", label_selector="app=web")[0]
    return sum(1 for p in pods if p["status"].get("phase") == "Running" and p["spec"].get("nodeName") != dead
               and not p["metadata"].get("deletionTimestamp")
               and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", ())))


def main() -> None:
    cluster = Cluster(profile="fast", seed=1)
    cluster.api.create("deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 6, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}, "default")
    cluster.advance(30)
    by_node: dict[str, int] = {}
    for p in cluster.api.list("pods", "default")[0]:
        by_node[p["spec"].get("nodeName")] = by_node.get(p["spec"].get("nodeName"), 0) + 1
    victim = max(sorted(by_node), key=lambda n: by_node[n])
    killed_at = cluster.now
    cluster.kill_node(victim)
    while running_elsewhere(cluster, victim) < 6 and cluster.now - killed_at < 600:
        cluster.advance(1)
    took = cluster.now - killed_at
    print(f"killed {victim} (ran {by_node[victim]} of 6 replicas); 6/6 Running elsewhere after {took:.0f}s virtual "
          f"(target ≤ 60 s)")


if __name__ == "__main__":
    main()
