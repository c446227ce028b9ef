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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import SolverError, UsageError
from fabnet.plan.allocation import LEX_TOL, add_proportional, apply_policy
from fabnet.plan.data import PlanData, build_plan_data
from fabnet.plan.decisions import units_from_decisions
from fabnet.plan.explain import collect_duals, raise_infeasible
from fabnet.plan.highs import DESIGN_MIP_OPTIONS, SolveInfo, objective_value, run_highs
from fabnet.plan.model import MONEY, PlanModel, build_model, contract_penalty, shortage_terms
from fabnet.plan.tables import build_tables, make_summary
from fabnet.scenario import Scenario
from fabnet.vocab import AllocationPolicy, Objective

__all__ = ["OBJECTIVES", "PlanResult", "solve_plan"]

OBJECTIVES = Objective.values()
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


def _as_decisions(
    fixed: PlanResult | pd.DataFrame | Sequence[Mapping[str, Any]] | None,
) -> pd.DataFrame | None:
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


@dataclass
class _Stages:
    """What the stages of :func:`solve_plan` hand on to each other."""

    pm: PlanModel
    objective: str
    policy: str
    threads: int | None
    lp_limit: float
    weighted: Any  # priority-weighted shortage (+ contract) penalty, M$
    pen_const: float
    timings: dict[str, float] = field(default_factory=dict)

    def final_objective(self) -> tuple[Any, str]:
        """The plan's objective expression and sense (``npv``, ``shortage`` or ``cost``); with
        customer prepayments, a small ``incentive`` recovers them as fast as the contract allows."""
        pull = self.pm.ex.get("incentive")
        if self.objective == Objective.NPV:
            expr = self.pm.ex["npv"] - self.weighted
            return (expr if pull is None else expr - pull), "max"
        if self.objective == Objective.SHORTAGE:
            return (self.pm.ex["npv"] if pull is None else self.pm.ex["npv"] - pull), "max"
        return (self.pm.ex["cost"] if pull is None else self.pm.ex["cost"] + pull), "min"


def _check_options(
    scenario: Scenario,
    objective: str | None,
    policy: str | None,
    time_limit: float | None,
    mip_gap: float | None,
) -> tuple[str, str, float, float]:
    pol = scenario.policy
    objective = objective or pol.objective
    policy = policy or pol.allocation
    objective = Objective.parse(objective, "objective")
    policy = AllocationPolicy.parse(policy, "policy")
    limit = float(time_limit if time_limit is not None else pol.time_limit_seconds)
    gap = float(mip_gap if mip_gap is not None else pol.mip_gap)
    if limit <= 0 or not 0 <= gap <= 1:
        raise UsageError("time_limit must be > 0 seconds and mip_gap in [0, 1]")
    return objective, policy, limit, gap


def _build(
    scenario: Scenario,
    objective: str,
    policy: str,
    fixed: pd.DataFrame | None,
    strategy: str,
    start_every: int,
    threads: int | None,
    lp_limit: float,
) -> _Stages:
    """Stage 0: the dataset and the model (decisions fixed when ``fixed`` is given)."""
    t0 = time.perf_counter()
    d = build_plan_data(scenario, strategy=strategy, start_every=start_every, fixed=fixed)
    data_seconds = time.perf_counter() - t0
    pm = build_model(d, contracts=policy == AllocationPolicy.CONTRACTS)
    if fixed is not None:
        _fix_decisions(pm, fixed)
    pol = scenario.policy
    rule = pol.contracts_then if policy == AllocationPolicy.CONTRACTS else policy
    if rule == AllocationPolicy.PROPORTIONAL:
        add_proportional(pm)
    pen, pen_const = shortage_terms(pm)
    conpen = contract_penalty(pm)
    stages = _Stages(
        pm, objective, policy, threads, lp_limit, pen if conpen is None else pen + conpen, pen_const
    )
    stages.timings.update(data=data_seconds, build=time.perf_counter() - t0 - data_seconds)
    return stages


def _solve_design(st: _Stages, limit: float, gap: float) -> tuple[SolveInfo, float]:
    """Stage 1: the design MIP (two lexicographic MIPs for ``shortage`` and ``cost``); returns
    HiGHS's report and the design objective (M$)."""
    pm, t0 = st.pm, time.perf_counter()
    limit_b = limit
    if st.objective in (Objective.SHORTAGE, Objective.COST):
        pm.m.add_objective(st.weighted, sense="min", overwrite=True)
        info_a = run_highs(
            pm.m,
            time_limit=limit / 2,
            mip_gap=gap,
            threads=st.threads,
            mip_options=DESIGN_MIP_OPTIONS,
        )
        _check(info_a, pm, "design model (least shortage)")
        best = objective_value(pm.m)
        slack = max(abs(best) * max(gap, LEX_TOL), 1e-6)
        pm.m.add_constraints(st.weighted <= best + slack, name="Objective-shortage")
        limit_b = max(limit / 2, limit - info_a.seconds)
    expr, sense = st.final_objective()
    pm.m.add_objective(expr, sense=sense, overwrite=True)
    info = run_highs(
        pm.m, time_limit=limit_b, mip_gap=gap, threads=st.threads, mip_options=DESIGN_MIP_OPTIONS
    )
    _check(info, pm, "design model")
    st.timings["mip"] = time.perf_counter() - t0
    return info, objective_value(pm.m)


def _fix_integers(pm: PlanModel) -> tuple[np.ndarray, np.ndarray]:
    """Stage 2: hold the design's modules, purchases and packaging blocks; relax to an LP."""
    units = _int_solution(pm, "Option-units")
    blocks = _int_solution(pm, "Expansion-blocks")
    for name, values, dim in (
        ("Option-units", units, "option"),
        ("Expansion-blocks", blocks, "expansion"),
    ):
        if name in pm.m.variables:
            var = pm.m.variables[name]
            var.fix(pm.arr(values, dim))
            var.relax()
    order = pm.name("Outside-contract")
    if order in pm.m.variables:  # supply agreements signed or not: fixed with the design
        var = pm.m.variables[order]
        var.fix(var.solution.round().fillna(0))
        var.relax()
    return units, blocks


def _explain(st: _Stages) -> pd.DataFrame:
    """Stage 3: shadow prices from the operations LP with the integers fixed."""
    t0 = time.perf_counter()
    info = run_highs(st.pm.m, time_limit=st.lp_limit, threads=st.threads)
    _check(info, st.pm, "operations model (decisions fixed)")
    shadow = collect_duals(st.pm, st.final_objective()[1])
    st.timings["explain_lp"] = time.perf_counter() - t0
    return shadow


def _allocate(st: _Stages, contracts_then: str) -> dict[str, Any]:
    """Stage 4: the allocation policy's lexicographic LPs, then the final LP with the objective."""
    t0 = time.perf_counter()
    alloc = apply_policy(st.pm, st.policy, contracts_then, st.lp_limit, st.threads)
    expr, sense = st.final_objective()
    st.pm.m.add_objective(expr, sense=sense, overwrite=True)
    info = run_highs(st.pm.m, time_limit=st.lp_limit, threads=st.threads)
    _check(info, st.pm, "operations model (after allocation)")
    st.timings["allocation_lps"] = time.perf_counter() - t0
    return alloc


def solve_plan(
    scenario: Scenario,
    objective: str | None = None,
    policy: str | None = None,
    fixed: PlanResult | pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    *,
    strategy: str = "mixed",
    start_every: int = 3,
    threads: int | None = None,
    explain: bool = True,
    progress: Progress | None = None,
) -> PlanResult:
    """Plan the network for ``scenario``: build → design MIP → fix → explain → allocate →
    tables (see the module docstring for the stages).

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
    objective, policy, limit, gap = _check_options(scenario, objective, policy, time_limit, mip_gap)
    say = progress or (lambda _f, _m: None)
    t0 = time.perf_counter()
    say(0.02, "preparing data and model")
    fixed_df = _as_decisions(fixed)
    st = _build(
        scenario, objective, policy, fixed_df, strategy, start_every, threads, max(limit, 30.0)
    )
    build_seconds = time.perf_counter() - t0
    say(0.2, "solving design MIP")
    info, design_obj = _solve_design(st, limit, gap)
    say(0.55, "fixing decisions")
    units, blocks = _fix_integers(st.pm)
    shadow = None
    if explain:
        say(0.6, "shadow prices")
        shadow = _explain(st)
    say(0.7, f"allocation: {policy}")
    alloc = _allocate(st, scenario.policy.contracts_then)
    say(0.92, "tables")
    mark = time.perf_counter()
    tables = build_tables(st.pm, units, blocks, shadow)
    # constants of the objective outside the model: the NPV's (terminal stock correction etc.)
    # and, for ``npv``, the shortage penalty's
    npv_const = st.pm.const.get("npv", 0.0)
    const = -npv_const if objective in (Objective.NPV, Objective.SHORTAGE) else 0.0
    if objective == Objective.NPV:
        const += st.pen_const
    summary = make_summary(
        st.pm,
        tables,
        status=info.status,
        objective=objective,
        policy=policy,
        objective_value=(objective_value(st.pm.m) - const) * MONEY,
        design_objective=(design_obj - const) * MONEY,
        mip_gap=None if info.mip_gap is None or not math.isfinite(info.mip_gap) else info.mip_gap,
        solve_seconds=time.perf_counter() - t0,
        build_seconds=build_seconds,
        allocation=alloc,
        timings=st.timings,
    )
    st.timings["tables"] = time.perf_counter() - mark
    say(1.0, "done")
    return PlanResult(info.status, summary, tables, tables["decisions"], st.pm.d, units, blocks)
