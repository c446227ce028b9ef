"""The plan pipeline, shared by ``fabnet plan`` and the web service's plan jobs.

::

    options = PlanOptions(policy="maxmin")                # checked here (UsageError)
    source = ScenarioInput.load("my-scenario.yaml")       # or .from_text(text, "yaml")
    outcome = run_plan(source, options, RunStore(home), progress=print_progress)
    outcome.summary.npv, outcome.run_id

Stages, each a function: :func:`solve` (the planner) → :func:`record_plan` (every table,
``summary.json``, the run's key figures, ``report.html``) → a :class:`PlanOutcome`. The run is
``done`` when :func:`run_plan` returns; an error after it started marks it ``failed`` and goes
on. :func:`compare` solves variants side by side (strategies or business models), each a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fabnet._json import to_jsonable
from fabnet.pipelines._run import OnStart, ProgressCallback, scaled, started_run
from fabnet.pipelines.inputs import ScenarioInput
from fabnet.pipelines.options import PlanOptions
from fabnet.plan import PlanResult, compare_plans, solve_plan
from fabnet.plan.summary import PlanSummary
from fabnet.quote import scenario_with_quotes
from fabnet.report import plan_report, runs_compare_report
from fabnet.scenario import Scenario, dump_scenario
from fabnet.store import Run, RunStore
from fabnet.store.quotes import QuoteStore

__all__ = [
    "CompareOutcome",
    "PlanOutcome",
    "compare",
    "plan_summary",
    "record_plan",
    "run_plan",
    "solve",
]


@dataclass(frozen=True)
class PlanOutcome:
    """A plan kept in the store: its run id, key figures, tables, report and the full result."""

    run_id: str
    summary: PlanSummary
    tables: dict[str, pd.DataFrame]
    report_html: str
    result: PlanResult


def solve(
    scenario: Scenario, options: PlanOptions, progress: ProgressCallback | None = None
) -> PlanResult:
    """Solve the plan of ``scenario`` with ``options`` (:func:`fabnet.plan.solve_plan`)."""
    return solve_plan(scenario, progress=progress, **options.solve_kwargs())


def plan_summary(result: PlanResult, scenario_name: str, run_id: str | None) -> PlanSummary:
    """The result's key figures as kept: JSON values, with the run id and the scenario name."""
    given: Any = result.summary  # a dict today; a PlanSummary once plan.tables makes one
    summary = given.to_dict() if isinstance(given, PlanSummary) else dict(given)
    if run_id is not None:
        summary["run_id"] = run_id
    summary.setdefault("status", result.status)
    summary.setdefault("scenario", scenario_name)
    return PlanSummary.from_dict(to_jsonable(summary))


def record_plan(run: Run, result: PlanResult, scenario_name: str) -> tuple[PlanSummary, str]:
    """Keep a solved plan in its run: every table, ``summary.json``, the key figures and
    ``report.html``. Returns the summary (with ``run_id``) and the report."""
    for table_name, frame in result.tables.items():
        run.save_table(table_name, frame)
    summary = plan_summary(result, scenario_name, run.id)
    data = summary.to_dict()
    run.save_json("summary", data)
    run.set_summary(data)
    html = plan_report(data, result.tables)
    run.save_text("report.html", html)
    return summary, html


def run_plan(
    source: ScenarioInput,
    options: PlanOptions,
    store: RunStore,
    *,
    recorded_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    on_start: OnStart | None = None,
) -> PlanOutcome:
    """Plan ``source`` in a new ``plan`` run of ``store``, with the store's accepted quotes for
    that scenario as contracted customers (:func:`fabnet.quote.scenario_with_quotes`).

    Args:
        recorded_options: the options the run keeps (default: the plan options given).
        progress: ``(fraction, message)`` of the whole job, besides the run's own progress.
        on_start: called with the run id as soon as the run exists.

    Raises:
        InfeasibleError, SolverError: the plan failed (the run is kept, marked ``failed``).
    """
    recorded = dict(options.solve_kwargs() if recorded_options is None else recorded_options)
    accepted = QuoteStore(store).list(scenario_name=source.scenario.name, status="accepted")
    scenario = scenario_with_quotes(source.scenario, [(q.id, q.answer) for q in accepted])
    if accepted:  # the next plan honours accepted quotes as contracts (kept with the run)
        recorded["accepted_quotes"] = [q.id for q in accepted]
    with started_run(
        store, "plan", source.name, source.text, recorded, None, progress, on_start
    ) as (run, report):
        report(0.02, "building the model")
        result = solve(scenario, options, scaled(report, 0.05, 0.85))
        report(0.92, "saving tables and the report")
        summary, html = record_plan(run, result, source.name)
        report(1.0, "done")
    return PlanOutcome(run.id, summary, result.tables, html, result)


@dataclass(frozen=True)
class CompareOutcome:
    """Plans side by side: the comparison table (one row per variant, with its ``run_id``), the
    runs that keep each solved variant and the HTML page of those runs side by side."""

    by: str
    table: pd.DataFrame
    run_ids: tuple[str, ...]
    report_html: str | None


def compare(
    scenario: Scenario, options: PlanOptions, by: str, store: RunStore, text: str | None = None
) -> CompareOutcome:
    """``fabnet plan --compare BY``: each variant (``strategy``: buy only, build only, mixed;
    ``revenue``: as given, foundry, cost-plus, merchant) solved and kept as a plan run of
    ``store``; the table and an HTML comparison of the runs."""
    kwargs = {k: v for k, v in options.solve_kwargs().items() if k != "strategy"}
    ids: dict[str, str] = {}

    def solve_in_run(label: str, variant: Scenario, solve_kwargs: dict[str, Any]) -> PlanResult:
        """One variant solved inside its own stored run: the run's time is the solve's, and a
        variant that fails is kept as a failed run."""
        recorded = {k: v for k, v in kwargs.items() if v is not None} | {"compare": f"{by}={label}"}
        with started_run(
            store, "plan", scenario.name, text or dump_scenario(scenario), recorded, None,
            None, None,
        ) as (run, _report):  # fmt: skip
            res = solve_plan(variant, **solve_kwargs)
            record_plan(run, res, scenario.name)
        ids[label] = run.id
        return res

    table, _results = compare_plans(scenario, by=by, solve=solve_in_run, **kwargs)
    run_ids = list(ids.values())
    run_id: list[Any] = [ids.get(str(label)) for label in table[by]]
    table = table.assign(run_id=run_id)
    html = (
        runs_compare_report([store.get(i) for i in run_ids], title=f"Plans compared by {by}")
        if run_ids
        else None
    )
    return CompareOutcome(by, table, tuple(run_ids), html)
