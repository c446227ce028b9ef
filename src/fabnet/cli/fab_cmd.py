"""``fabnet fab``: simulate a wafer fab (SMT2020 dataset or the built-in mini-fab), operating curves."""

from __future__ import annotations

import contextlib
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

import typer

from fabnet.cli._common import err_console, fail, print_json, to_jsonable
from fabnet.errors import FabnetError, UsageError
from fabnet.fab import background

__all__ = ["register"]

fab_app = typer.Typer(help="Discrete-event simulation of a wafer fab.", no_args_is_help=True)


def _model(dataset: Path | None, scenario: str | None = None, template: str | None = None):
    """The fab to simulate: an SMT2020 dataset, a scenario's fab template, or the mini-fab."""
    from fabnet.fab import load_smt2020, minifab

    if (scenario is None) != (template is None):
        raise UsageError("--scenario and --template go together (a scenario's fab_templates)")
    if scenario is not None and template is not None:
        if dataset is not None:
            raise UsageError("give either --dataset or --scenario/--template, not both")
        from fabnet.fab.template import model_from_template
        from fabnet.scenario import load_scenario
        from fabnet.scenario.checks import did_you_mean

        sc = load_scenario(scenario)
        names = [t.name for t in sc.fab_templates]
        if template not in names:
            raise UsageError(
                f"scenario {sc.name!r} has no fab template {template!r}"
                f"{did_you_mean(template, names)}; its templates: {', '.join(names) or 'none'}"
            )
        return model_from_template(sc.fab_template(template))
    return minifab() if dataset is None else load_smt2020(dataset)


def _progress(total: float, label: str, enabled: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled:
        return None
    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


class _LateBar:
    """A progress bar in simulated days that appears only once a run has taken
    :attr:`AFTER` seconds: a short run (30 days of SMT2020 take about half a second) does
    not pay for importing and drawing it. Call it with the simulated day; :meth:`close` at
    the end."""

    AFTER = 0.5

    def __init__(self, total: float, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.t0 = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, day: float) -> None:
        if self.bar is None:
            if not self.enabled or time.perf_counter() - self.t0 < self.AFTER:
                return
            self.bar = _progress(self.total, "simulated days", True)
            self.bar.start()
            self.task = self.bar.add_task("sim", total=self.total)
        self.bar.update(self.task, completed=day)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@fab_app.command("simulate")
def simulate_cmd(
    dataset: Path | None = typer.Option(
        None,
        "--dataset",
        help="SMT2020 dataset: SMT2020_HVLM or SMT2020_LVHM (fetched by `fabnet data fetch "
        "smt2020`) or a folder of the tables (default: the built-in mini-fab)",
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", help="scenario file whose fab template to simulate (with --template)"
    ),
    template: str | None = typer.Option(
        None, "--template", help="name of the fab template in the scenario's fab_templates"
    ),
    days: float = typer.Option(60.0, "--days", help="simulated days"),
    warmup: float | None = typer.Option(
        None, "--warmup", help="warm-up days excluded from statistics (default: days/2)"
    ),
    dispatch: str = typer.Option(
        "dataset",
        "--dispatch",
        help="fifo, cr, edd, spt, setup, cqt, or dataset: the rule the dataset's tables name "
        "(SMT2020 HVLM fifo, LVHM cr; the built-in mini-fab fifo)",
    ),
    seed: int = typer.Option(0, "--seed"),
    replications: int = typer.Option(1, "--replications"),
    workers: int = typer.Option(
        1, "--workers", help="processes for replications (local) / CPUs of a local Ray"
    ),
    executor: str = typer.Option("local", "--executor", help="replications on: local | ray"),
    address: str | None = typer.Option(None, "--address", help="Ray address: auto or HOST:PORT"),
    load: float = typer.Option(1.0, "--load", help="load factor on the release rate"),
    nested_pms: bool = typer.Option(
        False, "--nested-pms", help="a tool's weekly/monthly/quarterly PMs nest (see SimConfig)"
    ),
    out: Path | None = typer.Option(None, "--out", help="directory for tables and report"),
    home: Path | None = typer.Option(
        None, "--home", help="run store home (default $FABNET_HOME or ./.fabnet)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON only"),
) -> None:
    """Simulate a fab and print its KPIs (cycle time, flow factor, throughput, on-time).

    The run is kept in the run store (tables, summary, report), like plan and risk runs.

    One run simulates in a forked child on Linux (same records; FABNET_NO_FORK=1: one process).
    """
    from fabnet.fab import SimConfig
    from fabnet.fab.engine import Engine, kernel_module

    pending = None
    try:
        model = _model(dataset, scenario, template)
        cfg = SimConfig(
            days=days,
            warmup_days=days / 2 if warmup is None else warmup,
            dispatch=dispatch,
            seed=seed,
            load_factor=load,
            nested_pms=nested_pms,
        )
        engine = Engine(model, cfg)  # validates settings before any worker starts
        rule = engine.config.dispatch
        options = {"dataset": str(dataset) if dataset else None, "scenario": scenario,
                   "template": template, "days": days,
                   "warmup_days": cfg.warmup_days, "dispatch": rule,
                   "replications": replications, "executor": executor, "load_factor": load,
                   "nested_pms": nested_pms}  # fmt: skip
        if replications == 1:  # simulate in a forked child while the store and pandas load
            kernel_module()  # loaded (with NumPy) before the fork: both processes need it
            pending = background.start(partial(_run_one, engine, days, as_json))
        from fabnet.store import RunStore  # imported here, after the fork: it loads pandas

        with RunStore(home).start_run(
            kind="fab",
            scenario_name=model.name,
            scenario_text=json.dumps(options, indent=2),
            options=options,
            seed=seed,
        ) as run:
            results = _simulate(engine, pending, replications, (executor, workers, address),
                                as_json)  # fmt: skip
            summary = dict(_summarise(model, results, replications), run_id=run.id)
            _keep(run, results[0], summary)
    except FabnetError as error:
        fail(error, as_json)
        return
    finally:
        if pending is not None:
            pending.cancel()  # only if its result was not taken (an error came first)
    if out is not None:
        _write_tables(out, results[0], summary)
    if as_json:
        print_json(summary)
        return
    _print_summary(summary, results[0])


def _executor(kind: str, workers: int, address: str | None):
    """The executor of ``--executor/--workers/--address`` (the risk engine's interface)."""
    from fabnet.executors import make_executor

    if workers < 1:
        raise UsageError(f"--workers must be >= 1 (got {workers})")
    return make_executor(kind, workers, address)


def _run_one(engine, days: float, as_json: bool):
    """One run's raw records, with a progress bar in simulated days once it takes half a
    second."""
    bar = _LateBar(days, not as_json)
    try:
        return engine.run(bar)
    finally:
        bar.close()


def _preload(as_json: bool) -> None:
    """Import what the steps after the simulation need (the report, the JSON conversion, the
    console's table) while the forked child still simulates: that time is free."""
    import fabnet._json
    import fabnet.fab.html_report  # noqa: F401

    if not as_json:
        import rich.table  # noqa: F401

        from fabnet.cli._common import console

        console.real()


def _simulate(engine, pending, replications: int, run_on: tuple, as_json: bool):
    """KPIs of each replication. One run comes from ``pending`` (:func:`_run_one`, started in
    the background); replications go through the executor ``run_on`` names, with a progress
    bar in replications."""
    from fabnet.fab.kpi import kpis
    from fabnet.fab.replicate import replication_seeds, run_replications

    model, cfg = engine.model, engine.config
    if replications == 1:
        _preload(as_json)
        return [kpis(pending.result())]
    replication_seeds(cfg.seed, replications)  # checks the count before any worker starts
    bar = _progress(replications, "replications", not as_json)
    with _executor(*run_on) as ex:
        if bar is None:
            return run_replications(model, cfg, replications, executor=ex)
        with bar:
            task = bar.add_task("reps", total=replications)
            return run_replications(
                model, cfg, replications, on_done=lambda i: bar.advance(task), executor=ex
            )


def _summarise(model, results, replications: int) -> dict:
    """Key figures of the first replication, plus confidence intervals across replications."""
    from fabnet.fab import confidence_interval

    summary = dict(results[0].summary)
    summary["fab"] = model.name
    summary["replications"] = replications
    if replications > 1:
        ci = {}
        for key, get in (
            ("cycle_time_days_mean", lambda s: s["cycle_time_days"]["mean"]),
            ("flow_factor_mean", lambda s: s["flow_factor"]["mean"]),
            ("wafers_per_day", lambda s: s["wafers_per_day"]),
            ("on_time_fraction", lambda s: s["on_time_fraction"]),
        ):
            mean, half = confidence_interval([get(r.summary) for r in results])
            ci[key] = {"mean": mean, "half_width_95": half}
        summary["across_replications"] = ci
        summary["wall_seconds"] = sum(r.summary["wall_seconds"] for r in results)
        summary["events"] = sum(r.summary["events"] for r in results)
    return summary


_TABLES = ("lots", "products", "tool_groups", "queues", "cqt", "wip")


def _keep(run, k, summary: dict) -> None:
    """Keep a simulation in its store run: KPI tables, summary and the fab report."""
    from fabnet.fab.html_report import fab_report_html

    for name in _TABLES:
        run.save_table(name, getattr(k, name))
    summary = to_jsonable(summary)
    run.save_json("summary", summary)
    run.set_summary(summary)
    run.save_text("report.html", fab_report_html(k, title=f"fab simulation: {summary['fab']}"))


def _write_tables(out: Path, k, summary: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        df = getattr(k, name)
        df.to_csv(out / f"{name}.csv", index=False)
        with contextlib.suppress(ImportError, ValueError):  # pyarrow is a dependency
            df.to_parquet(out / f"{name}.parquet", index=False)
    (out / "summary.json").write_text(json.dumps(to_jsonable(summary), indent=2))
    from fabnet.fab.html_report import write_fab_report

    write_fab_report(k, out / "fab_report.html", title=f"fab simulation: {summary['fab']}")


def _print_summary(s: dict, k) -> None:
    from rich.table import Table

    from fabnet.cli._common import console

    ct, ff = s["cycle_time_days"], s["flow_factor"]
    console.print(
        f"[bold]{s['fab']}[/]: {s['days']:g} days ({s['warmup_days']:g} warm-up), "
        f"dispatch {s['dispatch']}, {s['events']:,} events in {s['wall_seconds']:.1f} s"
    )
    # X: cycle time / raw process time (processing only); X empty fab: / the empty-fab cycle
    # time (processing, load/unload, transport, rework), the flow factor SMT2020 reports
    t = Table("product", "lots", "wafers/day", "CT mean d", "CT p95 d", "X mean", "X median",
              "X empty fab median", "on time")  # fmt: skip
    for _, r in k.products.iterrows():
        t.add_row(
            r["product"],
            str(r["lots_completed"]),
            f"{r['wafers_per_day']:.0f}",
            f"{r['cycle_time_mean_days']:.1f}",
            f"{r['cycle_time_p95_days']:.1f}",
            f"{r['flow_factor_mean']:.2f}",
            f"{r['flow_factor_median']:.2f}",
            f"{r['flow_factor_empty_fab_median']:.2f}",
            f"{r['on_time_fraction']:.0%}",
        )
    console.print(t)
    console.print(
        f"all: {s['lots_completed']} lots, {s['wafers_per_week']:.0f} wafers/week, CT "
        f"{ct['mean']:.1f} d (p95 {ct['p95']:.1f}), flow factor {ff['mean']:.2f} "
        f"(median {ff['median']:.2f}; over the empty-fab time "
        f"{s['flow_factor_empty_fab']['median']:.2f}), WIP {s['wip_lots_time_average']:.0f} lots "
        f"(Little: {s['littles_law_wip']:.0f}), CQT violations {s['cqt_violations']}"
    )


@fab_app.command("curve")
def curve_cmd(
    dataset: Path | None = typer.Option(
        None, "--dataset", help="SMT2020 dataset (a name or a folder, as for `fab simulate`)"
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", help="scenario file whose fab template to simulate (with --template)"
    ),
    template: str | None = typer.Option(
        None, "--template", help="name of the fab template in the scenario's fab_templates"
    ),
    loads: str = typer.Option(
        "0.6,0.7,0.8,0.9,0.95", "--loads", help="load factors, comma-separated"
    ),
    days: float = typer.Option(60.0, "--days"),
    warmup: float | None = typer.Option(None, "--warmup", help="default: days/2"),
    dispatch: str = typer.Option("dataset", "--dispatch", help="as for `fab simulate`"),
    replications: int = typer.Option(2, "--replications"),
    workers: int = typer.Option(1, "--workers", help="processes (local) / CPUs of a local Ray"),
    executor: str = typer.Option("local", "--executor", help="runs on: local | ray"),
    address: str | None = typer.Option(None, "--address", help="Ray address: auto or HOST:PORT"),
    seed: int = typer.Option(0, "--seed"),
    out: Path = typer.Option(Path("operating_curve.json"), "--out", help="JSON file to write"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cycle time versus load, with a fitted X-factor curve, as JSON for the planner."""
    from fabnet.fab import SimConfig
    from fabnet.fab.curve import operating_curve
    from fabnet.fab.engine import Engine
    from fabnet.scenario.fab_template import OperatingCurve

    try:
        try:
            factors = [float(x) for x in loads.split(",") if x.strip()]
        except ValueError:
            raise UsageError(
                f"--loads must be numbers separated by commas, got {loads!r}"
            ) from None
        model = _model(dataset, scenario, template)
        cfg = SimConfig(
            days=days, warmup_days=days / 2 if warmup is None else warmup,
            dispatch=dispatch, seed=seed,
        )  # fmt: skip
        Engine(model, cfg)
        bar = _progress(len(factors), "loads", not as_json)
        with _executor(executor, workers, address) as ex:
            if bar is None:
                curve = operating_curve(model, cfg, factors, replications, executor=ex)
            else:
                with bar:
                    task = bar.add_task("loads", total=len(factors))
                    curve = operating_curve(
                        model, cfg, factors, replications,
                        on_point=lambda lf: bar.advance(task), executor=ex,
                    )  # fmt: skip
        OperatingCurve.model_validate(curve)
    except FabnetError as error:
        fail(error, as_json)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_jsonable(curve), indent=2))
    if as_json:
        print_json({"out": str(out), **curve})
        return
    fit = curve["fit"]["params"]
    err_console.print(
        f"wrote {out}: X(u) = 1 + {fit['a']:.3f}·u^{fit['b']:.2f}/(1−u), "
        f"RPT {curve['raw_process_time_days']:.1f} d"
    )


def register(app: typer.Typer) -> None:
    """Attach ``fabnet fab`` to the root CLI."""
    app.add_typer(fab_app, name="fab")
