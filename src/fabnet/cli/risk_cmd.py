"""``fabnet risk``: a plan under thousands of sampled futures (and optionally a robust plan).

Without ``--plan`` the deterministic plan is solved first. The run is kept in the store
(kind ``risk``) with its tables, ``summary.json`` and an HTML report with fan charts and
histograms, and written to ``--out`` (default ``fabnet-runs/<run id>``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from fabnet.cli._common import console, err_console, fail, print_json, to_jsonable
from fabnet.errors import FabnetError, UsageError
from fabnet.report import format_money

__all__ = ["register"]


def _load_plan(plan: str, scenario: str | None, home: Path | None) -> tuple[Any, Any, Any]:
    """(scenario, decisions, wafer_starts) of a stored plan run id or an output folder."""
    import pandas as pd

    from fabnet.scenario import load_scenario, parse_scenario_text, scenario_from_dict
    from fabnet.store import RunStore

    path = Path(plan)
    if path.is_dir():

        def table(name: str) -> Any:
            for ext, reader in (("parquet", pd.read_parquet), ("csv", pd.read_csv)):
                f = path / f"{name}.{ext}"
                if f.exists():
                    return reader(f)
            return None

        decisions = table("decisions")
        if decisions is None:
            raise UsageError(f"--plan {plan}: no decisions.parquet or decisions.csv in that folder")
        return load_scenario(scenario), decisions, table("wafer_starts")
    store = RunStore(home)
    record = store.get(plan)
    if record.kind != "plan":
        raise UsageError(f"--plan {plan}: run {record.id} is a {record.kind!r} run, not a plan")
    if scenario is not None:
        sc = load_scenario(scenario)
    else:
        text = getattr(record, "scenario_text", "") or ""
        if not text:
            raise UsageError(f"--plan {plan}: the run keeps no scenario text; give SCENARIO")
        sc = scenario_from_dict(
            parse_scenario_text(text, "yaml", f"run {record.id}"), file=f"run {record.id}"
        )
    tables = store.tables(record.id)
    ws = store.load_table(record.id, "wafer_starts") if "wafer_starts" in tables else None
    return sc, store.load_table(record.id, "decisions"), ws


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
    out: Path | None = typer.Option(
        None, "--out", help="output folder (default fabnet-runs/<run id>)"
    ),
    home: Path | None = typer.Option(None, "--home", help="run store home"),
    as_json: bool = typer.Option(False, "--json", help="print the summary JSON only"),
) -> None:
    """Evaluate a plan over many sampled futures: P5/P50/P95 of NPV, deliveries, shortage, funding."""
    try:
        _run(
            scenario,
            plan,
            samples,
            seed,
            executor,
            address,
            workers,
            recourse,
            robust,
            robust_method,
            robust_time_limit,
            out,
            home,
            as_json,
        )
    except FabnetError as error:
        fail(error, as_json)


def _run(
    scenario: str | None, plan: str | None, samples: int, seed: int, executor_kind: str,
    address: str | None, workers: int, recourse: str, robust: int | None, robust_method: str,
    robust_time_limit: float | None, out: Path | None, home: Path | None, as_json: bool,
) -> None:  # fmt: skip
    from fabnet.risk import (
        MAX_SAMPLES,
        make_executor,
        model_from_decisions,
        model_from_plan,
    )
    from fabnet.scenario import dump_scenario, load_scenario
    from fabnet.store import RunStore, export_tables

    if not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"--samples must be between 1 and {MAX_SAMPLES:,} (got {samples})")
    if seed < 0:
        raise UsageError(f"--seed must be >= 0 (got {seed})")
    if workers < 1:
        raise UsageError(f"--workers must be >= 1 (got {workers})")
    if recourse not in ("fast", "lp"):
        raise UsageError(f"--recourse must be fast or lp (got {recourse!r})")
    if executor_kind not in ("local", "ray"):
        raise UsageError(f"unknown executor {executor_kind!r}; choose one of: local, ray")
    if robust is not None and robust < 1:
        raise UsageError(f"--robust K must be >= 1 (got {robust})")
    if robust_method not in ("saa", "candidates"):
        raise UsageError(f"--robust-method must be saa or candidates (got {robust_method!r})")
    if robust_time_limit is not None and robust_time_limit <= 0:
        raise UsageError(f"--robust-time-limit must be > 0 seconds (got {robust_time_limit})")
    say = (lambda _m: None) if as_json else (lambda m: err_console.print(f"[dim]{m}[/]"))

    det = None
    if plan is not None:
        sc, decisions, wafer_starts = _load_plan(plan, scenario, home)
        model = model_from_decisions(sc, decisions, wafer_starts=wafer_starts)
    else:
        from fabnet.plan import solve_plan

        sc = load_scenario(scenario)
        from fabnet.risk import compile_uncertainties

        compile_uncertainties(sc)  # bad specs fail before the (long) solve
        say("solving the deterministic plan first (give --plan RUN_ID to reuse one)")
        det = solve_plan(sc, explain=False)
        decisions = det.decisions
        model = model_from_plan(sc, det)
    ex = make_executor(executor_kind, workers, address)
    store = RunStore(home)
    options = {"plan": plan, "samples": samples, "seed": seed, "executor": executor_kind,
               "address": address, "workers": workers, "recourse": recourse, "robust": robust,
               "robust_method": robust_method, "robust_time_limit": robust_time_limit}  # fmt: skip
    try:
        with store.start_run(kind="risk", scenario_name=sc.name, scenario_text=dump_scenario(sc),
                             options=options, seed=seed) as run:  # fmt: skip
            chunk_fn = None
            chunk_size = None
            if recourse == "lp":
                from fabnet.risk.lp_recourse import LPRecourse

                chunk_fn = LPRecourse(model, sc, decisions)
                chunk_size = 10
            result = _evaluate(
                model, samples, seed, ex, chunk_fn, chunk_size, recourse, run, as_json
            )
            summary = dict(result.summary(), scenario=sc.name, run_id=run.id)
            tables = result.tables()
            if robust is not None:
                from fabnet.risk.robust import robust_plan, robust_saa

                if det is None:
                    raise UsageError("--robust needs the deterministic plan: leave out --plan")
                n_out = min(samples, 2000)
                if robust_method == "saa":
                    rb = robust_saa(sc, det, robust, seed=seed, out_of_sample=n_out,
                                    time_limit=robust_time_limit, executor=ex, recourse=recourse,
                                    progress=say)  # fmt: skip
                    tables["robust_decisions"] = rb.extra["decisions"]
                    tables["robust_futures"] = rb.extra["futures"]
                else:
                    rb = robust_plan(sc, det, robust, seed=seed, out_of_sample=n_out,
                                     executor=ex, progress=say)  # fmt: skip
                tables["robust"] = rb.table
                summary["robust"] = {"method": rb.method, "chosen": rb.chosen, "vss": rb.vss,
                                     "vss_se": rb.vss_se, "out_of_sample": n_out,
                                     "table": rb.table.to_dict("records")}  # fmt: skip
                summary["robust"].update(
                    {k: v for k, v in rb.extra.items() if k not in ("decisions", "futures")}
                )
                if "decisions" in rb.extra:
                    summary["robust"]["decisions"] = rb.extra["decisions"].to_dict("records")
            for name, frame in tables.items():
                run.save_table(name, frame)
            run.save_json("summary", to_jsonable(summary))
            run.set_summary({
                "npv_p50": summary["npv"]["p50"], "npv_p5": summary["npv"]["p5"],
                "shortage_p50": summary["shortage_total"]["p50"],
                "prob_funding_sufficient": summary["prob_funding_sufficient"],
                "samples": samples, "wall_seconds": summary["wall_seconds"],
            })  # fmt: skip
            target = out if out is not None else Path("fabnet-runs") / run.id
            target.mkdir(parents=True, exist_ok=True)
            export_tables(tables, target, formats=("csv", "parquet"))
            (target / "summary.json").write_text(
                json.dumps(to_jsonable(summary), indent=2), encoding="utf-8"
            )
            from fabnet.report.risk import risk_report

            html = risk_report(summary, tables)
            (target / "report.html").write_text(html, encoding="utf-8")
            run.save_text("report.html", html)
    finally:
        ex.close()
    if as_json:
        print_json(summary)
        return
    _print(summary, target)


def _evaluate(model: Any, samples: int, seed: int, ex: Any, chunk_fn: Any, chunk_size: int | None,
              recourse: str, run: Any, as_json: bool) -> Any:  # fmt: skip
    from fabnet.risk import DEFAULT_CHUNK_SIZE, evaluate_plan

    kwargs: dict[str, Any] = {"chunk_fn": chunk_fn, "recourse": recourse,
                              "chunk_size": chunk_size or DEFAULT_CHUNK_SIZE}  # fmt: skip
    if as_json:
        return evaluate_plan(
            model, samples, seed, ex, progress=lambda d, n: run.progress(d / n, "futures"), **kwargs
        )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console) as bar:  # fmt: skip
        task = bar.add_task("futures", total=samples)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done)
            run.progress(done / total, "futures")

        return evaluate_plan(model, samples, seed, ex, progress=progress, **kwargs)


def _print(summary: dict[str, Any], target: Path) -> None:
    from rich.table import Table

    t = Table(
        title=f"Risk — {summary['scenario']} ({summary['samples']:,} futures, seed {summary['seed']})"
    )
    for col in ("figure", "P5", "P50", "P95", "mean"):
        t.add_column(col, justify="right" if col != "figure" else "left")
    for key, fmt in (("npv", format_money), ("capex_total", format_money), ("funding_need", format_money),
                     ("irr", lambda x: "—" if x is None else f"{x:.1%}"),
                     ("delivered_total", lambda x: f"{x:,.0f}"), ("shortage_total", lambda x: f"{x:,.0f}"),
                     ("first_good_month", lambda x: "—" if x is None else f"month {x:.0f}")):  # fmt: skip
        s = summary[key]
        t.add_row(key, *(fmt(s[k]) for k in ("p5", "p50", "p95", "mean")))
    console.print(t)
    console.print(f"P(partners' commitments suffice) = {summary['prob_funding_sufficient']:.1%}; "
                  f"with the debt line: {summary['prob_funding_with_debt']:.1%}")  # fmt: skip
    if "robust" in summary:
        r = summary["robust"]
        if r.get("method") == "saa":
            _print_saa(r)
        console.print(
            f"robust plan: {r['chosen']} (VSS {format_money(r['vss'])} ± {format_money(r['vss_se'])})"
        )
    console.print(f"{summary['wall_seconds']:.1f} s; run {summary['run_id']}; outputs in {target}")


def _share(x: Any) -> str:
    return "—" if x is None or x != x else f"{x:.1%}"  # NaN: not computed (LP recourse)


def _print_saa(r: dict[str, Any]) -> None:
    """The SAA vs deterministic table (same fresh futures, fast recourse)."""
    from rich.table import Table

    t = Table(title=f"Robust plan (SAA, K={r['k']}) vs deterministic — "
                    f"{r['out_of_sample']:,} fresh futures")  # fmt: skip
    for col in ("plan", "capex", "mean NPV", "P5 NPV", "mean shortage", "P(funding suffices)"):
        t.add_column(col, justify="left" if col == "plan" else "right")
    for row in r["table"]:
        t.add_row(row["plan"], format_money(row["capex"]), format_money(row["mean_npv"]),
                  format_money(row["p5_npv"]), f"{row['mean_shortage']:,.0f}",
                  _share(row["prob_funding_sufficient"]))  # fmt: skip
    console.print(t)
    for d in r.get("decisions", []):
        console.print(f"  SAA: {d['action']} {d['site']} ({d['node']}) × {d['modules']} from "
                      f"{d['start']}, first output {d['first_output']}")  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach ``fabnet risk`` to the CLI."""
    app.command("risk")(risk_cmd)
