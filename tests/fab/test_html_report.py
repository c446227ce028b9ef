"""The fab report written without plotly's Python package (:mod:`fabnet.fab.html_report`)
shows the same charts as the plotly-built one (:mod:`fabnet.report.fab`): same traces, same data,
same titles, the same headline; and it is self-contained (plotly.js embedded)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fabnet.fab import minifab, simulate
from fabnet.fab.html_report import fab_report_html, plotly_js, write_fab_report

_NEWPLOT = re.compile(r"Plotly\.newPlot\(\s*\"([^\"]+)\",\s*")


def _decoded(value):
    """plotly writes numpy arrays as ``{"dtype", "bdata"}`` (base64): back to plain lists."""
    if isinstance(value, dict) and set(value) >= {"dtype", "bdata"}:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return arr.reshape(value["shape"]).tolist() if "shape" in value else arr.tolist()
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def _charts(page: str) -> list[tuple[list, dict]]:
    """The (data, layout) of every ``Plotly.newPlot`` call in a page."""
    decoder = json.JSONDecoder()
    out = []
    for m in _NEWPLOT.finditer(page):
        data, end = decoder.raw_decode(page, m.end())
        rest = page[end:].lstrip(" ,\n")
        layout, _ = decoder.raw_decode(rest)
        out.append((_decoded(data), layout))
    return out


@pytest.fixture(scope="module")
def kpis_minifab():
    return simulate(minifab(), days=20, warmup_days=2)


def test_same_charts_as_the_plotly_report(kpis_minifab):
    from fabnet.report.fab import fab_report_html as plotly_report

    ours, theirs = _charts(fab_report_html(kpis_minifab)), _charts(plotly_report(kpis_minifab))
    assert len(ours) == len(theirs) == 4
    for (data, layout), (ref_data, ref_layout) in zip(ours, theirs, strict=True):
        assert len(data) == len(ref_data) > 0
        for trace, ref in zip(data, ref_data, strict=True):
            assert trace["type"] == ref["type"] and trace.get("name") == ref.get("name")
            for axis in ("x", "y"):
                if axis in ref:
                    assert (
                        trace[axis] == pytest.approx(ref[axis])
                        if isinstance(ref[axis][0], float)
                        else trace[axis] == ref[axis]
                    )
        for key in ("title", "xaxis", "yaxis", "barmode"):
            assert layout.get(key) == ref_layout.get(key), key
        assert layout["template"] == ref_layout["template"]  # the plotly template, verbatim


def test_headline_is_the_plotly_reports(kpis_minifab):
    from fabnet.report.fab import fab_report_html as plotly_report

    def headline(page: str) -> str:
        return re.search(r"<p>.*?</p>", page).group(0)

    assert headline(fab_report_html(kpis_minifab)) == headline(plotly_report(kpis_minifab))


def test_report_is_self_contained(tmp_path: Path, kpis_minifab):
    p = write_fab_report(kpis_minifab, tmp_path / "r.html", title="a <fab>")
    text = p.read_text()
    assert plotly_js()[:2000] in text  # the installed plotly.js, embedded, not a CDN link
    assert "cdn.plot.ly" not in text.split("plotly.js v")[0][:2000]
    assert "<title>a &lt;fab&gt;</title>" in text
    products = kpis_minifab.products
    table = re.search(r"<table>.*?</table>", text).group(0)
    assert table.count("<tr>") == len(products) + 1  # header + one row per product
    for name in products["product"]:
        assert f"<td>{name}</td>" in table
