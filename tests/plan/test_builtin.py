"""The built-in scenario end to end: the answer a semiconductor planner would check."""

from __future__ import annotations

import pytest

from fabnet.plan import PlanResult, solve_plan
from fabnet.scenario import load_scenario, scenario_from_dict


@pytest.fixture(scope="module")
def builtin() -> PlanResult:
    return solve_plan(load_scenario(None), time_limit=120)


@pytest.mark.slow
def test_builtin_plan_is_sensible(builtin):
    r = builtin
    s = r.summary
    assert s["status"] in ("optimal", "time_limit")
    assert s["mip_gap"] is not None and s["mip_gap"] <= 0.01 + 1e-9
    dec = r.decisions
    # leading-edge capacity is built where it is cheapest and fastest (Tainan, 30 months)
    fabs = dec[dec["node"].isin(["N4", "N3", "N7"])]
    assert not fabs.empty
    assert "Taiwan (Tainan)" in set(fabs["site"])
    # the bridge: bought-in N4 wafers (agreement from 2024-03, 4 months to wafers out) ship
    # accelerators in 2024-26, long before the first own module's output
    assert s["first_good_accelerator"] >= "2024-07"
    assert all(s["delivered_by_year"][y] > 0 for y in ("2024", "2025", "2026"))
    assert s["outside_wafers_total"] > 0
    # nothing is delivered outside its product's life cycle
    sc = load_scenario(None)
    dl = r.tables["deliveries"]
    shipped = dl[dl["delivered"] > 1e-6]
    pairs = zip(shipped["product"], shipped["month"], strict=True)
    assert all(sc.product(p).is_active(m) for p, m in pairs)
    # paid as a foundry, not as the chip's designer: revenue per accelerator ~ foundry work
    assert 3_000 < s["revenue_total"] / s["delivered_total"] < 10_000
    assert s["irr"] is not None
    # the offtake partner with priority 1 and a contract is served best
    fills = s["fill_rate_by_customer"]
    assert fills["OpenAI"] == max(fills.values())
    # packaging (CoWoS) or HBM limits the lower-priority customers, not money
    limits = " ".join(r.tables["customer_limits"]["limited_by"])
    assert "CoWoS packaging" in limits or "supply" in limits
    # capex stays within partners' money plus the debt limit
    assert s["capex_total"] <= 9e9 + 10e9


@pytest.mark.slow
def test_builtin_npv_depends_on_the_tax_rate(builtin):
    """Issue 10: ``financing.tax_rate`` was accepted and did nothing. With the built-in plan's
    decisions held, operations re-optimised: untaxed, the NPV is higher by the tax paid
    (discounted), and the cash-flow table shows no tax; the NPV also moves with the rate."""
    base = load_scenario(None)
    rate = base.financing.tax_rate
    assert rate > 0
    data = base.model_dump(mode="json", exclude_none=True)
    data["financing"]["tax_rate"] = 0.0
    untaxed = solve_plan(scenario_from_dict(data), fixed=builtin, explain=False)
    assert untaxed.tables["cash_flow"]["tax"].abs().sum() == pytest.approx(0.0, abs=1e-3)
    paid = builtin.tables["cash_flow"]["tax"].sum()
    assert paid > 0
    assert untaxed.summary["npv"] > builtin.summary["npv"] + 1e6
    data["financing"]["tax_rate"] = 2 * rate
    heavier = solve_plan(scenario_from_dict(data), fixed=builtin, explain=False)
    assert heavier.summary["npv"] < builtin.summary["npv"] - 1e6
