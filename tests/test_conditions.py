"""Conditions over cluster state: parsing (shorthand and structured), errors, and evaluation with reasons."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from kubetui.engine.client import LocalClient
from kubetui.engine.cluster import Cluster
from kubetui.scenario.conditions import ConditionSpec, evaluate

CONDITION = TypeAdapter(ConditionSpec)


def web(replicas: int = 3) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}


@pytest.fixture
def client() -> LocalClient:
    client = LocalClient(Cluster(profile="fast", seed=1))
    client.create(web())
    return client


def check(client: LocalClient, spec, since: float = 0.0) -> tuple[bool, str]:
    return evaluate(CONDITION.validate_python(spec), client, since)


def test_shorthands_become_structured_conditions():
    assert CONDITION.validate_python("deployment/web available").available == "deployment/web"
    node = CONDITION.validate_python("node/worker-1 NotReady").node
    assert (node.name, node.ready) == ("worker-1", False)
    assert CONDITION.validate_python("default/pod/db-0 absent").describe() == "default/pod/db-0 absent"


@pytest.mark.parametrize(("spec", "message"), [
    ("deployment/web sleepy", 'expected "TARGET STATE" with STATE one of available'),
    ("pod/x NotReady", "NotReady applies to node/NAME"),
    ({"exists": "deployment/web", "absent": "pod/x"}, "give exactly one of exists, absent"),
    ({"field": {"target": "deployment/web", "path": "spec.replicas"}}, "give one of equals, atLeast"),
    ({"pods": {"selector": "app in ("}}, "selector:"),
    ({"exists": "widgets/x"}, 'unknown resource type "widgets"'),
    ({"event": {"reason": "Killing", "colour": "red"}}, "Extra inputs are not permitted"),
])
def test_bad_conditions_are_refused_with_the_reason(spec, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        CONDITION.validate_python(spec)


def test_state_conditions_follow_the_cluster(client):
    assert check(client, "deployment/web available") == (False, "deployment/web: 0/3 available (not Available yet)")
    client.cluster.advance(30)
    assert check(client, "deployment/web available") == (True, "deployment/web: 3/3 available")
    assert check(client, "deployment/web ready") == (True, "deployment/web: 3/3 ready")
    assert check(client, "service/web exists") == (False, "service/web does not exist")
    assert check(client, "deployment/web absent") == (False, "deployment/web still exists")


def test_field_pods_node_and_event_conditions_say_why_not(client):
    client.cluster.advance(30)
    field = {"field": {"target": "deployment/web", "path": "status.readyReplicas", "atLeast": 5}}
    assert check(client, field) == (False, "deployment/web status.readyReplicas is 3, want ≥ 5")
    image = {"field": {"target": "deployment/web", "path": "spec.template.spec.containers.0.image", "equals": "nginx"}}
    assert check(client, image)[0]
    pods = {"pods": {"selector": "app=web", "phase": "Running", "count": 3}}
    assert check(client, pods) == (True, "3 pods match (-l app=web Running = 3 wanted)")
    victim = client.list("pods", "default")[0]["spec"]["nodeName"]
    client.kill_node(victim)
    assert not check(client, f"node/{victim} NotReady")[0]
    client.cluster.advance(60)
    assert check(client, f"node/{victim} NotReady") == (True, f"node/{victim} NotReady")
    since = client.cluster.now
    assert check(client, {"event": {"reason": "NodeNotReady"}})[0]
    assert check(client, {"event": {"reason": "NodeNotReady"}}, since=since + 1) == (False, "no NodeNotReady event yet")
    assert check(client, {"all": ["deployment/web exists", {"not": f"node/{victim} Ready"}]})[0]
    assert check(client, {"any": ["service/web exists", "deployment/web absent"]}) == (
        False, "service/web does not exist; deployment/web still exists")
