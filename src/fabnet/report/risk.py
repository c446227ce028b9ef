"""The risk engine's report: fan chart of deliveries, per-year percentiles, histograms of the key
figures, shortage by customer and (when asked for) the robust-plan comparison."""

from __future__ import annotations

from typing import Any

from fabnet.report._format import format_money
from fabnet.report.builder import Section, build_report
from fabnet.report.decide import decide_sections

__all__ = ["risk_report"]


def risk_report(summary: dict[str, Any], tables: dict[str, Any]) -> str:
    """HTML report: key figures, fan chart of deliveries, histograms, per-customer shortage."""
    import plotly.graph_objects as go

    fan = tables["delivered_fan"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=fan["month"], y=fan["p95"], line={"width": 0}, name="P95", showlegend=False)
    )
    fig.add_trace(
        go.Scatter(x=fan["month"], y=fan["p5"], fill="tonexty", line={"width": 0}, name="P5–P95")
    )
    fig.add_trace(go.Scatter(x=fan["month"], y=fan["p75"], line={"width": 0}, showlegend=False))
    fig.add_trace(
        go.Scatter(x=fan["month"], y=fan["p25"], fill="tonexty", line={"width": 0}, name="P25–P75")
    )
    fig.add_trace(go.Scatter(x=fan["month"], y=fan["p50"], name="median", line={"color": "black"}))
    fig.update_layout(title="Accelerators delivered per bucket (fan chart)", yaxis_title="units")
    by_year = tables["delivered_by_year"]
    fy = go.Figure(
        go.Bar(
            x=by_year["year"],
            y=by_year["p50"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": by_year["p95"] - by_year["p50"],
                "arrayminus": by_year["p50"] - by_year["p5"],
            },
            name="P50 (bars: P5–P95)",
        )
    )
    fy.update_layout(title="Accelerators delivered per year", yaxis_title="units")
    hist = tables["histograms"]
    figs = []
    for metric in hist["metric"].unique():
        h = hist[hist["metric"] == metric]
        f = go.Figure(go.Bar(x=(h["bin_low"] + h["bin_high"]) / 2, y=h["count"], name=metric))
        f.update_layout(title=f"Distribution of {metric}", bargap=0.02, yaxis_title="futures")
        figs.append(f)
    sections = [
        Section(
            "Deliveries",
            "Percentiles over the sampled futures.",
            [fig, fy],
            [("per year", by_year)],
        ),
        Section(
            "Distributions",
            "Histograms of the key figures over all futures.",
            figs,
            [("key figures", tables["risk_metrics"])],
        ),
        Section(
            "Shortage by customer",
            "",
            [],
            [("units short over the horizon", tables["shortage_by_customer"])],
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
    cards = {
        "futures": summary["samples"],
        "NPV P50": format_money(summary["npv"]["p50"]),
        "NPV P5–P95": f"{format_money(summary['npv']['p5'])} – {format_money(summary['npv']['p95'])}",
        "P(commitments suffice)": f"{summary['prob_funding_sufficient']:.1%}",
        "shortage P50": f"{summary['shortage_total']['p50']:,.0f}",
    }
    return build_report(
        f"Risk — {summary.get('scenario', '')}",
        cards,
        sections,
        subtitle=f"{summary['samples']:,} futures, seed {summary['seed']}, {summary['recourse']} recourse",
    )
