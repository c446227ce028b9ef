"""Self-contained HTML report of a fab simulation (plotly, ``include_plotlyjs=True``).

Importable on its own: ``from fabnet.report.fab import write_fab_report``.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go

from fabnet.fab.kpi import FabKPIs

__all__ = ["fab_report_html", "write_fab_report"]


def _figures(k: FabKPIs) -> list[go.Figure]:
    figs = []
    f = go.Figure()
    for col in [c for c in k.wip.columns if c != "day"]:
        f.add_scatter(x=k.wip["day"], y=k.wip[col], name=col, mode="lines")
    f.update_layout(title="WIP over time (lots)", xaxis_title="day", yaxis_title="lots")
    figs.append(f)
    w = k.lots[k.lots["in_window"]]
    f = go.Figure()
    for name, grp in w.groupby("product"):
        f.add_histogram(x=grp["cycle_time_days"], name=str(name), opacity=0.6)
    f.update_layout(title="Cycle time distribution (after warm-up)", xaxis_title="days",
                    barmode="overlay")  # fmt: skip
    figs.append(f)
    tg = k.tool_groups.sort_values("productive", ascending=False).head(30)
    f = go.Figure()
    for col in ("productive", "standby", "scheduled_down", "unscheduled_down"):
        f.add_bar(x=tg["group"], y=tg[col], name=col.replace("_", " "))
    f.update_layout(title="SEMI E10 states of the 30 busiest tool groups", barmode="stack",
                    yaxis_title="fraction of time")  # fmt: skip
    figs.append(f)
    q = k.queues.sort_values("mean_queue_hours", ascending=False).head(20)
    figs.append(
        go.Figure(go.Bar(x=q["group"], y=q["mean_queue_hours"])).update_layout(
            title="Mean queue time per tool group (hours, top 20)"
        )
    )
    return figs


def fab_report_html(k: FabKPIs, title: str = "fab simulation") -> str:
    """The report as one HTML string (plotly.js embedded once)."""
    parts = []
    for i, fig in enumerate(_figures(k)):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    s = k.summary
    head = (
        f"<p>{s['days']:g} days ({s['warmup_days']:g} warm-up), dispatch {html.escape(str(s['dispatch']))}, "
        f"{s['lots_completed']} lots, {s['wafers_per_week']:.0f} wafers/week, cycle time "
        f"{s['cycle_time_days']['mean']:.1f} d, flow factor {s['flow_factor']['mean']:.2f} "
        f"(median {s['flow_factor']['median']:.2f}; over the empty-fab cycle time, as SMT2020 "
        f"reports it: median {s['flow_factor_empty_fab']['median']:.2f}), "
        f"on time {s['on_time_fraction']:.0%}</p>"
    )
    table = k.products.round(2).to_html(index=False, border=0)
    style = (
        "<style>body{font-family:system-ui,sans-serif;margin:1.5em}"
        "table{border-collapse:collapse;font-size:13px}"
        "th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
        "th{background:#f4f4f4}.wrap{overflow-x:auto}</style>"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"{style}</head><body><h1>{html.escape(title)}</h1>{head}<div class='wrap'>{table}</div>"
        f"{''.join(parts)}</body></html>"
    )


def write_fab_report(k: FabKPIs, path: str | Path, title: str = "fab simulation") -> Path:
    """Write the self-contained HTML report and return its path."""
    p = Path(path)
    p.write_text(fab_report_html(k, title), encoding="utf-8")
    return p
