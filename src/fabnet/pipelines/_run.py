"""Pieces every pipeline shares: the run in the store with its progress, and the copy of a
run's outputs to a folder of the user's (``--out``)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from fabnet._json import to_jsonable
from fabnet.store import Run, RunStore, export_tables

__all__ = ["OnStart", "ProgressCallback", "export_outputs", "scaled", "started_run"]

#: ``progress(fraction, message)``: fraction 0–1 of the whole job, never going back.
ProgressCallback = Callable[[float, str], None]

#: Called with the run id as soon as the run exists in the store.
OnStart = Callable[[str], None]


@contextlib.contextmanager
def started_run(
    store: RunStore,
    kind: str,
    name: str,
    scenario_text: str,
    options: Mapping[str, Any],
    seed: int | None,
    progress: ProgressCallback | None,
    on_start: OnStart | None,
) -> Iterator[tuple[Run, ProgressCallback]]:
    """A run in ``store`` and a progress callback that updates both the run and ``progress``.

    Leaving the block normally marks the run ``done``; an exception marks it ``failed`` (the
    store's ``with`` block) and goes on.
    """
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


def scaled(report: ProgressCallback, start: float, span: float) -> ProgressCallback:
    """``report`` for one stage of a job: the stage's own fraction 0–1 becomes
    ``start + span * fraction``."""

    def stage(fraction: float, message: str) -> None:
        report(start + span * fraction, message)

    return stage


def export_outputs(
    target: Path, summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame], report_html: str
) -> None:
    """A run's tables (CSV and Parquet), ``summary.json`` and ``report.html`` in ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    export_tables(dict(tables), target, formats=("csv", "parquet"))
    (target / "summary.json").write_text(
        json.dumps(to_jsonable(dict(summary)), indent=2), encoding="utf-8"
    )
    (target / "report.html").write_text(report_html, encoding="utf-8")
