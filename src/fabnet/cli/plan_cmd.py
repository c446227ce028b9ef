"""``fabnet plan``: plan the fab network (build or buy, wafer starts, allocation) with HiGHS."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.errors import FabnetError
from fabnet.report import format_money

__all__ = ["register"]


def _print_summary(summary: dict[str, Any], tables: dict[str, Any], out: Path | None) -> None:
    from rich.table import Table

    head = Table(title=f"Plan — {summary['scenario']}", show_header=False, box=None)
    head.add_column(style="bold")
    head.add_column()
    gap = summary.get("mip_gap")
    head.add_row(
        "status",
        f"{summary['status']} (MIP gap {gap:.2%})" if gap is not None else summary["status"],
    )
    head.add_row("objective / policy", f"{summary['objective']} / {summary['policy']}")
    head.add_row("NPV", format_money(summary["npv"]))
    if summary.get("npv_without_terminal_value") is not None:
        head.add_row(
            "  without terminal value", format_money(summary["npv_without_terminal_value"])
        )
    irr = summary.get("irr")
    head.add_row("IRR", f"{irr:.1%}" if irr is not None else "—")
    head.add_row("payback", str(summary.get("payback_month") or "—"))
    if summary.get("revenue_total") is not None:
        head.add_row("revenue / tax", f"{format_money(summary['revenue_total'])} / "
                     f"{format_money(summary.get('tax_total') or 0.0)}")  # fmt: skip
    head.add_row("capex", format_money(summary["capex_total"]))
    fg = summary["funding_gap"]
    when = (
        f" (debt from {summary['funding_gap_first_month']}, peak {summary['funding_gap_peak_month']})"
        if fg > 0
        else ""
    )
    head.add_row("funding gap", format_money(fg) + when)
    head.add_row("first good accelerator", str(summary["first_good_accelerator"] or "none"))
    cpa = summary.get("cost_per_accelerator")
    head.add_row("cost per accelerator", format_money(cpa) if cpa else "—")
    years = summary["delivered_by_year"]
    head.add_row(
        "delivered per year",
        ", ".join(f"{y}: {v / 1e3:,.0f}k" for y, v in years.items()),
    )
    head.add_row("solve time", f"{summary['solve_seconds']:.1f} s")
    console.print(head)

    dec = Table(title="Decisions")
    for col in ("site", "action", "node", "start", "first output", "modules", "capex"):
        dec.add_column(col, justify="right" if col in ("modules", "capex") else "left")
    for r in summary["decisions"]:
        dec.add_row(
            r["site"],
            r["action"],
            r["node"],
            r["start"],
            r["first_output"],
            str(r["modules"]),
            format_money(r["capex"]),
        )
    console.print(dec)

    cust = Table(title="Customers")
    for col in ("customer", "product", "fill rate", "limited by"):
        cust.add_column(col)
    for r in tables["customer_limits"].itertuples(index=False):
        cust.add_row(r.customer, r.product, f"{r.fill_rate:.0%}", r.limited_by)
    console.print(cust)
    if out is not None:
        console.print(f"tables and report in [bold]{out}[/]")


def _write_outputs(
    out: Path, summary: dict[str, Any], tables: dict[str, Any], report: Path
) -> None:
    """The run's tables (CSV, Parquet), summary and report, copied to a folder of the user's."""
    import shutil

    from fabnet.store import export_tables

    out.mkdir(parents=True, exist_ok=True)
    export_tables(tables, out, formats=("csv", "parquet"))
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    shutil.copyfile(report, out / "report.html")


def _compare(
    scenario: Any, by: str, as_json: bool, out: Path | None, home: Path | None, **kwargs: Any
) -> None:
    """Solve each variant, keep each as a stored run, write the comparison (CSV, Parquet, and an
    HTML page of the runs side by side) and print it."""
    from fabnet.jobs import record_plan
    from fabnet.plan import compare_plans
    from fabnet.report import runs_compare_report
    from fabnet.scenario import dump_scenario
    from fabnet.store import RunStore, export_tables

    with err_console.status(f"comparing by {by}…"):
        table, results = compare_plans(scenario, by=by, **kwargs)
    store = RunStore(home)
    run_ids: list[str] = []
    for label, res in results.items():
        if isinstance(res, str):
            continue
        options = {k: v for k, v in kwargs.items() if v is not None} | {"compare": f"{by}={label}"}
        with store.start_run(
            kind="plan", scenario_name=scenario.name, scenario_text=dump_scenario(scenario),
            options=options,
        ) as run:  # fmt: skip
            record_plan(run, res, scenario.name)
            run_ids.append(run.id)
    table = table.assign(run_id=[*run_ids, *[None] * (len(table) - len(run_ids))])
    target = (
        out
        if out is not None
        else Path("fabnet-runs") / f"compare-{by}-{run_ids[0] if run_ids else 'none'}"
    )
    target.mkdir(parents=True, exist_ok=True)
    export_tables({"compare": table}, target, formats=("csv", "parquet"))
    if run_ids:
        page = runs_compare_report([store.get(i) for i in run_ids], title=f"Plans compared by {by}")
        (target / "compare.html").write_text(page, encoding="utf-8")
    if as_json:
        print_json({"compare": table, "runs": run_ids, "out": str(target)})
        return
    from rich.table import Table

    t = Table(title=f"Plans compared by {by}")
    t.add_column("")
    for s in table[by]:
        t.add_column(str(s), justify="right")
    money = ("capex", "revenue_total", "npv", "npv_without_terminal_value", "funding_gap",
             "cost_per_accelerator")  # fmt: skip
    for col in table.columns:
        if col == by:
            continue
        cells = []
        for v in table[col]:
            if v is None or (isinstance(v, float) and v != v):
                cells.append("—")
            elif col == "irr":
                cells.append(f"{v:.1%}")
            elif isinstance(v, float) and col in money:
                cells.append(format_money(v))
            elif isinstance(v, float):
                cells.append(f"{v:,.0f}")
            else:
                cells.append(str(v))
        t.add_row(col, *cells)
    console.print(t)
    console.print(f"runs {', '.join(run_ids)}; comparison in [bold]{target}[/] (compare.html)")


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
    from fabnet.plan import solve_plan
    from fabnet.scenario import dump_scenario, load_scenario

    try:
        sc = load_scenario(scenario)
        kwargs: dict[str, Any] = dict(
            objective=objective, policy=policy, time_limit=time_limit, mip_gap=gap
        )
        if compare:
            _compare(sc, compare, as_json, out, home, **kwargs)
            return
        from fabnet.store import RunStore

        store = RunStore(home)
        options = {k: v for k, v in kwargs.items() if v is not None}
        with store.start_run(
            kind="plan", scenario_name=sc.name, scenario_text=dump_scenario(sc), options=options
        ) as run:
            if as_json:
                result = solve_plan(sc, progress=run.progress, **kwargs)
            else:
                with err_console.status("planning…") as status:

                    def progress(fraction: float, message: str) -> None:
                        status.update(f"[{fraction:4.0%}] {message}")
                        run.progress(fraction, message)

                    start = time.perf_counter()
                    result = solve_plan(sc, progress=progress, **kwargs)
                    err_console.print(f"solved in {time.perf_counter() - start:.1f} s")
            from fabnet.jobs import record_plan

            summary = record_plan(run, result, sc.name)
            target = out if out is not None else Path("fabnet-runs") / run.id
            _write_outputs(target, summary, result.tables, store.path(run.id, "report.html"))
        if as_json:
            print_json(summary)
        else:
            _print_summary(summary, result.tables, target)
    except FabnetError as error:
        fail(error, as_json)


def register(app: typer.Typer) -> None:
    """Attach ``fabnet plan`` to the CLI."""
    app.command("plan")(plan_cmd)
