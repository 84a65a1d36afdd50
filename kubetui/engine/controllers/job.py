"""Job controller: runs pods to completion, retrying failures with backoff (upstream pkg/controller/job)."""

from __future__ import annotations

from ..api import selectors
from ..api.errors import ApiError
from ..api.selectors import LabelSelector
from ..clock import parse_rfc3339, rfc3339
from ..objects import controller_ref, get_condition, is_pod_active, is_pod_ready, key_of, owner_reference
from ..workqueue import WorkQueue
from . import podcontrol, refmanager
from .base import Controller
from .owners import OwnerRouter

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"  # batch.JobTrackingFinalizer
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"  # annotation and label of an Indexed Job's pods
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"  # annotations with backoffLimitPerIndex
INDEX_IGNORED_FAILURE_COUNT = "batch.kubernetes.io/job-index-ignored-failure-count"
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"  # spec.managedBy of the Jobs this controller syncs
SYNC_BATCH_PERIOD = 1.0  # syncJobBatchPeriod: pod events and status updates are synced a second later
POD_FAILURE_BACKOFF = 10.0  # DefaultJobPodFailureBackOff: the first replacement of a failed pod waits this long
MAX_POD_FAILURE_BACKOFF = 600.0  # MaxJobPodFailureBackOff (the docs still say six minutes; the code says ten)
MAX_UNCOUNTED_PODS = 500  # MaxUncountedPods: finished pods counted per sync, keeping status small
SUCCESS_REASON = "CompletionsReached"
SUCCESS_MESSAGE = "Reached expected number of succeeded pods"
BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
MAX_FAILED_INDEXES_MESSAGE = "Job has exceeded the specified maximal number of failed indexes"
FAILED_INDEXES_MESSAGE = "Job has failed indexes"

_UNKNOWN_INDEX = -1
_MAX_GENERATED_NAME_LENGTH = 63 - 5  # names.MaxGeneratedNameLength: room for the 5 random characters


# -- pure helpers ----------------------------------------------------------------------------------

def is_finished(job: dict) -> bool:
    """IsJobFinished: a Complete or Failed condition is True."""
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return True
    return False


def completion_index(pod: dict) -> int:
    """getCompletionIndex: the pod's completion index annotation, or -1 when missing or invalid."""
    value = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    if value is None or not value.isdigit():
        return _UNKNOWN_INDEX
    return int(value)


def format_indexes(indexes) -> str:
    """orderedIntervals.String: `0-2,4,6,7` (runs of three or more become ranges)."""
    parts: list[str] = []
    run: list[int] = []
    for ix in sorted(indexes):
        if run and ix == run[1] + 1:
            run[1] = ix
            continue
        if run:
            parts.append(_interval(*run))
        run = [ix, ix]
    if run:
        parts.append(_interval(*run))
    return ",".join(parts)


def _interval(first: int, last: int) -> str:
    if last == first:
        return str(first)
    return f"{first}{',' if last == first + 1 else '-'}{last}"


def parse_indexes(text: str | None, completions: int) -> set[int]:
    """parseIndexesFromString: the indexes below `completions` in `0-2,4`; malformed parts are skipped."""
    result: set[int] = set()
    for part in (text or "").split(","):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            continue
        result.update(range(int(first), min(int(last or first), completions - 1) + 1))
    return result


def match_pod_failure_policy(policy: dict | None, pod: dict) -> tuple[str | None, bool, str | None]:
    """matchPodFailurePolicy: (the FailJob message, whether the failure counts, the matched
    action) for a failed pod, from the first rule whose exit codes or pod conditions match."""
    if policy is None:
        return None, True, None
    status = pod.get("status") or {}
    meta = pod["metadata"]
    for index, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            container = _matching_exit(status, rule["onExitCodes"])
            if container is None:
                continue
            message = (f"Container {container['name']} for pod {meta['namespace']}/{meta['name']} failed with exit "
                       f"code {container['state']['terminated']['exitCode']} matching {action} rule at index {index}")
        elif rule.get("onPodConditions"):
            cond = _matching_condition(status, rule["onPodConditions"])
            if cond is None:
                continue
            message = (f"Pod {meta['namespace']}/{meta['name']} has condition {cond['type']} matching {action} rule "
                       f"at index {index}")
        else:
            continue
        if action == "Ignore":
            return None, False, action
        if action == "FailJob":
            return message, True, action
        if action in ("Count", "FailIndex"):
            return None, True, action
    return None, True, None


def _matching_exit(status: dict, requirement: dict) -> dict | None:
    """matchOnExitCodes: a terminated container (then init container) with a non-zero exit code the
    operator accepts; exit code 0 never matches."""
    name, values = requirement.get("containerName"), requirement.get("values") or ()
    operator = requirement.get("operator")
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(key) or ():
            code = ((cs.get("state") or {}).get("terminated") or {}).get("exitCode")
            if not code or (name is not None and cs.get("name") != name):
                continue
            if (operator == "In" and code in values) or (operator == "NotIn" and code not in values):
                return cs
    return None


def _matching_condition(status: dict, patterns: list[dict]) -> dict | None:
    """matchOnPodConditions: the first pod condition of a listed type and status."""
    for cond in status.get("conditions") or ():
        for pattern in patterns:
            if cond.get("type") == pattern.get("type") and cond.get("status") == pattern.get("status", "True"):
                return cond
    return None


def match_success_policy(policy: dict | None, completions: int, succeeded: set[int]) -> str | None:
    """matchSuccessPolicy: "Matched rules at index N" for the first rule the succeeded indexes meet
    (all its succeededIndexes, or succeededCount of them / of all indexes), else None."""
    if policy is None or not succeeded:
        return None
    for index, rule in enumerate(policy.get("rules") or ()):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = parse_indexes(rule["succeededIndexes"], completions)
            if not required:
                continue
            if len(required & succeeded) >= (len(required) if count is None else count):
                return f"Matched rules at index {index}"
        elif count is not None and len(succeeded) >= count:
            return f"Matched rules at index {index}"
    return None


def _annotation_count(pod: dict, key: str) -> int:
    value = (pod["metadata"].get("annotations") or {}).get(key, "")
    return int(value) if value.isdigit() else 0


def index_failure_counts(job: dict, replaced: dict | None) -> tuple[int, int]:
    """getNewIndexFailureCounts: (failures, ignored failures) of an index, for the pod replacing
    `replaced` (the index's last failed pod)."""
    if replaced is None:
        return 0, 0
    failures = _annotation_count(replaced, INDEX_FAILURE_COUNT)
    ignored = _annotation_count(replaced, INDEX_IGNORED_FAILURE_COUNT)
    if match_pod_failure_policy(job["spec"].get("podFailurePolicy"), replaced)[1]:
        return failures + 1, ignored
    return failures, ignored + 1


def finished_time(pod: dict) -> float:
    """getFinishedTime: when the last container terminated, else when the pod turned not Ready,
    else its deletion (deletionTimestamp minus the grace period), else its creation."""
    status = pod.get("status") or {}
    latest = None
    for cs in status.get("containerStatuses") or ():
        finished_at = (cs.get("state", {}).get("terminated") or {}).get("finishedAt")
        if not finished_at:
            latest = None
            break
        latest = max(latest or 0.0, parse_rfc3339(finished_at))
    if latest is not None:
        return latest
    ready = get_condition(pod, "Ready")
    if ready and ready.get("status") == "False" and ready.get("lastTransitionTime"):
        return parse_rfc3339(ready["lastTransitionTime"])
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return parse_rfc3339(meta["deletionTimestamp"]) - (meta.get("deletionGracePeriodSeconds") or 0)
    return parse_rfc3339(meta["creationTimestamp"])


def backoff_delay(failures: int) -> float:
    """The wait before replacing a pod after `failures` failures in a row: 10 s doubling, capped."""
    if failures <= 0:
        return 0.0
    return min(POD_FAILURE_BACKOFF * 2 ** (failures - 1), MAX_POD_FAILURE_BACKOFF)


def new_backoff_record(record: tuple[int, float | None], new_succeeded: list[dict],
                       new_failed: list[dict]) -> tuple[int, float | None]:
    """backoffStore.newBackoffRecord: (failures since the last success, time of the last failure)
    after counting newly finished pods; a success resets the count to the failures after it."""
    if not new_succeeded:
        if not new_failed:
            return record
        return record[0] + len(new_failed), max(finished_time(p) for p in new_failed)
    last_success = max(finished_time(p) for p in new_succeeded)
    later = sorted((t for t in map(finished_time, new_failed) if t > last_success), reverse=True)
    return len(later), (later[0] if later else None)


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> dict:
    cond = {"type": type_, "status": status, "lastProbeTime": now, "lastTransitionTime": now}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def ensure_condition(conditions: list[dict], type_: str, status: str, reason: str, message: str,
                     now: str) -> tuple[list[dict], bool]:
    """ensureJobConditionStatus: set the condition of `type_` (a False one is never added); returns
    the new list and whether it changed."""
    for i, cond in enumerate(conditions):
        if cond.get("type") == type_:
            if (cond.get("status"), cond.get("reason", ""), cond.get("message", "")) == (status, reason, message):
                return conditions, False
            return [*conditions[:i], _condition(type_, status, reason, message, now), *conditions[i + 1:]], True
    if status == "False":
        return conditions, False
    return [*conditions, _condition(type_, status, reason, message, now)], True


def _true_condition(conditions: list[dict], type_: str) -> dict | None:
    for cond in conditions:
        if cond.get("type") == type_ and cond.get("status") == "True":
            return cond
    return None


def _has_tracking_finalizer(pod: dict) -> bool:
    return TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def _is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp")) and _phase(pod) not in ("Succeeded", "Failed")


def _phase(pod: dict) -> str | None:
    return (pod.get("status") or {}).get("phase")


# -- the controller --------------------------------------------------------------------------------

class _Sync:
    """One sync's view of a Job (upstream's syncJobCtx) and the status being built."""

    def __init__(self, job: dict, pods: list[dict]):
        spec, status = job["spec"], job.get("status") or {}
        self.job = job
        self.pods = pods
        self.indexed = spec.get("completionMode") == "Indexed"
        self.completions = spec.get("completions")
        self.active_pods = [p for p in pods if is_pod_active(p)]
        self.active = len(self.active_pods)
        self.ready = sum(1 for p in self.active_pods if is_pod_ready(p))
        self.terminating = sum(1 for p in pods if _is_terminating(p))
        uncounted = status.get("uncountedTerminatedPods") or {}
        self.uncounted_succeeded: list[str] = list(uncounted.get("succeeded") or ())
        self.uncounted_failed: list[str] = list(uncounted.get("failed") or ())
        self.counted_succeeded = status.get("succeeded", 0)
        self.counted_failed = status.get("failed", 0)
        self.conditions: list[dict] = list(status.get("conditions") or ())
        self.start_time = status.get("startTime")
        self.completion_time = status.get("completionTime")
        self.old_status = status
        # Succeeded and failed so far, including the pods finished since the last count.
        self.succeeded = 0
        self.failed = 0
        self.prev_succeeded_indexes: set[int] = set()
        self.succeeded_indexes: set[int] = set()
        self.finished: tuple[str, str, str] | None = None  # (condition type, reason, message) to finish with
        self.backoff: tuple[int, float | None] = (0, None)
        self.per_index = self.indexed and spec.get("backoffLimitPerIndex") is not None
        self.failed_indexes: set[int] = set()
        self.delayed: dict[int, dict] = {}  # podsWithDelayedDeletionPerIndex: index -> its last failed pod

    def status(self) -> dict:
        """The status as the API shows it (a new dict each time: what was handed over stays frozen)."""
        status: dict = {}
        if self.conditions:
            status["conditions"] = list(self.conditions)
        for field, value in (("startTime", self.start_time), ("completionTime", self.completion_time),
                             ("active", self.active), ("succeeded", self.counted_succeeded),
                             ("failed", self.counted_failed)):
            if value:
                status[field] = value
        status["terminating"] = self.terminating
        if self.indexed and self.succeeded_indexes:
            status["completedIndexes"] = format_indexes(self.succeeded_indexes)
        if self.per_index:
            status["failedIndexes"] = format_indexes(self.failed_indexes)
        uncounted: dict = {}
        if self.uncounted_succeeded:
            uncounted["succeeded"] = list(self.uncounted_succeeded)
        if self.uncounted_failed:
            uncounted["failed"] = list(self.uncounted_failed)
        status["uncountedTerminatedPods"] = uncounted
        status["ready"] = self.ready
        return status


class JobController(Controller):
    """kube-controller-manager's Job controller (pkg/controller/job, batch/v1).

    Creates pods from the template up to spec.parallelism but never more than the completions still
    missing (`<job>-` names; Indexed Jobs get the lowest missing indexes as `<job>-<index>-` pods
    with the batch.kubernetes.io/job-completion-index annotation and label, a hostname and the
    JOB_COMPLETION_INDEX variable). A failed pod is replaced after a backoff of 10 s doubling per
    failure in a row; more failures than spec.backoffLimit, or running past activeDeadlineSeconds,
    fails the Job: a FailureTarget condition, the active pods deleted, then Failed once none is
    terminating. Enough successes give SuccessCriteriaMet, then Complete and completionTime.
    spec.suspend deletes the active pods and sets the Suspended condition; resuming restarts the
    deadline clock. A podFailurePolicy classifies failed pods by exit code or pod condition:
    FailJob fails the Job (reason PodFailurePolicy), Ignore does not count the failure, Count
    counts it, FailIndex fails the pod's index. With backoffLimitPerIndex every index of an Indexed
    Job has its own retries and backoff (failure counts in pod annotations, status.failedIndexes,
    maxFailedIndexes). A successPolicy completes an Indexed Job early (reason SuccessPolicy) once
    the listed indexes or enough of them succeeded; the other pods are terminated.

    Finished pods are counted as upstream counts them: every pod is created with the
    batch.kubernetes.io/job-tracking finalizer, so it cannot vanish before it is counted. A sync
    first lists newly finished pods' UIDs in status.uncountedTerminatedPods, then removes their
    finalizers, then moves them into status.succeeded/failed. Each pod is counted exactly once even
    if a sync dies halfway, and the pods and counts a learner sees (finalizers, uncounted UIDs)
    are the ones a real cluster shows. Pods whose Job is gone or finished lose the finalizer
    through a second queue (upstream's orphan pod worker).
    """

    name = "job"
    component = "job-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphan_pods)
        self.jobs = self.informers.informer("jobs")
        self.orphan_queue = WorkQueue(ctx.clock, self._sync_orphan_pod, "job_orphan_pod", on_error=self._record_error,
                                      gate=self.gate)
        self._backoff: dict[str, tuple[int, float | None]] = {}  # podBackoffStore, by Job key
        self._selectors: dict[str, tuple[str, int, LabelSelector | None]] = {}
        self.router = OwnerRouter(self.jobs, "Job", lambda job: self._selector(key_of(job), job),
                                  lambda pod, job: self._enqueue_batched(job), self._enqueue_batched)
        self.jobs.add_handler(self.enqueue, self._job_updated, self._job_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    # -- informer handlers (enqueue only) ------------------------------------------------------

    def _enqueue_batched(self, job: dict) -> None:
        self.queue.add_after(key_of(job), SYNC_BATCH_PERIOD)

    def _job_updated(self, old: dict, new: dict) -> None:
        key = key_of(new)
        if new["metadata"].get("generation") == old["metadata"].get("generation"):
            self._enqueue_batched(new)
        else:
            self.queue.add(key)
        if is_finished(new):
            self._cleanup_pod_finalizers(new)
        start = (new.get("status") or {}).get("startTime")
        deadline = new["spec"].get("activeDeadlineSeconds")
        if start and deadline is not None and deadline != old["spec"].get("activeDeadlineSeconds"):
            self.queue.add_after(key, deadline - (self.clock.now - parse_rfc3339(start)))

    def _job_deleted(self, job: dict) -> None:
        self.enqueue(job)
        self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: dict) -> None:
        for pod_key in sorted(self.pods.index_keys("controller", job["metadata"]["uid"])):
            if _has_tracking_finalizer(self.pods.get(pod_key)):
                self.orphan_queue.add(pod_key)

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        self.router.added(pod, orphaned=self._orphan_finalizer)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if new["metadata"].get("deletionTimestamp"):
            self._pod_deleted(new)
            return
        self.router.updated(old, new, orphaned=self._orphan_finalizer)

    def _pod_deleted(self, pod: dict) -> None:
        ref = controller_ref(pod)
        job = self.router.resolve(pod["metadata"]["namespace"], ref) if ref is not None else None
        if job is None or is_finished(job):
            if _has_tracking_finalizer(pod):
                self.orphan_queue.add(key_of(pod))  # syncJob will not remove this finalizer
            return
        self._enqueue_batched(job)

    def _orphan_finalizer(self, pod: dict) -> None:
        """An orphan still carrying the tracking finalizer loses it (unless a Job adopts it first)."""
        if _has_tracking_finalizer(pod):
            self.orphan_queue.add(key_of(pod))

    def _selector(self, key: str, job: dict) -> LabelSelector | None:
        """The Job's selector, parsed once per generation (None if it does not parse)."""
        meta = job["metadata"]
        cached = self._selectors.get(key)
        if cached is not None and cached[0] == meta["uid"] and cached[1] == meta.get("generation"):
            return cached[2]
        try:
            sel = selectors.from_label_selector_object(job["spec"].get("selector"))
        except ApiError:
            sel = None
        self._selectors[key] = (meta["uid"], meta.get("generation"), sel)
        return sel

    # -- orphan pods ---------------------------------------------------------------------------

    def _sync_orphan_pod(self, key: str) -> None:
        """syncOrphanPod: drop the tracking finalizer of a pod no unfinished Job tracks any more."""
        pod = self.pods.get(key)
        if pod is None or not _has_tracking_finalizer(pod):
            return
        ref = controller_ref(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return
            job = self.router.resolve(pod["metadata"]["namespace"], ref)
            if job is not None and (_managed_elsewhere(job) or not is_finished(job)):
                return
        self._remove_finalizer(pod)

    def _remove_finalizer(self, pod: dict) -> bool:
        """Take the tracking finalizer off a pod; False when the pod is already gone."""
        latest = self.pods.get(key_of(pod))
        if latest is None or latest["metadata"]["uid"] != pod["metadata"]["uid"]:
            return False
        if not _has_tracking_finalizer(latest):
            return True
        pod, meta = latest, latest["metadata"]
        rest = [f for f in meta.get("finalizers") or () if f != TRACKING_FINALIZER]
        new_meta = {k: v for k, v in meta.items() if k != "finalizers"}
        if rest:
            new_meta["finalizers"] = rest
        try:
            self.api.update("pods", {**pod, "metadata": new_meta}, meta["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 404:
                raise
            return False
        return True

    # -- sync ----------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is None:
            self._backoff.pop(key, None)
            self._selectors.pop(key, None)
            return
        if _managed_elsewhere(job):
            return
        if is_finished(job):
            self._backoff.pop(key, None)
            return
        selector = self._selector(key, job)
        if selector is None:
            return
        spec = job["spec"]
        now = self.clock.now
        c = _Sync(job, self._pods_for_job(job, selector))
        unc_succeeded, unc_failed = set(c.uncounted_succeeded), set(c.uncounted_failed)
        new_succeeded = [p for p in self._uncounted(c, unc_succeeded) if _phase(p) == "Succeeded"]
        new_failed = [p for p in self._uncounted(c, unc_failed) if _pod_failed(p, job)]
        c.succeeded = c.counted_succeeded + len(new_succeeded) + len(unc_succeeded)
        policy = spec.get("podFailurePolicy")
        c.failed = (c.counted_failed + sum(match_pod_failure_policy(policy, p)[1] for p in new_failed)
                    + len(unc_failed))
        suspended = bool(spec.get("suspend"))
        if c.start_time is None and not suspended:
            c.start_time = rfc3339(now)
        c.backoff = new_backoff_record(self._backoff.get(key, (0, None)), new_succeeded, new_failed)

        met = _true_condition(c.conditions, "SuccessCriteriaMet")
        target = _true_condition(c.conditions, "FailureTarget")
        if met is not None:
            c.finished = ("SuccessCriteriaMet", met.get("reason", ""), met.get("message", ""))
        elif target is not None:
            c.finished = ("Failed", target.get("reason", ""), target.get("message", ""))
        else:
            message = _fail_job_message(job, c.pods)
            if message is not None:
                c.finished = ("FailureTarget", "PodFailurePolicy", message)
        if c.finished is None:
            if c.failed > spec.get("backoffLimit", 6) or _past_backoff_limit_on_failure(job, c.pods):
                c.finished = ("FailureTarget", "BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE)
            elif self._past_active_deadline(job, c.start_time):
                c.finished = ("FailureTarget", "DeadlineExceeded", DEADLINE_MESSAGE)
            elif spec.get("activeDeadlineSeconds") is not None and not suspended:
                self.queue.add_after(key, spec["activeDeadlineSeconds"] - (now - parse_rfc3339(c.start_time)))

        if c.indexed:
            c.prev_succeeded_indexes = parse_indexes(c.old_status.get("completedIndexes"), c.completions)
            c.succeeded_indexes = c.prev_succeeded_indexes | {
                completion_index(p) for p in c.pods
                if _phase(p) == "Succeeded" and _has_tracking_finalizer(p)
                and 0 <= completion_index(p) < c.completions}
            c.succeeded = len(c.succeeded_indexes)
            if c.per_index:
                c.failed_indexes = _failed_indexes(c)
                max_failed = spec.get("maxFailedIndexes")
                if c.finished is None and max_failed is not None and len(c.failed_indexes) > max_failed:
                    c.finished = ("FailureTarget", "MaxFailedIndexesExceeded", MAX_FAILED_INDEXES_MESSAGE)
                elif c.finished is None and c.failed_indexes and (
                        len(c.failed_indexes) + len(c.succeeded_indexes) >= c.completions):
                    c.finished = ("FailureTarget", "FailedIndexes", FAILED_INDEXES_MESSAGE)
                c.delayed = _pods_with_delayed_deletion(c)
            if c.finished is None:
                message = match_success_policy(spec.get("successPolicy"), c.completions, c.succeeded_indexes)
                if message is not None:
                    c.finished = ("SuccessCriteriaMet", "SuccessPolicy", message)

        suspend_changed = False
        error: ApiError | None = None
        if c.finished is not None:
            deleted, deleted_ready, error = self._delete_pods(job, c.active_pods, keep_finalizers=True)
            if deleted != c.active:
                c.finished = None  # pods left to delete: not finished yet
            c.active -= deleted
            c.terminating += deleted
            c.ready -= deleted_ready
        else:
            managed = not job["metadata"].get("deletionTimestamp")
            if managed:
                error = self._manage_job(key, c)
            if c.completions is None:
                # A work queue: done once any pod succeeded and the rest have stopped.
                complete = c.succeeded > 0 and c.active == 0
            else:
                complete = c.succeeded >= c.completions and c.active == 0
            if complete:
                c.finished = ("SuccessCriteriaMet", SUCCESS_REASON, SUCCESS_MESSAGE)
            elif managed:
                suspend_changed = self._update_suspended_condition(c, suspended, now)

        old = c.old_status
        needs_update = (suspend_changed or c.active != old.get("active", 0) or c.ready != old.get("ready")
                        or c.terminating != old.get("terminating"))
        self._track_status_and_remove_finalizers(key, c, needs_update)
        if error is not None:
            raise error

    def _uncounted(self, c: _Sync, uncounted: set[str]) -> list[dict]:
        """getValidPodsWithFilter: the pods still carrying the finalizer and not listed as uncounted."""
        out = []
        for p in c.pods:
            if not _has_tracking_finalizer(p) or p["metadata"]["uid"] in uncounted:
                continue
            if c.indexed and not 0 <= completion_index(p) < c.completions:
                continue
            out.append(p)
        return out

    def _pods_for_job(self, job: dict, selector: LabelSelector) -> list[dict]:
        """getPodsForJob: claim the pods (release owned pods the selector stopped matching, adopt
        matching orphans with the tracking finalizer) and return those the Job controls."""
        meta = job["metadata"]
        uid = meta["uid"]
        candidates = [k for k in sorted(self.pods.index_keys("controller", uid))
                      if not selector.matches(self.pods.get(k)["metadata"].get("labels"))]
        candidates += sorted(self.pods.index_keys(refmanager.ORPHAN_INDEX, meta["namespace"]))
        for pod_key in candidates:
            pod = self.pods.get(pod_key)
            if pod is not None:
                refmanager.claim(self.api, "pods", job, selector, pod, (TRACKING_FINALIZER,))
        return self.pods.by_index("controller", uid)

    def _past_active_deadline(self, job: dict, start_time: str | None) -> bool:
        deadline = job["spec"].get("activeDeadlineSeconds")
        if deadline is None or start_time is None or job["spec"].get("suspend"):
            return False
        return self.clock.now - parse_rfc3339(start_time) >= deadline

    def _update_suspended_condition(self, c: _Sync, suspended: bool, now: float) -> bool:
        """The Suspended condition and its events; resuming restarts the deadline clock."""
        if suspended:
            c.conditions, changed = ensure_condition(c.conditions, "Suspended", "True", "JobSuspended",
                                                     "Job suspended", rfc3339(now))
            if changed:
                self.recorder.normal(c.job, "Suspended", "Job suspended")
            return changed
        c.conditions, changed = ensure_condition(c.conditions, "Suspended", "False", "JobResumed",
                                                 "Job resumed", rfc3339(now))
        if changed:
            self.recorder.normal(c.job, "Resumed", "Job resumed")
            # activeDeadlineSeconds counts the time a Job is continuously active.
            c.start_time = rfc3339(now)
        return changed

    # -- manageJob -----------------------------------------------------------------------------

    def _manage_job(self, key: str, c: _Sync) -> ApiError | None:
        """Create or delete pods towards the wanted number of active pods; updates c.active."""
        job, spec = c.job, c.job["spec"]
        if spec.get("suspend"):
            victims = _active_pods_for_removal(c, c.active, self.clock.now)
            return self._delete_some(key, c, victims)
        parallelism = spec.get("parallelism", 1)
        if c.completions is None:
            # Without completions every pod may finish the work: once one succeeded, start no more.
            want = c.active if c.succeeded > 0 else parallelism
        else:
            want = max(0, min(c.completions - c.succeeded, parallelism))
        victims = _active_pods_for_removal(c, max(0, c.active - want), self.clock.now)
        if victims:
            return self._delete_some(key, c, victims)
        terminating = c.terminating if _only_replace_failed_pods(job) else 0
        diff = want - terminating - c.active
        if diff <= 0:
            return None
        failures, last_failure = c.backoff
        remaining = backoff_delay(failures) - (self.clock.now - last_failure) if failures and not c.per_index else 0.0
        if remaining > 0:
            self.queue.add_after(key, max(remaining, SYNC_BATCH_PERIOD))
            return None
        if diff > podcontrol.PODS_PER_SYNC:
            diff = podcontrol.PODS_PER_SYNC
            self.queue.add(key)
        indexes: list[int] = []
        if c.indexed:
            indexes = _first_pending_indexes(c, diff)
            if c.per_index:
                # getPodCreationInfoForIndependentIndexes: each index waits out its own backoff
                waits = {ix: self._index_backoff(c, ix) for ix in indexes}
                indexes = [ix for ix in indexes if waits[ix] <= 0]
                pending = [w for w in waits.values() if w > 0]
                if pending:
                    self.queue.add_after(key, max(min(pending), SYNC_BATCH_PERIOD))
            diff = len(indexes)
        return self._create_pods(c, diff, indexes)

    def _index_backoff(self, c: _Sync, index: int) -> float:
        """getRemainingTimePerIndex: the backoff left after the index's last failed pod."""
        last = c.delayed.get(index)
        if last is None:
            return 0.0
        failures = (_annotation_count(last, INDEX_FAILURE_COUNT) + _annotation_count(last, INDEX_IGNORED_FAILURE_COUNT)
                    + 1)
        return backoff_delay(failures) - (self.clock.now - finished_time(last))

    def _create_pods(self, c: _Sync, count: int, indexes: list[int]) -> ApiError | None:
        job = c.job
        meta = job["metadata"]
        template = job["spec"].get("template") or {}
        tmeta = template.get("metadata") or {}
        finalizers = list(tmeta.get("finalizers") or ())
        if TRACKING_FINALIZER not in finalizers:
            finalizers.append(TRACKING_FINALIZER)
        template = {**template, "metadata": {**tmeta, "finalizers": finalizers}}
        if c.indexed:
            template = _with_completion_index_env(template)
        ref = owner_reference(job)
        pending = list(indexes)

        def create() -> None:
            pod_template, prefix = template, podcontrol.generate_name_prefix(meta["name"])
            if pending:
                ix = pending.pop(0)
                pod_template, prefix = _for_index(template, meta["name"], ix), index_name_prefix(meta["name"], ix)
                if c.per_index:
                    pod_template = _with_failure_counts(pod_template, *index_failure_counts(job, c.delayed.get(ix)))
            pod = podcontrol.pod_from_template(pod_template, ref, prefix)
            try:
                created = self.api.create("pods", pod, meta["namespace"], field_validation="Ignore")
            except ApiError as exc:
                if podcontrol.namespace_terminating(exc):
                    return
                self.recorder.warning(job, "FailedCreate", f"Error creating: {exc}")
                raise
            c.active += 1
            self.recorder.normal(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

        _, error = podcontrol.slow_start_batch(count, create)
        return error

    def _delete_some(self, key: str, c: _Sync, victims: list[dict]) -> ApiError | None:
        """deleteJobPods for pods the Job no longer wants (they are not counted as failures)."""
        if len(victims) > podcontrol.PODS_PER_SYNC:
            victims = victims[:podcontrol.PODS_PER_SYNC]
            self.queue.add(key)
        deleted, deleted_ready, error = self._delete_pods(c.job, victims, keep_finalizers=False)
        c.active -= deleted
        c.terminating += deleted
        c.ready -= deleted_ready
        return error

    def _delete_pods(self, job: dict, pods: list[dict], keep_finalizers: bool) -> tuple[int, int, ApiError | None]:
        """Delete pods, first removing the tracking finalizer unless they are still to be counted;
        returns how many were deleted, how many of those were ready, and the first error."""
        deleted = ready = 0
        first_error: ApiError | None = None
        for pod in pods:
            meta = pod["metadata"]
            try:
                if not keep_finalizers and _has_tracking_finalizer(pod):
                    self._remove_finalizer(pod)
                self.api.delete("pods", meta["name"], meta["namespace"])
            except ApiError as exc:
                if exc.code != 404:
                    self.recorder.warning(job, "FailedDelete", f"Error deleting: {exc}")
                    first_error = first_error or exc
                    continue
            else:
                self.recorder.normal(job, "SuccessfulDelete", f"Deleted pod: {meta['name']}")
            deleted += 1
            ready += is_pod_ready(pod)
        return deleted, ready, first_error

    # -- status --------------------------------------------------------------------------------

    def _track_status_and_remove_finalizers(self, key: str, c: _Sync, needs_flush: bool) -> None:
        """trackJobStatusAndRemoveFinalizers: list newly finished pods as uncounted, remove their
        finalizers, count them, and finish the Job once nothing is left uncounted or terminating."""
        job = c.job
        pods = sorted(c.pods, key=completion_index) if c.indexed else c.pods
        with_finalizer = {p["metadata"]["uid"] for p in pods if _has_tracking_finalizer(p)}
        needs_flush = _count_uncounted(c, with_finalizer) or needs_flush
        unc_succeeded, unc_failed = set(c.uncounted_succeeded), set(c.uncounted_failed)
        finishing_failed = c.finished is not None and c.finished[0] != "SuccessCriteriaMet"
        to_remove: list[dict] = []
        new_indexes: list[int] = []
        reached_max = False
        for pod in pods:
            if not _has_tracking_finalizer(pod):
                continue  # counted in an earlier sync
            uid = pod["metadata"]["uid"]
            failed = _pod_failed(pod, job)
            ix = completion_index(pod)
            if not (job["metadata"].get("deletionTimestamp") or c.finished is not None or _phase(pod) == "Succeeded"):
                # canRemoveFinalizer: an index's last failed pod stays until its replacement exists
                if not failed or (ix in c.delayed and c.delayed[ix]["metadata"]["uid"] == uid):
                    continue
            to_remove.append(pod)
            if _phase(pod) == "Succeeded" and uid not in unc_failed:
                if c.indexed:
                    if 0 <= ix < c.completions and ix not in c.prev_succeeded_indexes:
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in unc_succeeded:
                    c.uncounted_succeeded.append(uid)
                    needs_flush = True
            elif failed or finishing_failed:
                # Once the Job is failing, every pod that has not succeeded counts as failed.
                if (uid not in unc_failed and (not c.indexed or 0 <= ix < c.completions)
                        and match_pod_failure_policy(job["spec"].get("podFailurePolicy"), pod)[1]):
                    c.uncounted_failed.append(uid)
                    needs_flush = True
            if len(new_indexes) + len(c.uncounted_succeeded) + len(c.uncounted_failed) >= MAX_UNCOUNTED_PODS:
                reached_max = True  # the status and pod updates bring this Job back for the rest
                break
        if c.indexed:
            c.succeeded_indexes |= set(new_indexes)
            c.counted_succeeded = len(c.succeeded_indexes)
            if format_indexes(c.succeeded_indexes) != c.old_status.get("completedIndexes", ""):
                needs_flush = True
            if c.per_index and format_indexes(c.failed_indexes) != c.old_status.get("failedIndexes"):
                needs_flush = True
        now = rfc3339(self.clock.now)
        if c.finished is not None and c.finished[0] == "FailureTarget":
            # Record why the Job fails before the finalizers go; Failed follows once pods are gone.
            c.conditions = [*c.conditions, _condition("FailureTarget", "True", c.finished[1], c.finished[2], now)]
            needs_flush = True
            c.finished = ("Failed", c.finished[1], c.finished[2])
        elif c.finished is not None and c.finished[0] == "SuccessCriteriaMet":
            if _true_condition(c.conditions, "SuccessCriteriaMet") is None:
                c.conditions = [*c.conditions, _condition("SuccessCriteriaMet", "True", c.finished[1],
                                                          c.finished[2], now)]
                needs_flush = True
            c.finished = ("Complete", c.finished[1], c.finished[2])

        if needs_flush:
            self._write_status(c)
            self._backoff[key] = c.backoff
        removal_error: ApiError | None = None
        for pod in to_remove:
            try:
                self._remove_finalizer(pod)
            except ApiError as exc:
                removal_error = removal_error or exc
                continue
            with_finalizer.discard(pod["metadata"]["uid"])
        needs_flush = _count_uncounted(c, with_finalizer)
        if removal_error is not None:
            if needs_flush:
                self._write_status(c)
            raise removal_error
        finished = not reached_max and self._enact_finished(c)
        if needs_flush or finished:
            self._write_status(c)
            if finished:
                self._record_finished(c)

    def _write_status(self, c: _Sync) -> None:
        c.job = self.api.update_status("jobs", {**c.job, "status": c.status()})

    def _enact_finished(self, c: _Sync) -> bool:
        """enactJobFinished: add Complete or Failed once every pod is counted and none terminates."""
        if c.finished is None or c.uncounted_succeeded or c.uncounted_failed or c.terminating > 0:
            return False
        now = rfc3339(self.clock.now)
        type_, reason, message = c.finished
        c.conditions, _ = ensure_condition(c.conditions, type_, "True", reason, message, now)
        if type_ == "Complete":
            c.completion_time = now
        return True

    def _record_finished(self, c: _Sync) -> None:
        job = c.job
        type_, reason, message = c.finished
        if type_ == "Complete":
            if c.completions is not None and c.counted_succeeded > c.completions:
                self.recorder.warning(job, "TooManySucceededPods",
                                      "Too many succeeded pods running after completion count reached")
            self.recorder.normal(job, "Completed", "Job completed")
        else:
            self.recorder.warning(job, reason, message)


# -- helpers of the sync -----------------------------------------------------------------------------

def _managed_elsewhere(job: dict) -> bool:
    return job["spec"].get("managedBy", JOB_CONTROLLER_NAME) != JOB_CONTROLLER_NAME


def _only_replace_failed_pods(job: dict) -> bool:
    """podReplacementPolicy Failed (implied by a podFailurePolicy): a deleted pod is replaced only
    once it has stopped, and until then it is not counted as failed."""
    spec = job["spec"]
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def _pod_failed(pod: dict, job: dict) -> bool:
    """isPodFailed: phase Failed, or (unless only failed pods are replaced) deleted before it succeeded."""
    phase = _phase(pod)
    if phase == "Failed":
        return True
    if _only_replace_failed_pods(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"


def _past_backoff_limit_on_failure(job: dict, pods: list[dict]) -> bool:
    """With restartPolicy OnFailure the kubelet restarts containers in place: their restarts count."""
    spec = job["spec"]
    if (spec.get("template") or {}).get("spec", {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for pod in pods:
        if _phase(pod) in ("Running", "Pending"):
            status = pod.get("status") or {}
            for key in ("initContainerStatuses", "containerStatuses"):
                restarts += sum(cs.get("restartCount", 0) for cs in status.get(key) or ())
    limit = spec.get("backoffLimit", 6)
    return restarts > 0 if limit == 0 else restarts >= limit


def _fail_job_message(job: dict, pods: list[dict]) -> str | None:
    """getFailJobMessage: the message of the first failed pod a FailJob rule matches."""
    policy = job["spec"].get("podFailurePolicy")
    if policy is None:
        return None
    for pod in pods:
        if _pod_failed(pod, job):
            message = match_pod_failure_policy(policy, pod)[0]
            if message is not None:
                return message
    return None


def _index_failed(job: dict, pod: dict) -> bool:
    """isIndexFailed: a FailIndex rule matched, or a counted failure with the index's retries used up."""
    if not _pod_failed(pod, job):
        return False
    _, counts, action = match_pod_failure_policy(job["spec"].get("podFailurePolicy"), pod)
    if action == "FailIndex":
        return True
    return counts and _annotation_count(pod, INDEX_FAILURE_COUNT) >= job["spec"]["backoffLimitPerIndex"]


def _failed_indexes(c: _Sync) -> set[int]:
    """calculateFailedIndexes: the recorded failed indexes plus those failed since."""
    failed = parse_indexes(c.old_status.get("failedIndexes"), c.completions)
    for pod in c.pods:
        ix = completion_index(pod)
        if 0 <= ix < c.completions and ix not in failed and _index_failed(c.job, pod):
            failed.add(ix)
    return failed


def _absolute_failures(pod: dict) -> int:
    return _annotation_count(pod, INDEX_FAILURE_COUNT) + _annotation_count(pod, INDEX_IGNORED_FAILURE_COUNT)


def _pods_with_delayed_deletion(c: _Sync) -> dict[int, dict]:
    """getPodsWithDelayedDeletionPerIndex: per index with no active pod and not failed, its failed
    pod with the most failures; it keeps its finalizer until the replacement is created."""
    active = {completion_index(p) for p in c.active_pods}
    delayed: dict[int, dict] = {}
    for pod in c.pods:
        ix = completion_index(pod)
        if (not 0 <= ix < c.completions or ix in active or ix in c.failed_indexes
                or not _pod_failed(pod, c.job)):
            continue
        last = delayed.get(ix)
        if last is None or _absolute_failures(last) <= _absolute_failures(pod):
            delayed[ix] = pod
    return delayed


def _with_failure_counts(template: dict, failures: int, ignored: int) -> dict:
    """addIndexFailureCountAnnotation: the index's failure count (and ignored failures, if any)."""
    tmeta = template.get("metadata") or {}
    annotations = {**(tmeta.get("annotations") or {}), INDEX_FAILURE_COUNT: str(failures)}
    if ignored:
        annotations[INDEX_IGNORED_FAILURE_COUNT] = str(ignored)
    return {**template, "metadata": {**tmeta, "annotations": annotations}}


def _count_uncounted(c: _Sync, with_finalizer: set[str]) -> bool:
    """cleanUncountedPodsWithoutFinalizers: uncounted pods whose finalizer is gone join the counts."""
    changed = False
    kept = [uid for uid in c.uncounted_succeeded if uid in with_finalizer]
    if len(kept) != len(c.uncounted_succeeded):
        c.counted_succeeded += len(c.uncounted_succeeded) - len(kept)
        c.uncounted_succeeded = kept
        changed = True
    kept = [uid for uid in c.uncounted_failed if uid in with_finalizer]
    if len(kept) != len(c.uncounted_failed):
        c.counted_failed += len(c.uncounted_failed) - len(kept)
        c.uncounted_failed = kept
        changed = True
    return changed


def _active_pods_for_removal(c: _Sync, at_least: int, now: float) -> list[dict]:
    """activePodsForRemoval: for Indexed Jobs every pod without a valid index and all but the best
    pod of a repeated index; then the cheapest pods to lose until `at_least` are chosen."""
    remove: list[dict] = []
    left = c.active_pods
    if c.indexed:
        left = []
        by_index: dict[int, list[dict]] = {}
        for pod in c.active_pods:
            ix = completion_index(pod)
            if ix == _UNKNOWN_INDEX or ix >= c.completions:
                remove.append(pod)
            else:
                by_index.setdefault(ix, []).append(pod)
        for ix in sorted(by_index):
            group = by_index[ix]
            if len(group) > 1:
                # keep the pod furthest along, remove the rest
                extra = podcontrol.pods_to_delete([podcontrol.RankedPod(p) for p in group], {}, len(group) - 1, now)
                remove.extend(r.pod for r in extra)
                group = [p for p in group if all(r.pod is not p for r in extra)]
            left.extend(group)
    if len(remove) < at_least:
        ranked = podcontrol.pods_to_delete([podcontrol.RankedPod(p) for p in left], {}, at_least - len(remove), now)
        remove.extend(r.pod for r in ranked)
    return remove


def _first_pending_indexes(c: _Sync, count: int) -> list[int]:
    """The lowest indexes neither succeeded nor being worked on by an active (or, when only failed
    pods are replaced, a terminating) pod."""
    busy = c.succeeded_indexes | c.failed_indexes
    busy.update(completion_index(p) for p in c.active_pods)
    if _only_replace_failed_pods(c.job):
        busy.update(completion_index(p) for p in c.pods if _is_terminating(p))
    out: list[int] = []
    for ix in range(c.completions):
        if len(out) == count:
            break
        if ix not in busy:
            out.append(ix)
    return out


def index_name_prefix(job_name: str, index: int) -> str:
    """podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so the result fits a generated name."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > _MAX_GENERATED_NAME_LENGTH:
        prefix = job_name[:_MAX_GENERATED_NAME_LENGTH - len(suffix)] + suffix
    return prefix


def _with_completion_index_env(template: dict) -> dict:
    """addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the pod's annotation, in every container."""
    env_var = {"name": COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}}
    spec = dict(template.get("spec") or {})
    for field in ("initContainers", "containers"):
        if spec.get(field):
            spec[field] = [c if any(e.get("name") == COMPLETION_INDEX_ENV for e in c.get("env") or ())
                           else {**c, "env": [*(c.get("env") or ()), env_var]} for c in spec[field]]
    return {**template, "spec": spec}


def _for_index(template: dict, job_name: str, index: int) -> dict:
    """The template of the pod for one completion index: annotation, label and hostname."""
    tmeta = template.get("metadata") or {}
    value = str(index)
    meta = {**tmeta, "annotations": {**(tmeta.get("annotations") or {}), COMPLETION_INDEX: value},
            "labels": {**(tmeta.get("labels") or {}), COMPLETION_INDEX: value}}
    return {**template, "metadata": meta, "spec": {**(template.get("spec") or {}), "hostname": f"{job_name}-{index}"}}
