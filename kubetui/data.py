"""Where the bundled data folders (themes/, scenarios/) are: inside the wheel, or at the source tree's top."""

from __future__ import annotations

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
