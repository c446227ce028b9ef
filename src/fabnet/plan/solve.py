"""``solve_plan``: build the model from a scenario, solve it with HiGHS, impose the allocation
policy, explain it, and return tables (:class:`PlanResult`).

Stages (each a HiGHS call on one linopy model):

1. **Design MIP** — all decisions at once; objective by ``objective``:

   * ``npv``: maximise NPV (discounted revenue − opex − capex − interest) minus the discounted
     shortage penalty :math:`\\sum_{c,p,t} w_c \\mathrm{DF}_t (D_{c,p,t} - q_{c,p,t})` with
     :math:`w_c = \\text{shortage\\_penalty} \\cdot \\text{ratio}^{-(\\text{priority}_c - 1)}`;
   * ``shortage``: first minimise that weighted shortage within the money available (cash floor,
     debt limit), then, keeping it (within the MIP gap), maximise NPV — two MIPs;
   * ``cost``: as ``shortage``, then minimise discounted cost (capex + opex + interest): meet
     demand where possible at least cost.

   With allocation ``contracts``, contract shortfall carries a dominating penalty in every stage.
   With ``proportional`` (directly or after contracts) the fair-share constraints are in the MIP.
2. **Fix** the integer decisions (modules, purchases, packaging blocks) and relax to an LP.
3. **Explain LP** — the same objective with integers fixed: its row duals are the shadow prices
   (value of one more wafer/month at a fab, CoWoS wafer, HBM stack, dollar), see
   :mod:`fabnet.plan.explain`.
4. **Allocation stages** — :mod:`fabnet.plan.allocation`, then the final LP with the objective.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import SolverError, UsageError
from fabnet.plan.allocation import LEX_TOL, POLICIES, add_proportional, apply_policy
from fabnet.plan.data import PlanData, build_plan_data, units_from_decisions
from fabnet.plan.highs import SolveInfo, run_highs
from fabnet.plan.model import MONEY, PlanModel, build_model, contract_penalty, shortage_terms
from fabnet.scenario import Scenario

__all__ = ["OBJECTIVES", "PlanResult", "solve_plan"]

OBJECTIVES = ("npv", "shortage", "cost")
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class PlanResult:
    """A solved plan.

    Attributes:
        status: ``optimal`` (within the MIP gap) or ``time_limit`` (best found when time ran out).
        summary: key figures (see ``fabnet plan --json``).
        tables: decisions, capacity, wafer_starts, supply, deliveries, cash_flow, shadow_prices,
            customer_limits (documented columns; months ``YYYY-MM``; money USD).
        decisions: the first-stage decisions (site, action, start, first_output, modules, capex,
            node); pass as ``fixed=`` to re-optimise operations with them held.
        data: the arrays the model was built from.
        units: modules/purchases per capacity option (aligned with ``data``).
        blocks: own packaging blocks per expansion option.
    """

    status: str
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    decisions: pd.DataFrame
    data: PlanData
    units: np.ndarray = field(repr=False)
    blocks: np.ndarray = field(repr=False)


def _as_decisions(fixed: Any) -> pd.DataFrame | None:
    if fixed is None:
        return None
    if isinstance(fixed, PlanResult):
        return fixed.decisions
    if isinstance(fixed, pd.DataFrame):
        df = fixed
    elif isinstance(fixed, Sequence):
        df = pd.DataFrame(
            list(fixed), columns=None if fixed else ["site", "action", "start", "modules"]
        )
    else:
        raise UsageError("fixed must be a PlanResult, a decisions DataFrame or a list of dicts")
    for col in ("site", "action", "start", "modules"):
        if col not in df.columns:
            raise UsageError(f"fixed decisions need a column {col!r} (have {list(df.columns)})")
    if "node" not in df.columns:
        df = df.assign(node="")
    return df


def _fix_decisions(pm: PlanModel, fixed: pd.DataFrame) -> None:
    units, blocks = units_from_decisions(pm.d, fixed)
    if "Option-units" in pm.m.variables:
        pm.m.variables["Option-units"].fix(pm.arr(units, "option"))
    if "Expansion-blocks" in pm.m.variables:
        pm.m.variables["Expansion-blocks"].fix(pm.arr(blocks, "expansion"))


def _check(info: SolveInfo, pm: PlanModel, stage: str) -> None:
    if info.status in ("optimal", "time_limit"):
        return
    if info.status == "infeasible":
        from fabnet.plan.explain import raise_infeasible

        raise_infeasible(pm, stage)
    if info.status == "unbounded":
        raise SolverError(
            f"the {stage} is unbounded: some decision earns money without limit; check that every "
            "product has a demand cap and that prices and costs are finite"
        )
    raise SolverError(f"HiGHS stopped the {stage} with status {info.status!r}")


def _int_solution(pm: PlanModel, name: str) -> np.ndarray:
    if name not in pm.m.variables:
        return np.zeros(0)
    sol = pm.m.variables[name].solution.values
    return np.round(np.nan_to_num(sol, nan=0.0)).astype(float)


def solve_plan(
    scenario: Scenario,
    objective: str | None = None,
    policy: str | None = None,
    fixed: Any = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    strategy: str = "mixed",
    start_every: int = 3,
    threads: int | None = None,
    explain: bool = True,
    progress: Progress | None = None,
) -> PlanResult:
    """Plan the network for ``scenario`` (see the module docstring for the stages).

    Args:
        objective: ``npv`` | ``shortage`` | ``cost`` (default ``policy.objective``).
        policy: allocation ``priority`` | ``proportional`` | ``maxmin`` | ``contracts``
            (default ``policy.allocation``).
        fixed: decisions of an earlier result (PlanResult, DataFrame or list of dicts with site,
            action, start, modules, node) to hold while operations are re-optimised.
        time_limit: seconds for the design MIP (default ``policy.time_limit_seconds``).
        mip_gap: relative MIP gap (default ``policy.mip_gap``).
        strategy: ``mixed`` | ``buy`` | ``build`` (which capacity options exist).
        start_every: start-month grid in the monthly part [months].
        threads: HiGHS threads (default: HiGHS's choice).
        explain: compute shadow prices and customer limits.
        progress: callback ``(fraction, message)``.

    Raises:
        InfeasibleError: no plan meets the hard constraints (message in scenario terms).
        SolverError, UsageError.
    """
    pol = scenario.policy
    objective = objective or pol.objective
    policy = policy or pol.allocation
    if objective not in OBJECTIVES:
        raise UsageError(f"objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    if policy not in POLICIES:
        raise UsageError(f"policy must be one of {', '.join(POLICIES)} (got {policy!r})")
    limit = float(time_limit if time_limit is not None else pol.time_limit_seconds)
    gap = float(mip_gap if mip_gap is not None else pol.mip_gap)
    if limit <= 0 or not 0 <= gap <= 1:
        raise UsageError("time_limit must be > 0 seconds and mip_gap in [0, 1]")
    say = progress or (lambda _f, _m: None)
    t0 = time.perf_counter()

    say(0.02, "preparing data")
    timings: dict[str, float] = {}
    fixed_df = _as_decisions(fixed)
    d = build_plan_data(scenario, strategy=strategy, start_every=start_every, fixed=fixed_df)
    timings["data"] = time.perf_counter() - t0
    say(0.1, "building model")
    pm = build_model(d, contracts=policy == "contracts")
    if fixed_df is not None:
        _fix_decisions(pm, fixed_df)
    rule = pol.contracts_then if policy == "contracts" else policy
    if rule == "proportional":
        add_proportional(pm)
    build_seconds = time.perf_counter() - t0
    timings["build"] = build_seconds - timings["data"]

    npv = pm.ex["npv"]
    pen, pen_const = shortage_terms(pm)
    conpen = contract_penalty(pm)
    weighted = pen if conpen is None else pen + conpen
    pull = pm.ex.get("incentive")  # recover prepayments as fast as the contract allows

    def final_objective() -> tuple[Any, str]:
        if objective == "npv":
            return (npv - weighted if pull is None else npv - weighted - pull), "max"
        if objective == "shortage":
            return (npv if pull is None else npv - pull), "max"
        return (pm.ex["cost"] if pull is None else pm.ex["cost"] + pull), "min"

    say(0.2, "solving design MIP")
    lp_limit = max(limit, 30.0)
    if objective in ("shortage", "cost"):
        pm.m.add_objective(weighted, sense="min", overwrite=True)
        info_a = run_highs(pm.m, time_limit=limit / 2, mip_gap=gap, threads=threads)
        _check(info_a, pm, "design model (least shortage)")
        best = float(pm.m.objective.value)
        slack = max(abs(best) * max(gap, LEX_TOL), 1e-6)
        pm.m.add_constraints(weighted <= best + slack, name="Objective-shortage")
        limit_b = max(limit / 2, limit - info_a.seconds)
    else:
        limit_b = limit
    expr, sense = final_objective()
    pm.m.add_objective(expr, sense=sense, overwrite=True)
    info = run_highs(pm.m, time_limit=limit_b, mip_gap=gap, threads=threads)
    _check(info, pm, "design model")
    timings["mip"] = time.perf_counter() - t0 - build_seconds
    status = info.status
    mip_gap_value = info.mip_gap
    design_obj = float(pm.m.objective.value)
    units = _int_solution(pm, "Option-units")
    blocks = _int_solution(pm, "Expansion-blocks")

    say(0.55, "fixing decisions")
    for name, values in (("Option-units", units), ("Expansion-blocks", blocks)):
        if name in pm.m.variables:
            var = pm.m.variables[name]
            var.fix(pm.arr(values, "option" if name == "Option-units" else "expansion"))
            var.relax()
    order = pm.name("Outside-contract")
    if order in pm.m.variables:  # supply agreements signed or not: fixed with the design
        var = pm.m.variables[order]
        var.fix(var.solution.round().fillna(0))
        var.relax()
    mark = time.perf_counter()

    shadow = None
    if explain:
        say(0.6, "shadow prices")
        info_x = run_highs(pm.m, time_limit=lp_limit, threads=threads)
        _check(info_x, pm, "operations model (decisions fixed)")
        from fabnet.plan.explain import collect_duals

        shadow = collect_duals(pm, sense)
    timings["explain_lp"] = time.perf_counter() - mark
    mark = time.perf_counter()

    say(0.7, f"allocation: {policy}")
    alloc = apply_policy(pm, policy, pol.contracts_then, lp_limit, threads)
    expr, sense = final_objective()
    pm.m.add_objective(expr, sense=sense, overwrite=True)
    say(0.85, "final operations LP")
    info_f = run_highs(pm.m, time_limit=lp_limit, threads=threads)
    _check(info_f, pm, "operations model (after allocation)")
    timings["allocation_lps"] = time.perf_counter() - mark
    mark = time.perf_counter()

    say(0.92, "tables")
    from fabnet.plan.tables import build_tables, make_summary

    tables = build_tables(pm, units, blocks, shadow)
    objective_value = float(pm.m.objective.value)
    npv_const = pm.const.get("npv", 0.0)
    if objective in ("npv", "shortage"):
        objective_value += npv_const
        design_obj += npv_const
    if objective == "npv":
        objective_value -= pen_const
    summary = make_summary(
        pm,
        tables,
        status=status,
        objective=objective,
        policy=policy,
        objective_value=objective_value * MONEY,
        design_objective=(design_obj - (pen_const if objective == "npv" else 0.0)) * MONEY,
        mip_gap=None
        if mip_gap_value is None or not math.isfinite(mip_gap_value)
        else mip_gap_value,
        solve_seconds=time.perf_counter() - t0,
        build_seconds=build_seconds,
        allocation=alloc,
        timings=timings,
    )
    timings["tables"] = time.perf_counter() - mark
    say(1.0, "done")
    return PlanResult(status, summary, tables, tables["decisions"], d, units, blocks)
