"""The official Kubernetes OpenAPI definitions (shipped by kubernetes-validate), indexed for fast lookups."""

from __future__ import annotations

import functools
import json
from importlib import resources

_REF_PREFIXES = ("#/$defs/", "/api/_definitions.json#/$defs/")


@functools.cache
def definitions() -> dict[str, dict]:
    """All definitions by name (`io.k8s.api.core.v1.Pod`), from the newest schema version shipped."""
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    versions = [p.name for p in root.iterdir() if p.name.endswith("-local") and p.name.startswith("v")]

    def version_key(name: str) -> tuple[int, ...]:
        return tuple(int(part) for part in name[1:].removesuffix("-local").split("."))

    newest = max(versions, key=version_key)
    with (root / newest / "_definitions.json").open("rb") as f:
        return json.load(f)["$defs"]


def ref_name(ref: str) -> str:
    for prefix in _REF_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    raise KeyError(ref)


@functools.cache
def _by_gvk() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            index[(gvk.get("group", ""), gvk["version"], gvk["kind"])] = name
    return index


def definition_name(group: str, version: str, kind: str) -> str:
    """The definition name of a top-level kind, e.g. ("apps", "v1", "Deployment")."""
    return _by_gvk()[(group, version, kind)]


def resolve(schema: dict) -> dict:
    """Follow a `$ref` (also when wrapped in allOf) to the referenced definition."""
    ref = schema.get("$ref")
    if ref is None and "allOf" in schema and len(schema["allOf"]) == 1:
        ref = schema["allOf"][0].get("$ref")
    if ref is None:
        return schema
    return definitions()[ref_name(ref)]


def field_schema(schema: dict, field: str) -> dict | None:
    """The raw schema of one property of an object schema (not resolved), or None if undeclared."""
    return resolve(schema).get("properties", {}).get(field)


def types_of(schema: dict) -> set[str]:
    t = schema.get("type")
    if t is None:
        return set()
    return {t} if isinstance(t, str) else set(t)
