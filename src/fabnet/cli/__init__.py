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
    """Attach the sub-command modules (each owns one area of the CLI)."""
    import importlib

    for module_name in (
        "fabnet.cli.scenario_cmd",
        "fabnet.cli.econ_cmd",
        "fabnet.cli.plan_cmd",
        "fabnet.cli.fab_cmd",
        "fabnet.cli.risk_cmd",
        "fabnet.cli.runs_cmd",
        "fabnet.cli.serve_cmd",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # an area not built yet
            if exc.name != module_name:
                raise
            continue
        module.register(app)


_register()


def main() -> None:
    """Entry point of the ``fabnet`` script: user errors exit 2 without a traceback."""
    try:
        app()
    except FabnetError as error:  # a command that did not catch its own
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise SystemExit(EXIT_USER_ERROR) from None
