"""Plan report and generic builder: charts present, decisions shown, offline, exports."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from fabnet.errors import DataError, UsageError
from fabnet.report import (
    CHART_TITLES,
    PLAN_TABLES,
    Column,
    Section,
    build_report,
    export_tables,
    format_money,
    format_number,
    label_columns,
    plan_report,
)
from fabnet.store import excel_sheet_names

PLOTLY_MARKER = "Plotly.newPlot"


def _plotly_bundle_count(html: str) -> int:
    # a line of plotly.js's licence header appears once per inlined copy of the bundle
    return html.count("plotly.js v")


def test_plan_report_has_every_chart_and_the_decisions(plan_result) -> None:
    summary, tables = plan_result
    html = plan_report(summary, tables)
    for title in CHART_TITLES.values():
        assert title in html, title
    assert html.count(PLOTLY_MARKER) == len(CHART_TITLES)
    for row in tables["decisions"].itertuples():
        assert f"<td>{row.site}</td>" in html
        assert f"<td>{row.start}</td>" in html and f"<td>{row.first_output}</td>" in html
        assert f">{row.capex / 1e6:,.0f}</td>" in html  # capex in M USD with separators
    assert "Capex (M USD)" in html
    for row in tables["customer_limits"].itertuples():
        assert row.limited_by in html
    assert "93.0 %" in html  # OpenAI's fill rate from customer_limits
    assert "$4.15 B" in html and "$8.40 B" in html  # NPV and capex cards
    assert "ai-fab-network-2024" in html


def test_plan_report_is_self_contained_offline(plan_result) -> None:
    summary, tables = plan_result
    html = plan_report(summary, tables)
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*href\s*=\s*[\"']?(https?:)?//", html, re.IGNORECASE)
    assert _plotly_bundle_count(html) == 1  # plotly.js inlined once, not once per chart
    assert html.count("<script") == len(CHART_TITLES) + 1


def test_report_without_figures_carries_no_plotly(plan_result) -> None:
    html = build_report("Only tables", {"Runs": 3}, [Section("A", tables=[("t", pd.DataFrame())])])
    assert _plotly_bundle_count(html) == 0 and "<script" not in html
    assert "no rows" in html


def test_plan_report_tolerates_missing_and_empty_tables(plan_result) -> None:
    summary, tables = plan_result
    partial = {
        "deliveries": tables["deliveries"],
        "shadow_prices": tables["shadow_prices"].iloc[0:0],
    }
    html = plan_report(summary, partial)
    assert CHART_TITLES["supply_demand"] in html
    assert CHART_TITLES["capacity"] not in html
    assert "no capacity table" in html
    assert "No shadow prices were reported" in html


def test_plan_report_names_a_table_with_missing_columns(plan_result) -> None:
    summary, tables = plan_result
    broken = dict(tables, capacity=tables["capacity"].drop(columns=["used_wspm"]))
    with pytest.raises(DataError, match=r"capacity.*used_wspm"):
        plan_report(summary, broken)


def test_fixture_follows_the_table_contract(plan_result) -> None:
    _, tables = plan_result
    for name, columns in PLAN_TABLES.items():
        assert list(tables[name].columns) == list(columns), name


def test_build_report_sections_nav_cards_and_escaping() -> None:
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]), layout={"title": {"text": "A chart"}})
    frame = pd.DataFrame({"fab": ["<b>x</b>", "y"], "wafers": [1234567, 89.5]})
    html = build_report(
        "Title & more",
        {"NPV": "$1.00 B", "Wafers": 1234567},
        [
            Section("First part", text="One.\n\nTwo.", figures=[figure], tables=[("Cap", frame)]),
            Section("First part", text="same title twice"),
        ],
        subtitle="sub",
    )
    assert "Title &amp; more" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # table text is escaped
    assert 'href="#first-part"' in html and 'href="#first-part-2"' in html
    assert "<p>One.</p>" in html and "<p>Two.</p>" in html
    assert ">1,234,567</div>" in html  # card with thousands separators
    assert '<td class="num">1,234,567</td>' in html and '<td class="num">89.50</td>' in html
    assert "A chart" in html


def test_long_tables_are_cut_with_a_note() -> None:
    frame = pd.DataFrame({"n": range(250)})
    html = build_report("t", {}, [Section("s", tables=[("big", frame)])], max_table_rows=100)
    assert html.count("<tr>") == 101  # header + 100 rows
    assert "showing the first 100 of 250 rows" in html


def test_number_formats() -> None:
    assert format_number(1234567.89) == "1,234,568"
    assert format_number(12.345) == "12.35"
    assert format_number(0.012345) == "0.0123"
    assert format_number(float("nan")) == "–"
    assert format_number(3.0) == "3"
    assert format_money(8.4e9) == "$8.40 B"
    assert format_money(-3.2e6) == "−$3.20 M"
    assert format_money(None) == "–"
    labelled = label_columns(
        pd.DataFrame({"capex": [1.8e9], "fill": [0.5]}),
        {
            "capex": Column("Capex (M USD)", scale=1e6, decimals=0),
            "fill": Column("Fill", kind="percent"),
        },
    )
    assert labelled.to_dict(orient="records") == [{"Capex (M USD)": "1,800", "Fill": "50.0 %"}]


def test_export_tables_three_formats(tmp_path: Path, plan_result) -> None:
    _, tables = plan_result
    long_name = "customer_limits_with_a_name_longer_than_thirty_one"
    chosen = {"deliveries": tables["deliveries"], long_name: tables["customer_limits"]}
    files = export_tables(chosen, tmp_path, ("csv", "parquet", "xlsx"), workbook="plan.xlsx")
    assert [p.name for p in files][-1] == "plan.xlsx"
    assert len(files) == 5
    back = pd.read_parquet(tmp_path / "deliveries.parquet")
    pd.testing.assert_frame_equal(back, tables["deliveries"])
    csv = pd.read_csv(tmp_path / "deliveries.csv")
    assert csv["delivered"].sum() == pytest.approx(tables["deliveries"]["delivered"].sum())
    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert list(sheets) == ["deliveries", long_name[:31]]
    assert all(len(name) <= 31 for name in sheets)
    assert list(sheets[long_name[:31]]["limited_by"]) == list(
        tables["customer_limits"]["limited_by"]
    )
    with pytest.raises(UsageError, match="unknown export format pdf"):
        export_tables(chosen, tmp_path, "csv,pdf")


def test_excel_sheet_names_valid_and_unique() -> None:
    names = excel_sheet_names(["a" * 40, "a" * 40, "x/y:z", "A" * 31])
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == 4
    assert names[2] == "x_y_z"


def test_quarterly_buckets_are_shown_as_monthly_rates() -> None:
    # the planner switches from monthly to quarterly buckets; a quarter's total is 3 months' worth
    from fabnet.report.plan_charts import bucket_lengths, supply_demand_chart

    labels = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-07", "2024-10"]
    lengths = bucket_lengths(pd.Series(labels))
    assert lengths.tolist() == [1, 1, 1, 3, 3, 3]
    deliveries = pd.DataFrame(
        {
            "customer": "OpenAI",
            "product": "acc-a",
            "month": labels,
            "demand": [100.0, 100.0, 100.0, 300.0, 300.0, 600.0],  # 100 a month, then 200
            "delivered": [50.0, 50.0, 50.0, 150.0, 150.0, 300.0],
            "shortage": [50.0, 50.0, 50.0, 150.0, 150.0, 300.0],
        }
    )
    figure = supply_demand_chart(deliveries)
    bars = next(t for t in figure.data if t.name == "OpenAI")
    demand = next(t for t in figure.data if t.name == "demand")
    assert list(demand.y) == [100.0, 100.0, 100.0, 100.0, 100.0, 200.0]
    assert list(bars.y) == [50.0, 50.0, 50.0, 50.0, 50.0, 100.0]
    day_ms = 86_400_000
    assert bars.width[0] == pytest.approx(0.85 * 30.4375 * day_ms)  # a month wide
    assert bars.width[-1] == pytest.approx(3 * bars.width[0])  # a quarter wide


def test_a_text_column_has_one_alignment() -> None:
    """A period column mixing "2023" and "2023Q4" stays left-aligned in every row (the backtest
    report right-aligned the years alone); a column of formatted numbers is right-aligned."""
    from fabnet.report._format import table_cells

    frame = pd.DataFrame(
        {"period": ["2023Q4", "2023", "2024"], "model": ["1,234", "5 %", "0.844%"]}
    )
    headers, rows = table_cells(frame)
    assert headers == ["period", "model"]
    assert [r[0][1] for r in rows] == [False, False, False]
    assert [r[1][1] for r in rows] == [True, True, True]
