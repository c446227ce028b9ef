"""The risk report reads like the plan report: rates per month, dates, IRR in percent, no
internal columns, a figure that never varies stated once, the plan beside the futures."""

from __future__ import annotations

import re

import pytest

from fabnet._json import to_jsonable
from fabnet.report.risk import risk_report
from fabnet.risk import evaluate_plan, model_from_plan
from fabnet.risk.beside import explain, plan_figures


@pytest.fixture(scope="module")
def html(tiny_plan) -> str:
    sc, plan = tiny_plan
    model = model_from_plan(sc, plan)
    result = evaluate_plan(model, 60, 2)
    summary = to_jsonable(result.summary())
    summary["plan"] = plan_figures(model, plan)
    summary["explanation"] = explain(result, summary["plan"])
    return risk_report(summary, result.tables())


def test_no_internal_columns(html):
    assert "nan_count" not in html and "bin_low" not in html


def test_first_accelerator_is_a_date(html):
    """The tiny site's first wafers come out 15 months after 2024-01 (12 months to build, a
    3-month cycle), with a delay of 0-12 months: dates 2025-04 .. 2026-04, never "month 15"."""
    row = re.search(r"first accelerator</td>(.*?)</tr>", html, re.S)
    assert row is not None
    dates = re.findall(r"\d{4}-\d{2}", row.group(1))
    assert dates and all("2025-04" <= d <= "2026-04" for d in dates)


def test_irr_in_percent_and_money_in_billions(html):
    row = re.search(r">IRR</td>(.*?)</tr>", html, re.S)
    assert row is not None and "%" in row.group(1)
    assert "B" in re.search(r">NPV</td>(.*?)</tr>", html, re.S).group(1)


def test_constant_capex_is_stated_once(html):
    """No overrun in the tiny scenario: capex is one value, said in words, not a one-bar
    histogram with an axis of 1.15000001 B$."""
    assert "capex: $" in html and "in every future" in html
    assert "Distribution of capex" not in html


def test_plan_beside_the_futures(html):
    assert "The plan beside the futures" in html
    assert "assumes every uncertain input at its base value" in html
    assert "accelerators per month (units)" in html  # the fan, labelled as the plan report
