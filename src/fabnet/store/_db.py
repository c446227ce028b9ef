"""The store's SQLite database: schema, connections and one-transaction-per-change helpers.

WAL journal (readers never block the writer, a crash never corrupts), ``synchronous=FULL``
for the run's start and end (a committed change survives a power cut; progress and
artefact registrations use ``NORMAL``, which in WAL mode is just as safe against crashes and is
made durable by the next ``FULL`` commit), ``busy_timeout`` so that two processes writing at
once wait for each other instead of failing, and ``BEGIN IMMEDIATE`` so a transaction takes the
write lock up front (no deadlock between two readers upgrading to writers).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from fabnet.errors import StoreError

__all__ = ["BUSY_TIMEOUT_MS", "SCHEMA_VERSION", "connect", "init_schema", "transaction"]

BUSY_TIMEOUT_MS = 60_000
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    scenario_name    TEXT NOT NULL DEFAULT '',
    scenario_text    TEXT NOT NULL DEFAULT '',
    options_json     TEXT NOT NULL DEFAULT '{}',
    seed             INTEGER,
    fabnet_version   TEXT NOT NULL DEFAULT '',
    started          TEXT NOT NULL,
    ended            TEXT,
    status           TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    error            TEXT,
    summary_json     TEXT NOT NULL DEFAULT '{}',
    progress         REAL NOT NULL DEFAULT 0,
    progress_message TEXT NOT NULL DEFAULT '',
    folder           TEXT NOT NULL,
    pid              INTEGER,
    host             TEXT,
    process_start    TEXT,
    heartbeat        TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
CREATE TABLE IF NOT EXISTS artefacts (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    file     TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    written  TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
"""


def connect(db_path: Path, durable: bool = True) -> sqlite3.Connection:
    """Open the database with the store's pragmas (autocommit mode; use :func:`transaction`).

    ``durable=False`` skips the fsync at commit (``synchronous = NORMAL``): a crash of the
    process or of the machine never corrupts the database, but a power cut may forget the last
    such commits. Used for progress and heartbeats, where that is harmless.
    """
    try:
        conn = sqlite3.connect(
            db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the run database {db_path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(
            f"cannot open the run database {db_path}: {exc}; "
            "move the file away or use another --home"
        ) from exc
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception (KeyboardInterrupt too)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def init_schema(db_path: Path) -> None:
    """Create the database (WAL mode) and its tables if missing; safe from many processes."""
    conn = connect(db_path)
    try:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:  # switching to WAL needs a moment alone with the file; retry while busy
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        if str(mode).lower() != "wal":
            raise StoreError(
                f"the run database {db_path} cannot use write-ahead logging (journal mode {mode}); "
                "put FABNET_HOME on a local file system"
            )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the run database {db_path} was written by a newer fabnet (schema {version}, "
                f"this fabnet reads up to {SCHEMA_VERSION}); upgrade fabnet or use another home"
            )
        if version < SCHEMA_VERSION:
            with transaction(conn):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot prepare the run database {db_path}: {exc}") from exc
    finally:
        conn.close()
