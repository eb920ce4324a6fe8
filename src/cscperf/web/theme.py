"""The council's colours for the dashboard and the contrast check they must pass.

Owns ``theme.yaml`` (default colours and each council's, keyed by LA number), WCAG relative
luminance and contrast ratio, and the refusal of a theme whose text would be hard to read.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from cscperf.errors import ConfigError

THEME_FILE = Path(__file__).with_name("theme.yaml")
THEME_KIND = "cscperf-web-theme"
AA_NORMAL_TEXT = 4.5  # WCAG 2.2 success criterion 1.4.3
WHITE = "#ffffff"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class Colours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    header_background: str
    header_text: str
    accent: str
    link: str

    @field_validator("*")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"must be a colour written #rrggbb, not {value!r}")
        return value.lower()


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = THEME_KIND
    default: Colours
    councils: dict[str, Colours] = {}


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour (0 black .. 1 white)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours, 1 to 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def contrast_problems(colours: Colours) -> list[str]:
    """Each pair the pages put together that falls below AA for normal text."""
    pairs = {
        "header_text on header_background": (colours.header_text, colours.header_background),
        "link on white": (colours.link, WHITE),
        "accent on white": (colours.accent, WHITE),
    }
    return [
        f"{name} is {contrast_ratio(*pair):.2f}:1"
        for name, pair in pairs.items()
        if contrast_ratio(*pair) < AA_NORMAL_TEXT
    ]


def load_theme(la_code: str | None, path: Path = THEME_FILE) -> Colours:
    """The council's colours (or the default), refused when their contrast is too low."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        theme = ThemeFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: the dashboard theme cannot be read ({exc})") from exc
    colours = theme.councils.get(la_code or "", theme.default)
    problems = contrast_problems(colours)
    if problems:
        raise ConfigError(
            f"{path}: the colours for council {la_code or 'default'} are too faint to read "
            f"({'; '.join(problems)}); WCAG AA needs 4.5:1, so choose darker colours"
        )
    return colours
