"""Targets as scenarios and conditions name them: `node`, `ns/pod`, `deployment/web`, `ns/deployment/web`."""

from __future__ import annotations

from ..engine.api import kinds
from ..engine.api.errors import ApiError


def parse_pod_target(target: str) -> tuple[str | None, str]:
    """`name` or `namespace/name` (a pod name or name prefix) -> (namespace or None, name)."""
    parts = target.split("/")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f'expected a pod name or namespace/name, got "{target}"')
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def parse_object_target(target: str, default_resource: str | None = None) -> tuple[str | None, kinds.Kind, str]:
    """`resource/name`, `namespace/resource/name` or a bare name of `default_resource` -> (namespace, kind, name)."""
    parts = target.split("/")
    if len(parts) == 1 and default_resource and parts[0]:
        parts = [default_resource, parts[0]]
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f'expected resource/name or namespace/resource/name such as "deployment/web", got "{target}"')
    namespace = parts[0] if len(parts) == 3 else None
    try:
        kind = kinds.resolve(parts[-2])
    except ApiError:
        raise ValueError(f'unknown resource type "{parts[-2]}"') from None
    return namespace, kind, parts[-1]
