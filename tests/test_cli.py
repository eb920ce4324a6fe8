"""The command line's contract: version, help, and exit codes that mean something."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cscperf import __version__
from cscperf.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cscperf {__version__}"


def test_unknown_option_is_usage_error(capsys):
    assert main(["--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    import typer.main

    from cscperf.cli import app

    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert "synth" in names
    for name in names:
        assert main([name, "--help"]) == 0, name
        assert "Usage" in capsys.readouterr().out


def test_console_script_runs():
    done = subprocess.run(
        [sys.executable, "-m", "cscperf", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert __version__ in done.stdout


@pytest.mark.parametrize("command", ["indicators", "evaluate", "report"])
def test_audience_is_one_choice_everywhere(command: str, tmp_path, capsys) -> None:
    """--audience is declared once (cli/options.py): the same choices and exit 2 for others."""
    args = [command, "--store", str(tmp_path), "--period", "2025-03", "--audience", "press"]
    if command == "report":
        args += ["--out", str(tmp_path / "pack")]
    assert main(args) == 2
    assert "'council', 'public'" in capsys.readouterr().err
