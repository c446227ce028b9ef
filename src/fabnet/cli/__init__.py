"""The ``fabnet`` command line: ``fabnet --help`` lists the commands.

Every command takes ``--json`` (machine-readable output only). A user's bad input ends with a
clear message on standard error and exit status 2, never a traceback.

Start-up: each area of the CLI is a module (``fabnet.cli.<area>_cmd``) imported only when one
of its commands runs (or its own ``--help`` is asked for); ``fabnet --help`` lists them from
:data:`COMMANDS` and ``fabnet --version`` imports none, so neither loads pandas, linopy or the
scenario model.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from fabnet import __version__
from fabnet.cli._common import EXIT_USER_ERROR, err_console
from fabnet.errors import FabnetError

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "scenario": ("fabnet.cli.scenario_cmd", "Show, validate and export scenarios."),
    "econ": ("fabnet.cli.econ_cmd", "Dies, yields and the cost of each finished accelerator, "
             "product by product."),
    "plan": ("fabnet.cli.plan_cmd", "Plan the network: which fabs to buy or build and when, wafer "
             "starts, who gets the chips."),
    "fab": ("fabnet.cli.fab_cmd", "Discrete-event simulation of a wafer fab."),
    "data": ("fabnet.cli.data_cmd", "Fetch the datasets fabnet uses (SMT2020)."),
    "risk": ("fabnet.cli.risk_cmd", "Evaluate a plan over many sampled futures: P5/P50/P95 of NPV, "
             "deliveries, shortage, funding."),
    "sweep": ("fabnet.cli.sweep_cmd", "Plan a grid of scenario values (FIELD=v1,v2 ...), each "
              "point a stored run, with a report."),
    "quote": ("fabnet.cli.quote_cmd", "Quote a buyer: what the plan can promise (ATP) and, with "
              "--ctp, what re-planning can."),
    "quotes": ("fabnet.cli.quote_cmd", "List, show, accept and expire the quotes kept in the run "
               "store."),
    "runs": ("fabnet.cli.runs_cmd", "List, show, compare, export and delete stored runs."),
    "backtest": ("fabnet.cli.backtest_cmd", "Hindcast 2023-2025: run the industry scenario and "
                 "compare it with public supply figures."),
    "shortage": ("fabnet.cli.backtest_cmd", "Does the venture end the shortage? World supply vs "
                 "demand with and without its network."),
    "serve": ("fabnet.cli.serve_cmd", "Start the web dashboard and JSON API (Ctrl-C stops it "
              "and the runs it started)."),
}  # fmt: skip
"""Command name -> (module that registers it, one-line help shown by ``fabnet --help``: the first
line of the command's own help; ``tests/cli/test_startup.py`` checks they stay the same)."""


def load_command(name: str) -> Any:
    """Import the module of command ``name`` and return its click command (or group)."""
    module = importlib.import_module(COMMANDS[name][0])
    holder = typer.Typer()
    module.register(holder)
    return typer.main.get_group(holder).commands[name]


class _Listed(TyperGroup):
    """A command not imported yet: its name and one-line help, for ``fabnet --help``."""


class _LazyGroup(TyperGroup):
    """The root group: lists every command of :data:`COMMANDS` and imports one on use."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, (_module, text) in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name=name, help=text))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = self.commands.get(cmd_name)
        if isinstance(cmd, _Listed) and not _listing(ctx):
            cmd = self.commands[cmd_name] = load_command(cmd_name)
        return cmd


def _listing(ctx: Any) -> bool:
    """True while the root's own help is being written (then the listed stand-ins suffice)."""
    return bool(getattr(ctx, "_fabnet_listing", False))


class _Root(_LazyGroup):
    def format_help(self, ctx: Any, formatter: Any) -> None:
        ctx._fabnet_listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx._fabnet_listing = False


app = typer.Typer(
    name="fabnet",
    help="Plan, simulate and finance a network of AI-chip wafer fabs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Root,
    rich_markup_mode=None,  # the root's help in plain text: rich's help renderer takes longer
    # to import than the rest of the CLI (sub-commands keep rich help)
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


def main() -> None:
    """Entry point of the ``fabnet`` script: user errors exit 2 without a traceback."""
    try:
        app()
    except FabnetError as error:  # a command that did not catch its own
        err_console.print(f"[bold red]error:[/] {error}", highlight=False)
        raise SystemExit(EXIT_USER_ERROR) from None
