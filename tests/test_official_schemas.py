"""Every object the cluster writes — by users, controllers, kubelets — passes Kubernetes' official strict schemas."""

import kubernetes_validate

from kubetui.data import data_dir
from kubetui.engine.api import kinds
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start

VERSION = kubernetes_validate.latest_version()
RBAC = "rbac.authorization.k8s.io/v1"


def test_every_stored_object_passes_the_strict_schema():
    run = start(load_scenario(data_dir("scenarios") / "default.yaml"))
    client = run.client
    manifests = [
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
         "spec": {"selector": {"matchLabels": {"app": "agent"}},
                  "template": {"metadata": {"labels": {"app": "agent"}},
                               "spec": {"containers": [{"name": "a", "image": "busybox", "command": ["sleep", "1d"]}]}}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
         "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
             {"name": "pi", "image": "perl", "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(50)"]}]}}}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db"},
         "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                  "readinessProbe": {"tcpSocket": {"port": 5432}}, "ports": [{"containerPort": 5432}]}],
                  "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "public"},
         "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"}, "spec": {"hard": {"pods": "50"}}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
         "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 8,
                  "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                      "type": "Utilization", "averageUtilization": 50}}}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
                  "template": {"metadata": {"labels": {"app": "db"}},
                               "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "cache"},
         "spec": {"serviceName": "cache", "replicas": 1, "selector": {"matchLabels": {"app": "cache"}},
                  "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"},
                  "template": {"metadata": {"labels": {"app": "cache"}},
                               "spec": {"containers": [{"name": "redis", "image": "redis:7"}]}},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                      "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "policies"},
         "spec": {"completionMode": "Indexed", "completions": 3, "parallelism": 3, "backoffLimitPerIndex": 1,
                  "maxFailedIndexes": 1,
                  "podFailurePolicy": {"rules": [
                      {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
                      {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                  "successPolicy": {"rules": [{"succeededIndexes": "0-1", "succeededCount": 1}]},
                  "template": {"spec": {"restartPolicy": "Never", "containers": [
                      {"name": "main", "image": "busybox", "command": ["sh", "-c", "sleep 2; exit 1"]}]}}}},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "r"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "rb"},
         "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
         "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"}},
    ]
    for obj in manifests:
        client.apply(obj)
    client.advance(60)
    client.cluster.kill_node("worker-1")
    client.advance(60)
    checked = set()
    problems = []
    for kind in kinds.KINDS:
        items = client.list(kind.plural)
        for obj in items:
            try:
                kubernetes_validate.validate(obj, VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{kind.kind} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}: "
                                f"{exc.message} at {'.'.join(str(p) for p in exc.path)}")
        if items:
            checked.add(kind.kind)
    assert not problems, "\n".join(problems[:20])
    assert {"Pod", "Node", "Event", "Endpoints", "Lease", "ReplicaSet", "DaemonSet", "Job", "ControllerRevision",
            "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "ResourceQuota", "ClusterRole",
            "Ingress", "IngressClass", "ServiceAccount", "ConfigMap", "HorizontalPodAutoscaler", "StatefulSet",
            "RoleBinding"} <= checked
