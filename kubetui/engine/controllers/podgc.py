"""Pod garbage collector: force-deletes orphaned pods, pods stuck on out-of-service nodes, excess finished pods."""

from __future__ import annotations

from ..api.errors import ApiError
from ..clock import rfc3339
from ..objects import condition_true
from .base import Controller

GC_CHECK_PERIOD = 20.0             # gcCheckPeriod
QUARANTINE_SECONDS = 40.0          # how long a missing node may take to show up before its pods go
TERMINATED_POD_THRESHOLD = 12500   # --terminated-pod-gc-threshold
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

_GC_KEY = "gc"


class PodGCController(Controller):
    """A periodic pass, like upstream's, over sets kept current by pod events (never all pods)."""

    name = "podgc"
    component = "pod-garbage-collector"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.nodes = self.informers.informer("nodes")
        self.pods = self.informers.informer("pods")
        self._terminating: set[str] = set()
        self._terminated: set[str] = set()
        self._pods_per_node: dict[str, int] = {}
        self._missing_since: dict[str, float] = {}
        self.pods.add_handler(on_add=lambda p: self._track(None, p), on_update=self._track,
                              on_delete=lambda p: self._track(p, None))
        self.clock.call_later(GC_CHECK_PERIOD, self._tick, daemon=True)

    def _track(self, old: dict | None, new: dict | None) -> None:
        pod = new or old
        key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        old_node = old["spec"].get("nodeName") if old is not None else None
        new_node = new["spec"].get("nodeName") if new is not None else None
        if old_node != new_node:
            if old_node:
                left = self._pods_per_node[old_node] - 1
                if left:
                    self._pods_per_node[old_node] = left
                else:
                    del self._pods_per_node[old_node]
            if new_node:
                self._pods_per_node[new_node] = self._pods_per_node.get(new_node, 0) + 1
        if new is not None and new["metadata"].get("deletionTimestamp"):
            self._terminating.add(key)
        else:
            self._terminating.discard(key)
        if new is not None and (new.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            self._terminated.add(key)
        else:
            self._terminated.discard(key)

    def _tick(self) -> None:
        self.clock.call_later(GC_CHECK_PERIOD, self._tick, daemon=True)
        self.queue.add(_GC_KEY)

    def sync(self, key: str) -> None:
        self._gc_terminated()
        self._gc_terminating()
        self._gc_orphaned()
        self._gc_unscheduled_terminating()

    def _gc_terminated(self) -> None:
        excess = len(self._terminated) - TERMINATED_POD_THRESHOLD
        if excess <= 0:
            return
        pods = [p for p in (self.pods.get(k) for k in self._terminated) if p is not None]
        pods.sort(key=lambda p: ((p.get("status") or {}).get("reason") != "Evicted",
                                 p["metadata"].get("creationTimestamp") or "", p["metadata"]["name"]))
        for pod in pods[:excess]:
            self._mark_failed_and_delete(pod)

    def _gc_terminating(self) -> None:
        """Terminating pods on a NotReady node an admin marked out of service: nobody will confirm them."""
        for key in sorted(self._terminating):
            pod = self.pods.get(key)
            if pod is None:
                continue
            node = self.nodes.get(pod["spec"].get("nodeName") or "")
            if node is None or condition_true(node, "Ready"):
                continue
            if any(t.get("key") == OUT_OF_SERVICE for t in (node.get("spec") or {}).get("taints") or ()):
                self._mark_failed_and_delete(pod)

    def _gc_orphaned(self) -> None:
        """Pods bound to a node that has stayed missing for the quarantine time."""
        now = self.clock.now
        for node in self._pods_per_node:
            if self.nodes.get(node) is None:
                self._missing_since.setdefault(node, now)
        for node, since in sorted(self._missing_since.items()):
            if self.nodes.get(node) is not None or node not in self._pods_per_node:
                del self._missing_since[node]
            elif now - since >= QUARANTINE_SECONDS and self.api.try_get("nodes", node) is None:
                del self._missing_since[node]
                condition = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                             "message": "PodGC: node no longer exists"}
                for pod in self.pods.by_index("nodeName", node):
                    self._mark_failed_and_delete(pod, condition)

    def _gc_unscheduled_terminating(self) -> None:
        for key in sorted(self._terminating):
            pod = self.pods.get(key)
            if pod is not None and not pod["spec"].get("nodeName"):
                self._mark_failed_and_delete(pod)

    def _mark_failed_and_delete(self, pod: dict, condition: dict | None = None) -> None:
        """Move the pod to Failed (nobody else will: its kubelet is gone), then force-delete it."""
        meta = pod["metadata"]
        status = pod.get("status") or {}
        try:
            if status.get("phase") not in ("Succeeded", "Failed"):
                new_status = {**status, "phase": "Failed"}
                if condition is not None:
                    conditions = [c for c in status.get("conditions") or () if c.get("type") != condition["type"]]
                    new_status["conditions"] = [*conditions, {**condition, "lastProbeTime": None,
                                                              "lastTransitionTime": rfc3339(self.clock.now)}]
                self.api.update_status("pods", {**pod, "status": new_status})
            self.api.delete("pods", meta["name"], meta["namespace"], grace_period_seconds=0)
        except ApiError as exc:
            if exc.code != 404:
                self.ctx.record_error(self.name, f"{meta['namespace']}/{meta['name']}", exc)
