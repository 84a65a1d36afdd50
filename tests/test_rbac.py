"""RBAC: Roles, ClusterRoles and bindings decide what a user or ServiceAccount may do, with upstream's 403 wording."""

import pytest

from kubetui.engine.api.errors import ApiError
from kubetui.engine.api.rbac import User
from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster, NodeConfig

RBAC = "rbac.authorization.k8s.io/v1"


@pytest.fixture
def admin():
    return LocalClient(Cluster(nodes=[NodeConfig("worker-1")], profile="fast", seed=1))


def forbidden(call):
    with pytest.raises(ApiError) as err:
        call()
    assert err.value.code == 403 and err.value.reason == "Forbidden"
    return err.value.message


def test_a_user_without_bindings_is_forbidden_with_upstreams_message(admin):
    jane = admin.as_user(User("jane"))
    assert forbidden(lambda: jane.list("pods", "default")) == \
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"'
    assert forbidden(lambda: jane.get("deployments", "web")) == (
        'deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" '
        'in the namespace "default"')
    assert forbidden(lambda: jane.list("nodes")) == \
        'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope'


def test_a_role_binding_grants_its_rules_in_its_namespace_only(admin):
    admin.create({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "pod-reader"},
                  "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]})
    admin.create({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "jane-reads-pods"},
                  "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
                  "roleRef": {"kind": "Role", "name": "pod-reader", "apiGroup": "rbac.authorization.k8s.io"}})
    jane = admin.as_user(User("jane"))
    assert jane.list("pods", "default") == []
    assert jane.can_i("list", "pods", "default") and not jane.can_i("list", "pods", "kube-system")
    assert not jane.can_i("delete", "pods", "default")
    assert "cannot create resource" in forbidden(lambda: jane.create(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
         "spec": {"containers": [{"name": "c", "image": "nginx"}]}}))


def test_service_accounts_groups_and_the_default_cluster_roles(admin):
    admin.create({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "robot-edits"},
                  "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "default"}],
                  "roleRef": {"kind": "ClusterRole", "name": "edit", "apiGroup": "rbac.authorization.k8s.io"}})
    robot = admin.as_user(User.service_account("default", "robot"))
    assert robot.can_i("create", "deployments", "default") and robot.can_i("update", "deployments", "default",
                                                                           subresource="scale")
    assert not robot.can_i("create", "roles", "default")  # edit cannot grant rights
    assert 'User "system:serviceaccount:default:robot" cannot list resource "nodes"' in \
        forbidden(lambda: robot.list("nodes"))
    admin.create({"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "ops-view"},
                  "subjects": [{"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}],
                  "roleRef": {"kind": "ClusterRole", "name": "view", "apiGroup": "rbac.authorization.k8s.io"}})
    ops = admin.as_user(User("sam", ("ops",)))
    assert ops.can_i("list", "pods", "kube-system") and not ops.can_i("get", "secrets", "default")
    root = admin.as_user(User("kubernetes-admin", ("system:masters",)))
    assert root.can_i("delete", "nodes") and admin.can_i("*", "secrets", "default")
