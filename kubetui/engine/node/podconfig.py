"""What the kubelet reads from ConfigMaps and Secrets to start a container: its environment and its config volumes."""

from __future__ import annotations

import base64

from ..api.server import APIServer


class ConfigError(Exception):
    """A reference the container needs does not resolve; the message is the kubelet's."""


def _source(api: APIServer, kind: str, namespace: str, name: str, optional: bool) -> dict | None:
    plural = "configmaps" if kind == "ConfigMap" else "secrets"
    obj = api.try_get(plural, name, namespace)
    if obj is None and not optional:
        raise ConfigError(f'{"configmap" if kind == "ConfigMap" else "secret"} "{name}" not found')
    return obj


def _values(kind: str, obj: dict) -> dict[str, str]:
    if kind == "ConfigMap":
        return dict(obj.get("data") or {})
    out = {}
    for key, value in (obj.get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value).decode("utf-8", "replace")
        except ValueError:
            out[key] = value
    return out


def container_env(api: APIServer, namespace: str, pod: dict, container: dict) -> list[tuple[str, str]]:
    """The container's environment as the kubelet builds it: `envFrom` sources first (with their prefix), then
    `env` entries, later ones overriding; raises ConfigError for a missing, non-optional reference."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or ():
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(field)
            if ref is None:
                continue
            obj = _source(api, kind, namespace, ref.get("name", ""), bool(ref.get("optional")))
            if obj is not None:
                for key, value in _values(kind, obj).items():
                    env[source.get("prefix", "") + key] = value
    for var in container.get("env") or ():
        value_from = var.get("valueFrom")
        if value_from is None:
            env[var["name"]] = var.get("value", "")
            continue
        for kind, field in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            ref = value_from.get(field)
            if ref is None:
                continue
            optional = bool(ref.get("optional"))
            obj = _source(api, kind, namespace, ref.get("name", ""), optional)
            if obj is None:
                break
            values = _values(kind, obj)
            if ref.get("key") in values:
                env[var["name"]] = values[ref["key"]]
            elif not optional:
                raise ConfigError(f"couldn't find key {ref.get('key')} in {kind} {namespace}/{ref.get('name')}")
            break
        else:
            field_ref = value_from.get("fieldRef")
            if field_ref is not None:
                env[var["name"]] = _field(pod, field_ref.get("fieldPath", ""))
    return list(env.items())


def _field(pod: dict, path: str) -> str:
    """The downward API's fieldRef values a pod can read about itself."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    simple = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"), "status.podIP": status.get("podIP"),
              "status.hostIP": status.get("hostIP")}
    if path in simple:
        return simple[path] or ""
    for prefix, source in (("metadata.labels['", meta.get("labels")), ("metadata.annotations['", meta.get("annotations"))):
        if path.startswith(prefix) and path.endswith("']"):
            return (source or {}).get(path[len(prefix):-2], "")
    return ""


def unmountable_volume(api: APIServer, namespace: str, pod: dict) -> tuple[str, str] | None:
    """The first configMap/secret volume whose source is missing (and not optional): (volume, error)."""
    for volume in (pod.get("spec") or {}).get("volumes") or ():
        for kind, field, name_key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            src = volume.get(field)
            if src is None:
                continue
            try:
                _source(api, kind, namespace, src.get(name_key, ""), bool(src.get("optional")))
            except ConfigError as exc:
                return volume["name"], str(exc)
    return None
