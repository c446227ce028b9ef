"""One pipeline per job, used by the CLI and the web service alike.

Each pipeline is a few named stages: check the options (:mod:`.options`, typed and checked in
one place) → load the scenario or an earlier plan (:mod:`.inputs`) → solve or evaluate → record
(tables, ``summary.json``, key figures, ``report.html`` in the run store) → a typed outcome.

- :func:`run_plan` (:mod:`.plan`): ``fabnet plan``, plan jobs;
- :func:`run_risk` (:mod:`.risk`): ``fabnet risk``, risk jobs.

The CLI parses its flags into :class:`PlanOptions` / :class:`RiskOptions`, calls a pipeline with a
progress callback and prints the outcome; :mod:`fabnet.jobs` calls the same pipelines from a job's
JSON. This is an outer layer (it uses the core, the store and the report); the core never
imports it.
"""

from fabnet.pipelines._run import OnStart, ProgressCallback, export_outputs
from fabnet.pipelines.inputs import (
    ScenarioInput,
    StoredPlan,
    load_stored_plan,
    validate_scenario_text,
)
from fabnet.pipelines.options import PlanOptions, RiskOptions
from fabnet.pipelines.plan import PlanOutcome, compare, run_plan
from fabnet.pipelines.risk import RiskOutcome, run_risk

__all__ = [
    "OnStart",
    "PlanOptions",
    "PlanOutcome",
    "ProgressCallback",
    "RiskOptions",
    "RiskOutcome",
    "ScenarioInput",
    "StoredPlan",
    "compare",
    "export_outputs",
    "load_stored_plan",
    "run_plan",
    "run_risk",
    "validate_scenario_text",
]
