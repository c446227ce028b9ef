"""Pieces of the pages: plotly charts from the report package, tables as cells, run summaries.

Charts are the report's own (:mod:`fabnet.report.plan_charts`), rendered without plotly.js; the
page loads plotly.js once from the service itself (``/assets/plotly.min.js``), never a CDN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from fabnet.report.builder import figure_html

if TYPE_CHECKING:
    import pandas as pd

    from fabnet.store import RunRecord
    from fabnet.web.service import WebService

__all__ = ["RunView", "TableView", "run_view", "table_view"]

_PLAN_TABLES = ("decisions", "deliveries", "supply", "customer_limits", "capacity", "cash_flow")


@dataclass
class TableView:
    """A table ready for the template: caption, headers and ``(text, is_number)`` cells."""

    caption: str
    headers: list[str]
    rows: list[list[tuple[str, bool]]]
    dom_id: str = ""
    note: str = ""


@dataclass
class RunView:
    """What the run page shows."""

    record: RunRecord
    cards: dict[str, str] = field(default_factory=dict)
    charts: list[tuple[str, Markup]] = field(default_factory=list)
    tables: list[TableView] = field(default_factory=list)
    table_names: list[str] = field(default_factory=list)
    has_report: bool = False
    notes: list[str] = field(default_factory=list)


def table_view(
    caption: str, frame: pd.DataFrame, dom_id: str = "", max_rows: int = 60
) -> TableView:
    """Format a (labelled) table for a page; longer tables are cut with a note."""
    from fabnet.report._format import table_cells

    headers, rows = table_cells(frame.head(max_rows))
    note = (
        f"showing {max_rows} of {len(frame):,} rows; the full table is in the report and the API"
        if len(frame) > max_rows
        else ""
    )
    return TableView(caption, headers, rows, dom_id, note)


def _plan_view(view: RunView, summary: Mapping[str, Any], tables: Mapping[str, Any]) -> None:
    from fabnet.report import PLAN_TABLES, label_columns, plan_summary_cards
    from fabnet.report.plan import DECISION_COLUMNS, LIMIT_COLUMNS
    from fabnet.report.plan_charts import capacity_chart, supply_demand_chart

    decision_columns, limit_columns = DECISION_COLUMNS, LIMIT_COLUMNS

    view.cards = plan_summary_cards(summary, tables)
    deliveries, supply = tables.get("deliveries"), tables.get("supply")
    if deliveries is not None and len(deliveries):
        view.charts.append(
            (
                "Supply and demand",
                figure_html(supply_demand_chart(deliveries, supply), "supply-demand-chart"),
            )
        )
    decisions = tables.get("decisions")
    if decisions is not None and len(decisions):
        ordered = decisions.sort_values(["start", "site"]).reset_index(drop=True)
        columns = [c for c in PLAN_TABLES["decisions"] if c in ordered.columns]
        view.tables.append(
            table_view(
                "Buy and build decisions",
                label_columns(ordered[columns], decision_columns),
                dom_id="decisions-table",
            )
        )
    else:
        view.notes.append("The plan buys and builds nothing.")
    capacity = tables.get("capacity")
    if capacity is not None and len(capacity):
        view.charts.append(("Capacity", figure_html(capacity_chart(capacity), "capacity-chart")))
    limits = tables.get("customer_limits")
    if limits is not None and len(limits):
        view.tables.append(
            table_view(
                "What limited each customer",
                label_columns(limits[list(PLAN_TABLES["customer_limits"])], limit_columns),
                dom_id="customer-limits-table",
            )
        )


def run_view(svc: WebService, run_id: str) -> RunView:
    """Everything the run page shows for one run."""
    record = svc.record(run_id)
    view = RunView(record=record)
    if record.status == "running":
        return view
    view.table_names = svc.run_tables(record.id)
    view.has_report = "report.html" in svc.store.artefacts(record.id)
    if record.kind == "plan" and record.status == "done":
        tables = svc.tables_if_any(record.id, _PLAN_TABLES)
        summary: Mapping[str, Any]
        try:
            summary = svc.store.load_json(record.id, "summary")
        except Exception:  # an old run without summary.json: the listed figures will do
            summary = record.summary
        _plan_view(view, summary if isinstance(summary, Mapping) else {}, tables)
    elif record.summary:
        view.cards = {_label(k): _figure(k, v) for k, v in list(record.summary.items())[:12]}
    return view


def _label(key: str) -> str:
    return key.replace("_", " ").replace(".", " · ").replace("npv", "NPV").replace(" p", " P")


def _figure(key: str, value: float) -> str:
    """A key figure for a card: money for NPV/capex/cost, a percentage for probabilities."""
    from fabnet.report import format_money, format_number, format_percent

    if any(word in key for word in ("npv", "capex", "cost", "usd", "funding_need")):
        return format_money(value)
    if key.startswith("prob") or "fill_rate" in key:
        return format_percent(value)
    return format_number(value)


def compare_figures(records: Sequence[RunRecord]) -> TableView:
    """Key figures of two runs side by side: A, B, difference (B − A) and ratio (B ÷ A)."""
    import pandas as pd

    from fabnet.report import format_percent

    a, b = records[0], records[1]
    metrics = list(dict.fromkeys([*a.summary, *b.summary]))
    va = pd.Series([a.summary.get(m, float("nan")) for m in metrics], dtype=float)
    vb = pd.Series([b.summary.get(m, float("nan")) for m in metrics], dtype=float)
    frame = pd.DataFrame(
        {
            "Metric": metrics,
            "A": va,
            "B": vb,
            "Difference (B − A)": vb - va,
            "Ratio B ÷ A": [format_percent(r) for r in vb / va.where(va != 0)],
        }
    )
    return table_view("Key figures side by side", frame, dom_id="compare-table", max_rows=400)


def supply_chart_of(svc: WebService, record: RunRecord, div_id: str) -> Markup | None:
    """The supply-vs-demand chart of a finished plan run (``None`` for other runs)."""
    if record.kind != "plan" or record.status != "done":
        return None
    from fabnet.report.plan_charts import supply_demand_chart

    tables = svc.tables_if_any(record.id, ("deliveries", "supply"))
    deliveries = tables.get("deliveries")
    if deliveries is None or not len(deliveries):
        return None
    figure = supply_demand_chart(deliveries, tables.get("supply"))
    figure.update_layout(title=None, legend={"orientation": "h", "y": -0.2})
    return figure_html(figure, div_id, height=380)
