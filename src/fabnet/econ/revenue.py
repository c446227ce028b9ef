"""The bridge from a scenario's revenue terms to prices: what each customer pays per unit.

Picks the scenario fields and calls the formulas of :mod:`fabnet.econ.pricing` (one formula, one
place); the planner, ``fabnet econ`` and the reports all read prices from here.

Per customer, product and month (:func:`unit_price`):

* ``merchant`` — ``customers[*].price_usd`` (default ``list_price_usd``) × ``price_index(t)``;
* ``foundry`` — :func:`fabnet.econ.foundry_unit_price` with the price list's wafer price of the
  product's node at month *t*, the good dies per *started* wafer at the node's mature defect
  density (line yield included: the agreed yield of a good-die contract), the price list's
  packaging price per interposer wafer, HBM at the cheapest supplier's price with the mark-up,
  and the test price (default: the product's ``test_cost_usd``);
* ``cost_plus`` — the same structure with the agreed wafer cost in place of the wafer price,
  packaging at the outside-line cost, HBM and test at cost, times ``1 + margin``
  (:func:`fabnet.econ.cost_plus_unit_price`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.econ.accelerator import (
    die_yield_for,
    dies_per_wafer,
    hbm_price,
    packaging_cost_per_wafer,
)
from fabnet.econ.pricing import cost_plus_unit_price, foundry_unit_price
from fabnet.scenario import Scenario, series_values

__all__ = ["mature_good_dies_per_wafer", "price_table", "unit_price"]

FloatArray = npt.NDArray[np.float64]


def mature_good_dies_per_wafer(scenario: Scenario, product: str) -> float:
    """Good compute dies per started wafer of ``product`` at its node's mature defect density
    (exact die map × line yield × harvested die yield)."""
    p = scenario.product(product)
    node = scenario.node(p.node)
    y = float(die_yield_for(p, node, node.d0_mature_per_cm2))
    return dies_per_wafer(scenario, product) * node.line_yield * y


def unit_price(scenario: Scenario, customer: str, product: str, months: list[str]) -> FloatArray:
    """Price per good accelerator that ``customer`` pays for ``product`` in each of ``months``."""
    c = scenario.customer(customer)
    p = scenario.product(product)
    terms = c.terms_for(product)
    if terms.model == "merchant":
        base = c.price_usd.get(product, p.list_price_usd)
        return base * np.asarray(series_values(p.price_index, months), dtype=np.float64)
    pl = scenario.price_list(terms.price_list)
    gdpw = mature_good_dies_per_wafer(scenario, product)
    stack = hbm_price(scenario, p.hbm_type) if p.hbm_stacks else 0.0
    if terms.model == "foundry":
        wafer = series_values(pl.wafer_price_usd[p.node], months)
        markup = pl.hbm_markup if terms.hbm_markup is None else terms.hbm_markup
        test = (
            series_values(pl.test_price_usd, months)
            if pl.test_price_usd is not None
            else p.test_cost_usd
        )
        pack = series_values(pl.packaging_price_per_interposer_wafer_usd, months)
        price = foundry_unit_price(
            np.asarray(wafer), gdpw, p.compute_dies, np.asarray(pack),
            p.packages_per_interposer_wafer, p.hbm_stacks, stack, markup, np.asarray(test),
        )  # fmt: skip
        return np.asarray(price.total, dtype=np.float64)
    # cost_plus
    wafer_cost = series_values(terms.wafer_cost_usd[p.node], months)
    pack_cost, _ = packaging_cost_per_wafer(scenario, p.packaging)
    cost = foundry_unit_price(
        np.asarray(wafer_cost), gdpw, p.compute_dies, pack_cost,
        p.packages_per_interposer_wafer, p.hbm_stacks, stack, 0.0, p.test_cost_usd,
    )  # fmt: skip
    return np.asarray(cost_plus_unit_price(cost.total, terms.margin), dtype=np.float64)


def price_table(scenario: Scenario, months: list[str] | None = None) -> pd.DataFrame:
    """One row per customer, product it wants and month: ``customer, product, month, model,
    price`` (USD per good accelerator). ``months``: default the horizon's first month of each
    year."""
    if months is None:
        months = [m for m in scenario.months if m.endswith("-01")]
    rows = []
    for c in scenario.customers:
        for prod in sorted(set(c.demand) | set(c.contracted) | set(c.take_or_pay)):
            model = c.terms_for(prod).model
            prices = unit_price(scenario, c.name, prod, months)
            for m, v in zip(months, prices, strict=True):
                rows.append(
                    {"customer": c.name, "product": prod, "month": m, "model": model, "price": v}
                )
    return pd.DataFrame(rows, columns=["customer", "product", "month", "model", "price"])
