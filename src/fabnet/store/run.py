"""The handle of a run being written: progress, tables, JSON, text artefacts, key figures.

Use it as a context manager (``with store.start_run(...) as run:``). Leaving the block normally
marks the run ``done``; any exception — ``KeyboardInterrupt`` (Ctrl-C) and ``OSError`` (full disk)
included — marks it ``failed`` with the error's message and is re-raised. Each state change is
one SQLite transaction; each artefact is written atomically and then registered in the database,
so a run interrupted at any point leaves every earlier artefact readable.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pandas as pd

from fabnet.errors import StoreError, UsageError
from fabnet.store import _atomic
from fabnet.store._db import transaction
from fabnet.store.records import RunStatus, flatten_figures, json_text, utc_now_iso

if TYPE_CHECKING:
    from fabnet.store.store import RunStore

__all__ = ["ARTEFACT_NAME", "Run"]

_log = logging.getLogger(__name__)

ARTEFACT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def check_artefact_name(name: str) -> str:
    """An artefact name is a plain file name: letters, digits, ``_ . -`` (no folders, ≤ 100)."""
    if not isinstance(name, str) or not ARTEFACT_NAME.match(name) or ".." in name:
        raise UsageError(
            f"invalid artefact name {name!r}: use letters, digits, '_', '.', '-' "
            "(no folders, at most 100 characters, not starting with '.')"
        )
    return name


class Run:
    """A run in progress. Made by :meth:`RunStore.start_run`; not constructed directly.

    Attributes:
        id: the run id.
        kind: the run kind (``plan``, ``risk``, ``fab`` …).
        status: ``running`` until :meth:`finish` or :meth:`fail` (or leaving the ``with`` block).
    """

    #: Progress is written to the database at most this often (seconds); the last value always is.
    PROGRESS_INTERVAL = 1.0

    def __init__(self, store: RunStore, run_id: str, kind: str, folder: Path):
        self._store = store
        self.id = run_id
        self.kind = kind
        self._folder = folder
        self.status: RunStatus = "running"
        self.fraction = 0.0
        self.message = ""
        self._last_progress_write = -math.inf
        self._lock = threading.Lock()
        self._explicit_files: set[str] = set()

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"

    @property
    def folder(self) -> Path:
        """The run's folder (a temporary name while running, ``runs/<id>`` once finished)."""
        return self._folder

    # -- progress -------------------------------------------------------------------------------
    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress ``fraction`` (0–1) and a message; persisted at most once a second."""
        if not math.isfinite(fraction):
            raise UsageError(f"progress fraction must be a number between 0 and 1 (got {fraction})")
        self.fraction = min(1.0, max(0.0, float(fraction)))
        self.message = str(message)
        now = time.monotonic()
        if now - self._last_progress_write < self.PROGRESS_INTERVAL:
            return
        self._write_progress(now)

    def _write_progress(self, now: float) -> None:
        self._check_running()
        self._last_progress_write = now
        with self._store._connect(durable=False) as conn, transaction(conn):
            conn.execute(
                "UPDATE runs SET progress = ?, progress_message = ?, heartbeat = ? WHERE id = ?",
                (self.fraction, self.message, utc_now_iso(), self.id),
            )

    # -- artefacts ------------------------------------------------------------------------------
    def save_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Save ``frame`` as ``<name>.parquet`` (atomic); load it back with ``store.load_table``."""
        check_artefact_name(name)
        if not isinstance(frame, pd.DataFrame):
            raise UsageError(f"save_table({name!r}) needs a pandas DataFrame, got {type(frame)}")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return self._save(f"{name}.parquet", "table", buffer.getvalue())

    def save_json(self, name: str, obj: Any) -> Path:
        """Save ``obj`` as JSON in ``<name>.json`` (``.json`` added if missing), atomically."""
        file = name if name.endswith(".json") else f"{name}.json"
        check_artefact_name(file)
        path = self._save(file, "json", json_text(obj).encode("utf-8"))
        self._explicit_files.add(file)
        return path

    def save_text(self, name: str, text: str) -> Path:
        """Save a text artefact (``report.html``, ``log.txt`` …) under its file name, atomically."""
        check_artefact_name(name)
        return self._save(name, "file", str(text).encode("utf-8"))

    def save_bytes(self, name: str, data: bytes) -> Path:
        """Save any binary artefact under its file name, atomically."""
        check_artefact_name(name)
        return self._save(name, "file", bytes(data))

    def set_summary(self, figures: Mapping[str, Any]) -> dict[str, float]:
        """Keep the run's key figures: the numbers go to the database (nested dicts flattened with
        ``.``, see :func:`~fabnet.store.records.flatten_figures`) for listing and comparing, and
        the whole dict to ``summary.json`` — unless the run saved its own ``summary.json``
        (``save_json("summary", ...)``), which is never overwritten by this call. Returns the
        flattened figures."""
        self._check_running()
        flat = flatten_figures(figures)
        if "summary.json" not in self._explicit_files:
            self._save("summary.json", "json", json_text(figures).encode("utf-8"))
        stored = {k: (v if math.isfinite(v) else None) for k, v in flat.items()}
        with self._store._connect(durable=False) as conn, transaction(conn):
            conn.execute(
                "UPDATE runs SET summary_json = ?, heartbeat = ? WHERE id = ?",
                (json.dumps(stored, allow_nan=False), utc_now_iso(), self.id),
            )
        return flat

    def _save(self, file: str, kind: str, data: bytes) -> Path:
        self._check_running()
        with self._lock:
            path = _atomic.atomic_write_bytes(self._folder / file, data)
            with self._store._connect(durable=False) as conn, transaction(conn):
                conn.execute(
                    "INSERT OR REPLACE INTO artefacts (run_id, name, kind, file, bytes, written) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (self.id, file, kind, file, len(data), utc_now_iso()),
                )
                conn.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (utc_now_iso(), self.id))
        return path

    # -- end of the run -------------------------------------------------------------------------
    def finish(self) -> None:
        """Mark the run ``done`` (progress 1, end time now) and give its folder its final name."""
        self._check_running()
        self.fraction = 1.0
        self._end("done", None)

    def fail(self, message: str) -> None:
        """Mark the run ``failed`` with ``message``; its artefacts so far are kept."""
        self._check_running()
        self._end("failed", message or "failed")

    def _end(self, status: RunStatus, error: str | None) -> None:
        folder = self._store._finalise_folder(self.id, self._folder)
        with self._store._connect() as conn, transaction(conn):
            conn.execute(
                "UPDATE runs SET status = ?, error = ?, ended = ?, folder = ?, progress = ?, "
                "progress_message = ?, heartbeat = ? WHERE id = ? AND status = 'running'",
                (
                    status,
                    error,
                    utc_now_iso(),
                    self._store._relative(folder),
                    self.fraction,
                    self.message,
                    utc_now_iso(),
                    self.id,
                ),
            )
        self._folder = folder
        self.status = status

    def _check_running(self) -> None:
        if self.status != "running":
            raise StoreError(
                f"run {self.id} is already {self.status}; start a new run to write more"
            )

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.status != "running":
            return
        if exc is None:
            self.finish()
            return
        if isinstance(exc, KeyboardInterrupt):
            message = "interrupted (KeyboardInterrupt)"
        else:
            message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        try:
            self.fail(message)
        except Exception as secondary:  # e.g. the disk is still full: the next open will mark it
            _log.warning("could not mark run %s failed: %s", self.id, secondary)
        with contextlib.suppress(OSError):
            _atomic.remove_temp_files(self._folder)
        # returning None re-raises the original exception
