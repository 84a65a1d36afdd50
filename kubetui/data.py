"""Where the bundled data folders (themes/, scenarios/) are, inside the wheel or at the source tree's top,
and the user's own (~/.config/kubetui)."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The bundled folder `name` ("themes" or "scenarios")."""
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    source = _PACKAGE.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"bundled folder {name!r} not found (looked in {installed} and {source})")


def user_config_dir() -> Path:
    """$XDG_CONFIG_HOME/kubetui, or ~/.config/kubetui: the user's themes, keymap and scenarios."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "kubetui"


def scenario_folders() -> list[tuple[str, Path]]:
    """Where scenarios are found by name, as (origin, folder): the user's first (its files win), then the bundled."""
    bundled = data_dir("scenarios")
    return [("user", user_config_dir() / "scenarios"), ("bundled", bundled), ("bundled", bundled / "lessons")]
