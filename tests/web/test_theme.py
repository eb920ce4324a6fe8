"""Council colours: WCAG contrast arithmetic and the refusal of faint colours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cscperf.errors import ConfigError
from cscperf.web.theme import contrast_ratio, load_theme


def test_contrast_ratio_extremes_and_a_known_grey() -> None:
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # #767676 on white is the classic lightest AA grey: 4.54:1
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_packaged_themes_pass_aa() -> None:
    for code in ("999", None):
        colours = load_theme(code)
        assert contrast_ratio(colours.header_text, colours.header_background) >= 4.5


def test_faint_council_colours_are_refused(tmp_path: Path) -> None:
    theme = tmp_path / "theme.yaml"
    theme.write_text(
        "kind: cscperf-web-theme\n"
        "default: {header_background: '#0b0c0c', header_text: '#ffffff', accent: '#1d70b8',"
        " link: '#1a65a6'}\n"
        "councils:\n"
        "  '123': {header_background: '#ffdd00', header_text: '#ffffff', accent: '#1d70b8',"
        " link: '#1a65a6'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="header_text on header_background"):
        load_theme("123", theme)
    assert load_theme("456", theme).header_background == "#0b0c0c"
