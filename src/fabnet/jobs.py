"""Jobs: one run end to end into the run store, in this process or in a separate one.

The web service and the CLI start work the same way::

    run_id = run_plan_job(text, "my-scenario", "yaml", {"policy": "priority"}, store)

validates the scenario, solves the plan (:func:`fabnet.plan.solve_plan`), saves every table,
the key figures (``summary.json``) and the HTML report (``report.html``) into the store, and
returns the run id. Any error after the run started marks the run ``failed`` (the store's
``with`` block) and is re-raised.

:func:`launch_job` runs a job in a **separate process** (``python -m fabnet.jobs``, the job's
JSON on standard input) so that a long solve does not block a server and a crash or ``kill -9``
of the solver does not take the server down: the child creates the run itself (so the store
knows its pid and marks it failed if it dies), writes ``{"run_id": ...}`` on its standard output
as soon as the run exists, and then works on. The parent only waits for that one line.

Job kinds are listed in :data:`JOB_KINDS` (``plan``: :func:`run_plan_job`; ``risk``:
:func:`run_risk_job`); a kind is a function with the signature of :func:`run_plan_job`.

This is an outer layer: it uses the core (scenario, plan, risk), the store and the report; the
core never imports it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fabnet.errors import FabnetError, ScenarioError, UsageError

if TYPE_CHECKING:
    from fabnet.plan import PlanResult
    from fabnet.scenario import Scenario
    from fabnet.store import Run, RunStore

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

#: Seconds the parent waits for a launched job to report its run id.
LAUNCH_TIMEOUT = 120.0


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

    File references (``demand_table``, a fab's ``operating_curve``) are resolved against the
    working directory, as ``fabnet plan`` does for a file given on the command line; callers that
    take text from the network must refuse them first (the web service does).
    """
    from fabnet.scenario import parse_scenario_text, scenario_from_dict

    data = parse_scenario_text(text, fmt, file)
    return scenario_from_dict(data, file=file, base_dir=Path.cwd())


def plan_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a plan job that :func:`fabnet.plan.solve_plan` takes as keyword arguments.

    Raises:
        UsageError: an option has the wrong type (the planner checks the ranges).
    """
    kwargs: dict[str, Any] = {}
    for key in PLAN_OPTION_KEYS:
        value = options.get(key)
        if value is None:
            continue
        if key in ("objective", "policy", "strategy") and not isinstance(value, str):
            raise UsageError(f"option {key} must be text (got {value!r})")
        if key in ("time_limit", "mip_gap") and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise UsageError(f"option {key} must be a number (got {value!r})")
        if key == "threads" and (isinstance(value, bool) or not isinstance(value, int)):
            raise UsageError(f"option threads must be a whole number (got {value!r})")
        kwargs[key] = value
    return kwargs


@contextlib.contextmanager
def _job_run(
    store: RunStore,
    kind: str,
    name: str,
    scenario_text: str,
    options: Mapping[str, Any],
    seed: int | None,
    progress: ProgressCallback | None,
    on_start: Callable[[str], None] | None,
) -> Iterator[tuple[Run, ProgressCallback]]:
    """A run in ``store`` and a progress callback that updates both the run and ``progress``."""
    with store.start_run(
        kind=kind,
        scenario_name=name,
        scenario_text=scenario_text,
        options=dict(options),
        seed=seed,
    ) as run:
        if on_start is not None:
            on_start(run.id)

        def report(fraction: float, message: str) -> None:
            run.progress(fraction, message)
            if progress is not None:
                progress(fraction, message)

        yield run, report


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

    Saved: every table of the :class:`~fabnet.plan.PlanResult` (Parquet), the key figures
    (``summary.json`` and the run's listed figures), ``report.html`` (:func:`fabnet.report.
    plan_report`). The run's progress goes to the store (and to ``progress`` if given).

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
    scenario = validate_scenario_text(scenario_text, fmt, file=scenario_name or "<text>")
    kwargs = plan_options(options)
    name = scenario_name or scenario.name
    with _job_run(store, "plan", name, scenario_text, options, None, progress, on_start) as (
        run,
        report,
    ):
        report(0.02, "building the model")
        from fabnet.plan import solve_plan

        result = solve_plan(scenario, progress=lambda f, m: report(0.05 + 0.85 * f, m), **kwargs)
        report(0.92, "saving tables and the report")
        record_plan(run, result, name)
        report(1.0, "done")
        return run.id


def record_plan(run: Run, result: PlanResult, scenario_name: str) -> dict[str, Any]:
    """Keep a solved plan in its run: every table, ``summary.json``, key figures, ``report.html``.

    The one place that writes a plan run, shared by ``fabnet plan`` and the web service.
    Returns the summary as kept (JSON-ready, with ``run_id``).
    """
    from fabnet._json import to_jsonable
    from fabnet.report import plan_report

    for table_name, frame in result.tables.items():
        run.save_table(table_name, frame)
    summary = dict(result.summary, run_id=run.id)
    summary.setdefault("status", result.status)
    summary.setdefault("scenario", scenario_name)
    summary = to_jsonable(summary)
    run.save_json("summary", summary)
    run.set_summary(summary)
    run.save_text("report.html", plan_report(summary, result.tables))
    return summary


#: Options of a risk job (besides the plan options of its deterministic solve).
RISK_OPTION_KEYS = ("samples", "seed")


def risk_options(options: Mapping[str, Any]) -> tuple[int, int]:
    """``(samples, seed)`` of a risk job (defaults 1000 and 0); UsageError when not whole numbers.

    The ranges are checked by :func:`fabnet.risk.evaluate_plan` (and the web service's limit).
    """
    values = []
    for key, default in (("samples", 1000), ("seed", 0)):
        value = options.get(key, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"option {key} must be a whole number (got {value!r})")
        values.append(value)
    samples, seed = values
    if samples < 1 or seed < 0:
        raise UsageError(f"samples must be >= 1 and seed >= 0 (got {samples}, {seed})")
    return samples, seed


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

    As ``fabnet risk SCENARIO --samples N --seed S`` (fast vectorised recourse, one local
    worker): tables (fan chart and histogram data, percentiles, shortage by customer), the
    summary (``summary.json``), the key figures (``npv_p50``, ``npv_p5``, ``shortage_p50``,
    ``prob_funding_sufficient`` …) and ``report.html``. Options: ``samples``, ``seed`` and the
    plan options of the deterministic solve (:data:`PLAN_OPTION_KEYS`).

    Raises:
        ScenarioError, UsageError: before the run starts (bad scenario, uncertainty or option).
    """
    scenario = validate_scenario_text(scenario_text, fmt, file=scenario_name or "<text>")
    kwargs = plan_options(options)
    samples, seed = risk_options(options)
    from fabnet.risk import compile_uncertainties

    compile_uncertainties(scenario)  # a bad uncertainty fails before the (long) solve
    name = scenario_name or scenario.name
    with _job_run(store, "risk", name, scenario_text, options, seed, progress, on_start) as (
        run,
        report,
    ):
        report(0.02, "solving the deterministic plan")
        from fabnet._json import to_jsonable
        from fabnet.plan import solve_plan
        from fabnet.report.risk import risk_report
        from fabnet.risk import evaluate_plan, make_executor, model_from_plan

        plan = solve_plan(
            scenario, explain=False, progress=lambda f, m: report(0.02 + 0.38 * f, m), **kwargs
        )
        model = model_from_plan(scenario, plan)
        executor = make_executor("local", 1)
        try:
            result = evaluate_plan(
                model,
                samples,
                seed,
                executor,
                progress=lambda done, total: report(0.4 + 0.5 * done / total, "futures"),
            )
        finally:
            executor.close()
        report(0.92, "saving tables")
        summary = dict(result.summary(), scenario=name, run_id=run.id)
        tables = result.tables()
        for table_name, frame in tables.items():
            run.save_table(table_name, frame)
        run.save_json("summary", to_jsonable(summary))
        run.set_summary(
            {
                "npv_p50": summary["npv"]["p50"],
                "npv_p5": summary["npv"]["p5"],
                "npv_p95": summary["npv"]["p95"],
                "shortage_p50": summary["shortage_total"]["p50"],
                "prob_funding_sufficient": summary["prob_funding_sufficient"],
                "samples": samples,
                "wall_seconds": summary["wall_seconds"],
            }
        )
        report(0.96, "writing the report")
        run.save_text("report.html", risk_report(summary, tables))
        report(1.0, "done")
        return run.id


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
    from fabnet import errors
    from fabnet.errors import Problem

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
        from fabnet.store import RunStore

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
