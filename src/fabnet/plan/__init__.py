"""The network planner: build-or-buy, wafer starts and allocation of scarce supply (HiGHS).

``solve_plan(scenario)`` builds one optimisation model from a scenario (:mod:`.data` arrays,
:mod:`.model` ``define_*`` families), solves it with HiGHS through linopy, imposes the allocation
policy (:mod:`.allocation`), explains it (:mod:`.explain`) and returns a :class:`PlanResult` with
the tables of :mod:`.tables`. ``compare_strategies`` solves buy-only, build-only and mixed side by
side.
"""

from fabnet.plan._econ import good_dies_per_wafer_at
from fabnet.plan.allocation import POLICIES
from fabnet.plan.buckets import Buckets, make_buckets
from fabnet.plan.compare import COMPARISONS, compare_plans, compare_strategies, revenue_variants
from fabnet.plan.data import STRATEGIES, PlanData, build_plan_data
from fabnet.plan.decisions import decisions_table, option_starts, units_from_decisions
from fabnet.plan.highs import SolveInfo, run_highs
from fabnet.plan.model import (
    PlanModel,
    build_model,
    define_contracts,
    define_deliveries,
    define_hbm,
    define_inventory,
    define_money,
    define_options,
    define_packaging,
    define_wafers,
)
from fabnet.plan.solve import OBJECTIVES, PlanResult, solve_plan

__all__ = [
    "COMPARISONS",
    "OBJECTIVES",
    "POLICIES",
    "STRATEGIES",
    "Buckets",
    "PlanData",
    "PlanModel",
    "PlanResult",
    "SolveInfo",
    "build_model",
    "build_plan_data",
    "compare_plans",
    "compare_strategies",
    "decisions_table",
    "define_contracts",
    "define_deliveries",
    "define_hbm",
    "define_inventory",
    "define_money",
    "define_options",
    "define_packaging",
    "define_wafers",
    "good_dies_per_wafer_at",
    "make_buckets",
    "option_starts",
    "revenue_variants",
    "run_highs",
    "solve_plan",
    "units_from_decisions",
]
