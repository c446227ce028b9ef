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

This is an outer layer: it uses the pipelines (and through them the core, the store and the
report); the core never imports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fabnet import errors
from fabnet.errors import FabnetError, Problem, ScenarioError, UsageError

if TYPE_CHECKING:
    from fabnet.pipelines import RiskOptions
    from fabnet.scenario import Scenario
    from fabnet.store import RunStore

__all__ = [
    "JOB_KINDS",
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

ProgressCallback = Callable[[float, str], None]

#: Options of a plan job passed on to :func:`fabnet.plan.solve_plan` (others are only recorded).
PLAN_OPTION_KEYS = ("objective", "policy", "time_limit", "mip_gap", "strategy", "threads")

#: Options of a risk job (besides the plan options of its deterministic solve).
RISK_OPTION_KEYS = ("samples", "seed")

#: Seconds the parent waits for a launched job to report its run id.
LAUNCH_TIMEOUT = 120.0

# The pipelines (fabnet.pipelines) and the store are imported inside the functions that use
# them: the web service imports this module at start-up for JOB_KINDS, and the pipelines pull in
# pandas, linopy, plotly, the planner and the risk engine (import of fabnet.web.service 0.6-0.9 s
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


# -- separate process -------------------------------------------------------------------------


@dataclass
class LaunchedJob:
    """A job running in a child process: its run id and the process (``wait()`` reaps it)."""

    run_id: str
    process: subprocess.Popen[bytes]

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end; returns its exit status."""
        return self.process.wait(timeout)


def launch_job(
    kind: str,
    scenario_text: str,
    scenario_name: str,
    fmt: str,
    options: Mapping[str, Any],
    home: Path | str,
    *,
    timeout: float = LAUNCH_TIMEOUT,
    log_file: Path | None = None,
) -> LaunchedJob:
    """Start a job in a new process (``python -m fabnet.jobs``); return once its run exists.

    The child validates the scenario again, creates the run in the store at ``home`` and reports
    its id; errors before that (an invalid scenario, a bad option) come back here as the same
    exception types (:class:`ScenarioError` with its problems, :class:`UsageError` …). The
    child's standard error goes to ``log_file`` (default: discarded).

    Raises:
        FabnetError: the job could not start (the child's own error, or no answer in ``timeout``).
    """
    if kind not in JOB_KINDS:
        raise UsageError(f"unknown job kind {kind!r}; valid: {', '.join(JOB_KINDS)}")
    payload = json.dumps(
        {
            "kind": kind,
            "scenario_text": scenario_text,
            "scenario_name": scenario_name,
            "fmt": fmt,
            "options": dict(options),
            "home": str(Path(home).absolute()),
        }
    ).encode("utf-8")
    stderr: Any = subprocess.DEVNULL
    log_handle = None
    if log_file is not None:
        log_handle = open(log_file, "ab")  # noqa: SIM115 - handed to the child, closed below
        stderr = log_handle
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "fabnet.jobs"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,  # Ctrl-C in the server's terminal does not hit the job
            close_fds=True,
        )
    finally:
        if log_handle is not None:
            log_handle.close()
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(payload)
        process.stdin.close()
    except BrokenPipeError:
        pass
    answer = _read_first_line(process, timeout)
    process.stdout.close()
    if answer is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()
        raise FabnetError(
            f"the {kind} job did not start within {timeout:.0f} s (exit status "
            f"{process.returncode}); see the server log"
        )
    if "run_id" in answer:
        return LaunchedJob(run_id=str(answer["run_id"]), process=process)
    process.wait()
    raise _error_from_dict(answer)


def _read_first_line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any] | None:
    """The child's first stdout line as JSON, or ``None`` if it ends or times out first."""
    box: list[bytes] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box or not box[0].strip():
        return None
    try:
        value = json.loads(box[0])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _error_to_dict(error: BaseException) -> dict[str, Any]:
    if isinstance(error, ScenarioError):
        return error.to_dict()
    return {"error": type(error).__name__, "message": str(error)}


def _error_from_dict(data: Mapping[str, Any]) -> FabnetError:
    """Rebuild the child's error (same class and message) from its JSON form."""
    name = str(data.get("error", "FabnetError"))
    if name == "ScenarioError":
        problems = [
            Problem(
                str(p.get("path", "")), str(p.get("message", "")), p.get("value"), p.get("file")
            )
            for p in data.get("problems", [])
            if isinstance(p, Mapping)
        ]
        return ScenarioError(problems, file=data.get("file"))
    cls = getattr(errors, name, None)
    message = str(data.get("message", "the job failed"))
    if isinstance(cls, type) and issubclass(cls, FabnetError) and cls is not ScenarioError:
        try:
            return cls(message)
        except TypeError:
            pass
    return FabnetError(f"{name}: {message}")


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    """Entry point of ``python -m fabnet.jobs``: one job from the JSON on standard input.

    Writes exactly one JSON line on standard output: ``{"run_id": ...}`` once the run exists,
    or the error (``ScenarioError.to_dict()`` or ``{"error", "message"}``) if it never started.
    SIGTERM ends the job like Ctrl-C: the run is marked failed ("interrupted").
    Exit status: 0 done, 1 failed after the run started, 2 the job did not start.
    """
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    out = sys.stdout
    started: list[str] = []

    def tell(obj: Mapping[str, Any]) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    def on_start(run_id: str) -> None:
        started.append(run_id)
        tell({"run_id": run_id})
        # nothing more goes to the parent: it closed its end after reading the id
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, out.fileno())
            os.close(devnull)

    try:
        job = json.loads(sys.stdin.read())
        if not isinstance(job, dict):
            raise UsageError("the job must be a JSON object")
        from fabnet.store import RunStore  # imported here: pandas, see the note at the top

        store = RunStore(job["home"])
        run_job(
            str(job["kind"]),
            str(job["scenario_text"]),
            str(job.get("scenario_name") or ""),
            str(job.get("fmt") or "yaml"),
            dict(job.get("options") or {}),
            store,
            on_start=on_start,
        )
    except (FabnetError, ValueError, KeyError, TypeError) as error:
        if not started:
            tell(_error_to_dict(error))
            return 2
        print(f"fabnet job {started[0]} failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if not started:
            tell({"error": "FabnetError", "message": "the job was interrupted before it started"})
            return 2
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
