"""The ``workbench`` command: sample data, headless reports, scoring, dedup and review.

Run ``workbench --help`` (or ``workbench COMMAND --help``) for every option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from workbench import __version__
from workbench.errors import WorkbenchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="workbench",
    help="Data Quality Workbench: keep ML training data honest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"workbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Data Quality Workbench: keep ML training data honest."""


# ---- commands of later issues are added below this line (one block each) ----


def main() -> None:
    """Entry point: run the app; a WorkbenchError prints its message and exits with 2."""
    try:
        app(standalone_mode=False)
    except WorkbenchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        typer.echo("aborted", err=True)
        raise SystemExit(1) from None
