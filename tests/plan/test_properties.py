"""Monotonicity properties of the least achievable shortage (hypothesis, few examples each).

Each example solves two tiny plans with objective ``shortage`` (least weighted shortage within
the money available, then NPV). Examples are derandomised so CI runs the same cases.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_scenarios import tiny_scenario

from fabnet.plan import solve_plan

FEW = settings(max_examples=2, deadline=None, derandomize=True)


def _fab(price: float, first_output: int = 1) -> dict:
    return {
        "kind": "existing",
        "name": "Fab for sale",
        "region": "US",
        "node": "N1",
        "capacity_wspm": 1000.0,
        "asking_price_usd": price,
        "available_from": "2024-01",
        "months_to_first_output": first_output,
        "opex_per_wafer_usd": 0.0,
        "ramp_months": 0,
    }


def _shortage(money: float, demand: float, price: float) -> float:
    investors = [{"name": "I", "commitment_usd": money}]
    customers = [{"name": "A", "priority": 1, "demand": {"P": demand}, "price_usd": {"P": 0.0}}]
    sc = tiny_scenario(
        customers, horizon=6, fabs=[_fab(price)], investors=investors, pack_cost=100.0
    )
    r = solve_plan(sc, objective="shortage", explain=False)
    return sum(r.summary["shortage_by_customer"].values())


@FEW
@given(
    money=st.integers(0, 60).map(lambda k: k * 25_000.0),
    extra=st.integers(1, 40).map(lambda k: k * 25_000.0),
    price=st.integers(0, 20).map(lambda k: k * 25_000.0),
)
def test_more_money_never_increases_least_shortage(money, extra, price):
    assert _shortage(money + extra, 1500.0, price) <= _shortage(money, 1500.0, price) + 1e-6


@FEW
@given(
    demand=st.integers(1, 30).map(lambda k: k * 100.0),
    more=st.integers(1, 30).map(lambda k: k * 100.0),
    money=st.integers(0, 40).map(lambda k: k * 25_000.0),
)
def test_more_demand_never_lowers_least_shortage(demand, more, money):
    assert _shortage(money, demand + more, 200_000.0) >= _shortage(money, demand, 200_000.0) - 1e-6


def _early_deliveries(lead_time: int) -> float:
    site = {
        "kind": "greenfield",
        "name": "Greenfield",
        "region": "US",
        "nodes": [{"node": "N1", "capex_per_kwspm_usd": 0.1e6}],
        "module_wspm": 1000.0,
        "lead_time_months": lead_time,
        "ramp_curve": [0.5, 1.0],
        "max_modules": 1,
        "opex_per_wafer_usd": 0.0,
    }
    customers = [{"name": "A", "priority": 1, "demand": {"P": 1000}}]
    investors = [{"name": "I", "commitment_usd": 1e6}]
    sc = tiny_scenario(customers, horizon=18, fabs=[site], investors=investors)
    r = solve_plan(sc, objective="shortage", explain=False)
    return float(r.tables["deliveries"]["delivered"].sum())


@FEW
@given(lead=st.integers(0, 10), longer=st.integers(1, 6))
def test_longer_lead_time_never_raises_early_deliveries(lead, longer):
    assert _early_deliveries(lead + longer) <= _early_deliveries(lead) + 1e-6
