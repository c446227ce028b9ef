"""Jobs: one run end to end into the run store, in this process or in a separate one.

A job is a pipeline of :mod:`fabnet.pipelines` (the same one ``fabnet plan`` and ``fabnet risk``
run) started from JSON::

    run_id = run_plan_job(text, "my-scenario", "yaml", {"policy": "priority"}, store)

validates the scenario and the options (their JSON types here, their values in
:class:`~fabnet.pipelines.PlanOptions`), solves the plan, saves every table, the key figures
(``summary.json``) and the HTML report (``report.html``) into the store, and returns the run id.
Any error after the run started marks the run ``failed`` (the store's ``with`` block) and is
re-raised.

:func:`launch_job` runs a job in a **separate process** (``python -m fabnet.jobs``, the job's
JSON on standard input) so that a long solve does not block a server and a crash or ``kill -9``
of the solver does not take the server down: the child creates the run itself (so the store
knows its pid and marks it failed if it dies), writes ``{"run_id": ...}`` on its standard output
as soon as the run exists, and then works on. The parent only waits for that one line.

Job kinds are listed in :data:`JOB_KINDS` (``plan``: :func:`run_plan_job`; ``risk``:
:func:`run_risk_job`); a kind is a function with the signature of :func:`run_plan_job`.

Modules: :mod:`.kinds` (the job kinds, options from JSON), :mod:`.process` (the child process
and its launcher); ``python -m fabnet.jobs`` runs :func:`main`.

This is an outer layer: it uses the pipelines (and through them the core, the store and the
report); the core never imports it.
"""

from fabnet.jobs.kinds import (
    JOB_KINDS,
    PLAN_OPTION_KEYS,
    RISK_OPTION_KEYS,
    JobFunction,
    ProgressCallback,
    plan_options,
    risk_options,
    run_job,
    run_plan_job,
    run_risk_job,
    validate_scenario_text,
)
from fabnet.jobs.process import LAUNCH_TIMEOUT, LaunchedJob, launch_job, main

__all__ = [
    "JOB_KINDS",
    "LAUNCH_TIMEOUT",
    "PLAN_OPTION_KEYS",
    "RISK_OPTION_KEYS",
    "JobFunction",
    "LaunchedJob",
    "ProgressCallback",
    "launch_job",
    "main",
    "plan_options",
    "risk_options",
    "run_job",
    "run_plan_job",
    "run_risk_job",
    "validate_scenario_text",
]
