"""The tornado chart of a risk run (``fabnet risk --tornado``) and the text of its values.

Horizontal bars, one per uncertainty, largest NPV swing on top: each bar runs from the base NPV
(every uncertainty at its median, the vertical centre line) to the NPV with that one uncertainty
at its P10 (one colour) and at its P90 (the other). Money is shown in one unit for the whole
axis (B$, M$, k$ or $, whichever suits the largest value), so the ticks read as round numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from fabnet.report._format import format_money, format_number
from fabnet.report.builder import Section

__all__ = ["effect_text", "money_unit", "tornado_figure", "tornado_section", "tornado_table"]

_COLOURS = {"low": "#c0504d", "high": "#4f81bd"}


def effect_text(effect: str, value: float) -> str:
    """A spec's draw as it acts, to 3 significant digits: ``add`` → ``+3.2``, ``multiply`` →
    ``×0.78``, ``set`` → ``=5``."""
    if effect == "add":
        return f"{value:+.3g}".replace("-", "−")
    if effect == "multiply":
        return f"×{value:.3g}"
    return f"={value:.3g}"


def money_unit(values: Iterable[float | None]) -> tuple[float, str]:
    """``(divisor, label)`` for an axis of money: the largest unit the largest value fills."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    for scale, label in ((1e12, "T$"), (1e9, "B$"), (1e6, "M$"), (1e3, "k$")):
        if top >= scale:
            return scale, label
    return 1.0, "$"


def tornado_figure(tornado: Mapping[str, Any]) -> Any:
    """The plotly figure of a tornado (``summary["tornado"]``)."""
    import plotly.graph_objects as go

    bars = tornado["bars"]
    base = tornado["base"]["npv"]
    values = [base, *(b[side]["npv"] for b in bars for side in ("low", "high"))]
    scale, unit = money_unit(values)
    names = [b["name"] for b in bars]
    fig = go.Figure()
    for side, q in (("low", tornado["low_quantile"]), ("high", tornado["high_quantile"])):
        label = f"P{round(100 * q)}"
        ends = [b[side]["npv"] for b in bars]
        fig.add_trace(
            go.Bar(
                y=names,
                x=[0.0 if e is None or base is None else (e - base) / scale for e in ends],
                base=None if base is None else base / scale,
                orientation="h",
                name=f"uncertainty at its {label}",
                marker_color=_COLOURS[side],
                customdata=[
                    [effect_text(b["effect"], b[f"{side}_value"]), format_money(b[side]["npv"])]
                    for b in bars
                ],
                hovertemplate=f"%{{y}} at {label} (%{{customdata[0]}}): NPV %{{customdata[1]}}"
                "<extra></extra>",
            )
        )
    if base is not None:
        fig.add_vline(
            x=base / scale,
            line={"color": "black", "width": 2},
            annotation_text=f"all at median: {format_money(base)}",
            annotation_position="top",
        )
    fig.update_layout(
        title="Tornado: NPV with one uncertainty at a time at its P10 or P90",
        barmode="overlay",
        xaxis_title=f"NPV [{unit}]",
        xaxis={"tickformat": ",.3~g"},
        yaxis={"autorange": "reversed"},
        height=max(320, 60 + 44 * len(bars)),
    )
    return fig


def tornado_table(tornado: Mapping[str, Any]) -> pd.DataFrame:
    """The bars as a readable table: each uncertainty's two values and the plan's NPV, funding
    need and delivered units at each, largest NPV swing first."""
    lo = f"P{round(100 * tornado['low_quantile'])}"
    hi = f"P{round(100 * tornado['high_quantile'])}"
    rows = []
    for b in tornado["bars"]:
        rows.append(
            {
                "uncertainty": b["name"],
                "target": b["target"],
                f"value at {lo}": effect_text(b["effect"], b["low_value"]),
                f"value at {hi}": effect_text(b["effect"], b["high_value"]),
                "NPV swing": format_money(b["swing_npv"]),
                f"NPV at {lo}": format_money(b["low"]["npv"]),
                f"NPV at {hi}": format_money(b["high"]["npv"]),
                f"funding need at {lo}": format_money(b["low"]["funding_need"]),
                f"funding need at {hi}": format_money(b["high"]["funding_need"]),
                f"delivered at {lo}": format_number(b["low"]["delivered_total"]),
                f"delivered at {hi}": format_number(b["high"]["delivered_total"]),
            }
        )
    return pd.DataFrame(rows)


def tornado_section(tornado: Mapping[str, Any]) -> Section:
    """The report section: the chart, the base and the table."""
    base = tornado["base"]
    lo = f"P{round(100 * tornado['low_quantile'])}"
    hi = f"P{round(100 * tornado['high_quantile'])}"
    text = (
        f"Each uncertainty alone at its {lo} and {hi}, every other at its median (a spec on a "
        "common factor moves alone, the factor held at its median); the plan's decisions fixed, "
        f"the same {tornado['recourse']} recourse as the futures above. Bars are sorted by NPV "
        f"swing |NPV({hi}) − NPV({lo})|.\n\n"
        f"Base (all at their medians): NPV {format_money(base['npv'])}, funding need "
        f"{format_money(base['funding_need'])}, {format_number(base['delivered_total'])} "
        "accelerators delivered. The base is not the mean of the futures: the figures are not "
        "linear in the uncertainties."
    )
    if not tornado["bars"]:
        return Section("Tornado", "The scenario declares no uncertainties.")
    return Section(
        "Tornado",
        text,
        [tornado_figure(tornado)],
        [("one uncertainty at a time", tornado_table(tornado))],
    )
