"""fabnet.econ: the standard semiconductor and finance formulas, vectorised (numpy only).

One formula, one place: dies per wafer, yield models (with harvesting) and learning curves,
wafer / die / accelerator cost and cost of ownership, capex schedules, depreciation, NPV, IRR,
payback and funding coverage. Every function takes scalars or numpy arrays (broadcasting), has
its formula and source in the docstring, and raises :class:`EconInputError` (a ``ValueError``
and a :class:`fabnet.errors.UsageError`) naming the argument and its valid range.

Modules: :mod:`.dies`, :mod:`.yield_models`, :mod:`.learning`, :mod:`.cost`, :mod:`.finance`.
"""

from __future__ import annotations

from fabnet.econ._checks import EconInputError
from fabnet.econ.cost import (
    AcceleratorCost,
    accelerator_cost,
    cost_of_ownership,
    cost_per_good_die,
    wafer_cost,
)
from fabnet.econ.dies import (
    DieMap,
    die_map,
    exact_dies_per_wafer,
    gross_dies_per_wafer,
    max_dies_area_bound,
)
from fabnet.econ.finance import (
    FundingCoverage,
    capex_schedule,
    discount_factors,
    funding_coverage,
    irr,
    npv,
    payback_month,
    straight_line_depreciation,
)
from fabnet.econ.learning import defect_density_exponential, defect_density_gompertz
from fabnet.econ.yield_models import (
    YIELD_MODELS,
    YieldModel,
    die_yield,
    good_dies_per_wafer,
    harvested_yield,
    murphy_yield,
    negative_binomial_yield,
    poisson_yield,
    seeds_yield,
)

__all__ = [
    "YIELD_MODELS",
    "AcceleratorCost",
    "DieMap",
    "EconInputError",
    "FundingCoverage",
    "YieldModel",
    "accelerator_cost",
    "capex_schedule",
    "cost_of_ownership",
    "cost_per_good_die",
    "defect_density_exponential",
    "defect_density_gompertz",
    "die_map",
    "die_yield",
    "discount_factors",
    "exact_dies_per_wafer",
    "funding_coverage",
    "good_dies_per_wafer",
    "gross_dies_per_wafer",
    "harvested_yield",
    "irr",
    "max_dies_area_bound",
    "murphy_yield",
    "negative_binomial_yield",
    "npv",
    "payback_month",
    "poisson_yield",
    "seeds_yield",
    "straight_line_depreciation",
    "wafer_cost",
]
