"""Server-side defaulting as kube-apiserver applies it (SetDefaults_* plus defaulting admission plugins)."""

from __future__ import annotations

import base64
import re

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"

# Built-in PriorityClasses (scheduling.k8s.io); a pod naming none gets 0 (there is no globalDefault class).
_PRIORITY_CLASSES = {"": 0, "system-node-critical": 2000001000, "system-cluster-critical": 2000000000}

# distribution/reference's grammar, which parsers.ParseImageName applies.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IMAGE_RE = re.compile(
    rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?P<digest>@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?")


def image_pull_policy(image: str) -> str:
    """The default imagePullPolicy: Always for a `:latest` image (an untagged, undigested reference
    means latest), IfNotPresent otherwise, including digests and references that do not parse."""
    m = _IMAGE_RE.fullmatch(image)
    if m is None:
        return "IfNotPresent"
    tag = m.group("tag") or ("" if m.group("digest") else "latest")
    return "Always" if tag == "latest" else "IfNotPresent"


def apply_defaults(kind: str, obj: dict) -> None:
    """Default `obj` (a copy the caller owns) in place, as kube-apiserver does on create and update."""
    defaulter = _DEFAULTERS.get(kind)
    if defaulter is not None:
        defaulter(obj)


def add_default_tolerations(pod_spec: dict, seconds: int = 300) -> None:
    """The DefaultTolerationSeconds admission plugin: tolerate not-ready and unreachable nodes for
    `seconds` unless the pod already tolerates those NoExecute taints."""
    tolerations = pod_spec.get("tolerations") or []
    not_ready = unreachable = False
    for t in tolerations:
        if t.get("effect", "") not in ("", "NoExecute"):
            continue
        key = t.get("key", "")
        not_ready = not_ready or key in ("", NOT_READY_TAINT)
        unreachable = unreachable or key in ("", UNREACHABLE_TAINT)
    added = [{"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
             for key, tolerated in ((NOT_READY_TAINT, not_ready), (UNREACHABLE_TAINT, unreachable))
             if not tolerated]
    if added:
        pod_spec["tolerations"] = [*tolerations, *added]


def generate_job_selector(job: dict) -> None:
    """The Job strategy's generated selector: label the template with the job's name and uid and
    select on the uid (needs metadata.uid; skipped when spec.manualSelector is true)."""
    meta = job["metadata"]
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
    for key in ("job-name", "batch.kubernetes.io/job-name"):
        labels.setdefault(key, meta.get("name", ""))
    for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
        labels.setdefault(key, meta["uid"])
    selector = spec.get("selector")
    if selector is None:
        selector = spec["selector"] = {}
    selector.setdefault("matchLabels", {}).setdefault("batch.kubernetes.io/controller-uid", meta["uid"])


# -- pods -----------------------------------------------------------------------------------------


def _pod(pod: dict) -> None:
    spec = pod.setdefault("spec", {})
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or ():
            resources = c.get("resources")
            limits = resources.get("limits") if resources else None
            if limits:
                requests = resources.get("requests")
                if requests is None:
                    requests = resources["requests"] = {}
                for name, value in limits.items():
                    requests.setdefault(name, value)
            if spec.get("hostNetwork"):
                for port in c.get("ports") or ():
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort", 0)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    # ServiceAccount admission.
    if not spec.get("serviceAccountName") and not spec.get("serviceAccount"):
        spec["serviceAccountName"] = "default"
    # Priority admission.
    priority = _PRIORITY_CLASSES.get(spec.get("priorityClassName", ""))
    if spec.get("priority") is None and priority is not None:
        spec["priority"] = priority
    if spec.get("preemptionPolicy") is None:
        spec["preemptionPolicy"] = "PreemptLowerPriority"
    _pod_spec(spec)


def _pod_spec(spec: dict) -> None:
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    # v1 conversion keeps the deprecated serviceAccount field in step with serviceAccountName.
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        spec["serviceAccountName"] = spec["serviceAccount"] = account
    for volume in spec.get("volumes") or ():
        _volume(volume)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or ():
            _container(c)


def _template(spec: dict) -> None:
    template = spec.get("template")
    if template is None:
        template = spec["template"] = {}
    tspec = template.get("spec")
    if tspec is None:
        tspec = template["spec"] = {}
    _pod_spec(tspec)


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _container(c: dict) -> None:
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = image_pull_policy(c.get("image", ""))
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in c.get("ports") or ():
        if not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in c.get("env") or ():
        value_from = env.get("valueFrom")
        if value_from:
            _field_ref(value_from.get("fieldRef"))
    for key in _PROBES:
        probe = c.get(key)
        if probe is not None:
            for name, default in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                                  ("failureThreshold", 3)):
                if not probe.get(name):
                    probe[name] = default
            _http_get(probe.get("httpGet"))
    lifecycle = c.get("lifecycle")
    if lifecycle:
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if handler:
                _http_get(handler.get("httpGet"))


def _http_get(action: dict | None) -> None:
    if action is not None:
        if not action.get("path"):
            action["path"] = "/"
        if not action.get("scheme"):
            action["scheme"] = "HTTP"


def _field_ref(ref: dict | None) -> None:
    if ref is not None and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


_MODE_0644 = 420


def _volume(v: dict) -> None:
    if all(key == "name" for key in v):
        v["emptyDir"] = {}
        return
    host_path = v.get("hostPath")
    if host_path is not None and host_path.get("type") is None:
        host_path["type"] = ""
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = v.get(key)
        if source is not None and source.get("defaultMode") is None:
            source["defaultMode"] = _MODE_0644
    downward = v.get("downwardAPI")
    if downward:
        for item in downward.get("items") or ():
            _field_ref(item.get("fieldRef"))
    projected = v.get("projected")
    if projected:
        for source in projected.get("sources") or ():
            if source.get("downwardAPI"):
                for item in source["downwardAPI"].get("items") or ():
                    _field_ref(item.get("fieldRef"))
            token = source.get("serviceAccountToken")
            if token is not None and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = 3600
    ephemeral = v.get("ephemeral")
    if ephemeral and ephemeral.get("volumeClaimTemplate"):
        _claim_spec(ephemeral["volumeClaimTemplate"].setdefault("spec", {}))
    image = v.get("image")
    if image is not None and not image.get("pullPolicy"):
        image["pullPolicy"] = image_pull_policy(image.get("reference", ""))


def _claim_spec(spec: dict) -> None:
    if spec.get("volumeMode") is None:
        spec["volumeMode"] = "Filesystem"


# -- workloads ------------------------------------------------------------------------------------


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    if spec is None:
        spec = obj["spec"] = {}
    return spec


def _set(d: dict, key: str, value: object) -> dict:
    """d[key] if it is set (not None), else `value`, stored."""
    current = d.get(key)
    if current is None:
        d[key] = current = value
    return current


def _deployment(obj: dict) -> None:
    spec = _spec(obj)
    _set(spec, "replicas", 1)
    strategy = _set(spec, "strategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _set(strategy, "rollingUpdate", {})
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    _template(spec)


def _replica_set(obj: dict) -> None:
    spec = _spec(obj)
    _set(spec, "replicas", 1)
    _template(spec)


def _replication_controller(obj: dict) -> None:
    spec = _spec(obj)
    _set(spec, "replicas", 1)
    template = spec.get("template")
    if template is None:
        return
    labels = (template.get("metadata") or {}).get("labels")
    if labels is not None:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = obj.setdefault("metadata", {})
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _template(spec)


def _stateful_set(obj: dict) -> None:
    spec = _spec(obj)
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = _set(spec, "updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _set(strategy, "rollingUpdate", {})
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and rolling is not None:
        _set(rolling, "partition", 0)
    retention = _set(spec, "persistentVolumeClaimRetentionPolicy", {})
    for key in ("whenDeleted", "whenScaled"):
        if not retention.get(key):
            retention[key] = "Retain"
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _template(spec)
    for claim in spec.get("volumeClaimTemplates") or ():
        _claim_spec(_spec(claim))
        _set(_set(claim, "status", {}), "phase", "Pending")


def _daemon_set(obj: dict) -> None:
    spec = _spec(obj)
    strategy = _set(spec, "updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _set(strategy, "rollingUpdate", {})
        _set(rolling, "maxUnavailable", 1)
        _set(rolling, "maxSurge", 0)
    _set(spec, "revisionHistoryLimit", 10)
    _template(spec)


def _job(obj: dict) -> None:
    spec = _spec(obj)
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    _set(spec, "backoffLimit", 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6)
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(spec, "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed")
    _set(spec, "manualSelector", False)
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or ():
        for pattern in rule.get("onPodConditions") or ():
            if not pattern.get("status"):
                pattern["status"] = "True"
    _template(spec)
    meta = obj.setdefault("metadata", {})
    if meta.get("uid") and spec.get("selector") is None:
        generate_job_selector(obj)
    template_labels = (spec["template"].get("metadata") or {}).get("labels")
    if template_labels is not None and not meta.get("labels"):
        # The same map, as after Go's conversion. kube-apiserver defaults again whenever it reads a
        # Job back, so a Job whose template had no labels shows the generated ones too.
        meta["labels"] = template_labels


# -- services and networking ----------------------------------------------------------------------


def _service(obj: dict) -> None:
    spec = _spec(obj)
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        client_ip = (spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    stype = spec["type"]
    for port in spec.get("ports") or ():
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port", 0)
    externally_accessible = stype in ("LoadBalancer", "NodePort") or (
        stype == "ClusterIP" and bool(spec.get("externalIPs")))
    if externally_accessible and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and stype in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if stype == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
    if stype != "ExternalName":
        # The Service REST storage's IP family defaulting on a single-stack IPv4 cluster; headless
        # services without a selector are dual-stack whatever the cluster is (kubernetes#99555).
        if spec.get("clusterIP") == "None" and not spec.get("selector"):
            _set(spec, "ipFamilyPolicy", "RequireDualStack")
            if not spec.get("ipFamilies"):
                spec["ipFamilies"] = ["IPv4", "IPv6"]
        else:
            _set(spec, "ipFamilyPolicy", "SingleStack")
            if not spec.get("ipFamilies"):
                spec["ipFamilies"] = ["IPv4"]


def _endpoints(obj: dict) -> None:
    for subset in obj.get("subsets") or ():
        for port in subset.get("ports") or ():
            if not port.get("protocol"):
                port["protocol"] = "TCP"


def _ingress_class(obj: dict) -> None:
    parameters = _spec(obj).get("parameters")
    if parameters is not None and parameters.get("scope") is None:
        parameters["scope"] = "Cluster"


def _horizontal_pod_autoscaler(obj: dict) -> None:
    spec = _spec(obj)
    _set(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    behavior = spec.get("behavior")
    if behavior is not None:
        _scaling_rules(_set(behavior, "scaleUp", {}), 0,
                       [{"type": "Pods", "value": 4, "periodSeconds": 15},
                        {"type": "Percent", "value": 100, "periodSeconds": 15}])
        # No scale-down window: the controller's --horizontal-pod-autoscaler-downscale-stabilization applies.
        _scaling_rules(_set(behavior, "scaleDown", {}), None,
                       [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _scaling_rules(rules: dict, window: int | None, policies: list[dict]) -> None:
    if window is not None:
        _set(rules, "stabilizationWindowSeconds", window)
    _set(rules, "selectPolicy", "Max")
    if not rules.get("policies"):
        rules["policies"] = policies


# -- cluster and configuration objects -------------------------------------------------------------


def _namespace(obj: dict) -> None:
    meta = obj.setdefault("metadata", {})
    if meta.get("name"):
        meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta["name"]}
    spec = _spec(obj)
    # The namespace strategy requires the kubernetes finalizer at creation; later the namespace
    # controller removes it through /finalize, leaving an empty (not missing) list.
    if spec.get("finalizers") is None:
        spec["finalizers"] = ["kubernetes"]
    status = _set(obj, "status", {})
    if not status.get("phase"):
        status["phase"] = "Active"


def _node(obj: dict) -> None:
    status = obj.get("status")
    if status and status.get("allocatable") is None and status.get("capacity") is not None:
        status["allocatable"] = dict(status["capacity"])


def _secret(obj: dict) -> None:
    if not obj.get("type"):
        obj["type"] = "Opaque"
    # The v1 → internal conversion folds stringData into data.
    string_data = obj.pop("stringData", None)
    if string_data:
        data = _set(obj, "data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(value.encode()).decode()


def _persistent_volume_claim(obj: dict) -> None:
    _claim_spec(_spec(obj))


def _persistent_volume(obj: dict) -> None:
    spec = _spec(obj)
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    _set(spec, "volumeMode", "Filesystem")
    host_path = spec.get("hostPath")
    if host_path is not None and host_path.get("type") is None:
        host_path["type"] = ""


def _limit_range(obj: dict) -> None:
    for item in _spec(obj).get("limits") or ():
        if item.get("type") != "Container":
            continue
        default = _set(item, "default", {})
        default_request = _set(item, "defaultRequest", {})
        for name, value in (item.get("max") or {}).items():
            default.setdefault(name, value)
        for name, value in default.items():
            default_request.setdefault(name, value)
        for name, value in (item.get("min") or {}).items():
            default_request.setdefault(name, value)


def _storage_class(obj: dict) -> None:
    _set(obj, "reclaimPolicy", "Delete")
    _set(obj, "volumeBindingMode", "Immediate")


_DEFAULTERS = {
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "ReplicationController": _replication_controller,
    "StatefulSet": _stateful_set,
    "DaemonSet": _daemon_set,
    "Job": _job,
    "Service": _service,
    "Endpoints": _endpoints,
    "IngressClass": _ingress_class,
    "HorizontalPodAutoscaler": _horizontal_pod_autoscaler,
    "Namespace": _namespace,
    "Node": _node,
    "Secret": _secret,
    "PersistentVolumeClaim": _persistent_volume_claim,
    "PersistentVolume": _persistent_volume,
    "LimitRange": _limit_range,
    "StorageClass": _storage_class,
}
