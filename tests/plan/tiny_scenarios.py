"""Tiny hand-solvable scenarios made in code, for the planner tests.

``tiny_scenario`` gives a world whose answer can be worked out by hand: a node with no defects
(die yield 1, line yield 1, cycle time 0), one free existing fab, one outsourced packaging line
(``pack_wpm`` interposer wafers per month × ``ppw`` packages, assembly yield 1), no HBM, no
discounting. Customers and overrides are passed in as plain dicts.

Test modules of this folder import it as ``from tiny_scenarios import tiny_scenario`` (pytest puts
the folder of a test module on ``sys.path``). The sized scenarios of the planner benchmark are in
``benchmarks/generate.py``.
"""

from __future__ import annotations

from typing import Any

from fabnet.scenario import Scenario, scenario_from_dict

__all__ = ["tiny_scenario", "tiny_scenario_dict"]


def tiny_scenario_dict(
    customers: list[dict[str, Any]],
    *,
    horizon: int = 3,
    pack_wpm: float = 100.0,
    ppw: float = 10.0,
    pack_cost: float = 0.0,
    extra_products: list[dict[str, Any]] | None = None,
    extra_packaging: list[dict[str, Any]] | None = None,
    fabs: list[dict[str, Any]] | None = None,
    investors: list[dict[str, Any]] | None = None,
    policy: dict[str, Any] | None = None,
    financing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The dict of a hand-solvable scenario (see the module docstring)."""
    pol = {
        "start": "2024-01",
        "horizon_months": horizon,
        "bucket": "month",
        "discount_rate": 0.0,
        "objective": "npv",
        "allocation": "priority",
        "shortage_penalty_usd": 10.0,
        "priority_weight_ratio": 2.0,
        "default_utilisation": 1.0,
        "mip_gap": 0.0,
        "time_limit_seconds": 30,
    }
    pol.update(policy or {})
    product = {
        "name": "P",
        "node": "N1",
        "die_width_mm": 10.0,
        "die_height_mm": 10.0,
        "compute_dies": 1,
        "hbm_stacks": 0,
        "packaging": "CoWoS",
        "packages_per_interposer_wafer": ppw,
        "list_price_usd": 100.0,
    }
    default_fab = {
        "kind": "existing",
        "name": "Fab A",
        "region": "US",
        "node": "N1",
        "capacity_wspm": 1000.0,
        "asking_price_usd": 0.0,
        "available_from": "2024-01",
        "months_to_first_output": 0,
        "opex_per_wafer_usd": 0.0,
        "ramp_months": 0,
    }
    return {
        "name": "tiny",
        "policy": pol,
        "nodes": [
            {
                "name": "N1",
                "d0_start_per_cm2": 0.0,
                "d0_mature_per_cm2": 0.0,
                "learning_tau_months": 6,
                "mask_layers": 1,
                "days_per_layer": 1.0,
                "line_yield": 1.0,
            }
        ],
        "fabs": fabs if fabs is not None else [default_fab],
        "products": [product, *(extra_products or [])],
        "packaging": [
            {
                "name": "Slots",
                "kind": "CoWoS",
                "owner": "outsourced",
                "capacity_wpm": pack_wpm,
                "cost_per_wafer_usd": pack_cost,
                "assembly_yield": 1.0,
            },
            *(extra_packaging or []),
        ],
        "hbm": [],
        "customers": customers,
        "investors": investors or [],
        "financing": {"debt_limit_usd": 0.0, "minimum_cash_usd": 0.0, **(financing or {})},
    }


def tiny_scenario(customers: list[dict[str, Any]], **kwargs: Any) -> Scenario:
    """:func:`tiny_scenario_dict` validated into a :class:`Scenario`."""
    return scenario_from_dict(tiny_scenario_dict(customers, **kwargs))
