"""Finance: capex schedules, depreciation, discounting, NPV, IRR, payback, funding coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabnet.econ import (
    capex_schedule,
    discount_factors,
    funding_coverage,
    irr,
    npv,
    payback_month,
    straight_line_depreciation,
)

# --- capex schedules ------------------------------------------------------------------------------


def test_uniform_schedule():
    s = capex_schedule(1200.0, 12, 3, 24)
    assert s.shape == (24,)
    assert np.all(s[3:15] == 100.0)
    assert s[:3].sum() == 0 and s[15:].sum() == 0


def test_s_curve_schedule():
    m = 10
    s = capex_schedule(1000.0, m, 0, 12, shape="s_curve")
    assert s.sum() == pytest.approx(1000.0)
    assert s[0] == pytest.approx(1000.0 * (3 / m**2 - 2 / m**3))  # smoothstep at 1/m: 28
    assert np.allclose(s[:m], s[:m][::-1])  # symmetric
    assert np.argmax(s) in (4, 5)  # peaks mid-build
    assert s[0] < s[1] < s[2]


def test_schedule_cut_at_horizon_and_before_zero():
    assert capex_schedule(1200.0, 12, 20, 24).sum() == pytest.approx(400.0)  # months 20-23
    assert capex_schedule(1200.0, 12, -4, 24).sum() == pytest.approx(800.0)  # months 0-7
    assert capex_schedule(1200.0, 12, 30, 24).sum() == 0.0


def test_schedule_broadcasts_over_totals_and_checks_inputs():
    s = capex_schedule(np.array([100.0, 200.0, 300.0]), 4, 1, 8)
    assert s.shape == (3, 8)
    assert np.allclose(s.sum(axis=1), [100, 200, 300])
    with pytest.raises(ValueError, match="months"):
        capex_schedule(100.0, 0, 0, 8)
    with pytest.raises(ValueError, match="total"):
        capex_schedule(-1.0, 4, 0, 8)
    with pytest.raises(ValueError, match="shape must be 'uniform' or 's_curve'"):
        capex_schedule(1.0, 4, 0, 8, shape="linear")  # type: ignore[arg-type]


# --- depreciation -------------------------------------------------------------------------------


def test_depreciation_by_hand():
    capex = np.zeros(24)
    capex[0] = 1200.0
    d = straight_line_depreciation(capex, 12, 36)
    assert np.all(d[:12] == 100.0) and np.all(d[12:] == 0.0)
    # not in service until month 6: construction in progress is not depreciated
    d = straight_line_depreciation(capex, 12, 36, in_service_month=6)
    assert np.all(d[:6] == 0) and np.all(d[6:18] == 100.0) and np.all(d[18:] == 0)
    # spending after the in-service month starts depreciating when spent
    capex[10] = 120.0
    d = straight_line_depreciation(capex, 12, 36, in_service_month=6)
    assert d[10] == pytest.approx(110.0) and d[21] == pytest.approx(10.0) and d[22] == 0.0


def test_depreciation_truncated_by_short_horizon():
    d = straight_line_depreciation(np.array([1200.0]), 12, 6)
    assert d.sum() == pytest.approx(600.0)


@settings(max_examples=100, deadline=None)
@given(
    spend=st.lists(st.floats(0.0, 1e9), min_size=1, max_size=60),
    life=st.integers(1, 240),
    in_service=st.integers(0, 60),
)
def test_depreciation_sums_to_capex_over_long_horizon(spend, life, in_service):
    capex = np.array(spend)
    horizon = len(spend) + in_service + life
    d = straight_line_depreciation(capex, life, horizon, in_service_month=in_service)
    assert d.sum() == pytest.approx(capex.sum(), rel=1e-9, abs=1e-6)
    assert np.all(d >= 0)


def test_depreciation_vectorised_over_scenarios():
    capex = np.array([[1200.0, 0.0], [0.0, 2400.0]])
    d = straight_line_depreciation(capex, 12, 24)
    assert d.shape == (2, 24)
    assert d[0, 0] == 100.0 and d[1, 0] == 0.0 and d[1, 1] == 200.0


# --- discounting, NPV, IRR ----------------------------------------------------------------------


def test_discount_factors():
    assert discount_factors(0.08, 12) == pytest.approx(1 / 1.08)
    assert discount_factors(0.08, 0) == 1.0
    f = discount_factors(0.10, np.arange(25))
    assert f[24] == pytest.approx(1 / 1.21)
    assert np.all(np.diff(f) < 0)
    with pytest.raises(ValueError, match="rate_per_year"):
        discount_factors(-1.0, 12)


def test_npv_by_hand():
    cf = np.zeros(13)
    cf[0], cf[12] = -100.0, 110.0
    assert npv(cf, 0.10) == pytest.approx(0.0, abs=1e-12)
    assert npv(cf, 0.0) == pytest.approx(10.0)
    # the same flows on a quarterly grid
    assert npv([-100.0, 0, 0, 0, 110.0], 0.10, months_per_step=3) == pytest.approx(0, abs=1e-12)
    # several scenarios and rates at once
    both = npv(np.stack([cf, 2 * cf]), np.array([0.10, 0.0]))
    assert both == pytest.approx([0.0, 20.0], abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=120))
def test_npv_at_zero_rate_is_sum(flows):
    assert npv(flows, 0.0) == pytest.approx(sum(flows), rel=1e-9, abs=1e-3)


def test_irr_known_values():
    cf = np.zeros(13)
    cf[0], cf[12] = -100.0, 110.0
    assert irr(cf) == pytest.approx(0.10, abs=1e-12)
    assert irr([-100.0, 0, 0, 0, 121.0], months_per_step=6) == pytest.approx(0.10, abs=1e-12)
    # yearly flows: -1000 then 3 x 500 -> IRR 23.375% (textbook annuity value)
    assert irr([-1000.0, 500.0, 500.0, 500.0], months_per_step=12) == pytest.approx(
        0.23375, abs=1e-5
    )
    # losing money: IRR below zero
    assert irr([-100.0, 50.0], months_per_step=12) == pytest.approx(-0.5, abs=1e-12)


def test_irr_without_sign_change_is_nan():
    assert np.isnan(irr([100.0, 50.0]))
    assert np.isnan(irr([-100.0, -50.0]))
    assert np.isnan(irr([0.0, 0.0, 0.0]))
    r = irr(np.array([[-100.0, 110.0], [100.0, 50.0]]), months_per_step=12)
    assert r[0] == pytest.approx(0.10) and np.isnan(r[1])


@settings(max_examples=100, deadline=None)
@given(
    invest=st.lists(st.floats(1e6, 1e9), min_size=1, max_size=36),
    returns=st.lists(st.floats(0.0, 1e9), min_size=1, max_size=120),
)
def test_irr_zeroes_npv(invest, returns):
    cf = np.array([-x for x in invest] + returns)
    r = irr(cf)
    # investment then returns: one sign change, so one IRR, found when it lies in the search
    # range (-99% to 100,000% a year); e.g. $2 back on $1M after a month is -100% + 4e-69
    if npv(cf, -0.99) * npv(cf, 1000.0) > 0:
        assert np.isnan(r)
    else:
        assert np.isfinite(r)
        assert abs(npv(cf, r)) <= 1e-7 * np.abs(cf).sum()


# --- payback and funding -----------------------------------------------------------------------


def test_payback_month():
    assert payback_month([-100.0, 30, 30, 30, 30]) == 4.0  # cum -100 -70 -40 -10 20
    assert payback_month([-100.0, 60, 60, -30, 10]) == 4.0  # cum ... 20 -10 0: back at 4
    assert np.isnan(payback_month([-100.0, 60, 60, -50, 10]))  # ends at -20
    assert payback_month([10.0, 20.0]) == 0.0  # never under water
    assert payback_month([-100.0, 30, 30, 30, 30], months_per_step=3) == 12.0
    p = payback_month(np.array([[-1.0, 2.0], [-1.0, 0.5]]))
    assert p[0] == 1.0 and np.isnan(p[1])


def test_funding_coverage_by_hand():
    # cum spend 5 10 15 20, cum commitments 10 10 10 10 -> gap -5 0 5 10
    fc = funding_coverage([5.0, 5, 5, 5], [10.0, 0, 0, 0], debt_limit=4.0)
    assert np.array_equal(fc.cumulative_gap, [-5.0, 0.0, 5.0, 10.0])
    assert fc.first_shortfall_month == 2.0
    assert fc.first_breach_month == 2.0  # 5 > 4
    assert fc.peak_gap == 10.0
    assert fc.extra_equity_needed == 6.0
    fc = funding_coverage([5.0, 5, 5, 5], [10.0, 0, 0, 0], debt_limit=5.0)
    assert fc.first_breach_month == 3.0  # 5 is within the line, 10 is not


def test_funding_fully_covered_and_revenue_months():
    fc = funding_coverage([5.0, 5, -20, 5], [10.0, 0, 0, 0])
    assert np.isnan(fc.first_shortfall_month) and np.isnan(fc.first_breach_month)
    assert fc.peak_gap == 0.0 and fc.extra_equity_needed == 0.0
    with pytest.raises(ValueError, match="same months"):
        funding_coverage([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="commitments_by_month"):
        funding_coverage([1.0, 2.0], [1.0, -1.0])


def test_funding_vectorised_over_scenarios():
    spend = np.array([[5.0, 5, 5], [1.0, 1, 1]])
    fc = funding_coverage(spend, [6.0, 0, 0], debt_limit=np.array([0.0, 0.0]))
    assert list(fc.peak_gap) == [9.0, 0.0]
    assert fc.first_shortfall_month[0] == 1.0 and np.isnan(fc.first_shortfall_month[1])
