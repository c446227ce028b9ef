"""HTML report of a hindcast (``fabnet backtest``) and of the world with and without the venture
(``fabnet shortage``): model against the public bands, per quarter.

Inputs are the typed results of :mod:`fabnet.backtest` (the report never solves anything).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from fabnet.backtest.checks import format_value, period_months
from fabnet.backtest.hindcast import BacktestResult, quarter_of
from fabnet.backtest.shortage import ShortageResult
from fabnet.report.builder import Section, build_report

__all__ = ["backtest_figures", "backtest_report", "shortage_figure", "shortage_report"]

_INSIDE, _OUTSIDE, _BAND = "#2a9d8f", "#e76f51", "rgba(120,120,120,0.25)"


def _quarters_of(period: str) -> list[str]:
    return sorted({quarter_of(m) for m in period_months(period)})


def _check_series(result: BacktestResult, row: pd.Series) -> pd.Series:
    """The check's quantity per quarter (units per quarter; wafers a month for ``cowos_wpm``)."""
    sel = str(row["select"]).split(";")
    names = [s for s in sel if "=" not in s]
    if row["quantity"] in ("cowos_wpm", "cowos_wafers"):
        lines = [s.split("=", 1)[1] for s in sel if s.startswith("line=")]
        pk = result.packaging
        pk = pk[pk["line"].isin(lines)] if lines else pk
        pk = pk[pk["product"].isin(names)] if names else pk
        per_quarter = pk.assign(quarter=pk["month"].map(quarter_of)).groupby("quarter")
        wafers = per_quarter["interposer_wafers"].sum()
        return wafers / 3.0 if row["quantity"] == "cowos_wpm" else wafers
    customers = [s.split("=", 1)[1] for s in sel if s.startswith("customer=")]
    d = result.deliveries if row["quantity"] == "packaged" else result.shipments
    d = d.assign(quarter=d["month"].map(quarter_of))
    part = d[d["product"].isin(names) | d["customer"].isin(customers)]
    if row["quantity"] == "unit_share":
        of = [s.split("=", 1)[1] for s in sel if s.startswith("of=")]
        whole = d[d["product"].isin(of)].groupby("quarter")["delivered"].sum()
        share = part.groupby("quarter")["delivered"].sum().reindex(whole.index).fillna(0.0)
        return share / whole.where(whole > 0)
    if row["quantity"] == "dies":
        dies = part["product"].map(lambda p: result.products[p][0])
        part = part.assign(delivered=part["delivered"] * dies)
    return part.groupby("quarter")["delivered"].sum()


def _check_figure(result: BacktestResult, row: pd.Series) -> go.Figure:
    series = _check_series(result, row)
    quarters = _quarters_of(str(row["period"]))
    per_quarter = row["quantity"] in ("cowos_wpm", "unit_share") or len(quarters) == 1
    unit = "interposer wafers / month" if row["quantity"] == "cowos_wpm" else "per quarter"
    if row["quantity"] == "cowos_wafers":
        unit = "interposer wafers per quarter"
    if row["quantity"] == "unit_share":
        unit = "share of the of= products' units"
    fig = go.Figure()
    fig.add_bar(x=list(series.index), y=list(series.values), name="model", marker_color="#457b9d")
    low, high = float(row["low"]), float(row["high"])
    if not per_quarter:  # a figure over several quarters: the band of its quarterly average
        n_quarters = len(period_months(str(row["period"]))) / 3.0
        low, high = low / n_quarters, high / n_quarters
    colour = _INSIDE if row["inside"] else _OUTSIDE
    fig.add_scatter(
        x=quarters + quarters[::-1],
        y=[high] * len(quarters) + [low] * len(quarters),
        fill="toself",
        fillcolor=_BAND,
        line={"color": colour, "width": 2},
        name="public band" + ("" if per_quarter else " (year ÷ 4)"),
        mode="lines",
    )
    verdict = "inside" if row["inside"] else "outside"

    def fmt(v: float) -> str:
        return format_value(str(row["quantity"]), float(v))

    fig.update_layout(
        title=f"{row['id']}: model {fmt(row['model'])} vs {fmt(row['low'])}–{fmt(row['high'])} "
        f"({verdict})",
        yaxis_title=unit,
        height=300,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


#: Round ticks of the log axis of the overview (plotly labels a log axis's minor ticks "9, 8, 7").
_RATIO_TICKS = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]


def backtest_figures(result: BacktestResult) -> list[go.Figure]:
    """An overview (model ÷ band midpoint per check) and one model-vs-band chart per check."""
    c = result.checks
    mid = (c["low"] + c["high"]) / 2.0
    ratio = c["model"] / mid.where(mid > 0, 1.0)
    over = go.Figure()
    over.add_scatter(
        x=list(c["id"]),
        y=list((c["high"] / mid).round(3)),
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 18, "color": "#666"},
        name="band top",
    )
    over.add_scatter(
        x=list(c["id"]),
        y=list((c["low"] / mid).round(3)),
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 18, "color": "#666"},
        name="band bottom",
    )
    over.add_scatter(
        x=list(c["id"]),
        y=list(ratio.round(3)),
        mode="markers",
        marker={"size": 11, "color": [_INSIDE if v else _OUTSIDE for v in c["inside"]]},
        name="model",
    )
    over.update_layout(
        title=f"Model ÷ band midpoint, {int(c['inside'].sum())} of {len(c)} checks inside",
        yaxis={
            "type": "log",
            "title": "model ÷ band midpoint",
            "tickvals": _RATIO_TICKS,
            "ticktext": [f"×{v:g}" for v in _RATIO_TICKS],
        },
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 140},
    )
    out = go.Figure()
    wide = result.by_quarter("product").fillna(0.0)
    for product, row in wide.iterrows():
        out.add_bar(x=list(row.index), y=list(row.values), name=str(product))
    out.update_layout(
        barmode="stack",
        title="Accelerators shipped per quarter (packages, after each product's packaging-to-shipment lag), by product",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return [over, out] + [_check_figure(result, row) for _, row in c.iterrows()]


def _checks_table(result: BacktestResult) -> pd.DataFrame:
    c = result.checks
    return pd.DataFrame(
        {
            "check": c["id"],
            "period": c["period"],
            "low": [format_value(q, v) for q, v in zip(c["quantity"], c["low"], strict=True)],
            "high": [format_value(q, v) for q, v in zip(c["quantity"], c["high"], strict=True)],
            "model": [format_value(q, v) for q, v in zip(c["quantity"], c["model"], strict=True)],
            "inside": c["inside"].map({True: "yes", False: "no"}),
            "counted": c["counted"],
            "source": c["source"],
        }
    )


def backtest_report(result: BacktestResult, extra: dict[str, Any] | None = None) -> str:
    """Self-contained HTML page of a hindcast."""
    figs = backtest_figures(result)
    by_customer = result.by_quarter("customer").fillna(0.0).round(0)
    lines = result.by_quarter("line").round(0)
    sections = [
        Section(
            "Checks",
            "Each public figure with its band (where sources disagree the band spans them; a "
            "single source gets ±15 %, a weak one ±25 %) and the model's value.",
            figures=figs[:1],
            tables=[("Model against public figures", _checks_table(result))],
        ),
        Section(
            "Output per quarter",
            "Packages shipped per product and per designer; interposer wafers a month per "
            "packaging line (quarter average).",
            figures=figs[1:2],
            tables=[
                ("Shipped per designer", by_customer.reset_index()),
                ("Interposer wafers a month per line", lines.reset_index()),
            ],
        ),
        Section("Model against band, per check", figures=figs[2:]),
    ]
    summary = {
        "checks inside": f"{int(result.checks['inside'].sum())} of {len(result.checks)}",
        "inside fraction": f"{result.inside_fraction:.0%}",
        "solve time": f"{result.seconds:.1f} s",
        **(extra or {}),
    }
    return build_report(
        title="Hindcast of the AI-accelerator industry",
        summary=summary,
        sections=sections,
        subtitle=f"Scenario {result.scenario}",
    )


def shortage_figure(result: ShortageResult) -> go.Figure:
    """World supply with and without the venture against demand, per quarter."""
    q = result.quarters
    fig = go.Figure()
    fig.add_scatter(x=list(q["quarter"]), y=list(q["demand"]), name="demand", line={"dash": "dot"})
    fig.add_scatter(x=list(q["quarter"]), y=list(q["supply_without"]), name="supply without")
    fig.add_scatter(x=list(q["quarter"]), y=list(q["supply_with"]), name="supply with venture")
    fig.add_bar(x=list(q["quarter"]), y=list(q["venture"]), name="venture", opacity=0.5)
    fig.update_layout(
        title="World accelerator supply and demand per quarter (packages)",
        height=440,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


#: Column headings of the per-quarter table (packages; the share is the venture's of the supply).
_SHORTAGE_HEADINGS = {
    "quarter": "quarter",
    "demand": "demand",
    "supply_without": "supply without the venture",
    "venture": "venture's deliveries",
    "supply_with": "supply with the venture",
    "shortage_without": "shortage without",
    "shortage_with": "shortage with",
    "venture_share": "venture's share of supply",
}


def shortage_report(result: ShortageResult) -> str:
    """Self-contained HTML page of ``fabnet shortage``."""
    q = result.quarters.copy()
    for col in q.columns[1:]:
        fmt = "{:.1%}" if col == "venture_share" else "{:,.0f}"
        q[col] = q[col].map(fmt.format)
    q = q.rename(columns=_SHORTAGE_HEADINGS)
    return build_report(
        title="Does the venture end the shortage?",
        summary={
            "shortage closes without": result.closes_without or "not by the horizon",
            "shortage closes with": result.closes_with or "not by the horizon",
            "time": f"{result.seconds:.1f} s",
        },
        sections=[
            Section(
                "World supply against demand",
                "Supply without the venture is the industry scenario's plan; with the venture, "
                "the venture's bought CoWoS slots and OSAT capacity are taken out of the "
                "industry and its deliveries added.",
                figures=[shortage_figure(result)],
                tables=[("Per quarter", q)],
            )
        ],
        subtitle=f"Industry {result.industry} · venture {result.venture}",
    )
