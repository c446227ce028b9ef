"""Starting jobs for the web service: each in its own process, a few at a time.

:class:`ProcessLauncher` runs :func:`fabnet.jobs.launch_job` (``python -m fabnet.jobs``), keeps
the child processes, reaps them when they end (a thread waits on each), refuses more than
``max_jobs`` at once, and stops the ones still running when the service shuts down (SIGTERM:
the job marks its run failed, "interrupted"). A crash or ``kill -9`` of a job leaves the server
running; the store marks that run failed the next time runs are listed.

Anything with the same ``start``/``running``/``shutdown`` methods can stand in (tests pass a
launcher that records the request instead of solving).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from fabnet.errors import FabnetError

__all__ = ["JobLauncher", "ProcessLauncher", "TooManyJobs"]


class TooManyJobs(FabnetError):
    """As many jobs as allowed are running already (the service answers 429)."""


class JobLauncher(Protocol):
    """What the service needs from a launcher."""

    def start(
        self,
        kind: str,
        scenario_text: str,
        scenario_name: str,
        fmt: str,
        options: Mapping[str, Any],
    ) -> str:
        """Start a job; return its run id once the run exists in the store."""
        ...

    def running(self) -> list[str]:
        """Run ids of the jobs this launcher started that have not ended."""
        ...

    def shutdown(self) -> None:
        """Stop the jobs still running."""
        ...


class ProcessLauncher:
    """Jobs as child processes of the server (see the module docstring)."""

    def __init__(self, home: Path, max_jobs: int = 2, log_dir: Path | None = None):
        self.home = home
        self.max_jobs = max_jobs
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._starting = 0
        self._jobs: dict[str, Any] = {}

    def running(self) -> list[str]:
        with self._lock:
            return [rid for rid, job in self._jobs.items() if job.process.poll() is None]

    def start(
        self,
        kind: str,
        scenario_text: str,
        scenario_name: str,
        fmt: str,
        options: Mapping[str, Any],
    ) -> str:
        from fabnet.jobs import launch_job

        with self._lock:
            busy = self._starting + sum(j.process.poll() is None for j in self._jobs.values())
            if busy >= self.max_jobs:
                raise TooManyJobs(
                    f"{busy} job(s) are running and this service runs at most {self.max_jobs} "
                    "at once; wait for one to finish and try again"
                )
            self._starting += 1
        log_file = None
        if self.log_dir is not None:
            with contextlib.suppress(OSError):
                self.log_dir.mkdir(parents=True, exist_ok=True)
                log_file = self.log_dir / "jobs.log"
        try:
            job = launch_job(
                kind, scenario_text, scenario_name, fmt, options, self.home, log_file=log_file
            )
        finally:
            with self._lock:
                self._starting -= 1
        with self._lock:
            self._jobs[job.run_id] = job
        threading.Thread(target=self._reap, args=(job.run_id,), daemon=True).start()
        return job.run_id

    def _reap(self, run_id: str) -> None:
        job = self._jobs.get(run_id)
        if job is None:
            return
        job.wait()
        with self._lock:
            self._jobs.pop(run_id, None)

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    job.process.send_signal(signal.SIGTERM)
        for job in jobs:
            try:
                job.process.wait(timeout)
            except Exception:
                with contextlib.suppress(ProcessLookupError):
                    job.process.kill()
                job.process.wait()
