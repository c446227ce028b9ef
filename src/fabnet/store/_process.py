"""Is the process that started a run still alive? (pid + host + process start time.)

A run killed with ``kill -9`` cannot mark itself failed, so every run row records the pid, the
host name and the process's start time (Linux: field 22 of ``/proc/<pid>/stat``, clock ticks
since boot). A ``running`` row is orphaned when, on the same host, that pid no longer exists, is
a zombie, or now belongs to a process with a different start time (the pid was reused).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

__all__ = ["ProcessId", "current_process", "is_alive", "process_start_token"]


@dataclass(frozen=True)
class ProcessId:
    """Who runs a run: pid, host name and start-time token ("" where the OS does not tell)."""

    pid: int
    host: str
    start_token: str


def _read_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    return text[text.rfind(")") + 2 :].split()


def process_start_token(pid: int) -> str:
    """The process start time in clock ticks since boot as text ("" where /proc is missing)."""
    fields = _read_stat(pid)
    if fields is None or len(fields) < 20:
        return ""
    return fields[19]  # field 22 of proc(5); fields[0] is field 3 (state)


def current_process() -> ProcessId:
    """The identity of this process."""
    pid = os.getpid()
    return ProcessId(pid=pid, host=socket.gethostname(), start_token=process_start_token(pid))


def is_alive(pid: int, start_token: str) -> bool:
    """True if ``pid`` is alive on this host and (when known) has the recorded start time."""
    if pid <= 0:
        return False
    fields = _read_stat(pid)
    if fields is not None:
        if fields[0] in ("Z", "X"):  # zombie or dead: it will never finish the run
            return False
        return not start_token or len(fields) < 20 or fields[19] == start_token
    if os.path.isdir("/proc/self"):
        return False  # /proc works here, and the pid has no entry: gone
    try:  # no /proc (macOS, BSD): signal 0 only tests existence
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
