"""The user's settings file (~/.config/kubetui/settings.yaml) and config folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .data import user_config_dir


class Settings(BaseModel):
    """`lang: ko` shows lessons in Korean (else English, or from the locale when not set)."""

    model_config = ConfigDict(extra="forbid")
    lang: Literal["en", "ko"] | None = None


def load_settings(path: Path | None = None) -> Settings:
    """The settings, or the defaults (with a warning on stderr) when the file is missing or wrong."""
    path = path or user_config_dir() / "settings.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Settings.model_validate(data)
    except FileNotFoundError:
        return Settings()
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        print(f"kubetui: {path}: ignored: {str(exc).splitlines()[0]}", file=sys.stderr)
        return Settings()
