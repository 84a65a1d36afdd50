"""A simulated external dynamic provisioner (`kubetui.io/hostpath`): creates and deletes volumes for its StorageClasses."""

from __future__ import annotations

import uuid

from .. import volumes as V
from ..api.errors import ApiError
from ..events import EventRecorder
from ..workqueue import WorkQueue
from .base import Controller

PROVISIONER = "kubetui.io/hostpath"
HOSTPATH_ROOT = "/var/lib/kubetui/hostpath"
HOSTNAME_LABEL = "kubernetes.io/hostname"


def default_storage_class() -> dict:
    """The `standard` StorageClass a cluster ships with (like kind's and minikube's): the default class,
    served by this provisioner, binding when the first pod using a claim is scheduled."""
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "standard", "annotations": {V.IS_DEFAULT_CLASS: "true"}},
            "provisioner": PROVISIONER, "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}


class HostPathProvisioner(Controller):
    """An external provisioner as sig-storage-lib-external-provisioner runs them (here shaped like
    rancher.io/local-path): it watches claims the PV controller has annotated with its name
    (volume.kubernetes.io/storage-provisioner) and, for a WaitForFirstConsumer class, once the
    scheduler has selected a node. After the storage backend's delay it creates a hostPath volume
    named `pvc-<claim uid>`, pre-bound to the claim and pinned to the selected node, and the PV
    controller completes the binding. Events: Provisioning, then ProvisioningSucceeded. Released
    volumes of its own with reclaim policy Delete are removed from the backend, then deleted.
    """

    name = "hostpath-provisioner"
    manager = None  # a Deployment of its own in kind, not part of kube-controller-manager

    def __init__(self, ctx):
        super().__init__(ctx)
        # Events come from the provisioner's identity, `<name>_<host>_<uuid>`, as the library reports them.
        identity = uuid.UUID(int=ctx.rng.getrandbits(128), version=4)
        self.recorder = EventRecorder(ctx.api, f"{PROVISIONER}_{self.name}_{identity}")
        self.claims = self.informers.informer("persistentvolumeclaims")
        self.volumes = self.informers.informer("persistentvolumes")
        self.classes = self.informers.informer("storageclasses")
        self.volume_queue = WorkQueue(ctx.clock, self.sync_volume, f"{self.name}-volumes", on_error=self._record_error,
                                      gate=self.gate)
        self._ready_at: dict[str, float] = {}  # backend operations under way: claim uid / volume name -> done at
        self.claims.add_handler(self.enqueue, lambda old, new: self.enqueue(new),
                                lambda claim: self._ready_at.pop(claim["metadata"]["uid"], None))
        self.volumes.add_handler(self._enqueue_volume, lambda old, new: self._enqueue_volume(new))

    def _enqueue_volume(self, pv: dict) -> None:
        if V.annotations(pv).get(V.ANN_DYNAMICALLY_PROVISIONED) == PROVISIONER:
            self.volume_queue.add(pv["metadata"]["name"])

    def _after_backend(self, op: str, queue: WorkQueue, key: str) -> bool:
        """True once the backend has finished `op`; the first call starts it."""
        now = self.clock.now
        done_at = self._ready_at.get(op)
        if done_at is None:
            done_at = self._ready_at[op] = now + self.profile.volume_provision_seconds
            # Work in progress, unlike a queue's delayed re-check: it keeps run_until_idle going.
            self.clock.call_at(done_at, queue.add, key)
        if now < done_at:
            return False
        del self._ready_at[op]
        return True

    # -- provisioning --------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        claim = self.claims.get(key)
        if claim is None or not self._should_provision(claim):
            return
        meta = claim["metadata"]
        uid = meta["uid"]
        pv_name = f"pvc-{uid}"
        if self.volumes.get(pv_name) is not None:
            return  # provisioned already; the PV controller binds it
        if uid not in self._ready_at:
            self.recorder.normal(claim, "Provisioning",
                                 f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"')
        if not self._after_backend(uid, self.queue, key):
            return
        cls = self.classes.get(V.claim_class(claim))
        try:
            self.api.create("persistentvolumes", self._volume_for(claim, cls, pv_name), field_validation="Ignore")
        except ApiError as exc:
            if exc.code != 409:
                self.recorder.warning(claim, "ProvisioningFailed", f"failed to provision volume with StorageClass "
                                      f'"{cls["metadata"]["name"]}": {exc}')
                raise
        self.recorder.normal(claim, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}")

    def _should_provision(self, claim: dict) -> bool:
        """shouldProvision: the claim is unbound and annotated for this provisioner; a WaitForFirstConsumer
        claim also needs its selected node."""
        if claim["spec"].get("volumeName") or claim["metadata"].get("deletionTimestamp"):
            return False
        anns = V.annotations(claim)
        if (anns.get(V.ANN_STORAGE_PROVISIONER) or anns.get(V.ANN_BETA_STORAGE_PROVISIONER)) != PROVISIONER:
            return False
        cls = self.classes.get(V.claim_class(claim))
        if cls is None:
            return False
        return cls.get("volumeBindingMode") != "WaitForFirstConsumer" or V.ANN_SELECTED_NODE in anns

    def _volume_for(self, claim: dict, cls: dict, pv_name: str) -> dict:
        meta, spec = claim["metadata"], claim["spec"]
        pv_spec = {
            "accessModes": list(spec.get("accessModes") or ()),
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "claimRef": V.claim_reference(claim),
            "hostPath": {"path": f"{HOSTPATH_ROOT}/{pv_name}_{meta['namespace']}_{meta['name']}",
                         "type": "DirectoryOrCreate"},
            "persistentVolumeReclaimPolicy": cls.get("reclaimPolicy") or "Delete",
            "storageClassName": cls["metadata"]["name"],
            "volumeMode": spec.get("volumeMode") or "Filesystem",
        }
        if cls.get("mountOptions"):
            pv_spec["mountOptions"] = list(cls["mountOptions"])
        node = V.annotations(claim).get(V.ANN_SELECTED_NODE)
        if node:
            pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": HOSTNAME_LABEL, "operator": "In", "values": [node]}]}]}}
        return {"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": pv_name, "annotations": {V.ANN_DYNAMICALLY_PROVISIONED: PROVISIONER}},
                "spec": pv_spec}

    # -- deletion ------------------------------------------------------------------------------

    def sync_volume(self, name: str) -> None:
        """shouldDelete / deleteVolumeOperation: a Released volume of ours whose policy is Delete."""
        pv = self.volumes.get(name)
        if (pv is None or V.phase(pv) != "Released" or pv["spec"].get("persistentVolumeReclaimPolicy") != "Delete"
                or pv["metadata"].get("deletionTimestamp")):
            self._ready_at.pop(name, None)
            return
        if not self._after_backend(name, self.volume_queue, name):
            return
        try:
            self.api.delete("persistentvolumes", name)
        except ApiError as exc:
            if exc.code != 404:
                raise
