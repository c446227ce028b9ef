"""Scenarios made in code: tiny hand-solvable ones for tests, sized ones for benchmarks.

``tiny_scenario`` gives a world whose answer can be worked out by hand: a node with no defects
(die yield 1, line yield 1, cycle time 0), one free existing fab, one outsourced packaging line
(``pack_wpm`` interposer wafers per month × ``ppw`` packages, assembly yield 1), no HBM, no
discounting. Customers and overrides are passed in as plain dicts.

``generate_scenario(n_sites, n_customers, horizon_months, rng)`` draws a network like the built-in
one (existing fabs for sale and greenfield sites, two leading-edge nodes, four products, CoWoS and
HBM supply, customers in priority tiers) for the planner benchmark; randomness comes from the
``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from fabnet.scenario import Scenario, add_months, load_scenario, scenario_from_dict

__all__ = ["generate_scenario", "tiny_scenario", "tiny_scenario_dict"]


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


def generate_scenario(
    n_sites: int, n_customers: int, horizon_months: int, rng: np.random.Generator
) -> Scenario:
    """A network of ``n_sites`` fab sites (half for sale, half greenfield) and ``n_customers``
    customers over ``horizon_months``, built on the built-in scenario's nodes, products, packaging,
    HBM and investors (scaled with the number of sites). Monthly buckets for 36 months, then
    quarterly, as in the built-in scenario."""
    base = load_scenario(None).model_dump(mode="json", exclude_none=True)
    data = copy.deepcopy(base)
    data["name"] = f"generated-{n_sites}x{n_customers}x{horizon_months}"
    data["policy"]["horizon_months"] = int(horizon_months)
    existing = [f for f in base["fabs"] if f["kind"] == "existing"]
    green = [f for f in base["fabs"] if f["kind"] == "greenfield"]
    fabs = []
    for i in range(n_sites):
        src = copy.deepcopy(existing[i % len(existing)] if i % 2 == 0 else green[i % len(green)])
        src["name"] = f"{src['name']} #{i + 1}"
        scale = float(rng.uniform(0.7, 1.3))
        if src["kind"] == "existing":
            src["asking_price_usd"] *= scale
            src["capacity_wspm"] = round(src["capacity_wspm"] * float(rng.uniform(0.6, 1.4)))
            src["months_to_first_output"] = int(src["months_to_first_output"] + rng.integers(0, 6))
        else:
            for nc in src["nodes"]:
                nc["capex_per_kwspm_usd"] *= scale
            src["lead_time_months"] = int(src["lead_time_months"] + rng.integers(-4, 8))
            src["max_modules"] = int(rng.integers(2, 5))
        fabs.append(src)
    data["fabs"] = fabs
    products = [p["name"] for p in base["products"]]
    customers = []
    start = data["policy"]["start"]
    for c in range(n_customers):
        wanted = rng.choice(products, size=int(rng.integers(1, 3)), replace=False)
        demand = {}
        for p in wanted:
            first = int(rng.integers(0, 24))
            peak = (
                float(rng.uniform(2_000, 40_000))
                * max(n_sites / 8.0, 1.0)
                / max(n_customers / 6.0, 1.0)
            )
            demand[str(p)] = {
                add_months(start, first): round(peak * 0.3),
                add_months(start, first + 36): round(peak),
            }
        customers.append(
            {
                "name": f"customer-{c + 1}",
                "priority": int(rng.integers(1, 5)),
                "demand": demand,
                "price_usd": {
                    str(p): round(
                        float(rng.uniform(0.3, 0.45))
                        * next(q["list_price_usd"] for q in base["products"] if q["name"] == p)
                    )
                    for p in wanted
                },
            }
        )
    data["customers"] = customers
    factor = max(n_sites / 8.0, 1.0)
    for inv in data["investors"]:
        inv["commitment_usd"] *= factor
        for pay in inv.get("pay_in", []):
            pay["amount_usd"] *= factor
    data["financing"]["debt_limit_usd"] *= factor
    for line in data["packaging"]:
        if line["owner"] == "own":
            line["max_expansion_wpm"] *= factor
    data["uncertainties"] = []
    return scenario_from_dict(data)
