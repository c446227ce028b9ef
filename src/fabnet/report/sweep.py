"""The report of ``fabnet sweep``: one chart per headline figure against the swept value(s).

With one swept field each chart is a line over its values; with two, one line per value of the
second; with more, the points in order (their values on the axis). Money is shown in one unit per
chart (:func:`~fabnet.report.tornado.money_unit`), IRR in percent, the first good accelerator as
a month. Failed points are listed in the table and left out of the charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fabnet.report._format import format_money, format_number
from fabnet.report.builder import Section, build_report
from fabnet.report.tornado import money_unit

__all__ = ["FIGURE_TITLES", "sweep_report"]

#: Headline figure → (chart title, kind: money | percent | units | month).
FIGURE_TITLES: dict[str, tuple[str, str]] = {
    "npv": ("NPV", "money"),
    "irr": ("IRR", "percent"),
    "capex_total": ("Capex", "money"),
    "funding_gap": ("Funding gap (peak debt)", "money"),
    "delivered_total": ("Accelerators delivered", "units"),
    "first_good_accelerator": ("First good accelerator", "month"),
}


def _scale(kind: str, column: pd.Series) -> tuple[float, str]:
    """Divisor and unit label of a chart's y axis."""
    if kind == "money":
        scale, unit = money_unit(v for v in column if v is not None and v == v)
        return scale, f" [{unit}]"
    return {"percent": (0.01, " [%]"), "units": (1.0, " [units]")}.get(kind, (1.0, ""))


def _values(kind: str, column: pd.Series, scale: float) -> list[Any]:
    if kind == "month":
        return list(column)
    return [None if v is None or v != v else v / scale for v in column]


def _figure(table: pd.DataFrame, fields: Sequence[str], figure: str) -> Any:
    import plotly.graph_objects as go

    title, kind = FIGURE_TITLES[figure]
    ok = table[table["status"].astype(str).isin(("optimal", "time_limit"))]
    scale, unit = _scale(kind, ok[figure])
    fig = go.Figure()
    if len(fields) <= 2:
        groups = [("", ok)] if len(fields) == 1 else list(ok.groupby(fields[1], sort=False))
        for key, part in groups:
            fig.add_trace(
                go.Scatter(
                    x=list(part[fields[0]]),
                    y=_values(kind, part[figure], scale),
                    mode="lines+markers",
                    name="" if len(fields) == 1 else f"{fields[1]}={key}",
                )
            )
        fig.update_layout(xaxis_title=fields[0], showlegend=len(fields) == 2)
    else:
        labels = [", ".join(f"{f}={r[f]}" for f in fields) for _, r in ok.iterrows()]
        fig.add_trace(
            go.Scatter(x=labels, y=_values(kind, ok[figure], scale), mode="lines+markers")
        )
        fig.update_layout(xaxis_title="point", showlegend=False)
    fig.update_layout(title=f"{title} against {' × '.join(fields)}", yaxis_title=title + unit)
    if kind in ("money", "percent"):
        fig.update_layout(yaxis={"tickformat": ",.3~g"})
    return fig


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for col in ("npv", "capex_total", "funding_gap"):
        out[col] = [format_money(v) for v in out[col]]
    out["irr"] = ["—" if v is None or v != v else f"{100 * v:.1f} %" for v in out["irr"]]
    out["delivered_total"] = [format_number(v, 0) for v in out["delivered_total"]]
    return out.rename(columns={"first_good_accelerator": "first good accelerator"})


def sweep_report(scenario: str, fields: Sequence[str], table: pd.DataFrame) -> str:
    """HTML page: a chart per headline figure, then the table of points and their runs."""
    figures = [_figure(table, fields, f) for f in FIGURE_TITLES]
    failed = int((~table["status"].astype(str).isin(("optimal", "time_limit"))).sum())
    text = (
        "Each point is a plan solved and kept in the run store (its run id in the table; "
        "`fabnet runs show RUN_ID` opens it). The other fields are the scenario's own."
    )
    if failed:
        text += f"\n\n{failed} point(s) failed and are left out of the charts (see the table)."
    sections = [
        Section("Headline figures", text, figures),
        Section("Points", "", [], [("one row per point", _readable(table))]),
    ]
    cards = {"points": len(table), "fields swept": len(fields), "failed": failed}
    return build_report(f"Sweep — {scenario}", cards, sections, subtitle=", ".join(fields))
