"""fabnet.econ: the standard semiconductor and finance formulas, vectorised (numpy only).

One formula, one place: dies per wafer, yield models (with harvesting) and learning curves,
wafer / die / accelerator cost and cost of ownership, capex schedules, depreciation, NPV, IRR,
payback and funding coverage; income tax with loss carry-forward, tax depreciation, terminal
value and sustaining capex; the price of an accelerator on foundry and cost-plus terms,
take-or-pay and prepayments. Every function takes scalars or numpy arrays (broadcasting), has
its formula and source in the docstring, and raises :class:`EconInputError` (a ``ValueError``
and a :class:`fabnet.errors.UsageError`) naming the argument and its valid range.

Modules: :mod:`.dies`, :mod:`.yield_models`, :mod:`.learning`, :mod:`.cost`, :mod:`.finance`,
:mod:`.cashflow`, :mod:`.pricing`. The scenario bridges :mod:`.accelerator` (dies, yields, costs
of each product) and :mod:`.revenue` (each customer's price per unit) use pandas and are imported
by name.
"""

from __future__ import annotations

from fabnet.econ._checks import EconInputError
from fabnet.econ.cashflow import (
    IncomeTax,
    asset_depreciation,
    income_tax,
    sustaining_capex,
    terminal_value_exit_multiple,
    terminal_value_perpetuity,
)
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
from fabnet.econ.pricing import (
    PrepaymentFlows,
    UnitPrice,
    cost_plus_unit_price,
    foundry_unit_price,
    prepayment_flows,
    take_or_pay_payment,
)
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
    "IncomeTax",
    "PrepaymentFlows",
    "UnitPrice",
    "YieldModel",
    "accelerator_cost",
    "asset_depreciation",
    "capex_schedule",
    "cost_of_ownership",
    "cost_per_good_die",
    "cost_plus_unit_price",
    "defect_density_exponential",
    "defect_density_gompertz",
    "die_map",
    "die_yield",
    "discount_factors",
    "exact_dies_per_wafer",
    "foundry_unit_price",
    "funding_coverage",
    "good_dies_per_wafer",
    "gross_dies_per_wafer",
    "harvested_yield",
    "income_tax",
    "irr",
    "max_dies_area_bound",
    "murphy_yield",
    "negative_binomial_yield",
    "npv",
    "payback_month",
    "poisson_yield",
    "prepayment_flows",
    "seeds_yield",
    "straight_line_depreciation",
    "sustaining_capex",
    "take_or_pay_payment",
    "terminal_value_exit_multiple",
    "terminal_value_perpetuity",
    "wafer_cost",
]
