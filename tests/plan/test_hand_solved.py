"""Build-or-buy and money on instances worked out by hand (no discounting, yield 1)."""

from __future__ import annotations

import pytest
from tiny_scenarios import tiny_scenario

from fabnet.errors import InfeasibleError
from fabnet.plan import solve_plan

CUSTOMER = [{"name": "A", "priority": 1, "demand": {"P": 1000}, "price_usd": {"P": 100}}]


def _buy_or_build(lead_time: int):
    """A fab for sale (0.5 M$, first output after 3 months) and a greenfield site (0.1 M$ per
    module of 1,000 wspm, first output after ``lead_time``); 1,000 P/month sell at 100 $ and
    packaging caps supply at 1,000/month, so one fab is enough; 24 months."""
    fabs = [
        {
            "kind": "existing",
            "name": "Fab for sale",
            "region": "US",
            "node": "N1",
            "capacity_wspm": 1000.0,
            "asking_price_usd": 0.5e6,
            "available_from": "2024-01",
            "months_to_first_output": 3,
            "opex_per_wafer_usd": 0.0,
            "ramp_months": 0,
        },
        {
            "kind": "greenfield",
            "name": "Greenfield",
            "region": "US",
            "nodes": [{"node": "N1", "capex_per_kwspm_usd": 0.1e6}],
            "module_wspm": 1000.0,
            "lead_time_months": lead_time,
            "ramp_curve": [1.0],
            "max_modules": 2,
            "opex_per_wafer_usd": 0.0,
        },
    ]
    investors = [
        {"name": "I", "commitment_usd": 1e6, "pay_in": [{"month": "2024-01", "amount_usd": 1e6}]}
    ]
    return tiny_scenario(CUSTOMER, horizon=24, fabs=fabs, investors=investors)


def test_buying_wins_when_building_is_too_slow():
    # buy: 21 months x 1,000 x 100 $ - 0.5 M$ = 1.6 M$; build (12 months lead): 12 months of
    # sales - 0.1 M$ = 1.1 M$; both: 2.1 - 0.6 = 1.5 M$. Buying alone is best.
    r = solve_plan(_buy_or_build(lead_time=12))
    dec = r.decisions
    assert dec[["site", "action", "start", "modules"]].values.tolist() == [
        ["Fab for sale", "buy", "2024-01", 1]
    ]
    assert r.summary["npv"] == pytest.approx(1.6e6, rel=1e-6)
    assert r.summary["first_good_accelerator"] == "2024-04"
    assert sum(r.summary["delivered_by_year"].values()) == pytest.approx(21_000, rel=1e-6)


def test_building_wins_when_it_is_fast():
    # build with 2 months lead: 22 months of sales - 0.1 M$ = 2.1 M$ > buying's 1.6 M$
    r = solve_plan(_buy_or_build(lead_time=2))
    assert r.decisions[["site", "action", "modules"]].values.tolist() == [
        ["Greenfield", "build", 1]
    ]
    assert r.summary["npv"] == pytest.approx(2.1e6, rel=1e-6)


def test_shadow_price_of_money_when_the_budget_binds():
    # Units cost 100 $ (packaging 1,000 $ per wafer / 10 per wafer), sell for 0, and each unit
    # short costs a 500 $ penalty. 1 M$ buys 10,000 of the 100,000 wanted. One more dollar makes
    # 1/100 unit: +5 $ of penalty avoided, -1 $ of NPV spent -> shadow price 4 USD per USD.
    customers = [{"name": "A", "priority": 1, "demand": {"P": 100_000}, "price_usd": {"P": 0.0}}]
    investors = [
        {"name": "I", "commitment_usd": 1e6, "pay_in": [{"month": "2024-01", "amount_usd": 1e6}]}
    ]
    sc = tiny_scenario(
        customers,
        horizon=1,
        pack_wpm=1e6,
        pack_cost=1000.0,
        investors=investors,
        policy={"shortage_penalty_usd": 500.0},
    )
    r = solve_plan(sc)
    assert r.tables["deliveries"]["delivered"].sum() == pytest.approx(10_000, rel=1e-6)
    sp = r.tables["shadow_prices"]
    cash = sp[(sp.constraint == "cash") & (sp.month == "2024-01")]["value"].item()
    assert cash == pytest.approx(4.0, rel=1e-6)
    limits = r.tables["customer_limits"]
    assert "money (cash floor)" in limits["limited_by"].item()


def test_packaging_shadow_price_is_the_margin_per_wafer():
    # 1,000 P/month fit in 100 interposer wafers; price 100 $, cost 0: one more wafer (10 more
    # units) in a month is worth 10 x 100 $ = 1,000 $ while demand (5,000) exceeds supply.
    customers = [{"name": "A", "priority": 1, "demand": {"P": 5000}, "price_usd": {"P": 100}}]
    r = solve_plan(tiny_scenario(customers, policy={"shortage_penalty_usd": 0.0}))
    sp = r.tables["shadow_prices"]
    pk = sp[sp.constraint == "packaging"]["value"]
    assert pk.tolist() == pytest.approx([1000.0] * 3, rel=1e-6)


def test_infeasible_budget_is_explained_in_scenario_terms():
    sc = tiny_scenario(CUSTOMER, financing={"minimum_cash_usd": 1e6})
    with pytest.raises(InfeasibleError) as info:
        solve_plan(sc)
    text = str(info.value)
    assert "minimum_cash_usd" in text
    assert "2024-01" in text
    assert "Highs" not in text and "row" not in text.lower().split()


def test_fixed_decisions_are_held(two_customers):
    first = solve_plan(two_customers)
    again = solve_plan(two_customers, fixed=first)
    assert (
        again.decisions[["site", "start", "modules"]].values.tolist()
        == first.decisions[["site", "start", "modules"]].values.tolist()
    )
    assert again.summary["npv"] == pytest.approx(first.summary["npv"], rel=1e-6)
    none = solve_plan(two_customers, fixed=[])
    assert none.decisions.empty
    assert sum(none.summary["delivered_by_year"].values()) == 0.0


def test_compare_strategies_side_by_side():
    from fabnet.plan import compare_strategies

    table, results = compare_strategies(_buy_or_build(lead_time=12), explain=False)
    rows = table.set_index("strategy")
    assert rows.loc["buy", "npv"] == pytest.approx(1.6e6, rel=1e-6)
    # build only: one module, 12 months of sales from 2025-01 - 0.1 M$ = 1.1 M$
    assert rows.loc["build", "npv"] == pytest.approx(1.1e6, rel=1e-6)
    assert rows.loc["mixed", "npv"] == pytest.approx(1.6e6, rel=1e-6)
    assert rows.loc["build", "first_good_accelerator"] == "2025-01"
    assert rows.loc["buy", "funding_gap"] == 0.0  # 0.5 M$ of 1 M$ committed
    assert set(results) == {"buy", "build", "mixed"}
