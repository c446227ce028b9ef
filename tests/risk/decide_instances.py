"""Hand-solvable instances of the risk-aware and staged plans, built on the planner's tiny
scenarios (``tests/plan/tiny_scenarios.py``: yield 1, no discounting, no tax, packaging caps
sales at 1,000 units a month). Imported by the tests of this folder as a module file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from fabnet.scenario import Scenario

_spec = importlib.util.spec_from_file_location(
    "plan_tiny_scenarios", Path(__file__).parents[1] / "plan" / "tiny_scenarios.py"
)
assert _spec is not None and _spec.loader is not None
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)
tiny_scenario = _tiny.tiny_scenario
tiny_scenario_dict = _tiny.tiny_scenario_dict

__all__ = ["fab_for_sale", "greenfield_dict", "greenfield_only"]


def _customer(price: float) -> list[dict[str, Any]]:
    return [{"name": "A", "priority": 1, "demand": {"P": 1000}, "price_usd": {"P": price}}]


def _investor(amount: float) -> list[dict[str, Any]]:
    return [{"name": "I", "commitment_usd": amount,
             "pay_in": [{"month": "2024-01", "amount_usd": amount}]}]  # fmt: skip


def fab_for_sale(price: float, commitment: float = 2e6, debt_limit: float = 0.0) -> Scenario:
    """One fab for sale (0.5 M$, first output 3 months after purchase, 1,000 wafers a month);
    1,000 units a month sell at ``price``; 24 months. Bought in 2024-01 it sells 21 months:
    NPV = 21,000 × price − 0.5 M$ (later purchases only lose months)."""
    fabs = [
        {"kind": "existing", "name": "Fab for sale", "region": "US", "node": "N1",
         "capacity_wspm": 1000.0, "asking_price_usd": 0.5e6, "available_from": "2024-01",
         "months_to_first_output": 3, "opex_per_wafer_usd": 0.0, "ramp_months": 0}
    ]  # fmt: skip
    return tiny_scenario(
        _customer(price), horizon=24, fabs=fabs, investors=_investor(commitment),
        policy={"shortage_penalty_usd": 0.0}, financing={"debt_limit_usd": debt_limit},
    )  # fmt: skip


def greenfield_dict(price: float) -> dict[str, Any]:
    """:func:`greenfield_only` as a scenario dict (for a scenario file)."""
    fabs = [
        {"kind": "greenfield", "name": "Greenfield", "region": "US",
         "nodes": [{"node": "N1", "capex_per_kwspm_usd": 1.0e6}], "module_wspm": 1000.0,
         "lead_time_months": 2, "ramp_curve": [1.0], "max_modules": 1,
         "opex_per_wafer_usd": 0.0}
    ]  # fmt: skip
    return tiny_scenario_dict(
        _customer(price), horizon=24, fabs=fabs, investors=_investor(2e6),
        policy={"shortage_penalty_usd": 0.0},
    )  # fmt: skip


def greenfield_only(price: float) -> Scenario:
    """One greenfield site (1 M$ per module, at most one, 2 months from start to first output,
    a start every 3 months); 1,000 units a month at ``price``; 24 months. Started in month s
    (0 = 2024-01) it sells 22 − s months: NPV = (22 − s) × 1,000 × price − 1 M$."""
    fabs = [
        {"kind": "greenfield", "name": "Greenfield", "region": "US",
         "nodes": [{"node": "N1", "capex_per_kwspm_usd": 1.0e6}], "module_wspm": 1000.0,
         "lead_time_months": 2, "ramp_curve": [1.0], "max_modules": 1,
         "opex_per_wafer_usd": 0.0}
    ]  # fmt: skip
    return tiny_scenario(
        _customer(price), horizon=24, fabs=fabs, investors=_investor(2e6),
        policy={"shortage_penalty_usd": 0.0},
    )  # fmt: skip
