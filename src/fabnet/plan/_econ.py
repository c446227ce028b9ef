"""The planner's only door to the economics formulas (one formula, one place: ``fabnet.econ``).

Dies per wafer (exact die map) and harvested die yield after ``age`` months of defect-density
learning come from the scenario bridge :mod:`fabnet.econ.accelerator`. The planner adds only the
node's line yield (wafers that come out whole):

.. math::

    \\mathrm{GDPW}(a) = \\mathrm{DPW} \\cdot Y_{\\mathrm{line}} \\cdot Y_{\\mathrm{die}}(a)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fabnet.econ.accelerator import (
    die_yield_at,
    die_yield_for,
    dies_per_wafer,
    site_defect_density,
)
from fabnet.scenario import Newcomer, Scenario

__all__ = ["die_yield_at", "dies_per_wafer", "good_dies_per_wafer_at"]


def good_dies_per_wafer_at(
    scenario: Scenario,
    product_name: str,
    age_months: npt.ArrayLike,
    newcomer: Newcomer | None = None,
) -> npt.NDArray[np.float64]:
    """Good compute dies per started wafer after ``age_months`` of learning (line yield included),
    at a site with ``newcomer``'s handicap (:func:`fabnet.econ.accelerator.site_defect_density`)
    when given."""
    product = scenario.product(product_name)
    node = scenario.node(product.node)
    dpw = dies_per_wafer(scenario, product_name)
    ages = np.asarray(age_months, dtype=np.float64)
    if newcomer is None:
        y = np.asarray(die_yield_at(scenario, product_name, ages), dtype=np.float64)
    else:
        d0 = site_defect_density(node, ages, newcomer)
        y = np.asarray(die_yield_for(product, node, d0), dtype=np.float64)
    return dpw * node.line_yield * np.broadcast_to(y, ages.shape)
