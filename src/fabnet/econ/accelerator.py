"""The bridge from a scenario to the formulas: dies, yields and costs of each product.

Everything here calls the formulas of :mod:`fabnet.econ` (one formula, one place); this module
only picks the right scenario fields. The planner and ``fabnet econ`` both use it.

Conventions:
- Die yield at "age" *t* months means the node's defect density after *t* months of learning
  at the fab making it (t < 0: not started, start density).
- Harvesting (spare units) is modelled for Poisson and negative-binomial defect statistics
  (Seeds is NB with α = 1). For Murphy's model the harvesting gain of the Poisson model is applied
  to Murphy's yield (an approximation, stated here).
- Own-fab wafer cost: straight-line depreciation of the module's capex (equipment and building
  on their lives, :attr:`Financing.equipment_share`) plus operating cost, over good wafers out
  at the policy's default utilisation and the node's line yield (:func:`fabnet.econ.wafer_cost`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.econ.cost import AcceleratorCost, accelerator_cost, cost_per_good_die, wafer_cost
from fabnet.econ.dies import exact_dies_per_wafer
from fabnet.econ.learning import defect_density_exponential, defect_density_gompertz
from fabnet.econ.yield_models import die_yield, harvested_yield
from fabnet.scenario import (
    GreenfieldSite,
    Newcomer,
    OutsideFoundry,
    ProcessNode,
    Product,
    Scenario,
    series_end,
)

__all__ = [
    "WaferCostBasis",
    "defect_density_at",
    "die_yield_at",
    "die_yield_for",
    "dies_per_wafer",
    "hbm_price",
    "outside_good_dies_per_wafer",
    "own_wafer_cost",
    "packaging_cost_per_wafer",
    "product_economics",
    "site_defect_density",
]

FloatArray = npt.NDArray[np.float64]


def dies_per_wafer(scenario: Scenario, product: str) -> int:
    """Gross dies per wafer of ``product``'s compute die (exact die-map count)."""
    p = scenario.product(product)
    n = scenario.node(p.node)
    return int(
        exact_dies_per_wafer(
            p.die_width_mm, p.die_height_mm, n.wafer_diameter_mm, n.edge_exclusion_mm, n.scribe_mm
        )
    )


def defect_density_at(node: ProcessNode, age_months: npt.ArrayLike) -> FloatArray:
    """Defect density [1/cm²] of ``node`` after ``age_months`` of learning."""
    curve = (
        defect_density_gompertz if node.learning_curve == "gompertz" else defect_density_exponential
    )
    return np.asarray(
        curve(age_months, node.d0_start_per_cm2, node.d0_mature_per_cm2, node.learning_tau_months),
        dtype=np.float64,
    )


def site_defect_density(
    node: ProcessNode, age_months: npt.ArrayLike, newcomer: Newcomer | None = None
) -> FloatArray:
    r"""Defect density [1/cm²] after ``age_months`` at a site, with a newcomer's handicap.

    A newcomer starts at :math:`f_s D_\mathrm{start}`, tends to :math:`f_m D_\mathrm{mature}`
    and begins to learn ``learning_delay_months`` after first output:

    .. math:: D(a) = D_\mathrm{curve}\bigl(\max(a - \delta, 0);\ f_s D_s,\ f_m D_m,\ \tau\bigr)

    (``a < 0``, not started: the start density). Without ``newcomer`` it is
    :func:`defect_density_at`. The factors and the delay are the scenario's ``fabs[*].newcomer``.
    """
    if newcomer is None:
        return defect_density_at(node, age_months)
    handicapped = node.model_copy(
        update={
            "d0_start_per_cm2": node.d0_start_per_cm2 * newcomer.d0_start_factor,
            "d0_mature_per_cm2": node.d0_mature_per_cm2 * newcomer.d0_mature_factor,
        }
    )
    age = np.asarray(age_months, dtype=np.float64)
    shifted = np.where(age < 0, age, np.maximum(age - newcomer.learning_delay_months, 0.0))
    return defect_density_at(handicapped, shifted)


def outside_good_dies_per_wafer(
    scenario: Scenario, supplier: OutsideFoundry, product: str
) -> float:
    """Good compute dies per wafer of ``product`` bought from ``supplier``: the exact die map ×
    its line yield (default the node's) × the harvested die yield at *its* defect density
    (default the node's mature one). No learning reset: the wafers come from a running line."""
    p = scenario.product(product)
    node = scenario.node(p.node)
    if supplier.node != p.node:
        raise ValueError(f"{supplier.name} makes {supplier.node} wafers, {product} needs {p.node}")
    d0 = node.d0_mature_per_cm2 if supplier.d0_per_cm2 is None else supplier.d0_per_cm2
    line = node.line_yield if supplier.line_yield is None else supplier.line_yield
    return dies_per_wafer(scenario, product) * line * float(_yield_for(p, node, d0))


def _yield_for(product: Product, node: ProcessNode, d0: npt.ArrayLike) -> FloatArray:
    area_cm2 = product.die_area_mm2 / 100.0
    plain = np.asarray(die_yield(node.yield_model, area_cm2, d0, node.cluster_alpha), dtype=float)
    h = product.harvesting
    if h is None:
        return plain
    alpha: float | None
    if node.yield_model == "negative_binomial":
        alpha = node.cluster_alpha
    elif node.yield_model == "seeds":
        alpha = 1.0
    else:
        alpha = None
    harvested = np.asarray(
        harvested_yield(area_cm2, d0, h.units, h.spare_units, h.unit_area_fraction, alpha),
        dtype=float,
    )
    if node.yield_model != "murphy":
        return harvested
    poisson = np.asarray(die_yield("poisson", area_cm2, d0), dtype=float)
    gain = np.divide(harvested, poisson, out=np.ones_like(harvested), where=poisson > 0)
    return np.minimum(plain * gain, 1.0)


def die_yield_for(product: Product, node: ProcessNode, d0: npt.ArrayLike) -> FloatArray:
    """Share of ``product``'s compute dies on ``node`` that are good (after harvesting) at defect
    density ``d0`` [1/cm²] (the module's conventions)."""
    return _yield_for(product, node, d0)


def die_yield_at(scenario: Scenario, product: str, age_months: npt.ArrayLike) -> FloatArray:
    """Share of ``product``'s compute dies that are good (after harvesting) at a process age."""
    p = scenario.product(product)
    node = scenario.node(p.node)
    return _yield_for(p, node, defect_density_at(node, age_months))


def hbm_price(scenario: Scenario, hbm_type: str) -> float:
    """Lowest price per stack of ``hbm_type`` among the suppliers (0 if none)."""
    prices = [h.price_usd for h in scenario.hbm if h.hbm_type == hbm_type]
    return min(prices) if prices else 0.0


def packaging_cost_per_wafer(scenario: Scenario, kind: str) -> tuple[float, float]:
    """(cost per interposer wafer, assembly yield) of the outside line for ``kind``.

    The yield is the line's mature one, like the die yield of :func:`product_economics`: a
    ramping line's (a dated path) value after its last point.

    The outside (bought-slot) price is the market figure; with no outside line, the cheapest own line.
    """
    lines = [line for line in scenario.packaging if line.kind == kind]
    if not lines:
        return 0.0, 1.0
    outside = [line for line in lines if line.owner == "outsourced"]
    line = min(outside or lines, key=lambda x: x.cost_per_wafer_usd)
    return line.cost_per_wafer_usd, series_end(line.assembly_yield)


@dataclass(frozen=True)
class WaferCostBasis:
    """Where a wafer's cost comes from: a site's own module, or a foundry's price."""

    label: str
    cost_per_wafer: float


def own_wafer_cost(scenario: Scenario, site: GreenfieldSite, node: str) -> float:
    """Cost per good wafer [USD] of a new module for ``node`` at ``site``: depreciation of its
    capex (with the site's newcomer capex premium) plus operating cost and the node's licence
    fee per wafer."""
    capex_per_kwspm = next(nc.capex_per_kwspm_usd for nc in site.nodes if nc.node == node)
    premium = site.newcomer.capex_premium if site.newcomer is not None else 0.0
    capex = capex_per_kwspm * (1.0 + premium) * site.module_wspm / 1000.0
    fin = scenario.financing
    return float(
        wafer_cost(
            equipment_capex=capex * fin.equipment_share,
            building_capex=capex * (1.0 - fin.equipment_share),
            equipment_life_years=fin.equipment_life_years,
            building_life_years=fin.building_life_years,
            opex_per_wafer=site.opex_per_wafer_usd + scenario.node(node).licence_fee_per_wafer_usd,
            wafers_per_month=site.module_wspm,
            utilisation=scenario.policy.default_utilisation,
            line_yield=scenario.node(node).line_yield,
        )
    )


def _cheapest_own_basis(scenario: Scenario, node: str) -> WaferCostBasis | None:
    options = [
        WaferCostBasis(f"own module at {site.name}", own_wafer_cost(scenario, site, node))
        for site in scenario.greenfield_sites
        if any(nc.node == node for nc in site.nodes)
    ]
    return min(options, key=lambda b: b.cost_per_wafer) if options else None


def _finished_cost(
    p: Product,
    dpw: int,
    die_yield: float,
    stack_price: float,
    ip_cost: float,
    asm_yield: float,
    wafer: float,
) -> tuple[float, AcceleratorCost]:
    """(cost per good die, finished-accelerator cost breakdown) for one wafer cost."""
    die = float(cost_per_good_die(wafer, dpw, die_yield))
    breakdown = accelerator_cost(
        p.compute_dies, die, p.hbm_stacks, stack_price, ip_cost,
        p.packages_per_interposer_wafer, p.test_cost_usd, asm_yield,
    )  # fmt: skip
    return die, breakdown


def product_economics(scenario: Scenario) -> pd.DataFrame:
    """One row per product: dies, yields, and the cost of a finished accelerator.

    Columns: product, node, dies_per_wafer, die_yield (mature), die_yield_start (first output),
    good_dies_per_wafer (mature), wafer_cost_basis, wafer_cost, cost_per_good_die, hbm_cost,
    packaging_cost, test_cost, cost_per_accelerator, foundry_wafer_price,
    cost_per_accelerator_foundry (same with the foundry's wafer price), list_price,
    gross_margin (at list price, own-fab cost).
    """
    rows = []
    for p in scenario.products:
        node = scenario.node(p.node)
        dpw = dies_per_wafer(scenario, p.name)
        y_mature = float(_yield_for(p, node, node.d0_mature_per_cm2))
        y_start = float(_yield_for(p, node, node.d0_start_per_cm2))
        ip_cost, asm_yield = packaging_cost_per_wafer(scenario, p.packaging)
        stack_price = hbm_price(scenario, p.hbm_type) if p.hbm_stacks else 0.0

        finished = partial(_finished_cost, p, dpw, y_mature, stack_price, ip_cost, asm_yield)

        own = _cheapest_own_basis(scenario, p.node)
        foundry = node.foundry_wafer_price_usd
        basis = own or (WaferCostBasis("foundry price", foundry) if foundry else None)
        row: dict[str, object] = {
            "product": p.name,
            "node": p.node,
            "dies_per_wafer": dpw,
            "die_yield": y_mature,
            "die_yield_start": y_start,
            "good_dies_per_wafer": dpw * y_mature,
            "wafer_cost_basis": basis.label if basis else "none",
            "wafer_cost": basis.cost_per_wafer if basis else float("nan"),
        }
        if basis is not None:
            die, b = finished(basis.cost_per_wafer)
            row |= {
                "cost_per_good_die": die,
                "hbm_cost": float(b.hbm),
                "packaging_cost": float(b.packaging),
                "test_cost": float(b.test),
                "cost_per_accelerator": float(b.total),
            }
        row["foundry_wafer_price"] = foundry if foundry is not None else float("nan")
        row["cost_per_accelerator_foundry"] = (
            float(finished(foundry)[1].total) if foundry else float("nan")
        )
        row["list_price"] = p.list_price_usd
        cost = float(row.get("cost_per_accelerator", float("nan")))  # type: ignore[arg-type]
        row["gross_margin"] = (
            (p.list_price_usd - cost) / p.list_price_usd if p.list_price_usd > 0 else float("nan")
        )
        rows.append(row)
    return pd.DataFrame(rows)
