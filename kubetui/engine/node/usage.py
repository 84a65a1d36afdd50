"""Simulated resource usage of a running container: a `sim.kubetui.io/cpu` profile plus the traffic it serves.

`sim.kubetui.io/cpu: "50m; 400m@2m; 100m@10m"` uses 50m from the start, 400m from two minutes after the
container started and 100m from ten minutes on; `sim.kubetui.io/memory` reads the same way. Every request per
second the pod answers adds `sim.kubetui.io/cpu-per-request` (default 5m) to each of its containers.
`sim.kubetui.io/metric.<name>: "10; 50@2m"` gives a pod (or any object) the custom metric <name>, read the same
way from when the pod started (the object was created).
"""

from __future__ import annotations

import functools

from ..durations import parse_duration
from ..quantity import cpu_millis, to_bytes
from .behaviour import PREFIX, annotation

IDLE_CPU_MILLIS = 1
IDLE_MEMORY_BYTES = 8 * 1024 * 1024
DEFAULT_CPU_PER_REQUEST = "5m"
METRIC_PREFIX = f"{PREFIX}metric."


@functools.lru_cache(maxsize=1024)
def parse_profile(text: str) -> tuple[tuple[float, str], ...]:
    """`"50m; 400m@2m"` → ((0.0, "50m"), (120.0, "400m")), ordered by start; a ValueError if unreadable."""
    steps = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        value, sep, start = part.partition("@")
        steps.append((parse_duration(start.strip()) if sep else 0.0, value.strip()))
    if not steps:
        raise ValueError(f"empty usage profile {text!r}")
    return tuple(sorted(steps, key=lambda step: step[0]))


def profile_value(text: str | None, running_for: float, parse) -> int | None:
    """The profile's value (through `parse`) `running_for` seconds after the start; None if the profile is
    unset, unreadable, or has not begun yet."""
    if text is None:
        return None
    try:
        steps = parse_profile(text)
        current = None
        for start, value in steps:
            if start <= running_for:
                current = value
        return None if current is None else parse(current)
    except ValueError:
        return None


def container_cpu_millis(pod: dict, container: str, running_for: float, requests_per_second: float) -> int:
    base = profile_value(annotation(pod, container, "cpu"), running_for, cpu_millis)
    try:
        per_request = cpu_millis(annotation(pod, container, "cpu-per-request") or DEFAULT_CPU_PER_REQUEST)
    except ValueError:
        per_request = cpu_millis(DEFAULT_CPU_PER_REQUEST)
    return (IDLE_CPU_MILLIS if base is None else base) + round(per_request * requests_per_second)


def container_memory_bytes(pod: dict, container: str, running_for: float) -> int:
    value = profile_value(annotation(pod, container, "memory"), running_for, to_bytes)
    return IDLE_MEMORY_BYTES if value is None else value


def custom_metrics(obj: dict, running_for: float) -> dict[str, int]:
    """The `sim.kubetui.io/metric.<name>` profiles of an object at that age, in milli-units, by name."""
    out = {}
    for key, text in ((obj.get("metadata") or {}).get("annotations") or {}).items():
        if key.startswith(METRIC_PREFIX) and len(key) > len(METRIC_PREFIX):
            value = profile_value(text, running_for, cpu_millis)
            if value is not None:
                out[key[len(METRIC_PREFIX):]] = value
    return out
