"""TTL-after-finished controller: deletes finished Jobs once spec.ttlSecondsAfterFinished has passed."""

from __future__ import annotations

from ..clock import parse_rfc3339
from ..objects import split_key
from .base import Controller
from .job import is_finished


def expires_at(job: dict) -> float | None:
    """When a finished Job's TTL runs out: its Complete or Failed condition's lastTransitionTime plus
    ttlSecondsAfterFinished (None when it has no TTL, is not finished, or is being deleted)."""
    ttl = job["spec"].get("ttlSecondsAfterFinished")
    if ttl is None or job["metadata"].get("deletionTimestamp") or not is_finished(job):
        return None
    for cond in job["status"]["conditions"]:
        if cond.get("type") in ("Complete", "Failed") and cond.get("status") == "True":
            return parse_rfc3339(cond["lastTransitionTime"]) + ttl
    return None


class TTLAfterFinishedController(Controller):
    """Mirrors pkg/controller/ttlafterfinished: a finished Job with spec.ttlSecondsAfterFinished is
    deleted (propagation Foreground, so its pods go first) when the TTL has passed since it finished;
    until then it waits in the queue for exactly the time left."""

    name = "ttl-after-finished"
    component = "ttl-after-finished-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.jobs = self.informers.informer("jobs")
        self.jobs.add_handler(self._job_changed, lambda old, new: self._job_changed(new))

    def _job_changed(self, job: dict) -> None:
        if expires_at(job) is not None:
            self.enqueue(job)

    def sync(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is None:
            return
        expiry = expires_at(job)
        if expiry is None:
            return
        left = expiry - self.clock.now
        if left > 0:
            self.queue.add_after(key, left)
            return
        namespace, name = split_key(key)
        self.api.delete("jobs", name, namespace, propagation_policy="Foreground",
                        preconditions={"uid": job["metadata"]["uid"]})
