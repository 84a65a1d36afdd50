"""Durations: Go-style parsing (`90s`, `1h30m`, `250ms`) and kubectl's human-readable AGE form."""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)"
_DURATION_RE = re.compile(f"(?:{_PART})+")
_PART_RE = re.compile(_PART)
_NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_duration(value: str | int | float) -> float:
    """Seconds in `value`: a Go duration string (`90s`, `5m`, `1h30m`, `1.5h`, `250ms`, `2h45m10s`) or a
    plain number of seconds (also as a string). Negative or malformed values are a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"invalid duration {value!r}: use forms like 90s, 5m, 1h30m")
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER_RE.fullmatch(text):
            seconds = float(text)
        elif _DURATION_RE.fullmatch(text.removeprefix("+")):
            seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART_RE.findall(text))
        elif text.startswith("-") and _DURATION_RE.fullmatch(text[1:]):
            raise ValueError(f'invalid duration "{value}": must not be negative')
        else:
            raise ValueError(f'invalid duration "{value}": use forms like 90s, 5m, 1h30m')
    else:
        seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(f'invalid duration "{value}": use forms like 90s, 5m, 1h30m')
    if seconds < 0:
        raise ValueError(f'invalid duration "{value}": must not be negative')
    return seconds


def format_duration(seconds: float) -> str:
    """kubectl's AGE text (apimachinery `duration.HumanDuration`): `45s`, `3m20s`, `12m`, `5h3m`,
    `3d4h`, `45d`, `2y30d`, `10y`; slightly negative values are `0s`, more negative `<invalid>`."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        s = total % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = total // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"
