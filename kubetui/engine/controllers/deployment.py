"""Deployment controller: rollouts, scaling and revision history through ReplicaSets (pkg/controller/deployment)."""

from __future__ import annotations

from ..api import errors, selectors
from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..clock import parse_rfc3339, rfc3339
from ..objects import controller_ref, key_of, owner_reference
from . import podcontrol, refmanager
from .base import Controller
from .owners import OwnerRouter
from .podcontrol import POD_TEMPLATE_HASH_LABEL, equal_ignore_hash

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
CHANGE_CAUSE = "kubernetes.io/change-cause"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"
# Deployment annotations that are not copied to its ReplicaSets (nor back by a rollback).
_NOT_COPIED = frozenset({_LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS,
                         _DEPRECATED_ROLLBACK_TO})
_MAX_REVISION_HISTORY_CHARS = 2000
_MAX_INT32 = (1 << 31) - 1
_MAX_NAME = 253

# Condition reasons (deploymentutil).
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
RS_UPDATED = "ReplicaSetUpdated"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
FAILED_RS_CREATE = "ReplicaSetCreateError"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# -- deploymentutil ------------------------------------------------------------------------------

def _replicas(obj: dict | None) -> int:
    if obj is None:
        return 0
    value = obj["spec"].get("replicas")
    return 1 if value is None else value


def _status(obj: dict | None, field: str) -> int:
    return ((obj or {}).get("status") or {}).get(field) or 0


def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int, or a percentage of `total` rounded up or down."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = int(value[:-1])
        except ValueError:
            raise ValueError(f"invalid value for IntOrString: invalid value {value!r}") from None
        return -(-percent * total // 100) if round_up else percent * total // 100
    raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")


def _rolling(d: dict) -> dict | None:
    strategy = d["spec"].get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {}


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    """ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both 0 would deadlock, so unavailable becomes 1."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    rolling = _rolling(d)
    if rolling is None:
        return 0
    try:
        return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), _replicas(d))[0]
    except ValueError:
        return 0


def max_unavailable(d: dict) -> int:
    rolling = _rolling(d)
    desired = _replicas(d)
    if rolling is None or desired == 0:
        return 0
    try:
        unavailable = resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), desired)[1]
    except ValueError:
        return 0
    return min(unavailable, desired)


def revision(rs: dict) -> int | None:
    """The ReplicaSet's revision annotation (0 when absent, None when unparsable)."""
    value = (rs["metadata"].get("annotations") or {}).get(REVISION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def max_revision(rss: list[dict]) -> int:
    return max((v for v in (revision(rs) for rs in rss) if v is not None), default=0)


def _created(rs: dict) -> tuple[str, str]:
    """ReplicaSetsByCreationTimestamp (RFC 3339 strings of one format sort as times)."""
    return rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]


def _by_revision(rs: dict) -> tuple:
    v = revision(rs)
    return (0 if v is None else v, *_created(rs))


def _int_annotation(rs: dict, key: str) -> int | None:
    value = (rs["metadata"].get("annotations") or {}).get(key)
    try:
        n = int(value) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and 0 <= n <= _MAX_INT32 else None


def find_new_replica_set(d: dict, rss: list[dict]) -> dict | None:
    """FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's (ignoring the hash)."""
    template = d["spec"].get("template")
    for rs in sorted(rss, key=_created):
        if equal_ignore_hash(rs["spec"].get("template"), template):
            return rs
    return None


def _active(rss) -> list[dict]:
    return [rs for rs in rss if rs is not None and _replicas(rs) > 0]


def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """NewRSNewReplicas: how far the new ReplicaSet may grow now without exceeding maxSurge."""
    rolling = _rolling(d)
    if rolling is None:
        return _replicas(d)
    surge = scaled_value(0 if rolling.get("maxSurge") is None else rolling["maxSurge"], _replicas(d), True)
    current = sum(_replicas(rs) for rs in all_rss)
    max_total = _replicas(d) + surge
    if current >= max_total:
        return _replicas(new_rs)
    return _replicas(new_rs) + min(max_total - current, _replicas(d) - _replicas(new_rs))


def _set_replicas_annotations(annotations: dict, desired: int, max_replicas: int) -> bool:
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if annotations.get(key) != value:
            annotations[key] = value
            changed = True
    return changed


def _set_new_rs_annotations(d: dict, annotations: dict, new_revision: str, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, bump the revision (keeping
    the old one in revision-history), and on creation record desired/max replicas."""
    changed = False
    for key, value in (d["metadata"].get("annotations") or {}).items():
        if key not in _NOT_COPIED and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old = annotations.get(REVISION, "")
    try:
        old_n = int(old) if old else 0
    except ValueError:
        return False
    if old_n < int(new_revision):
        annotations[REVISION] = new_revision
        changed = True
        if old:
            history = annotations.get(REVISION_HISTORY, "")
            if not history:
                annotations[REVISION_HISTORY] = old
            else:
                parts = history.split(",")
                total = len(history) + len(old) + 1
                start = 0
                while total > _MAX_REVISION_HISTORY_CHARS and start < len(parts):
                    total -= len(parts[start]) + 1
                    start += 1
                if total <= _MAX_REVISION_HISTORY_CHARS:
                    annotations[REVISION_HISTORY] = ",".join(parts[start:] + [old])
    if not exists and _set_replicas_annotations(annotations, _replicas(d), _replicas(d) + max_surge(d)):
        changed = True
    return changed


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """FindActiveOrLatest: the only ReplicaSet with replicas, or the newest one; None if several have replicas."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=_created, reverse=True)
    active = _active(newest_first + [new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    desired = _int_annotation(rs, DESIRED_REPLICAS)
    n = _replicas(d)
    return desired is not None and _replicas(rs) == n and desired == n and _status(rs, "availableReplicas") == n


def _round(x: float) -> int:
    """Go's math.Round: half away from zero."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def replica_set_proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    """GetProportion: this ReplicaSet's share of a scaling event, by its size before the event."""
    if _replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    if _replicas(d) == 0:
        fraction = -_replicas(rs)
    else:
        before = _int_annotation(rs, MAX_REPLICAS) or _status(d, "replicas")
        if not before:
            return 0
        base = _replicas(rs)
        fraction = _round(base * (_replicas(d) + max_surge(d)) / before) - base
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def has_progress_deadline(d: dict) -> bool:
    pds = d["spec"].get("progressDeadlineSeconds")
    return pds is not None and pds != _MAX_INT32


def deployment_complete(d: dict, status: dict) -> bool:
    n = _replicas(d)
    return (status.get("updatedReplicas", 0) == n and status.get("replicas", 0) == n
            and status.get("availableReplicas", 0) == n
            and status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0))


def deployment_progressing(d: dict, new: dict) -> bool:
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def deployment_timed_out(d: dict, status: dict, now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = _condition(status, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    if not cond.get("lastUpdateTime"):
        return False
    return parse_rfc3339(cond["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] < now


def _condition(status: dict | None, type_: str) -> dict | None:
    for cond in (status or {}).get("conditions") or ():
        if cond.get("type") == type_:
            return cond
    return None


def _new_condition(type_: str, status: str, reason: str, message: str, now: float) -> dict:
    t = rfc3339(now)
    return {"type": type_, "status": status, "lastUpdateTime": t, "lastTransitionTime": t,
            "reason": reason, "message": message}


def _set_condition(status: dict, cond: dict) -> dict:
    """SetDeploymentCondition: unchanged when status and reason match; lastTransitionTime kept when
    only the reason changes. Returns a new status."""
    current = _condition(status, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return status
    if current is not None and current.get("status") == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    return {**status, "conditions": _without_condition(status, cond["type"]) + [cond]}


def _without_condition(status: dict, type_: str) -> list[dict]:
    return [c for c in status.get("conditions") or () if c.get("type") != type_]


def _remove_condition(status: dict, type_: str) -> dict:
    conditions = _without_condition(status, type_)
    out = {k: v for k, v in status.items() if k != "conditions"}
    if conditions:
        out["conditions"] = conditions
    return out


def _terminating(rss: list[dict]) -> int | None:
    """GetTerminatingReplicaCountForReplicaSets (None while some ReplicaSet does not report it)."""
    total = 0
    for rs in rss:
        status = rs.get("status") or {}
        if "terminatingReplicas" not in status:
            if not status.get("observedGeneration"):
                continue
            return None
        total += status["terminatingReplicas"]
    return total


def _rs_name(deployment: str, template_hash: str) -> str:
    limit = _MAX_NAME - 1 - len(template_hash)
    return f"{deployment[:limit]}-{template_hash}"


def _with_hash_label(template: dict, template_hash: str) -> dict:
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), POD_TEMPLATE_HASH_LABEL: template_hash}
    return {**template, "metadata": {**meta, "labels": labels}}


def _selector_with_hash(selector: dict, template_hash: str) -> dict:
    return {**selector, "matchLabels": {**(selector.get("matchLabels") or {}), POD_TEMPLATE_HASH_LABEL: template_hash}}


# -- the controller ------------------------------------------------------------------------------

class DeploymentController(Controller):
    name = "deployment"
    component = "deployment-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.deployments = self.informers.informer("deployments")
        self.sets = self.informers.informer("replicasets")
        self.sets.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphans)
        self.pods = self.informers.informer("pods")
        self._selectors: dict[str, tuple[str, int, LabelSelector | None]] = {}
        self.router = OwnerRouter(self.deployments, "Deployment", self.selector_of,
                                  lambda rs, d: self.enqueue(d), self.enqueue)
        self.deployments.add_handler(self.enqueue, self._deployment_updated, self._deployment_deleted)
        self.sets.add_handler(self._rs_added, self._rs_updated, self._rs_deleted)
        self.pods.add_handler(on_delete=self._pod_deleted)

    def selector_of(self, d: dict) -> LabelSelector | None:
        meta = d["metadata"]
        key = key_of(d)
        cached = self._selectors.get(key)
        if cached is not None and cached[0] == meta["uid"] and cached[1] == meta.get("generation"):
            return cached[2]
        try:
            sel = selectors.from_label_selector_object(d["spec"].get("selector"))
        except ApiError:
            sel = None
        self._selectors[key] = (meta["uid"], meta.get("generation"), sel)
        return sel

    # -- informer handlers (enqueue only) ----------------------------------------------------

    def _deployment_updated(self, old: dict, new: dict) -> None:
        self.enqueue(new)

    def _deployment_deleted(self, d: dict) -> None:
        self._selectors.pop(key_of(d), None)
        self.enqueue(d)

    def _rs_added(self, rs: dict) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self._rs_deleted(rs)
            return
        self.router.added(rs)  # an orphan may be adopted by any matching Deployment (getDeploymentsForReplicaSet)

    def _rs_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") != new["metadata"].get("resourceVersion"):
            self.router.updated(old, new)

    def _rs_deleted(self, rs: dict) -> None:
        self.router.deleted(rs)

    def _pod_deleted(self, pod: dict) -> None:
        """A Recreate rollout waits for every old pod to be gone: sync when the last one goes."""
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.sets.get(f"{pod['metadata']['namespace']}/{ref['name']}")
        if rs is None or rs["metadata"]["uid"] != ref["uid"]:
            return
        d_ref = controller_ref(rs)
        d = self.router.resolve(rs["metadata"]["namespace"], d_ref) if d_ref is not None else None
        if d is None or (d["spec"].get("strategy") or {}).get("type") != "Recreate":
            return
        for rs_key in self.sets.index_keys("controller", d["metadata"]["uid"]):
            if self.pods.index_keys("controller", self.sets.get(rs_key)["metadata"]["uid"]):
                return
        self.enqueue(d)

    # -- sync --------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        d = self.deployments.get(key)
        if d is None:
            self._selectors.pop(key, None)
            return
        _Sync(self, key, d).run()


class _Sync:
    """One syncDeployment. `self.d` is always the Deployment as last written, so the steps (which
    follow upstream's sync.go, rolling.go, recreate.go and progress.go) never act on a stale copy."""

    def __init__(self, controller: DeploymentController, key: str, d: dict):
        self.c = controller
        self.api = controller.api
        self.key = key
        self.d = d
        self.ns = d["metadata"]["namespace"]
        self.now = controller.clock.now
        self.rs_keys: list[str] = []

    # -- writes to the Deployment ------------------------------------------------------------

    @property
    def status(self) -> dict:
        return self.d.get("status") or {}

    def write_status(self, status: dict) -> None:
        self.d = self.api.update_status("deployments", {**self.d, "status": status})

    def set_progressing(self, status: str, reason: str, message: str) -> None:
        self.write_status(_set_condition(self.status, _new_condition("Progressing", status, reason, message, self.now)))

    def set_revision(self, value: str) -> None:
        """SetDeploymentRevision (upstream writes it with the status; annotations need an update here)."""
        meta = self.d["metadata"]
        annotations = meta.get("annotations") or {}
        if annotations.get(REVISION) == value:
            return
        new = {**self.d, "metadata": {**meta, "annotations": {**annotations, REVISION: value}}}
        self.d = self.api.update("deployments", new, self.ns, field_validation="Ignore")

    # -- ReplicaSets ---------------------------------------------------------------------------

    def replica_sets(self) -> list[dict]:
        """The claimed ReplicaSets, as the informer has them now."""
        sets = self.c.sets
        return [rs for rs in (sets.get(k) for k in self.rs_keys) if rs is not None]

    def claim_replica_sets(self, selector: LabelSelector) -> None:
        """getReplicaSetsForDeployment: own ReplicaSets that match, adopt orphans that match, release the rest."""
        sets = self.c.sets
        candidates = sorted(sets.index_keys("controller", self.d["metadata"]["uid"]))
        candidates += sorted(sets.index_keys(refmanager.ORPHAN_INDEX, self.ns))
        for rs_key in candidates:
            rs = sets.get(rs_key)
            if rs is not None and refmanager.claim(self.api, "replicasets", self.d, selector, rs):
                self.rs_keys.append(rs_key)

    def scale_rs(self, rs: dict, new_scale: int, force: bool = False) -> tuple[bool, dict]:
        """scaleReplicaSetAndRecordEvent (or, with `force`, scaleReplicaSet which also refreshes
        the desired/max-replicas annotations)."""
        old_scale = _replicas(rs)
        if not force and old_scale == new_scale:
            return False, rs
        desired, max_replicas = _replicas(self.d), _replicas(self.d) + max_surge(self.d)
        annotations = dict(rs["metadata"].get("annotations") or {})
        annotations_changed = _set_replicas_annotations(annotations, desired, max_replicas)
        if old_scale == new_scale and not annotations_changed:
            return False, rs
        new = {**rs, "metadata": {**rs["metadata"], "annotations": annotations},
               "spec": {**rs["spec"], "replicas": new_scale}}
        updated = self.api.update("replicasets", new, self.ns, field_validation="Ignore")
        if old_scale == new_scale:
            return False, updated
        direction = "up" if old_scale < new_scale else "down"
        name = rs["metadata"]["name"]
        self.c.recorder.normal(self.d, "ScalingReplicaSet",
                               f"Scaled {direction} replica set {name} from {old_scale} to {new_scale}")
        return True, updated

    def all_replica_sets(self, create: bool) -> tuple[dict | None, list[dict]]:
        """getAllReplicaSetsAndSyncRevision: (new ReplicaSet, old ones), revisions brought up to date."""
        rss = self.replica_sets()
        new = find_new_replica_set(self.d, rss)
        old = [rs for rs in rss if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]
        return self.new_replica_set(new, old, create), old

    def new_replica_set(self, existing: dict | None, old: list[dict], create: bool) -> dict | None:
        """getNewReplicaSet: sync the existing new ReplicaSet's annotations, or create it."""
        new_revision = str(max_revision(old) + 1)
        min_ready = self.d["spec"].get("minReadySeconds") or 0
        if existing is not None:
            annotations = dict(existing["metadata"].get("annotations") or {})
            changed = _set_new_rs_annotations(self.d, annotations, new_revision, exists=True)
            if changed or (existing["spec"].get("minReadySeconds") or 0) != min_ready:
                spec = {**existing["spec"], "minReadySeconds": min_ready}
                if not min_ready:
                    del spec["minReadySeconds"]
                new = {**existing, "metadata": {**existing["metadata"], "annotations": annotations}, "spec": spec}
                return self.api.update("replicasets", new, self.ns, field_validation="Ignore")
            self.set_revision((existing["metadata"].get("annotations") or {}).get(REVISION, ""))
            if has_progress_deadline(self.d) and _condition(self.status, "Progressing") is None:
                msg = f'Found new replica set "{existing["metadata"]["name"]}"'
                self.set_progressing("True", FOUND_NEW_RS, msg)
            return existing
        if not create:
            return None
        return self.create_replica_set(old, new_revision, min_ready)

    def create_replica_set(self, old: list[dict], new_revision: str, min_ready: int) -> dict:
        spec = self.d["spec"]
        collisions = self.status.get("collisionCount")
        template_hash = podcontrol.compute_hash(spec["template"], collisions)
        template = _with_hash_label(spec["template"], template_hash)
        name = _rs_name(self.d["metadata"]["name"], template_hash)
        rs_spec: dict = {"replicas": 0}
        if min_ready:
            rs_spec["minReadySeconds"] = min_ready
        rs_spec["selector"] = _selector_with_hash(spec.get("selector") or {}, template_hash)
        rs_spec["template"] = template
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": name, "namespace": self.ns, "labels": template["metadata"]["labels"],
                           "ownerReferences": [owner_reference(self.d)]},
              "spec": rs_spec}
        replicas = new_rs_new_replicas(self.d, old + [rs], rs)
        rs_spec["replicas"] = replicas
        annotations: dict = {}
        _set_new_rs_annotations(self.d, annotations, new_revision, exists=False)
        rs["metadata"]["annotations"] = annotations
        already_exists = False
        try:
            created = self.api.create("replicasets", rs, self.ns, field_validation="Ignore")
        except ApiError as exc:
            if exc.reason == "AlreadyExists":
                current = self.c.sets.get(f"{self.ns}/{name}")
                ref = controller_ref(current) if current is not None else None
                if not (ref is not None and ref["uid"] == self.d["metadata"]["uid"]
                        and equal_ignore_hash(spec["template"], current["spec"].get("template"))):
                    # a hash collision: bump collisionCount so the next sync hashes differently
                    self.write_status({**self.status, "collisionCount": (collisions or 0) + 1})
                    raise
                created, already_exists = current, True
            elif podcontrol.namespace_terminating(exc):
                raise
            else:
                msg = f'Failed to create new replica set "{name}": {exc}'
                if has_progress_deadline(self.d):
                    self.set_progressing("False", FAILED_RS_CREATE, msg)
                self.c.recorder.warning(self.d, FAILED_RS_CREATE, msg)
                raise
        if not already_exists and replicas > 0:
            self.c.recorder.normal(self.d, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}")
        self.set_revision(new_revision)
        if not already_exists and has_progress_deadline(self.d):
            msg = f'Created new replica set "{name}"'
            self.set_progressing("True", NEW_RS_CREATED, msg)
        return created

    # -- syncDeployment --------------------------------------------------------------------------

    def run(self) -> None:
        d = self.d
        spec = d["spec"]
        raw = spec.get("selector")
        if raw is not None and not raw.get("matchLabels") and not raw.get("matchExpressions"):
            self.c.recorder.warning(d, "SelectingAll",
                                    "This deployment is selecting all pods. A non-empty selector is required.")
            if self.status.get("observedGeneration", 0) < d["metadata"].get("generation", 0):
                self.write_status({**self.status, "observedGeneration": d["metadata"]["generation"]})
            return
        selector = self.c.selector_of(d)
        if selector is None:
            return
        self.claim_replica_sets(selector)
        if d["metadata"].get("deletionTimestamp"):
            new, old = self.all_replica_sets(create=False)
            self.sync_deployment_status(old, new)
            return
        self.check_paused_conditions()
        if spec.get("paused"):
            self.sync()
        elif self.is_scaling_event():
            self.sync()
        else:
            strategy = (spec.get("strategy") or {}).get("type", "RollingUpdate")
            if strategy == "Recreate":
                self.rollout_recreate()
            elif strategy == "RollingUpdate":
                self.rollout_rolling()
            else:
                raise ValueError(f"unexpected deployment strategy type: {strategy}")

    def check_paused_conditions(self) -> None:
        """A paused (or resumed) Deployment shows Progressing=Unknown, so pausing never times out."""
        if not has_progress_deadline(self.d):
            return
        cond = _condition(self.status, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT:
            return
        paused_shown = cond is not None and cond.get("reason") == PAUSED
        if self.d["spec"].get("paused") and not paused_shown:
            new = _new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused", self.now)
        elif not self.d["spec"].get("paused") and paused_shown:
            new = _new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed", self.now)
        else:
            return
        self.write_status(_set_condition(self.status, new))

    def is_scaling_event(self) -> bool:
        """spec.replicas changed since the active ReplicaSets were annotated with desired-replicas."""
        new, old = self.all_replica_sets(create=False)
        for rs in _active(old + [new]):
            desired = _int_annotation(rs, DESIRED_REPLICAS)
            if desired is not None and desired != _replicas(self.d):
                return True
        return False

    def sync(self) -> None:
        """Scaling and paused deployments: resize ReplicaSets proportionally, no rollout progress."""
        new, old = self.all_replica_sets(create=False)
        self.scale(new, old)
        if self.d["spec"].get("paused"):
            self.cleanup(old)
        new, old = self.all_replica_sets(create=False)
        self.sync_deployment_status(old, new)

    def scale(self, new: dict | None, old: list[dict]) -> None:
        """scale: a lone active ReplicaSet takes spec.replicas; during a rollout extra (or fewer)
        replicas are spread over the ReplicaSets in proportion to their size."""
        replicas = _replicas(self.d)
        active_or_latest = find_active_or_latest(new, old)
        if active_or_latest is not None:
            if _replicas(active_or_latest) != replicas:
                self.scale_rs(active_or_latest, replicas)
            return
        if is_saturated(self.d, new):
            for rs in _active(old):
                self.scale_rs(rs, 0)
            return
        if _rolling(self.d) is None:
            return
        all_rss = _active(old + [new])
        allowed = replicas + max_surge(self.d) if replicas > 0 else 0
        to_add = allowed - sum(_replicas(rs) for rs in all_rss)
        if to_add > 0:  # ReplicaSetsBySizeNewer: largest first, newer first among equals
            all_rss.sort(key=_created, reverse=True)
            all_rss.sort(key=_replicas, reverse=True)
        elif to_add < 0:  # ReplicaSetsBySizeOlder: largest first, older first among equals
            all_rss.sort(key=_created)
            all_rss.sort(key=_replicas, reverse=True)
        added = 0
        sizes = []
        for rs in all_rss:
            proportion = replica_set_proportion(rs, self.d, to_add, added) if to_add else 0
            sizes.append(_replicas(rs) + proportion)
            added += proportion
        for i, rs in enumerate(all_rss):
            if i == 0 and to_add:
                sizes[0] = max(sizes[0] + to_add - added, 0)  # leftovers go to the largest
            self.scale_rs(rs, sizes[i], force=True)

    def cleanup(self, old: list[dict]) -> None:
        """cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit."""
        limit = self.d["spec"].get("revisionHistoryLimit")
        if limit is None or limit == _MAX_INT32:
            return
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        surplus = len(alive) - limit
        if surplus <= 0:
            return
        for rs in sorted(alive, key=_by_revision)[:surplus]:
            status = rs.get("status") or {}
            if (status.get("replicas") or _replicas(rs)
                    or rs["metadata"].get("generation", 0) > status.get("observedGeneration", 0)):
                continue
            try:
                self.api.delete("replicasets", rs["metadata"]["name"], self.ns)
            except ApiError as exc:
                if exc.code != 404:
                    raise

    # -- RollingUpdate -------------------------------------------------------------------------

    def rollout_rolling(self) -> None:
        new, old = self.all_replica_sets(create=True)
        if self.reconcile_new(new, old) or self.reconcile_old(new, _active(old)):
            self.sync_rollout_status()
            return
        if deployment_complete(self.d, self.status):
            self.cleanup(old)
        self.sync_rollout_status()

    def reconcile_new(self, new: dict, old: list[dict]) -> bool:
        """Scale the new ReplicaSet up as far as maxSurge allows (or down to spec.replicas)."""
        replicas = _replicas(self.d)
        if _replicas(new) == replicas:
            return False
        if _replicas(new) > replicas:
            return self.scale_rs(new, replicas)[0]
        return self.scale_rs(new, new_rs_new_replicas(self.d, old + [new], new))[0]

    def reconcile_old(self, new: dict, old: list[dict]) -> bool:
        """Scale old ReplicaSets down without going under spec.replicas - maxUnavailable available:
        first their unhealthy replicas, then as many available ones as the budget allows."""
        if not sum(_replicas(rs) for rs in old):
            return False
        all_pods = sum(_replicas(rs) for rs in old) + _replicas(new)
        min_available = _replicas(self.d) - max_unavailable(self.d)
        new_unavailable = _replicas(new) - _status(new, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        try:
            old, cleaned = self.cleanup_unhealthy(old, max_scaled_down)
            scaled = self.scale_down_old(old + [new], old)
        except ValueError:
            return False  # a stale count; upstream gives up until the next sync
        return cleaned + scaled > 0

    def cleanup_unhealthy(self, old: list[dict], max_cleanup: int) -> tuple[list[dict], int]:
        old = sorted(old, key=_created)
        total = 0
        for i, rs in enumerate(old):
            if total >= max_cleanup:
                break
            replicas, available = _replicas(rs), _status(rs, "availableReplicas")
            if replicas == 0 or replicas == available:
                continue
            count = min(max_cleanup - total, replicas - available)
            if count < 0:
                raise ValueError(f"when cleaning up unhealthy replicas, got invalid request to scale down "
                                 f"{self.ns}/{rs['metadata']['name']} {replicas} -> {replicas - count}")
            _, old[i] = self.scale_rs(rs, replicas - count)
            total += count
        return old, total

    def scale_down_old(self, all_rss: list[dict], old: list[dict]) -> int:
        min_available = _replicas(self.d) - max_unavailable(self.d)
        available = sum(_status(rs, "availableReplicas") for rs in all_rss)
        if available <= min_available:
            return 0
        budget = available - min_available
        total = 0
        for rs in sorted(old, key=_created):
            if total >= budget:
                break
            if _replicas(rs) == 0:
                continue
            count = min(_replicas(rs), budget - total)
            self.scale_rs(rs, _replicas(rs) - count)
            total += count
        return total

    # -- Recreate --------------------------------------------------------------------------------

    def rollout_recreate(self) -> None:
        """Scale every old ReplicaSet to zero, wait until their pods are gone, then create the new one."""
        new, old = self.all_replica_sets(create=False)
        scaled_down = False
        for rs in _active(old):
            scaled_down = self.scale_rs(rs, 0)[0] or scaled_down
        if scaled_down or self.old_pods_running(new, old):
            self.sync_rollout_status()
            return
        if new is None:
            new, old = self.all_replica_sets(create=True)
        self.scale_rs(new, _replicas(self.d))
        if deployment_complete(self.d, self.status):
            self.cleanup(old)
        self.sync_rollout_status()

    def old_pods_running(self, new: dict | None, old: list[dict]) -> bool:
        if sum(_status(rs, "replicas") for rs in old):
            return True
        pods = self.c.pods
        new_uid = new["metadata"]["uid"] if new is not None else None
        for rs in self.replica_sets():
            if rs["metadata"]["uid"] == new_uid:
                continue
            for pod_key in pods.index_keys("controller", rs["metadata"]["uid"]):
                if (pods.get(pod_key).get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                    return True
        return False

    # -- status ----------------------------------------------------------------------------------

    def calculate_status(self, old: list[dict], new: dict | None) -> dict:
        all_rss = old + ([new] if new is not None else [])
        available = sum(_status(rs, "availableReplicas") for rs in all_rss)
        unavailable = max(sum(_replicas(rs) for rs in all_rss) - available, 0)
        status: dict = {}
        counts = (("observedGeneration", self.d["metadata"].get("generation", 0)),
                  ("replicas", sum(_status(rs, "replicas") for rs in all_rss)),
                  ("updatedReplicas", _status(new, "replicas")),
                  ("readyReplicas", sum(_status(rs, "readyReplicas") for rs in all_rss)),
                  ("availableReplicas", available),
                  ("unavailableReplicas", unavailable))
        for field, value in counts:
            if value:
                status[field] = value
        terminating = _terminating(all_rss)
        if terminating is not None:
            status["terminatingReplicas"] = terminating
        if self.status.get("conditions"):
            status["conditions"] = list(self.status["conditions"])
        if self.status.get("collisionCount") is not None:
            status["collisionCount"] = self.status["collisionCount"]
        if available >= _replicas(self.d) - max_unavailable(self.d):
            cond = _new_condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.", self.now)
        else:
            cond = _new_condition("Available", "False", MIN_UNAVAILABLE,
                                  "Deployment does not have minimum availability.", self.now)
        return _set_condition(status, cond)

    def sync_deployment_status(self, old: list[dict], new: dict | None) -> None:
        status = self.calculate_status(old, new)
        if status != self.status:
            self.write_status(status)

    def sync_rollout_status(self) -> None:
        """syncRolloutStatus: the status plus the Progressing condition and the progress deadline."""
        new, old = self.all_replica_sets(create=False)
        status = self.calculate_status(old, new)
        d = self.d
        if not has_progress_deadline(d):
            status = _remove_condition(status, "Progressing")
        current = _condition(self.status, "Progressing")
        already_complete = (status.get("replicas", 0) == status.get("updatedReplicas", 0)
                            and current is not None and current.get("reason") == NEW_RS_AVAILABLE)
        if has_progress_deadline(d) and not already_complete:
            what = (f'ReplicaSet "{new["metadata"]["name"]}"' if new is not None
                    else f'Deployment "{d["metadata"]["name"]}"')
            if deployment_complete(d, status):
                status = _set_condition(status, _new_condition(
                    "Progressing", "True", NEW_RS_AVAILABLE, f"{what} has successfully progressed.", self.now))
            elif deployment_progressing(d, status):
                # progress refreshes lastUpdateTime even when the reason stays the same
                cond = _new_condition("Progressing", "True", RS_UPDATED, f"{what} is progressing.", self.now)
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    status = _remove_condition(status, "Progressing")
                status = _set_condition(status, cond)
            elif deployment_timed_out(d, status, self.now):
                status = _set_condition(status, _new_condition(
                    "Progressing", "False", TIMED_OUT, f"{what} has timed out progressing.", self.now))
        failures = self.replica_failures(old, new)
        if failures:
            status = _set_condition(status, failures[0])
        else:
            status = _remove_condition(status, "ReplicaFailure")
        if status == self.status:
            self.requeue_stuck(status)
            return
        self.write_status(status)

    def replica_failures(self, old: list[dict], new: dict | None) -> list[dict]:
        def converted(rs: dict) -> list[dict]:
            return [{"type": c["type"], "status": c.get("status"), "lastUpdateTime": c.get("lastTransitionTime"),
                     "lastTransitionTime": c.get("lastTransitionTime"), "reason": c.get("reason"),
                     "message": c.get("message")}
                    for c in (rs.get("status") or {}).get("conditions") or () if c.get("type") == "ReplicaFailure"]
        if new is not None and converted(new):
            return converted(new)
        return [c for rs in old + ([new] if new is not None else []) for c in converted(rs)]

    def requeue_stuck(self, status: dict) -> None:
        """requeueStuckDeployment: come back when the progress deadline passes."""
        current = _condition(self.status, "Progressing")
        if not has_progress_deadline(self.d) or current is None:
            return
        if deployment_complete(self.d, status) or current.get("reason") == TIMED_OUT:
            return
        if not current.get("lastUpdateTime"):
            return
        after = parse_rfc3339(current["lastUpdateTime"]) + self.d["spec"]["progressDeadlineSeconds"] - self.now
        if after < 1:
            self.c.queue.add_rate_limited(self.key)
        else:
            self.c.queue.add_after(self.key, after + 1)


# -- kubectl rollout undo ----------------------------------------------------------------------------

def rollback(api, namespace: str, name: str, to_revision: int = 0) -> dict:
    """`kubectl rollout undo deployment/<name> [--to-revision=N]`, which kubectl does client side:
    copy the pod template (and annotations such as kubernetes.io/change-cause) of the ReplicaSet of
    that revision (0: the previous one) into the Deployment with a JSON patch. Returns the
    Deployment; it is returned unchanged when its template already matches that revision."""
    if to_revision < 0:
        raise errors.bad_request(f"unable to find specified revision {to_revision} in history")
    d = api.get("deployments", name, namespace)
    target = _revision_replica_set(api, d, to_revision)
    if d["spec"].get("paused"):
        raise errors.bad_request(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")
    if equal_ignore_hash(target["spec"].get("template"), d["spec"].get("template")):
        return d  # kubectl: "skipped rollback (current template already matches revision N)"
    annotations = {k: v for k, v in (d["metadata"].get("annotations") or {}).items() if k in _NOT_COPIED}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items() if k not in _NOT_COPIED})
    template = podcontrol.without_hash_label(target["spec"]["template"])
    patch = [{"op": "replace", "path": "/spec/template", "value": template},
             {"op": "replace", "path": "/metadata/annotations", "value": annotations}]
    return api.patch("deployments", name, patch, "json", namespace)


def _revision_replica_set(api, d: dict, to_revision: int) -> dict:
    uid = d["metadata"]["uid"]
    selector = selectors.from_label_selector_object(d["spec"].get("selector"))
    items, _ = api.list("replicasets", d["metadata"]["namespace"])
    owned = [rs for rs in items if (controller_ref(rs) or {}).get("uid") == uid
             and selector.matches(rs["metadata"].get("labels"))]
    latest = previous = None
    latest_rev = previous_rev = -1
    for rs in owned:
        v = revision(rs)
        if v is None:
            continue
        if to_revision:
            if v == to_revision:
                return rs
        elif v > latest_rev:
            previous, previous_rev, latest, latest_rev = latest, latest_rev, rs, v
        elif v > previous_rev:
            previous, previous_rev = rs, v
    if to_revision:
        raise errors.bad_request(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise errors.bad_request(f'no rollout history found for deployment "{d["metadata"]["name"]}"')
    return previous
