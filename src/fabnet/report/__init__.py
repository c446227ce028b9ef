"""Self-contained HTML reports and table exports (``fabnet.report``).

- :func:`build_report` renders key-figure cards and :class:`Section` objects (text, plotly
  figures, captioned tables) into one HTML page that works offline (plotly.js inlined once).
- :func:`plan_report` is the network planner's report (charts of capacity, supply vs demand,
  shortages, cash and a Gantt of buy/build decisions).
- :func:`runs_compare_report` puts the key figures of several stored runs side by side.
- :func:`export_tables` writes tables as CSV, Parquet and one Excel workbook.

The fab simulator's report lives in ``fabnet.report.fab`` (imported on demand, not here).
"""

from __future__ import annotations

from fabnet.report._format import (
    Column,
    format_money,
    format_number,
    format_percent,
    label_columns,
)
from fabnet.report.builder import MAX_TABLE_ROWS, Section, build_report, plotly_js
from fabnet.report.plan import PLAN_TABLES, plan_report, plan_summary_cards
from fabnet.report.plan_charts import CHART_TITLES
from fabnet.report.runs import runs_compare_report
from fabnet.store.export import EXPORT_FORMATS, export_tables

__all__ = [
    "CHART_TITLES",
    "EXPORT_FORMATS",
    "MAX_TABLE_ROWS",
    "PLAN_TABLES",
    "Column",
    "Section",
    "build_report",
    "export_tables",
    "format_money",
    "format_number",
    "format_percent",
    "label_columns",
    "plan_report",
    "plan_summary_cards",
    "plotly_js",
    "runs_compare_report",
]
