"""``fabnet sweep FIELD=v1,v2,... [FIELD2=...]``: a plan per point of a grid of scenario values.

Field paths follow :mod:`fabnet.scenario.fieldpath` (``financing.tax_rate``,
``fabs.US (Arizona).nodes.N4.capex_per_kwspm_usd``, ``fabs.*.lead_time_months``). Each point is a
``plan`` run in the store; the table (``sweep.csv``/``.parquet``), ``summary.json`` and
``report.html`` are written to ``--out`` (default ``fabnet-runs/sweep-<time>``). The command
parses its arguments and runs :func:`fabnet.pipelines.sweep.run_sweep`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fabnet.cli._common import console, fail, print_json
from fabnet.cli._progress import progress_bar
from fabnet.errors import FabnetError

if TYPE_CHECKING:
    from fabnet.pipelines.sweep import SweepOutcome

__all__ = ["register"]


def sweep_cmd(
    grid: list[str] = typer.Argument(
        ...,
        help="FIELD=v1,v2,... per swept field (a grid over all of them), e.g. "
        "financing.tax_rate=0.1,0.2 'fabs.*.lead_time_months=30,36'",
        show_default=False,
        metavar="FIELD=V1,V2,...",
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", "-s", help="scenario file or built-in name (default: the built-in)"
    ),
    objective: str | None = typer.Option(None, "--objective", help="npv | shortage | cost"),
    policy: str | None = typer.Option(
        None, "--policy", help="priority | proportional | maxmin | contracts"
    ),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="seconds per point's design MIP"
    ),
    gap: float | None = typer.Option(None, "--gap", help="relative MIP gap per point, e.g. 0.01"),
    out: Path | None = typer.Option(
        None, "--out", help="output folder (default fabnet-runs/sweep-<time>)"
    ),
    home: Path | None = typer.Option(None, "--home", help="run store home"),
    as_json: bool = typer.Option(False, "--json", help="print the sweep's JSON only"),
) -> None:
    """Plan a grid of scenario values (FIELD=v1,v2 ...), each point a stored run, with a report.

    At most 30 points (each is a plan solve). A field path names sections and fields with dots,
    list items by name (or * for all): financing.tax_rate, policy.discount_rate,
    fabs.US (Arizona).nodes.N4.capex_per_kwspm_usd, customers.other.price_usd.Infer-N7.
    """
    # imported here: CLI start-up time
    from fabnet.pipelines import PlanOptions, ScenarioInput, export_outputs
    from fabnet.pipelines.sweep import parse_axes, run_sweep
    from fabnet.store import RunStore

    try:
        axes = parse_axes(grid)
        options = PlanOptions.from_flags(objective, policy, time_limit, gap)
        source = ScenarioInput.load(scenario)
        store = RunStore(home)
        with progress_bar(not as_json, "sweep") as progress:
            outcome = run_sweep(source, axes, options, store, progress=progress)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = out if out is not None else Path("fabnet-runs") / f"sweep-{stamp}"
        data = outcome.to_dict()
        export_outputs(target, data, {"sweep": outcome.table}, outcome.report_html)
        if as_json:
            print_json({**data, "out": str(target)})
        else:
            _print(outcome, target)
    except FabnetError as error:
        fail(error, as_json)


#: Column headers of the terminal table (the report spells them out).
_SHORT = {"npv": "NPV", "irr": "IRR", "capex_total": "capex", "funding_gap": "funding gap",
          "delivered_total": "delivered", "first_good_accelerator": "first output"}  # fmt: skip


def _cell(value: Any, kind: str) -> str:
    from fabnet.report import format_money, format_number

    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if kind == "money":
        return format_money(value)
    if kind == "percent":
        return f"{value:.1%}"
    if kind == "units":
        return format_number(value, 0)
    return str(value)


def _print(outcome: SweepOutcome, target: Path) -> None:
    from rich.table import Table

    from fabnet.report.sweep import FIGURE_TITLES

    fields = [a.field for a in outcome.axes]
    t = Table(title=f"Sweep — {outcome.scenario} ({len(outcome.table)} points)")
    t.add_column("#", justify="right")
    for f in fields:
        t.add_column(f, overflow="fold")
    for col in _SHORT.values():
        t.add_column(col, justify="right")
    t.add_column("run", no_wrap=True)
    for row in outcome.table.to_dict("records"):
        status = str(row["status"])
        figures = [_cell(row[f], kind) for f, (_title, kind) in FIGURE_TITLES.items()]
        if status not in ("optimal", "time_limit"):
            figures = [status[:60], *["" for _ in figures[1:]]]
        t.add_row(str(row["point"]), *(str(row[f]) for f in fields), *figures,
                  str(row["run_id"] or "—"))  # fmt: skip
    console.print(t)
    console.print(f"{outcome.wall_seconds:.1f} s; table and report in {target}")


def register(app: typer.Typer) -> None:
    """Attach ``fabnet sweep`` to the CLI."""
    app.command("sweep")(sweep_cmd)
