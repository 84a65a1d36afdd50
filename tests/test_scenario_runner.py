"""Scenario timelines act on the cluster at their virtual times, through the Client."""

from kubetui.scenario.loader import load_scenario_text
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
