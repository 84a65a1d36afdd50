"""Taint eviction controller: deletes pods from nodes with NoExecute taints they do not tolerate (or no longer)."""

from __future__ import annotations

from dataclasses import dataclass

from ..api.errors import ApiError
from ..clock import Timer, rfc3339
from ..leaderelection import gated
from .base import Controller


def tolerates(toleration: dict, taint: dict) -> bool:
    """v1.Toleration.ToleratesTaint: same effect (or any), same key (or any with Exists), same value for Equal."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def matching_tolerations(taints: list[dict], tolerations: list[dict]) -> tuple[bool, list[dict]]:
    """GetMatchingTolerations: whether every taint is tolerated, and the tolerations that do it."""
    used = []
    for taint in taints:
        for toleration in tolerations:
            if tolerates(toleration, taint):
                used.append(toleration)
                break
        else:
            return False, []
    return True, used


def min_toleration_seconds(tolerations: list[dict]) -> float:
    """getMinTolerationTime: the shortest tolerationSeconds; -1 when all tolerate forever."""
    if not tolerations:
        return 0.0
    seconds = [t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None]
    if not seconds:
        return -1.0
    return max(0.0, float(min(seconds)))


def _no_execute(node: dict | None) -> list[dict]:
    if node is None:
        return []
    return [t for t in (node.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]


@dataclass
class _Eviction:
    node: str
    created: float
    timer: Timer


class TaintEvictionController(Controller):
    """For every pod on a node with NoExecute taints: not tolerated → deleted now; tolerated for
    tolerationSeconds → deleted when that runs out (counted from when the controller first saw
    the taint); tolerated forever → left alone. Evictions are cancelled when the taints go."""

    name = "tainteviction"
    component = "taint-eviction-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.nodes = self.informers.informer("nodes")
        self.pods = self.informers.informer("pods")
        self._tainted: dict[str, list[dict]] = {}
        self._evictions: dict[str, _Eviction] = {}
        self.nodes.add_handler(on_add=lambda n: self._node_changed(None, n), on_update=self._node_changed,
                               on_delete=lambda n: self._node_changed(n, None))
        self.pods.add_handler(on_add=lambda p: self._pod_changed(None, p), on_update=self._pod_changed,
                              on_delete=lambda p: self._pod_changed(p, None))

    def _node_changed(self, old: dict | None, new: dict | None) -> None:
        if old is not None and new is not None and _no_execute(old) == _no_execute(new):
            return
        self.queue.add("node:" + (new or old)["metadata"]["name"])

    def _pod_changed(self, old: dict | None, new: dict | None) -> None:
        pod = new or old
        node = pod["spec"].get("nodeName")
        if old is not None and new is not None and (old["spec"].get("tolerations") == new["spec"].get("tolerations")
                                                    and old["spec"].get("nodeName") == node):
            return
        key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        if node in self._tainted or key in self._evictions:
            self.queue.add("pod:" + key)

    def sync(self, key: str) -> None:
        kind, _, name = key.partition(":")
        if kind == "node":
            self._sync_node(name)
        else:
            self._sync_pod(name)

    def _sync_node(self, name: str) -> None:
        node = self.nodes.get(name)
        taints = _no_execute(node)
        if taints:
            self._tainted[name] = taints
        else:
            self._tainted.pop(name, None)
        pods = self.pods.by_index("nodeName", name)
        now = self.clock.now
        for pod in pods:
            self._process(pod, name, taints, now)

    def _sync_pod(self, key: str) -> None:
        pod = self.pods.get(key)
        if pod is None:
            self._cancel(key, None)
            return
        node = pod["spec"].get("nodeName")
        taints = self._tainted.get(node) if node else None
        if taints is None:
            return
        self._process(pod, node, taints, self.clock.now)

    def _process(self, pod: dict, node: str, taints: list[dict], now: float) -> None:
        meta = pod["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        if not taints:
            self._cancel(key, pod)
            return
        if meta.get("deletionTimestamp"):
            return
        all_tolerated, used = matching_tolerations(taints, pod["spec"].get("tolerations") or [])
        if not all_tolerated:
            self._cancel(key, pod)
            self._schedule(key, node, now, now)
            return
        seconds = min_toleration_seconds(used)
        if seconds < 0:
            self._cancel(key, pod)
            return
        if key in self._evictions:
            return
        self._schedule(key, node, now, now + seconds)

    def _schedule(self, key: str, node: str, created: float, fire_at: float) -> None:
        timer = self.clock.call_at(fire_at, self._evict, key, label=f"evict {key}")
        self._evictions[key] = _Eviction(node, created, timer)

    def _cancel(self, key: str, pod: dict | None) -> None:
        eviction = self._evictions.pop(key, None)
        if eviction is None:
            return
        eviction.timer.cancel()
        namespace, _, name = key.partition("/")
        ref = pod or {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": namespace, "name": name}}
        self.recorder.normal(ref, "TaintManagerEviction", f"Cancelling deletion of Pod {key}")

    @gated
    def _evict(self, key: str) -> None:
        """addConditionAndDeletePod: mark the pod DisruptionTarget, then delete it (its own grace period)."""
        eviction = self._evictions.get(key)
        if eviction is None or eviction.timer.when > self.clock.now:
            return  # cancelled or rescheduled while no controller-manager was leading
        del self._evictions[key]
        namespace, _, name = key.partition("/")
        pod = self.pods.get(key)
        if pod is None:
            return
        self.recorder.normal(pod, "TaintManagerEviction", f"Marking for deletion Pod {key}")
        status = pod.get("status") or {}
        conditions = status.get("conditions") or []
        try:
            if not any(c.get("type") == "DisruptionTarget" and c.get("status") == "True" for c in conditions):
                condition = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                             "lastTransitionTime": rfc3339(self.clock.now), "reason": "DeletionByTaintManager",
                             "message": "Taint manager: deleting due to NoExecute taint"}
                new_status = {**status, "conditions": [*conditions, condition]}
                pod = self.api.update_status("pods", {**pod, "status": new_status})
            self.api.delete("pods", name, namespace, preconditions={"uid": pod["metadata"]["uid"]})
        except ApiError as exc:
            if exc.code not in (404, 409):
                self.ctx.record_error(self.name, key, exc)

    def pending_evictions(self) -> list[tuple[str, str, str, float]]:
        """Scheduled evictions, soonest first: (namespace, name, node, when)."""
        out = []
        for key, eviction in self._evictions.items():
            namespace, _, name = key.partition("/")
            out.append((namespace, name, eviction.node, eviction.timer.when))
        return sorted(out, key=lambda e: (e[3], e[0], e[1]))
