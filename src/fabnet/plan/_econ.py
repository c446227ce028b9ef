"""The planner's only door to the economics formulas (one formula, one place: ``fabnet.econ``).

Uses the lead's scenario bridge ``fabnet.econ.accelerator`` (``dies_per_wafer``,
``die_yield_at``) when it is importable, else calls the same ``fabnet.econ`` formulas directly:

* dies per wafer: the exact die-map count (:func:`fabnet.econ.dies.exact_dies_per_wafer`);
* die yield after ``age`` months of learning: the node's defect-density curve
  (:mod:`fabnet.econ.learning`, ``age < 0`` → start value) fed into the node's yield model, with
  die harvesting (:func:`fabnet.econ.yield_models.harvested_yield`) when the product has spare
  units and the model is Poisson or negative binomial.

Good dies per *started* wafer multiply in the node's line yield (wafers that come out whole):
:math:`\\mathrm{GDPW}(a) = \\mathrm{DPW} \\cdot Y_{\\mathrm{line}} \\cdot Y_{\\mathrm{die}}(a)`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fabnet.scenario import Scenario

__all__ = ["die_yield_at", "dies_per_wafer", "good_dies_per_wafer_at"]


def _bridge() -> object | None:
    try:
        from fabnet.econ import accelerator
    except ImportError:
        return None
    needed = ("dies_per_wafer", "die_yield_at")
    return accelerator if all(hasattr(accelerator, n) for n in needed) else None


def dies_per_wafer(scenario: Scenario, product_name: str) -> int:
    """Whole compute dies per wafer of ``product_name`` (exact die map)."""
    bridge = _bridge()
    if bridge is not None:
        return int(bridge.dies_per_wafer(scenario, product_name))  # type: ignore[attr-defined]
    from fabnet.econ.dies import exact_dies_per_wafer

    product = scenario.product(product_name)
    node = scenario.node(product.node)
    return int(
        exact_dies_per_wafer(
            product.die_width_mm,
            product.die_height_mm,
            node.wafer_diameter_mm,
            node.edge_exclusion_mm,
            node.scribe_mm,
        )
    )


def die_yield_at(
    scenario: Scenario, product_name: str, age_months: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Harvested die yield of ``product_name`` after ``age_months`` of learning (vectorised)."""
    ages = np.asarray(age_months, dtype=np.float64)
    bridge = _bridge()
    if bridge is not None:
        return np.asarray(bridge.die_yield_at(scenario, product_name, ages), dtype=np.float64)  # type: ignore[attr-defined]
    from fabnet.econ.learning import defect_density_exponential, defect_density_gompertz
    from fabnet.econ.yield_models import die_yield, harvested_yield

    product = scenario.product(product_name)
    node = scenario.node(product.node)
    curve = (
        defect_density_gompertz if node.learning_curve == "gompertz" else defect_density_exponential
    )
    d0 = np.asarray(
        curve(ages, node.d0_start_per_cm2, node.d0_mature_per_cm2, node.learning_tau_months),
        dtype=np.float64,
    )
    area_cm2 = product.die_area_mm2 / 100.0
    harvest = product.harvesting
    if harvest is not None and node.yield_model in ("poisson", "negative_binomial"):
        alpha = None if node.yield_model == "poisson" else node.cluster_alpha
        y = harvested_yield(
            area_cm2,
            d0,
            harvest.units,
            harvest.spare_units,
            harvest.unit_area_fraction,
            alpha,
        )
    else:
        y = die_yield(node.yield_model, area_cm2, d0, node.cluster_alpha)
    return np.broadcast_to(np.asarray(y, dtype=np.float64), ages.shape).copy()


def good_dies_per_wafer_at(
    scenario: Scenario, product_name: str, age_months: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Good compute dies per started wafer after ``age_months`` of learning (line yield included)."""
    product = scenario.product(product_name)
    node = scenario.node(product.node)
    dpw = dies_per_wafer(scenario, product_name)
    return dpw * node.line_yield * die_yield_at(scenario, product_name, age_months)
