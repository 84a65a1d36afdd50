"""Semantic validation of API objects with kube-apiserver's field paths and messages (422 Invalid)."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from fractions import Fraction

from .. import quantity
from . import decode, kinds, selectors
from .errors import ApiError, FieldError, duplicate, forbidden, invalid, required, unsupported
from .names import (
    SUBDOMAIN_FMT,
    config_map_key,
    dns1035_label,
    dns1123_label,
    dns1123_subdomain,
    label_value,
    max_len_error,
    port_name,
    qualified_name,
    range_error,
    regex_error,
)

_PERCENT_FMT = "[0-9]+%"
_WILDCARD_FMT = "\\*\\." + SUBDOMAIN_FMT
_PERCENT_RE = re.compile(_PERCENT_FMT)
_WILDCARD_RE = re.compile(_WILDCARD_FMT)
_HTTP_PATH_RE = re.compile(r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+")
_PERCENT_MSG = regex_error("a valid percent string must be a numeric string followed by an ending '%'",
                            _PERCENT_FMT, "1%", "93%")
_WILDCARD_MSG = regex_error("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
                             "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
                             "alphanumeric character", _WILDCARD_FMT, "*.example.com")
_ENV_NAME_MSG = "a valid environment variable name must consist only of printable ASCII characters other than '='"
_NEGATIVE = "must be greater than or equal to 0"
_IMMUTABLE = "field is immutable"

Errors = list[FieldError]


# -- Go-style values --------------------------------------------------------------------------------


class _GoValue:
    """A value printed the way field.Error prints a Go struct, map or slice (`%#v`)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"_GoValue({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _GoValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _q(text: object) -> str:
    return json.dumps(str(text), ensure_ascii=False)


def _go_strings(values: list | None) -> _GoValue:
    if values is None:
        return _GoValue("[]string(nil)")
    return _GoValue("[]string{" + ", ".join(_q(v) for v in values) + "}")


def _go_map(labels: dict | None) -> _GoValue:
    if labels is None:
        return _GoValue("map[string]string(nil)")
    return _GoValue("map[string]string{" + ", ".join(f"{_q(k)}:{_q(v)}" for k, v in sorted(labels.items())) + "}")


def _go_label_selector(sel: dict | None) -> _GoValue:
    sel = sel or {}
    exprs = sel.get("matchExpressions")
    if exprs is None:
        rendered = "[]v1.LabelSelectorRequirement(nil)"
    else:
        rendered = "[]v1.LabelSelectorRequirement{" + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{_q(e.get('key', ''))}, Operator:{_q(e.get('operator', ''))}, "
            f"Values:{_go_strings(e.get('values'))}}}" for e in exprs) + "}"
    return _GoValue(f"v1.LabelSelector{{MatchLabels:{_go_map(sel.get('matchLabels'))}, MatchExpressions:{rendered}}}")


def _go_int_or_string(value: object) -> _GoValue:
    if isinstance(value, str):
        return _GoValue(f"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{_q(value)}}}")
    return _GoValue(f"intstr.IntOrString{{Type:0, IntVal:{value or 0}, StrVal:\"\"}}")


def _go_strategy(type_name: str, strategy: dict, rolling_type: str) -> _GoValue:
    rolling = "nil" if strategy.get("rollingUpdate") is None else "0xc000010000"
    return _GoValue(f"apps.{type_name}{{Type:{_q(strategy.get('type', ''))}, "
                   f"RollingUpdate:(*apps.{rolling_type})({rolling})}}")


def _not_found(path: str, value: object) -> FieldError:
    return FieldError(path, "Not found", "", value, True)


def _too_long(path: str, limit: int) -> FieldError:
    return FieldError(path, "Too long", f"may not be more than {limit} bytes")


def _port_number(value: object) -> tuple[str, ...]:
    return () if isinstance(value, int) and 1 <= value <= 65535 else (range_error(1, 65535),)


def _masked(prefix: str) -> str:
    # A generateName may end in '-' (random characters follow); apimachinery masks it before checking.
    return prefix[:-1] + "a" if prefix.endswith("-") else prefix


def _check(errs: Errors, path: str, value: str, messages: tuple[str, ...]) -> None:
    for msg in messages:
        errs.append(invalid(path, value, msg))


def _nonnegative(errs: Errors, path: str, value: object) -> None:
    if isinstance(value, int) and value < 0:
        errs.append(invalid(path, value, _NEGATIVE))


def _one_of(errs: Errors, path: str, value: object, allowed: tuple[str, ...]) -> None:
    """Required when empty, NotSupported when not in `allowed`."""
    if not value:
        errs.append(required(path))
    elif value not in allowed:
        errs.append(unsupported(path, value, list(allowed)))


def _labels(errs: Errors, path: str, labels: dict | None) -> None:
    for key, value in (labels or {}).items():
        _check(errs, path, key, qualified_name(key))
        if isinstance(value, str):
            _check(errs, path, value, label_value(value))


def _annotations(errs: Errors, path: str, annotations: dict | None) -> None:
    if not annotations:
        return
    size = 0
    for key, value in annotations.items():
        _check(errs, path, key, qualified_name(key.lower()))
        size += len(key) + len(value if isinstance(value, str) else "")
    if size > 256 * 1024:
        errs.append(_too_long(path, 256 * 1024))


# -- quantities -------------------------------------------------------------------------------------------


def _quantity(errs: Errors, path: str, value: object) -> tuple[Fraction, str] | None:
    """The parsed value and canonical text of a quantity, or None after recording why it is invalid."""
    try:
        text = value if isinstance(value, str) else str(value)
        return quantity.parse_quantity(value), decode.canonical_quantity(text)
    except ValueError as e:
        errs.append(invalid(path, value, str(e)))
        return None


_INTEGER_RESOURCES = frozenset({"pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
                                "configmaps", "persistentvolumeclaims", "services.nodeports",
                                "services.loadbalancers"})
_STANDARD_CONTAINER = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_QUOTA = frozenset({"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                             "requests.ephemeral-storage", "requests.storage", "limits.cpu", "limits.memory",
                             "limits.ephemeral-storage", "pods", "services", "replicationcontrollers",
                             "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
                             "services.nodeports", "services.loadbalancers"})
_STANDARD = _STANDARD_QUOTA | {"storage"}


def _native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _overcommittable(name: str) -> bool:
    return _native(name) and not name.startswith("hugepages-")


def _resource_value(errs: Errors, path: str, name: str, value: object) -> Fraction | None:
    """ValidateResourceQuantityValue; returns the parsed value."""
    parsed = _quantity(errs, path, value)
    if parsed is None:
        return None
    number, text = parsed
    if number < 0:
        errs.append(invalid(path, text, _NEGATIVE))
    extended = not _native(name) and not name.startswith("requests.")
    if (name in _INTEGER_RESOURCES or extended) and number.denominator != 1:
        errs.append(invalid(path, text, "must be an integer"))
    return number


def _resource_name(errs: Errors, path: str, name: str, standard: frozenset[str], message: str) -> None:
    problems = qualified_name(name)
    if problems:
        _check(errs, path, name, problems)
        return
    if "/" not in name:
        if name not in _STANDARD and not name.startswith(("hugepages-", "requests.hugepages-")):
            errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        hugepages = ("hugepages-",) if standard is _STANDARD_CONTAINER else ("hugepages-", "requests.hugepages-")
        if name not in standard and not name.startswith(hugepages):
            errs.append(invalid(path, name, message))


def _resources(errs: Errors, path: str, resources: dict | None) -> None:
    """ValidateContainerResourceRequirements."""
    if not resources:
        return
    limits = resources.get("limits") or {}
    parsed_limits = {}
    for name, value in limits.items():
        rpath = f"{path}.limits[{name}]"
        _resource_name(errs, rpath, name, _STANDARD_CONTAINER, "must be a standard resource for containers")
        parsed_limits[name] = _resource_value(errs, rpath, name, value)
    for name, value in (resources.get("requests") or {}).items():
        rpath = f"{path}.requests[{name}]"
        _resource_name(errs, rpath, name, _STANDARD_CONTAINER, "must be a standard resource for containers")
        number = _resource_value(errs, rpath, name, value)
        limit = parsed_limits.get(name)
        if name in limits:
            if number is None or limit is None:
                continue
            request_text = decode.canonical_quantity(str(value))
            limit_text = decode.canonical_quantity(str(limits[name]))
            if number != limit and not _overcommittable(name):
                errs.append(invalid(f"{path}.requests", request_text, f"must be equal to {name} limit of {limit_text}"))
            elif number > limit:
                errs.append(invalid(f"{path}.requests", request_text,
                                    f"must be less than or equal to {name} limit of {limit_text}"))
        elif not _overcommittable(name):
            errs.append(required(f"{path}.limits", "Limit must be set for non overcommitable resources"))


# -- object metadata ---------------------------------------------------------------------------------------

_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def _object_meta(errs: Errors, meta: dict, namespaced: bool, name_rule) -> None:
    generate_name = meta.get("generateName")
    if generate_name:
        _check(errs, "metadata.generateName", generate_name, name_rule(_masked(generate_name)))
    name = meta.get("name")
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        _check(errs, "metadata.name", name, name_rule(name))
    namespace = meta.get("namespace")
    if namespaced:
        if not namespace:
            errs.append(required("metadata.namespace"))
        else:
            _check(errs, "metadata.namespace", namespace, dns1123_label(namespace))
    elif namespace:
        errs.append(forbidden("metadata.namespace", "not allowed on this type"))
    _nonnegative(errs, "metadata.generation", meta.get("generation"))
    _labels(errs, "metadata.labels", meta.get("labels"))
    _annotations(errs, "metadata.annotations", meta.get("annotations"))
    _owner_references(errs, meta.get("ownerReferences"))
    finalizers = meta.get("finalizers") or ()
    for finalizer in finalizers:
        _check(errs, "metadata.finalizers", finalizer, qualified_name(finalizer))
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        errs.append(invalid("metadata.finalizers", _go_strings(list(finalizers)),
                            "finalizer orphan and foregroundDeletion cannot be both set"))
    for i, finalizer in enumerate(finalizers):
        if "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
            errs.append(invalid(f"metadata.finalizers[{i}]", finalizer,
                                "name is neither a standard finalizer name nor is it fully qualified"))


def _owner_references(errs: Errors, refs: list | None) -> None:
    controllers = []
    for i, ref in enumerate(refs or ()):
        path = f"metadata.ownerReferences[{i}]"
        api_version = ref.get("apiVersion", "")
        if not api_version.rpartition("/")[2]:
            errs.append(invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        for key in ("kind", "name", "uid"):
            if not ref.get(key):
                errs.append(invalid(f"{path}.{key}", ref.get(key, ""), f"{key} must not be empty"))
        if ref.get("controller"):
            controllers.append(f"{ref.get('kind', '')}/{ref.get('name', '')}")
    if len(controllers) > 1:
        errs.append(invalid("metadata.ownerReferences", _GoValue("[]v1.OwnerReference{...}"),
                            "Only one reference can have Controller set to true. Found \"true\" in references for "
                            + " and ".join(controllers)))


def _object_meta_update(errs: Errors, meta: dict, old: dict) -> None:
    for key in ("name", "namespace"):
        if meta.get(key, "") != old.get(key, ""):
            errs.append(invalid(f"metadata.{key}", meta.get(key, ""), _IMMUTABLE))
    if (meta.get("generation") or 0) < (old.get("generation") or 0):
        errs.append(invalid("metadata.generation", meta.get("generation") or 0, "must not be decremented"))
    if old.get("deletionTimestamp"):
        existing = set(old.get("finalizers") or ())
        for finalizer in meta.get("finalizers") or ():
            if finalizer not in existing:
                errs.append(forbidden("metadata.finalizers",
                                      f"no new finalizers can be added if the object is being deleted, "
                                      f"found new finalizers []string{{{_q(finalizer)}}}"))
                break


# -- pods ----------------------------------------------------------------------------------------------------

_PROTOCOLS = ("SCTP", "TCP", "UDP")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# The pod fields ConvertDownwardAPIFieldLabel knows, and the subset env vars may use.
_CONVERTIBLE_FIELD_PATHS = frozenset({"metadata.annotations", "metadata.labels", "metadata.name",
                                      "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.restartPolicy",
                                      "spec.serviceAccountName", "spec.schedulerName", "status.phase",
                                      "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"})
_ENV_FIELD_PATHS_SUPPORTED = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                              "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                              "status.podIPs")
_RESOURCE_FIELD_PATHS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                         "requests.ephemeral-storage", "requests.memory")
# The volume sources in the order ValidateVolumes checks them, with the path it reports for each.
_VOLUME_SOURCES = (("emptyDir", "emptyDir"), ("hostPath", "hostPath"), ("gitRepo", "gitRepo"),
                   ("gcePersistentDisk", "gcePersistentDisk"), ("awsElasticBlockStore", "awsElasticBlockStore"),
                   ("secret", "secret"), ("nfs", "nfs"), ("iscsi", "iscsi"), ("glusterfs", "glusterfs"),
                   ("flocker", "flocker"), ("persistentVolumeClaim", "persistentVolumeClaim"), ("rbd", "rbd"),
                   ("cinder", "cinder"), ("cephfs", "cephFS"), ("quobyte", "quobyte"),
                   ("downwardAPI", "downwarAPI"), ("fc", "fc"), ("flexVolume", "flexVolume"),
                   ("configMap", "configMap"), ("azureFile", "azureFile"), ("vsphereVolume", "vsphereVolume"),
                   ("photonPersistentDisk", "photonPersistentDisk"), ("portworxVolume", "portworxVolume"),
                   ("azureDisk", "azureDisk"), ("storageos", "storageos"), ("projected", "projected"),
                   ("scaleIO", "scaleIO"), ("csi", "csi"), ("ephemeral", "ephemeral"), ("image", "image"))
_FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"

_UPDATABLE_POD_FIELDS = ("`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                        "`spec.tolerations` (only additions to existing tolerations),"
                        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")


def _volumes(errs: Errors, path: str, volumes: list | None) -> dict[str, dict]:
    """ValidateVolumes; returns the valid volumes by name (mounts may only refer to those)."""
    valid: dict[str, dict] = {}
    for i, vol in enumerate(volumes or ()):
        vpath = f"{path}[{i}]"
        found = len(errs)
        _volume_source(errs, vpath, vol)
        name = vol.get("name", "")
        if not name:
            errs.append(required(f"{vpath}.name"))
        else:
            _check(errs, f"{vpath}.name", name, dns1123_label(name))
        if name in valid:
            errs.append(duplicate(f"{vpath}.name", name))
        if len(errs) == found:
            valid[name] = vol
    return valid


def _volume_source(errs: Errors, path: str, vol: dict) -> None:
    count = 0
    for key, reported in _VOLUME_SOURCES:
        source = vol.get(key)
        if source is None:
            continue
        if count:
            errs.append(forbidden(f"{path}.{reported}", "may not specify more than 1 volume type"))
            continue
        count += 1
        spath = f"{path}.{key}"
        if key == "hostPath" and not source.get("path"):
            errs.append(required(f"{spath}.path"))
        elif key == "secret" and not source.get("secretName"):
            errs.append(required(f"{spath}.secretName"))
        elif key == "configMap" and not source.get("name"):
            errs.append(required(f"{spath}.name"))
        elif key == "persistentVolumeClaim" and not source.get("claimName"):
            errs.append(required(f"{spath}.claimName"))
        elif key == "emptyDir" and source.get("sizeLimit") is not None:
            parsed = _quantity(errs, f"{spath}.sizeLimit", source["sizeLimit"])
            if parsed is not None and parsed[0] < 0:
                errs.append(forbidden(f"{spath}.sizeLimit", "SizeLimit field must be a valid resource quantity"))
        mode = source.get("defaultMode") if isinstance(source, dict) else None
        if mode is not None and not 0 <= mode <= 0o777:
            errs.append(invalid(f"{spath}.defaultMode", mode, _FILE_MODE_MSG))
    if count == 0:
        errs.append(required(path, "must specify a volume type"))


def _container_ports(errs: Errors, path: str, ports: list | None) -> None:
    names: set[str] = set()
    for i, port in enumerate(ports or ()):
        ppath = f"{path}[{i}]"
        name = port.get("name")
        if name:
            problems = port_name(name)
            if problems:
                _check(errs, f"{ppath}.name", name, problems)
            elif name in names:
                errs.append(duplicate(f"{ppath}.name", name))
            else:
                names.add(name)
        container_port = port.get("containerPort")
        if not container_port:
            errs.append(required(f"{ppath}.containerPort"))
        else:
            _check(errs, f"{ppath}.containerPort", container_port, _port_number(container_port))
        host_port = port.get("hostPort")
        if host_port:
            _check(errs, f"{ppath}.hostPort", host_port, _port_number(host_port))
        _one_of(errs, f"{ppath}.protocol", port.get("protocol"), _PROTOCOLS)


def _env(errs: Errors, path: str, env: list | None) -> None:
    for i, var in enumerate(env or ()):
        epath = f"{path}[{i}]"
        name = var.get("name", "")
        if not name:
            errs.append(required(f"{epath}.name"))
        elif any(not " " <= c <= "~" or c == "=" for c in name):
            errs.append(invalid(f"{epath}.name", name, _ENV_NAME_MSG))
        value_from = var.get("valueFrom")
        if value_from is None:
            continue
        vpath = f"{epath}.valueFrom"
        sources = 0
        ref = value_from.get("fieldRef")
        if ref is not None:
            sources += 1
            _field_ref(errs, f"{vpath}.fieldRef", ref)
        ref = value_from.get("resourceFieldRef")
        if ref is not None:
            sources += 1
            resource = ref.get("resource", "")
            if not resource:
                errs.append(required(f"{vpath}.resourceFieldRef.resource"))
            elif resource not in _RESOURCE_FIELD_PATHS and not resource.startswith(("requests.hugepages-",
                                                                                    "limits.hugepages-")):
                errs.append(unsupported(f"{vpath}.resourceFieldRef.resource", resource, list(_RESOURCE_FIELD_PATHS)))
        for key in ("configMapKeyRef", "secretKeyRef"):
            ref = value_from.get(key)
            if ref is not None:
                sources += 1
                _key_selector(errs, f"{vpath}.{key}", ref)
        if sources == 0:
            errs.append(invalid(vpath, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                           "`configMapKeyRef` or `secretKeyRef`"))
        elif var.get("value"):
            errs.append(invalid(vpath, "", "may not be specified when `value` is not empty"))
        elif sources > 1:
            errs.append(invalid(vpath, "", "may not have more than one field specified at a time"))


def _field_ref(errs: Errors, path: str, ref: dict) -> None:
    if not ref.get("apiVersion"):
        errs.append(required(f"{path}.apiVersion"))
        return
    field_path = ref.get("fieldPath", "")
    if not field_path:
        errs.append(required(f"{path}.fieldPath"))
        return
    base, bracket, subscript = field_path.partition("[")
    if ref["apiVersion"] != "v1":
        errs.append(invalid(f"{path}.fieldPath", field_path,
                            f"error converting fieldPath: unsupported pod version: {ref['apiVersion']}"))
    elif bracket and base in ("metadata.annotations", "metadata.labels") and subscript.endswith("]"):
        key = subscript[1:-2] if subscript.startswith("'") else subscript[:-1]
        _check(errs, path, key, qualified_name(key.lower() if base == "metadata.annotations" else key))
    elif field_path not in _CONVERTIBLE_FIELD_PATHS:
        errs.append(invalid(f"{path}.fieldPath", field_path,
                            f"error converting fieldPath: field label not supported: {field_path}"))
    elif field_path not in _ENV_FIELD_PATHS_SUPPORTED:
        errs.append(unsupported(f"{path}.fieldPath", field_path, list(_ENV_FIELD_PATHS_SUPPORTED)))


def _key_selector(errs: Errors, path: str, ref: dict) -> None:
    _check(errs, f"{path}.name", ref.get("name", ""), dns1123_subdomain(ref.get("name", "")))
    key = ref.get("key", "")
    if not key:
        errs.append(required(f"{path}.key"))
    else:
        _check(errs, f"{path}.key", key, config_map_key(key))


def _env_from(errs: Errors, path: str, sources: list | None) -> None:
    for i, source in enumerate(sources or ()):
        spath = f"{path}[{i}]"
        prefix = source.get("prefix")
        if prefix and any(not " " <= c <= "~" or c == "=" for c in prefix):
            errs.append(invalid(f"{spath}.prefix", prefix, _ENV_NAME_MSG))
        count = 0
        for key in ("configMapRef", "secretRef"):
            ref = source.get(key)
            if ref is not None:
                count += 1
                name = ref.get("name", "")
                if not name:
                    errs.append(required(f"{spath}.{key}.name"))
                else:
                    _check(errs, f"{spath}.{key}.name", name, dns1123_subdomain(_masked(name)))
        if count == 0:
            errs.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            errs.append(invalid(path, "", "may not have more than one field specified at a time"))


def _volume_mounts(errs: Errors, path: str, mounts: list | None, volumes: dict[str, dict]) -> None:
    seen: set[str] = set()
    for i, mount in enumerate(mounts or ()):
        mpath = f"{path}[{i}]"
        name = mount.get("name", "")
        if not name:
            errs.append(required(f"{mpath}.name"))
        if name not in volumes:
            errs.append(_not_found(f"{mpath}.name", name))
        mount_path = mount.get("mountPath", "")
        if not mount_path:
            errs.append(required(f"{mpath}.mountPath"))
        if mount_path in seen:
            errs.append(invalid(f"{mpath}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path = mount.get("subPath", "")
        if sub_path and (sub_path.startswith("/") or ".." in sub_path.split("/")):
            message = "must be a relative path" if sub_path.startswith("/") else "must not contain '..'"
            errs.append(invalid(f"{path}.subPath", sub_path, message))


def _handler(errs: Errors, path: str, handler: dict, grace: object) -> None:
    count = 0
    for key in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        action = handler.get(key)
        if action is None:
            continue
        apath = f"{path}.{key}"
        if count:
            errs.append(forbidden(apath, "may not specify more than 1 handler type"))
            continue
        count += 1
        if key == "exec":
            if not action.get("command"):
                errs.append(required(f"{apath}.command"))
        elif key == "httpGet":
            if not action.get("path"):
                errs.append(required(f"{apath}.path"))
            _port_num_or_name(errs, f"{apath}.port", action.get("port"))
            if action.get("scheme") not in ("HTTP", "HTTPS"):
                errs.append(unsupported(f"{apath}.scheme", action.get("scheme", ""), ["HTTP", "HTTPS"]))
        elif key == "tcpSocket":
            _port_num_or_name(errs, f"{apath}.port", action.get("port"))
        elif key == "grpc":
            _port_num_or_name(errs, f"{apath}.port", action.get("port", 0))
        else:
            seconds = action.get("seconds", 0)
            if isinstance(grace, int) and (seconds < 0 or seconds > grace):
                errs.append(invalid(f"{apath}.seconds", seconds, "must be non-negative and less than "
                                                                 f"terminationGracePeriodSeconds ({grace})"))
    if count == 0:
        errs.append(required(path, "must specify a handler type"))


def _port_num_or_name(errs: Errors, path: str, port: object) -> None:
    if isinstance(port, str):
        _check(errs, path, port, port_name(port))
    else:
        _check(errs, path, port if port is not None else 0, _port_number(port))


def _probe(errs: Errors, path: str, probe: dict | None, grace: object, kind: str) -> None:
    if probe is None:
        return
    _handler(errs, path, probe, grace)
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        _nonnegative(errs, f"{path}.{key}", probe.get(key))
    grace_override = probe.get("terminationGracePeriodSeconds")
    if grace_override is not None and grace_override <= 0:
        errs.append(invalid(f"{path}.terminationGracePeriodSeconds", grace_override, "must be greater than 0"))
    if kind != "readinessProbe" and probe.get("successThreshold", 1) != 1:
        errs.append(invalid(f"{path}.successThreshold", probe.get("successThreshold"), "must be 1"))
    if kind == "readinessProbe" and grace_override is not None:
        errs.append(invalid(f"{path}.terminationGracePeriodSeconds", grace_override,
                            "must not be set for readinessProbes"))


def _container_common(errs: Errors, path: str, c: dict, volumes: dict[str, dict]) -> None:
    name = c.get("name", "")
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        _check(errs, f"{path}.name", name, dns1123_label(name))
    if not c.get("image"):
        errs.append(required(f"{path}.image"))
    _one_of(errs, f"{path}.terminationMessagePolicy", c.get("terminationMessagePolicy"),
            _TERMINATION_MESSAGE_POLICIES)
    _container_ports(errs, f"{path}.ports", c.get("ports"))
    _env(errs, f"{path}.env", c.get("env"))
    _env_from(errs, f"{path}.envFrom", c.get("envFrom"))
    _volume_mounts(errs, f"{path}.volumeMounts", c.get("volumeMounts"), volumes)
    _one_of(errs, f"{path}.imagePullPolicy", c.get("imagePullPolicy"), _PULL_POLICIES)
    _resources(errs, f"{path}.resources", c.get("resources"))
    security = c.get("securityContext")
    if security:
        for key in ("runAsUser", "runAsGroup"):
            value = security.get(key)
            if value is not None and not 0 <= value <= 2147483647:
                errs.append(invalid(f"{path}.securityContext.{key}", value, range_error(0, 2147483647)))


def _host_port_conflicts(errs: Errors, path: str, containers: list, seen: set[str]) -> None:
    for ci, c in enumerate(containers):
        for pi, port in enumerate(c.get("ports") or ()):
            host_port = port.get("hostPort")
            if not host_port:
                continue
            key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{host_port}"
            if key in seen:
                errs.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            seen.add(key)


def _containers(errs: Errors, path: str, containers: list | None, volumes: dict, grace: object) -> set[str]:
    if not containers:
        errs.append(required(path))
        return set()
    names: set[str] = set()
    for i, c in enumerate(containers):
        cpath = f"{path}[{i}]"
        _container_common(errs, cpath, c, volumes)
        name = c.get("name", "")
        if name in names:
            errs.append(duplicate(f"{cpath}.name", name))
        names.add(name)
        lifecycle = c.get("lifecycle")
        if lifecycle:
            for hook in ("postStart", "preStop"):
                if lifecycle.get(hook) is not None:
                    _handler(errs, f"{cpath}.lifecycle.{hook}", lifecycle[hook], grace)
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            _probe(errs, f"{cpath}.{kind}", c.get(kind), grace, kind)
        if c.get("restartPolicy") is not None:
            errs.append(forbidden(f"{cpath}.restartPolicy", "may not be set for non-init containers"))
    _host_port_conflicts(errs, path, containers, set())
    return names


def _init_containers(errs: Errors, path: str, containers: list | None, names: set[str], volumes: dict,
                     grace: object) -> None:
    names = set(names)
    for i, c in enumerate(containers or ()):
        cpath = f"{path}[{i}]"
        _container_common(errs, cpath, c, volumes)
        restart = c.get("restartPolicy")
        if restart is not None and restart != "Always":
            errs.append(unsupported(f"{cpath}.restartPolicy", restart, ["Always"]))
        name = c.get("name", "")
        if name in names:
            errs.append(duplicate(f"{cpath}.name", name))
        elif name:
            names.add(name)
        _host_port_conflicts(errs, path, [c], set())
        if restart == "Always":
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                _probe(errs, f"{cpath}.{kind}", c.get(kind), grace, kind)
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(key) is not None:
                    errs.append(forbidden(f"{cpath}.{key}", "may not be set for init containers without "
                                                            "restartPolicy=Always"))


def _tolerations(errs: Errors, path: str, tolerations: list | None) -> None:
    for i, t in enumerate(tolerations or ()):
        tpath = f"{path}[{i}]"
        key = t.get("key", "")
        operator = t.get("operator", "")
        if key:
            _check(errs, f"{tpath}.key", key, qualified_name(key))
        elif operator != "Exists":
            errs.append(invalid(f"{tpath}.operator", operator,
                                "operator must be Exists when `key` is empty, which means \"match all values "
                                "and all keys\""))
        effect = t.get("effect", "")
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(invalid(f"{tpath}.effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        value = t.get("value", "")
        if operator in ("Equal", ""):
            problems = label_value(value)
            if problems:
                errs.append(invalid(f"{tpath}.operator", value, ";".join(problems)))
        elif operator == "Exists":
            if value:
                errs.append(invalid(f"{tpath}.operator", value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(unsupported(f"{tpath}.operator", operator, ["Equal", "Exists"]))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(unsupported(f"{tpath}.effect", effect, list(_TAINT_EFFECTS)))


def _node_selector_requirements(errs: Errors, path: str, requirements: list | None) -> None:
    for i, req in enumerate(requirements or ()):
        rpath = f"{path}[{i}]"
        operator = req.get("operator", "")
        values = req.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{rpath}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(f"{rpath}.values",
                                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif operator in ("Gt", "Lt"):
            if len(values) != 1:
                errs.append(required(f"{rpath}.values",
                                     "must be specified single value when `operator` is 'Lt' or 'Gt'"))
        else:
            errs.append(invalid(f"{rpath}.operator", operator, "not a valid selector operator"))
        _check(errs, f"{rpath}.key", req.get("key", ""), qualified_name(req.get("key", "")))


def _affinity(errs: Errors, path: str, affinity: dict | None) -> None:
    if not affinity:
        return
    node = affinity.get("nodeAffinity")
    if node:
        npath = f"{path}.nodeAffinity"
        hard = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        if hard is not None:
            hpath = f"{npath}.requiredDuringSchedulingIgnoredDuringExecution"
            terms = hard.get("nodeSelectorTerms") or []
            if not terms:
                errs.append(required(f"{hpath}.nodeSelectorTerms", "must have at least one node selector term"))
            for i, term in enumerate(terms):
                _node_selector_requirements(errs, f"{hpath}.nodeSelectorTerms[{i}].matchExpressions",
                                            term.get("matchExpressions"))
        for i, pref in enumerate(node.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            ppath = f"{npath}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            weight = pref.get("weight", 0)
            if not 1 <= weight <= 100:
                errs.append(invalid(f"{ppath}.weight", weight, "must be in the range 1-100"))
            _node_selector_requirements(errs, f"{ppath}.preference.matchExpressions",
                                        (pref.get("preference") or {}).get("matchExpressions"))
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind)
        if not rules:
            continue
        kpath = f"{path}.{kind}"
        for i, term in enumerate(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or ()):
            _pod_affinity_term(errs, f"{kpath}.requiredDuringSchedulingIgnoredDuringExecution[{i}]", term)
        for i, pref in enumerate(rules.get("preferredDuringSchedulingIgnoredDuringExecution") or ()):
            ppath = f"{kpath}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            weight = pref.get("weight", 0)
            if not 1 <= weight <= 100:
                errs.append(invalid(f"{ppath}.weight", weight, "must be in the range 1-100"))
            _pod_affinity_term(errs, f"{ppath}.podAffinityTerm", pref.get("podAffinityTerm") or {})


def _pod_affinity_term(errs: Errors, path: str, term: dict) -> None:
    errs.extend(selectors.validate_label_selector_object(term.get("labelSelector"), f"{path}.labelSelector"))
    topology_key = term.get("topologyKey", "")
    if not topology_key:
        errs.append(required(f"{path}.topologyKey", "can not be empty"))
    else:
        _check(errs, f"{path}.topologyKey", topology_key, qualified_name(topology_key))


def _topology_spread(errs: Errors, path: str, constraints: list | None) -> None:
    for i, constraint in enumerate(constraints or ()):
        cpath = f"{path}[{i}]"
        skew = constraint.get("maxSkew", 0)
        if skew <= 0:
            errs.append(invalid(f"{cpath}.maxSkew", skew, "must be greater than zero"))
        key = constraint.get("topologyKey", "")
        if not key:
            errs.append(required(f"{cpath}.topologyKey", "can not be empty"))
        else:
            _check(errs, f"{cpath}.topologyKey", key, qualified_name(key))
        _one_of(errs, f"{cpath}.whenUnsatisfiable", constraint.get("whenUnsatisfiable"),
                ("DoNotSchedule", "ScheduleAnyway"))


def _pod_spec(errs: Errors, path: str, spec: dict, is_pod: bool) -> None:
    """ValidatePodSpec (is_pod adds the checks only a Pod, not a template, gets)."""
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        errs.append(required(f"{path}.terminationGracePeriodSeconds"))
    volumes = _volumes(errs, f"{path}.volumes", spec.get("volumes"))
    names = _containers(errs, f"{path}.containers", spec.get("containers"), volumes, grace)
    _init_containers(errs, f"{path}.initContainers", spec.get("initContainers"), names, volumes, grace)
    if spec.get("hostNetwork"):
        for ci, c in enumerate(spec.get("containers") or ()):
            for pi, port in enumerate(c.get("ports") or ()):
                host_port, container_port = port.get("hostPort", 0), port.get("containerPort", 0)
                if (is_pod or host_port) and host_port != container_port:
                    errs.append(invalid(f"{path}.containers[{ci}].ports[{pi}].hostPort", host_port,
                                        "must match `containerPort` when `hostNetwork` is true"))
    _one_of(errs, f"{path}.restartPolicy", spec.get("restartPolicy"), _RESTART_POLICIES)
    dns_policy = spec.get("dnsPolicy")
    _one_of(errs, f"{path}.dnsPolicy", dns_policy, _DNS_POLICIES)
    _labels(errs, f"{path}.nodeSelector", spec.get("nodeSelector"))
    security = spec.get("securityContext") or {}
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        value = security.get(key)
        if value is not None and not 0 <= value <= 2147483647:
            errs.append(invalid(f"{path}.securityContext.{key}", value, range_error(0, 2147483647)))
    _affinity(errs, f"{path}.affinity", spec.get("affinity"))
    if dns_policy == "None":
        dns_config = spec.get("dnsConfig")
        if dns_config is None:
            errs.append(required(f"{path}.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"))
        elif not dns_config.get("nameservers"):
            errs.append(required(f"{path}.dnsConfig.nameservers",
                                 "must provide at least one DNS nameserver when `dnsPolicy` is None"))
    _topology_spread(errs, f"{path}.topologySpreadConstraints", spec.get("topologySpreadConstraints"))
    _names(errs, path, spec, ("serviceAccountName", "nodeName"), dns1123_subdomain)
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= 2147483647:
        errs.append(invalid(f"{path}.activeDeadlineSeconds", deadline, range_error(1, 2147483647)))
    _names(errs, path, spec, ("hostname", "subdomain"), dns1123_label)
    _tolerations(errs, f"{path}.tolerations", spec.get("tolerations"))
    _names(errs, path, spec, ("priorityClassName",), dns1123_subdomain)
    preemption = spec.get("preemptionPolicy")
    if preemption is not None:
        _one_of(errs, f"{path}.preemptionPolicy", preemption, ("PreemptLowerPriority", "Never"))
    if is_pod:
        for key in ("containers", "initContainers"):
            for i, c in enumerate(spec.get(key) or ()):
                image = c.get("image", "")
                if image != image.strip():
                    errs.append(invalid(f"{path}.{key}[{i}].image", image,
                                        "must not have leading or trailing whitespace"))


def _names(errs: Errors, path: str, spec: dict, keys: tuple[str, ...], rule) -> None:
    for key in keys:
        value = spec.get(key)
        if value:
            _check(errs, f"{path}.{key}", value, rule(value))


def _pod_template(errs: Errors, path: str, template: dict) -> None:
    """ValidatePodTemplateSpec."""
    meta = template.get("metadata") or {}
    _labels(errs, f"{path}.labels", meta.get("labels"))
    _annotations(errs, f"{path}.annotations", meta.get("annotations"))
    spec = template.get("spec") or {}
    _pod_spec(errs, f"{path}.spec", spec, is_pod=False)
    if spec.get("ephemeralContainers"):
        errs.append(forbidden(f"{path}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template"))


def _pod(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _pod_spec(errs, "spec", spec, is_pod=True)
    if old is None:
        if spec.get("ephemeralContainers"):
            errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
        if spec.get("nodeName") and spec.get("schedulingGates"):
            errs.append(forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
        return
    _pod_update(errs, spec, old.get("spec") or {})


def _pod_update(errs: Errors, spec: dict, old: dict) -> None:
    if spec == old:
        return
    munged = dict(spec)
    for key in ("containers", "initContainers"):
        new_list, old_list = spec.get(key) or [], old.get(key) or []
        if len(new_list) != len(old_list):
            errs.append(forbidden(f"spec.{key}", "pod updates may not add or remove containers"))
            return
        for i, c in enumerate(new_list):
            if not c.get("image"):
                errs.append(required(f"spec.{key}[{i}].image"))
        if new_list:
            munged[key] = [_with_image_of(c, o) for c, o in zip(new_list, old_list)]
    deadline, old_deadline = spec.get("activeDeadlineSeconds"), old.get("activeDeadlineSeconds")
    if deadline is not None:
        if not 0 <= deadline <= 2147483647:
            errs.append(invalid("spec.activeDeadlineSeconds", deadline, range_error(0, 2147483647)))
            return
        if old_deadline is not None and old_deadline < deadline:
            errs.append(invalid("spec.activeDeadlineSeconds", deadline, "must be less than or equal to previous value"))
            return
    elif old_deadline is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"))
    _only_added_tolerations(errs, spec.get("tolerations") or [], old.get("tolerations") or [])
    for i, gate in enumerate(spec.get("schedulingGates") or ()):
        if gate not in (old.get("schedulingGates") or ()):
            errs.append(forbidden(f"spec.schedulingGates[{i}].name",
                                  f"only deletion is allowed, but found new scheduling gate '{gate.get('name', '')}'"))
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in old:
            munged[key] = old[key]
    old_grace = old.get("terminationGracePeriodSeconds")
    if old_grace is not None and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if munged != old:
        errs.append(forbidden("spec", f"pod updates may not change fields other than {_UPDATABLE_POD_FIELDS}\n"
                                      + _spec_diff(old, munged)))


def _with_image_of(container: dict, old: dict) -> dict:
    munged = {k: v for k, v in container.items() if k != "image"}
    if "image" in old:
        munged["image"] = old["image"]
    return munged


def _only_added_tolerations(errs: Errors, new: list, old: list) -> None:
    for existing in old:
        pattern = {k: v for k, v in existing.items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in t.items() if k != "tolerationSeconds"} == pattern for t in new):
            errs.append(forbidden("spec.tolerations", "existing toleration can not be modified except its "
                                                      "tolerationSeconds"))
            return
    _tolerations(errs, "spec.tolerations", new)


_GO_FIELD_NAMES = {"dnsPolicy": "DNSPolicy", "dnsConfig": "DNSConfig", "hostIPC": "HostIPC", "hostPID": "HostPID",
                   "os": "OS", "serviceAccount": "DeprecatedServiceAccount"}


def _spec_diff(old: dict, new: dict) -> str:
    """A cmp.Diff-shaped account of what differs between two PodSpecs, one changed leaf per line."""
    lines: list[str] = []
    _leaf_diff(old, new, "", lines)
    return "\n".join(["  core.PodSpec{", *lines, "  }"])


_MISSING = object()


def _leaf_diff(old: object, new: object, prefix: str, lines: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            a, b = old.get(key, _MISSING), new.get(key, _MISSING)
            if a != b:
                go_name = _GO_FIELD_NAMES.get(key, key[:1].upper() + key[1:])
                _leaf_diff(a, b, f"{prefix}.{go_name}" if prefix else go_name, lines)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            if a != b:
                _leaf_diff(a, b, f"{prefix}[{i}]", lines)
    else:
        if old is not _MISSING:
            lines.append(f"- \t{prefix}: {json.dumps(old, separators=(',', ':'))},")
        if new is not _MISSING:
            lines.append(f"+ \t{prefix}: {json.dumps(new, separators=(',', ':'))},")


# -- workloads -------------------------------------------------------------------------------------------------


def _selector_errors(errs: Errors, path: str, selector: dict | None, what: str) -> None:
    """The selector checks Deployment, ReplicaSet and StatefulSet share: required, valid, non-empty."""
    if selector is None:
        errs.append(required(path))
        return
    errs.extend(selectors.validate_label_selector_object(selector, path))
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        errs.append(invalid(path, _go_label_selector(selector), f"empty selector is invalid for {what}"))


def _as_selector(selector: dict | None) -> selectors.LabelSelector | None:
    """LabelSelectorAsSelector: None selects nothing; an invalid selector gives None here."""
    try:
        return selectors.from_label_selector_object(selector)
    except ApiError:
        return None


def _mismatch(errs: Errors, labels: dict | None) -> None:
    errs.append(invalid("spec.template.metadata.labels", _go_map(labels), "`selector` does not match template `labels`"))


def _template_for_replicas(errs: Errors, spec: dict) -> None:
    """ValidatePodTemplateSpecForReplicaSet, shared by Deployment and ReplicaSet."""
    selector = _as_selector(spec.get("selector"))
    if selector is None:
        errs.append(invalid("spec.selector", _go_label_selector(spec.get("selector")), "invalid label selector"))
        return
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    if not selector.empty and not selector.matches(labels):
        _mismatch(errs, labels)
    _pod_template(errs, "spec.template", template)
    _restart_always(errs, template, "ReplicaSet")


def _restart_always(errs: Errors, template: dict, kind: str) -> None:
    tspec = template.get("spec") or {}
    restart = tspec.get("restartPolicy", "")
    if restart != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", restart, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              f"activeDeadlineSeconds in {kind} is not Supported"))


def _percent_value(value: object) -> int | None:
    if isinstance(value, str) and _PERCENT_RE.fullmatch(value):
        return int(value[:-1])
    return None


def _int_or_percent(errs: Errors, path: str, value: object) -> int:
    """ValidatePositiveIntOrPercent; returns getIntOrPercentValue."""
    if isinstance(value, str):
        if not _PERCENT_RE.fullmatch(value):
            errs.append(invalid(path, _go_int_or_string(value), _PERCENT_MSG))
            return 0
        return int(value[:-1])
    if isinstance(value, int):
        _nonnegative(errs, path, value)
        return value
    return 0


def _not_over_100(errs: Errors, path: str, value: object) -> None:
    percent = _percent_value(value)
    if percent is not None and percent > 100:
        errs.append(invalid(path, _go_int_or_string(value), "must not be greater than 100%"))


def _deployment(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _nonnegative(errs, "spec.replicas", spec.get("replicas"))
    _selector_errors(errs, "spec.selector", spec.get("selector"), "deployment")
    _template_for_replicas(errs, spec)
    strategy = spec.get("strategy") or {}
    stype = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if stype == "Recreate":
        if rolling is not None:
            errs.append(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif stype == "RollingUpdate":
        if rolling is None:
            errs.append(required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"))
        else:
            path = "spec.strategy.rollingUpdate"
            unavailable = _int_or_percent(errs, f"{path}.maxUnavailable", rolling.get("maxUnavailable"))
            surge = _int_or_percent(errs, f"{path}.maxSurge", rolling.get("maxSurge"))
            if unavailable == 0 and surge == 0:
                errs.append(invalid(f"{path}.maxUnavailable", _go_int_or_string(rolling.get("maxUnavailable")),
                                    "may not be 0 when `maxSurge` is 0"))
            _not_over_100(errs, f"{path}.maxUnavailable", rolling.get("maxUnavailable"))
    else:
        errs.append(unsupported("spec.strategy", _go_strategy("DeploymentStrategy", strategy, "RollingUpdateDeployment"),
                                ["Recreate", "RollingUpdate"]))
    min_ready = spec.get("minReadySeconds", 0)
    _nonnegative(errs, "spec.minReadySeconds", min_ready)
    _nonnegative(errs, "spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        _nonnegative(errs, "spec.progressDeadlineSeconds", deadline)
        if deadline <= min_ready:
            errs.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    _selector_immutable(errs, obj, old)


def _selector_immutable(errs: Errors, obj: dict, old: dict | None) -> None:
    if old is None:
        return
    selector = (obj.get("spec") or {}).get("selector")
    if selector != (old.get("spec") or {}).get("selector"):
        errs.append(invalid("spec.selector", _go_label_selector(selector), _IMMUTABLE))


def _replica_set(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _nonnegative(errs, "spec.replicas", spec.get("replicas"))
    _nonnegative(errs, "spec.minReadySeconds", spec.get("minReadySeconds"))
    _selector_errors(errs, "spec.selector", spec.get("selector"), "deployment")
    _template_for_replicas(errs, spec)
    _selector_immutable(errs, obj, old)


def _replication_controller(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _nonnegative(errs, "spec.minReadySeconds", spec.get("minReadySeconds"))
    selector = spec.get("selector")
    if not selector:
        errs.append(required("spec.selector"))
    _nonnegative(errs, "spec.replicas", spec.get("replicas"))
    template = spec.get("template")
    if template is None:
        errs.append(required("spec.template"))
        return
    labels = (template.get("metadata") or {}).get("labels")
    if selector and any((labels or {}).get(k) != v for k, v in selector.items()):
        _mismatch(errs, labels)
    _pod_template(errs, "spec.template", template)
    _restart_always(errs, template, "ReplicationController")


def _stateful_set(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    policy = spec.get("podManagementPolicy", "")
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type", "")
    rolling = strategy.get("rollingUpdate")
    if not stype:
        errs.append(required("spec.updateStrategy"))
    elif stype == "OnDelete":
        if rolling is not None:
            errs.append(invalid("spec.updateStrategy.rollingUpdate",
                                _GoValue("&apps.RollingUpdateStatefulSetStrategy{...}"),
                                "only allowed for updateStrategy 'RollingUpdate'"))
    elif stype == "RollingUpdate":
        if rolling is not None:
            _nonnegative(errs, "spec.updateStrategy.rollingUpdate.partition", rolling.get("partition"))
            unavailable = rolling.get("maxUnavailable")
            if unavailable is not None:
                path = "spec.updateStrategy.rollingUpdate.maxUnavailable"
                if _int_or_percent(errs, path, unavailable) == 0:
                    errs.append(invalid(path, _go_int_or_string(unavailable), "cannot be 0"))
                _not_over_100(errs, path, unavailable)
    else:
        errs.append(invalid("spec.updateStrategy",
                            _go_strategy("StatefulSetUpdateStrategy", strategy, "RollingUpdateStatefulSetStrategy"),
                            "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        for key in ("whenDeleted", "whenScaled"):
            value = retention.get(key, "")
            if value not in ("Retain", "Delete"):
                errs.append(unsupported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", value, ["Retain", "Delete"]))
    _nonnegative(errs, "spec.replicas", spec.get("replicas"))
    _nonnegative(errs, "spec.minReadySeconds", spec.get("minReadySeconds"))
    _nonnegative(errs, "spec.ordinals.start", (spec.get("ordinals") or {}).get("start"))
    _selector_errors(errs, "spec.selector", spec.get("selector"), "statefulset")
    selector = _as_selector(spec.get("selector"))
    template = spec.get("template") or {}
    meta = template.get("metadata") or {}
    if selector is None:
        errs.append(invalid("spec.selector", _go_label_selector(spec.get("selector")), ""))
    else:
        if not selector.empty and not selector.matches(meta.get("labels")):
            _mismatch(errs, meta.get("labels"))
        # Upstream validates only the template's metadata here, not its pod spec.
        _labels(errs, "spec.template.labels", meta.get("labels"))
        _annotations(errs, "spec.template.annotations", meta.get("annotations"))
    tspec = template.get("spec") or {}
    if tspec.get("restartPolicy", "") != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", tspec.get("restartPolicy", ""), ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden("spec.template.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in StatefulSet is not Supported"))
    if old is not None:
        mutable = ("replicas", "template", "updateStrategy", "minReadySeconds", "ordinals",
                   "persistentVolumeClaimRetentionPolicy")
        old_spec = old.get("spec") or {}
        if {k: v for k, v in spec.items() if k not in mutable} != {k: v for k, v in old_spec.items() if k not in mutable}:
            errs.append(forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                                          "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                                          "'minReadySeconds' are forbidden"))


def _daemon_set(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    errs.extend(selectors.validate_label_selector_object(selector, "spec.selector"))
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    compiled = _as_selector(selector)
    if compiled is not None and not compiled.matches(labels):
        _mismatch(errs, labels)
    if selector is not None and not selector.get("matchLabels") and not selector.get("matchExpressions"):
        errs.append(invalid("spec.selector", _go_label_selector(selector), "empty selector is invalid for daemonset"))
    _pod_template(errs, "spec.template", template)
    _restart_always(errs, template, "DaemonSet")
    _nonnegative(errs, "spec.minReadySeconds", spec.get("minReadySeconds"))
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type")
    if stype == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if rolling is None:
            errs.append(required("spec.updateStrategy.rollingUpdate"))
        else:
            path = "spec.updateStrategy.rollingUpdate"
            unavailable = _int_or_percent(errs, f"{path}.maxUnavailable", rolling.get("maxUnavailable"))
            surge = _int_or_percent(errs, f"{path}.maxSurge", rolling.get("maxSurge"))
            _not_over_100(errs, f"{path}.maxUnavailable", rolling.get("maxUnavailable"))
            _not_over_100(errs, f"{path}.maxSurge", rolling.get("maxSurge"))
            if unavailable and surge:
                errs.append(invalid(f"{path}.maxSurge", _go_int_or_string(rolling.get("maxSurge")),
                                    "may not be set when maxUnavailable is non-zero"))
            elif not unavailable and not surge:
                errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif stype != "OnDelete":
        errs.append(unsupported("spec.updateStrategy",
                                _go_strategy("DaemonSetUpdateStrategy", strategy, "RollingUpdateDaemonSet"),
                                ["RollingUpdate", "OnDelete"]))
    _nonnegative(errs, "spec.revisionHistoryLimit", spec.get("revisionHistoryLimit"))
    _selector_immutable(errs, obj, old)


def _job(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    meta = obj.get("metadata") or {}
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not spec.get("manualSelector") and selector is not None:
        uid, name = meta.get("uid", ""), meta.get("name", "")
        if not uid:
            errs.append(required("metadata.uid"))
        expected = {"controller-uid": uid, "job-name": name,
                    "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name}
        for key, want in expected.items():
            lpath = f"spec.template.metadata.labels[{key}]"
            if key not in labels:
                errs.append(required(lpath, f"must be '{want}'"))
            elif labels[key] != want:
                errs.append(invalid(lpath, _go_map(labels), f"must be '{want}'"))
        compiled = _as_selector(selector)
        if compiled is not None and not compiled.matches(expected):
            errs.append(invalid("spec.selector", _go_label_selector(selector), "`selector` not auto-generated"))
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
                "backoffLimitPerIndex", "maxFailedIndexes"):
        _nonnegative(errs, f"spec.{key}", spec.get(key))
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(unsupported("spec.completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed":
        if spec.get("completions") is None:
            errs.append(required("spec.completions", "when completion mode is Indexed"))
        if (spec.get("parallelism") or 0) > 100000:
            errs.append(invalid("spec.parallelism", spec["parallelism"],
                                "must be less than or equal to 100000 when completion mode is Indexed"))
    else:
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                errs.append(invalid(f"spec.{key}", spec[key], "requires indexed completion mode"))
    _per_index_limits(errs, spec)
    if spec.get("podFailurePolicy") is not None:
        _pod_failure_policy(errs, spec)
    if spec.get("successPolicy") is not None:
        _success_policy(errs, spec)
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = ["Failed"] if spec.get("podFailurePolicy") is not None else ["Failed", "TerminatingOrFailed"]
        if replacement not in allowed:
            errs.append(unsupported("spec.podReplacementPolicy", replacement, allowed))
    _pod_template(errs, "spec.template", template)
    restart = (template.get("spec") or {}).get("restartPolicy", "")
    if restart in ("Always", ""):
        errs.append(required("spec.template.spec.restartPolicy", 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(unsupported("spec.template.spec.restartPolicy", restart, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(invalid("spec.template.spec.restartPolicy", restart,
                            'only "Never" is supported when podFailurePolicy is specified'))
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs.extend(selectors.validate_label_selector_object(selector, "spec.selector"))
    compiled = _as_selector(selector)
    if compiled is not None and not compiled.matches(labels):
        _mismatch(errs, (template.get("metadata") or {}).get("labels"))
    if old is not None:
        _job_update(errs, spec, old.get("spec") or {}, bool((old.get("spec") or {}).get("suspend"))
                    and not (old.get("status") or {}).get("startTime"))


_MAX_PER_INDEX = 100000  # maxCompletionsForBackoffLimitPerIndex, maxFailedIndexesLimitForBackoffLimitPerIndex
_MAX_POLICY_RULES = 20   # maxPodFailurePolicyRules, maxSuccessPolicyRule
_MAX_EXIT_CODES = 255    # maxPodFailurePolicyOnExitCodesValues


def _too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, "Too many", f"must have at most {limit} items", actual, True)


def _per_index_limits(errs: Errors, spec: dict) -> None:
    completions, max_failed = spec.get("completions"), spec.get("maxFailedIndexes")
    if spec.get("backoffLimitPerIndex") is not None and (completions or 0) > _MAX_PER_INDEX:
        errs.append(invalid("spec.completions", completions,
                            f"must be less than or equal to {_MAX_PER_INDEX} when backoffLimitPerIndex is specified"))
    if max_failed is None:
        return
    if spec.get("backoffLimitPerIndex") is None:
        errs.append(required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    if max_failed > _MAX_PER_INDEX:
        errs.append(invalid("spec.maxFailedIndexes", max_failed, f"must be less than or equal to {_MAX_PER_INDEX}"))
    if completions is not None and max_failed > completions:
        errs.append(invalid("spec.maxFailedIndexes", max_failed, "must be less than or equal to completions"))


def _pod_failure_policy(errs: Errors, spec: dict) -> None:
    """validatePodFailurePolicy."""
    rules = spec["podFailurePolicy"].get("rules") or []
    path = "spec.podFailurePolicy.rules"
    if len(rules) > _MAX_POLICY_RULES:
        errs.append(_too_many(path, len(rules), _MAX_POLICY_RULES))
    tspec = (spec.get("template") or {}).get("spec") or {}
    names = {c.get("name") for key in ("containers", "initContainers") for c in tspec.get(key) or ()}
    for i, rule in enumerate(rules):
        rpath = f"{path}[{i}]"
        action = rule.get("action", "")
        if action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            errs.append(invalid(f"{rpath}.action", action, "requires the backoffLimitPerIndex to be set"))
        if action not in ("Count", "FailIndex", "FailJob", "Ignore"):
            errs.append(unsupported(f"{rpath}.action", action, ["Count", "FailIndex", "FailJob", "Ignore"]))
        exits, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if exits is None and not conditions:
            errs.append(FieldError(rpath, "Invalid value", "specifying one of OnExitCodes and OnPodConditions is required"))
        if exits is not None and conditions:
            errs.append(FieldError(rpath, "Invalid value",
                                   "specifying both OnExitCodes and OnPodConditions is not supported"))
        if exits is not None:
            _on_exit_codes(errs, f"{rpath}.onExitCodes", exits, names)
        if len(conditions or ()) > _MAX_POLICY_RULES:
            errs.append(_too_many(f"{rpath}.onPodConditions", len(conditions), _MAX_POLICY_RULES))
        for j, pattern in enumerate(conditions or ()):
            ppath = f"{rpath}.onPodConditions[{j}]"
            status = pattern.get("status", "")
            if status not in ("False", "True", "Unknown"):
                errs.append(unsupported(f"{ppath}.status", status, ["False", "True", "Unknown"]))
            _check(errs, f"{ppath}.type", pattern.get("type", ""), qualified_name(pattern.get("type", "")))


def _on_exit_codes(errs: Errors, path: str, requirement: dict, containers: set) -> None:
    """validatePodFailurePolicyRuleOnExitCodes."""
    operator = requirement.get("operator", "")
    if operator not in ("In", "NotIn"):
        errs.append(unsupported(f"{path}.operator", operator, ["In", "NotIn"]))
    name = requirement.get("containerName")
    if name is not None and name not in containers:
        errs.append(invalid(f"{path}.containerName", name,
                            "must be one of the container or initContainer names in the pod template"))
    values = requirement.get("values") or []
    if not values:
        errs.append(invalid(f"{path}.values", _GoValue("[]int32{}" if values == [] else "[]int32(nil)"),
                            "at least one value is required"))
    elif len(values) > _MAX_EXIT_CODES:
        errs.append(_too_many(f"{path}.values", len(values), _MAX_EXIT_CODES))
    seen: set = set()
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            errs.append(invalid(f"{path}.values[{j}]", value, "must not be 0 for the In operator"))
        if value in seen:
            errs.append(duplicate(f"{path}.values[{j}]", value))
        seen.add(value)
    if any(a > b for a, b in zip(values, values[1:])):
        errs.append(invalid(f"{path}.values", _GoValue("[]int32{" + ", ".join(map(str, values)) + "}"),
                            "must be ordered"))


def _indexes_format(text: str, completions: int) -> tuple[int, str | None]:
    """validateIndexesFormat: how many indexes `0-2,5` names, or why it does not parse."""
    total, last = 0, None
    for interval in text.split(",") if text else ():
        limits = interval.split("-")
        if len(limits) > 2:
            return 0, (f'the fragment "{interval}" violates the requirement that an index interval can have at '
                       "most two parts separated by '-'")
        bounds = []
        for part in limits:
            if not re.fullmatch(r"[+-]?[0-9]+", part):
                return 0, f'cannot convert string to integer for index: "{part}"'
            value = int(part)
            if value >= completions:
                return 0, f'too large index: "{part}"'
            if last is not None and last >= value:
                return 0, f"non-increasing order, previous: {last}, current: {value}"
            bounds.append(value)
            last = value
        total += bounds[-1] - bounds[0] + 1
    return total, None


def _success_policy(errs: Errors, spec: dict) -> None:
    """validateSuccessPolicy."""
    policy = spec["successPolicy"]
    if spec.get("completionMode") != "Indexed":
        errs.append(invalid("spec.successPolicy", _GoValue("batch.SuccessPolicy{...}"), "requires indexed completion mode"))
    rules = policy.get("rules") or []
    if not rules:
        errs.append(required("spec.successPolicy.rules",
                             "at least one rules must be specified when the successPolicy is specified"))
    if len(rules) > _MAX_POLICY_RULES:
        errs.append(_too_many("spec.successPolicy.rules", len(rules), _MAX_POLICY_RULES))
    completions = spec.get("completions") or 0
    for i, rule in enumerate(rules):
        rpath = f"spec.successPolicy.rules[{i}]"
        indexes, count = rule.get("succeededIndexes"), rule.get("succeededCount")
        if indexes is None and count is None:
            errs.append(required(rpath, "at least one of succeededCount or succeededIndexes must be specified"))
        total = 0
        if indexes is not None:
            total, problem = _indexes_format(indexes, completions)
            if problem:
                errs.append(invalid(f"{rpath}.succeededIndexes", indexes, f"error parsing succeededIndexes: {problem}"))
        if count is not None:
            _nonnegative(errs, f"{rpath}.succeededCount", count)
            if count > completions:
                errs.append(invalid(f"{rpath}.succeededCount", count,
                                    f"must be less than or equal to {completions} (the number of specified completions)"))
            if indexes is not None and count > total:
                errs.append(invalid(f"{rpath}.succeededCount", count, f"must be less than or equal to {total} "
                                    "(the number of indexes in the specified succeededIndexes field)"))


def _job_update(errs: Errors, spec: dict, old: dict, scheduling_mutable: bool) -> None:
    completions = spec.get("completions")
    if completions != old.get("completions"):
        # Elastic indexed jobs may scale completions together with parallelism.
        if spec.get("completionMode") != "Indexed":
            errs.append(invalid("spec.completions", completions, _IMMUTABLE))
        elif completions is not None and completions != spec.get("parallelism"):
            errs.append(invalid("spec.completions", completions, "can only be modified in tandem with spec.parallelism"))
    if spec.get("selector") != old.get("selector"):
        errs.append(invalid("spec.selector", _go_label_selector(spec.get("selector")), _IMMUTABLE))
    template, old_template = spec.get("template") or {}, old.get("template") or {}
    if scheduling_mutable:
        template = _without_scheduling_directives(template)
        old_template = _without_scheduling_directives(old_template)
    if template != old_template:
        errs.append(invalid("spec.template", _GoValue("core.PodTemplateSpec{...}"), _IMMUTABLE))
    if spec.get("completionMode") != old.get("completionMode"):
        errs.append(invalid("spec.completionMode", spec.get("completionMode"), _IMMUTABLE))
    for key, go_value in (("podFailurePolicy", "&batch.PodFailurePolicy{...}"),
                          ("successPolicy", "&batch.SuccessPolicy{...}")):
        if spec.get(key) != old.get(key):
            errs.append(invalid(f"spec.{key}", _GoValue(go_value) if spec.get(key) is not None else None, _IMMUTABLE))
    if spec.get("backoffLimitPerIndex") != old.get("backoffLimitPerIndex"):
        errs.append(invalid("spec.backoffLimitPerIndex", spec.get("backoffLimitPerIndex"), _IMMUTABLE))


def _without_scheduling_directives(template: dict) -> dict:
    spec = {k: v for k, v in (template.get("spec") or {}).items()
            if k not in ("nodeSelector", "tolerations", "schedulingGates", "affinity")}
    meta = {k: v for k, v in (template.get("metadata") or {}).items() if k not in ("labels", "annotations")}
    return {**template, "metadata": meta, "spec": spec}


def _controller_revision(errs: Errors, obj: dict, old: dict | None) -> None:
    if obj.get("data") is None:
        errs.append(required("data", "data is mandatory"))
    _nonnegative(errs, "revision", obj.get("revision"))
    if old is not None and obj.get("data") != old.get("data"):
        errs.append(invalid("data", _GoValue("runtime.RawExtension{...}"), _IMMUTABLE))


# -- services and networking ------------------------------------------------------------------------------------

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _service(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    stype = spec.get("type", "")
    cluster_ip = spec.get("clusterIP", "")
    headless = cluster_ip == "None"
    ports = spec.get("ports") or []
    if old is not None:
        _cluster_ips_update(errs, spec, old.get("spec") or {})
    if not ports and not headless and stype != "ExternalName":
        errs.append(required("spec.ports"))
    if stype in ("LoadBalancer", "NodePort") and headless:
        errs.append(invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {stype} services"))
    elif stype == "ExternalName":
        if spec.get("clusterIPs"):
            errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if spec.get("ipFamilies"):
            errs.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = spec.get("externalName", "").removesuffix(".")
        if cname:
            _check(errs, "spec.externalName", cname, dns1123_subdomain(cname))
        else:
            errs.append(required("spec.externalName"))
    names: set[str] = set()
    for i, port in enumerate(ports):
        _service_port(errs, f"spec.ports[{i}]", port, len(ports) > 1, names)
    if spec.get("selector") is not None:
        _labels(errs, "spec.selector", spec["selector"])
    _one_of(errs, "spec.sessionAffinity", spec.get("sessionAffinity"), ("ClientIP", "None"))
    if spec.get("sessionAffinity") == "ClientIP":
        timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")
        if timeout is None:
            errs.append(required("spec.sessionAffinityConfig", "when session affinity type is ClientIP"))
        elif not 0 < timeout <= 86400:
            errs.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                "must be greater than 0 and less than 86400"))
    elif spec.get("sessionAffinity") == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
    if cluster_ip and not headless and not _valid_ip(cluster_ip):
        errs.append(invalid("spec.clusterIPs[0]", cluster_ip, "must be empty, 'None', or a valid IP address"))
    for key, allowed in (("ipFamilyPolicy", ("PreferDualStack", "RequireDualStack", "SingleStack")),):
        if spec.get(key) is not None and spec[key] not in allowed:
            errs.append(unsupported(f"spec.{key}", spec[key], list(allowed)))
    for i, family in enumerate(spec.get("ipFamilies") or ()):
        if family not in ("IPv4", "IPv6"):
            errs.append(unsupported(f"spec.ipFamilies[{i}]", family, ["IPv4", "IPv6"]))
    for i, ip in enumerate(spec.get("externalIPs") or ()):
        if not _valid_ip(ip):
            errs.append(invalid(f"spec.externalIPs[{i}]", ip, _IP_MSG))
    _one_of(errs, "spec.type", stype, _SERVICE_TYPES)
    if stype == "ClusterIP":
        for i, port in enumerate(ports):
            if port.get("nodePort"):
                errs.append(forbidden(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'"))
    node_ports: set[tuple] = set()
    for i, port in enumerate(ports):
        if port.get("nodePort"):
            key = (port.get("protocol"), port["nodePort"])
            if key in node_ports:
                errs.append(duplicate(f"spec.ports[{i}].nodePort", port["nodePort"]))
            node_ports.add(key)
    seen: set[tuple] = set()
    for i, port in enumerate(ports):
        key = (port.get("protocol", ""), port.get("port", 0))
        if key in seen:
            errs.append(duplicate(f"spec.ports[{i}]", _GoValue(
                f'core.ServicePort{{Name:"", Protocol:{_q(key[0])}, AppProtocol:(*string)(nil), Port:{key[1]}, '
                f'TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')))
        seen.add(key)
    if spec.get("allocateLoadBalancerNodePorts") is not None and stype != "LoadBalancer":
        errs.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    externally_accessible = stype in ("LoadBalancer", "NodePort") or (stype == "ClusterIP" and spec.get("externalIPs"))
    policy = spec.get("externalTrafficPolicy", "")
    if not externally_accessible:
        if policy:
            errs.append(invalid("spec.externalTrafficPolicy", policy,
                                "may only be set for externally-accessible services"))
    else:
        _one_of(errs, "spec.externalTrafficPolicy", policy, ("Cluster", "Local"))
    internal = spec.get("internalTrafficPolicy")
    if internal is None:
        if stype in ("NodePort", "LoadBalancer", "ClusterIP"):
            errs.append(required("spec.internalTrafficPolicy"))
    elif internal not in ("Cluster", "Local"):
        errs.append(unsupported("spec.internalTrafficPolicy", internal, ["Cluster", "Local"]))


def _service_port(errs: Errors, path: str, port: dict, require_name: bool, names: set[str]) -> None:
    name = port.get("name", "")
    if require_name and not name:
        errs.append(required(f"{path}.name"))
    elif name:
        _check(errs, f"{path}.name", name, dns1123_label(name))
        if name in names:
            errs.append(duplicate(f"{path}.name", name))
        names.add(name)
    number = port.get("port", 0)
    _check(errs, f"{path}.port", number, _port_number(number))
    _one_of(errs, f"{path}.protocol", port.get("protocol"), _PROTOCOLS)
    _port_num_or_name(errs, f"{path}.targetPort", port.get("targetPort", 0))
    if port.get("appProtocol") is not None:
        _check(errs, f"{path}.appProtocol", port["appProtocol"], qualified_name(port["appProtocol"]))


def _cluster_ips_update(errs: Errors, spec: dict, old: dict) -> None:
    if "ExternalName" in (spec.get("type"), old.get("type")):
        return
    if spec.get("clusterIP") == old.get("clusterIP") == "None":
        return
    new_ips, old_ips = spec.get("clusterIPs") or [], old.get("clusterIPs") or []
    if not new_ips and old_ips:
        errs.append(invalid("spec.clusterIPs[0]", _go_strings(new_ips), "primary clusterIP can not be unset"))
        return
    for i, ip in enumerate(old_ips[:len(new_ips)]):
        if ip != new_ips[i]:
            errs.append(invalid(f"spec.clusterIPs[{i}]", _go_strings(new_ips), "may not change once set"))


def _endpoints(errs: Errors, obj: dict, old: dict | None) -> None:
    for i, subset in enumerate(obj.get("subsets") or ()):
        spath = f"subsets[{i}]"
        if not subset.get("addresses") and not subset.get("notReadyAddresses"):
            errs.append(required(spath, "must specify `addresses` or `notReadyAddresses`"))
        for key in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(subset.get(key) or ()):
                ip = address.get("ip", "")
                if not _valid_ip(ip):
                    errs.append(invalid(f"{spath}.{key}[{j}].ip", ip, _IP_MSG))
        ports = subset.get("ports") or []
        for j, port in enumerate(ports):
            ppath = f"{spath}.ports[{j}]"
            name = port.get("name", "")
            if len(ports) > 1 and not name:
                errs.append(required(f"{ppath}.name"))
            elif name:
                _check(errs, f"{ppath}.name", name, dns1123_label(name))
            _check(errs, f"{ppath}.port", port.get("port", 0), _port_number(port.get("port", 0)))
            _one_of(errs, f"{ppath}.protocol", port.get("protocol"), _PROTOCOLS)


_PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")


def _ingress(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    rules = spec.get("rules") or []
    if not rules and spec.get("defaultBackend") is None:
        shown = _GoValue("[]networking.IngressRule(nil)" if spec.get("rules") is None else "[]networking.IngressRule{}")
        errs.append(invalid("spec", shown, "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        _ingress_backend(errs, "spec.defaultBackend", spec["defaultBackend"])
    for i, rule in enumerate(rules):
        rpath = f"spec.rules[{i}]"
        host = rule.get("host", "")
        if host:
            if _valid_ip(host):
                errs.append(invalid(f"{rpath}.host", host, "must be a DNS name, not an IP address"))
            if "*" in host:
                if len(host) > 253:
                    errs.append(invalid(f"{rpath}.host", host, max_len_error(253)))
                if not _WILDCARD_RE.fullmatch(host):
                    errs.append(invalid(f"{rpath}.host", host, _WILDCARD_MSG))
            else:
                _check(errs, f"{rpath}.host", host, dns1123_subdomain(host))
        http = rule.get("http")
        if http is None:
            continue
        paths = http.get("paths") or []
        if not paths:
            errs.append(required(f"{rpath}.http.paths"))
        for j, item in enumerate(paths):
            _ingress_path(errs, f"{rpath}.http.paths[{j}]", item)
    for i, tls in enumerate(spec.get("tls") or ()):
        for j, host in enumerate(tls.get("hosts") or ()):
            if "*" not in host:
                _check(errs, f"spec.tls[{i}].hosts[{j}]", host, dns1123_subdomain(host))
    class_name = spec.get("ingressClassName")
    if class_name:
        _check(errs, "spec.ingressClassName", class_name, dns1123_subdomain(class_name))


def _ingress_path(errs: Errors, path: str, item: dict) -> None:
    path_type = item.get("pathType")
    value = item.get("path", "")
    if path_type is None:
        errs.append(required(f"{path}.pathType", "pathType must be specified"))
        return
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(invalid(f"{path}.path", value, "must be an absolute path"))
        if value:
            for sequence in ("//", "/./", "/../", "%2f", "%2F"):
                if sequence in value:
                    errs.append(invalid(f"{path}.path", value, f"must not contain '{sequence}'"))
            for suffix in ("/..", "/."):
                if value.endswith(suffix):
                    errs.append(invalid(f"{path}.path", value, f"cannot end with '{suffix}'"))
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        errs.append(unsupported(f"{path}.pathType", path_type, list(_PATH_TYPES)))
    _ingress_backend(errs, f"{path}.backend", item.get("backend") or {})


def _ingress_backend(errs: Errors, path: str, backend: dict) -> None:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        errs.append(invalid(path, "", "cannot set both resource and service backends"))
        return
    if resource is not None:
        for key in ("kind", "name"):
            if not resource.get(key):
                errs.append(required(f"{path}.resource.{key}"))
        return
    if service is None:
        errs.append(invalid(path, "", "resource or service backend is required"))
        return
    name = service.get("name", "")
    if not name:
        errs.append(required(f"{path}.service.name"))
    else:
        _check(errs, f"{path}.service.name", name, dns1035_label(name))
    port = service.get("port") or {}
    port_name_, number = port.get("name", ""), port.get("number", 0)
    if port_name_ and number:
        errs.append(invalid(path, "", "cannot set both port name & port number"))
    elif port_name_:
        _check(errs, f"{path}.service.port.name", port_name_, port_name(port_name_))
    elif number:
        _check(errs, f"{path}.service.port.number", number, _port_number(number))
    else:
        errs.append(required(path, "port name or number is required"))


def _ingress_class(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    controller = spec.get("controller", "")
    if len(controller) > 250:
        errs.append(_too_long("spec.controller", 250))
    if not controller:
        errs.append(required("spec.controller"))
    else:
        host, slash, rest = controller.partition("/")
        if not slash or not host or not rest:
            errs.append(invalid("spec.controller", controller, 'must be a domain-prefixed path (such as "acme.io/foo")'))
        else:
            _check(errs, "spec.controller", host, dns1123_subdomain(host))
            if not _HTTP_PATH_RE.fullmatch(rest):
                errs.append(invalid("spec.controller", rest, "must be a valid path (regex used for validation is "
                                                             "'[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"))
    if old is not None and controller != (old.get("spec") or {}).get("controller", ""):
        errs.append(invalid("spec.controller", controller, _IMMUTABLE))


def _horizontal_pod_autoscaler(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    low = spec.get("minReplicas")
    high = spec.get("maxReplicas", 0)
    if low is not None and low < 1:
        errs.append(invalid("spec.minReplicas", low, "must be greater than or equal to 1"))
    if high < 1:
        errs.append(invalid("spec.maxReplicas", high, "must be greater than 0"))
    if low is not None and high < low:
        errs.append(invalid("spec.maxReplicas", high, "must be greater than or equal to `minReplicas`"))
    ref = spec.get("scaleTargetRef") or {}
    for key in ("kind", "name"):
        value = ref.get(key, "")
        if not value:
            errs.append(required(f"spec.scaleTargetRef.{key}"))
        _check(errs, f"spec.scaleTargetRef.{key}", value, _path_segment(value))
    for i, metric in enumerate(spec.get("metrics") or ()):
        _metric(errs, f"spec.metrics[{i}]", metric)


def _path_segment(name: str) -> tuple[str, ...]:
    """IsValidPathSegmentName."""
    if name in (".", ".."):
        return (f"may not be '{name}'",)
    return tuple(f"may not contain '{c}'" for c in "/%" if c in name)


_METRIC_SOURCES = {"Object": "object", "Pods": "pods", "Resource": "resource", "ContainerResource": "containerResource",
                   "External": "external"}


def _metric(errs: Errors, path: str, metric: dict) -> None:
    mtype = metric.get("type", "")
    if not mtype:
        errs.append(required(f"{path}.type", "must specify a metric source type"))
        return
    field = _METRIC_SOURCES.get(mtype)
    if field is None:
        errs.append(unsupported(f"{path}.type", mtype, list(_METRIC_SOURCES)))
        return
    source = metric.get(field)
    if source is None:
        errs.append(required(f"{path}.{field}", "must populate information for the given metric source"))
        return
    spath = f"{path}.{field}"
    if field in ("resource", "containerResource"):
        if not source.get("name"):
            errs.append(required(f"{spath}.name", "must specify a resource name"))
        if field == "containerResource" and not source.get("container"):
            errs.append(required(f"{spath}.container", "must specify a container"))
    target = source.get("target") or {}
    ttype = target.get("type", "")
    tpath = f"{spath}.target"
    if not ttype:
        errs.append(required(f"{tpath}.type", "must specify a metric target type"))
    elif ttype not in ("Utilization", "Value", "AverageValue"):
        errs.append(invalid(f"{tpath}.type", ttype, "must be either Utilization, Value, or AverageValue"))
    utilization = target.get("averageUtilization")
    if utilization is not None and utilization < 1:
        errs.append(invalid(f"{tpath}.averageUtilization", utilization, "must be greater than 0"))
    for key in ("value", "averageValue"):
        if target.get(key) is not None:
            parsed = _quantity(errs, f"{tpath}.{key}", target[key])
            if parsed is not None and parsed[0] <= 0:
                errs.append(invalid(f"{tpath}.{key}", parsed[1], "must be positive"))


# -- configuration, storage and cluster objects -------------------------------------------------------------------

_MAX_SECRET_SIZE = 1024 * 1024


def _config_map(errs: Errors, obj: dict, old: dict | None) -> None:
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    size = 0
    for key, value in data.items():
        _check(errs, f"data[{key}]", key, config_map_key(key))
        if key in binary:
            errs.append(invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        size += len(value)
    for key, value in binary.items():
        _check(errs, f"binaryData[{key}]", key, config_map_key(key))
        size += len(value) * 3 // 4
    if size > _MAX_SECRET_SIZE:
        errs.append(_too_long("", _MAX_SECRET_SIZE))
    if old is not None:
        _immutable_data(errs, obj, old, ("data", "binaryData"))


def _immutable_data(errs: Errors, obj: dict, old: dict, fields: tuple[str, ...]) -> None:
    if not old.get("immutable"):
        return
    if not obj.get("immutable"):
        errs.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    for key in fields:
        if (obj.get(key) or {}) != (old.get(key) or {}):
            errs.append(forbidden(key, "field is immutable when `immutable` is set"))


_SECRET_REQUIRED_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def _secret(errs: Errors, obj: dict, old: dict | None) -> None:
    data = obj.get("data") or {}
    size = 0
    for key, value in data.items():
        _check(errs, f"data[{key}]", key, config_map_key(key))
        if isinstance(value, str):
            problem = decode.base64_error(value)
            if problem:
                errs.append(invalid(f"data[{key}]", "<secret contents redacted>", problem))
            size += len(value) * 3 // 4
    if size > _MAX_SECRET_SIZE:
        errs.append(_too_long("data", _MAX_SECRET_SIZE))
    stype = obj.get("type", "")
    if stype == "kubernetes.io/service-account-token":
        if not ((obj.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(required("data[username]"))
            errs.append(required("data[password]"))
    for key in _SECRET_REQUIRED_KEYS.get(stype, ()):
        if key not in data:
            errs.append(required(f"data[{key}]"))
    if old is not None:
        if stype != old.get("type", ""):
            errs.append(invalid("type", stype, _IMMUTABLE))
        _immutable_data(errs, obj, old, ("data",))


_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_VOLUME_MODES = ("Block", "Filesystem")


def _access_modes(errs: Errors, path: str, modes: list | None, detail: str) -> None:
    if not modes:
        errs.append(required(path, detail))
    for mode in modes or ():
        if mode not in _ACCESS_MODES:
            errs.append(unsupported(path, mode, list(_ACCESS_MODES)))
    if "ReadWriteOncePod" in (modes or ()) and any(m in _ACCESS_MODES and m != "ReadWriteOncePod" for m in modes):
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))


def _claim_spec(errs: Errors, path: str, spec: dict) -> None:
    _access_modes(errs, f"{path}.accessModes", spec.get("accessModes"), "at least 1 access mode is required")
    if spec.get("selector") is not None:
        errs.extend(selectors.validate_label_selector_object(spec["selector"], f"{path}.selector"))
    storage_path = f"{path}.resources[storage]"
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        errs.append(required(storage_path))
    else:
        parsed = _quantity(errs, storage_path, requests["storage"])
        if parsed is not None and parsed[0] <= 0:
            errs.append(invalid(storage_path, parsed[1], "must be greater than zero"))
    class_name = spec.get("storageClassName")
    if class_name:
        _check(errs, f"{path}.storageClassName", class_name, dns1123_subdomain(class_name))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        errs.append(unsupported(f"{path}.volumeMode", mode, list(_VOLUME_MODES)))


def _persistent_volume_claim(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _claim_spec(errs, "spec", spec)
    if old is None:
        return
    old_spec = old.get("spec") or {}
    bound = (obj.get("status") or {}).get("phase") == "Bound"
    comparable_new = {k: v for k, v in spec.items() if k != "volumeName" or old_spec.get("volumeName")}
    comparable_old = {k: v for k, v in old_spec.items() if k != "volumeName" or old_spec.get("volumeName")}
    if bound:
        for side in (comparable_new, comparable_old):
            side.pop("resources", None)
            side.pop("volumeAttributesClassName", None)
    if comparable_new != comparable_old:
        errs.append(forbidden("spec", "spec is immutable after creation except resources.requests and "
                                      "volumeAttributesClassName for bound claims"))
    new_size = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    old_size = ((old_spec.get("resources") or {}).get("requests") or {}).get("storage")
    capacity = ((old.get("status") or {}).get("capacity") or {}).get("storage", "0")
    try:
        shrinking = quantity.parse_quantity(new_size) < quantity.parse_quantity(old_size)
        below_capacity = quantity.parse_quantity(new_size) <= quantity.parse_quantity(capacity)
    except ValueError:
        return
    if shrinking and below_capacity:
        errs.append(forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))


_PV_SOURCES = ("gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte",
               "iscsi", "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume",
               "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi")


def _persistent_volume(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    _access_modes(errs, "spec.accessModes", spec.get("accessModes"), "")
    capacity = spec.get("capacity") or {}
    if not capacity:
        errs.append(required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        errs.append(unsupported("spec.capacity", _GoValue("core.ResourceList{...}"), ["storage"]))
    for name, value in capacity.items():
        parsed = _quantity(errs, f"spec.capacity[{name}]", value)
        if parsed is not None and parsed[0] <= 0:
            errs.append(invalid(f"spec.capacity[{name}]", parsed[1], "must be greater than zero"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in ("Delete", "Recycle", "Retain"):
        errs.append(unsupported("spec.persistentVolumeReclaimPolicy", policy, ["Delete", "Recycle", "Retain"]))
    sources = [key for key in _PV_SOURCES if spec.get(key) is not None]
    if not sources:
        errs.append(required("spec", "must specify a volume type"))
    for key in sources[1:]:
        errs.append(forbidden(f"spec.{key}", "may not specify more than 1 volume type"))
    if spec.get("hostPath") is not None and not spec["hostPath"].get("path"):
        errs.append(required("spec.hostPath.path"))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in _VOLUME_MODES:
        errs.append(unsupported("spec.volumeMode", mode, list(_VOLUME_MODES)))
    class_name = spec.get("storageClassName")
    if class_name:
        _check(errs, "spec.storageClassName", class_name, dns1123_subdomain(class_name))
    if old is not None:
        old_spec = old.get("spec") or {}
        if any(spec.get(key) != old_spec.get(key) for key in _PV_SOURCES):
            errs.append(forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is forbidden."))
        if spec.get("volumeMode") != old_spec.get("volumeMode"):
            errs.append(invalid("volumeMode", spec.get("volumeMode"), _IMMUTABLE))


def _storage_class(errs: Errors, obj: dict, old: dict | None) -> None:
    provisioner = obj.get("provisioner", "")
    if not provisioner:
        errs.append(required("provisioner"))
    else:
        _check(errs, "provisioner", provisioner, qualified_name(provisioner.lower()))
    policy = obj.get("reclaimPolicy")
    if policy is not None and policy not in ("Delete", "Retain"):
        errs.append(unsupported("reclaimPolicy", policy, ["Delete", "Retain"]))
    mode = obj.get("volumeBindingMode")
    if mode is not None and mode not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(unsupported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"]))
    if old is not None:
        for key in ("parameters", "provisioner", "reclaimPolicy"):
            if obj.get(key) != old.get(key):
                errs.append(forbidden(key, f"updates to {key} are forbidden."))
        if obj.get("volumeBindingMode") != old.get("volumeBindingMode"):
            errs.append(invalid("volumeBindingMode", obj.get("volumeBindingMode"), _IMMUTABLE))


def _namespace(errs: Errors, obj: dict, old: dict | None) -> None:
    for finalizer in (obj.get("spec") or {}).get("finalizers") or ():
        _check(errs, "spec.finalizers", finalizer, qualified_name(finalizer))
        if "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
            errs.append(invalid("spec.finalizers", finalizer,
                                "name is neither a standard finalizer name nor is it fully qualified"))


def _node(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    seen: dict[str, set[str]] = {}
    for i, taint in enumerate(spec.get("taints") or ()):
        tpath = f"metadata.taints[{i}]"
        key = taint.get("key", "")
        _check(errs, f"{tpath}.key", key, qualified_name(key))
        value = taint.get("value", "")
        problems = label_value(value)
        if problems:
            errs.append(invalid(f"{tpath}.value", value, ";".join(problems)))
        _one_of(errs, f"{tpath}.effect", taint.get("effect"), _TAINT_EFFECTS)
        effect_keys = seen.setdefault(taint.get("effect", ""), set())
        if key in effect_keys:
            errs.append(FieldError(tpath, "Duplicate value", "taints must be unique by key and effect pair",
                                   _GoValue(f"core.Taint{{Key:{_q(key)}, Value:{_q(value)}, "
                                           f"Effect:{_q(taint.get('effect', ''))}, TimeAdded:<nil>}}"), True))
        effect_keys.add(key)
    status = obj.get("status") or {}
    for section in ("capacity", "allocatable"):
        for name, value in (status.get(section) or {}).items():
            _resource_value(errs, f"status.{section}.{name}", name, value)
    if old is not None:
        old_spec = old.get("spec") or {}
        if old_spec.get("podCIDRs") and spec.get("podCIDRs") != old_spec["podCIDRs"]:
            errs.append(forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
        if old_spec.get("providerID") and spec.get("providerID") != old_spec["providerID"]:
            errs.append(forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))


def _resource_quota(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    for name, value in (spec.get("hard") or {}).items():
        path = f"spec.hard[{name}]"
        _resource_name(errs, path, name, _STANDARD_QUOTA, "must be a standard resource for quota")
        _resource_value(errs, path, name, value)
    scopes = spec.get("scopes") or []
    for scope in scopes:
        if scope not in ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                         "CrossNamespacePodAffinity", "VolumeAttributesClass"):
            errs.append(invalid("spec.scopes", _go_strings(scopes), "unsupported scope"))
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(s in scopes for s in pair):
            errs.append(invalid("spec.scopes", _go_strings(scopes), "conflicting scopes"))
    if old is not None and set(scopes) != set((old.get("spec") or {}).get("scopes") or ()):
        errs.append(invalid("spec.scopes", _go_strings(scopes), _IMMUTABLE))


def _limit_range(errs: Errors, obj: dict, old: dict | None) -> None:
    seen: set[str] = set()
    for i, item in enumerate((obj.get("spec") or {}).get("limits") or ()):
        ipath = f"spec.limits[{i}]"
        ltype = item.get("type", "")
        if ltype in seen:
            errs.append(duplicate(f"{ipath}.type", ltype))
        seen.add(ltype)
        if ltype == "Pod":
            for key in ("default", "defaultRequest"):
                if item.get(key):
                    errs.append(forbidden(f"{ipath}.{key}", "may not be specified when `type` is 'Pod'"))
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            for name, value in (item.get(key) or {}).items():
                _quantity(errs, f"{ipath}.{key}[{name}]", value)


def _lease(errs: Errors, obj: dict, old: dict | None) -> None:
    spec = obj.get("spec") or {}
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    _nonnegative(errs, "spec.leaseTransitions", spec.get("leaseTransitions"))


def _event(errs: Errors, obj: dict, old: dict | None) -> None:
    namespace = (obj.get("metadata") or {}).get("namespace", "")
    involved = (obj.get("involvedObject") or {}).get("namespace", "")
    if obj.get("eventTime") is None:
        if involved and namespace != involved:
            errs.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))
        if not involved and namespace not in ("", "default"):
            errs.append(invalid("involvedObject.namespace", involved, "does not match event.namespace"))


_VALIDATORS = {
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "ReplicationController": _replication_controller,
    "StatefulSet": _stateful_set,
    "DaemonSet": _daemon_set,
    "Job": _job,
    "ControllerRevision": _controller_revision,
    "Service": _service,
    "Endpoints": _endpoints,
    "Ingress": _ingress,
    "IngressClass": _ingress_class,
    "HorizontalPodAutoscaler": _horizontal_pod_autoscaler,
    "ConfigMap": _config_map,
    "Secret": _secret,
    "PersistentVolumeClaim": _persistent_volume_claim,
    "PersistentVolume": _persistent_volume,
    "StorageClass": _storage_class,
    "Namespace": _namespace,
    "Node": _node,
    "ResourceQuota": _resource_quota,
    "LimitRange": _limit_range,
    "Lease": _lease,
    "Event": _event,
}

# metadata.name rules that differ from the DNS-1123 subdomain most kinds use.
_NAME_RULES = {"Namespace": dns1123_label, "Service": dns1035_label, "StatefulSet": dns1123_label}


def validate(kind: str, obj: dict, old: dict | None = None) -> list[FieldError]:
    """Field errors in `obj` (after defaulting); `old` is the stored object on update."""
    errs: Errors = []
    meta = obj.get("metadata") or {}
    registered = kinds.BY_KIND.get(kind)
    namespaced = registered.namespaced if registered else True
    _object_meta(errs, meta, namespaced, _NAME_RULES.get(kind, dns1123_subdomain))
    if old is not None:
        _object_meta_update(errs, meta, old.get("metadata") or {})
    validator = _VALIDATORS.get(kind)
    if validator is not None:
        validator(errs, obj, old)
    return errs
