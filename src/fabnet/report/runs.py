"""A report that puts stored runs side by side (their settings and key figures)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from fabnet.errors import UsageError
from fabnet.report._format import format_number, format_percent
from fabnet.report.builder import Section, build_report
from fabnet.store.records import RunRecord

__all__ = ["runs_compare_report", "runs_figures_table"]


def runs_figures_table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """Key figures as rows, one column per run (short id); with two runs also the difference
    (second − first) and the ratio (second ÷ first, as a percentage)."""
    metrics = list(dict.fromkeys(m for r in records for m in r.summary))
    frame = pd.DataFrame({"Metric": metrics})
    for record in records:
        frame[record.id] = [record.summary.get(m, float("nan")) for m in metrics]
    if len(records) == 2:
        a, b = frame[records[0].id], frame[records[1].id]
        frame["Difference"] = b - a
        frame["Ratio (%)"] = [format_percent(r) for r in b / a.where(a != 0)]
    return frame


def runs_compare_report(records: Sequence[RunRecord], title: str = "Runs compared") -> str:
    """A self-contained HTML page comparing the given runs (at least one)."""
    if not records:
        raise UsageError("runs_compare_report needs at least one run")
    runs = pd.DataFrame(
        {
            "Run": [r.id for r in records],
            "Kind": [r.kind for r in records],
            "Scenario": [r.scenario_name for r in records],
            "Status": [r.status for r in records],
            "Started (UTC)": [r.started.strftime("%Y-%m-%d %H:%M:%S") for r in records],
            "Duration (s)": [format_number(r.duration_seconds) for r in records],
            "Seed": [("–" if r.seed is None else str(r.seed)) for r in records],
        }
    )
    options = sorted({k for r in records for k in r.options})
    option_table = pd.DataFrame(
        {
            "Option": options,
            **{r.id: [str(r.options.get(k, "–")) for k in options] for r in records},
        }
    )
    sections = [
        Section("Runs", tables=[("Runs compared", runs)]),
        Section("Side by side", tables=[("Key figures side by side", runs_figures_table(records))]),
    ]
    if options:
        sections.append(Section("Options", tables=[("Options of each run", option_table)]))
    failed = [r for r in records if r.status == "failed"]
    if failed:
        sections.append(Section("Failures", text="\n\n".join(f"{r.id}: {r.error}" for r in failed)))
    cards = {"Runs": str(len(records)), "Done": str(sum(r.status == "done" for r in records))}
    return build_report(title, cards, sections, subtitle=", ".join(r.id for r in records))
