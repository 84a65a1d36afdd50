"""RBAC authorization, as kube-apiserver's RBAC authorizer decides, and the default ClusterRoles it bootstraps."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import errors, kinds

RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"
READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")


@dataclass(frozen=True)
class User:
    """Who makes a request: a user, or a ServiceAccount as `system:serviceaccount:<ns>:<name>`."""

    name: str
    groups: tuple[str, ...] = field(default=())

    @classmethod
    def service_account(cls, namespace: str, name: str) -> "User":
        return cls(f"system:serviceaccount:{namespace}:{name}",
                   ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"))

    @property
    def all_groups(self) -> tuple[str, ...]:
        return (*self.groups, "system:authenticated")


def _subject_matches(subject: dict, user: User, binding_ns: str | None) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user.name
    if kind == "Group":
        return subject.get("name") in user.all_groups
    if kind == "ServiceAccount":
        return user.name == f"system:serviceaccount:{subject.get('namespace') or binding_ns}:{subject.get('name')}"
    return False


def _rule_allows(rule: dict, verb: str, group: str, resource: str, name: str | None) -> bool:
    def has(values, value):
        return "*" in (values or ()) or value in (values or ())
    return (has(rule.get("verbs"), verb) and has(rule.get("apiGroups"), group) and has(rule.get("resources"), resource)
            and (not rule.get("resourceNames") or name in rule["resourceNames"]))


class Authorizer:
    """Reads Roles, ClusterRoles and their bindings from the API server's cache (no extra copies)."""

    def __init__(self, cache: dict[str, dict[str, dict]]):
        self._cache = cache

    def allowed(self, user: User, verb: str, resource: str, namespace: str | None, name: str | None = None,
                subresource: str = "") -> bool:
        if MASTERS in user.groups:
            return True
        group = kinds.by_plural(resource).group
        target = f"{resource}/{subresource}" if subresource else resource
        for rules in self._rules(user, namespace):
            if any(_rule_allows(rule, verb, group, target, name) for rule in rules):
                return True
        return False

    def _rules(self, user: User, namespace: str | None):
        for binding in self._cache["clusterrolebindings"].values():
            if any(_subject_matches(s, user, None) for s in binding.get("subjects") or ()):
                role = self._cache["clusterroles"].get(binding["roleRef"]["name"])
                if role is not None:
                    yield role.get("rules") or ()
        if namespace is None:
            return
        prefix = f"{namespace}/"
        for key, binding in self._cache["rolebindings"].items():
            if not key.startswith(prefix) or not any(_subject_matches(s, user, namespace)
                                                     for s in binding.get("subjects") or ()):
                continue
            ref = binding["roleRef"]
            role = (self._cache["roles"].get(f"{namespace}/{ref['name']}") if ref.get("kind") == "Role"
                    else self._cache["clusterroles"].get(ref["name"]))
            if role is not None:
                yield role.get("rules") or ()

    def check(self, user: User | None, verb: str, resource: str, namespace: str | None, name: str | None = None,
              subresource: str = "") -> None:
        """Raise kube-apiserver's 403 when `user` may not; no user means an in-process component (trusted)."""
        if user is None or self.allowed(user, verb, resource, namespace, name, subresource):
            return
        kind = kinds.by_plural(resource)
        target = f"{resource}/{subresource}" if subresource else resource
        where = f'in the namespace "{namespace}"' if kind.namespaced and namespace else "at the cluster scope"
        qualified = f"{target}.{kind.group}" if kind.group else target  # how the API names a resource in errors
        what = f'{qualified} "{name}"' if name else qualified
        raise errors.ApiError(403, "Forbidden", f'{what} is forbidden: User "{user.name}" cannot {verb} resource '
                              f'"{target}" in API group "{kind.group}" {where}',
                              {"name": name or "", "group": kind.group, "kind": resource})


def _rule(groups, resources, verbs) -> dict:
    return {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}


def bootstrap_policy() -> list[dict]:
    """The default user-facing ClusterRoles (cluster-admin, admin, edit, view) and cluster-admin for
    system:masters, simplified to the kinds this cluster serves."""
    workloads = ["pods", "pods/log", "services", "endpoints", "configmaps", "persistentvolumeclaims",
                 "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "events"]
    apps = ["deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets",
            "statefulsets/scale", "daemonsets", "controllerrevisions"]
    view = [_rule([""], [r for r in workloads] + ["limitranges", "resourcequotas", "namespaces"], READ),
            _rule(["apps"], apps, READ), _rule(["batch"], ["jobs"], READ),
            _rule(["autoscaling"], ["horizontalpodautoscalers"], READ),
            _rule(["networking.k8s.io"], ["ingresses"], READ)]
    edit = view + [_rule([""], workloads + ["secrets"], WRITE), _rule([""], ["secrets"], READ),
                   _rule(["apps"], apps, WRITE), _rule(["batch"], ["jobs"], WRITE),
                   _rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
                   _rule(["networking.k8s.io"], ["ingresses"], WRITE)]
    admin = edit + [_rule([RBAC_GROUP], ["roles", "rolebindings"], READ + WRITE)]
    roles = {"cluster-admin": [_rule(["*"], ["*"], ["*"])], "admin": admin, "edit": edit, "view": view}
    out = [{"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}}, "rules": rules}
           for name, rules in roles.items()]
    out.append({"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "cluster-admin", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": MASTERS}]})
    return out
