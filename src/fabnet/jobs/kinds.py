"""Job kinds: a pipeline of :mod:`fabnet.pipelines` started from a job's JSON.

::

    run_id = run_plan_job(text, "my-scenario", "yaml", {"policy": "priority"}, store)

validates the scenario and the options (their JSON types here, their values in
:class:`~fabnet.pipelines.PlanOptions` / :class:`~fabnet.pipelines.RiskOptions`), runs the same
pipeline as ``fabnet plan`` / ``fabnet risk``, and returns the run id. Any error after the run
started marks the run ``failed`` (the store's ``with`` block) and is re-raised.

Job kinds are listed in :data:`JOB_KINDS` (``plan``: :func:`run_plan_job`; ``risk``:
:func:`run_risk_job`); a kind is a function with the signature of :func:`run_plan_job`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from fabnet.errors import UsageError

if TYPE_CHECKING:
    from fabnet.pipelines import RiskOptions
    from fabnet.scenario import Scenario
    from fabnet.store import RunStore

__all__ = [
    "JOB_KINDS",
    "PLAN_OPTION_KEYS",
    "RISK_OPTION_KEYS",
    "JobFunction",
    "ProgressCallback",
    "plan_options",
    "risk_options",
    "run_job",
    "run_plan_job",
    "run_risk_job",
    "validate_scenario_text",
]

ProgressCallback = Callable[[float, str], None]

#: Options of a plan job passed on to :func:`fabnet.plan.solve_plan` (others are only recorded).
PLAN_OPTION_KEYS = ("objective", "policy", "time_limit", "mip_gap", "strategy", "threads")

#: Options of a risk job (besides the plan options of its deterministic solve).
RISK_OPTION_KEYS = ("samples", "seed")

# The pipelines (fabnet.pipelines) are imported inside the functions that run them: the web
# service imports fabnet.jobs at start-up for JOB_KINDS, and the pipelines pull in pandas,
# linopy, plotly, the planner and the risk engine (import of fabnet.web.service 0.6-0.9 s
# without them, 3.6-4.4 s with them, measured on 2 shared cores).


class JobFunction(Protocol):
    """The signature every job kind has (see :func:`run_plan_job`)."""

    def __call__(
        self,
        scenario_text: str,
        scenario_name: str,
        fmt: str,
        options: Mapping[str, Any],
        store: RunStore,
        progress: ProgressCallback | None = None,
        *,
        on_start: Callable[[str], None] | None = None,
    ) -> str: ...


def validate_scenario_text(text: str, fmt: str, file: str = "<text>") -> Scenario:
    """Parse and validate scenario text (``yaml``/``toml``/``json``); raise ScenarioError.

    See :func:`fabnet.pipelines.validate_scenario_text`.
    """
    from fabnet.pipelines import validate_scenario_text as validate  # imported here: see above

    return validate(text, fmt, file)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _is_whole(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


def _plan_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """The plan options of a job's JSON, their JSON types checked (UsageError)."""
    values: dict[str, Any] = {}
    for key in PLAN_OPTION_KEYS:
        value = options.get(key)
        if value is None:
            continue
        if key in ("objective", "policy", "strategy") and not isinstance(value, str):
            raise UsageError(f"option {key} must be text (got {value!r})")
        if key in ("time_limit", "mip_gap") and not _is_number(value):
            raise UsageError(f"option {key} must be a number (got {value!r})")
        if key == "threads" and not _is_whole(value):
            raise UsageError(f"option threads must be a whole number (got {value!r})")
        values[key] = value
    return values


def _whole(options: Mapping[str, Any], key: str, default: int) -> int:
    value = options.get(key)
    value = default if value is None else value
    if not _is_whole(value):
        raise UsageError(f"option {key} must be a whole number (got {value!r})")
    return int(value)


def _risk_job_options(options: Mapping[str, Any]) -> RiskOptions:
    """``samples`` and ``seed`` of a job's JSON (defaults 1000 and 0; UsageError); the futures
    are evaluated as ``fabnet risk`` does by default (fast recourse, one local worker)."""
    from fabnet.pipelines import RiskOptions  # imported here: see above

    return RiskOptions(samples=_whole(options, "samples", 1000), seed=_whole(options, "seed", 0))


def plan_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a plan job that :func:`fabnet.plan.solve_plan` takes as keyword arguments.

    Raises:
        UsageError: an option has the wrong type or an invalid value
            (:class:`~fabnet.pipelines.PlanOptions`).
    """
    from fabnet.pipelines import PlanOptions  # imported here: see above

    return PlanOptions(**_plan_values(options)).solve_kwargs()


def risk_options(options: Mapping[str, Any]) -> tuple[int, int]:
    """``(samples, seed)`` of a risk job (defaults 1000 and 0).

    Raises:
        UsageError: not whole numbers, or out of range (:class:`~fabnet.pipelines.RiskOptions`;
            the web service has its own, lower limit on samples).
    """
    risk = _risk_job_options(options)
    return risk.samples, risk.seed


def run_plan_job(
    scenario_text: str,
    scenario_name: str,
    fmt: str,
    options: Mapping[str, Any],
    store: RunStore,
    progress: ProgressCallback | None = None,
    *,
    on_start: Callable[[str], None] | None = None,
) -> str:
    """Validate, plan, and keep everything in ``store``; returns the run id.

    The plan pipeline (:func:`fabnet.pipelines.run_plan`) as ``fabnet plan`` runs it: every
    table of the :class:`~fabnet.plan.PlanResult` (Parquet), the key figures (``summary.json``
    and the run's listed figures), ``report.html``. The run's progress goes to the store (and to
    ``progress`` if given).

    Args:
        scenario_text: the scenario file's full text (kept with the run).
        scenario_name: shown in run lists (default: the scenario's own ``name``).
        fmt: ``yaml``, ``toml`` or ``json``.
        options: JSON-ready options, kept with the run; the keys in :data:`PLAN_OPTION_KEYS` go to
            ``solve_plan`` (``objective``, ``policy`` = allocation rule, ``time_limit`` …).
        store: where the run is kept.
        progress: extra callback ``(fraction, message)``.
        on_start: called with the run id as soon as the run exists in the store.

    Raises:
        ScenarioError: the scenario is invalid (no run is created).
        UsageError: an option is invalid (no run is created).
        InfeasibleError, SolverError: the plan failed (the run is kept, marked ``failed``).
    """
    from fabnet.pipelines import PlanOptions, ScenarioInput, run_plan  # imported here: see above

    source = ScenarioInput.from_text(scenario_text, fmt, scenario_name)
    plan = PlanOptions(**_plan_values(options))
    outcome = run_plan(
        source, plan, store, recorded_options=options, progress=progress, on_start=on_start
    )
    return outcome.run_id


def run_risk_job(
    scenario_text: str,
    scenario_name: str,
    fmt: str,
    options: Mapping[str, Any],
    store: RunStore,
    progress: ProgressCallback | None = None,
    *,
    on_start: Callable[[str], None] | None = None,
) -> str:
    """Solve the plan, then evaluate it over ``samples`` sampled futures; keep it in ``store``.

    The risk pipeline (:func:`fabnet.pipelines.run_risk`) as ``fabnet risk SCENARIO --samples N
    --seed S`` runs it (fast vectorised recourse, one local worker): tables (fan chart and
    histogram data, percentiles, shortage by customer), the summary (``summary.json``), the key
    figures (``npv_p50``, ``npv_p5``, ``npv_p95``, ``shortage_p50``, ``prob_funding_sufficient``
    …) and ``report.html``. Options: ``samples``, ``seed`` and the plan options of the
    deterministic solve (:data:`PLAN_OPTION_KEYS`).

    Raises:
        ScenarioError, UsageError: before the run starts (bad scenario, uncertainty or option).
    """
    from fabnet.pipelines import PlanOptions, ScenarioInput, run_risk  # imported here: see above

    source = ScenarioInput.from_text(scenario_text, fmt, scenario_name)
    plan = PlanOptions(**_plan_values(options))
    risk = _risk_job_options(options)
    outcome = run_risk(
        source,
        risk,
        store,
        plan_options=plan,
        recorded_options=options,
        progress=progress,
        on_start=on_start,
    )
    return outcome.run_id


#: Every job kind the web service and ``python -m fabnet.jobs`` can run.
JOB_KINDS: dict[str, JobFunction] = {"plan": run_plan_job, "risk": run_risk_job}


def run_job(
    kind: str,
    scenario_text: str,
    scenario_name: str,
    fmt: str,
    options: Mapping[str, Any],
    store: RunStore,
    progress: ProgressCallback | None = None,
    *,
    on_start: Callable[[str], None] | None = None,
) -> str:
    """Run a job of ``kind`` (a key of :data:`JOB_KINDS`) in this process; returns the run id."""
    job = JOB_KINDS.get(kind)
    if job is None:
        raise UsageError(f"unknown job kind {kind!r}; valid: {', '.join(JOB_KINDS)}")
    return job(scenario_text, scenario_name, fmt, options, store, progress, on_start=on_start)
