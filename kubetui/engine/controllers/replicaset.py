"""ReplicaSet controller: keeps spec.replicas pods matching the selector (upstream pkg/controller/replicaset)."""

from __future__ import annotations

from ..api import selectors
from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..clock import rfc3339
from ..objects import controller_ref, is_pod_ready, key_of, owner_reference
from . import podcontrol, refmanager
from .base import Controller
from .owners import OwnerRouter

_TERMINATING = (False, False, False, None, None)  # the record of a claimed pod that is being deleted


class _OwnedPods:
    """The pods one ReplicaSet controls, classified when they change rather than on every sync.

    Upstream recounts every pod of the ReplicaSet on each sync; at thousands of replicas, with a
    sync per pod status change, that is quadratic. Here pod events mark pods dirty and a sync
    reclassifies only those; the counts are the ones upstream's calculateStatus produces.
    """

    def __init__(self, uid: str, selector: LabelSelector, template_labels: dict, min_ready: int):
        self.signature = (uid, selector, template_labels, min_ready)  # what the classification depends on
        self.uid = uid
        self.selector = selector
        self.template_selector = selectors.from_set(template_labels)
        self.min_ready = min_ready
        self.pods: dict[str, tuple] = {}  # key -> (active, fully labeled, ready, ready since, nodeName)
        self.per_node: dict[str | None, int] = {}  # active pods per node, for the deletion ranking
        self._ranked: dict[str, podcontrol.RankedPod] = {}
        self.dirty: set[str] = set()
        self.mismatched: set[str] = set()  # owned active pods the selector no longer matches
        self.waiting: dict[str, float | None] = {}  # ready pods not yet ready for minReadySeconds
        self.active = self.labeled = self.ready = self.available = self.terminating = 0

    def refresh(self, informer, now: float) -> None:
        dirty, self.dirty = self.dirty, set()
        for key in dirty:
            self._remove(key)
            pod = informer.get(key)
            if pod is not None:
                self._add(key, pod, now)

    def _add(self, key: str, pod: dict, now: float) -> None:
        meta = pod["metadata"]
        ref = controller_ref(pod)
        if ref is None or ref["uid"] != self.uid:
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        labels = meta.get("labels")
        if not self.selector.matches(labels):
            if not meta.get("deletionTimestamp"):
                self.mismatched.add(key)
            return
        if meta.get("deletionTimestamp"):
            self.pods[key] = _TERMINATING
            self.terminating += 1
            return
        labeled = self.template_selector.matches(labels)
        ready = is_pod_ready(pod)
        since = podcontrol.ready_since(pod) if ready else None
        node = pod["spec"].get("nodeName")
        self.pods[key] = (True, labeled, ready, since, node)
        self.per_node[node] = self.per_node.get(node, 0) + 1
        self.active += 1
        self.labeled += labeled
        if ready:
            self.ready += 1
            if not self.min_ready or (since is not None and since + self.min_ready < now):
                self.available += 1
            else:
                self.waiting[key] = since

    def _remove(self, key: str) -> None:
        self.mismatched.discard(key)
        self._ranked.pop(key, None)
        rec = self.pods.pop(key, None)
        if rec is None:
            return
        active, labeled, ready, _, node = rec
        if not active:
            self.terminating -= 1
            return
        if self.per_node[node] == 1:
            del self.per_node[node]
        else:
            self.per_node[node] -= 1
        self.active -= 1
        self.labeled -= labeled
        if ready:
            self.ready -= 1
            if key in self.waiting:
                del self.waiting[key]
            else:
                self.available -= 1

    def promote(self, now: float) -> float | None:
        """Count the pods whose minReadySeconds have passed; return when the next one's will."""
        due = None
        for key, since in list(self.waiting.items()):
            if since is None:
                continue
            if since + self.min_ready < now:
                del self.waiting[key]
                self.available += 1
            elif due is None or since + self.min_ready < due:
                due = since + self.min_ready
        return due

    def active_keys(self) -> list[str]:
        return sorted(k for k, rec in self.pods.items() if rec[0])

    def ranked(self, informer) -> list[podcontrol.RankedPod]:
        """The active pods with their deletion-order facts (kept until a pod changes)."""
        out = []
        cache = self._ranked
        for key in self.active_keys():
            r = cache.get(key)
            if r is None:
                r = cache[key] = podcontrol.RankedPod(informer.get(key))
            out.append(r)
        return out


class ReplicaSetController(Controller):
    """Creates and deletes pods so that spec.replicas of them match the selector.

    Subclasses adapt it to another owner kind (ReplicationController) by setting the class
    attributes and `parse_selector`, as upstream's replication controller wraps this one.
    """

    name = "replicaset"
    component = "replicaset-controller"
    resource = "replicasets"
    kind = "ReplicaSet"
    reports_terminating = True  # status.terminatingReplicas exists on apps/v1 ReplicaSets only

    def __init__(self, ctx):
        super().__init__(ctx)
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphan_pods)
        self.owners = self.informers.informer(self.resource)
        self._views: dict[str, _OwnedPods] = {}
        self._selectors: dict[str, tuple[str, int, LabelSelector | None]] = {}
        self.router = OwnerRouter(self.owners, self.kind, self.selector_of, self._touch,
                                  lambda owner: self.queue.add(key_of(owner)))
        self.owners.add_handler(self.enqueue, self._owner_updated, self._owner_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    def parse_selector(self, selector) -> LabelSelector:
        return selectors.from_label_selector_object(selector)

    def selector_of(self, owner: dict) -> LabelSelector | None:
        """The owner's selector, parsed once per generation (None if it does not parse)."""
        meta = owner["metadata"]
        key = key_of(owner)
        cached = self._selectors.get(key)
        if cached is not None and cached[0] == meta["uid"] and cached[1] == meta.get("generation"):
            return cached[2]
        try:
            sel = self.parse_selector(owner["spec"].get("selector"))
        except ApiError:
            sel = None
        self._selectors[key] = (meta["uid"], meta.get("generation"), sel)
        return sel

    # -- informer handlers (enqueue only) ------------------------------------------------------

    def _owner_updated(self, old: dict, new: dict) -> None:
        self.enqueue(new)

    def _owner_deleted(self, owner: dict) -> None:
        key = key_of(owner)
        self._views.pop(key, None)
        self._selectors.pop(key, None)

    def _touch(self, pod: dict, owner: dict) -> None:
        key = key_of(owner)
        view = self._views.get(key)
        if view is not None:
            view.dirty.add(key_of(pod))
        self.queue.add(key)

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        self.router.added(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        labels_changed = old["metadata"].get("labels") != new["metadata"].get("labels")
        if new["metadata"].get("deletionTimestamp"):
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        self.router.updated(old, new)

    def _pod_deleted(self, pod: dict) -> None:
        self.router.deleted(pod)

    # -- sync --------------------------------------------------------------------------------

    def _view(self, key: str, owner: dict, selector: LabelSelector) -> _OwnedPods:
        meta, spec = owner["metadata"], owner["spec"]
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = spec.get("minReadySeconds") or 0
        view = self._views.get(key)
        if view is None or view.signature != (meta["uid"], selector, template_labels, min_ready):
            view = _OwnedPods(meta["uid"], selector, template_labels, min_ready)
            view.dirty.update(self.pods.index_keys("controller", meta["uid"]))
            self._views[key] = view
        return view

    def sync(self, key: str) -> None:
        owner = self.owners.get(key)
        if owner is None:
            self._views.pop(key, None)
            self._selectors.pop(key, None)
            return
        selector = self.selector_of(owner)
        if selector is None:
            return  # upstream logs the bad selector and gives up until the object changes
        view = self._view(key, owner, selector)
        now = self.clock.now
        self._claim_pods(owner, selector, view, now)
        active_before = view.active
        error: ApiError | None = None
        more = False
        if not owner["metadata"].get("deletionTimestamp"):
            try:
                more = self._manage_replicas(owner, view, now)
            except ApiError as exc:
                error = exc
        view.refresh(self.pods, now)
        due = view.promote(now)
        self._update_status(key, view, active_before, error, now)
        if error is not None:
            raise error
        if more:
            self.queue.add(key)
        if due is not None:
            # upstream re-checks availability minReadySeconds (+1 s) after a pod turned ready
            self.queue.add_after(key, due + 1 - now)

    def _claim_pods(self, owner: dict, selector: LabelSelector, view: _OwnedPods, now: float) -> None:
        """claimPods: release owned pods the selector stopped matching, adopt matching orphans."""
        view.refresh(self.pods, now)
        candidates = sorted(view.mismatched)
        candidates += sorted(self.pods.index_keys(refmanager.ORPHAN_INDEX, owner["metadata"]["namespace"]))
        for pod_key in candidates:
            pod = self.pods.get(pod_key)
            if pod is not None:
                refmanager.claim(self.api, "pods", owner, selector, pod)
        if candidates:
            view.refresh(self.pods, now)

    def _manage_replicas(self, owner: dict, view: _OwnedPods, now: float) -> bool:
        """Create or delete pods towards spec.replicas; True when more remain for the next sync."""
        meta, spec = owner["metadata"], owner["spec"]
        namespace = meta["namespace"]
        diff = view.active - spec.get("replicas", 1)
        burst = min(abs(diff), podcontrol.BURST_REPLICAS)
        if diff < 0:
            template = spec.get("template") or {}
            ref = owner_reference(owner)
            prefix = podcontrol.generate_name_prefix(meta["name"])

            def create() -> None:
                pod = podcontrol.pod_from_template(template, ref, prefix)
                try:
                    created = self.api.create("pods", pod, namespace, field_validation="Ignore")
                except ApiError as exc:
                    if podcontrol.namespace_terminating(exc):
                        return
                    self.recorder.warning(owner, "FailedCreate", f"Error creating: {exc}")
                    raise
                self.recorder.normal(owner, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

            _, error = podcontrol.slow_start_batch(min(burst, podcontrol.PODS_PER_SYNC), create)
            if error is not None:
                raise error
        elif diff > 0:
            victims = podcontrol.pods_to_delete(view.ranked(self.pods), self._related_per_node(owner, now),
                                                burst, now)[:podcontrol.PODS_PER_SYNC]
            first_error = podcontrol.delete_pods(self.api, self.recorder, owner, namespace,
                                                 [victim.pod["metadata"]["name"] for victim in victims])
            if first_error is not None:
                raise first_error
        return burst > podcontrol.PODS_PER_SYNC

    def _related_per_node(self, owner: dict, now: float) -> dict[str | None, int]:
        """Active pods per node of every owner sharing this one's controller (getIndirectlyRelatedPods:
        a Deployment's ReplicaSets), so pods doubled up on a node go first."""
        ref = controller_ref(owner)
        if ref is None:
            return {}
        on_node: dict[str | None, int] = {}
        for sibling_key in sorted(self.owners.index_keys("controller", ref["uid"])):
            sibling = self.owners.get(sibling_key)
            selector = self.selector_of(sibling)
            if selector is None:
                continue
            view = self._view(sibling_key, sibling, selector)
            view.refresh(self.pods, now)
            for node, n in view.per_node.items():
                on_node[node] = on_node.get(node, 0) + n
        return on_node

    def _update_status(self, key: str, view: _OwnedPods, active_before: int, error: ApiError | None,
                       now: float) -> None:
        owner = self.owners.get(key)
        if owner is None:
            return
        old = owner.get("status") or {}
        conditions = list(old.get("conditions") or ())
        failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if error is not None and failure is None:
            diff = active_before - owner["spec"].get("replicas", 1)
            reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
            conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": rfc3339(now),
                               "reason": reason, "message": str(error)})
        elif error is None and failure is not None:
            conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
        status: dict = {"replicas": view.active}
        if view.labeled:
            status["fullyLabeledReplicas"] = view.labeled
        if view.ready:
            status["readyReplicas"] = view.ready
        if view.available:
            status["availableReplicas"] = view.available
        if self.reports_terminating:
            status["terminatingReplicas"] = view.terminating
        if owner["metadata"].get("generation"):
            status["observedGeneration"] = owner["metadata"]["generation"]
        if conditions:
            status["conditions"] = conditions
        if status == old:
            return
        try:
            self.api.update_status(self.resource, {**owner, "status": status})
        except ApiError as exc:
            if exc.code != 404:
                raise
