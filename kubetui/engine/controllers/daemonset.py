"""DaemonSet controller: one pod per eligible node, rolled out through ControllerRevisions (pkg/controller/daemon)."""

from __future__ import annotations

from ..api import selectors
from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..api.server import DAEMONSET_TEMPLATE_GENERATION
from ..objects import controller_ref, is_pod_ready, key_of, owner_reference
from . import history, podcontrol, refmanager
from .base import Controller
from .owners import OwnerRouter
from .history import CONTROLLER_REVISION_HASH
from .deployment import scaled_value
from .tainteviction import tolerates

TEMPLATE_GENERATION_LABEL = "pod-template-generation"  # apps/v1 DaemonSetTemplateGenerationKey
NODE_NAME_FIELD = "metadata.name"                      # the node field a DaemonSet pod's affinity names
# kube-controller-manager hands the controller flowcontrol.NewBackOff(1s, 15m) for failed pods.
FAILED_POD_BACKOFF_INITIAL = 1.0
FAILED_POD_BACKOFF_MAX = 900.0

# AddOrUpdateDaemonPodTolerations, in upstream's order. Without tolerationSeconds, so node problems
# never evict a daemon pod; every DaemonSet pod also tolerates a cordoned node.
DAEMON_TOLERATIONS = tuple({"key": key, "operator": "Exists", "effect": effect} for key, effect in (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
))
HOST_NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}

_NODE_SELECTOR_OPERATORS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
                            "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GREATER_THAN,
                            "Lt": selectors.LESS_THAN}


# -- daemon pods (pkg/controller/daemon/util) ---------------------------------------------------------

def _same_toleration(a: dict, b: dict) -> bool:
    """Toleration.MatchToleration: same key, operator, value and effect."""
    return all((a.get(f) or "") == (b.get(f) or "") for f in ("key", "operator", "value", "effect"))


def daemon_tolerations(pod_spec: dict) -> list[dict]:
    """The pod's tolerations after AddOrUpdateDaemonPodTolerations: each default toleration replaces
    a matching one of the template (which may carry tolerationSeconds) or is appended."""
    tolerations = list(pod_spec.get("tolerations") or ())
    wanted = DAEMON_TOLERATIONS + ((HOST_NETWORK_TOLERATION,) if pod_spec.get("hostNetwork") else ())
    for toleration in wanted:
        i = next((i for i, t in enumerate(tolerations) if _same_toleration(t, toleration)), None)
        if i is None:
            tolerations.append(dict(toleration))
        elif tolerations[i] != toleration:
            tolerations[i] = dict(toleration)
    return tolerations


def node_name_affinity(affinity: dict | None, node: str) -> dict:
    """ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the single term
    `matchFields metadata.name In [node]`, which the scheduler binds to that node (the controller
    has already checked the template's own terms against it). Preferred terms stay."""
    node_affinity = (affinity or {}).get("nodeAffinity") or {}
    required = {"nodeSelectorTerms": [{"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node]}]}]}
    return {**(affinity or {}), "nodeAffinity": {**node_affinity, "requiredDuringSchedulingIgnoredDuringExecution": required}}


def target_node(pod: dict) -> str | None:
    """GetTargetNodeName: spec.nodeName, or before binding the node the pod's affinity names."""
    spec = pod["spec"]
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    for term in (required or {}).get("nodeSelectorTerms") or ():
        for req in term.get("matchFields") or ():
            if req.get("key") == NODE_NAME_FIELD and req.get("operator") == "In":
                values = req.get("values") or ()
                return values[0] if len(values) == 1 else None
    return None


def template_generation(ds: dict) -> int | None:
    """GetTemplateGeneration: the API server's template generation annotation (None if absent or bad)."""
    value = (ds["metadata"].get("annotations") or {}).get(DAEMONSET_TEMPLATE_GENERATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def daemon_pod_template(template: dict, generation: int | None, template_hash: str) -> dict:
    """CreatePodTemplate: the template with the default tolerations, labelled with its generation and hash."""
    meta = template.get("metadata") or {}
    labels = dict(meta.get("labels") or {})
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = str(generation)
    if template_hash:
        labels[CONTROLLER_REVISION_HASH] = template_hash
    spec = template.get("spec") or {}
    return {**template, "metadata": {**meta, "labels": labels}, "spec": {**spec, "tolerations": daemon_tolerations(spec)}}


def is_pod_updated(pod: dict, template_hash: str, generation: int | None) -> bool:
    """IsPodUpdated: the pod carries the current revision's hash (or the current template generation)."""
    labels = pod["metadata"].get("labels") or {}
    if generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation):
        return True
    return bool(template_hash) and labels.get(CONTROLLER_REVISION_HASH) == template_hash


def _rolling(ds: dict) -> dict | None:
    strategy = ds["spec"].get("updateStrategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate")


def surge_count(ds: dict, desired: int) -> int:
    """SurgeCount: maxSurge of `desired` (percentages round up); 0 unless rolling with a maxSurge."""
    rolling = _rolling(ds)
    if rolling is None or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], desired, True)


def unavailable_count(ds: dict, desired: int) -> int:
    """UnavailableCount: maxUnavailable of `desired` (percentages round up)."""
    rolling = _rolling(ds)
    if rolling is None or rolling.get("maxUnavailable") is None:
        return 0
    return scaled_value(rolling["maxUnavailable"], desired, True)


def _creation_order(pod: dict) -> tuple:
    """podByCreationTimestampAndPhase: bound pods first, then the oldest, then by name."""
    meta = pod["metadata"]
    return not pod["spec"].get("nodeName"), meta.get("creationTimestamp") or "", meta["name"]


def _is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


# -- which nodes a DaemonSet runs on ------------------------------------------------------------

def _parse_term(term: dict) -> tuple | None:
    """A NodeSelectorTerm as (label selector or None, ((field, equal?, value), ...)); None when it can
    match no node: empty, or invalid (nodeaffinity drops a term that does not parse)."""
    expressions = term.get("matchExpressions") or ()
    fields = term.get("matchFields") or ()
    if not expressions and not fields:
        return None
    requirements = []
    for req in expressions:
        op = _NODE_SELECTOR_OPERATORS.get(req.get("operator"))
        values = tuple(req.get("values") or ())
        if op is None or (op in (selectors.IN, selectors.NOT_IN) and not values):
            return None
        if (op in (selectors.EXISTS, selectors.DOES_NOT_EXIST) and values) or \
                (op in (selectors.GREATER_THAN, selectors.LESS_THAN) and len(values) != 1):
            return None
        requirements.append((req.get("key", ""), op, values))
    field_reqs = []
    for req in fields:
        values = req.get("values") or ()
        if len(values) != 1 or req.get("operator") not in ("In", "NotIn"):
            return None
        field_reqs.append((req.get("key", ""), req["operator"] == "In", values[0]))
    return LabelSelector(requirements) if requirements else None, tuple(field_reqs)


def _term_matches(term: tuple, name: str, labels: dict) -> bool:
    selector, field_reqs = term
    if selector is not None and not selector.matches(labels):
        return False
    for key, equal, value in field_reqs:
        if ((name if key == NODE_NAME_FIELD else "") == value) != equal:
            return False
    return True


class Placement:
    """What NodeShouldRunDaemonPod reads from a DaemonSet's pod template, parsed once per generation."""

    __slots__ = ("node_name", "node_selector", "terms", "tolerations")

    def __init__(self, ds: dict):
        spec = (ds["spec"].get("template") or {}).get("spec") or {}
        self.node_name = spec.get("nodeName") or ""
        self.node_selector = selectors.from_set(spec["nodeSelector"]) if spec.get("nodeSelector") else None
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        self.terms = None if required is None else tuple(
            t for t in map(_parse_term, required.get("nodeSelectorTerms") or ()) if t is not None)
        self.tolerations = daemon_tolerations(spec)

    def fits(self, node: dict) -> tuple[bool, bool]:
        """NodeShouldRunDaemonPod: (should run, should continue running). A node must match the
        template's node name, node selector and required node affinity; a NoSchedule or NoExecute
        taint the pod does not tolerate keeps a new pod off, and only an untolerated NoExecute taint
        makes an existing one go."""
        meta = node["metadata"]
        name = meta["name"]
        if self.node_name and self.node_name != name:
            return False, False
        labels = meta.get("labels") or {}
        if self.node_selector is not None and not self.node_selector.matches(labels):
            return False, False
        if self.terms is not None and not any(_term_matches(t, name, labels) for t in self.terms):
            return False, False
        untolerated = {t.get("effect") for t in (node.get("spec") or {}).get("taints") or ()
                       if t.get("effect") in ("NoSchedule", "NoExecute")
                       and not any(tolerates(tol, t) for tol in self.tolerations)}
        if not untolerated:
            return True, True
        return False, "NoExecute" not in untolerated


class _Parsed:
    """One generation of a DaemonSet as the controller reads it: selector, placement, and the
    placement's verdict per node (kept while the node's labels and taints stay the same objects)."""

    __slots__ = ("uid", "generation", "selector", "placement", "fits")

    def __init__(self, ds: dict):
        meta = ds["metadata"]
        self.uid = meta["uid"]
        self.generation = meta.get("generation")
        try:
            self.selector = selectors.from_label_selector_object(ds["spec"].get("selector"))
        except ApiError:
            self.selector = None
        self.placement = Placement(ds)
        self.fits: dict[str, tuple] = {}  # node -> (labels, taints, verdict)

    def fit(self, node: dict) -> tuple[bool, bool]:
        meta = node["metadata"]
        labels, taints = meta.get("labels"), (node.get("spec") or {}).get("taints")
        cached = self.fits.get(meta["name"])
        if cached is not None and cached[0] is labels and cached[1] is taints:
            return cached[2]
        verdict = self.placement.fits(node)
        self.fits[meta["name"]] = (labels, taints, verdict)
        return verdict


class _Backoff:
    """flowcontrol.Backoff (without jitter): per key a delay that starts at `initial` and doubles on
    each `next` up to `maximum`; a key quiet for twice the maximum starts over."""

    def __init__(self, initial: float, maximum: float):
        self.initial = initial
        self.maximum = maximum
        self.entries: dict[str, tuple[float, float]] = {}  # key -> (delay, last update)

    def _live(self, key: str, now: float) -> tuple[float, float] | None:
        entry = self.entries.get(key)
        if entry is not None and now - entry[1] > 2 * self.maximum:
            del self.entries[key]
            return None
        return entry

    def in_backoff(self, key: str, now: float) -> bool:
        entry = self._live(key, now)
        return entry is not None and now - entry[1] < entry[0]

    def delay(self, key: str) -> float:
        entry = self.entries.get(key)
        return entry[0] if entry is not None else 0.0

    def next(self, key: str, now: float) -> None:
        entry = self._live(key, now)
        delay = self.initial if entry is None else min(entry[0] * 2, self.maximum)
        self.entries[key] = (delay, now)

    def forget(self, prefix: str) -> None:
        for key in [k for k in self.entries if k.startswith(prefix)]:
            del self.entries[key]


# -- the controller ------------------------------------------------------------------------------

class DaemonSetController(Controller):
    """Mirrors kube-controller-manager's DaemonSetsController: for every node that should run the
    DaemonSet's pod it creates one (bound by node affinity, placed by the scheduler), deletes pods
    from nodes that should not, replaces failed pods with a backoff, records the template in
    ControllerRevisions, rolls pods over to a new revision (RollingUpdate within maxUnavailable /
    maxSurge, or OnDelete), and reports the counts in the status."""

    name = "daemonset"
    component = "daemonset-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.sets = self.informers.informer("daemonsets")
        self.revisions = self.informers.informer("controllerrevisions")
        self.revisions.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphans)
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphan_pods)
        self.nodes = self.informers.informer("nodes")
        self.failed_pods_backoff = _Backoff(FAILED_POD_BACKOFF_INITIAL, FAILED_POD_BACKOFF_MAX)
        self._parsed: dict[str, _Parsed] = {}
        # Pods by node, kept until an event about the DaemonSet's pods (or revisions) bumps its count:
        # a sync reads them three times, and most syncs write nothing in between.
        self._changes: dict[str, int] = {}
        self._by_node: dict[str, tuple[tuple, dict[str, list[dict]]]] = {}
        self.router = OwnerRouter(self.sets, "DaemonSet", lambda ds: self.parsed(ds).selector, self._enqueue_owner,
                                  self.enqueue)
        self.sets.add_handler(self.enqueue, self._set_updated, self._set_deleted)
        self.revisions.add_handler(self._revision_added, self._revision_updated, self._revision_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        self.nodes.add_handler(self._node_added, self._node_updated)

    def parsed(self, ds: dict) -> _Parsed:
        key = key_of(ds)
        meta = ds["metadata"]
        p = self._parsed.get(key)
        if p is None or p.uid != meta["uid"] or p.generation != meta.get("generation"):
            p = self._parsed[key] = _Parsed(ds)
        return p

    # -- informer handlers (enqueue only) ----------------------------------------------------

    def _set_updated(self, old: dict, new: dict) -> None:
        self.enqueue(new)

    def _forget(self, key: str) -> None:
        self._parsed.pop(key, None)
        self._changes.pop(key, None)
        self._by_node.pop(key, None)

    def _set_deleted(self, ds: dict) -> None:
        self._forget(key_of(ds))
        self.failed_pods_backoff.forget(ds["metadata"]["uid"] + "/")
        self.enqueue(ds)

    def _enqueue_owner(self, obj: dict, ds: dict) -> None:
        key = key_of(ds)
        self._changes[key] = self._changes.get(key, 0) + 1
        self.queue.add(key)

    def _revision_added(self, rev: dict) -> None:
        if rev["metadata"].get("deletionTimestamp"):
            self._revision_deleted(rev)
        elif controller_ref(rev) is None:
            self.router.adopters_of(rev)  # GetHistoryDaemonSets

    def _revision_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") != new["metadata"].get("resourceVersion"):
            self.router.updated(old, new)

    def _revision_deleted(self, rev: dict) -> None:
        self.router.deleted(rev)

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        self.router.added(pod)  # an orphan goes to GetPodDaemonSets

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if new["metadata"].get("deletionTimestamp"):
            self._pod_deleted(new)
            return
        ds = self.router.updated(old, new)
        min_ready = (ds or {}).get("spec", {}).get("minReadySeconds") or 0
        if min_ready and not is_pod_ready(old) and is_pod_ready(new):
            self.queue.add_after(key_of(ds), min_ready + 1)

    def _pod_deleted(self, pod: dict) -> None:
        self.router.deleted(pod)

    def _node_added(self, node: dict) -> None:
        for ds in self.sets.list():
            if self.parsed(ds).placement.fits(node)[0]:
                self.enqueue(ds)

    def _node_updated(self, old: dict, new: dict) -> None:
        """Only a change that flips a DaemonSet's verdict on the node wakes that DaemonSet; the
        verdict reads nothing but the node's name, labels and taints."""
        if (old["metadata"].get("labels") == new["metadata"].get("labels")
                and (old.get("spec") or {}).get("taints") == (new.get("spec") or {}).get("taints")):
            return
        for ds in self.sets.list():
            placement = self.parsed(ds).placement
            if placement.fits(old) != placement.fits(new):
                self.enqueue(ds)

    # -- sync --------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        ds = self.sets.get(key)
        if ds is None:
            self._forget(key)
            return
        raw = ds["spec"].get("selector")
        if raw is not None and not raw.get("matchLabels") and not raw.get("matchExpressions"):
            self.recorder.warning(ds, "SelectingAll",
                                  "This daemon set is selecting all pods. A non-empty selector is required.")
            return
        if ds["metadata"].get("deletionTimestamp"):
            return  # its revisions may be going already: upstream leaves the status alone
        parsed = self.parsed(ds)
        if parsed.selector is None:
            return
        nodes = self.nodes.list()
        fits = self._fits(parsed, nodes)
        self._claim_pods(ds, parsed.selector)
        current, old = self._construct_history(ds, parsed.selector)
        template_hash = (current["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
        more = False
        error: ApiError | None = None
        try:
            more = self._manage(ds, nodes, fits, template_hash)
            if (ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate":
                more = self._rolling_update(ds, nodes, fits, template_hash) or more
            self._cleanup_history(ds, old)
        except ApiError as exc:
            error = exc
        self._update_status(key, nodes, fits, template_hash)
        if error is not None:
            raise error
        if more:
            self.queue.add(key)

    def _fits(self, parsed: _Parsed, nodes: list[dict]) -> dict[str, tuple[bool, bool]]:
        out = {node["metadata"]["name"]: parsed.fit(node) for node in nodes}
        if len(parsed.fits) > len(out):
            parsed.fits = {name: v for name, v in parsed.fits.items() if name in out}
        return out

    # -- pods -------------------------------------------------------------------------------

    def _claim_pods(self, ds: dict, selector: LabelSelector) -> None:
        """ClaimPods: keep owned pods that match, release owned ones that stopped matching, adopt orphans."""
        candidates = sorted(self.pods.index_keys("controller", ds["metadata"]["uid"]))
        candidates += sorted(self.pods.index_keys(refmanager.ORPHAN_INDEX, ds["metadata"]["namespace"]))
        for pod_key in candidates:
            pod = self.pods.get(pod_key)
            if pod is not None:
                refmanager.claim(self.api, "pods", ds, selector, pod)

    def _daemon_pods(self, ds: dict) -> list[dict]:
        selector = self.parsed(ds).selector
        pods = (self.pods.get(k) for k in sorted(self.pods.index_keys("controller", ds["metadata"]["uid"])))
        return [p for p in pods if p is not None and selector.matches(p["metadata"].get("labels"))]

    def _pods_by_node(self, ds: dict, include_deleted_terminal: bool = False) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: the claimed pods by the node they run on or are meant for. Finished
        pods already being deleted are left out unless asked for: nothing is left to do with them.
        Shared between the steps of a sync: callers must not change it."""
        key = key_of(ds)
        version = (ds["metadata"]["uid"], self._changes.get(key, 0), include_deleted_terminal)
        cached = self._by_node.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        by_node: dict[str, list[dict]] = {}
        for pod in self._daemon_pods(ds):
            if not include_deleted_terminal and pod["metadata"].get("deletionTimestamp") and _is_terminal(pod):
                continue
            node = target_node(pod)
            if node is not None:
                by_node.setdefault(node, []).append(pod)
        self._by_node[key] = (version, by_node)
        return by_node

    def _manage(self, ds: dict, nodes: list[dict], fits: dict, template_hash: str) -> bool:
        """manage: create the pods nodes are missing, delete the ones that should not be there."""
        by_node = self._pods_by_node(ds)
        surge = surge_count(ds, 1) != 0
        to_create: list[str] = []
        to_delete: list[str] = []
        for node in nodes:
            name = node["metadata"]["name"]
            create, delete = self._pods_should_be_on_node(ds, name, fits[name], by_node.get(name), template_hash, surge)
            if create:
                to_create.append(name)
            to_delete += delete
        for name in sorted(set(by_node) - set(fits)):  # getUnscheduledPodsWithoutNode: meant for a node that is gone
            to_delete += [p["metadata"]["name"] for p in by_node[name] if not p["spec"].get("nodeName")]
        return self._sync_nodes(ds, to_delete, to_create, template_hash)

    def _pods_should_be_on_node(self, ds: dict, node: str, fit: tuple[bool, bool], pods: list[dict] | None,
                                template_hash: str, surge: bool) -> tuple[bool, list[str]]:
        """podsShouldBeOnNode: whether the node needs a new pod, and which of its pods to delete."""
        should_run, should_continue = fit
        if not pods:
            return should_run, []
        if not should_continue:
            return False, [p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")]
        to_delete: list[str] = []
        running: list[dict] = []
        now = self.clock.now
        for pod in pods:
            meta = pod["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                # The kubelet may keep rejecting the pod: back off rather than fight it in a hot loop.
                backoff_key = f"{ds['metadata']['uid']}/{(ds.get('status') or {}).get('observedGeneration', 0)}/{node}"
                if self.failed_pods_backoff.in_backoff(backoff_key, now):
                    self.queue.add_after(key_of(ds), self.failed_pods_backoff.delay(backoff_key))
                    continue
                self.failed_pods_backoff.next(backoff_key, now)
                self.recorder.warning(ds, "FailedDaemonPod", f"Found failed daemon pod {meta['namespace']}/"
                                                             f"{meta['name']} on node {node}, will try to kill it")
                to_delete.append(meta["name"])
            elif phase == "Succeeded":
                self.recorder.normal(ds, "SucceededDaemonPod", f"Found succeeded daemon pod {meta['namespace']}/"
                                                               f"{meta['name']} on node {node}, will try to delete it")
                to_delete.append(meta["name"])
            else:
                running.append(pod)
        running.sort(key=_creation_order)
        if not surge:
            return False, to_delete + [p["metadata"]["name"] for p in running[1:]]  # the oldest stays
        if len(running) <= 1:
            return not running and should_run, to_delete
        # Surging: keep the oldest pod of the current revision and the oldest older one, and the
        # older one only while it is still ready and the new one is not available yet.
        newest = oldest = None
        for pod in running:
            if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == template_hash:
                if newest is None:
                    newest = pod
                    continue
            elif oldest is None:
                oldest = pod
                continue
            to_delete.append(pod["metadata"]["name"])
        if newest is not None and oldest is not None and (
                not is_pod_ready(oldest)
                or podcontrol.is_pod_available(newest, ds["spec"].get("minReadySeconds") or 0, now)):
            to_delete.append(oldest["metadata"]["name"])
        return False, to_delete

    def _sync_nodes(self, ds: dict, to_delete: list[str], to_create: list[str], template_hash: str) -> bool:
        """syncNodes: create pods for the nodes (slow-start batches), delete the pods; at most
        PODS_PER_SYNC of each per sync. True when some are left for the next sync."""
        meta = ds["metadata"]
        namespace = meta["namespace"]
        creates = to_create[:podcontrol.PODS_PER_SYNC]
        deletes = to_delete[:podcontrol.PODS_PER_SYNC]
        template = daemon_pod_template(ds["spec"]["template"], template_generation(ds), template_hash)
        spec = template["spec"]
        ref = owner_reference(ds)
        prefix = podcontrol.generate_name_prefix(meta["name"])
        targets = iter(creates)

        def create() -> None:
            node = next(targets)
            pod = podcontrol.pod_from_template(
                {**template, "spec": {**spec, "affinity": node_name_affinity(spec.get("affinity"), node)}}, ref, prefix)
            try:
                created = self.api.create("pods", pod, namespace, field_validation="Ignore")
            except ApiError as exc:
                if podcontrol.namespace_terminating(exc):
                    return
                self.recorder.warning(ds, "FailedCreate", f"Error creating: {exc}")
                raise
            self.recorder.normal(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

        _, first_error = podcontrol.slow_start_batch(len(creates), create)
        delete_error = podcontrol.delete_pods(self.api, self.recorder, ds, namespace, deletes)
        first_error = first_error or delete_error
        if first_error is not None:
            raise first_error
        return len(to_create) > len(creates) or len(to_delete) > len(deletes)

    # -- rolling update (update.go) -------------------------------------------------------------

    def _updated_pods_on_node(self, pods: list[dict], template_hash: str, generation: int | None):
        """findUpdatedPodsOnNode: (new pod, old pod, ok) among the pods not being deleted; not ok when
        there are two of a kind (the manage loop prunes those first)."""
        new = old = None
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if is_pod_updated(pod, template_hash, generation):
                if new is not None:
                    return None, None, False
                new = pod
            else:
                if old is not None:
                    return None, None, False
                old = pod
        return new, old, True

    def _rolling_update(self, ds: dict, nodes: list[dict], fits: dict, template_hash: str) -> bool:
        """rollingUpdate: replace old pods without more than maxUnavailable nodes lacking an available
        pod (maxSurge 0: delete, and manage creates the new pod once the old is gone), or with up to
        maxSurge new pods next to available old ones (deleted once the new pod is available)."""
        by_node = dict(self._pods_by_node(ds))
        desired = 0
        for node in nodes:
            name = node["metadata"]["name"]
            if fits[name][0]:
                desired += 1
                by_node.setdefault(name, [])
        try:
            max_surge, max_unavailable = surge_count(ds, desired), unavailable_count(ds, desired)
        except ValueError:
            return False
        if desired > 0 and max_surge == 0 and max_unavailable == 0:
            max_unavailable = 1
        generation = template_generation(ds)
        min_ready = ds["spec"].get("minReadySeconds") or 0
        now = self.clock.now

        def available(pod: dict) -> bool:
            return podcontrol.is_pod_available(pod, min_ready, now)

        if max_surge == 0:
            unavailable = 0
            replacements: list[str] = []
            candidates: list[str] = []
            for name in sorted(by_node):
                new, old, ok = self._updated_pods_on_node(by_node[name], template_hash, generation)
                if not ok or (new is None) == (old is None):
                    unavailable += 1  # the manage loop creates or prunes here
                elif new is not None:
                    unavailable += not available(new)
                elif not available(old):
                    replacements.append(old["metadata"]["name"])
                    unavailable += 1
                elif unavailable < max_unavailable:
                    candidates.append(old["metadata"]["name"])
            room = min(max(max_unavailable - unavailable, 0), len(candidates))
            return self._sync_nodes(ds, replacements + candidates[:room], [], template_hash)

        to_delete: list[str] = []
        misplaced: list[str] = []  # available old pods on nodes that should no longer run one
        surge_candidates: list[str] = []
        surge_now: list[str] = []
        surging = available_count = 0
        for name in sorted(by_node):
            new, old, ok = self._updated_pods_on_node(by_node[name], template_hash, generation)
            if not ok:
                surging += 1
                continue
            if old is not None or new is not None:
                available_count += available(old if old is not None else new)
            if old is None:
                continue
            should_run = fits.get(name, (False, False))[0]
            if new is None:
                if not available(old):
                    if should_run:
                        surge_now.append(name)
                    else:
                        to_delete.append(old["metadata"]["name"])
                elif not should_run:
                    misplaced.append(old["metadata"]["name"])
                elif surging < max_surge:
                    surge_candidates.append(name)
            elif not available(new):
                surging += 1
            else:
                to_delete.append(old["metadata"]["name"])
        # With surge the owner expects full availability: a misplaced pod goes only once enough
        # pods are available elsewhere.
        deletable = min(max(available_count - desired, 0), len(misplaced))
        to_delete += misplaced[:deletable]
        room = min(max(max_surge - surging, 0), len(surge_candidates))
        return self._sync_nodes(ds, to_delete, surge_now + surge_candidates[:room], template_hash)

    # -- history (ControllerRevisions) -------------------------------------------------------

    def _construct_history(self, ds: dict, selector: LabelSelector) -> tuple[dict, list[dict]]:
        return history.construct_history(self.api, self.revisions, ds, "daemonsets", selector,
                                         lambda: self._daemon_pods(ds))

    def _cleanup_history(self, ds: dict, old: list[dict]) -> None:
        live = {(p["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH)
                for pods in self._pods_by_node(ds, include_deleted_terminal=True).values() for p in pods}
        history.cleanup_history(self.api, ds, old, live)

    # -- status ------------------------------------------------------------------------------

    def _update_status(self, key: str, nodes: list[dict], fits: dict, template_hash: str) -> None:
        """updateDaemonSetStatus: per node that should run the pod, whether it has one and whether the
        oldest of its pods is ready, available and up to date; pods on other nodes are misscheduled."""
        ds = self.sets.get(key)
        if ds is None:
            return
        by_node = self._pods_by_node(ds)
        generation = template_generation(ds)
        min_ready = ds["spec"].get("minReadySeconds") or 0
        now = self.clock.now
        desired = scheduled = misscheduled = ready = updated = available = 0
        for node in nodes:
            name = node["metadata"]["name"]
            pods = by_node.get(name)
            if not fits[name][0]:
                misscheduled += bool(pods)
                continue
            desired += 1
            if not pods:
                continue
            scheduled += 1
            pod = min(pods, key=_creation_order)
            if is_pod_ready(pod):
                ready += 1
                available += podcontrol.is_pod_available(pod, min_ready, now)
            updated += is_pod_updated(pod, template_hash, generation)
        old = ds.get("status") or {}
        status = {"currentNumberScheduled": scheduled, "numberMisscheduled": misscheduled,
                  "desiredNumberScheduled": desired, "numberReady": ready}
        for field, value in (("observedGeneration", ds["metadata"].get("generation", 0)),
                             ("updatedNumberScheduled", updated), ("numberAvailable", available),
                             ("numberUnavailable", desired - available),
                             ("collisionCount", old.get("collisionCount")), ("conditions", old.get("conditions"))):
            if value:
                status[field] = value
        if status != old:
            try:
                self.api.update_status("daemonsets", {**ds, "status": status})
            except ApiError as exc:
                if exc.code != 404:
                    raise
        if min_ready and ready != available:
            # upstream re-checks after minReadySeconds as a last line of defence against clock skew
            self.queue.add_after(key, min_ready)
