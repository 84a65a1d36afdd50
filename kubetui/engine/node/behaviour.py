"""Simulated application behaviour set by pod annotations (docs/workloads.md): when an app is up, fails, crashes.

`sim.kubetui.io/<name>` applies to every container of the pod, `sim.kubetui.io/<name>.<container>` to one.
"""

from __future__ import annotations

from ..durations import parse_duration

PREFIX = "sim.kubetui.io/"


def annotation(pod: dict, container: str, name: str) -> str | None:
    annotations = pod["metadata"].get("annotations") or {}
    return annotations.get(f"{PREFIX}{name}.{container}", annotations.get(f"{PREFIX}{name}"))


def after(pod: dict, container: str, name: str) -> float | None:
    """Seconds after the container starts at which behaviour `name` begins (None: never, or unreadable)."""
    text = annotation(pod, container, name)
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError:
        return None


def crash(pod: dict, container: str) -> tuple[float, int] | None:
    """`crash-after` (and `exit-code`, default 1): the process exits that long after it starts."""
    when = after(pod, container, "crash-after")
    if when is None:
        return None
    code = annotation(pod, container, "exit-code") or "1"
    return when, int(code) if code.lstrip("-").isdigit() else 1
