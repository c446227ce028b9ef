"""``fabnet backtest`` — the industry hindcast against public figures; ``fabnet shortage`` — the
world's accelerator supply with and without the venture's network.

Heavy imports (the planner, pandas, plotly) happen inside the commands: ``fabnet --help`` stays
fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.errors import FabnetError

__all__ = ["register"]

INDUSTRY = "ai-accelerators-2023"


def backtest(
    scenario: str = typer.Option(
        INDUSTRY, "--scenario", help="industry scenario file or built-in name"
    ),
    checks: Path | None = typer.Option(
        None, "--checks", help="checks CSV (default: the built-in hindcast's)"
    ),
    out: Path | None = typer.Option(
        None, "--out", help="folder for report.html and checks.csv (default ./fabnet-runs/<id>)"
    ),
    home: Path | None = typer.Option(
        None, "--home", help="run store home (default $FABNET_HOME or ./.fabnet)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result JSON only"),
) -> None:
    """Hindcast 2023-2025: run the industry scenario and compare it with public supply figures."""
    try:
        from fabnet.backtest import load_checks, run_backtest
        from fabnet.report.backtest import backtest_report
        from fabnet.scenario import dump_scenario, load_scenario
        from fabnet.store import RunStore

        sc = load_scenario(scenario)
        check_list = load_checks(checks)
        store = RunStore(home)
        with store.start_run(
            kind="backtest",
            scenario_name=sc.name,
            scenario_text=dump_scenario(sc),
            options={"checks": str(checks) if checks else "built-in"},
        ) as run:
            if as_json:
                result = run_backtest(sc, check_list, progress=run.progress)
            else:
                with err_console.status("hindcast…"):
                    result = run_backtest(sc, check_list, progress=run.progress)
            payload = result.to_json()
            run.save_json("summary.json", {k: v for k, v in payload.items() if k != "checks"})
            run.save_table("checks", result.checks)
            run.save_table("deliveries", result.deliveries)
            run.save_table("shipments", result.shipments)
            run.save_table("packaging", result.packaging)
            html = backtest_report(result)
            run.save_text("report.html", html)
            target = out if out is not None else Path("fabnet-runs") / run.id
            target.mkdir(parents=True, exist_ok=True)
            (target / "report.html").write_text(html, encoding="utf-8")
            result.checks.to_csv(target / "checks.csv", index=False)
        if as_json:
            print_json({**payload, "run_id": run.id})
            return
        _print(result, target)
    except FabnetError as error:
        fail(error, as_json)


def _print(result, target: Path) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    from fabnet.backtest.checks import format_value

    t = Table(title=f"Backtest — {result.scenario}")
    for col in ("check", "period", "model", "band", ""):
        t.add_column(col, justify="right" if col in ("model", "band") else "left")
    for r in result.checks.itertuples(index=False):
        t.add_row(
            r.id,
            r.period,
            format_value(r.quantity, r.model),
            f"{format_value(r.quantity, r.low)} – {format_value(r.quantity, r.high)}",
            "[green]inside[/]" if r.inside else "[red]outside[/]",
        )
    console.print(t)
    n = int(result.checks["inside"].sum())
    console.print(
        f"{n} of {len(result.checks)} checks inside their bands "
        f"({result.inside_fraction:.0%}); solved in {result.seconds:.1f} s"
    )
    console.print(f"report: {target / 'report.html'}", style="dim")


def shortage(
    industry: str = typer.Option(INDUSTRY, "--industry", help="industry scenario"),
    venture: str | None = typer.Option(
        None, "--venture", help="venture scenario (default: ai-fab-network-2024)"
    ),
    out: Path | None = typer.Option(None, "--out", help="folder for report.html"),
    home: Path | None = typer.Option(None, "--home", help="run store home"),
    as_json: bool = typer.Option(False, "--json", help="print the result JSON only"),
) -> None:
    """Does the venture end the shortage? World supply vs demand with and without its network."""
    try:
        from fabnet.backtest import world_with_venture
        from fabnet.report.backtest import shortage_report
        from fabnet.scenario import dump_scenario, load_scenario
        from fabnet.store import RunStore

        ind, ven = load_scenario(industry), load_scenario(venture)
        store = RunStore(home)
        with store.start_run(
            kind="shortage",
            scenario_name=ven.name,
            scenario_text=dump_scenario(ven),
            options={"industry": ind.name},
        ) as run:
            if as_json:
                result = world_with_venture(ind, ven)
            else:
                with err_console.status("industry and venture plans…"):
                    result = world_with_venture(ind, ven)
            run.save_table("quarters", result.quarters)
            payload = result.to_json()
            run.save_json("summary.json", {k: v for k, v in payload.items() if k != "quarters"})
            html = shortage_report(result)
            run.save_text("report.html", html)
            target = out if out is not None else Path("fabnet-runs") / run.id
            target.mkdir(parents=True, exist_ok=True)
            (target / "report.html").write_text(html, encoding="utf-8")
        if as_json:
            print_json({**payload, "run_id": run.id})
            return
        from rich.table import Table

        t = Table(title=f"World supply and demand — {ind.name} with {ven.name}")
        for col in ("quarter", "demand", "supply without", "venture", "supply with", "share"):
            t.add_column(col, justify="right")
        for r in result.quarters.itertuples(index=False):
            t.add_row(
                r.quarter, f"{r.demand:,.0f}", f"{r.supply_without:,.0f}", f"{r.venture:,.0f}",
                f"{r.supply_with:,.0f}", f"{r.venture_share:.1%}",
            )  # fmt: skip
        console.print(t)
        console.print(
            f"shortage closes without the venture: {result.closes_without or 'not by the horizon'}"
            f"; with it: {result.closes_with or 'not by the horizon'}"
        )
        console.print(f"report: {target / 'report.html'}", style="dim")
    except FabnetError as error:
        fail(error, as_json)


def register(app: typer.Typer) -> None:
    """Attach ``fabnet backtest`` and ``fabnet shortage`` to the CLI."""
    app.command("backtest")(backtest)
    app.command("shortage")(shortage)
