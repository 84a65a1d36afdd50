"""PersistentVolume controller: binds claims to volumes, asks provisioners for new ones, reclaims released volumes."""

from __future__ import annotations

import re

from .. import volumes as V
from ..api.errors import ApiError
from ..clock import rfc3339
from ..objects import key_of
from ..workqueue import WorkQueue
from .base import Controller

# --pvclaimbinder-sync-period: how often claims still waiting for a volume are looked at again.
RESYNC_PERIOD = 15.0
CLAIM_REF_INDEX = "claimRef"  # volumes by the `namespace/name` of the claim they are (pre-)bound to
_HOST_PATH_DELETABLE = re.compile("/tmp/.+")  # the hostPath deleter only removes directories under /tmp


def _index_claim_ref(pv: dict) -> tuple[str, ...]:
    ref = (pv.get("spec") or {}).get("claimRef")
    return (f"{ref.get('namespace')}/{ref.get('name')}",) if ref else ()


class PersistentVolumeController(Controller):
    """The persistentvolume-binder of kube-controller-manager (pkg/controller/volume/persistentvolume).

    Claims and volumes have a work queue each, as upstream. A Pending claim is bound to the smallest
    Available volume of its class that offers its access modes, volume mode, size and selector (or to
    the volume it, or a volume, names); both sides are written (volume claimRef and phase, claim
    volumeName, annotations and status). With no volume and a class, an external provisioner is asked
    for one through the storage-provisioner annotations; WaitForFirstConsumer claims wait for the
    scheduler to pick a node first. When a claim goes, its volume is Released and its reclaim policy
    applied: Retain keeps it, Delete removes it (an external provisioner's volumes are deleted by
    their provisioner). Pending claims are looked at again every 15 s (the resync), which is when
    their FailedBinding / WaitForFirstConsumer / ExternalProvisioning events repeat.
    """

    name = "persistentvolume-binder"
    component = "persistentvolume-controller"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.claims = self.informers.informer("persistentvolumeclaims")
        self.volumes = self.informers.informer("persistentvolumes")
        self.classes = self.informers.informer("storageclasses")
        self.pods = self.informers.informer("pods")
        self.pods.add_indexer(V.POD_PVC_INDEX, V.index_pod_claims)
        self.volumes.add_indexer(V.VOLUME_CLASS_INDEX, V.index_volume_class)
        self.volumes.add_indexer(CLAIM_REF_INDEX, _index_claim_ref)
        self.volume_queue = WorkQueue(ctx.clock, self.sync_volume, f"{self.name}-volumes", on_error=self._record_error,
                                      gate=self.gate)
        self.claims.add_handler(self.enqueue, lambda old, new: self.enqueue(new), self._claim_deleted)
        self.volumes.add_handler(self._enqueue_volume, lambda old, new: self._enqueue_volume(new),
                                 self._volume_deleted)

    # -- informer handlers (enqueue only) ------------------------------------------------------

    def _enqueue_volume(self, pv: dict) -> None:
        self.volume_queue.add(pv["metadata"]["name"])

    def _claim_deleted(self, claim: dict) -> None:
        name = (claim.get("spec") or {}).get("volumeName")
        if name:
            self.volume_queue.add(name)

    def _volume_deleted(self, pv: dict) -> None:
        ref = (pv.get("spec") or {}).get("claimRef")
        if ref:
            self.queue.add(f"{ref.get('namespace')}/{ref.get('name')}")

    # -- claims --------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        """syncClaim."""
        claim = self.claims.get(key)
        if claim is None:
            return
        if V.ANN_BIND_COMPLETED in V.annotations(claim):
            self._sync_bound_claim(claim)
        else:
            self._sync_unbound_claim(claim)
        claim = self.claims.get(key)
        if claim is not None and V.phase(claim) == "Pending":
            self.queue.add_after(key, RESYNC_PERIOD)

    def _candidates(self, claim: dict) -> list[dict]:
        """The volumes findBestMatchForClaim can return: those of the claim's class and those pre-bound to it."""
        found = {pv["metadata"]["name"]: pv for pv in self.volumes.by_index(V.VOLUME_CLASS_INDEX, V.claim_class(claim))}
        for pv in self.volumes.by_index(CLAIM_REF_INDEX, key_of(claim)):
            found.setdefault(pv["metadata"]["name"], pv)
        return list(found.values())

    def _sync_unbound_claim(self, claim: dict) -> None:
        name = claim["spec"].get("volumeName")
        if not name:
            delay = V.is_delay_binding(claim, self.classes)
            volume = V.find_best_match(claim, self._candidates(claim), delay)
            if volume is not None:
                self._bind(volume, claim)
                return
            if delay and V.ANN_SELECTED_NODE not in V.annotations(claim):
                self._wait_for_consumer(claim)
            elif V.claim_class(claim):
                self._provision(claim)
                return
            else:
                self.recorder.normal(claim, "FailedBinding",
                                     "no persistent volumes available for this claim and no storage class is set")
            self._update_claim_status(claim, "Pending", None)
            return
        volume = self.volumes.get(name)
        if volume is None:
            self._update_claim_status(claim, "Pending", None)  # the named volume may appear later
        elif not (volume.get("spec") or {}).get("claimRef"):
            problem = _unsatisfied(volume, claim)
            if problem:
                self.recorder.warning(claim, "VolumeMismatch", f'Cannot bind to requested volume "{name}": {problem}')
                self._update_claim_status(claim, "Pending", None)
            else:
                self._bind(volume, claim)
        elif V.is_bound_to_claim(volume, claim):
            self._bind(volume, claim)
        else:
            self.recorder.warning(claim, "FailedBinding", f'volume "{name}" already bound to a different claim.')
            self._update_claim_status(claim, "Pending", None)

    def _sync_bound_claim(self, claim: dict) -> None:
        name = claim["spec"].get("volumeName")
        if not name:
            self._claim_lost(claim, "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
            return
        volume = self.volumes.get(name)
        if volume is None:
            self._claim_lost(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
            return
        ref = volume["spec"].get("claimRef")
        if not ref or ref.get("uid") == claim["metadata"]["uid"]:
            self._bind(volume, claim)
        else:
            self._claim_lost(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly")

    def _claim_lost(self, claim: dict, reason: str, message: str) -> None:
        """updateClaimStatusWithEvent: Lost is final; the event is sent once, when the phase changes."""
        if V.phase(claim) == "Lost":
            return
        claim = self._update_claim_status(claim, "Lost", None)
        self.recorder.warning(claim, reason, message)

    def _wait_for_consumer(self, claim: dict) -> None:
        """emitEventForUnboundDelayBindingClaim."""
        pending = sorted(pod["metadata"]["name"] for pod in self.pods.by_index(V.POD_PVC_INDEX, key_of(claim))
                         if not pod["spec"].get("nodeName")
                         and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))
        if not pending:
            self.recorder.normal(claim, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
        elif len(pending) == 1:
            self.recorder.normal(claim, "WaitForPodScheduled", f"waiting for pod {pending[0]} to be scheduled")
        else:
            self.recorder.normal(claim, "WaitForPodScheduled", f"waiting for pods {','.join(pending)} to be scheduled")

    def _provision(self, claim: dict) -> None:
        """provisionClaim: in-tree plugins are not simulated, so every provisioner outside kubernetes.io/
        is external: the claim is annotated for it and the controller waits for its volume."""
        class_name = V.claim_class(claim)
        cls = self.classes.get(class_name)
        if cls is None:
            self.recorder.warning(claim, "ProvisioningFailed", f'storageclass.storage.k8s.io "{class_name}" not found')
            return
        provisioner = cls.get("provisioner") or ""
        if provisioner.startswith("kubernetes.io/"):
            self.recorder.warning(claim, "ProvisioningFailed", f"no volume plugin matched name: {provisioner}")
            return
        meta = claim["metadata"]
        anns = meta.get("annotations") or {}
        if anns.get(V.ANN_STORAGE_PROVISIONER) != provisioner or anns.get(V.ANN_BETA_STORAGE_PROVISIONER) != provisioner:
            claim = self.api.update("persistentvolumeclaims", {**claim, "metadata": {**meta, "annotations": {
                **anns, V.ANN_BETA_STORAGE_PROVISIONER: provisioner, V.ANN_STORAGE_PROVISIONER: provisioner}}},
                meta["namespace"], field_validation="Ignore")
        self.recorder.normal(claim, "ExternalProvisioning",
                             f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
                             "or manually by the system administrator. If volume creation is delayed, please verify "
                             "that the provisioner is running and correctly registered.")

    # -- binding -------------------------------------------------------------------------------

    def _bind(self, volume: dict, claim: dict) -> None:
        """bind: the volume's claimRef and phase first, then the claim's volumeName and status."""
        volume, dirty = V.bind_volume_to_claim(volume, claim)
        if dirty:
            volume = self.api.update("persistentvolumes", volume, field_validation="Ignore")
        volume = self._update_volume_phase(volume, "Bound")
        claim = self._bind_claim_to_volume(claim, volume)
        self._update_claim_status(claim, "Bound", volume)

    def _bind_claim_to_volume(self, claim: dict, volume: dict) -> dict:
        meta, spec = claim["metadata"], claim["spec"]
        anns = dict(meta.get("annotations") or {})
        name = volume["metadata"]["name"]
        if spec.get("volumeName") != name:
            spec = {**spec, "volumeName": name}
            anns.setdefault(V.ANN_BOUND_BY_CONTROLLER, "yes")
        anns.setdefault(V.ANN_BIND_COMPLETED, "yes")
        if spec is claim["spec"] and anns == (meta.get("annotations") or {}):
            return claim
        return self.api.update("persistentvolumeclaims", {**claim, "metadata": {**meta, "annotations": anns},
                                                          "spec": spec}, meta["namespace"], field_validation="Ignore")

    def _update_claim_status(self, claim: dict, phase: str, volume: dict | None) -> dict:
        """updateClaimStatus: the phase, and the volume's access modes and (when becoming Bound) capacity."""
        old = claim.get("status") or {}
        status = {**old, "phase": phase}
        if volume is None:
            status.pop("accessModes", None)
            status.pop("capacity", None)
        else:
            status["accessModes"] = volume["spec"].get("accessModes")
            if old.get("phase") != phase:
                status["capacity"] = volume["spec"].get("capacity")
        if status == old:
            return claim
        return self.api.update_status("persistentvolumeclaims", {**claim, "status": status})

    def _update_volume_phase(self, volume: dict, phase: str, message: str = "") -> dict:
        """updateVolumePhase (lastPhaseTransitionTime moves with the phase, as the API server's strategy does)."""
        old = volume.get("status") or {}
        if old.get("phase") == phase:
            return volume
        status = {k: v for k, v in old.items() if k != "message"}
        status["phase"] = phase
        if message:
            status["message"] = message
        status["lastPhaseTransitionTime"] = rfc3339(self.clock.now)
        return self.api.update_status("persistentvolumes", {**volume, "status": status})

    # -- volumes -------------------------------------------------------------------------------

    def sync_volume(self, name: str) -> None:
        """syncVolume."""
        volume = self.volumes.get(name)
        if volume is None:
            return
        ref = volume["spec"].get("claimRef")
        if not ref or not ref.get("uid"):
            self._update_volume_phase(volume, "Available")  # unused, or reserved for a claim not yet bound
            return
        claim_key = f"{ref.get('namespace')}/{ref.get('name')}"
        claim = self.claims.get(claim_key)
        if claim is not None and claim["metadata"]["uid"] != ref["uid"]:
            claim = None  # the claim was deleted and another made with its name
        if claim is None:
            if V.phase(volume) not in ("Released", "Failed"):
                volume = self._update_volume_phase(volume, "Released")
            self._reclaim(volume)
            return
        claimed = claim["spec"].get("volumeName")
        if not claimed:
            if V.volume_mode_mismatch(claim, volume):
                self.recorder.warning(volume, "VolumeMismatch", "Cannot bind PersistentVolume to requested "
                                      f'PersistentVolumeClaim "{claim["metadata"]["name"]}" due to incompatible volumeMode.')
                self.recorder.warning(claim, "VolumeMismatch", f'Cannot bind PersistentVolume "{name}" to requested '
                                      "PersistentVolumeClaim due to incompatible volumeMode.")
                return
            self.queue.add(claim_key)  # the claim's sync finishes the binding
        elif claimed == name:
            self._update_volume_phase(volume, "Bound")
        elif (V.annotations(volume).get(V.ANN_DYNAMICALLY_PROVISIONED)
              and volume["spec"].get("persistentVolumeReclaimPolicy") == "Delete"):
            if V.phase(volume) not in ("Released", "Failed"):
                volume = self._update_volume_phase(volume, "Released")
            self._reclaim(volume)
        else:
            self._unbind(volume)

    def _unbind(self, volume: dict) -> None:
        """unbindVolume: drop a binding the controller made, or only the uid of a user's pre-binding."""
        meta, spec = volume["metadata"], volume["spec"]
        anns = dict(meta.get("annotations") or {})
        if V.ANN_BOUND_BY_CONTROLLER in anns:
            del anns[V.ANN_BOUND_BY_CONTROLLER]
            spec = {k: v for k, v in spec.items() if k != "claimRef"}
            meta = {k: v for k, v in meta.items() if k != "annotations"}
            if anns:
                meta["annotations"] = anns
        else:
            spec = {**spec, "claimRef": {k: v for k, v in spec["claimRef"].items() if k != "uid"}}
        volume = self.api.update("persistentvolumes", {**volume, "metadata": meta, "spec": spec},
                                 field_validation="Ignore")
        self._update_volume_phase(volume, "Available")

    def _reclaim(self, volume: dict) -> None:
        """reclaimVolume: apply the volume's persistentVolumeReclaimPolicy (Retain: nothing to do)."""
        policy = volume["spec"].get("persistentVolumeReclaimPolicy")
        if policy == "Recycle":
            self._recycle(volume)
        elif policy == "Delete":
            self._delete(volume)

    def _recycle(self, volume: dict) -> None:
        """The recycler scrubs hostPath and NFS volumes (`rm -rf` in a recycler pod) and makes them Available."""
        spec = volume["spec"]
        if spec.get("hostPath") is None and spec.get("nfs") is None:
            self._fail_volume(volume, "VolumeFailedRecycle", "No recycler plugin found for the volume!")
            return
        self.recorder.normal(volume, "VolumeRecycled", "Volume recycled")
        self._unbind(volume)

    def _delete(self, volume: dict) -> None:
        """deleteVolumeOperation: external provisioners (and CSI drivers) delete their own volumes; of the
        in-tree plugins only hostPath can delete, and only under /tmp."""
        spec = volume["spec"]
        provisioned_by = V.annotations(volume).get(V.ANN_DYNAMICALLY_PROVISIONED, "")
        if (provisioned_by and not provisioned_by.startswith("kubernetes.io/")) or spec.get("csi") is not None:
            return
        host_path = spec.get("hostPath")
        name = volume["metadata"]["name"]
        if host_path is None:
            self._fail_volume(volume, "VolumeFailedDelete",
                              f'error getting deleter volume plugin for volume "{name}": no deletable volume plugin matched')
            return
        path = host_path.get("path", "")
        if not _HOST_PATH_DELETABLE.search(path):
            self._fail_volume(volume, "VolumeFailedDelete", f"host_path deleter only supports /tmp/.+ but received provided {path}")
            return
        try:
            self.api.delete("persistentvolumes", name)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def _fail_volume(self, volume: dict, reason: str, message: str) -> None:
        """updateVolumePhaseWithEvent(Failed): the event is sent when the phase changes."""
        if V.phase(volume) == "Failed":
            return
        volume = self._update_volume_phase(volume, "Failed", message)
        self.recorder.warning(volume, reason, message)


def _unsatisfied(volume: dict, claim: dict) -> str:
    """checkVolumeSatisfyClaim: why a volume a claim names cannot serve it ("" if it can)."""
    if volume["metadata"].get("deletionTimestamp"):
        return f'the volume is marked for deletion "{volume["metadata"]["name"]}"'
    if V.volume_capacity(volume) < V.claim_request(claim):
        return "requested PV is too small"
    if V.volume_class(volume) != V.claim_class(claim):
        return "storageClassName does not match"
    if V.volume_mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not V.check_access_modes(claim, volume):
        return "incompatible accessMode"
    return ""
