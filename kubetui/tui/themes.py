"""Theme files: a validated YAML format turned into Textual themes, bundled and user folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

from ..data import data_dir, user_config_dir

DEFAULT_THEME = "dark"

# Status colours kubetui's widgets use; a theme may override any of them under `variables`.
STATUS_VARIABLES: dict[str, str] = {
    "pod-running": "#5fd787",
    "pod-succeeded": "#87afaf",
    "pod-pending": "#ffd75f",
    "pod-creating": "#87d7ff",
    "pod-failed": "#ff5f5f",
    "pod-crashloop": "#ff8700",
    "pod-terminating": "#af87ff",
    "pod-unknown": "#a8a8a8",
    "node-ready": "#5fd787",
    "node-notready": "#ff5f5f",
    "node-cordoned": "#ffd75f",
    "event-warning": "#ffaf00",
    "bar-fill": "#5f87d7",
    "bar-empty": "#3a3a3a",
    "countdown": "#ffaf5f",
}

_COLOUR_FIELDS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background",
                  "surface", "panel", "boost")


def _check_colour(value: str) -> str:
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"not a colour: {value!r}") from None
    return value


class ThemeFile(BaseModel):
    """One theme file. Colours are CSS-style (`#rrggbb`, `rgb(...)`, named)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    author: str | None = None
    description: str | None = None
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    warning: str | None = None
    error: str | None = None
    success: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    luminosity_spread: float = 0.15
    text_alpha: float = 0.95
    variables: dict[str, str] = {}

    @field_validator(*_COLOUR_FIELDS)
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        return None if value is None else _check_colour(value)

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, str]) -> dict[str, str]:
        for key, colour in value.items():
            if key not in STATUS_VARIABLES:
                raise ValueError(f"unknown variable {key!r} (known: {', '.join(STATUS_VARIABLES)})")
            try:
                _check_colour(colour)
            except ValueError as exc:
                raise ValueError(f"{key}: {exc}") from None
        return value

    def to_theme(self) -> Theme:
        colours = {name: getattr(self, name) for name in _COLOUR_FIELDS}
        return Theme(name=self.name, dark=self.dark, luminosity_spread=self.luminosity_spread,
                     text_alpha=self.text_alpha, variables=dict(self.variables), **colours)


@dataclass
class ThemeProblem:
    """A theme file that could not be used."""

    file: Path
    field: str
    message: str

    def __str__(self) -> str:
        where = f" field {self.field}" if self.field else ""
        return f"{self.file}:{where}: {self.message}"


def theme_dirs() -> list[Path]:
    """Bundled themes first, then the user's (a user theme with the same name wins)."""
    return [data_dir("themes"), user_config_dir() / "themes"]


def load_theme_file(path: Path) -> Theme:
    """Parse and validate one file; raises ThemeError naming the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise ThemeError(ThemeProblem(path, "", f"invalid YAML {where}: {getattr(exc, 'problem', exc)}")) from None
    except OSError as exc:
        raise ThemeError(ThemeProblem(path, "", str(exc))) from None
    if not isinstance(data, dict):
        raise ThemeError(ThemeProblem(path, "", "a theme file is a mapping of fields"))
    try:
        model = ThemeFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
        raise ThemeError(ThemeProblem(path, field, message)) from None
    theme = model.to_theme()
    try:
        # Register-time checks are lazy in Textual: a bad palette would only fail when the theme is activated.
        theme.to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - any failure here means the palette is unusable
        raise ThemeError(ThemeProblem(path, "", f"cannot build the palette: {exc}")) from None
    return theme


class ThemeError(Exception):
    def __init__(self, problem: ThemeProblem):
        super().__init__(str(problem))
        self.problem = problem


def load_themes(dirs: list[Path] | None = None) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every `*.yaml`/`*.yml` theme in `dirs`, in file-name order, plus the problems found."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in theme_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                theme = load_theme_file(path)
            except ThemeError as exc:
                problems.append(exc.problem)
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems
