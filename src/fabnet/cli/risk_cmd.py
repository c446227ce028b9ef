"""``fabnet risk``: a plan under thousands of sampled futures (and optionally a robust plan).

Without ``--plan`` the deterministic plan is solved first. The run is kept in the store
(kind ``risk``) with its tables, ``summary.json`` and an HTML report with fan charts and
histograms, and written to ``--out`` (default ``fabnet-runs/<run id>``). ``--tornado`` adds each
uncertainty alone at its P10 and P90 (:mod:`fabnet.risk.tornado`): a table here, ``tornado`` in
the JSON, a chart in the report.

The command parses its flags into :class:`~fabnet.pipelines.RiskOptions`, runs the risk
pipeline (:func:`fabnet.pipelines.run_risk`, the same one the web service runs) and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.cli._progress import progress_bar
from fabnet.errors import FabnetError
from fabnet.vocab import ExecutorKind, Recourse, RobustMethod

if TYPE_CHECKING:
    from fabnet.risk.summary import RiskSummary, RobustSummary, SAADetails

__all__ = ["register"]


def risk_cmd(
    scenario: str | None = typer.Argument(
        None, help="scenario file or built-in name", show_default=False
    ),
    plan: str | None = typer.Option(
        None, "--plan", help="plan run id (or prefix, 'latest') or output folder"
    ),
    samples: int = typer.Option(1000, "--samples", help="number of sampled futures"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    executor: str = typer.Option("local", "--executor", help="local | ray"),
    address: str | None = typer.Option(None, "--address", help="Ray address: auto or HOST:PORT"),
    workers: int = typer.Option(1, "--workers", help="worker processes (local) / CPUs (local Ray)"),
    recourse: str = typer.Option(
        "fast", "--recourse", help="fast (vectorised) | lp (HiGHS per future)"
    ),
    robust: int | None = typer.Option(
        None, "--robust", help="robust plan over K sampled futures, compared out of sample"
    ),
    robust_method: str = typer.Option(
        "saa", "--robust-method", help="saa (two-stage sample-average MIP) | candidates"
    ),
    robust_time_limit: float | None = typer.Option(
        None, "--robust-time-limit", help="seconds for the SAA MIP (default: the policy's × K)"
    ),
    tornado: bool = typer.Option(
        False, "--tornado", help="also each uncertainty at its P10 and P90, the others at median"
    ),
    cvar_weight: float = typer.Option(
        0.0, "--cvar-weight", help="robust plan: maximise mean objective − λ·CVaR (λ ≥ 0)"
    ),
    cvar_alpha: float = typer.Option(0.9, "--cvar-alpha", help="CVaR level α in [0, 1)"),
    cvar_measure: str = typer.Option(
        "npv", "--cvar-measure", help="npv (loss = −NPV) | funding (peak debt beyond commitments)"
    ),
    cvar_limit: float | None = typer.Option(None, "--cvar-limit", help="CVaR ≤ this (USD)"),
    shortfall_probability: float | None = typer.Option(
        None,
        "--shortfall-probability",
        help="at most this share of the K futures may draw debt (commitments fall short)",
    ),
    frontier: str | None = typer.Option(
        None, "--frontier", help="CVaR weights, e.g. 0,0.5,1,2: mean NPV against CVaR, a run each"
    ),
    staged: str | None = typer.Option(
        None, "--staged", help="stage month YYYY-MM: staged plan on the K futures (EVPI, VSS)"
    ),
    decompose: str | None = typer.Option(
        None, "--decompose", help="ph: the robust plan by progressive hedging on the executor"
    ),
    ph_iterations: int = typer.Option(3, "--ph-iterations", help="progressive hedging iterations"),
    out: Path | None = typer.Option(
        None, "--out", help="output folder (default fabnet-runs/<run id>)"
    ),
    home: Path | None = typer.Option(None, "--home", help="run store home"),
    as_json: bool = typer.Option(False, "--json", help="print the summary JSON only"),
) -> None:
    """Evaluate a plan over many sampled futures: P5/P50/P95 of NPV, deliveries, shortage, funding."""
    # imported here: CLI start-up time
    from fabnet.pipelines import (
        RiskOptions,
        ScenarioInput,
        export_outputs,
        load_stored_plan,
        run_risk,
    )
    from fabnet.store import RunStore

    try:
        options = RiskOptions(
            samples=samples,
            seed=seed,
            executor=ExecutorKind.parse(executor, "--executor"),
            address=address,
            workers=workers,
            recourse=Recourse.parse(recourse, "--recourse"),
            robust=robust,
            robust_method=RobustMethod.parse(robust_method, "--robust-method"),
            robust_time_limit=robust_time_limit,
            tornado=tornado,
            cvar_weight=cvar_weight,
            cvar_alpha=cvar_alpha,
            cvar_measure=cvar_measure,
            cvar_limit=cvar_limit,
            shortfall_probability=shortfall_probability,
            frontier=_weights(frontier),
            staged=staged,
            decompose=decompose,
            ph_iterations=ph_iterations,
        )
        store = RunStore(home)
        stored = None
        if plan is not None:
            source, stored = load_stored_plan(plan, scenario, store)
        else:
            source = ScenarioInput.load(scenario)
            if not as_json:
                err_console.print(
                    "[dim]solving the deterministic plan first (give --plan RUN_ID to reuse one)[/]"
                )
        with progress_bar(not as_json, "risk") as progress:
            outcome = run_risk(
                source,
                options,
                store,
                plan=stored,
                recorded_options={"plan": plan, **options.recorded()},
                progress=progress,
            )
        target = out if out is not None else Path("fabnet-runs") / outcome.run_id
        export_outputs(target, outcome.summary.to_dict(), outcome.tables, outcome.report_html)
        if as_json:
            print_json(outcome.summary.to_dict())
        else:
            _print(outcome.summary, target)
    except FabnetError as error:
        fail(error, as_json)


def _weights(text: str | None) -> tuple[float, ...] | None:
    """``--frontier 0,0.5,1`` as numbers (UsageError naming the flag otherwise)."""
    if text is None:
        return None
    from fabnet.errors import UsageError

    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"--frontier needs numbers separated by commas (got {text!r})") from None


def _count(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _share(x: Any) -> str:
    return "—" if x is None or x != x else f"{x:.1%}"  # NaN: not computed (LP recourse)


def _month(start: str | None, offset: float | None) -> str:
    """``start`` (YYYY-MM) plus ``offset`` months, as the plan report dates months."""
    if offset is None or offset != offset:
        return "—"
    if start is None:
        return f"month {offset:.0f}"
    year, month = (int(x) for x in start.split("-")[:2])
    total = year * 12 + month - 1 + round(offset)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _print(summary: RiskSummary, target: Path) -> None:
    from rich.table import Table

    from fabnet.report import format_money  # imported here: CLI start-up time

    plan = summary.plan
    start = plan.start if plan is not None else None
    rows: tuple[tuple[str, str, str, Callable[[Any], str]], ...] = (
        ("NPV", "npv", "npv", format_money), ("capex", "capex_total", "capex", format_money),
        ("funding need", "funding_need", "funding_need", format_money),
        ("IRR", "irr", "irr", lambda x: "—" if x is None else f"{x:.1%}"),
        ("delivered", "delivered_total", "delivered_total", _count),
        ("short", "shortage_total", "shortage_total", _count),
        ("first accelerator", "first_good_month", "first_good_month", lambda x: _month(start, x)),
    )  # fmt: skip
    t = Table(title=f"Risk — {summary.scenario} ({summary.samples:,} futures, seed {summary.seed})")
    cols = (
        ("figure", "plan", "P5", "P50", "P95", "mean")
        if plan
        else ("figure", "P5", "P50", "P95", "mean")
    )
    for col in cols:
        t.add_column(col, justify="right" if col != "figure" else "left")
    for label, key, plan_key, fmt in rows:
        figure = summary[key]
        cells = [fmt(v) for v in (figure.p5, figure.p50, figure.p95, figure.mean)]
        if plan is not None:
            cells.insert(0, fmt(getattr(plan, plan_key)))
        t.add_row(label, *cells)
    console.print(t)
    for line in summary.explanation:
        console.print(line)
    console.print(f"P(partners' commitments suffice) = {summary.prob_funding_sufficient:.1%}; "
                  f"with the debt line: {summary.prob_funding_with_debt:.1%}")  # fmt: skip
    r = summary.robust
    if r is not None:
        if r.saa is not None:
            _print_saa(r, r.saa)
        console.print(
            f"robust plan: {r.chosen} (VSS {format_money(r.vss)} ± {format_money(r.vss_se)})"
        )
        if r.decide:
            _print_decide(r.decide)
    if summary.tornado is not None:
        _print_tornado(summary.tornado.to_dict())
    console.print(f"{summary.wall_seconds:.1f} s; run {summary.run_id}; outputs in {target}")


def _print_tornado(tornado: dict[str, Any]) -> None:
    """The tornado's bars, largest NPV swing first, and its base."""
    from rich.table import Table

    from fabnet.report import format_money, format_number  # imported here: CLI start-up time
    from fabnet.report.tornado import effect_text

    lo = f"P{round(100 * tornado['low_quantile'])}"
    hi = f"P{round(100 * tornado['high_quantile'])}"
    t = Table(title=f"Tornado — one uncertainty at its {lo} / {hi}, the others at their medians")
    for col in ("uncertainty", f"value {lo} / {hi}", "NPV swing", f"NPV {lo}", f"NPV {hi}",
                f"funding need {lo} / {hi}", f"delivered {lo} / {hi}"):  # fmt: skip
        t.add_column(col, justify="left" if col == "uncertainty" else "right")
    for b in tornado["bars"]:
        low, high = b["low"], b["high"]
        t.add_row(
            b["name"],
            f"{effect_text(b['effect'], b['low_value'])} / {effect_text(b['effect'], b['high_value'])}",
            format_money(b["swing_npv"]), format_money(low["npv"]), format_money(high["npv"]),
            f"{format_money(low['funding_need'])} / {format_money(high['funding_need'])}",
            f"{format_number(low['delivered_total'])} / {format_number(high['delivered_total'])}",
        )  # fmt: skip
    console.print(t)
    base = tornado["base"]
    console.print(f"base (all at their medians): NPV {format_money(base['npv'])}, funding need "
                  f"{format_money(base['funding_need'])}, "
                  f"{format_number(base['delivered_total'])} delivered")  # fmt: skip


def _print_saa(r: RobustSummary, saa: SAADetails) -> None:
    """The SAA vs deterministic table (same fresh futures, fast recourse)."""
    from rich.table import Table

    from fabnet.report import format_money  # imported here: CLI start-up time

    t = Table(title=f"Robust plan (SAA, K={saa.k}) vs deterministic — "
                    f"{r.out_of_sample:,} fresh futures")  # fmt: skip
    for col in ("plan", "capex", "mean NPV", "P5 NPV", "mean shortage", "P(funding suffices)"):
        t.add_column(col, justify="left" if col == "plan" else "right")
    for row in r.table:
        t.add_row(row["plan"], format_money(row["capex"]), format_money(row["mean_npv"]),
                  format_money(row["p5_npv"]), _count(row["mean_shortage"]),
                  _share(row["prob_funding_sufficient"]))  # fmt: skip
    console.print(t)
    for d in saa.decisions:
        console.print(f"  SAA: {d['action']} {d['site']} ({d['node']}) × {d['modules']} from "
                      f"{d['start']}, first output {d['first_output']}")  # fmt: skip


def _interval(staged: dict[str, Any], key: str) -> str:
    """A staged value with the interval its solves prove (``bounds``), e.g. ``$120.00 M [$0, $200.00 M]``."""
    from fabnet.report import format_money  # imported here: CLI start-up time

    text = format_money(staged[key])
    lo_hi = staged.get("bounds", {}).get(key)
    if lo_hi is None or lo_hi[0] is None or lo_hi[1] is None:
        return text
    return f"{text} [{format_money(lo_hi[0])}, {format_money(lo_hi[1])}]"


def _print_decide(parts: dict[str, Any]) -> None:
    """Frontier, staged plan and decomposition (issue 13), when asked for."""
    from rich.table import Table

    from fabnet.report import format_money  # imported here: CLI start-up time

    if "frontier" in parts:
        t = Table(title="Efficient frontier (in sample): mean NPV against CVaR")
        for col in ("λ", "mean NPV", "CVaR", "capex", "run"):
            t.add_column(col, justify="right")
        for p in parts["frontier"]:
            t.add_row(f"{p['weight']:g}", format_money(p["mean_npv"]), format_money(p["cvar"]),
                      format_money(p["capex"]), p["run_id"])  # fmt: skip
        console.print(t)
    if "staged" in parts:
        s = parts["staged"]
        console.print(f"staged plan (stage {s['stage_month']}): RP {_interval(s, 'rp')}, "
                      f"EVPI {_interval(s, 'evpi')}, VSS {_interval(s, 'vss')}")  # fmt: skip
        for d in s["decisions"]:
            console.print(f"  branch {d['branch']} ({d['when']}): {d['action']} {d['site']} "
                          f"× {d['modules']} from {d['start']}")  # fmt: skip
    if "decomposition" in parts:
        p = parts["decomposition"]
        console.print(f"progressive hedging (K={p['k']}, {p['iterations']} iterations, "
                      f"{p['workers']} workers): {format_money(p['objective'])}, bound "
                      f"{format_money(p['bound'])}, gap {p['gap']:.2%}, "
                      f"{p['wall_seconds']:.0f} s")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach ``fabnet risk`` to the CLI."""
    app.command("risk")(risk_cmd)
