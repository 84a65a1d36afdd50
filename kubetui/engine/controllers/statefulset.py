"""StatefulSet controller: pods with stable names, storage and ordered rollouts (pkg/controller/statefulset)."""

from __future__ import annotations

import re

from ..api import selectors
from ..api.errors import ApiError
from ..objects import controller_ref, is_pod_ready, owner_reference
from . import history, podcontrol, refmanager
from .base import Controller
from .history import CONTROLLER_REVISION_HASH

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"  # apps/v1 StatefulSetPodNameLabel
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"       # apps/v1 PodIndexLabel
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: dict) -> tuple[str, int]:
    """getParentNameAndOrdinal: `db-2` → ("db", 2); ("", -1) for a name without an ordinal."""
    m = _ORDINAL.match(pod["metadata"]["name"])
    return (m.group(1), int(m.group(2))) if m else ("", -1)


def claim_name(template: dict, sts: dict, ordinal: int) -> str:
    """getPersistentVolumeClaimName: `<template>-<statefulset>-<ordinal>`."""
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"


def persistent_volume_claims(sts: dict, ordinal: int) -> list[dict]:
    """getPersistentVolumeClaims: the ordinal's claims from the volumeClaimTemplates, labelled with
    the selector's matchLabels. Retain/Retain (the default policy): no owner, so they outlive pods."""
    match_labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
    claims = []
    for template in sts["spec"].get("volumeClaimTemplates") or ():
        meta = template.get("metadata") or {}
        claim_meta = {"name": claim_name(template, sts, ordinal), "namespace": sts["metadata"]["namespace"],
                      "labels": {**(meta.get("labels") or {}), **match_labels}}
        if meta.get("annotations"):
            claim_meta["annotations"] = meta["annotations"]
        claims.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": claim_meta,
                       "spec": template.get("spec") or {}})
    return claims


def template_of(revision: dict) -> dict:
    """ApplyRevision: the pod template a ControllerRevision recorded."""
    return {k: v for k, v in revision["data"]["spec"]["template"].items() if k != "$patch"}


def new_pod(sts: dict, template: dict, revision_hash: str, ordinal: int) -> dict:
    """newStatefulSetPod + setPodRevision: the template named `<sts>-<ordinal>`, with its identity
    (hostname, subdomain, pod-name and pod-index labels) and storage (a claim per volumeClaimTemplate)."""
    name = f"{sts['metadata']['name']}-{ordinal}"
    pod = podcontrol.pod_from_template(template, owner_reference(sts), "")
    meta = {k: v for k, v in pod["metadata"].items() if k != "generateName"}
    meta["name"] = name
    meta["labels"] = {**(meta.get("labels") or {}), POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal),
                      CONTROLLER_REVISION_HASH: revision_hash}
    spec = {**pod["spec"], "hostname": name}
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    templates = sts["spec"].get("volumeClaimTemplates") or ()
    if templates:
        claimed = {t["metadata"]["name"]: {"name": t["metadata"]["name"],
                                           "persistentVolumeClaim": {"claimName": claim_name(t, sts, ordinal)}}
                   for t in templates}
        volumes = [claimed.pop(v["name"], v) for v in spec.get("volumes") or ()]
        spec["volumes"] = volumes + list(claimed.values())
    return {**pod, "metadata": meta, "spec": spec}


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_running_and_ready(pod: dict) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def _revision_of(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


class StatefulSetController(Controller):
    """Mirrors kube-controller-manager's StatefulSetController (defaultStatefulSetControl): pods
    `<sts>-0..N-1` created in order (OrderedReady: each after its predecessors are Running and
    Ready; Parallel: all at once), their PersistentVolumeClaims created first and never deleted,
    scale-down from the highest ordinal, rolling updates from the highest ordinal down to the
    partition (or OnDelete) through ControllerRevisions, and the status counts."""

    name = "statefulset"
    component = "statefulset-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.sets = self.informers.informer("statefulsets")
        self.revisions = self.informers.informer("controllerrevisions")
        self.revisions.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphans)
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(refmanager.ORPHAN_INDEX, refmanager.index_orphan_pods)
        self.claims = self.informers.informer("persistentvolumeclaims")
        self.sets.add_handler(self.enqueue, lambda old, new: self.enqueue(new), lambda sts: None)
        self.pods.add_handler(self._pod_event, lambda old, new: self._pod_event(new), self._pod_event)

    def _pod_event(self, pod: dict) -> None:
        ref = controller_ref(pod)
        if ref is not None and ref.get("kind") == "StatefulSet":
            self.queue.add(f"{pod['metadata']['namespace']}/{ref['name']}")

    # -- sync --------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        sts = self.sets.get(key)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        raw = sts["spec"].get("selector") or {}
        if not raw.get("matchLabels") and not raw.get("matchExpressions"):
            return
        selector = selectors.from_label_selector_object(raw)
        pods = self._claim_pods(sts, selector)
        update_rev, old = history.construct_history(self.api, self.revisions, sts, "statefulsets", selector,
                                                    lambda: pods)
        current_rev = self._current_revision(sts, update_rev, old)
        error: ApiError | None = None
        try:
            self._update(sts, pods, current_rev, update_rev)
            history.cleanup_history(self.api, sts, old, {_revision_of(p) for p in self._owned_pods(sts)})
        except ApiError as exc:
            error = exc
        self._update_status(key, current_rev, update_rev)
        if error is not None:
            raise error

    def _current_revision(self, sts: dict, update_rev: dict, old: list[dict]) -> dict:
        name = (sts.get("status") or {}).get("currentRevision")
        return next((r for r in old if r["metadata"]["name"] == name), update_rev)

    def _owned_pods(self, sts: dict) -> list[dict]:
        return self.pods.by_index("controller", sts["metadata"]["uid"])

    def _claim_pods(self, sts: dict, selector) -> list[dict]:
        """ClaimPods, restricted to isMemberOf: pods named `<sts>-<ordinal>`."""
        ns, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        keys = sorted(self.pods.index_keys("controller", sts["metadata"]["uid"]))
        keys += sorted(self.pods.index_keys(refmanager.ORPHAN_INDEX, ns))
        owned = []
        for pod_key in keys:
            pod = self.pods.get(pod_key)
            if pod is None or parent_and_ordinal(pod)[0] != name:
                continue
            if refmanager.claim(self.api, "pods", sts, selector, pod):
                owned.append(pod_key)
        return [p for p in map(self.pods.get, owned) if p is not None]

    def _update(self, sts: dict, pods: list[dict], current_rev: dict, update_rev: dict) -> None:
        """updateStatefulSet: fill the ordinals [start, start+replicas), delete the condemned from
        the highest ordinal, then roll pods over to the update revision."""
        spec = sts["spec"]
        start = (spec.get("ordinals") or {}).get("start") or 0
        replica_count = spec.get("replicas", 1)
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        replicas: dict[int, dict] = {}
        condemned: list[dict] = []
        for pod in pods:
            ordinal = parent_and_ordinal(pod)[1]
            (replicas.__setitem__(ordinal, pod) if start <= ordinal < start + replica_count
             else condemned.append(pod))
        condemned.sort(key=lambda p: parent_and_ordinal(p)[1], reverse=True)

        for ordinal in range(start, start + replica_count):
            pod = replicas.get(ordinal)
            if pod is not None and _phase(pod) in ("Failed", "Succeeded") and not pod["metadata"].get("deletionTimestamp"):
                self.recorder.warning(sts, "RecreatingFailedPod" if _phase(pod) == "Failed" else "RecreatingTerminatedPod",
                                      f"StatefulSet {sts['metadata']['namespace']}/{sts['metadata']['name']} is "
                                      f"recreating {'failed' if _phase(pod) == 'Failed' else 'terminated'} Pod "
                                      f"{pod['metadata']['name']}")
                self._delete_pod(sts, pod)
                return
            if pod is None:
                self._create_pod(sts, self._versioned_pod(sts, current_rev, update_rev, ordinal))
                if monotonic:
                    return
                continue
            if _phase(pod) == "Pending":
                self._create_claims(sts, pod, ordinal)
            if monotonic and (pod["metadata"].get("deletionTimestamp") or not self._healthy(sts, pod)):
                return

        for pod in condemned:
            if pod["metadata"].get("deletionTimestamp"):
                if monotonic:
                    return
                continue
            if monotonic and not self._healthy(sts, pod) and pod is not self._first_unhealthy(condemned):
                return
            self._delete_pod(sts, pod)
            if monotonic:
                return

        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") != "RollingUpdate":
            return
        partition = (strategy.get("rollingUpdate") or {}).get("partition") or 0
        update_hash = history.revision_hash(update_rev)
        for ordinal in range(start + replica_count - 1, start + partition - 1, -1):
            pod = replicas.get(ordinal)
            if pod is None:
                continue
            if _revision_of(pod) != update_hash and not pod["metadata"].get("deletionTimestamp"):
                self._delete_pod(sts, pod)
                return
            if not self._healthy(sts, pod):
                return

    def _first_unhealthy(self, condemned: list[dict]) -> dict | None:
        """The highest-ordinal condemned pod that is not Running and Ready: it may go even so."""
        return next((p for p in condemned if not is_running_and_ready(p)), None)

    def _healthy(self, sts: dict, pod: dict) -> bool:
        """isRunningAndAvailable: Running, Ready, and Ready for minReadySeconds."""
        return _phase(pod) == "Running" and podcontrol.is_pod_available(
            pod, sts["spec"].get("minReadySeconds") or 0, self.clock.now)

    def _versioned_pod(self, sts: dict, current_rev: dict, update_rev: dict, ordinal: int) -> dict:
        """newVersionedStatefulSetPod: below the partition a rolling update keeps the current revision."""
        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type") == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            below = ordinal < (rolling.get("partition") or 0) if rolling is not None \
                else ordinal < (sts.get("status") or {}).get("currentReplicas", 0)
            if below:
                return new_pod(sts, template_of(current_rev), history.revision_hash(current_rev), ordinal)
        return new_pod(sts, template_of(update_rev), history.revision_hash(update_rev), ordinal)

    # -- pod control (StatefulPodControl) ----------------------------------------------------

    def _create_claims(self, sts: dict, pod: dict, ordinal: int) -> None:
        """createPersistentVolumeClaims: each missing claim of the ordinal, before its pod."""
        ns = sts["metadata"]["namespace"]
        for claim in persistent_volume_claims(sts, ordinal):
            name = claim["metadata"]["name"]
            if self.claims.get(f"{ns}/{name}") is not None:
                continue
            try:
                self.api.create("persistentvolumeclaims", claim, ns, field_validation="Ignore")
            except ApiError as exc:
                if exc.code == 409:
                    continue
                self.recorder.warning(sts, "FailedCreate", f"create Claim {name} for Pod {pod['metadata']['name']} "
                                      f"in StatefulSet {sts['metadata']['name']} failed error: {exc}")
                raise
            self.recorder.normal(sts, "SuccessfulCreate", f"create Claim {name} Pod {pod['metadata']['name']} "
                                 f"in StatefulSet {sts['metadata']['name']} success")

    def _create_pod(self, sts: dict, pod: dict) -> None:
        self._create_claims(sts, pod, parent_and_ordinal(pod)[1])
        name, sts_name = pod["metadata"]["name"], sts["metadata"]["name"]
        try:
            self.api.create("pods", pod, sts["metadata"]["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if exc.code == 409:
                return  # still there (being deleted): the next sync sees it
            self.recorder.warning(sts, "FailedCreate", f"create Pod {name} in StatefulSet {sts_name} failed error: {exc}")
            raise
        self.recorder.normal(sts, "SuccessfulCreate", f"create Pod {name} in StatefulSet {sts_name} successful")

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        name, sts_name = pod["metadata"]["name"], sts["metadata"]["name"]
        try:
            self.api.delete("pods", name, sts["metadata"]["namespace"])
        except ApiError as exc:
            if exc.code == 404:
                return
            self.recorder.warning(sts, "FailedDelete", f"delete Pod {name} in StatefulSet {sts_name} failed error: {exc}")
            raise
        self.recorder.normal(sts, "SuccessfulDelete", f"delete Pod {name} in StatefulSet {sts_name} successful")

    # -- status ------------------------------------------------------------------------------

    def _update_status(self, key: str, current_rev: dict, update_rev: dict) -> None:
        """computeReplicaStatus + completeRollingUpdate."""
        sts = self.sets.get(key)
        if sts is None:
            return
        current_hash, update_hash = history.revision_hash(current_rev), history.revision_hash(update_rev)
        min_ready = sts["spec"].get("minReadySeconds") or 0
        counts = dict.fromkeys(("replicas", "readyReplicas", "availableReplicas", "currentReplicas",
                                "updatedReplicas"), 0)
        name = sts["metadata"]["name"]
        for pod in self._owned_pods(sts):
            if parent_and_ordinal(pod)[0] != name or not _phase(pod):
                continue
            counts["replicas"] += 1
            if is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                if podcontrol.is_pod_available(pod, min_ready, self.clock.now):
                    counts["availableReplicas"] += 1
            if not pod["metadata"].get("deletionTimestamp"):
                revision = _revision_of(pod)
                counts["currentReplicas"] += revision == current_hash
                counts["updatedReplicas"] += revision == update_hash
        old = sts.get("status") or {}
        status = {**old, "observedGeneration": sts["metadata"].get("generation"), **counts,
                  "currentRevision": current_rev["metadata"]["name"], "updateRevision": update_rev["metadata"]["name"]}
        if ((sts["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate"
                and counts["updatedReplicas"] == counts["replicas"] == counts["readyReplicas"]):
            status["currentReplicas"] = counts["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        if status != old:
            try:
                self.api.update_status("statefulsets", {**sts, "status": status})
            except ApiError as exc:
                if exc.code not in (404, 409):
                    raise
                self.queue.add(key)
        if min_ready and counts["readyReplicas"] > counts["availableReplicas"]:
            self.queue.add_after(key, min_ready)
