"""The command line's contract: version, help, and exit codes that mean something."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main

from cscperf import __version__
from cscperf.cli import COMMANDS, app, load_command, main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cscperf {__version__}"


def test_unknown_option_is_usage_error(capsys):
    assert main(["--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    group = typer.main.get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert names == list(COMMANDS)
    for name in names:
        assert main([name, "--help"]) == 0, name
        assert "Usage" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_summary_is_the_commands_own(name: str) -> None:
    """``cscperf --help`` lists a summary kept beside the module name; it must not drift from
    the first sentence of the help the command itself gives once loaded."""
    loaded = load_command(name)
    paragraph = " ".join((loaded.help or "").split("\n\n")[0].split())
    first_sentence = paragraph.split(". ")[0].rstrip(".") + "."
    assert first_sentence == COMMANDS[name].summary


def test_help_loads_no_command_module():
    """Listing the commands imports none of them, nor Polars, Ibis or DuckDB (start time)."""
    probe = (
        "import sys; from cscperf.cli import main; main(['--help']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('polars', 'ibis', 'duckdb', 'pyarrow') or m in "
        + repr([spec.module for spec in COMMANDS.values()])
        + "))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_command_runs_after_loading(capsys):
    # Loading on demand must hand over the real command: its own options parse and it runs.
    assert main(["targets", "check", "--help"]) == 0
    assert "A targets YAML file" in capsys.readouterr().out


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
