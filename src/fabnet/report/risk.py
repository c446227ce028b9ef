"""The risk engine's report: the plan's figures beside their distribution over the futures, a fan
chart of deliveries, per-year percentiles, histograms of the key figures, shortage by customer
and (when asked for) the robust-plan comparison.

Units and dates as in the plan report: accelerators per month (a quarterly bucket's total ÷ 3),
months as dates (``2026-07``, not "month 36"), money in B$, IRR in percent. A figure that is the
same in every future is stated once, not drawn as a one-bar histogram.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fabnet.report._format import format_money, format_number, format_percent
from fabnet.report.builder import Section, build_report
from fabnet.report.decide import decide_sections
from fabnet.report.tornado import tornado_section

__all__ = ["risk_report"]

_MONEY = {"npv", "objective", "capex_total", "revenue_total", "funding_need", "funding_gap",
          "debt_peak"}  # fmt: skip
_NAMES = {
    "npv": "NPV",
    "objective": "objective (NPV − shortage penalty)",
    "irr": "IRR",
    "capex_total": "capex",
    "revenue_total": "revenue",
    "funding_need": "funding need (peak spend before partners' money)",
    "funding_gap": "funding gap (beyond the partners' pay-ins)",
    "debt_peak": "peak debt",
    "delivered_total": "accelerators delivered",
    "shortage_total": "accelerators short",
    "first_good_month": "first accelerator",
}
_PLAN_KEY = {"npv": "npv", "irr": "irr", "capex_total": "capex", "funding_need": "funding_need",
             "funding_gap": "funding_gap", "delivered_total": "delivered_total",
             "shortage_total": "shortage_total", "first_good_month": "first_good_month"}  # fmt: skip


def _month(start: str, offset: Any) -> str:
    """``start`` (YYYY-MM) plus ``offset`` months as YYYY-MM (``–`` when missing)."""
    try:
        k = round(float(offset))
    except (TypeError, ValueError):
        return "–"
    year, month = (int(x) for x in start.split("-")[:2])
    total = year * 12 + month - 1 + k
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _show(metric: str, value: Any, start: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if metric in _MONEY:
        return format_money(value)
    if metric == "irr":
        return format_percent(value)
    if metric == "first_good_month":
        return _month(start, value)
    return format_number(value, 0)


def _key_table(summary: dict[str, Any], metrics: pd.DataFrame, start: str) -> pd.DataFrame:
    plan = summary.get("plan") or {}
    rows = []
    for rec in metrics.to_dict("records"):
        name = str(rec["metric"])
        if name not in _NAMES:
            continue
        row = {"figure": _NAMES[name]}
        if plan:
            row["plan"] = _show(name, plan.get(_PLAN_KEY.get(name, "")), start)
        for k in ("p5", "p50", "p95", "mean"):
            row[k.upper() if k != "mean" else "mean"] = _show(name, rec.get(k), start)
        rows.append(row)
    return pd.DataFrame(rows)


def _histograms(summary: dict[str, Any], hist: pd.DataFrame, start: str) -> tuple[list, list[str]]:
    """One figure per key figure that varies; a sentence for each that does not."""
    import plotly.graph_objects as go

    plan = summary.get("plan") or {}
    figs, constant = [], []
    for metric in hist["metric"].unique():
        h = hist[hist["metric"] == metric]
        h = h[h["count"] > 0]
        if h.empty:
            continue
        lo, hi = float(h["bin_low"].min()), float(h["bin_high"].max())
        if hi - lo <= 1e-9 * max(abs(hi), 1.0) or len(h) == 1:
            constant.append(
                f"{_NAMES.get(metric, metric)}: {_show(metric, lo, start)} in every future."
            )
            continue
        mid = (h["bin_low"] + h["bin_high"]) / 2
        title, unit, scale = _NAMES.get(metric, metric), "accelerators", 1.0
        if metric in _MONEY:
            unit, scale = "B$", 1e9
        elif metric == "irr":
            unit, scale = "IRR (%)", 0.01
        x: Any = mid / scale
        if metric == "first_good_month":
            x, unit = [_month(start, v) for v in mid], "month"
        f = go.Figure(go.Bar(x=x, y=h["count"], name=title))
        marks = [("plan", plan.get(_PLAN_KEY.get(metric, "")), "#c0392b")]
        if metric == "funding_need":
            marks.append(("partners' commitments", plan.get("commitments"), "#1f2933"))
        for label, value, colour in marks:
            if value is None or metric == "first_good_month":
                continue
            f.add_vline(x=float(value) / scale, line={"color": colour, "dash": "dash"},
                        annotation_text=label)  # fmt: skip
        f.update_layout(title=f"Distribution of {title}", bargap=0.02, yaxis_title="futures",
                        xaxis_title=unit)  # fmt: skip
        if metric in _MONEY:
            f.update_xaxes(tickformat=",.2f")
        elif metric == "irr":
            f.update_xaxes(tickformat=",.0f")
        figs.append(f)
    return figs, constant


def _fan(fan: pd.DataFrame):
    import plotly.graph_objects as go

    per = fan["months"] if "months" in fan else pd.Series(1, index=fan.index)
    x = pd.to_datetime(fan["month"]) + pd.to_timedelta(per * 15.2, unit="D")  # bucket middles
    rate = {k: fan[k] / per for k in ("p5", "p25", "p50", "p75", "p95")}
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=rate["p95"], line={"width": 0}, showlegend=False))
    fig.add_trace(go.Scatter(x=x, y=rate["p5"], fill="tonexty", line={"width": 0}, name="P5–P95"))
    fig.add_trace(go.Scatter(x=x, y=rate["p75"], line={"width": 0}, showlegend=False))
    fig.add_trace(go.Scatter(x=x, y=rate["p25"], fill="tonexty", line={"width": 0},
                             name="P25–P75"))  # fmt: skip
    fig.add_trace(go.Scatter(x=x, y=rate["p50"], name="median", line={"color": "black"}))
    fig.update_layout(title="Accelerators delivered per month (fan over the futures)",
                      yaxis_title="accelerators per month (units)")  # fmt: skip
    fig.update_yaxes(tickformat=",.0f")
    return fig


def risk_report(summary: dict[str, Any], tables: dict[str, Any]) -> str:
    """HTML report: the plan beside the futures, fan chart, histograms, per-customer shortage."""
    import plotly.graph_objects as go

    fan = tables["delivered_fan"]
    start = str(fan["month"].iloc[0]) if len(fan) else "2000-01"
    by_year = tables["delivered_by_year"]
    fy = go.Figure(
        go.Bar(
            x=by_year["year"].astype(str),
            y=by_year["p50"],
            error_y={"type": "data", "symmetric": False, "array": by_year["p95"] - by_year["p50"],
                     "arrayminus": by_year["p50"] - by_year["p5"]},
            name="P50 (bars: P5–P95)",
        )
    )  # fmt: skip
    fy.update_layout(title="Accelerators delivered per year", yaxis_title="accelerators per year")
    fy.update_yaxes(tickformat=",.0f")
    figs, constant = _histograms(summary, tables["histograms"], start)
    year_table = pd.DataFrame(
        {"year": by_year["year"].astype(str),
         **{k.upper(): [format_number(v, 0) for v in by_year[k]] for k in ("p5", "p50", "p95")}}
    )  # fmt: skip
    short = tables["shortage_by_customer"]
    short_table = pd.DataFrame(
        {"customer": short["customer"],
         **{k.upper(): [format_number(v, 0) for v in short[k]] for k in ("p5", "p50", "p95")}}
    )  # fmt: skip
    explanation = "\n\n".join(summary.get("explanation") or [])
    sections = [
        Section(
            "The plan beside the futures",
            explanation,
            [],
            [
                (
                    "key figures: the plan (nominal future) and percentiles over the futures",
                    _key_table(summary, tables["risk_metrics"], start),
                )
            ],
        ),
        Section(
            "Deliveries",
            "Percentiles over the sampled futures.",
            [_fan(fan), fy],
            [("accelerators delivered per year", year_table)],
        ),
        Section("Distributions", "\n\n".join(constant), figs, []),
        Section(
            "Shortage by customer", "", [], [("accelerators short over the horizon", short_table)]
        ),
    ]
    if "robust" in tables:
        sections.append(
            Section(
                "Robust plan",
                "Candidates compared on common futures.",
                [],
                [("candidates", tables["robust"])],
            )
        )
    sections.extend(decide_sections(tables, summary))
    if summary.get("tornado") is not None:
        sections.append(tornado_section(summary["tornado"]))
    npv = summary["npv"]
    cards = {
        "futures": summary["samples"],
        "NPV P50": format_money(npv["p50"]),
        "NPV P5–P95": f"{format_money(npv['p5'])} – {format_money(npv['p95'])}",
        "P(commitments suffice)": format_percent(summary["prob_funding_sufficient"], 0),
        "shortage P50": format_number(summary["shortage_total"]["p50"], 0),
    }
    plan = summary.get("plan") or {}
    if plan.get("npv") is not None:
        cards["plan's NPV"] = format_money(plan["npv"])
    return build_report(
        f"Risk — {summary.get('scenario', '')}",
        cards,
        sections,
        subtitle=f"{summary['samples']:,} futures, seed {summary['seed']}, {summary['recourse']} recourse",
    )
