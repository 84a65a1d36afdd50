"""Scenario timelines act on the cluster at their virtual times, through the Client."""

from kubetui.scenario.loader import load_scenario_text
from kubetui.scenario.runner import run_for, start

# Two workers and a deployment `web` of 2 replicas; a scenario adds its seed, manifests and timeline after.
CLUSTER = """
apiVersion: kubetui/v1
kind: Scenario
metadata: {name: t}
spec:
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
"""

SCENARIO = CLUSTER + """  seed: 4
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


WHEN = CLUSTER + """  seed: 2
  timeline:
    - {when: deployment/web available, action: scale, target: deployment/web, replicas: 3}
    - {when: "node/worker-1 NotReady", action: note, text: {en: worker-1 is gone, ko: worker-1 이 사라졌습니다}}
    - {when: {pods: {selector: app=web, count: 3}}, after: 10s, action: kill-node, target: worker-1}
    - {when: configmap/never exists, action: pause}
    - {at: 2s, action: set-speed, speed: 4}
"""


def test_when_entries_fire_once_when_their_condition_first_holds():
    run = start(load_scenario_text(WHEN, "w.yaml"))
    seen = []
    run.on_directive = seen.append
    run_for(run, None)
    client = run.client
    assert client.get("deployments", "web")["spec"]["replicas"] == 3  # fired once: not 3, then again
    assert not client.machine_powered("worker-1")
    log = "\n".join(run.log)
    assert "2s: set-speed: 4×" in log
    assert "when deployment/web available: scale deployment/web" in log
    scaled = next(line for line in run.log if "scale deployment/web" in line)
    killed = next(line for line in run.log if "kill-node worker-1" in line)
    assert "10s after pods -l app=web = 3: kill-node worker-1" in killed
    assert "when node/worker-1 NotReady: note: worker-1 is gone" in log
    assert run.log.index(scaled) < run.log.index(killed)
    assert log.endswith("never happened: when configmap/never exists: pause (w.yaml:23)")
    assert [d.action for d in seen] == ["set-speed", "note"]
    assert [d.action for _, d in run.directives] == ["set-speed", "note"]
    # The watch for conditions is background work: the run settled instead of polling for an hour.
    assert run.cluster.now < 600


def test_when_poll_stops_once_every_entry_fired():
    run = start(load_scenario_text(WHEN.replace("    - {when: configmap/never exists, action: pause}\n", ""), "w.yaml"))
    run_for(run, None)
    assert run.waiting == []
    assert not any(t.fn.__name__ == "_watch" for t in run.cluster.clock.pending(labelled_only=False))
    assert "never happened" not in "\n".join(run.log)


PARTITION = CLUSTER + """    - apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec: {selector: {app: web}, ports: [{port: 80}]}
  timeline:
    - {at: 10s, action: traffic, target: web, rate: 5}
    - {at: 20s, action: partition-node, target: worker-1}
    - {when: "node/worker-1 NotReady", after: 5s, action: heal-node, target: worker-1}
    - {at: 40s, action: traffic, stop: true, name: web}
"""


def test_partition_heal_and_traffic_actions():
    run = start(load_scenario_text(PARTITION, "p.yaml"))
    run_for(run, 30)
    assert run.cluster.machines["worker-1"].partitioned
    assert [s.name for s in run.client.traffic_streams()] == ["web"]
    run_for(run, None)
    assert not run.cluster.machines["worker-1"].partitioned
    assert run.client.traffic_streams() == []
    log = "\n".join(run.log)
    assert "10s: traffic web: web, 5 requests/s" in log
    assert "20s: partition-node worker-1" in log
    assert "5s after node/worker-1 NotReady: heal-node worker-1" in log
    assert "40s: traffic: stopped web" in log
