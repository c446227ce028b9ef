"""The run store: every run's metadata in SQLite (WAL), its tables and artefacts in a folder.

Layout under the home folder (``RunStore(home)`` → ``home``, else ``$FABNET_HOME``, else
``./.fabnet``)::

    runs.sqlite              one row per run (+ the -wal/-shm files of SQLite's write-ahead log)
    runs/.running-<id>/      the folder of a run while it runs (the row says where)
    runs/<id>/               … renamed to its final name when the run ends (done or failed)
        deliveries.parquet   tables (``Run.save_table``), JSON (``save_json``), text files
        summary.json         the key figures as given to ``Run.set_summary``

Crash safety: files are written atomically (temporary file, fsync, ``os.replace``) and only then
registered in the database; each state change is one transaction. A run whose process died
without finishing (``kill -9``, power cut) is marked ``failed`` ("process ended without
finishing") the next time the store is opened or listed: the row records pid, host and the
process start time, and a run on this host whose process is gone (or whose pid now belongs to a
different process) cannot finish any more. Runs recorded on another host are left alone unless
``stale_after`` seconds have passed since their last heartbeat.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from fabnet.errors import DamagedRunError, StoreError, UsageError
from fabnet.store import _atomic
from fabnet.store._db import connect, init_schema, transaction
from fabnet.store._ids import new_run_id
from fabnet.store._process import current_process, is_alive
from fabnet.store.export import EXPORT_FORMATS, export_tables
from fabnet.store.records import RunRecord, from_iso, json_text, utc_now_iso
from fabnet.store.run import Run

__all__ = ["DB_NAME", "HOME_ENV", "ORPHAN_MESSAGE", "RunStore", "default_home"]

HOME_ENV = "FABNET_HOME"
DB_NAME = "runs.sqlite"
ORPHAN_MESSAGE = "process ended without finishing"
_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_RECENT = re.compile(r"^(latest|last)(?:~(\d+))?$")  # latest, latest~1 (the one before) …
_ID_PREFIX = re.compile(r"^[0-9a-f-]{1,22}$")
_LIST_COLUMNS = ("id", "kind", "scenario", "status", "started", "ended", "seed", "progress")


def default_home() -> Path:
    """``$FABNET_HOME`` if set, else ``./.fabnet`` in the working directory."""
    env = os.environ.get(HOME_ENV, "").strip()
    return Path(env).expanduser() if env else Path.cwd() / ".fabnet"


class RunStore:
    """Every ``plan``, ``risk`` and ``fab simulate`` run, kept with its inputs and outputs.

    Example::

        store = RunStore()                       # $FABNET_HOME or ./.fabnet
        with store.start_run(kind="plan", scenario_name="ai-fab-network-2024",
                             scenario_text=text, options={"policy": "priority"}, seed=7) as run:
            run.progress(0.4, "solving")
            run.save_table("deliveries", deliveries)
            run.set_summary({"npv": 1.2e9, "capex_total": 8.4e9})
        store.list_runs()                        # newest first, key figures as columns
        store.compare(run_a, run_b)              # key figures side by side

    Args:
        home: the data folder; created if missing. ``None`` → ``$FABNET_HOME`` → ``./.fabnet``.
        stale_after: seconds without a heartbeat after which a ``running`` run recorded on
            *another host* is marked failed (``None``: never; runs on this host are checked by pid).

    Raises:
        StoreError: the home cannot be created or written, or its database cannot be opened.
    """

    def __init__(self, home: Path | str | None = None, *, stale_after: float | None = None):
        self.home = (Path(home).expanduser() if home is not None else default_home()).absolute()
        self.stale_after = stale_after
        self.runs_dir = self.home / "runs"
        self.db_path = self.home / DB_NAME
        self._local = threading.local()
        self._all_lock = threading.Lock()
        self._all_connections: list[sqlite3.Connection] = []
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot use {self.home} as the run store: {exc.strerror or exc}; "
                f"pass --home or set {HOME_ENV} to a writable folder"
            ) from exc
        if not os.access(self.home, os.W_OK | os.X_OK) or not os.access(self.runs_dir, os.W_OK):
            raise StoreError(
                f"the run store {self.home} is not writable; "
                f"pass --home or set {HOME_ENV} to a writable folder"
            )
        init_schema(self.db_path)
        self.recover_orphans()

    def __repr__(self) -> str:
        return f"RunStore({str(self.home)!r})"

    # -- plumbing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """This thread's connection, with ``synchronous`` set for the next transaction.

        Connections are kept open per thread (and per process, after a fork): closing the last
        connection of a WAL database checkpoints it, which costs several fsyncs every time.
        """
        conn = self._thread_connection()
        try:
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"run database {self.db_path}: {exc}") from exc

    def _thread_connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid() or local.conn is None:
            local.conn = connect(self.db_path)
            local.pid = os.getpid()
            with self._all_lock:
                self._all_connections.append(local.conn)
        return local.conn

    def close(self) -> None:
        """Close the store's database connections (they are reopened on the next use)."""
        with self._all_lock:
            connections, self._all_connections = self._all_connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _relative(self, folder: Path) -> str:
        try:
            return folder.relative_to(self.home).as_posix()
        except ValueError:
            return str(folder)

    def _resolve_folder(self, run_id: str, folder_text: str) -> Path:
        folder = self.home / folder_text
        final = self.runs_dir / run_id
        if not folder.exists() and final.exists():  # renamed just before a crash
            return final
        return folder

    def _finalise_folder(self, run_id: str, current: Path) -> Path:
        """Rename a run's temporary folder to ``runs/<id>``; keep the old name if that fails."""
        final = self.runs_dir / run_id
        if current == final:
            return final
        try:
            os.rename(current, final)
        except OSError:
            return final if final.exists() and not current.exists() else current
        _atomic.fsync_dir(self.runs_dir)
        return final

    # -- writing --------------------------------------------------------------------------------
    def start_run(
        self,
        kind: str,
        scenario_name: str = "",
        scenario_text: str = "",
        options: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> Run:
        """Insert a ``running`` row and make the run's folder; returns its :class:`Run` handle.

        ``kind`` names the command (``plan``, ``risk``, ``fab`` …: lowercase letters, digits,
        ``_``/``-``). ``options`` must be JSON-ready (numbers, text, lists, dicts).
        """
        if not isinstance(kind, str) or not _KIND.match(kind):
            raise UsageError(
                f"invalid run kind {kind!r}: use a short lowercase word "
                "such as 'plan', 'risk', 'fab'"
            )
        if seed is not None and not isinstance(seed, int):
            raise UsageError(f"seed must be an integer or None (got {seed!r})")
        from fabnet import __version__

        options_json = json_text(dict(options or {}), indent=None)
        me = current_process()
        for _attempt in range(20):
            run_id = new_run_id()
            folder = self.runs_dir / f".running-{run_id}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise StoreError(f"cannot create the run folder {folder}: {exc}") from exc
            now = utc_now_iso()
            try:
                with self._connect() as conn, transaction(conn):
                    conn.execute(
                        "INSERT INTO runs (id, kind, scenario_name, scenario_text, options_json, "
                        "seed, fabnet_version, started, status, folder, pid, host, process_start, "
                        "heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                        (
                            run_id,
                            kind,
                            str(scenario_name),
                            str(scenario_text),
                            options_json,
                            seed,
                            __version__,
                            now,
                            self._relative(folder),
                            me.pid,
                            me.host,
                            me.start_token,
                            now,
                        ),
                    )
            except StoreError as exc:
                with contextlib.suppress(OSError):
                    folder.rmdir()
                if isinstance(exc.__cause__, sqlite3.IntegrityError):
                    continue  # the same id drawn twice in one second: draw again
                raise
            except BaseException:
                with contextlib.suppress(OSError):
                    folder.rmdir()
                raise
            return Run(self, run_id, kind, folder)
        raise StoreError("could not draw a unique run id after 20 attempts")

    def recover_orphans(self) -> list[str]:
        """Mark ``running`` runs whose process is gone as ``failed``; returns their ids."""
        me = current_process()
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, pid, host, process_start, heartbeat, folder FROM runs "
                "WHERE status = 'running'"
            ).fetchall()
        now = datetime.now(UTC)
        recovered: list[str] = []
        for row in rows:
            pid, host, token = row["pid"] or 0, row["host"] or "", row["process_start"] or ""
            heartbeat = from_iso(row["heartbeat"])
            if host == me.host:
                if (pid == me.pid and token == me.start_token) or is_alive(pid, token):
                    continue
            elif (
                self.stale_after is None
                or heartbeat is None
                or (now - heartbeat).total_seconds() < self.stale_after
            ):
                continue
            seen = heartbeat.isoformat(timespec="seconds") if heartbeat else "unknown"
            message = f"{ORPHAN_MESSAGE} (pid {pid} on {host}; last sign of life {seen})"
            with self._connect() as conn, transaction(conn):
                changed = conn.execute(
                    "UPDATE runs SET status = 'failed', error = ?, ended = ? "
                    "WHERE id = ? AND status = 'running'",
                    (message, row["heartbeat"] or utc_now_iso(), row["id"]),
                ).rowcount
            if not changed:
                continue  # another process recovered it first
            recovered.append(row["id"])
            current = self._resolve_folder(row["id"], row["folder"])
            _atomic.remove_temp_files(current)
            final = self._finalise_folder(row["id"], current)
            if final != current:
                with self._connect() as conn, transaction(conn):
                    conn.execute(
                        "UPDATE runs SET folder = ? WHERE id = ?",
                        (self._relative(final), row["id"]),
                    )
        return recovered

    # -- reading --------------------------------------------------------------------------------
    def _resolve_id(self, run_id: str) -> str:
        text = str(run_id).strip().lower()
        with self._connect() as conn:
            recent = _RECENT.match(text)
            if recent:
                back = int(recent.group(2) or 0)
                row = conn.execute(
                    "SELECT id FROM runs ORDER BY started DESC, id DESC LIMIT 1 OFFSET ?", (back,)
                ).fetchone()
                if row is None:
                    raise StoreError(
                        f"there is no run {run_id!r} in {self.home}: "
                        + ("it has no runs yet" if back == 0 else f"fewer than {back + 1} runs")
                    )
                return str(row["id"])
            matches = []
            if _ID_PREFIX.match(text):
                matches = [
                    r["id"]
                    for r in conn.execute(
                        "SELECT id FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 6",
                        (len(text), text),
                    )
                ]
        if not matches:
            raise StoreError(
                f"no run with id {run_id!r} in {self.home}; "
                "`fabnet runs list` shows the runs kept there"
            )
        if len(matches) > 1 and text not in matches:
            shown = ", ".join(matches[:5]) + (", …" if len(matches) > 5 else "")
            raise StoreError(
                f"run id prefix {run_id!r} is ambiguous: it matches {shown}; give more characters"
            )
        return text if text in matches else str(matches[0])

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, a unique prefix of it (as in git), ``latest`` or ``latest~N``
        (the N-th run before the latest)."""
        full = self._resolve_id(run_id)
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (full,)).fetchone()
        if row is None:  # deleted between the two reads
            raise StoreError(f"run {full} was deleted from {self.home}")
        return RunRecord.from_row(row, self._resolve_folder(full, row["folder"]))

    def list_runs(
        self, kind: str | None = None, limit: int | None = 50, status: str | None = None
    ) -> pd.DataFrame:
        """Runs newest first: id, kind, scenario, status, started, ended, seed, progress, then the
        key figures (one column each, NaN where a run lacks it). Orphaned runs are marked failed
        first."""
        self.recover_orphans()
        where, params = [], []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if status:
            where.append("status = ?")
            params.append(status)
        sql = (
            "SELECT id, kind, scenario_name, status, started, ended, seed, progress, summary_json "
            "FROM runs"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY started DESC, id DESC"
        )
        if limit is not None:
            if limit < 1:
                raise UsageError(f"limit must be at least 1 (got {limit})")
            sql += f" LIMIT {int(limit)}"
        with self._connect() as conn:
            rows = conn.execute(sql, params).fetchall()
        records: list[dict[str, Any]] = []
        for row in rows:
            figures = json.loads(row["summary_json"] or "{}")
            entry: dict[str, Any] = {
                "id": row["id"],
                "kind": row["kind"],
                "scenario": row["scenario_name"],
                "status": row["status"],
                "started": row["started"],
                "ended": row["ended"],
                "seed": row["seed"],
                "progress": row["progress"],
            }
            for key, value in figures.items():
                name = key if key not in _LIST_COLUMNS else f"summary.{key}"
                entry[name] = float("nan") if value is None else float(value)
            records.append(entry)
        frame = pd.DataFrame.from_records(records, columns=None if records else list(_LIST_COLUMNS))
        frame["started"] = pd.to_datetime(frame["started"], utc=True, format="ISO8601")
        frame["ended"] = pd.to_datetime(frame["ended"], utc=True, format="ISO8601")
        frame["seed"] = frame["seed"].astype("Int64")
        frame["progress"] = frame["progress"].astype(float)
        return frame

    def _artefact_rows(self, run_id: str) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(
                "SELECT name, kind, file, bytes, written FROM artefacts WHERE run_id = ? "
                "ORDER BY name",
                (run_id,),
            ).fetchall()

    def artefacts(self, run_id: str) -> list[str]:
        """File names of everything the run saved (tables, JSON, reports …)."""
        return [r["file"] for r in self._artefact_rows(self.get(run_id).id)]

    def tables(self, run_id: str) -> list[str]:
        """Names of the run's tables (load one with :meth:`load_table`)."""
        rows = self._artefact_rows(self.get(run_id).id)
        return [r["file"].removesuffix(".parquet") for r in rows if r["kind"] == "table"]

    def path(self, run_id: str, artefact: str) -> Path:
        """The file of one artefact: a file name (``report.html``) or a table/JSON name."""
        record = self.get(run_id)
        files = [r["file"] for r in self._artefact_rows(record.id)]
        for candidate in (artefact, f"{artefact}.parquet", f"{artefact}.json"):
            if candidate in files:
                return record.folder / candidate
        raise StoreError(
            f"run {record.id} has no artefact {artefact!r}; it has: "
            + (", ".join(files) if files else "(none)")
        )

    def load_table(self, run_id: str, name: str) -> pd.DataFrame:
        """A table saved with ``Run.save_table``."""
        record = self.get(run_id)
        table = name.removesuffix(".parquet")
        names = self.tables(record.id)
        if table not in names:
            raise StoreError(
                f"run {record.id} has no table {name!r}; its tables: "
                + (", ".join(names) if names else "(none)")
            )
        file = record.folder / f"{table}.parquet"
        damaged = f"table {table!r} of run {record.id} is damaged and cannot be read"
        if not file.is_file():  # a directory would read as an empty "dataset"
            raise DamagedRunError(damaged, f"{file} is not a file")
        try:
            return pd.read_parquet(file)
        except (OSError, ValueError) as exc:
            raise DamagedRunError(damaged, f"{file}: {exc}") from exc

    def load_json(self, run_id: str, name: str) -> Any:
        """A JSON artefact saved with ``Run.save_json`` (or ``summary`` from ``set_summary``)."""
        file = self.path(run_id, name if name.endswith(".json") else f"{name}.json")
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {file}: {exc}") from exc

    def compare(self, a: str, b: str) -> pd.DataFrame:
        """Key figures of runs ``a`` and ``b`` side by side: metric, a, b, difference (b − a) and
        ratio (b / a; NaN where a is 0 or missing). The full ids are in ``frame.attrs``."""
        ra, rb = self.get(a), self.get(b)
        metrics = list(dict.fromkeys([*ra.summary, *rb.summary]))
        va = pd.Series([ra.summary.get(m, float("nan")) for m in metrics], dtype=float)
        vb = pd.Series([rb.summary.get(m, float("nan")) for m in metrics], dtype=float)
        ratio = vb / va.where(va != 0)
        frame = pd.DataFrame(
            {
                "metric": pd.Series(metrics, dtype=object),
                "a": va,
                "b": vb,
                "difference": vb - va,
                "ratio": ratio,
            }
        )
        frame.attrs.update({"a": ra.id, "b": rb.id})
        return frame

    def export(
        self,
        run_id: str,
        dest_dir: Path | str,
        formats: str | Iterable[str] = EXPORT_FORMATS,
    ) -> list[Path]:
        """Write the run's tables (and its key figures as ``key_figures``) to ``dest_dir`` as CSV,
        Parquet and/or one Excel workbook ``<id>.xlsx``; returns the files written."""
        record = self.get(run_id)
        tables = {name: self.load_table(record.id, name) for name in self.tables(record.id)}
        if record.summary and "key_figures" not in tables:
            tables["key_figures"] = pd.DataFrame(
                {"metric": list(record.summary), "value": list(record.summary.values())}
            )
        if not tables:
            raise StoreError(f"run {record.id} has no tables or key figures to export")
        return export_tables(tables, dest_dir, formats, workbook=f"{record.id}.xlsx")

    def delete(self, run_id: str, force: bool = False) -> str:
        """Delete a run's row and folder; returns its id. A live running run needs ``force``."""
        record = self.get(run_id)
        if record.status == "running" and not force:
            raise StoreError(
                f"run {record.id} is still running (pid {record.pid} on {record.host}); "
                "wait for it to end, or force the deletion"
            )
        with self._connect() as conn, transaction(conn):
            conn.execute("DELETE FROM artefacts WHERE run_id = ?", (record.id,))
            conn.execute("DELETE FROM runs WHERE id = ?", (record.id,))
        for folder in {
            record.folder,
            self.runs_dir / record.id,
            self.runs_dir / f".running-{record.id}",
        }:
            if folder.is_dir() and folder.parent == self.runs_dir:
                shutil.rmtree(folder, ignore_errors=True)
        return record.id
