"""The risk pipeline, shared by ``fabnet risk`` and the web service's risk jobs.

::

    options = RiskOptions(samples=2000, seed=4)            # checked here (UsageError)
    source = ScenarioInput.load("my-scenario.yaml")
    outcome = run_risk(source, options, RunStore(home), progress=print_progress)
    outcome.summary["npv"].p50, outcome.run_id

Stages, each a function: :func:`check_inputs` (uncertainties compiled, options that need each
other; before any run exists) → :func:`plan_model` (the deterministic plan solved, or the
decisions of an earlier plan, as a risk model) → :func:`evaluate` (the futures, fast or LP
recourse) → :func:`robust` (``--robust K``: the robust plan compared out of sample) →
:func:`~fabnet.pipelines.tornado.tornado_stage` (``--tornado``) →
:func:`record_risk` (tables, ``summary.json``, the key figures, ``report.html``) → a
:class:`RiskOutcome`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fabnet._json import to_jsonable
from fabnet.errors import UsageError
from fabnet.pipelines._run import OnStart, ProgressCallback, scaled, started_run
from fabnet.pipelines.decide import decide, risk_spec
from fabnet.pipelines.inputs import ScenarioInput, StoredPlan
from fabnet.pipelines.options import PlanOptions, RiskOptions
from fabnet.pipelines.tornado import tornado_stage
from fabnet.plan import PlanResult, solve_plan
from fabnet.report.risk import risk_report
from fabnet.risk import (
    DEFAULT_CHUNK_SIZE,
    Executor,
    RiskModel,
    RiskResult,
    compile_uncertainties,
    evaluate_plan,
    make_executor,
    model_from_decisions,
    model_from_plan,
)
from fabnet.risk.beside import explain, plan_figures
from fabnet.risk.lp_recourse import LPRecourse
from fabnet.risk.robust import RobustResult, robust_plan, robust_saa
from fabnet.risk.summary import RiskSummary
from fabnet.scenario import Scenario
from fabnet.store import Run, RunStore
from fabnet.vocab import Recourse, RobustMethod

__all__ = [
    "LP_CHUNK_SIZE",
    "MAX_OUT_OF_SAMPLE",
    "PlannedModel",
    "RiskOutcome",
    "check_inputs",
    "evaluate",
    "plan_model",
    "record_risk",
    "robust",
    "run_risk",
]

#: Futures per chunk with the LP recourse (one HiGHS solve each).
LP_CHUNK_SIZE = 10

#: Fresh futures on which a robust plan is compared with the deterministic one (at most).
MAX_OUT_OF_SAMPLE = 2000


@dataclass(frozen=True)
class RiskOutcome:
    """A risk run kept in the store: its run id, key figures, tables and report."""

    run_id: str
    summary: RiskSummary
    tables: dict[str, pd.DataFrame]
    report_html: str


@dataclass(frozen=True)
class PlannedModel:
    """The plan to evaluate: its risk model, its decisions, and the deterministic plan when it
    was solved here (the robust plan needs it)."""

    model: RiskModel
    decisions: pd.DataFrame
    deterministic: PlanResult | None = None


def check_inputs(scenario: Scenario, plan: StoredPlan | None, options: RiskOptions) -> None:
    """What can be refused before a run exists (and before a long solve).

    Raises:
        ScenarioError: an uncertainty of the scenario is invalid.
        UsageError: ``--robust`` with an earlier plan (it needs the deterministic solve).
    """
    compile_uncertainties(scenario)
    if options.robust is not None and plan is not None:
        raise UsageError("--robust needs the deterministic plan: leave out --plan")


def plan_model(
    scenario: Scenario,
    plan: StoredPlan | None,
    plan_options: PlanOptions,
    progress: ProgressCallback,
) -> PlannedModel:
    """The risk model of ``plan``, or of the deterministic plan solved now (``plan`` None)."""
    if plan is not None:
        model = model_from_decisions(scenario, plan.decisions, wafer_starts=plan.wafer_starts)
        return PlannedModel(model, plan.decisions)
    progress(0.0, "solving the deterministic plan")
    det = solve_plan(scenario, explain=False, progress=progress, **plan_options.solve_kwargs())
    return PlannedModel(model_from_plan(scenario, det), det.decisions, det)


def evaluate(
    scenario: Scenario,
    planned: PlannedModel,
    options: RiskOptions,
    executor: Executor,
    progress: ProgressCallback,
) -> RiskResult:
    """The plan over ``options.samples`` futures with the fast or the LP recourse."""
    chunk_fn = None
    chunk_size = DEFAULT_CHUNK_SIZE
    if options.recourse is Recourse.LP:
        chunk_fn = LPRecourse(planned.model, scenario, planned.decisions)
        chunk_size = LP_CHUNK_SIZE

    def futures(done: int, total: int) -> None:
        progress(done / total, f"futures {done:,}/{total:,}")

    return evaluate_plan(
        planned.model,
        options.samples,
        options.seed,
        executor,
        chunk_fn=chunk_fn,
        chunk_size=chunk_size,
        recourse=options.recourse.value,
        progress=futures,
    )


def robust(
    scenario: Scenario,
    deterministic: PlanResult,
    options: RiskOptions,
    executor: Executor,
    progress: ProgressCallback,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """``--robust K``: the robust plan (SAA or candidates) against the deterministic one on
    fresh futures. Returns the ``robust`` part of the summary and its tables."""
    assert options.robust is not None
    n_out = min(options.samples, MAX_OUT_OF_SAMPLE)

    def say(message: str) -> None:
        progress(0.0, message)

    rb: RobustResult
    tables: dict[str, pd.DataFrame] = {}
    if options.robust_method is RobustMethod.SAA:
        rb = robust_saa(scenario, deterministic, options.robust, seed=options.seed,
                        out_of_sample=n_out, time_limit=options.robust_time_limit,
                        executor=executor, recourse=options.recourse.value,
                        risk=risk_spec(options), decompose=options.decompose,
                        ph_iterations=options.ph_iterations, progress=say)  # fmt: skip
        tables["robust_decisions"] = rb.extra["decisions"]
        tables["robust_futures"] = rb.extra["futures"]
    else:
        rb = robust_plan(scenario, deterministic, options.robust, seed=options.seed,
                         out_of_sample=n_out, executor=executor, progress=say)  # fmt: skip
    tables["robust"] = rb.table
    summary: dict[str, Any] = {"method": rb.method, "chosen": rb.chosen, "vss": rb.vss,
                               "vss_se": rb.vss_se, "out_of_sample": n_out,
                               "table": rb.table.to_dict("records")}  # fmt: skip
    tables.update(rb.extra.get("ph_tables", {}))
    hidden = ("decisions", "futures", "ph_tables")
    summary.update({k: v for k, v in rb.extra.items() if k not in hidden})
    if "decisions" in rb.extra:
        summary["decisions"] = rb.extra["decisions"].to_dict("records")
    return summary, tables


def _summary_dict(result: RiskResult, scenario_name: str, run_id: str) -> dict[str, Any]:
    """The evaluation's key figures with the scenario's name and the run id (a dict today; a
    RiskSummary once the risk engine makes one)."""
    given: Any = result.summary()
    data = given.to_dict() if isinstance(given, RiskSummary) else dict(given)
    data.update(scenario=scenario_name, run_id=run_id)
    return data


def record_risk(
    run: Run, summary: RiskSummary, tables: Mapping[str, pd.DataFrame], progress: ProgressCallback
) -> str:
    """Keep a risk run: every table, ``summary.json``, the key figures and ``report.html``
    (returned)."""
    for name, frame in tables.items():
        run.save_table(name, frame)
    data = summary.to_dict()
    run.save_json("summary", data)
    run.set_summary(summary.key_figures())
    progress(0.96, "writing the report")
    html = risk_report(data, dict(tables))
    run.save_text("report.html", html)
    return html


@dataclass(frozen=True)
class _Stages:
    """(start, span) of each stage as fractions of the whole job (the rest is saving)."""

    solve: tuple[float, float] = (0.02, 0.38)
    futures: tuple[float, float] = (0.4, 0.5)
    robust: tuple[float, float] = (0.9, 0.0)

    @classmethod
    def of(cls, options: RiskOptions) -> _Stages:
        if options.robust is None:
            return cls()
        return cls(futures=(0.4, 0.2), robust=(0.6, 0.3))


def run_risk(
    source: ScenarioInput,
    options: RiskOptions,
    store: RunStore,
    *,
    plan: StoredPlan | None = None,
    plan_options: PlanOptions | None = None,
    recorded_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    on_start: OnStart | None = None,
) -> RiskOutcome:
    """Evaluate a plan of ``source`` over sampled futures in a new ``risk`` run of ``store``.

    Args:
        plan: the decisions of an earlier plan (default: solve the deterministic plan first,
            with ``plan_options``).
        recorded_options: the options the run keeps (default: ``options.recorded()``).
        progress: ``(fraction, message)`` of the whole job, besides the run's own progress.
        on_start: called with the run id as soon as the run exists.

    Raises:
        ScenarioError, UsageError: before the run starts (bad uncertainty, option, executor).
        InfeasibleError, SolverError: the deterministic plan failed (the run is kept, failed).
    """
    check_inputs(source.scenario, plan, options)
    recorded = options.recorded() if recorded_options is None else recorded_options
    stages = _Stages.of(options)
    executor = make_executor(options.executor.value, options.workers, options.address)
    try:
        with started_run(
            store, "risk", source.name, source.text, recorded, options.seed, progress, on_start
        ) as (run, report):
            planned = plan_model(
                source.scenario, plan, plan_options or PlanOptions(), scaled(report, *stages.solve)
            )
            result = evaluate(
                source.scenario, planned, options, executor, scaled(report, *stages.futures)
            )
            data = _summary_dict(result, source.name, run.id)
            data["plan"] = plan_figures(planned.model, planned.deterministic)
            data["explanation"] = explain(result, data["plan"])
            tables = result.tables()
            if options.robust is not None:
                assert planned.deterministic is not None  # check_inputs refused --plan
                data["robust"], robust_tables = robust(
                    source.scenario, planned.deterministic, options, executor,
                    scaled(report, *stages.robust),
                )  # fmt: skip
                tables.update(robust_tables)
                more, more_tables = decide(
                    source, planned.deterministic, options, executor, store,
                    scaled(report, *stages.robust),
                )  # fmt: skip
                data["robust"].update(more)
                tables.update(more_tables)
            if options.tornado:
                stage = scaled(report, 0.9, 0.02)
                bars = tornado_stage(source.scenario, planned.model, planned.decisions,
                                     options.recourse, executor, stage)  # fmt: skip
                data["tornado"], tables["tornado"] = bars.to_dict(), bars.table()
            report(0.92, "saving tables")
            summary = RiskSummary.from_dict(to_jsonable(data))
            html = record_risk(run, summary, tables, report)
            report(1.0, "done")
    finally:
        executor.close()
    return RiskOutcome(run.id, summary, tables, html)
