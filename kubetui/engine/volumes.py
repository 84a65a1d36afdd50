"""Persistent volume helpers shared by the PV controller, the provisioner and the scheduler (k8s.io/component-helpers/storage/volume)."""

from __future__ import annotations

from fractions import Fraction

from .api import selectors
from .api.errors import ApiError
from .objects import reads
from .quantity import parse_quantity

ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
IS_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
BETA_IS_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
NOT_SUPPORTED_PROVISIONER = "kubernetes.io/no-provisioner"
PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection"
POD_PVC_INDEX = "pvc"  # pods by the `namespace/claim` keys of their persistentVolumeClaim volumes
VOLUME_CLASS_INDEX = "storageClassName"  # volumes by their class ("" for none)


def claim_names(pod: dict) -> list[str]:
    """The claims a pod's persistentVolumeClaim volumes name, in volume order."""
    return [v["persistentVolumeClaim"].get("claimName", "") for v in pod["spec"].get("volumes") or ()
            if v.get("persistentVolumeClaim") is not None]


@reads("metadata.namespace", "spec.volumes")
def index_pod_claims(pod: dict) -> tuple[str, ...]:
    ns = pod["metadata"].get("namespace")
    return tuple(f"{ns}/{name}" for name in claim_names(pod))


def index_volume_class(pv: dict) -> tuple[str, ...]:
    return (volume_class(pv),)


def with_finalizers(obj: dict, finalizers: list[str]) -> dict:
    """A copy of `obj` whose metadata.finalizers is `finalizers` (dropped when empty)."""
    meta = {k: v for k, v in obj["metadata"].items() if k != "finalizers"}
    if finalizers:
        meta["finalizers"] = finalizers
    return {**obj, "metadata": meta}


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation wins over spec.storageClassName."""
    ann = (claim["metadata"].get("annotations") or {}).get(ANN_BETA_STORAGE_CLASS)
    if ann is not None:
        return ann
    return (claim.get("spec") or {}).get("storageClassName") or ""


def volume_class(pv: dict) -> str:
    ann = (pv["metadata"].get("annotations") or {}).get(ANN_BETA_STORAGE_CLASS)
    if ann is not None:
        return ann
    return (pv.get("spec") or {}).get("storageClassName") or ""


def claim_request(claim: dict) -> Fraction:
    requests = ((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}
    return parse_quantity(requests.get("storage", 0))


def volume_capacity(pv: dict) -> Fraction:
    return parse_quantity(((pv.get("spec") or {}).get("capacity") or {}).get("storage", 0))


def phase(obj: dict) -> str:
    return (obj.get("status") or {}).get("phase") or ""


def annotations(obj: dict) -> dict:
    return obj["metadata"].get("annotations") or {}


def check_access_modes(claim: dict, pv: dict) -> bool:
    """CheckAccessModes: the volume offers every mode the claim asks for."""
    offered = set((pv.get("spec") or {}).get("accessModes") or ())
    return all(mode in offered for mode in (claim.get("spec") or {}).get("accessModes") or ())


def volume_mode_mismatch(claim: dict, pv: dict) -> bool:
    """CheckVolumeModeMismatches (an unset mode is Filesystem)."""
    return (((claim.get("spec") or {}).get("volumeMode") or "Filesystem")
            != ((pv.get("spec") or {}).get("volumeMode") or "Filesystem"))


def is_bound_to_claim(pv: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: pre-bound or bound to this claim (by name, and by uid once set)."""
    ref = (pv.get("spec") or {}).get("claimRef")
    meta = claim["metadata"]
    if not ref or ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref["uid"] == meta.get("uid")


def claim_reference(claim: dict) -> dict:
    """reference.GetReference for a claim, as it lands in a volume's spec.claimRef."""
    meta = claim["metadata"]
    return {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"], "apiVersion": "v1", "resourceVersion": meta.get("resourceVersion", "")}


def bind_volume_to_claim(pv: dict, claim: dict) -> tuple[dict, bool]:
    """GetBindVolumeToClaim: the volume with claimRef pointing at the claim (and the bound-by-controller
    annotation unless the user pre-bound it); the flag says whether anything changed."""
    spec, meta = pv.get("spec") or {}, pv["metadata"]
    cmeta = claim["metadata"]
    ref = spec.get("claimRef") or {}
    dirty = False
    new = pv
    if (ref.get("name"), ref.get("namespace"), ref.get("uid")) != (cmeta["name"], cmeta["namespace"], cmeta["uid"]):
        new = {**new, "spec": {**spec, "claimRef": claim_reference(claim)}}
        dirty = True
    anns = meta.get("annotations") or {}
    if not is_bound_to_claim(pv, claim) and ANN_BOUND_BY_CONTROLLER not in anns:
        new = {**new, "metadata": {**meta, "annotations": {**anns, ANN_BOUND_BY_CONTROLLER: "yes"}}}
        dirty = True
    return new, dirty


def unbound_match(pv: dict, claim: dict, selector: selectors.LabelSelector | None, wanted_class: str) -> bool:
    """The checks FindMatchingVolume applies to a volume not bound to the claim (size aside)."""
    if phase(pv) != "Available" or (pv.get("spec") or {}).get("claimRef"):
        return False
    if selector is not None and not selector.matches(pv["metadata"].get("labels")):
        return False
    return volume_class(pv) == wanted_class


def claim_selector(claim: dict) -> selectors.LabelSelector | None:
    raw = (claim.get("spec") or {}).get("selector")
    if raw is None:
        return None
    try:
        return selectors.from_label_selector_object(raw)
    except ApiError:
        return selectors.from_label_selector_object(None)


def find_matching_volume(claim: dict, volumes, delay_binding: bool) -> dict | None:
    """FindMatchingVolume on the PV controller's path (no node): a volume pre-bound to the claim if it
    is big enough, else (unless binding waits for the scheduler) the smallest available volume of the
    claim's class that matches its selector and volume mode. Ties go to the first name."""
    requested = claim_request(claim)
    wanted_class = claim_class(claim)
    selector = claim_selector(claim)
    best, best_size = None, None
    for pv in sorted(volumes, key=lambda v: v["metadata"]["name"]):
        if volume_mode_mismatch(claim, pv) or pv["metadata"].get("deletionTimestamp"):
            continue
        size = volume_capacity(pv)
        if is_bound_to_claim(pv, claim):
            if size < requested:
                continue
            return pv
        if delay_binding or not unbound_match(pv, claim, selector, wanted_class):
            continue
        if size >= requested and (best is None or size < best_size):
            best, best_size = pv, size
    return best


def find_best_match(claim: dict, volumes, delay_binding: bool) -> dict | None:
    """findBestMatchForClaim: volumes are grouped by their access modes, and the groups that offer
    every requested mode are searched from the fewest modes up, so a claim gets what is closest to
    what it asked for."""
    wanted = set((claim.get("spec") or {}).get("accessModes") or ())
    groups: dict[tuple[str, ...], list[dict]] = {}
    for pv in volumes:
        modes = tuple(sorted(set((pv.get("spec") or {}).get("accessModes") or ())))
        groups.setdefault(modes, []).append(pv)
    for modes in sorted(groups, key=lambda m: (len(m), m)):
        if wanted <= set(modes):
            match = find_matching_volume(claim, groups[modes], delay_binding)
            if match is not None:
                return match
    return None


def is_delay_binding(claim: dict, classes) -> bool:
    """IsDelayBindingMode: the claim's class exists and binds WaitForFirstConsumer."""
    name = claim_class(claim)
    if not name:
        return False
    cls = classes.get(name)
    return cls is not None and cls.get("volumeBindingMode") == "WaitForFirstConsumer"


def is_default_class(cls: dict) -> bool:
    anns = annotations(cls)
    return anns.get(IS_DEFAULT_CLASS) == "true" or anns.get(BETA_IS_DEFAULT_CLASS) == "true"


def default_class(classes) -> dict | None:
    """GetDefaultClass: of the classes marked default, the newest (then the first name)."""
    marked = [c for c in classes if is_default_class(c)]
    if not marked:
        return None
    marked.sort(key=lambda c: c["metadata"]["name"])
    return max(marked, key=lambda c: c["metadata"].get("creationTimestamp") or "")
