"""Allocation policies on a hand-solved instance (tests/plan/conftest.py::two_customers).

Supply of P: packaging 100 interposer wafers/month × 10 packages = 1,000 P per month; fab, dies
and money never bind; Q is plentiful. Demands per month: A 800 P; B 800 P + 800 Q.

* priority: A gets 800 P, B 200 P → fill A = 1, B = (200 + 800) / 1600 = 0.625;
* proportional (equal share of each product): P split 500/500 → A 0.625, B 1300/1600 = 0.8125;
* maxmin (horizon fill rates): A gets x P with x/800 = (1000 − x + 800)/1600 → x = 600,
  both 0.75 — differs from proportional because B's plentiful Q counts toward its fill rate;
* contracts: B's contracted 500 P/month comes before A's priority → A 500 P, B 500 P.
"""

from __future__ import annotations

import pytest
from tiny_scenarios import tiny_scenario

from fabnet.plan import solve_plan


def _fills(result):
    return result.summary["fill_rate_by_customer"]


def test_priority_serves_a_first(two_customers):
    r = solve_plan(two_customers, policy="priority")
    assert _fills(r)["A"] == pytest.approx(1.0, abs=1e-6)
    assert _fills(r)["B"] == pytest.approx(0.625, abs=1e-6)
    dl = r.tables["deliveries"]
    b_p = dl[(dl.customer == "B") & (dl["product"] == "P")]
    assert b_p["delivered"].tolist() == pytest.approx([200.0] * 3, abs=1e-3)
    limits = r.tables["customer_limits"].set_index(["customer", "product"])
    assert "priority: served after A" in limits.loc[("B", "P"), "limited_by"]
    assert "CoWoS packaging" in limits.loc[("B", "P"), "limited_by"]


def test_maxmin_equalises_horizon_fill_rates(two_customers):
    r = solve_plan(two_customers, policy="maxmin")
    assert _fills(r)["A"] == pytest.approx(0.75, abs=1e-5)
    assert _fills(r)["B"] == pytest.approx(0.75, abs=1e-5)
    dl = r.tables["deliveries"]
    assert dl[(dl.customer == "A")]["delivered"].sum() == pytest.approx(1800.0, rel=1e-5)


def test_proportional_gives_equal_fill_rate_per_product(two_customers):
    r = solve_plan(two_customers, policy="proportional")
    dl = r.tables["deliveries"]
    p = dl[dl["product"] == "P"].assign(fill=lambda x: x.delivered / x.demand)
    assert p["fill"].tolist() == pytest.approx([0.625] * len(p), abs=1e-6)
    assert _fills(r)["B"] == pytest.approx(0.8125, abs=1e-6)


def test_proportional_equal_fill_with_three_unequal_customers():
    customers = [
        {"name": n, "priority": pr, "demand": {"P": dem}}
        for n, pr, dem in (("A", 1, 300), ("B", 2, 900), ("C", 3, 1800))
    ]
    r = solve_plan(tiny_scenario(customers), policy="proportional")
    fills = _fills(r)
    assert fills["A"] == pytest.approx(1000 / 3000, abs=1e-6)  # 1,000 supply / 3,000 demand
    assert fills["A"] == pytest.approx(fills["B"], abs=1e-6) == pytest.approx(fills["C"], abs=1e-6)


def test_contracts_come_before_priority():
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 800}},
        {"name": "B", "priority": 2, "demand": {"P": 800}, "contracted": {"P": 500}},
    ]
    sc = tiny_scenario(customers, policy={"allocation": "contracts", "contracts_then": "priority"})
    r = solve_plan(sc)
    assert _fills(r)["B"] == pytest.approx(500 / 800, abs=1e-6)
    assert _fills(r)["A"] == pytest.approx(500 / 800, abs=1e-6)
    r2 = solve_plan(sc, policy="priority")
    assert _fills(r2)["A"] == pytest.approx(1.0, abs=1e-6)


def test_contracts_beyond_supply_keep_the_least_shortfall(monkeypatch):
    """Contracts that supply cannot meet: the contracts stage solves its LP; contracts that it
    can meet: the stage needs none (the plan has no shortfall, which is already the least).

    By hand, per month: supply 1,000 P; A (priority 1) and B both want 800 with 700 contracted.
    Least total shortfall: a + b = 1,000 with a, b ≤ 700 gives (700 − a) + (700 − b) = 400 (for
    a > 700 it is a − 300 > 400). Keeping it, priority gives A the most: a = 700, b = 300, so fill
    A = 700/800 = 0.875 and B = 300/800 = 0.375 (priority alone would give A 800).
    """
    import fabnet.plan.allocation as allocation

    calls: list[str] = []
    real = allocation.run_highs

    def counting(m, **kw):
        calls.append("lp")
        return real(m, **kw)

    monkeypatch.setattr(allocation, "run_highs", counting)
    policy = {"allocation": "contracts", "contracts_then": "priority"}
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 800}, "contracted": {"P": 700}},
        {"name": "B", "priority": 2, "demand": {"P": 800}, "contracted": {"P": 700}},
    ]
    r = solve_plan(tiny_scenario(customers, policy=policy))
    assert _fills(r)["A"] == pytest.approx(700 / 800, abs=1e-6)
    assert _fills(r)["B"] == pytest.approx(300 / 800, abs=1e-6)
    assert len(calls) == 2  # the contracts stage and priority level 1

    calls.clear()
    customers[0]["contracted"] = {"P": 300}
    customers[1]["contracted"] = {"P": 500}
    r = solve_plan(tiny_scenario(customers, policy=policy))
    # contracts 300 + 500 fit in 1,000: none short; then A gets the other 200 by priority
    assert _fills(r)["A"] == pytest.approx(500 / 800, abs=1e-6)
    assert _fills(r)["B"] == pytest.approx(500 / 800, abs=1e-6)
    assert len(calls) == 1  # priority level 1 only: the contracts stage needed no LP
