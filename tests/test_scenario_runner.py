"""Scenario timelines act on the cluster at their virtual times, through the Client."""

import pytest

from kubetui.scenario.loader import ScenarioError, load_scenario_text
from kubetui.scenario.runner import run_for, start

SCENARIO = """
apiVersion: kubetui/v1
kind: Scenario
metadata: {name: t}
spec:
  seed: 4
  nodes:
    - {namePrefix: worker, count: 2}
  manifests:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: "nginx:1.27"}]}
  timeline:
    - {at: 20s, action: scale, target: deployment/web, replicas: 4}
    - {at: 30s, action: kill-pod, target: web-}
    - {at: 40s, action: cordon, target: worker-1}
    - {at: 45s, action: crash-container, target: default/web-}
    - {at: 50s, action: add-node, target: worker-3}
    - {at: 55s, action: apply, manifest: {apiVersion: v1, kind: ConfigMap, metadata: {name: late}, data: {a: b}}}
    - {at: 60s, action: delete, target: configmap/late}
    - {at: 61s, action: kill-pod, target: nothing-like-this}
"""


def test_timeline_actions_happen_at_their_times():
    run = start(load_scenario_text(SCENARIO, "t.yaml"))
    client = run.client
    run_for(run, 19)
    assert client.get("deployments", "web")["spec"]["replicas"] == 2
    run_for(run, 2)
    assert client.get("deployments", "web")["spec"]["replicas"] == 4
    run_for(run, 50)
    assert client.get("nodes", "worker-1")["spec"]["unschedulable"] is True
    assert "worker-3" in {n["metadata"]["name"] for n in client.list("nodes")}
    assert client.list("configmaps", "default", field_selector="metadata.name=late") == []
    log = "\n".join(run.log)
    assert "30s: kill-pod web-: default/web-" in log
    assert "kill-pod nothing-like-this failed (t.yaml:" in log and "no pod matches" in log
    restarts = sum(cs.get("restartCount", 0) for p in client.list("pods", "default")
                   for cs in p["status"].get("containerStatuses", ()))
    assert restarts >= 1


WHEN = """
apiVersion: kubetui/v1
kind: Scenario
metadata: {name: when}
spec:
  manifests:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: nginx}]}
  timeline:
    - {when: deployment/web available, action: scale, target: deployment/web, replicas: 4}
    - {at: 20s, action: kill-node, target: worker-1}
    - {when: node/worker-1 NotReady, action: restart-node, target: worker-1}
    - {when: deployment/nope available, action: delete, target: deployment/web}
"""


def test_when_entries_fire_once_the_first_time_their_condition_holds():
    run = start(load_scenario_text(WHEN, "when.yaml"))
    run_for(run, None)
    first = next(line for line in run.log if "when deployment/web available" in line)
    assert first.endswith(": when deployment/web available: scale deployment/web")
    assert int(first.split("s:")[0]) <= 5
    assert run.client.get("deployments", "web", "default")["spec"]["replicas"] == 4
    restart = next(line for line in run.log if "restart-node" in line)
    assert restart.endswith("when node/worker-1 NotReady: restart-node worker-1")
    assert run.log[-1] == "never happened: when deployment/nope available"
    assert sum("scale" in line for line in run.log) == 1


def test_at_or_when_is_required():
    bad = WHEN.replace("- {at: 20s, action: kill-node", "- {action: kill-node")
    with pytest.raises(ScenarioError, match="give either at \\(a time\\) or when \\(a condition\\)"):
        load_scenario_text(bad, "when.yaml")
