"""Capable-to-promise on instances solved by hand (conftest.short_world and a spare one).

short_world: supply 1,000 P/month all wanted — A 400 under contract (priority 1), B 300 at 80 $
(priority 2), C 300 at 60 $ (priority 3); units cost 20 $ of packaging. Decisions are held.

* 200 in 2024-01 at priority 1: the lowest-priority uncontracted demand goes first — C loses 200
  in January. Production does not change, so the order's cost is C's lost sales:
  break-even price = 200 × 60 / 200 = 60 $; NPV change = 200 × (150 − 60) = 18,000 $.
* 400 in 2024-01: C loses all 300, then B 100 → (300 × 60 + 100 × 80) / 400 = 65 $.
* With spare capacity (no C) the order is made on top: price = 20 $ of packaging a unit.
"""

from __future__ import annotations

import pytest
from tiny_scenarios import tiny_scenario

from fabnet.plan import solve_plan
from fabnet.quote import QuoteRequest, capable_to_promise


def _displaced(answer):
    return {(d.customer, d.month): pytest.approx(d.units, abs=1e-2) for d in answer.displaced}


def test_ctp_displaces_the_lowest_priority_first_at_its_marginal_cost(short_world):
    sc, plan = short_world
    a = capable_to_promise(sc, plan, QuoteRequest("NewCo", "P", 200, "2024-01", max_price=150,
                                                  priority=1))  # fmt: skip
    assert a.quantity == pytest.approx(200) and a.complete_by == "2024-01"
    assert _displaced(a) == {("C", "2024-01"): 200}
    assert a.price_per_unit == pytest.approx(60.0, rel=1e-6)
    assert a.npv_change == pytest.approx(200 * (150 - 60), rel=1e-6)
    assert a.cost_breakdown["revenue_others"] == pytest.approx(-200 * 60, rel=1e-6)
    assert any(b["constraint"] == "packaging" for b in a.binding)


def test_ctp_takes_from_the_next_level_when_the_lowest_is_used_up(short_world):
    sc, plan = short_world
    a = capable_to_promise(sc, plan, QuoteRequest("NewCo", "P", 400, "2024-01", max_price=150,
                                                  priority=1))  # fmt: skip
    assert a.on_time_quantity == pytest.approx(400)
    assert _displaced(a) == {("C", "2024-01"): 300, ("B", "2024-01"): 100}
    assert a.price_per_unit == pytest.approx((300 * 60 + 100 * 80) / 400, rel=1e-5)


def test_ctp_with_spare_capacity_costs_the_production():
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 400}, "contracted": {"P": 400},
         "price_usd": {"P": 100}},
        {"name": "B", "priority": 2, "demand": {"P": 300}, "price_usd": {"P": 80}},
    ]  # fmt: skip
    sc = tiny_scenario(customers, horizon=3, pack_cost=200.0, policy={"allocation": "contracts"})
    plan = solve_plan(sc)
    a = capable_to_promise(sc, plan, QuoteRequest("NewCo", "P", 200, "2024-02", max_price=150))
    assert a.quantity == pytest.approx(200) and a.complete_by == "2024-02"
    assert a.displaced == ()
    assert a.price_per_unit == pytest.approx(20.0, rel=1e-6)
    assert a.npv_change == pytest.approx(200 * (150 - 20), rel=1e-6)
