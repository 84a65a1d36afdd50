"""Benchmark: TUI cold start to first frame (default scenario), and key → frame latency with 10,000 pods churning."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD_TARGET = 1.0
P95_TARGET_MS = 50.0
KEY_GAP = 0.15  # a person moving the cursor: a few keys a second, the cluster churning in between
SIZE = (160, 48)

# Runs `kubetui` (cli.main) as a user would, headless, and reports when the first frame has been composed.
_COLD_CHILD = """
import sys, time, json
marks = {"start": %(start)r}
from textual.app import App
from textual.screen import Screen
marks["textual imported"] = time.time()
_refresh = Screen._compositor_refresh
def _hooked(self):
    _refresh(self)
    if "first frame" not in marks:
        marks["first frame"] = time.time()
        self.app.exit()
Screen._compositor_refresh = _hooked
_run = App.run
def _headless(self, *args, **kwargs):
    marks["app running"] = time.time()
    return _run(self, *args, headless=True, size=%(size)r)
App.run = _headless
from kubetui import cli
from kubetui.scenario import runner
_start = runner.start
def _timed_start(*args, **kwargs):
    marks["scenario start"] = time.time()
    run = _start(*args, **kwargs)
    marks["scenario built"] = time.time()
    return run
cli.start = _timed_start
marks["kubetui imported"] = time.time()
code = cli.main(%(argv)r)
print("MARKS " + json.dumps(marks))
sys.exit(code)
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def cold_start(runs: int, argv: list[str]) -> float:
    """Median seconds from spawning `kubetui` to its first composed frame."""
    figures = []
    for _ in range(runs):
        start = time.time()
        child = _COLD_CHILD % {"start": start, "size": SIZE, "argv": argv}
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=120)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("MARKS ")), None)
        if line is None or out.returncode:
            sys.exit(f"cold start run failed (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")
        marks = json.loads(line[6:])
        figures.append(marks["first frame"] - start)
        steps = sorted(marks.items(), key=lambda kv: kv[1])
        print("  " + ", ".join(f"{name} +{(t - start) * 1000:.0f} ms" for name, t in steps[1:]))
    return statistics.median(figures)


def churn_cluster(replicas: int, nodes: int):
    """A `fast` cluster with `replicas` web pods Running, ready for a slow rolling update (1% surge)."""
    from kubetui.engine.client import LocalClient
    from kubetui.engine.cluster import Cluster, NodeConfig

    per_node = replicas * 13 // (10 * nodes) + 10  # room for the surge
    configs = [NodeConfig("control-plane", role="control-plane")]
    configs += [NodeConfig(f"worker-{i}", cpu="64", memory="256Gi", pods=str(per_node)) for i in range(1, nodes + 1)]
    client = LocalClient(Cluster(nodes=configs, profile="fast", seed=1))
    client.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                  "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                           "strategy": {"rollingUpdate": {"maxSurge": "1%", "maxUnavailable": 0}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    client.advance(30)
    return client


async def churn(replicas: int, nodes: int, presses: int, speed: float) -> list[float]:
    """Key → painted frame latencies (ms) for `presses` down-arrow presses in the pod list while the live runner
    ticks at `speed` during a rolling update."""
    from textual import events
    from textual.screen import Screen

    from kubetui.engine import gcpolicy
    from kubetui.live import LiveRunner
    from kubetui.tui.app import KubetuiApp
    from kubetui.tui.widgets.podlist import PodList

    t = time.perf_counter()
    client = churn_cluster(replicas, nodes)
    gcpolicy.interactive()  # as run_tui does
    print(f"  cluster with {len(client.list('pods'))} pods built in {time.perf_counter() - t:.1f} s")
    frames: list[float] = []
    handled: list[float] = []
    refresh = Screen._compositor_refresh
    cursor = PodList.action_cursor

    def hooked_refresh(self):
        refresh(self)
        frames.append(time.perf_counter())

    def hooked_cursor(self, delta):
        handled.append(time.perf_counter())
        cursor(self, delta)

    Screen._compositor_refresh = hooked_refresh
    PodList.action_cursor = hooked_cursor
    app = KubetuiApp(client, LiveRunner(client, speed=speed), "bench-10k", confirm=False, live=True)
    latencies = []
    start_rv = None
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            pods = app.query_one("#pods", PodList)
            pods.focus()
            client.patch("deployments", "web",
                         {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}},
                         namespace="default")
            start_rv = client.store_revision()
            await asyncio.sleep(1.0)
            started, start_now = time.perf_counter(), client.now
            for _ in range(presses):
                seen = len(handled)
                key = events.Key("down", None)
                key.set_sender(app)
                pressed = time.perf_counter()
                app._driver.send_message(key)  # as the terminal driver delivers a key
                deadline = pressed + 30
                while time.perf_counter() < deadline:
                    await asyncio.sleep(0.001)
                    if len(handled) > seen and frames and frames[-1] > handled[seen]:
                        break
                done = next(f for f in frames if f > handled[seen])
                latencies.append((done - pressed) * 1000)
                await asyncio.sleep(KEY_GAP)
            elapsed = time.perf_counter() - started
            writes = client.store_revision() - start_rv
            print(f"  virtual clock {client.now:.0f} s (×{(client.now - start_now) / elapsed:.1f} achieved), "
                  f"{writes} store writes during the presses ({writes / elapsed:,.0f}/s), cursor at row {pods.cursor}")
    finally:
        Screen._compositor_refresh = refresh
        PodList.action_cursor = cursor
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("cold", "churn"))
    parser.add_argument("--runs", type=int, default=5, help="cold start runs (median reported)")
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--speed", type=float, default=10.0)
    args = parser.parse_args()
    today = date.today().isoformat()
    lines = []
    if args.only in (None, "cold"):
        print("cold start (kubetui, default scenario, headless):")
        median = cold_start(args.runs, [])
        verdict = "meets" if median <= COLD_TARGET else "MISSES"
        lines.append(f"| {today} | TUI cold start to first frame (default scenario) | {median:.2f} s (median of "
                     f"{args.runs}) | ≤ {COLD_TARGET:.1f} s, {verdict} | {machine()} |")
    if args.only in (None, "churn"):
        print(f"key → frame, {args.pods} pods rolling, ×{args.speed:g}:")
        latencies = asyncio.run(churn(args.pods, args.nodes, args.presses, args.speed))
        p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
        verdict = "meets" if p95 <= P95_TARGET_MS else "MISSES"
        print(f"  max {max(latencies):.0f} ms")
        lines.append(f"| {today} | TUI key → frame, {args.pods:,} pods rolling update at ×{args.speed:g} "
                     f"({len(latencies)} presses) | p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                     f"| p95 ≤ {P95_TARGET_MS:.0f} ms, {verdict} | {machine()} |")
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
