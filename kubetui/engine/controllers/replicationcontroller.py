"""ReplicationController controller: the ReplicaSet controller over an equality selector (upstream replication)."""

from __future__ import annotations

from ..api import selectors
from ..api.selectors import LabelSelector
from .replicaset import ReplicaSetController


class ReplicationControllerController(ReplicaSetController):
    """Upstream runs the ReplicaSet controller over ReplicationControllers converted to ReplicaSets;
    here the same controller is pointed at the v1 kind, whose selector is a plain label map."""

    name = "replicationcontroller"
    component = "replication-controller"
    resource = "replicationcontrollers"
    kind = "ReplicationController"
    reports_terminating = False

    def parse_selector(self, selector) -> LabelSelector:
        return selectors.from_set(selector)
