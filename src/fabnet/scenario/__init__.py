"""The scenario: typed tables of the world a plan is made for.

One small module per component kind (nodes, fabs, products, supply, outside supply, customers,
revenue terms, finance, cash-flow terms, policy, uncertainty); :class:`Scenario` gathers them; :func:`load_scenario` reads YAML/TOML/JSON (or the
built-in ``ai-fab-network-2024``) and validates everything, raising :class:`~fabnet.errors.ScenarioError`.
"""

from fabnet.scenario._base import (
    FractionPath,
    Month,
    Series,
    add_months,
    month_index,
    series_end,
    series_values,
)
from fabnet.scenario.cashflow import Grant, Newcomer, TerminalValue
from fabnet.scenario.checks import check_scenario
from fabnet.scenario.customers import Customer
from fabnet.scenario.fabs import ExistingFab, Fab, GreenfieldSite, NodeCapex, RetoolOption
from fabnet.scenario.finance import Financing, Investor, PayIn
from fabnet.scenario.io import (
    BUILTIN_SCENARIOS,
    DEFAULT_SCENARIO,
    builtin_scenario_path,
    dump_scenario,
    load_scenario,
    parse_scenario_text,
    save_scenario,
    scenario_from_dict,
)
from fabnet.scenario.model import Scenario
from fabnet.scenario.nodes import ProcessNode
from fabnet.scenario.outside import OutsideFoundry, OutsidePackaging
from fabnet.scenario.policy import Policy
from fabnet.scenario.products import RETICLE_LIMIT_MM2, Harvesting, Product
from fabnet.scenario.revenue import (
    REVENUE_MODELS,
    Prepayment,
    PriceList,
    RevenueModel,
    RevenueTerms,
)
from fabnet.scenario.supply import HBMSupply, PackagingLine
from fabnet.scenario.uncertainty import Distribution, Uncertainty

__all__ = [
    "BUILTIN_SCENARIOS",
    "DEFAULT_SCENARIO",
    "RETICLE_LIMIT_MM2",
    "REVENUE_MODELS",
    "Customer",
    "Distribution",
    "ExistingFab",
    "Fab",
    "Financing",
    "FractionPath",
    "Grant",
    "GreenfieldSite",
    "HBMSupply",
    "Harvesting",
    "Investor",
    "Month",
    "Newcomer",
    "NodeCapex",
    "OutsideFoundry",
    "OutsidePackaging",
    "PackagingLine",
    "PayIn",
    "Policy",
    "Prepayment",
    "PriceList",
    "ProcessNode",
    "Product",
    "RetoolOption",
    "RevenueModel",
    "RevenueTerms",
    "Scenario",
    "Series",
    "TerminalValue",
    "Uncertainty",
    "add_months",
    "builtin_scenario_path",
    "check_scenario",
    "dump_scenario",
    "load_scenario",
    "month_index",
    "parse_scenario_text",
    "save_scenario",
    "scenario_from_dict",
    "series_end",
    "series_values",
]
