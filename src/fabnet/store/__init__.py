"""Every run kept: inputs, outputs and metadata, written atomically (``fabnet.store``).

The planner, risk and fab commands and the web service use one API::

    from fabnet.store import RunStore

    store = RunStore(home)                   # home, else $FABNET_HOME, else ./.fabnet
    with store.start_run(kind="plan", scenario_name=name, scenario_text=text,
                         options=options, seed=7) as run:    # row inserted as 'running'
        run.progress(0.4, "solving")                         # persisted at most once a second
        run.save_table("deliveries", df)                     # Parquet, atomic
        run.save_json("decisions", [...])                    # JSON, atomic
        run.save_text("report.html", html)                   # any artefact, atomic
        run.set_summary({"npv": ..., "capex_total": ...})    # key figures for list/compare
    # normal exit → 'done'; any exception (Ctrl-C too) → 'failed' with its message, re-raised

    store.list_runs(kind=None, limit=50)     # DataFrame, newest first, key figures as columns
    store.get("20240105-1422")               # RunRecord; a unique id prefix (or 'latest') works
    store.tables(run_id); store.load_table(run_id, "deliveries"); store.path(run_id, "report.html")
    store.compare(a, b)                      # metric, a, b, difference, ratio
    store.export(run_id, "out/", formats=("csv", "parquet", "xlsx"))
    store.delete(run_id)

Metadata lives in SQLite (WAL, one transaction per state change, ``busy_timeout`` for concurrent
processes); tables are Parquet files in the run's folder. A run killed with ``kill -9`` is marked
``failed`` ("process ended without finishing") the next time the store is opened or listed.
Errors (unknown id, ambiguous prefix, unwritable home) raise :class:`fabnet.errors.StoreError`.
"""

from __future__ import annotations

from fabnet.store._atomic import atomic_write, atomic_write_bytes, atomic_write_text
from fabnet.store._ids import new_run_id
from fabnet.store.export import EXPORT_FORMATS, excel_sheet_names, export_tables, parse_formats
from fabnet.store.records import RUN_STATUSES, RunRecord, RunStatus, flatten_figures
from fabnet.store.run import Run
from fabnet.store.store import HOME_ENV, ORPHAN_MESSAGE, RunStore, default_home

__all__ = [
    "EXPORT_FORMATS",
    "HOME_ENV",
    "ORPHAN_MESSAGE",
    "RUN_STATUSES",
    "Run",
    "RunRecord",
    "RunStatus",
    "RunStore",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_home",
    "excel_sheet_names",
    "export_tables",
    "flatten_figures",
    "new_run_id",
    "parse_formats",
]
