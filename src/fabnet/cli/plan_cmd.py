"""``fabnet plan``: plan the fab network (build or buy, wafer starts, allocation) with HiGHS.

The command parses its flags into :class:`~fabnet.pipelines.PlanOptions`, runs the plan pipeline
(:func:`fabnet.pipelines.run_plan`, the same one the web service runs) and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.cli._progress import progress_status
from fabnet.errors import FabnetError, UsageError

if TYPE_CHECKING:
    from fabnet.pipelines.plan import CompareOutcome
    from fabnet.plan.summary import PlanSummary

__all__ = ["register"]

#: Columns of ``fabnet plan --compare`` shown as money.
MONEY_COLUMNS = (
    "capex", "revenue_total", "npv", "npv_without_terminal_value", "funding_gap",
    "cost_per_accelerator",
)  # fmt: skip


def _print_summary(summary: PlanSummary, tables: dict[str, Any], out: Path | None) -> None:
    from rich.table import Table

    from fabnet.report import format_money  # imported here: CLI start-up time

    head = Table(title=f"Plan — {summary.scenario}", show_header=False, box=None)
    head.add_column(style="bold")
    head.add_column()
    gap = summary.mip_gap
    head.add_row(
        "status", f"{summary.status} (MIP gap {gap:.2%})" if gap is not None else summary.status
    )
    head.add_row("objective / policy", f"{summary.objective} / {summary.policy}")
    head.add_row("NPV", format_money(summary.npv))
    if summary.terminal_value:
        head.add_row("  without terminal value", format_money(summary.npv_without_terminal_value))
    head.add_row("IRR", f"{summary.irr:.1%}" if summary.irr is not None else "—")
    head.add_row("payback", str(summary.payback_month or "—"))
    head.add_row(
        "revenue / tax",
        f"{format_money(summary.revenue_total)} / {format_money(summary.tax_total)}",
    )
    head.add_row("capex", format_money(summary.capex_total))
    fg = summary.funding_gap
    when = (
        f" (debt from {summary.funding_gap_first_month}, peak {summary.funding_gap_peak_month})"
        if fg > 0
        else ""
    )
    head.add_row("funding gap", format_money(fg) + when)
    head.add_row("first good accelerator", str(summary.first_good_accelerator or "none"))
    cpa = summary.cost_per_accelerator
    head.add_row("cost per accelerator", format_money(cpa) if cpa else "—")
    years = summary.delivered_by_year
    head.add_row("delivered per year", ", ".join(f"{y}: {v / 1e3:,.0f}k" for y, v in years.items()))
    head.add_row("solve time", f"{summary.solve_seconds:.1f} s")
    console.print(head)

    dec = Table(title="Decisions")
    for col in ("site", "action", "node", "start", "first output", "modules", "capex"):
        dec.add_column(col, justify="right" if col in ("modules", "capex") else "left")
    for r in summary.decisions:
        dec.add_row(r.site, r.action, r.node, r.start, r.first_output, str(r.modules),
                    format_money(r.capex))  # fmt: skip
    console.print(dec)

    cust = Table(title="Customers")
    for col in ("customer", "product", "fill rate", "limited by"):
        cust.add_column(col)
    for r in tables["customer_limits"].itertuples(index=False):
        cust.add_row(r.customer, r.product, f"{r.fill_rate:.0%}", r.limited_by)
    console.print(cust)
    if out is not None:
        console.print(f"tables and report in [bold]{out}[/]")


def _print_compare(outcome: CompareOutcome, target: Path) -> None:
    from rich.table import Table

    from fabnet.report import format_money  # imported here: CLI start-up time

    by, table = outcome.by, outcome.table
    t = Table(title=f"Plans compared by {by}")
    t.add_column("")
    for s in table[by]:
        t.add_column(str(s), justify="right")
    for col in table.columns:
        if col == by:
            continue
        cells = []
        for v in table[col]:
            if v is None or (isinstance(v, float) and v != v):
                cells.append("—")
            elif col == "irr":
                cells.append(f"{v:.1%}")
            elif isinstance(v, float) and col in MONEY_COLUMNS:
                cells.append(format_money(v))
            elif isinstance(v, float):
                cells.append(f"{v:,.0f}")
            else:
                cells.append(str(v))
        t.add_row(col, *cells)
    console.print(t)
    runs = ", ".join(outcome.run_ids)
    console.print(f"runs {runs}; comparison in [bold]{target}[/] (compare.csv, compare.html)")


def plan_cmd(
    scenario: str | None = typer.Argument(
        None, help="scenario file (YAML/TOML/JSON) or built-in name; default: ai-fab-network-2024"
    ),
    objective: str | None = typer.Option(
        None, "--objective", help="npv | shortage | cost (default: the scenario's policy)"
    ),
    policy: str | None = typer.Option(
        None, "--policy", help="priority | proportional | maxmin | contracts"
    ),
    compare: str | None = typer.Option(
        None,
        "--compare",
        help="strategy (buy only, build only, mixed) | revenue (as given, foundry, cost-plus, "
        "merchant): plans side by side, each a stored run, with an HTML comparison",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="output folder (default ./fabnet-runs/<run id>)"
    ),
    home: Path | None = typer.Option(
        None, "--home", help="run store home (default $FABNET_HOME or ./.fabnet)"
    ),
    time_limit: float | None = typer.Option(None, "--time-limit", help="solver time limit [s]"),
    gap: float | None = typer.Option(None, "--gap", help="relative MIP gap, e.g. 0.01"),
    as_json: bool = typer.Option(False, "--json", help="print the summary JSON only"),
) -> None:
    """Plan the network: which fabs to buy or build and when, wafer starts, who gets the chips."""
    # imported here: CLI start-up time
    from fabnet.pipelines import PlanOptions, ScenarioInput, export_outputs, run_plan
    from fabnet.pipelines import compare as compare_plans
    from fabnet.plan import COMPARISONS
    from fabnet.store import RunStore, export_tables

    try:
        options = PlanOptions.from_flags(objective, policy, time_limit, gap)
        source = ScenarioInput.load(scenario)
        if compare is not None:
            by = compare.strip().lower()
            if by not in COMPARISONS:
                raise UsageError(
                    f"--compare must be one of: {', '.join(COMPARISONS)} (got {compare!r})"
                )
            store = RunStore(home)
            with progress_status(not as_json, f"comparing by {by}…"):
                result = compare_plans(source.scenario, options, by, store, source.text)
            first = result.run_ids[0] if result.run_ids else "none"
            target = out if out is not None else Path("fabnet-runs") / f"compare-{by}-{first}"
            target.mkdir(parents=True, exist_ok=True)
            export_tables({"compare": result.table}, target, formats=("csv", "parquet"))
            if result.report_html is not None:
                (target / "compare.html").write_text(result.report_html, encoding="utf-8")
            if as_json:
                print_json(
                    {"compare": result.table, "runs": list(result.run_ids), "out": str(target)}
                )
            else:
                _print_compare(result, target)
            return
        with progress_status(not as_json, "planning…") as progress:
            outcome = run_plan(source, options, RunStore(home), progress=progress)
        if not as_json:
            err_console.print(f"solved in {outcome.summary.solve_seconds:.1f} s")
        target = out if out is not None else Path("fabnet-runs") / outcome.run_id
        export_outputs(target, outcome.summary.to_dict(), outcome.tables, outcome.report_html)
        if as_json:
            print_json(outcome.summary.to_dict())
        else:
            _print_summary(outcome.summary, outcome.tables, target)
    except FabnetError as error:
        fail(error, as_json)


def register(app: typer.Typer) -> None:
    """Attach ``fabnet plan`` to the CLI."""
    app.command("plan")(plan_cmd)
