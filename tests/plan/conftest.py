"""Shared tiny scenarios for the planner tests (hand-solvable; see tiny_scenarios.py)."""

from __future__ import annotations

import pytest
from tiny_scenarios import tiny_scenario

Q_PRODUCT = [
    {
        "name": "Q",
        "node": "N1",
        "die_width_mm": 10.0,
        "die_height_mm": 10.0,
        "packaging": "Qpack",
        "packages_per_interposer_wafer": 10,
        "list_price_usd": 100.0,
    }
]
Q_LINE = [
    {
        "name": "Qline",
        "kind": "Qpack",
        "owner": "outsourced",
        "capacity_wpm": 1e5,
        "cost_per_wafer_usd": 0.0,
        "assembly_yield": 1.0,
    }
]


@pytest.fixture(scope="session")
def two_customers():
    """One free fab; P limited to 1,000 packages/month by packaging; A (priority 1) wants 800 P,
    B (priority 2) wants 800 P and 800 of the plentiful Q; everyone pays 100 $."""
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 800}, "price_usd": {"P": 100}},
        {
            "name": "B",
            "priority": 2,
            "demand": {"P": 800, "Q": 800},
            "price_usd": {"P": 100, "Q": 100},
        },
    ]
    return tiny_scenario(customers, extra_products=Q_PRODUCT, extra_packaging=Q_LINE)
