"""Tiny hand-solvable instances for the quote tests (``tests/plan/tiny_scenarios.py``).

One product P; packaging caps it at 1,000 per month; fab, dies and money never bind.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fabnet.plan import solve_plan

# the planner tests' tiny scenarios: one module, shared (pytest puts only a test's own folder
# on sys.path)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plan"))
from tiny_scenarios import tiny_scenario


@pytest.fixture(scope="session")
def contracted_world():
    """A (priority 1) has a contract for 600 P/month; B (priority 2) wants 300 without one.
    Packaging costs 100 $ per interposer wafer (10 $ a unit), so the plan makes exactly the 900
    wanted: each month 100 units of headroom are left. Six months."""
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 600}, "contracted": {"P": 600},
         "price_usd": {"P": 100}},
        {"name": "B", "priority": 2, "demand": {"P": 300}, "price_usd": {"P": 100}},
    ]  # fmt: skip
    sc = tiny_scenario(customers, horizon=6, pack_cost=100.0, policy={"allocation": "contracts"})
    return sc, solve_plan(sc)


@pytest.fixture(scope="session")
def short_world():
    """Supply 1,000 P/month, fully wanted: A (priority 1) 400 under contract at 100 $, B
    (priority 2) 300 at 80 $, C (priority 3) 300 at 60 $. Packaging 200 $ per wafer = 20 $ a
    unit. Three months; allocation: contracts, then priority."""
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 400}, "contracted": {"P": 400},
         "price_usd": {"P": 100}},
        {"name": "B", "priority": 2, "demand": {"P": 300}, "price_usd": {"P": 80}},
        {"name": "C", "priority": 3, "demand": {"P": 300}, "price_usd": {"P": 60}},
    ]  # fmt: skip
    sc = tiny_scenario(customers, horizon=3, pack_cost=200.0, policy={"allocation": "contracts"})
    return sc, solve_plan(sc)
