"""The ``fabnet`` command line: ``fabnet --help`` lists the commands.

Every command takes ``--json`` (machine-readable output only). A user's bad input ends with a
clear message on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import typer

from fabnet import __version__
from fabnet.cli._common import EXIT_USER_ERROR, err_console
from fabnet.errors import FabnetError

__all__ = ["app", "main"]

app = typer.Typer(
    name="fabnet",
    help="Plan, simulate and finance a network of AI-chip wafer fabs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"fabnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Plan, simulate and finance a network of AI-chip wafer fabs."""


def _register() -> None:
    """Attach the sub-command modules; each owns one area of the CLI."""
    from fabnet.cli import (
        backtest_cmd,
        econ_cmd,
        fab_cmd,
        plan_cmd,
        risk_cmd,
        runs_cmd,
        scenario_cmd,
        serve_cmd,
    )

    for module in (scenario_cmd, econ_cmd, plan_cmd, fab_cmd, risk_cmd, runs_cmd, serve_cmd):
        module.register(app)
    backtest_cmd.register(app)


_register()


def main() -> None:
    """Entry point of the ``fabnet`` script: user errors exit 2 without a traceback."""
    try:
        app()
    except FabnetError as error:  # a command that did not catch its own
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise SystemExit(EXIT_USER_ERROR) from None
