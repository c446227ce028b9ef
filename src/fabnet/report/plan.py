"""The network plan report: what to buy or build and when, what it delivers, to whom, and the money.

``plan_report(summary, tables)`` renders the planner's result (the table contract is in
:mod:`fabnet.report.plan_charts`; summary keys: status, objective_value, npv, capex_total,
funding_gap, decisions, delivered_by_year, shortage_by_customer, solve_seconds, scenario, policy,
objective). Tables that are missing or empty are skipped with a note, so a partial result still
renders; a table with missing columns raises :class:`~fabnet.errors.DataError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from fabnet.report._format import Column, format_money, format_number, format_percent, label_columns
from fabnet.report.builder import Section, build_report
from fabnet.report.plan_charts import (
    bucket_lengths,
    capacity_chart,
    cash_chart,
    decisions_gantt,
    require_columns,
    shortage_chart,
    supply_demand_chart,
    supply_limits_chart,
)

__all__ = ["DECISION_COLUMNS", "LIMIT_COLUMNS", "PLAN_TABLES", "plan_report", "plan_summary_cards"]

#: The planner's tables and their columns (the contract the report is written against).
PLAN_TABLES: dict[str, tuple[str, ...]] = {
    "decisions": ("site", "action", "start", "first_output", "modules", "capex", "node"),
    "capacity": ("site", "month", "capacity_wspm", "used_wspm"),
    "wafer_starts": ("site", "product", "month", "wafers"),
    "supply": ("product", "month", "good_dies", "accelerators", "packaging_limit", "hbm_limit"),
    "deliveries": ("customer", "product", "month", "demand", "delivered", "shortage"),
    "cash_flow": (
        "month",
        "capex",
        "sustaining_capex",
        "opex",
        "outside_wafer_cost",
        "revenue",
        "grants",
        "prepayments_in",
        "prepayments_recovered",
        "investor_in",
        "debt_draw",
        "debt_repay",
        "interest",
        "depreciation",
        "profit_before_tax",
        "tax",
        "tax_shield",
        "loss_pool",
        "free_cash_flow",
        "terminal_value",
        "cash_balance",
        "debt_balance",
    ),
    "quarterly": (
        "quarter",
        "product",
        "demand",
        "delivered",
        "shortage",
        "own_wafers",
        "outside_wafers",
    ),
    "shadow_prices": ("constraint", "site_or_resource", "month", "value", "unit"),
    "customer_limits": ("customer", "product", "fill_rate", "limited_by"),
}

DECISION_COLUMNS = {
    "site": Column("Site", kind="text"),
    "action": Column("Action", kind="text"),
    "node": Column("Node", kind="text"),
    "start": Column("Start", kind="text"),
    "first_output": Column("First output", kind="text"),
    "modules": Column("Modules", decimals=0),
    "capex": Column("Capex (M USD)", scale=1e6, decimals=0),
}
LIMIT_COLUMNS = {
    "customer": Column("Customer", kind="text"),
    "product": Column("Product", kind="text"),
    "fill_rate": Column("Fill rate (%)", kind="percent"),
    "limited_by": Column("Limited by", kind="text"),
}
_SHADOW_COLUMNS = {
    "constraint": Column("Constraint", kind="text"),
    "site_or_resource": Column("Site or resource", kind="text"),
    "month": Column("Month", kind="text"),
    "value": Column("Value"),
    "unit": Column("Unit", kind="text"),
}
_SHADOW_ROWS = 25


def _table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    """The table if given and non-empty (columns checked against the contract), else ``None``."""
    frame = tables.get(name)
    if frame is None or len(frame) == 0:
        return None
    require_columns(frame, name, [c for c in PLAN_TABLES[name] if c != "node"])
    return frame


def _missing(name: str) -> str:
    return f"The plan has no {name} table, so this part is left out."


def plan_summary_cards(
    summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]
) -> dict[str, str]:
    """The key-figure cards of a plan report, formatted for reading."""
    cards: dict[str, str] = {"Status": str(summary.get("status", "–"))}
    cards["NPV"] = format_money(summary.get("npv"))
    if summary.get("npv_without_terminal_value") is not None:
        cards["NPV without terminal value"] = format_money(summary["npv_without_terminal_value"])
    if "irr" in summary:
        cards["IRR"] = format_percent(summary["irr"]) if summary["irr"] is not None else "–"
    cards["Capex total"] = format_money(summary.get("capex_total"))
    cards["Funding gap"] = format_money(summary.get("funding_gap"))
    deliveries = _table(tables, "deliveries")
    if deliveries is not None:
        delivered, demand = deliveries["delivered"].sum(), deliveries["demand"].sum()
        cards["Accelerators delivered"] = format_number(delivered, 0)
        cards["Fill rate"] = format_percent(delivered / demand if demand else float("nan"))
    elif isinstance(summary.get("delivered_by_year"), Mapping):
        total = sum(float(v) for v in summary["delivered_by_year"].values())
        cards["Accelerators delivered"] = format_number(total, 0)
    decisions = _table(tables, "decisions")
    if decisions is not None:
        fab, pack = _fabs_and_packaging(decisions, tables)
        counts = fab["action"].value_counts()
        cards["Fabs bought · built"] = f"{counts.get('buy', 0)} · {counts.get('build', 0)}"
        cards["Packaging expansions"] = format_number(float(pack["modules"].sum()), 0)
    if summary.get("solve_seconds") is not None:
        cards["Solve time"] = f"{float(summary['solve_seconds']):,.1f} s"
    return cards


def _horizon_end(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The first month after the last time bucket of the plan."""
    ends = []
    for name in ("capacity", "cash_flow", "deliveries"):
        frame = tables.get(name)
        if frame is not None and len(frame) and "month" in frame.columns:
            lengths = bucket_lengths(frame["month"])
            ends.append(lengths.index[-1] + pd.DateOffset(months=int(lengths.iloc[-1])))
    return max(ends) if ends else None


def _fabs_and_packaging(
    decisions: pd.DataFrame, tables: Mapping[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fab decisions and own packaging expansions (rows whose site is a packaging line: the
    ``packaging`` table's lines, else a CoWoS-class node)."""
    is_line = decisions["node"].astype(str).str.contains("CoWoS")
    packaging = tables.get("packaging")  # the planner's packaging table (line, product, ...)
    if packaging is not None and "line" in packaging.columns:
        is_line |= decisions["site"].isin(set(packaging["line"]))
    return decisions[~is_line], decisions[is_line]


def _decisions_section(tables: Mapping[str, pd.DataFrame]) -> Section:
    decisions = _table(tables, "decisions")
    if decisions is None:
        return Section("Decisions", text="The plan buys and builds nothing.")
    ordered = decisions.sort_values(["start", "site"]).reset_index(drop=True)
    columns = [c for c in PLAN_TABLES["decisions"] if c in ordered.columns]
    fab, pack = _fabs_and_packaging(ordered, tables)
    counts = fab["action"].value_counts()
    text = (
        f"{counts.get('buy', 0)} existing fab(s) bought, {counts.get('build', 0)} greenfield "
        f"build(s) and {len(pack)} own packaging expansion(s) "
        f"({int(pack['modules'].sum()) if len(pack) else 0} blocks), "
        f"{format_money(ordered['capex'].sum())} of capex. Each bar runs from the "
        "decision to first output (construction and tool install, or retooling a bought fab) "
        "and then to the end of the horizon."
    )
    return Section(
        "Decisions",
        text=text,
        figures=[decisions_gantt(ordered, _horizon_end(tables))],
        tables=[("Buy and build decisions", label_columns(ordered[columns], DECISION_COLUMNS))],
    )


def _capacity_section(tables: Mapping[str, pd.DataFrame]) -> Section:
    capacity = _table(tables, "capacity")
    if capacity is None:
        return Section("Capacity", text=_missing("capacity"))
    by_month = capacity.groupby("month")[["capacity_wspm", "used_wspm"]].sum()
    peak = by_month["capacity_wspm"].max()
    use = by_month["used_wspm"].sum() / by_month["capacity_wspm"].sum() if peak else float("nan")
    text = (
        f"Peak capacity {format_number(peak, 0)} wafer starts per month across "
        f"{capacity['site'].nunique()} fab(s); on average {format_percent(use)} of the available "
        "starts are used over the horizon."
    )
    return Section("Capacity", text=text, figures=[capacity_chart(capacity)])


def _deliveries_by_year(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Customers as rows, one column of deliveries per year, then totals and the fill rate."""
    frame = deliveries.assign(year=deliveries["month"].astype(str).str[:4])
    pivot = frame.pivot_table(index="customer", columns="year", values="delivered", aggfunc="sum")
    pivot = pivot.fillna(0.0)
    totals = frame.groupby("customer")[["delivered", "demand"]].sum()
    out = pivot.round(0).astype("int64")
    out.columns = [str(c) for c in out.columns]
    out["Total"] = totals["delivered"].round(0).astype("int64")
    out["Demand"] = totals["demand"].round(0).astype("int64")
    fill = totals["delivered"] / totals["demand"].where(totals["demand"] > 0)
    out["Fill rate (%)"] = [format_percent(v) for v in fill]
    out = out.sort_values("Total", ascending=False).reset_index()
    return out.rename(columns={"customer": "Customer"})


def _supply_section(tables: Mapping[str, pd.DataFrame]) -> Section:
    deliveries, supply = _table(tables, "deliveries"), _table(tables, "supply")
    if deliveries is None:
        return Section("Supply and demand", text=_missing("deliveries"))
    figures = [supply_demand_chart(deliveries, supply)]
    if supply is not None:
        figures.append(supply_limits_chart(supply))
    yearly = _deliveries_by_year(deliveries)
    text = (
        "Delivered accelerators per month, stacked by customer, against total demand. Where the "
        "bars stay under the red line, demand outruns what the network, the packaging lines and "
        "the HBM supply can give."
    )
    return Section(
        "Supply and demand",
        text=text,
        figures=figures,
        tables=[("Accelerators delivered by customer and year (units)", yearly)],
    )


def _customers_section(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> Section:
    deliveries, limits = _table(tables, "deliveries"), _table(tables, "customer_limits")
    figures = [shortage_chart(deliveries)] if deliveries is not None else []
    section_tables = []
    if limits is not None:
        section_tables.append(
            (
                "What limited each customer",
                label_columns(limits[list(PLAN_TABLES["customer_limits"])], LIMIT_COLUMNS),
            )
        )
    policy = summary.get("policy")
    text = (
        f"Scarce output is allocated by the '{policy}' policy. " if policy else ""
    ) + "For each customer: the shortage over the horizon and what limited its deliveries."
    return Section("Customers", text=text, figures=figures, tables=section_tables)


def _cash_section(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> Section:
    cash = _table(tables, "cash_flow")
    if cash is None:
        return Section("Cash and funding", text=_missing("cash_flow"))
    text = (
        f"Lowest cash balance {format_money(cash['cash_balance'].min())}, peak debt "
        f"{format_money(cash['debt_balance'].max())}, investor pay-ins "
        f"{format_money(cash['investor_in'].sum())}, funding gap "
        f"{format_money(summary.get('funding_gap'))}."
    )
    return Section("Cash and funding", text=text, figures=[cash_chart(cash)])


def _quarterly_section(tables: Mapping[str, pd.DataFrame]) -> Section:
    quarterly = _table(tables, "quarterly")
    if quarterly is None:
        return Section("Output per quarter", text=_missing("quarterly"))
    shown = quarterly.copy()
    for col in ("demand", "delivered", "shortage", "own_wafers", "outside_wafers"):
        shown[col] = shown[col].map(lambda v: format_number(float(v), 0))
    text = (
        "Accelerators wanted, delivered and short per calendar quarter and product, with the "
        "wafers that made them: own fabs and bought from outside foundries."
    )
    return Section(
        "Output per quarter", text=text, tables=[("Output and shortage per quarter", shown)]
    )


def _shadow_section(tables: Mapping[str, pd.DataFrame]) -> Section:
    prices = _table(tables, "shadow_prices")
    if prices is None:
        return Section("Shadow prices", text="No shadow prices were reported for this plan.")
    top = prices.reindex(prices["value"].abs().sort_values(ascending=False).index)
    top = top.head(_SHADOW_ROWS)[list(PLAN_TABLES["shadow_prices"])]
    text = (
        "The value of one more unit of each binding resource (e.g. one more wafer start per "
        f"month at a fab, one more CoWoS slot), largest {min(len(prices), _SHADOW_ROWS)} of "
        f"{len(prices)} shown."
    )
    return Section(
        "Shadow prices",
        text=text,
        tables=[
            ("Binding constraints and their shadow prices", label_columns(top, _SHADOW_COLUMNS))
        ],
    )


def plan_report(summary: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> str:
    """A self-contained HTML report of a network plan (see the module docstring for the inputs)."""
    subtitle_parts = [
        f"Scenario {summary['scenario']}" if summary.get("scenario") else "",
        f"policy {summary['policy']}" if summary.get("policy") else "",
        f"objective {summary['objective']}" if summary.get("objective") else "",
    ]
    if summary.get("objective_value") is not None:
        subtitle_parts.append(
            f"solver objective (NPV less shortage penalties) "
            f"{format_money(summary['objective_value'])}"
        )
    sections = [
        _decisions_section(tables),
        _capacity_section(tables),
        _supply_section(tables),
        _customers_section(summary, tables),
        _quarterly_section(tables),
        _cash_section(summary, tables),
        _shadow_section(tables),
    ]
    return build_report(
        title="Fab network plan",
        summary=plan_summary_cards(summary, tables),
        sections=sections,
        subtitle=" · ".join(p for p in subtitle_parts if p),
    )
