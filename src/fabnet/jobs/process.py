"""Jobs in a separate process: ``python -m fabnet.jobs``, the job's JSON on standard input.

:func:`launch_job` starts the child so that a long solve does not block a server and a crash or
``kill -9`` of the solver does not take the server down: the child creates the run itself (so
the store knows its pid and marks it failed if it dies), writes ``{"run_id": ...}`` on its
standard output as soon as the run exists, and then works on. The parent only waits for that one
line. :func:`main` is the child's side.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fabnet import errors
from fabnet.errors import FabnetError, Problem, ScenarioError, UsageError
from fabnet.jobs.kinds import JOB_KINDS, run_job

__all__ = ["LAUNCH_TIMEOUT", "LaunchedJob", "launch_job", "main"]

#: Seconds the parent waits for a launched job to report its run id.
LAUNCH_TIMEOUT = 120.0


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
        # imported here: pandas; the web service imports fabnet.jobs at start-up
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
