"""The HTML report of a fab simulation, written without importing plotly's Python package.

The page is the one :mod:`fabnet.report.fab` builds (same summary line, product table and four
charts: WIP over time, cycle-time histograms after warm-up, SEMI E10 states of the 30 busiest
tool groups, mean queue time of the 20 longest queues) and, like it, self-contained: plotly.js
is embedded. The difference is how: the figures are written directly as plotly.js JSON
(``{"data": [...], "layout": {...}}`` with the ``plotly`` template) into a fixed page, and
``plotly.min.js`` and the template are read as files from the installed plotly package. That
takes a few milliseconds; building the same figures with ``plotly.graph_objects`` (validating
every trace) and serialising them took about 0.3 s, a quarter of a 30-day ``fabnet fab
simulate`` (``benchmarks/RESULTS.md``, fab section). The charts' data equal the plotly-built
report's (``tests/fab/test_html_report.py`` compares them trace by trace).
"""

from __future__ import annotations

import html
import json
import math
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from fabnet.fab.kpi import FabKPIs

__all__ = ["fab_report_html", "figures", "plotly_js", "write_fab_report"]

_PAGE_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;margin:1.5em}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
    "th{background:#f4f4f4}.wrap{overflow-x:auto}</style>"
)


def _plotly_data() -> Path:
    """The installed plotly package's data folder (found without importing plotly)."""
    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the fab report needs plotly (a fabnet dependency): pip install plotly")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data"


def plotly_js() -> str:
    """The text of the installed ``plotly.min.js`` (what plotly's ``include_plotlyjs=True``
    embeds)."""
    return (_plotly_data() / "plotly.min.js").read_text(encoding="utf-8")


def _values(seq: Any) -> list[Any]:
    """A column as JSON values: NaN and infinities become ``null`` (as plotly writes them)."""
    out = seq.tolist() if hasattr(seq, "tolist") else list(seq)
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in out]


def _axis_title(text: str) -> dict[str, Any]:
    return {"title": {"text": text}}


def figures(k: FabKPIs) -> list[dict[str, Any]]:
    """The report's four charts as plotly.js figures ``{"data": [...], "layout": {...}}``
    (without the template, which :func:`fab_report_html` adds)."""
    wip = [
        {"mode": "lines", "name": col, "x": _values(k.wip["day"]), "y": _values(k.wip[col]),
         "type": "scatter"}
        for col in k.wip.columns if col != "day"
    ]  # fmt: skip
    w = k.lots[k.lots["in_window"]]
    hist = [
        {"name": str(name), "opacity": 0.6, "x": _values(grp["cycle_time_days"]),
         "type": "histogram"}
        for name, grp in w.groupby("product")
    ]  # fmt: skip
    tg = k.tool_groups.sort_values("productive", ascending=False).head(30)
    states = [
        {"name": col.replace("_", " "), "x": _values(tg["group"]), "y": _values(tg[col]),
         "type": "bar"}
        for col in ("productive", "standby", "scheduled_down", "unscheduled_down")
    ]  # fmt: skip
    q = k.queues.sort_values("mean_queue_hours", ascending=False).head(20)
    queues = [{"x": _values(q["group"]), "y": _values(q["mean_queue_hours"]), "type": "bar"}]
    return [
        {"data": wip, "layout": {"title": {"text": "WIP over time (lots)"},
                                 "xaxis": _axis_title("day"), "yaxis": _axis_title("lots")}},
        {"data": hist, "layout": {"title": {"text": "Cycle time distribution (after warm-up)"},
                                  "xaxis": _axis_title("days"), "barmode": "overlay"}},
        {"data": states, "layout": {"title": {"text": "SEMI E10 states of the 30 busiest tool "
                                              "groups"}, "barmode": "stack",
                                    "yaxis": _axis_title("fraction of time")}},
        {"data": queues, "layout": {"title": {"text": "Mean queue time per tool group (hours, "
                                              "top 20)"}}},
    ]  # fmt: skip


def _headline(s: dict[str, Any]) -> str:
    return (
        f"<p>{s['days']:g} days ({s['warmup_days']:g} warm-up), dispatch "
        f"{html.escape(str(s['dispatch']))}, "
        f"{s['lots_completed']} lots, {s['wafers_per_week']:.0f} wafers/week, cycle time "
        f"{s['cycle_time_days']['mean']:.1f} d, flow factor {s['flow_factor']['mean']:.2f} "
        f"(median {s['flow_factor']['median']:.2f}; over the empty-fab cycle time, as SMT2020 "
        f"reports it: median {s['flow_factor_empty_fab']['median']:.2f}), "
        f"on time {s['on_time_fraction']:.0%}</p>"
    )


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else f"{round(v, 2):g}" if abs(v) < 1e15 else str(v)
    return html.escape(str(v))


def _product_table(k: FabKPIs) -> str:
    """The per-product KPI table, values rounded to two decimals."""
    cols = list(k.products.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in k.products.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _chart(i: int, fig: dict[str, Any], template: str) -> str:
    div = f"fab-chart-{i}"
    layout = json.dumps(fig["layout"], allow_nan=False)
    layout = '{"template":' + template + "," + layout[1:]
    return (
        f'<div><div id="{div}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
        f"<script>Plotly.newPlot({json.dumps(div)}, {json.dumps(fig['data'], allow_nan=False)},"
        f' {layout}, {{"responsive": true}});</script></div>'
    )


def fab_report_html(k: FabKPIs, title: str = "fab simulation") -> str:
    """The report as one HTML string, plotly.js embedded once."""
    data = _plotly_data()
    template = (data / "templates" / "plotly.json").read_text(encoding="utf-8").strip()
    charts = "".join(_chart(i, fig, template) for i, fig in enumerate(figures(k)))
    js = plotly_js().replace("</script", "<\\/script")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"{_PAGE_STYLE}<script>{js}</script></head><body><h1>{html.escape(title)}</h1>"
        f"{_headline(k.summary)}<div class='wrap'>{_product_table(k)}</div>{charts}"
        "</body></html>"
    )


def write_fab_report(k: FabKPIs, path: str | Path, title: str = "fab simulation") -> Path:
    """Write the self-contained HTML report and return its path."""
    p = Path(path)
    p.write_text(fab_report_html(k, title), encoding="utf-8")
    return p
