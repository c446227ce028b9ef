"""Hostile values through `fabnet plan`, bounded error messages, and reports that cope with
infinite or empty values (issue 15, items 1, 3 and 5)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from fabnet.errors import Problem, ScenarioError

CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("demand-1e308.yaml", "customers[0].demand.H100-class"),
        ("demand-inf.yaml", "customers[0].demand.H100-class"),
        ("inf-commitment.yaml", "investors[0].commitment_usd"),
        ("nan-customer-price.yaml", "customers[0].price_usd.H100-class"),
        ("impossible-date.yaml", "policy.start"),
        ("list-as-name-with-table.yaml", "customers[0].name"),
        ("nul-in-demand-table-path.yaml", "demand_table"),
        ("deep-flow.yaml", ""),
    ],
)
def test_plan_refuses_hostile_values_with_json_naming_the_field(cli_json, tmp_path, name, path):
    """These used to end in a traceback (exit 1), a solver's message naming no field, or a
    plan reported 'optimal' with a NaN price."""
    code, body, text = cli_json("plan", str(CORPUS / name), "--out", str(tmp_path / "out"))
    assert code == 2, text[:2000]
    assert body["error"] == "ScenarioError"
    assert path in {p["path"] for p in body["problems"]}
    assert "Traceback" not in text and "HiGHS" not in text


def test_plan_at_the_upper_limits_solves_and_reports(cli_json, tmp_path, base_text):
    """Demand, capacity, prices and money at the largest values the scenario accepts."""
    text = (
        base_text.replace("demand: {H100-class: 20000}", "demand: {H100-class: 1.0e9}")
        .replace("price_usd: {H100-class: 9000}", "price_usd: {H100-class: 1.0e9}")
        .replace("capacity_wspm: 20000", "capacity_wspm: 1.0e9")
        .replace("commitment_usd: 6.0e9", "commitment_usd: 1.0e13")
        .replace("amount_usd: 3.0e9", "amount_usd: 5.0e12")
        .replace("debt_limit_usd: 10.0e9", "debt_limit_usd: 1.0e13")
    )
    scenario = tmp_path / "extreme.yaml"
    scenario.write_text(text)
    code, body, out = cli_json("plan", str(scenario), "--out", str(tmp_path / "out"))
    assert code == 0, out[:2000]
    assert body["status"] == "optimal" and math.isfinite(body["npv"])
    assert (tmp_path / "out" / "report.html").stat().st_size > 1000


def _bomb(levels: int = 9, width: int = 10) -> list:
    value: list = ["lol"] * width
    for _ in range(levels):
        value = [value] * width  # shared, as YAML aliases build it: 10**10 items when expanded
    return value


def test_error_values_are_shortened_before_they_are_rendered():
    """The error formatter used repr() on the whole expanded value: it hung on an alias bomb."""
    start = time.perf_counter()
    error = ScenarioError([Problem("name", "Input should be a valid string", _bomb())], "x.yaml")
    text = str(error)
    body = error.to_dict()
    assert time.perf_counter() - start < 0.5
    assert len(text) < 1000 and len(str(body)) < 1000
    assert "(got [[[" in text


def test_an_error_lists_at_most_50_problems_and_counts_the_rest():
    error = ScenarioError([Problem(f"customers[{i}].priority", "too big", 99) for i in range(5000)])
    assert len(error.problems) == 50 and error.omitted == 4950
    assert "5,000 problems" in str(error) and "4,950 more" in str(error)
    assert len(str(error)) < 10_000
    long = ScenarioError([Problem("p" * 10_000, "m" * 100_000, "v" * 100_000, "f" * 10_000)])
    assert len(str(long)) < 2000 and len(str(long.to_dict())) < 2500


def test_report_numbers_cope_with_infinite_huge_empty_and_text_values():
    import pandas as pd

    from fabnet.report import format_money, format_number, format_percent
    from fabnet.report._format import table_cells

    odd = [math.inf, -math.inf, math.nan, None, 1e308, -1e308, 10**400, "n/a", pd.NA]
    for fmt in (format_number, format_money, format_percent):
        shown = [fmt(v) for v in odd]
        assert all(isinstance(s, str) and len(s) < 30 for s in shown), (fmt, shown)
    assert format_money(math.inf) == "$∞" and format_number(-math.inf) == "−∞"
    assert format_money(1e308) == "$1e+308" and format_percent(math.inf) == "∞ %"
    headers, rows = table_cells(pd.DataFrame({"x": [math.inf, math.nan, 1e300]}))
    assert headers == ["x"] and [r[0][0] for r in rows] == ["∞", "–", "1e+300"]
    assert table_cells(pd.DataFrame()) == ([], [])
