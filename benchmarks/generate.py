"""Sized scenarios for the planner benchmark (``bench_plan.py``).

``generate_scenario(n_sites, n_customers, horizon_months, rng)`` draws a network like the built-in
one (existing fabs for sale and greenfield sites, two leading-edge nodes, four products, CoWoS and
HBM supply, customers in priority tiers); randomness comes from the ``numpy.random.Generator``
passed in. (It lived in ``fabnet.plan.generate`` until that module left the package.)
"""

from __future__ import annotations

import copy

import numpy as np

from fabnet.scenario import Scenario, load_scenario, scenario_from_dict
from fabnet.vocab import Month

__all__ = ["generate_scenario"]


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
    start = Month.parse(data["policy"]["start"])
    # a demand series starts at or after its product's launch (the scenario refuses one before)
    launch_at = {
        p["name"]: max(Month.parse(p["launch"]) - start, 0) if p.get("launch") else 0
        for p in base["products"]
    }
    for c in range(n_customers):
        wanted = rng.choice(products, size=int(rng.integers(1, 3)), replace=False)
        demand = {}
        for p in wanted:
            first = max(int(rng.integers(0, 24)), launch_at[str(p)])
            peak = (
                float(rng.uniform(2_000, 40_000))
                * max(n_sites / 8.0, 1.0)
                / max(n_customers / 6.0, 1.0)
            )
            demand[str(p)] = {
                str(start + first): round(peak * 0.3),
                str(start + first + 36): round(peak),
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
