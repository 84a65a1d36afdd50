"""The Job controller and the TTL-after-finished controller: pods run to completion, retries with
backoff, Indexed Jobs, deadlines, suspension, cleanup; plus the API server's Job defaulting and validation."""

from __future__ import annotations

import re

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.kinds import BY_PLURAL
from kubetui.engine.client import LocalClient
from kubetui.engine.clock import parse_rfc3339
from kubetui.engine.cluster import CONTROLLERS, Cluster, NodeConfig
from kubetui.engine.controllers.job import (COMPLETION_INDEX, TRACKING_FINALIZER, JobController, backoff_delay,
                                            format_indexes, index_name_prefix, match_pod_failure_policy,
                                            match_success_policy, parse_indexes)
from kubetui.engine.controllers.ttlafterfinished import TTLAfterFinishedController
from kubetui.engine.node.runtime import INLINE_PROGRAM_SECONDS, pi_digits, program_of
from kubetui.engine.objects import get_condition
from kubetui.printers import table

SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"


@pytest.fixture
def cluster() -> Cluster:
    return Cluster(nodes=[NodeConfig("worker-1"), NodeConfig("worker-2")], profile="fast", seed=1,
                   controllers=CONTROLLERS)


def test_the_job_controllers_run_in_every_cluster():
    assert {JobController, TTLAfterFinishedController} <= set(CONTROLLERS)


def job(name: str = "hello", script: str = "echo hello; sleep 2", image: str = "busybox:1.36",
        restart_policy: str = "Never", command: list[str] | None = None, **spec) -> dict:
    container = {"name": "work", "image": image, "command": command or ["sh", "-c", script]}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {"restartPolicy": restart_policy, "containers": [container]}}}}


def create(cluster: Cluster, obj: dict) -> dict:
    return cluster.api.create("jobs", obj, "default")


def get(cluster: Cluster, name: str = "hello") -> dict:
    return cluster.api.get("jobs", name, "default")


def status(cluster: Cluster, name: str = "hello") -> dict:
    return get(cluster, name).get("status") or {}


def pods(cluster: Cluster) -> list[dict]:
    items = cluster.api.list("pods", "default")[0]
    return sorted(items, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def job_events(cluster: Cluster, name: str = "hello") -> list[tuple[str, str, str]]:
    items = [e for e in cluster.api.list("events", "default")[0]
             if e["involvedObject"]["kind"] == "Job" and e["involvedObject"]["name"] == name]
    items.sort(key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]))
    return [(e["type"], e["reason"], e["message"]) for e in items]


def condition_types(cluster: Cluster, name: str = "hello") -> list[tuple[str, str, str, str]]:
    return [(c["type"], c["status"], c.get("reason", ""), c.get("message", ""))
            for c in status(cluster, name).get("conditions") or ()]


def run_until(cluster: Cluster, predicate, limit: float = 300.0, step: float = 0.5) -> float:
    end = cluster.now + limit
    while not predicate():
        assert cluster.now < end, "condition not reached in time"
        cluster.advance(step)
    return cluster.now


def finished(cluster: Cluster, name: str = "hello") -> bool:
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
               for c in status(cluster, name).get("conditions") or ())


# -- running to completion -------------------------------------------------------------------------

def test_three_completions_two_at_a_time(cluster):
    created = create(cluster, job(completions=3, parallelism=2))
    uid = created["metadata"]["uid"]
    cluster.advance(0.1)
    first = pods(cluster)
    assert len(first) == 2
    for pod in first:
        meta = pod["metadata"]
        assert re.fullmatch(f"hello-{SUFFIX}", meta["name"]) and meta["generateName"] == "hello-"
        assert meta["finalizers"] == [TRACKING_FINALIZER]
        assert meta["labels"] == {"job-name": "hello", "batch.kubernetes.io/job-name": "hello",
                                  "controller-uid": uid, "batch.kubernetes.io/controller-uid": uid}
        assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "hello", "uid": uid,
                                            "controller": True, "blockOwnerDeletion": True}]
    cluster.advance(2.5)
    running = status(cluster)
    assert (running["active"], running["ready"], running["terminating"]) == (2, 2, 0)
    assert running["startTime"] == "2026-01-01T00:00:00Z" and running["uncountedTerminatedPods"] == {}

    run_until(cluster, lambda: len(pods(cluster)) == 3)
    first = pods(cluster)[:2]
    third = pods(cluster)[2]
    # The third pod starts only once the first two have succeeded and been counted.
    done_at = max(parse_rfc3339(p["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"])
                  for p in first)
    assert parse_rfc3339(third["metadata"]["creationTimestamp"]) >= done_at
    counted = status(cluster)
    assert (counted["succeeded"], counted["active"]) == (2, 1)
    assert all("finalizers" not in p["metadata"] for p in pods(cluster)[:2])  # counted, finalizer removed

    run_until(cluster, lambda: finished(cluster))
    final = status(cluster)
    now = final["completionTime"]
    assert final["conditions"] == [
        {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
         "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"},
        {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
         "reason": "CompletionsReached", "message": "Reached expected number of succeeded pods"}]
    assert {k: v for k, v in final.items() if k not in ("conditions", "completionTime")} == {
        "startTime": "2026-01-01T00:00:00Z", "succeeded": 3, "terminating": 0, "uncountedTerminatedPods": {},
        "ready": 0}
    assert [p["status"]["phase"] for p in pods(cluster)] == ["Succeeded"] * 3
    created = [("Normal", "SuccessfulCreate", f"Created pod: {p['metadata']['name']}")
               for p in sorted(pods(cluster), key=lambda p: p["metadata"]["creationTimestamp"])]
    events = job_events(cluster)
    assert sorted(events[:2]) == sorted(created[:2])  # the first two in one sync, the third after one finished
    assert events[2:] == [created[2], ("Normal", "Completed", "Job completed")]
    assert {e["source"]["component"] for e in cluster.api.list("events", "default")[0]
            if e["involvedObject"]["kind"] == "Job"} == {"job-controller"}


def test_finished_pods_are_listed_as_uncounted_before_they_are_counted(cluster):
    create(cluster, job())
    seen = []
    cluster.api.watch("jobs", lambda type_, obj, old: seen.append(obj.get("status") or {}), namespace="default")
    run_until(cluster, lambda: finished(cluster))
    pod_uid = pods(cluster)[0]["metadata"]["uid"]
    uncounted = [s for s in seen if s.get("uncountedTerminatedPods")]
    assert uncounted and uncounted[0]["uncountedTerminatedPods"] == {"succeeded": [pod_uid]}
    assert "succeeded" not in uncounted[0]
    assert seen[-1]["succeeded"] == 1 and seen[-1]["uncountedTerminatedPods"] == {}


def test_a_work_queue_job_completes_when_one_pod_succeeded_and_the_rest_stopped(cluster):
    created = create(cluster, job(parallelism=2))
    assert "completions" not in created["spec"]
    run_until(cluster, lambda: finished(cluster))
    assert status(cluster)["succeeded"] == 2
    assert len(pods(cluster)) == 2


# -- failures and backoff ----------------------------------------------------------------------------

def test_failed_pods_are_retried_after_10_then_20_seconds_until_the_backoff_limit(cluster):
    create(cluster, job(script="exit 1", backoffLimit=2))
    run_until(cluster, lambda: finished(cluster))
    attempts = pods(cluster)
    assert len(attempts) == 3
    assert all(p["status"]["phase"] == "Failed" for p in attempts)
    created = [parse_rfc3339(p["metadata"]["creationTimestamp"]) for p in attempts]
    failed_at = [parse_rfc3339(p["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"])
                 for p in attempts]
    assert [created[1] - failed_at[0], created[2] - failed_at[1]] == [10, 20]
    final = status(cluster)
    assert final["failed"] == 3 and "succeeded" not in final and "completionTime" not in final
    assert condition_types(cluster) == [
        ("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        ("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
    assert job_events(cluster)[-1] == ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert all("finalizers" not in p["metadata"] for p in attempts)


def test_backoff_limit_zero_fails_at_the_first_failure_without_a_retry(cluster):
    create(cluster, job(script="sleep 1; exit 3", backoffLimit=0))
    run_until(cluster, lambda: finished(cluster))
    assert len(pods(cluster)) == 1 and status(cluster)["failed"] == 1
    cluster.advance(60)
    assert len(pods(cluster)) == 1


def test_a_failing_job_deletes_its_other_active_pods(cluster):
    # One pod fails at once; its sibling sleeps. Failing the Job deletes the sibling, which counts as
    # failed, and the Failed condition waits until it has terminated.
    create(cluster, job(command=["sh", "-c", "sleep 3600"], parallelism=2, completions=2, backoffLimit=0))
    cluster.advance(3)
    victim = pods(cluster)[0]["metadata"]["name"]
    cluster.crash_container("default", victim)
    run_until(cluster, lambda: get_condition(get(cluster), "FailureTarget") is not None)
    assert not finished(cluster)
    survivor = [p for p in pods(cluster) if p["metadata"]["name"] != victim][0]
    assert survivor["metadata"].get("deletionTimestamp")
    assert ("Normal", "SuccessfulDelete", f"Deleted pod: {survivor['metadata']['name']}") in job_events(cluster)
    assert status(cluster)["terminating"] == 1 and status(cluster)["failed"] == 2
    run_until(cluster, lambda: finished(cluster))
    assert status(cluster)["terminating"] == 0


def test_restarts_count_against_the_backoff_limit_with_restart_policy_on_failure(cluster):
    create(cluster, job(script="exit 1", restart_policy="OnFailure", backoffLimit=1))
    run_until(cluster, lambda: finished(cluster))
    # The one restart reaches the limit: the pod is deleted and no other is created.
    assert [e[1] for e in job_events(cluster)] == ["SuccessfulCreate", "SuccessfulDelete", "BackoffLimitExceeded"]
    assert condition_types(cluster)[-1][:3] == ("Failed", "True", "BackoffLimitExceeded")
    assert status(cluster)["failed"] == 1


def test_a_deleted_pod_counts_as_failed_and_is_replaced_after_the_backoff(cluster):
    create(cluster, job(command=["sleep", "3600"]))
    cluster.advance(3)
    first = pods(cluster)[0]["metadata"]["name"]
    cluster.api.delete("pods", first, "default")
    deleted_at = cluster.now
    run_until(cluster, lambda: len(pods(cluster)) == 2)
    replacement = pods(cluster)[-1]
    assert parse_rfc3339(replacement["metadata"]["creationTimestamp"]) - int(deleted_at) == 10
    assert status(cluster)["failed"] == 1


def test_a_matching_orphan_is_adopted_and_the_extra_pod_deleted(cluster):
    uid = create(cluster, job(command=["sleep", "3600"]))["metadata"]["uid"]
    cluster.advance(3)
    running = pods(cluster)[0]["metadata"]["name"]
    versions = []
    cluster.api.watch("pods", lambda type_, obj, old: versions.append(obj["metadata"]), namespace="default")
    cluster.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "stray", "labels": {"batch.kubernetes.io/controller-uid": uid}},
        "spec": {"containers": [{"name": "work", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}},
        "default")
    cluster.advance(1.5)
    adopted = next(m for m in versions if m["name"] == "stray" and m.get("ownerReferences"))
    assert adopted["ownerReferences"][0]["uid"] == uid and adopted["finalizers"] == [TRACKING_FINALIZER]
    # parallelism 1: the extra pod goes (the unscheduled one first), and it is not counted as failed
    assert [e[2] for e in job_events(cluster) if e[1] == "SuccessfulDelete"] == ["Deleted pod: stray"]
    assert [p["metadata"]["name"] for p in pods(cluster)] == [running]
    assert "failed" not in status(cluster) and status(cluster)["active"] == 1


# -- Indexed Jobs --------------------------------------------------------------------------------------

def test_indexed_job_pods_carry_their_completion_index(cluster):
    create(cluster, job(name="idx", completions=3, parallelism=3, completionMode="Indexed"))
    cluster.advance(0.1)
    by_index = {p["metadata"]["annotations"][COMPLETION_INDEX]: p for p in pods(cluster)}
    assert sorted(by_index) == ["0", "1", "2"]
    for ix, pod in by_index.items():
        meta, spec = pod["metadata"], pod["spec"]
        assert re.fullmatch(f"idx-{ix}-{SUFFIX}", meta["name"]) and meta["generateName"] == f"idx-{ix}-"
        assert meta["labels"][COMPLETION_INDEX] == ix
        assert spec["hostname"] == f"idx-{ix}"
        assert spec["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}]
    run_until(cluster, lambda: finished(cluster, "idx"))
    final = status(cluster, "idx")
    assert final["completedIndexes"] == "0-2" and final["succeeded"] == 3


def test_an_indexed_job_retries_the_failed_index_only(cluster):
    create(cluster, job(name="idx", completions=2, parallelism=2, completionMode="Indexed",
                        command=["sh", "-c", "sleep 5"]))
    cluster.advance(3)
    doomed = next(p for p in pods(cluster) if p["metadata"]["annotations"][COMPLETION_INDEX] == "1")
    cluster.crash_container("default", doomed["metadata"]["name"])
    run_until(cluster, lambda: finished(cluster, "idx"))
    indexes = [p["metadata"]["annotations"][COMPLETION_INDEX] for p in pods(cluster)]
    assert sorted(indexes) == ["0", "1", "1"]
    final = status(cluster, "idx")
    assert (final["completedIndexes"], final["succeeded"], final["failed"]) == ("0,1", 2, 1)


def test_index_intervals_print_and_parse_like_upstream():
    assert format_indexes([]) == ""
    assert format_indexes([0, 1, 2, 4, 6, 7]) == "0-2,4,6,7"
    assert format_indexes({5, 3}) == "3,5"
    assert parse_indexes("0-2,4,6,7", 10) == {0, 1, 2, 4, 6, 7}
    assert parse_indexes("1-8,x,9", 5) == {1, 2, 3, 4}
    assert index_name_prefix("pi", 7) == "pi-7-"
    assert index_name_prefix("a" * 60, 12) == "a" * 54 + "-12-"


def test_backoff_doubles_from_10_seconds_to_the_cap():
    assert [backoff_delay(n) for n in range(0, 5)] == [0, 10, 20, 40, 80]
    assert backoff_delay(7) == 600 and backoff_delay(40) == 600


# -- deadline and suspension -------------------------------------------------------------------------

def test_active_deadline_fails_the_job_and_stops_its_pods(cluster):
    create(cluster, job(command=["sleep", "3600"], activeDeadlineSeconds=5))
    run_until(cluster, lambda: get_condition(get(cluster), "FailureTarget") is not None)
    assert cluster.now == pytest.approx(5, abs=0.5)
    pod = pods(cluster)[0]["metadata"]
    assert pod["deletionTimestamp"]
    run_until(cluster, lambda: finished(cluster), limit=60)
    assert condition_types(cluster) == [
        ("FailureTarget", "True", "DeadlineExceeded", "Job was active longer than specified deadline"),
        ("Failed", "True", "DeadlineExceeded", "Job was active longer than specified deadline")]
    assert status(cluster)["failed"] == 1
    assert job_events(cluster)[1:] == [
        ("Normal", "SuccessfulDelete", f"Deleted pod: {pod['name']}"),
        ("Warning", "DeadlineExceeded", "Job was active longer than specified deadline")]
    cluster.advance(5)
    assert pods(cluster) == []  # the kubelet finished the pod and it had no finalizer left


def test_a_suspended_job_runs_nothing_until_resumed(cluster):
    create(cluster, job(suspend=True))
    cluster.advance(3)
    assert pods(cluster) == []
    suspended = status(cluster)
    assert "startTime" not in suspended
    assert condition_types(cluster) == [("Suspended", "True", "JobSuspended", "Job suspended")]
    assert job_events(cluster) == [("Normal", "Suspended", "Job suspended")]

    cluster.api.patch("jobs", "hello", {"spec": {"suspend": False}}, "merge", "default")
    cluster.advance(0.1)
    assert len(pods(cluster)) == 1
    assert condition_types(cluster) == [("Suspended", "False", "JobResumed", "Job resumed")]
    assert status(cluster)["startTime"] == "2026-01-01T00:00:03Z"
    # as upstream, the pods are created before the condition is updated
    assert [e[1] for e in job_events(cluster)] == ["Suspended", "SuccessfulCreate", "Resumed"]
    run_until(cluster, lambda: finished(cluster))


def test_suspending_a_running_job_deletes_its_pods_without_counting_failures(cluster):
    create(cluster, job(command=["sleep", "3600"], parallelism=2, completions=4))
    cluster.advance(3)
    running = [p["metadata"]["name"] for p in pods(cluster)]
    cluster.api.patch("jobs", "hello", {"spec": {"suspend": True}}, "merge", "default")
    cluster.advance(0.1)
    deleted = {e[2] for e in job_events(cluster) if e[1] == "SuccessfulDelete"}
    assert deleted == {f"Deleted pod: {n}" for n in running}
    cluster.advance(40)
    assert pods(cluster) == []
    final = status(cluster)
    assert "active" not in final and "failed" not in final and final["terminating"] == 0
    assert condition_types(cluster) == [("Suspended", "True", "JobSuspended", "Job suspended")]


# -- deletion and TTL ----------------------------------------------------------------------------------

def test_deleting_the_job_deletes_its_pods(cluster):
    create(cluster, job(command=["sleep", "3600"], parallelism=2, completions=2))
    cluster.advance(3)
    assert len(pods(cluster)) == 2
    cluster.api.delete("jobs", "hello", "default", propagation_policy="Background")
    cluster.advance(1)
    assert all(p["metadata"].get("deletionTimestamp") and "finalizers" not in p["metadata"] for p in pods(cluster))
    cluster.advance(40)  # `sleep` ignores SIGTERM: killed after the 30 s grace period
    assert pods(cluster) == []


def test_orphaned_pods_lose_the_tracking_finalizer(cluster):
    create(cluster, job(command=["sleep", "3600"]))
    cluster.advance(3)
    cluster.api.delete("jobs", "hello", "default", propagation_policy="Orphan")
    cluster.advance(1)
    left = pods(cluster)
    assert len(left) == 1 and not left[0]["metadata"].get("deletionTimestamp")
    assert "finalizers" not in left[0]["metadata"] and "ownerReferences" not in left[0]["metadata"]


def test_ttl_after_finished_deletes_the_job_and_its_pods(cluster):
    create(cluster, job(ttlSecondsAfterFinished=30))
    run_until(cluster, lambda: finished(cluster))
    done = parse_rfc3339(status(cluster)["completionTime"])
    run_until(cluster, lambda: cluster.api.try_get("jobs", "hello", "default") is None, limit=60, step=0.25)
    assert cluster.now == pytest.approx(done + 30, abs=0.5)
    assert pods(cluster) == []


# -- the docs' example and the API server ----------------------------------------------------------

def test_the_docs_pi_job_completes_and_prints_pi(cluster):
    create(cluster, job(name="pi", image="perl:5.34.0", command=["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"],
                        backoffLimit=4))
    start = cluster.now
    run_until(cluster, lambda: finished(cluster, "pi"))
    assert cluster.now - start < INLINE_PROGRAM_SECONDS + 10
    assert status(cluster, "pi")["succeeded"] == 1
    pod = pods(cluster)[0]
    assert pod["status"]["phase"] == "Succeeded"
    logs = LocalClient(cluster).logs(pod["metadata"]["name"])
    assert logs.startswith("3.14159265358979323846264338327950288419716939937510") and len(logs) == 2002
    assert job_events(cluster, "pi")[-1] == ("Normal", "Completed", "Job completed")


def test_interpreter_one_liners_and_interactive_images_finish():
    assert program_of({"image": "python:3.12", "command": ["python3", "-c", "print(1)"]}).duration \
        == INLINE_PROGRAM_SECONDS
    assert program_of({"image": "perl", "command": ["perl5.40.0", "-E", "say 1"]}).exit_code == 0
    assert program_of({"image": "python:3.12", "command": ["python", "-m", "http.server"]}).duration is None
    assert program_of({"image": "perl", "command": ["perl", "-Mfeature=say", "server.pl"]}).duration is None
    for image in ("perl:5.34.0", "python:3.12", "busybox:1.36", "alpine"):
        assert program_of({"image": image}).duration == 0 and program_of({"image": image}).exit_code == 0
    assert program_of({"image": "perl", "command": ["perl", "-wle", "print bpi(30)"]}).output == (pi_digits(30),)
    assert [pi_digits(n) for n in (1, 2, 6)] == ["3", "3.1", "3.14159"]
    assert pi_digits(10) == "3.141592654"  # rounded, as bpi prints


def test_the_api_server_defaults_a_job_and_generates_its_selector(cluster):
    created = create(cluster, job(name="pi"))
    uid = created["metadata"]["uid"]
    spec = created["spec"]
    assert {k: spec[k] for k in ("completions", "parallelism", "backoffLimit", "completionMode", "suspend",
                                 "podReplacementPolicy", "manualSelector")} == {
        "completions": 1, "parallelism": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": False}
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    generated = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "pi",
                 "controller-uid": uid, "job-name": "pi"}
    assert spec["template"]["metadata"]["labels"] == generated
    assert created["metadata"]["labels"] == generated  # shown on the Job, as kube-apiserver reads it back


@pytest.mark.parametrize(("policy", "message"), [
    (None, 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'),
    ("Always", 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'),
])
def test_a_job_must_not_restart_its_pods_always(cluster, policy, message):
    obj = job(name="pi")
    if policy is None:
        del obj["spec"]["template"]["spec"]["restartPolicy"]
    else:
        obj["spec"]["template"]["spec"]["restartPolicy"] = policy
    with pytest.raises(ApiError) as err:
        create(cluster, obj)
    assert err.value.code == 422
    assert str(err.value) == f'Job.batch "pi" is invalid: {message}'


def test_kubectl_get_jobs_columns(cluster):
    create(cluster, job(completions=2))
    create(cluster, job(name="queue", parallelism=2))
    create(cluster, job(name="held", suspend=True))
    cluster.advance(3)

    def rows():
        return {r[0]: r[1:] for r in table(BY_PLURAL["jobs"], cluster.api.list("jobs", "default")[0], cluster.now,
                                           all_namespaces=False)}

    assert rows()["NAME"] == ["STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert rows()["hello"] == ["Running", "0/2", "3s", "3s"]
    assert rows()["queue"] == ["Running", "0/1 of 2", "3s", "3s"]
    assert rows()["held"] == ["Suspended", "0/1", "", "3s"]
    run_until(cluster, lambda: finished(cluster) and finished(cluster, "queue"))
    took = parse_rfc3339(status(cluster)["completionTime"]) - parse_rfc3339(status(cluster)["startTime"])
    cluster.advance(30)
    assert rows()["hello"][:3] == ["Complete", "2/2", f"{int(took)}s"]
    assert rows()["queue"][:2] == ["Complete", "2/1 of 2"]


# -- podFailurePolicy, backoffLimitPerIndex, successPolicy ------------------------------------------

def policy_job(rules, script="sleep 2; exit 42", **spec) -> dict:
    obj = job(script=script, podFailurePolicy={"rules": rules}, **spec)
    obj["spec"]["template"]["spec"]["containers"][0]["name"] = "main"
    return obj


FAIL_JOB_ON_42 = {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}


def test_a_fail_job_rule_fails_the_job_at_the_first_matching_exit_code(cluster):
    create(cluster, policy_job([FAIL_JOB_ON_42], completions=3, parallelism=2, backoffLimit=6))
    run_until(cluster, lambda: finished(cluster))
    failed = [p for p in pods(cluster) if p["status"]["phase"] == "Failed"
              and p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 42]
    assert failed
    message = (f"Container main for pod default/{failed[0]['metadata']['name']} failed with exit code 42 "
               "matching FailJob rule at index 0")
    conds = condition_types(cluster)
    assert conds == [("FailureTarget", "True", "PodFailurePolicy", message),
                     ("Failed", "True", "PodFailurePolicy", message)]
    assert ("Warning", "PodFailurePolicy", message) in job_events(cluster)
    final = status(cluster)
    assert final["failed"] == 2 and "active" not in final and final["terminating"] == 0
    assert len(pods(cluster)) == 2  # no replacement: the first match ends the Job


def test_exit_codes_no_rule_matches_count_against_the_backoff_limit(cluster):
    create(cluster, policy_job([FAIL_JOB_ON_42], script="sleep 1; exit 3", backoffLimit=0))
    run_until(cluster, lambda: finished(cluster))
    assert [c[:3] for c in condition_types(cluster)] == [("FailureTarget", "True", "BackoffLimitExceeded"),
                                                         ("Failed", "True", "BackoffLimitExceeded")]


def test_ignored_failures_are_not_counted_and_the_pod_is_replaced(cluster):
    create(cluster, policy_job([{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                                FAIL_JOB_ON_42], script="sleep 20", backoffLimit=0))
    assert get(cluster)["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"type": "DisruptionTarget", "status": "True"}]  # defaulted
    assert get(cluster)["spec"]["podReplacementPolicy"] == "Failed"
    cluster.advance(3)
    victim = pods(cluster)[0]
    evicted = {**victim, "status": {**victim["status"], "conditions": [*victim["status"]["conditions"], {
        "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting", "lastTransitionTime": "2026-01-01T00:00:03Z"}]}}
    cluster.api.update_status("pods", evicted)
    cluster.api.delete("pods", victim["metadata"]["name"], "default")
    # podReplacementPolicy Failed: no replacement while the evicted pod is still terminating
    run_until(cluster, lambda: status(cluster).get("terminating") == 1)
    assert len(pods(cluster)) == 1
    run_until(cluster, lambda: len([p for p in pods(cluster) if not p["metadata"].get("deletionTimestamp")]) == 1)
    run_until(cluster, lambda: finished(cluster))
    final = status(cluster)
    assert final["succeeded"] == 1 and "failed" not in final
    assert condition_types(cluster)[-1][:3] == ("Complete", "True", "CompletionsReached")


def test_the_job_pod_failure_policy_match_function():
    pod = {"metadata": {"name": "x", "namespace": "default"}, "status": {
        "initContainerStatuses": [{"name": "init", "state": {"terminated": {"exitCode": 0}}}],
        "containerStatuses": [{"name": "side", "state": {"terminated": {"exitCode": 0}}},
                              {"name": "main", "state": {"terminated": {"exitCode": 5}}}],
        "conditions": [{"type": "DisruptionTarget", "status": "True"}]}}
    not_in = {"rules": [{"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}]}
    assert match_pod_failure_policy(not_in, pod) == (None, True, "Count")
    other = {"rules": [{"action": "FailJob", "onExitCodes": {"containerName": "side", "operator": "NotIn",
                                                             "values": [1]}}]}
    assert match_pod_failure_policy(other, pod) == (None, True, None)  # exit code 0 never matches
    cond = {"rules": [{"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]}
    assert match_pod_failure_policy(cond, pod) == (
        "Pod default/x has condition DisruptionTarget matching FailJob rule at index 0", True, "FailJob")
    assert match_pod_failure_policy(None, pod) == (None, True, None)


def test_pod_failure_policy_validation(cluster):
    def errors(rules, **spec):
        with pytest.raises(ApiError) as err:
            create(cluster, policy_job(rules, **spec))
        return str(err.value)

    msg = errors([FAIL_JOB_ON_42], restart_policy="OnFailure")
    assert 'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when ' \
           "podFailurePolicy is specified" in msg
    msg = errors([{"action": "FailJob", "onExitCodes": {"containerName": "other", "operator": "In",
                                                        "values": [3, 0, 3]}}])
    assert ('spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "other": must be one of the '
            "container or initContainer names in the pod template") in msg
    assert "spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In " \
           "operator" in msg
    assert "spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3" in msg
    assert "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 0, 3}: must be ordered" in msg
    msg = errors([{"action": "FailIndex", "onPodConditions": [{"type": "DisruptionTarget", "status": "Maybe"}]},
                  {"action": "Restart"}])
    assert 'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex ' \
           "to be set" in msg
    assert 'spec.podFailurePolicy.rules[0].onPodConditions[0].status: Unsupported value: "Maybe": supported ' \
           'values: "False", "True", "Unknown"' in msg
    assert 'spec.podFailurePolicy.rules[1].action: Unsupported value: "Restart": supported values: "Count", ' \
           '"FailIndex", "FailJob", "Ignore"' in msg
    assert "spec.podFailurePolicy.rules[1]: Invalid value: specifying one of OnExitCodes and OnPodConditions is " \
           "required" in msg


def indexed(script, **spec):
    return job(script=script, completionMode="Indexed", **spec)


def test_backoff_limit_per_index_retries_each_index_on_its_own(cluster):
    create(cluster, indexed("sleep 1; exit 1", completions=2, parallelism=2, backoffLimitPerIndex=1))
    assert get(cluster)["spec"]["backoffLimit"] == 2147483647
    cluster.advance(0.1)
    assert status(cluster)["failedIndexes"] == ""
    first = {p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in pods(cluster)}
    assert first == {"0"}
    run_until(cluster, lambda: all(p["status"].get("phase") == "Failed" for p in pods(cluster)))
    cluster.advance(3)
    # an index's last failed pod keeps its finalizer (uncounted) until its replacement exists
    assert all(p["metadata"]["finalizers"] == [TRACKING_FINALIZER] for p in pods(cluster))
    assert "failed" not in status(cluster) and status(cluster)["uncountedTerminatedPods"] == {}
    run_until(cluster, lambda: len(pods(cluster)) == 4)
    retries = pods(cluster)[2:]
    assert sorted(p["metadata"]["annotations"][COMPLETION_INDEX] for p in retries) == ["0", "1"]
    assert {p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] for p in retries} == {"1"}
    # the replacements wait out the per-index backoff (10 s) after their index's failure
    failed_at = max(parse_rfc3339(p["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"])
                    for p in pods(cluster)[:2])
    created = [parse_rfc3339(p["metadata"]["creationTimestamp"]) for p in retries]
    assert failed_at + 10 <= min(created) and max(created) <= failed_at + 12  # not the Job-wide 20 s
    run_until(cluster, lambda: finished(cluster))
    final = status(cluster)
    assert final["failedIndexes"] == "0,1" and final["failed"] == 4
    assert condition_types(cluster)[-1] == ("Failed", "True", "FailedIndexes", "Job has failed indexes")
    assert len(pods(cluster)) == 4


def test_max_failed_indexes_and_fail_index_rule(cluster):
    obj = indexed("sleep 1; exit 42", completions=3, parallelism=3, backoffLimitPerIndex=5, maxFailedIndexes=1,
                  podFailurePolicy={"rules": [{"action": "FailIndex", "onExitCodes": {"operator": "In",
                                                                                       "values": [42]}}]})
    create(cluster, obj)
    run_until(cluster, lambda: finished(cluster))
    assert condition_types(cluster)[-1] == ("Failed", "True", "MaxFailedIndexesExceeded",
                                            "Job has exceeded the specified maximal number of failed indexes")
    assert status(cluster)["failedIndexes"] == "0-2"
    assert len(pods(cluster)) == 3  # FailIndex: no retry despite backoffLimitPerIndex 5


def test_a_success_policy_completes_early_and_terminates_the_rest(cluster):
    obj = indexed("sleep 3", completions=4, parallelism=4,
                  successPolicy={"rules": [{"succeededIndexes": "0-2", "succeededCount": 1}]})
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3"}}
    create(cluster, obj)  # two 4-CPU nodes: two pods run, two wait
    run_until(cluster, lambda: finished(cluster))
    message = "Matched rules at index 0"
    conds = condition_types(cluster)
    assert conds == [("SuccessCriteriaMet", "True", "SuccessPolicy", message),
                     ("Complete", "True", "SuccessPolicy", message)]
    final = status(cluster)
    assert final["completedIndexes"] == "0,1" and final["succeeded"] == 2
    deleted = [m for t, r, m in job_events(cluster) if r == "SuccessfulDelete"]
    assert len(deleted) == 2 and ("Normal", "Completed", "Job completed") in job_events(cluster)
    assert all(p["status"]["phase"] == "Succeeded" for p in pods(cluster))


def test_the_success_policy_match_function():
    rules = {"rules": [{"succeededIndexes": "1,3-5"}, {"succeededCount": 3}]}
    assert match_success_policy(rules, 10, {1, 3}) is None
    assert match_success_policy(rules, 10, {1, 3, 4, 5}) == "Matched rules at index 0"
    assert match_success_policy(rules, 10, {0, 2, 7}) == "Matched rules at index 1"
    assert match_success_policy(None, 10, {0, 1, 2}) is None


def test_success_policy_validation(cluster):
    with pytest.raises(ApiError) as err:
        create(cluster, job(completions=3, successPolicy={"rules": [{}]}))
    msg = str(err.value)
    assert "spec.successPolicy: Invalid value: batch.SuccessPolicy{...}: requires indexed completion mode" in msg
    assert "spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must " \
           "be specified" in msg
    with pytest.raises(ApiError) as err:
        create(cluster, indexed("true", completions=3, successPolicy={"rules": [
            {"succeededIndexes": "2-1"}, {"succeededIndexes": "0-1", "succeededCount": 3}]}))
    msg = str(err.value)
    assert ('spec.successPolicy.rules[0].succeededIndexes: Invalid value: "2-1": error parsing succeededIndexes: '
            "non-increasing order, previous: 2, current: 1") in msg
    assert ("spec.successPolicy.rules[1].succeededCount: Invalid value: 3: must be less than or equal to 2 (the "
            "number of indexes in the specified succeededIndexes field)") in msg
    with pytest.raises(ApiError) as err:
        create(cluster, indexed("true", completions=3, maxFailedIndexes=4))
    msg = str(err.value)
    assert "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified" in msg
    assert "spec.maxFailedIndexes: Invalid value: 4: must be less than or equal to completions" in msg
