"""`kubectl describe` text rendering, without Textual: pods, nodes, deployments, ReplicaSets, Services."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start
from kubetui.tui import describe_text as dt

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "default.yaml"


@pytest.fixture(scope="module")
def client():
    run = start(load_scenario(SCENARIO))
    run.client.advance(30)
    return run.client


def sections(text: str) -> list[str]:
    """The top-level keys of a description (lines starting in column 0)."""
    return [line.split(":", 1)[0] for line in text.splitlines() if line and not line[0].isspace()]


def test_pod_description_has_kubectl_sections(client):
    pod = client.list("pods", "default")[0]
    text = dt.describe(client, "pods", pod["metadata"]["name"], "default")
    for section in ("Name", "Namespace", "Priority", "Service Account", "Node", "Start Time", "Labels",
                    "Annotations", "Status", "IP", "IPs", "Controlled By", "Containers", "Conditions", "Volumes",
                    "QoS Class", "Node-Selectors", "Tolerations", "Events"):
        assert section in sections(text), section
    node = pod["spec"]["nodeName"]
    assert f"Node:            {node}/" in text
    assert "Controlled By:   ReplicaSet/web-" in text
    assert "    State:         Running" in text and "    Restart Count: 0" in text
    assert "      cpu:    100m" in text
    assert "node.kubernetes.io/not-ready:NoExecute op=Exists for 20s" in text
    events = text[text.index("Events:"):].splitlines()
    assert events[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert any("Scheduled" in line and "default-scheduler" in line and f"to {node}" in line for line in events)


def test_event_age_shows_repeat_count():
    ev = {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}, "type": "Warning", "reason": "BackOff",
          "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:04:00Z", "count": 5,
          "source": {"component": "kubelet"}, "message": "Back-off restarting failed container"}
    w = dt.Writer()
    dt.events_section(w, [ev], now=300.0)
    assert "60s (x5 over 5m)" in w.text() and "Warning" in w.text()
    w = dt.Writer()
    dt.events_section(w, [], now=0.0)
    assert w.text() == "Events:  <none>\n"


def test_node_description_has_lease_capacity_and_allocated(client):
    text = dt.describe(client, "nodes", "worker-1", None)
    for section in ("Name", "Roles", "Labels", "Taints", "Unschedulable", "Lease", "Conditions", "Addresses",
                    "Capacity", "Allocatable", "PodCIDR", "Non-terminated Pods", "Allocated resources", "Events"):
        assert section in sections(text), section
    assert "  HolderIdentity: worker-1" in text
    assert "Unschedulable:     false" in text
    on_node = client.list("pods", field_selector="spec.nodeName=worker-1")
    assert f"Non-terminated Pods: ({len(on_node)} in total)" in text
    assert f"  cpu       {len(on_node) * 100}m" in text
    assert "KubeletReady" in text


def test_control_plane_node_shows_taint_and_role(client):
    text = dt.describe(client, "nodes", "control-plane", None)
    assert "Roles:             control-plane" in text
    assert "node-role.kubernetes.io/control-plane:NoSchedule" in text


def test_deployment_description(client):
    text = dt.describe(client, "deployments", "web", "default")
    assert "Replicas:              6 desired | 6 updated | 6 total | 6 available | 0 unavailable" in text
    assert "StrategyType:          RollingUpdate" in text
    assert "RollingUpdateStrategy: 25% max unavailable, 25% max surge" in text
    template = text[text.index("Pod Template:"):text.index("Conditions:")]
    assert any(line.split() == ["Image:", "nginx:1.27"] for line in template.splitlines())
    assert "State:" not in template
    assert "OldReplicaSets: <none>" in text and "NewReplicaSet:  web-" in text and "(6/6 replicas created)" in text
    assert "ScalingReplicaSet" in text


def test_replicaset_and_service_descriptions(client):
    rs = client.list("replicasets", "default")[0]["metadata"]["name"]
    text = dt.describe(client, "rs", rs, "default")
    assert "Controlled By: Deployment/web" in text
    assert "Pods Status:   6 Running / 0 Waiting / 0 Succeeded / 0 Failed" in text
    assert "SuccessfulCreate" in text
    svc = dt.describe(client, "services", "web", "default")
    for line in ("Type:             ClusterIP", "Port:       http  80/TCP", "TargetPort: http/TCP",
                 "Session Affinity:        None"):
        assert line in svc
    assert "Endpoints:  10.244." in svc and "+ 3 more..." in svc


def test_service_nodeport_and_generic_fallback(client):
    client.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
                  "spec": {"type": "NodePort", "selector": {"app": "none"}, "ports": [{"port": 80}]}})
    client.advance(1)
    text = dt.describe(client, "svc", "np", "default")
    port = client.get("services", "np", "default")["spec"]["ports"][0]["nodePort"]
    assert f"NodePort:   <unset>  {port}/TCP" in text and "Endpoints:  <none>" in text
    generic = dt.describe(client, "ingresses", "web", "default")
    assert "Kind:        Ingress" in generic and "host: web.example.com" in generic
