"""Run one piece of work in a forked child process while this process does something else.

``fabnet fab simulate`` spends about as long loading NumPy, pandas and PyArrow (for the KPI
tables and the run store) as simulating 30 days of SMT2020; neither needs the other until the
run ends. :func:`start` forks before those imports: the child runs the simulation (the compiled
kernel needs only NumPy) and sends its picklable result back through a pipe; the parent imports
the table libraries and opens the run store meanwhile, then :meth:`Pending.result` waits. On a
machine with a free second core the two overlap (``benchmarks/RESULTS.md``, fab section).

The child is a fork of this process, so it computes exactly what the parent would (same
objects, same seeds, same records); an exception in the child is raised again by
:meth:`Pending.result`. Where forking is not safe or not available (not Linux, other threads
running, ``FABNET_NO_FORK=1``) the work runs in this process when the result is asked for.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Pending", "can_fork", "start"]


def can_fork() -> bool:
    """Forking is used on Linux, with no other thread running, unless ``FABNET_NO_FORK`` is
    set (macOS system libraries are not fork-safe; a fork copies only the calling thread)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and os.environ.get("FABNET_NO_FORK", "") in ("", "0")
    )


class Pending:
    """The result of :func:`start`'s work, computed in a child process (or here, lazily)."""

    def __init__(self, work: Callable[[], Any], pid: int = 0, fd: int = -1) -> None:
        self._work, self._pid, self._fd = work, pid, fd
        self._done = False

    @property
    def forked(self) -> bool:
        """True when the work runs in a child process."""
        return self._pid > 0

    def result(self) -> Any:
        """Wait for the work and return its value (or raise its exception)."""
        if self._done:
            raise RuntimeError("the result was already taken")
        self._done = True
        if not self.forked:
            return self._work()
        try:
            with os.fdopen(self._fd, "rb") as pipe:
                data = pipe.read()
        except BaseException:  # Ctrl-C while waiting: the child must not wait on a full pipe
            self._stop()
            raise
        _, status = os.waitpid(self._pid, 0)
        if not data:
            raise RuntimeError(f"the simulation process ended without a result (status {status})")
        ok, value = pickle.loads(data)
        if ok:
            return value
        raise value

    def cancel(self) -> None:
        """Stop the child if its result was not taken (an error elsewhere ended the command)."""
        if self._done or not self.forked:
            return
        self._done = True
        os.close(self._fd)
        self._stop()

    def _stop(self) -> None:
        try:
            os.kill(self._pid, signal.SIGTERM)
            os.waitpid(self._pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _child(work: Callable[[], Any], fd: int) -> None:
    """In the child: run, send ``(ok, value)`` pickled, and leave without running the
    parent's exit handlers or flushing its buffers (``os._exit``)."""
    code = 0
    try:
        try:
            payload: tuple[bool, Any] = (True, work())
        except BaseException as exc:  # sent to the parent, which raises it
            payload = (False, exc)
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.loads(data)  # an exception class may not unpickle (required arguments)
        except Exception:  # a value that cannot be pickled and read back: its text
            error = payload[1] if not payload[0] else None
            data = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
        sys.stderr.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def start(work: Callable[[], Any]) -> Pending:
    """Start ``work()`` (no arguments, a picklable result) in a forked child when
    :func:`can_fork`, else defer it to :meth:`Pending.result`."""
    if not can_fork():
        return Pending(work)
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process (it exits in _child)
        os.close(read)
        _child(work, write)
    os.close(write)
    return Pending(work, pid, read)
