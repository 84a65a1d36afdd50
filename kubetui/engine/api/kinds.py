"""The resource registry: each kind's group/version, plural, scope, etcd key prefix, short names, subresources."""

from __future__ import annotations

from dataclasses import dataclass

from . import errors

REGISTRY_PREFIX = "/registry"


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    etcd_resource: str = ""  # kube-apiserver's storage prefix when it differs from the plural
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def prefix(self) -> str:
        """The etcd key prefix of all objects of this kind, ending in `/`."""
        return f"{REGISTRY_PREFIX}/{self.etcd_resource or self.plural}/"

    def key(self, name: str, namespace: str | None = None) -> str:
        if self.namespaced:
            return f"{self.prefix}{namespace}/{name}"
        return f"{self.prefix}{name}"

    def namespace_prefix(self, namespace: str | None) -> str:
        return f"{self.prefix}{namespace}/" if (self.namespaced and namespace) else self.prefix


_ALL = ("all",)
KINDS: tuple[Kind, ...] = (
    Kind("", "v1", "Namespace", "namespaces", False, ("ns",), ("status", "finalize")),
    Kind("", "v1", "Node", "nodes", False, ("no",), ("status",), etcd_resource="minions"),
    Kind("", "v1", "Pod", "pods", True, ("po",), ("status", "log", "eviction", "binding"), categories=_ALL),
    Kind("", "v1", "Service", "services", True, ("svc",), ("status",), etcd_resource="services/specs",
         categories=_ALL),
    Kind("", "v1", "Endpoints", "endpoints", True, ("ep",), etcd_resource="services/endpoints"),
    Kind("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    Kind("", "v1", "Secret", "secrets", True),
    Kind("", "v1", "ReplicationController", "replicationcontrollers", True, ("rc",), ("status", "scale"),
         etcd_resource="controllers", categories=_ALL),
    Kind("", "v1", "Event", "events", True, ("ev",)),
    Kind("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    Kind("", "v1", "ResourceQuota", "resourcequotas", True, ("quota",), ("status",)),
    Kind("", "v1", "LimitRange", "limitranges", True, ("limits",)),
    Kind("", "v1", "PersistentVolume", "persistentvolumes", False, ("pv",), ("status",)),
    Kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), ("status",)),
    Kind("apps", "v1", "Deployment", "deployments", True, ("deploy",), ("status", "scale"), categories=_ALL),
    Kind("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("status", "scale"), categories=_ALL),
    Kind("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), ("status", "scale"), categories=_ALL),
    Kind("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), ("status",), categories=_ALL),
    Kind("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    Kind("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), ("status",), etcd_resource="ingress"),
    Kind("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    Kind("coordination.k8s.io", "v1", "Lease", "leases", True),
    Kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), ("status",),
         categories=_ALL),
    Kind("batch", "v1", "Job", "jobs", True, (), ("status",), categories=_ALL),
    Kind("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",)),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
)

BY_PLURAL: dict[str, Kind] = {k.plural: k for k in KINDS}
BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}
_ALIASES: dict[str, Kind] = {}
for _k in KINDS:
    for _alias in (_k.plural, _k.singular, _k.kind, *_k.short_names):
        _ALIASES.setdefault(_alias.lower(), _k)
    if _k.group:
        _ALIASES.setdefault(f"{_k.plural}.{_k.group}", _k)


def by_plural(plural: str) -> Kind:
    try:
        return BY_PLURAL[plural]
    except KeyError:
        raise errors.ApiError(404, "NotFound", f"the server could not find the requested resource ({plural})") from None


def for_object(obj: dict) -> Kind:
    """The registered kind of an object from its apiVersion and kind."""
    kind_name = obj.get("kind")
    api_version = obj.get("apiVersion")
    if not kind_name or not api_version:
        missing = "kind" if not kind_name else "apiVersion"
        raise errors.bad_request(f"Object '{missing}' is missing in '{_brief(obj)}'")
    kind = BY_KIND.get(kind_name)
    if kind is None or kind.api_version != api_version:
        raise errors.bad_request(f'no kind "{kind_name}" is registered for version "{api_version}"')
    return kind


def resolve(name: str) -> Kind:
    """A kind from what a user types: `po`, `pods`, `pod`, `Deployment`, `deployments.apps`."""
    kind = _ALIASES.get(name.lower())
    if kind is None:
        raise errors.ApiError(404, "NotFound", f'the server doesn\'t have a resource type "{name}"')
    return kind


def _brief(obj: dict) -> str:
    text = str(obj)
    return text if len(text) < 120 else text[:117] + "..."
