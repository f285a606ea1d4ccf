"""The workbench command: --version, --help on every command and sub-command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

from workbench import __version__
from workbench.cli import app


def _command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]
    stack = [([], root)]
    while stack:
        prefix, cmd = stack.pop()
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.append([*prefix, name])
            stack.append(([*prefix, name], sub))
    return paths


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"workbench {__version__}"


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "workbench")
def test_help_everywhere(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_report_is_a_command() -> None:
    assert ["report"] in _command_paths()


def test_entry_point_errors_exit_2_with_message() -> None:
    proc = subprocess.run([sys.executable, "-m", "workbench", "report", "no_such_report"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown report 'no_such_report'")
