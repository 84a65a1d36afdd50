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
    return _split_name(pod["metadata"]["name"])


def _split_name(name: str) -> tuple[str, int]:
    m = _ORDINAL.match(name)
    return (m.group(1), int(m.group(2))) if m else ("", -1)


def claim_name(template: dict, sts: dict, ordinal: int) -> str:
    """getPersistentVolumeClaimName: `<template>-<statefulset>-<ordinal>`."""
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"


def persistent_volume_claims(sts: dict, ordinal: int) -> list[dict]:
    """getPersistentVolumeClaims: the ordinal's claims from the volumeClaimTemplates, labelled with
    the selector's matchLabels, created without owners (the retention policy adds them later)."""
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
    (initIdentity: pod-name and pod-index labels, hostname and subdomain, the last two only ever set
    here) and storage (a claim per volumeClaimTemplate)."""
    name = f"{sts['metadata']['name']}-{ordinal}"
    pod = podcontrol.pod_from_template(template, owner_reference(sts), "")
    meta = {k: v for k, v in pod["metadata"].items() if k != "generateName"}
    meta["name"] = name
    meta["labels"] = {**(meta.get("labels") or {}), CONTROLLER_REVISION_HASH: revision_hash}
    spec = {**pod["spec"], "hostname": name}
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    return with_storage(sts, with_identity(sts, {**pod, "metadata": meta, "spec": spec}))


def identity_matches(sts: dict, pod: dict) -> bool:
    """identityMatches: named `<sts>-<ordinal>` in the set's namespace, with the pod-name label."""
    parent, ordinal = parent_and_ordinal(pod)
    meta = pod["metadata"]
    return (ordinal >= 0 and parent == sts["metadata"]["name"] and meta["name"] == f"{parent}-{ordinal}"
            and meta.get("namespace") == sts["metadata"]["namespace"]
            and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta["name"])


def with_identity(sts: dict, pod: dict) -> dict:
    """updateIdentity: the pod with its pod-name and pod-index labels put back."""
    meta = pod["metadata"]
    labels = {**(meta.get("labels") or {}), POD_NAME_LABEL: meta["name"],
              POD_INDEX_LABEL: str(parent_and_ordinal(pod)[1])}
    return {**pod, "metadata": {**meta, "labels": labels}}


def storage_matches(sts: dict, pod: dict) -> bool:
    """storageMatches: a volume per volumeClaimTemplate, naming the ordinal's claim."""
    ordinal = parent_and_ordinal(pod)[1]
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in pod["spec"].get("volumes") or ()}
    for template in sts["spec"].get("volumeClaimTemplates") or ():
        source = (volumes.get(template["metadata"]["name"]) or {}).get("persistentVolumeClaim") or {}
        if source.get("claimName") != claim_name(template, sts, ordinal):
            return False
    return True


def with_storage(sts: dict, pod: dict) -> dict:
    """updateStorage: a claim volume per template first, replacing same-named volumes, then the rest."""
    templates = sts["spec"].get("volumeClaimTemplates") or ()
    if not templates:
        return pod
    ordinal = parent_and_ordinal(pod)[1]
    claimed = [{"name": t["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name(t, sts, ordinal)}}
               for t in templates]
    names = {v["name"] for v in claimed}
    rest = [v for v in pod["spec"].get("volumes") or () if v.get("name") not in names]
    return {**pod, "spec": {**pod["spec"], "volumes": claimed + rest}}


# -- PersistentVolumeClaim retention (stateful_set_utils.go) -----------------------------------------

def retention_policy(sts: dict) -> tuple[str, str]:
    """getPersistentVolumeClaimRetentionPolicy: (whenDeleted, whenScaled), Retain when unset."""
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or "Retain", policy.get("whenScaled") or "Retain"


def in_ordinal_range(sts: dict, pod: dict) -> bool:
    """podInOrdinalRange: start <= ordinal < start + replicas."""
    start = (sts["spec"].get("ordinals") or {}).get("start") or 0
    return start <= parent_and_ordinal(pod)[1] < start + sts["spec"].get("replicas", 1)


def _refers_to(ref: dict, owner: dict) -> bool:
    """matchesRef: the same apiVersion, kind and name (the UID may differ)."""
    return (ref.get("apiVersion"), ref.get("kind"), ref.get("name")) == (
        owner["apiVersion"], owner["kind"], owner["metadata"]["name"])


def _has_stale_ref(claim: dict, owner: dict) -> bool:
    """hasStaleOwnerRef: a reference to `owner`'s name whose UID is not `owner`'s (an earlier
    incarnation; a pod not created yet has no UID, so any reference to its name is stale)."""
    for ref in claim["metadata"].get("ownerReferences") or ():
        if _refers_to(ref, owner):
            return ref.get("uid") != owner["metadata"].get("uid")
    return False


def _has_owner_ref(claim: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    return bool(uid) and any(ref.get("uid") == uid for ref in claim["metadata"].get("ownerReferences") or ())


def has_unexpected_controller(claim: dict, sts: dict, pod: dict) -> bool:
    """hasUnexpectedController: under a Delete policy, a controller other than this set or pod (or
    an earlier incarnation of either): the claim is then left alone."""
    if retention_policy(sts) == ("Retain", "Retain"):
        return False
    for ref in claim["metadata"].get("ownerReferences") or ():
        for owner in (sts, pod):
            if _refers_to(ref, owner):
                if ref.get("uid") != owner["metadata"].get("uid"):
                    return True
                break
        else:
            if ref.get("controller"):
                return True
    return False


def _wanted_owners(sts: dict, pod: dict) -> tuple[bool, bool]:
    """(owned by the set, owned by the pod) as the policy wants it: whenDeleted=Delete makes the set
    the owner of a live ordinal's claims, whenScaled=Delete the pod the owner of a condemned one's."""
    when_deleted, when_scaled = retention_policy(sts)
    scaled_down = not in_ordinal_range(sts, pod)
    want_pod = when_scaled == "Delete" and scaled_down
    return when_deleted == "Delete" and not want_pod, want_pod


def claim_owners_up_to_date(claim: dict, sts: dict, pod: dict) -> bool:
    """isClaimOwnerUpToDate: the claim's ownerReferences are as the retention policy wants them.
    Stale references or a foreign controller count as up to date: such claims are not touched."""
    if _has_stale_ref(claim, sts) or _has_stale_ref(claim, pod):
        return True
    if has_unexpected_controller(claim, sts, pod):
        return not (_has_owner_ref(claim, sts) or _has_owner_ref(claim, pod))
    uids = {sts["metadata"]["uid"], pod["metadata"].get("uid")}
    if any(ref.get("uid") in uids and not ref.get("controller") for ref in claim["metadata"].get("ownerReferences") or ()):
        return False  # hasNonControllerOwner: an older controller wrote plain owner references
    return _wanted_owners(sts, pod) == (_has_owner_ref(claim, sts), _has_owner_ref(claim, pod))


def claim_owner_refs(claim: dict, sts: dict, pod: dict) -> list[dict]:
    """updateClaimOwnerRefForSetAndPod: the claim's ownerReferences with those to the set and pod
    replaced by the ones the policy wants (none beside a foreign controller)."""
    refs = claim["metadata"].get("ownerReferences") or ()
    unexpected = has_unexpected_controller(claim, sts, pod)
    kept = [ref for ref in refs if not (_refers_to(ref, sts) or _refers_to(ref, pod))]
    if unexpected:
        return kept
    want_set, want_pod = _wanted_owners(sts, pod)
    if want_pod:
        kept.append(owner_reference(pod))
    if want_set:
        kept.append(owner_reference(sts))
    return kept


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_running_and_ready(pod: dict) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def _revision_of(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


class ClaimBeingDeleted(Exception):
    """createPersistentVolumeClaims: an ordinal's claim is still being deleted, so its pod must wait."""


class StatefulSetController(Controller):
    """Mirrors kube-controller-manager's StatefulSetController (defaultStatefulSetControl): pods
    `<sts>-0..N-1` created in order (OrderedReady: each after its predecessors are Running and
    Ready; Parallel: all at once), their PersistentVolumeClaims created first, scale-down from the
    highest ordinal, rolling updates from the highest ordinal down to the partition (or OnDelete)
    through ControllerRevisions, and the status counts. Pods whose identity or storage drifted are
    updated in place (UpdateStatefulPod). persistentVolumeClaimRetentionPolicy is enforced through
    the claims' ownerReferences (to the set for whenDeleted=Delete, to the pod of a condemned
    ordinal for whenScaled=Delete): the garbage collector deletes the claims."""

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
        self.claims.add_handler(on_delete=self._claim_deleted)

    def _pod_event(self, pod: dict) -> None:
        ref = controller_ref(pod)
        if ref is not None and ref.get("kind") == "StatefulSet":
            self.queue.add(f"{pod['metadata']['namespace']}/{ref['name']}")

    def _claim_deleted(self, claim: dict) -> None:
        """A claim the garbage collector deleted may have held back its ordinal's new pod."""
        ns = claim["metadata"]["namespace"]
        for ref in claim["metadata"].get("ownerReferences") or ():
            if ref.get("kind") == "StatefulSet":
                self.queue.add(f"{ns}/{ref['name']}")
            elif ref.get("kind") == "Pod" and _split_name(ref["name"])[0]:
                self.queue.add(f"{ns}/{_split_name(ref['name'])[0]}")

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
        except (ApiError, ClaimBeingDeleted) as exc:
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
                pod = self._versioned_pod(sts, current_rev, update_rev, ordinal)
                if not self._claim_is_stale(sts, pod):
                    self._create_pod(sts, pod)
                if monotonic:
                    return
                continue
            if _phase(pod) == "Pending":
                self._create_claims(sts, pod, ordinal)
                self._update_claims_for_retention(sts, pod)
            if monotonic and (pod["metadata"].get("deletionTimestamp") or not self._healthy(sts, pod)):
                return
            if not (identity_matches(sts, pod) and storage_matches(sts, pod) and self._claims_match(sts, pod)):
                self._update_stateful_pod(sts, pod)

        for pod in condemned:
            if not self._claims_match(sts, pod):
                self._update_claims_for_retention(sts, pod)
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
        """createPersistentVolumeClaims: each missing claim of the ordinal, before its pod; a claim
        still being deleted holds the pod back."""
        ns = sts["metadata"]["namespace"]
        for claim in persistent_volume_claims(sts, ordinal):
            name = claim["metadata"]["name"]
            existing = self.claims.get(f"{ns}/{name}")
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    raise ClaimBeingDeleted(f"pvc {name} is being deleted")
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
        """CreateStatefulPod: the claims, the pod, then the claims' owners as far as known now."""
        name, sts_name = pod["metadata"]["name"], sts["metadata"]["name"]
        try:
            self._create_claims(sts, pod, parent_and_ordinal(pod)[1])
        except ClaimBeingDeleted as exc:
            self.recorder.warning(sts, "FailedCreate", f"create Pod {name} in StatefulSet {sts_name} failed error: {exc}")
            raise
        try:
            created = self.api.create("pods", pod, sts["metadata"]["namespace"], field_validation="Ignore")
        except ApiError as exc:
            if exc.code == 409:
                return  # still there (being deleted): the next sync sees it
            self.recorder.warning(sts, "FailedCreate", f"create Pod {name} in StatefulSet {sts_name} failed error: {exc}")
            raise
        self._update_claims_for_retention(sts, created)
        self.recorder.normal(sts, "SuccessfulCreate", f"create Pod {name} in StatefulSet {sts_name} successful")

    def _update_stateful_pod(self, sts: dict, pod: dict) -> None:
        """UpdateStatefulPod: put back the pod's identity labels and claim volumes (creating missing
        claims) and its claims' owners, then write the pod."""
        name, sts_name, ns = pod["metadata"]["name"], sts["metadata"]["name"], sts["metadata"]["namespace"]
        updated = pod
        try:
            if not identity_matches(sts, updated):
                updated = with_identity(sts, updated)
            if not storage_matches(sts, updated):
                updated = with_storage(sts, updated)
                self._create_claims(sts, updated, parent_and_ordinal(updated)[1])
            if not self._claims_match(sts, updated):
                self._update_claims_for_retention(sts, updated)
            self.api.update("pods", updated, ns, field_validation="Ignore")
        except (ApiError, ClaimBeingDeleted) as exc:
            if isinstance(exc, ApiError) and exc.code == 404:
                return
            self.recorder.warning(sts, "FailedUpdate", f"update Pod {name} in StatefulSet {sts_name} failed error: {exc}")
            raise
        self.recorder.normal(sts, "SuccessfulUpdate", f"update Pod {name} in StatefulSet {sts_name} successful")

    def _pod_claims(self, sts: dict, pod: dict) -> list[dict]:
        """The ordinal's existing claims (missing ones are picked up by a later sync)."""
        ns, ordinal = sts["metadata"]["namespace"], parent_and_ordinal(pod)[1]
        found = (self.claims.get(f"{ns}/{claim_name(t, sts, ordinal)}")
                 for t in sts["spec"].get("volumeClaimTemplates") or ())
        return [claim for claim in found if claim is not None]

    def _claims_match(self, sts: dict, pod: dict) -> bool:
        """ClaimsMatchRetentionPolicy."""
        return all(claim_owners_up_to_date(claim, sts, pod) for claim in self._pod_claims(sts, pod))

    def _update_claims_for_retention(self, sts: dict, pod: dict) -> None:
        """UpdatePodClaimForRetentionPolicy: rewrite the ownerReferences of the pod's claims."""
        for claim in self._pod_claims(sts, pod):
            meta = claim["metadata"]
            if has_unexpected_controller(claim, sts, pod):
                self.recorder.warning(sts, "FailedUpdate", f"update Claim {meta['name']} for Pod "
                                      f"{pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} failed "
                                      f"error: PersistentVolumeClaim {meta['name']} has a conflicting OwnerReference "
                                      "that acts as a manging controller, the retention policy is ignored for this claim")
            if claim_owners_up_to_date(claim, sts, pod):
                continue
            refs = claim_owner_refs(claim, sts, pod)
            new_meta = {k: v for k, v in meta.items() if k != "ownerReferences"}
            if refs:
                new_meta["ownerReferences"] = refs
            self.api.update("persistentvolumeclaims", {**claim, "metadata": new_meta}, meta["namespace"],
                            field_validation="Ignore")

    def _claim_is_stale(self, sts: dict, pod: dict) -> bool:
        """PodClaimIsStale: under whenScaled=Delete, a claim still owned by an earlier pod of this
        ordinal (about to be garbage collected) holds back the new pod."""
        if retention_policy(sts)[1] == "Retain":
            return False
        return any(_has_stale_ref(claim, pod) for claim in self._pod_claims(sts, pod))

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
