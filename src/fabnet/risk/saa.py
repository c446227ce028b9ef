"""Robust plan: a two-stage sample-average (SAA) model over K sampled futures.

One mixed-integer model holds the build/buy decisions once (first stage: ``Option-units``,
``Expansion-blocks``, :data:`fabnet.plan.model.FIRST_STAGE`) and one copy of the operations
model per sampled future (second stage: wafers, packages, HBM, deliveries, inventories, cash,
debt, tagged ``@f<i>``), each built from that future's :class:`~fabnet.plan.PlanData`
(:func:`~fabnet.risk.lp_recourse.future_scenario`). The objective is the sample average of each
future's planner objective (``solve_plan``'s ``npv``: NPV minus the discounted priority-weighted
shortage penalty, minus the contract-shortfall penalty with allocation ``contracts``):

.. math::

    \\max_{u,b} \\; \\frac{1}{K} \\sum_{k=1}^{K} \\max_{x_k \\in X_k(u,b)}
        \\Big(\\mathrm{NPV}_k(u, b, x_k) - \\mathrm{pen}_k(x_k)\\Big)

(Shapiro, Dentcheva & Ruszczyński, *Lectures on Stochastic Programming*, 2009, §5.1; Kleywegt,
Shapiro & Homem-de-Mello, SIAM J. Optim. 12(2), 2002). Capex depends on the shared units, so a
delay in one future does not move the spending (as in the fast recourse).

The option and expansion sets must be the same in every future: they are built once from the
scenario as stated, each future's data is built with those starts forced in (``fixed=``) and
then reindexed to them (:func:`align_plan_data`); a future lacking one of them is an error.

:func:`compare_out_of_sample` evaluates the SAA decisions and the deterministic plan's on the
same N fresh futures with the fast recourse; the mean paired difference of their objectives is
the value of the stochastic solution (VSS, Birge & Louveaux, *Introduction to Stochastic
Programming*, 2nd ed., §4.2) with its standard error.

The fast recourse was validated on the deterministic plan (``benchmarks/RESULTS.md``, risk); on
the built-in scenario it scored the K = 10 SAA plan (a third module, on N3) about 12 B$ below the
exact LP on the same 20 futures, while the two agree within ~1-2 B$ on the deterministic and the
K = 5 plans: check a VSS with ``recourse="lp"`` on tens of futures before trusting it.

Not in the SAA model: the allocation policies ``proportional`` / ``maxmin`` (fair-share
constraints per future would multiply the model again); they act in the evaluation, which uses
the scenario's allocation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd

from fabnet.errors import InfeasibleError, SolverError, UsageError
from fabnet.plan import (
    PlanData,
    build_plan_data,
    decisions_table,
    option_starts,
    run_highs,
    units_from_decisions,
)
from fabnet.plan.model import MONEY, QTY, PlanModel, build_model, contract_penalty, shortage_terms
from fabnet.risk.blocks import build_blocks, future_objective, solve_blocks
from fabnet.risk.cvar import RiskSpec, RiskTerms, add_risk_terms, empirical_cvar, loss_values
from fabnet.risk.evaluate import evaluate_plan
from fabnet.risk.executors import Executor
from fabnet.risk.lp_recourse import future_scenario
from fabnet.risk.mipstart import run_highs_with_start, start_from_decisions
from fabnet.risk.model import build_risk_model, model_from_plan
from fabnet.risk.sampling import compile_uncertainties, make_chunks
from fabnet.scenario import Scenario
from fabnet.vocab import AllocationPolicy, Recourse

__all__ = [
    "DEFAULT_K",
    "SAA_HIGHS_OPTIONS",
    "SAAComparison",
    "SAAResult",
    "align_plan_data",
    "build_futures_data",
    "compare_out_of_sample",
    "future_objective",
    "future_rows",
    "mean_wafer_starts",
    "option_starts",
    "sampled_futures",
    "solve_saa",
]

DEFAULT_K = 5
"""Default number of in-sample futures (see ``benchmarks/RESULTS.md``, robust plan)."""

Progress = Callable[[str], None]

SAA_HIGHS_OPTIONS: dict[str, Any] = {"presolve": "off"}
"""HiGHS options of the sample-average MIP. Presolve off: on the built-in scenario at K = 10
HiGHS spent 17.7 of 34.4 s presolving (removing 43 % of the rows) and then solved at the root
node anyway; without presolve the same MIP took 22 s against 31 s (same model file, load 4-5,
``benchmarks/RESULTS.md``, risk issue 13)."""


@dataclass(frozen=True)
class SAAResult:
    """A solved sample-average model.

    Attributes:
        decisions: first-stage decisions in the planner's ``decisions`` format.
        objective: sample-average objective (USD): mean over futures of NPV − shortage penalty.
        futures: one row per in-sample future: npv, shortage_penalty, objective, capex (USD),
            delivered, shortage (units).
        status: ``optimal`` (within the MIP gap) or ``time_limit``.
        mip_gap: relative gap HiGHS reported.
        data: the scenario's :class:`PlanData` (option sets of ``units`` / ``blocks``).
        units, blocks: modules / purchases per option and packaging blocks per expansion.
        wafer_starts: mean wafers over the futures per site, product and bucket (the product mix
            the fast recourse uses).
        size: variables, integers, constraints of the model.
        timings: seconds for data, build, solve.
    """

    decisions: pd.DataFrame
    objective: float
    futures: pd.DataFrame
    status: str
    mip_gap: float | None
    k: int
    seed: int
    data: PlanData = field(repr=False)
    units: np.ndarray = field(repr=False)
    blocks: np.ndarray = field(repr=False)
    wafer_starts: pd.DataFrame | None = field(repr=False)
    size: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    risk: RiskSpec | None = None
    cvar: float | None = None
    """In-sample CVaR (USD) of ``risk.measure`` at ``risk.alpha`` of the chosen plan."""
    eta: float | None = None
    """The solver's η (USD): the value at risk where the CVaR term is in the model."""

    @property
    def mean_npv(self) -> float:
        """In-sample mean NPV (USD)."""
        return float(self.futures["npv"].mean())

    @property
    def shortfall_share(self) -> float:
        """Share of the in-sample futures that draw debt (the commitments fall short)."""
        return float((self.futures["peak_debt"] > 1e-3).mean())


def align_plan_data(base: PlanData, future: PlanData, label: str = "future") -> PlanData:
    """``future`` reindexed to the options and expansions of ``base`` (a reindex by label:
    :meth:`fabnet.plan.PlanData.aligned_to`)."""
    return future.aligned_to(base, label)


def _value(expr: Any) -> float:
    return float(np.nan_to_num(np.asarray(expr.solution.values, dtype=float), nan=0.0).sum())


def _solution(pm: PlanModel, name: str) -> np.ndarray | None:
    if not pm.has(name):
        return None
    values = np.asarray(pm.var(name).solution.values, dtype=float)
    return np.nan_to_num(values, nan=0.0)


def mean_wafer_starts(pms: Sequence[PlanModel]) -> pd.DataFrame:
    d = pms[0].d
    wafers = np.zeros((len(d.sites), len(d.products), d.buckets.n))
    option_site = d.positions("site", d.values("option_site"))
    group_site = d.positions("site", d.values("group_site"))
    for pm in pms:
        w = _solution(pm, "Option-wafers")
        if w is not None:
            np.add.at(wafers, option_site, w * QTY)
        wm = _solution(pm, "Pool-wafers")
        if wm is not None:
            np.add.at(wafers, group_site, wm * QTY)
    wafers /= len(pms)
    s, p, t = np.nonzero(wafers > 1e-9)
    return pd.DataFrame(
        {
            "site": [d.sites[i] for i in s],
            "product": [d.products[j] for j in p],
            "month": [d.buckets.labels[k] for k in t],
            "wafers": wafers[s, p, t],
        }
    )


def solve_saa(
    scenario: Scenario,
    k: int = DEFAULT_K,
    seed: int = 0,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    fixed: pd.DataFrame | None = None,
    futures: Sequence[Scenario] | None = None,
    strategy: str = "mixed",
    start_every: int = 3,
    contracts: bool | None = None,
    risk: RiskSpec | None = None,
    warm_start: pd.DataFrame | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> SAAResult:
    """Solve the sample-average model on ``k`` futures drawn with ``seed`` (module docstring).

    Args:
        time_limit: seconds for the MIP (default ``policy.time_limit_seconds`` × K: the model
            is K times the planner's; the built-in scenario needs ~10-15 s per future).
        mip_gap: relative MIP gap (default ``policy.mip_gap``).
        fixed: hold these first-stage decisions (a decisions table): the result is then their
            sample-average objective on the same futures (what ``deterministic`` scores in sample).
        futures: use these scenarios as the futures instead of sampling (``k`` is ignored).
        contracts: add the dominating contract-shortfall penalty to each future's objective
            (default: when the policy's allocation is ``contracts``, as ``solve_plan`` does).
        risk: CVaR term or limit and shortfall-probability limit (:mod:`fabnet.risk.cvar`).
        warm_start: a decisions table (e.g. the deterministic plan's) given to HiGHS as the
            first incumbent (HiGHS completes the rest, :mod:`fabnet.risk.mipstart`).
        executor: with more than one worker (and no ``fixed`` nor risk terms), each future's
            block is built on it and the blocks stacked for HiGHS (:mod:`fabnet.risk.blocks`).

    Raises:
        UsageError: k < 1, bad limits; DataError: futures with different option sets;
        InfeasibleError: no first stage keeps every future within its money limits;
        SolverError.
    """
    pol = scenario.policy
    gap = float(mip_gap if mip_gap is not None else pol.mip_gap)
    if (time_limit is not None and time_limit <= 0) or not 0 <= gap <= 1:
        raise UsageError("time_limit must be > 0 seconds and mip_gap in [0, 1]")
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    futures = _futures(scenario, k, seed, futures)
    k = len(futures)
    limit = float(time_limit if time_limit is not None else pol.time_limit_seconds * k)
    if contracts is None:
        contracts = pol.allocation == AllocationPolicy.CONTRACTS
    if (
        executor is not None and executor.workers > 1 and fixed is None
        and (risk is None or not risk.active)
    ):  # fmt: skip
        return _solve_by_blocks(
            scenario, futures, seed, contracts, executor, limit, gap, threads, warm_start,
            strategy, start_every, say,
        )  # fmt: skip
    base, datas = build_futures_data(scenario, futures, strategy, start_every, say)
    t_data = time.perf_counter() - t0

    say(f"SAA: building the model ({k} futures)")
    m, pms, constant, terms = _saa_model(datas, contracts, risk)
    if fixed is not None:
        units, blocks = units_from_decisions(base, fixed)
        if "Option-units" in m.variables:
            m.variables["Option-units"].fix(pms[0].arr(units, "option"))
        if "Expansion-blocks" in m.variables:
            m.variables["Expansion-blocks"].fix(pms[0].arr(blocks, "expansion"))
    t_build = time.perf_counter() - t0 - t_data

    say(f"SAA: solving ({m.nvars:,} variables, {m.ncons:,} constraints)")
    start = start_from_decisions(base, m, warm_start) if fixed is None else {}
    if fixed is None:
        info = run_highs_with_start(
            m, start, time_limit=limit, mip_gap=gap, threads=threads, options=SAA_HIGHS_OPTIONS
        )
    else:
        info = run_highs(m, time_limit=limit, mip_gap=gap, threads=threads)
    _check(info, k, m.objective.value)
    t_solve = time.perf_counter() - t0 - t_data - t_build
    timings = {"data": t_data, "build": t_build, "solve": t_solve}
    units = np.zeros(base.n_options)
    blocks = np.zeros(base.n_expansions)
    if "Option-units" in m.variables:
        units = np.round(np.nan_to_num(m.variables["Option-units"].solution.values, nan=0.0))
    if "Expansion-blocks" in m.variables:
        blocks = np.round(np.nan_to_num(m.variables["Expansion-blocks"].solution.values, nan=0.0))
    size = {
        "futures": k,
        "variables": int(m.nvars),
        "integers": int(sum((v.labels.values >= 0).sum() for v in m.integers.data.values())),
        "constraints": int(m.ncons),
    }
    assert m.objective.value is not None  # checked above
    objective = (float(m.objective.value) - constant / k) * MONEY
    return _result(pms, base, objective, terms, info, risk, (units, blocks), size, seed, timings)


def _check(info: Any, k: int, value: Any) -> None:
    if info.status == "infeasible":
        raise InfeasibleError(
            f"the sample-average model over {k} futures is infeasible: no build/buy plan keeps "
            "cash above the floor and debt within its limit in every future (and within the "
            "risk limits given); check the futures one by one with "
            "solve_plan(future_scenario(...)) or raise financing.debt_limit_usd"
        )
    if info.status not in ("optimal", "time_limit"):
        raise SolverError(f"HiGHS stopped the sample-average model with status {info.status!r}")
    if value is None:  # pragma: no cover - HiGHS reported a solution above
        raise SolverError("HiGHS returned no objective value for the sample-average model")


def _solve_by_blocks(
    scenario: Scenario,
    futures: list[Scenario],
    seed: int,
    contracts: bool,
    executor: Executor,
    limit: float,
    gap: float,
    threads: int | None,
    warm_start: pd.DataFrame | None,
    strategy: str,
    start_every: int,
    say: Progress,
) -> SAAResult:
    """The plain SAA with each future's block built on ``executor`` (:mod:`fabnet.risk.blocks`)."""
    t0 = time.perf_counter()
    k = len(futures)
    base = build_plan_data(scenario, strategy=strategy, start_every=start_every)
    t_data = time.perf_counter() - t0
    say(f"SAA: building {k} futures on {executor.workers} workers")
    blks = build_blocks(
        futures, base, option_starts(base), contracts, executor, strategy, start_every
    )
    t_build = time.perf_counter() - t0 - t_data
    given = start_from_decisions(base, None, warm_start)
    start = np.concatenate(list(given.values())) if given else None
    say("SAA: solving")
    info, value, first = solve_blocks(
        blks, time_limit=limit, mip_gap=gap, threads=threads, options=SAA_HIGHS_OPTIONS,
        start=start,
    )  # fmt: skip
    _check(info, k, None if not math.isfinite(value) else value)
    t_solve = time.perf_counter() - t0 - t_data - t_build
    first = np.round(first)
    units, blocks = first[: base.n_options], first[base.n_options :]
    if blocks.size < base.n_expansions:  # pragma: no cover - no packaging expansions
        blocks = np.zeros(base.n_expansions)
    constant = sum(b.constant for b in blks)
    objective = (value - constant / k) * MONEY
    size = {
        "futures": k,
        "variables": int(sum(b.vlabels.size for b in blks) - (k - 1) * blks[0].first.size),
        "integers": int(sum(b.integer.sum() for b in blks) - (k - 1) * blks[0].first.size),
        "constraints": int(sum(b.a.shape[0] for b in blks)),
        "workers": int(executor.workers),
    }
    timings = {"data": t_data, "build": t_build, "solve": t_solve}
    pms = [b.pm for b in blks]
    return _result(
        pms, base, objective, RiskTerms(), info, None, (units, blocks), size, seed, timings
    )


def _result(
    pms: Sequence[PlanModel],
    base: PlanData,
    objective: float,
    terms: RiskTerms,
    info: Any,
    risk: RiskSpec | None,
    first: tuple[np.ndarray, np.ndarray],
    size: dict[str, int],
    seed: int,
    timings: dict[str, float],
) -> SAAResult:
    """The solved model as an :class:`SAAResult`."""
    units, blocks = first
    k = len(pms)
    futures = future_rows(pms)
    cvar = eta = None
    if risk is not None:
        if terms.cvar is not None:
            model_cvar = float(np.asarray(terms.cvar.solution).sum())
            objective += risk.weight * model_cvar * MONEY
            assert terms.eta is not None
            eta = float(terms.eta.solution) * MONEY
        cvar = empirical_cvar(loss_values(futures, risk.measure), risk.alpha)[0]
    return SAAResult(
        decisions=decisions_table(base, units, blocks),
        objective=objective,
        futures=futures,
        status=info.status,
        mip_gap=None if info.mip_gap is None or not math.isfinite(info.mip_gap) else info.mip_gap,
        k=k,
        seed=seed,
        data=base,
        units=units,
        blocks=blocks,
        wafer_starts=mean_wafer_starts(pms),
        size=size,
        timings=timings,
        risk=risk,
        cvar=cvar,
        eta=eta,
    )


def build_futures_data(
    scenario: Scenario,
    futures: Sequence[Scenario],
    strategy: str = "mixed",
    start_every: int = 3,
    say: Progress | None = None,
) -> tuple[PlanData, list[PlanData]]:
    """The scenario's data (the option sets) and each future's, aligned to it."""
    base = build_plan_data(scenario, strategy=strategy, start_every=start_every)
    forced = option_starts(base)
    datas = []
    for i, fut in enumerate(futures):
        if say is not None:
            say(f"data of future {i + 1}/{len(futures)}")
        fd = build_plan_data(fut, strategy=strategy, start_every=start_every, fixed=forced)
        datas.append(fd.aligned_to(base, f"future {i}"))
    return base, datas


def sampled_futures(
    scenario: Scenario, k: int, seed: int, futures: Sequence[Scenario] | None = None
) -> list[Scenario]:
    """The given futures, or ``k`` sampled with ``seed`` (as the robust plan draws them)."""
    return _futures(scenario, k, seed, futures)


def _futures(
    scenario: Scenario, k: int, seed: int, futures: Sequence[Scenario] | None
) -> list[Scenario]:
    """The given futures, or ``k`` sampled with ``seed``."""
    if futures is None:
        if k < 1:
            raise UsageError(f"the number of sampled futures K must be >= 1 (got {k})")
        draws = compile_uncertainties(scenario).draw(make_chunks(k, seed, k)[0])
        futures = [future_scenario(scenario, draws, i) for i in range(k)]
    out = list(futures)
    if not out:
        raise UsageError("futures must hold at least one scenario")
    return out


def _saa_model(
    datas: Sequence[PlanData], contracts: bool, risk: RiskSpec | None = None
) -> tuple[linopy.Model, list[PlanModel], float, RiskTerms]:
    """One model: the first stage once, each future's operations tagged ``@f<i>``; objective the
    mean of the futures' objectives. Returns the model, each future's part and the summed
    shortage-penalty constant (M$)."""
    m = linopy.Model(force_dim_names=True)
    pms: list[PlanModel] = []
    shared: dict[str, linopy.Variable] | None = None
    total: Any = 0
    constant = 0.0
    for i, fd in enumerate(datas):
        pm = build_model(fd, contracts=contracts, m=m, tag=f"f{i}", first_stage=shared)
        if shared is None:
            shared = {n: m.variables[n] for n in ("Option-units", "Expansion-blocks") if pm.has(n)}
        obj, pen_const = future_objective(pm)
        total = obj if i == 0 else total + obj
        constant += pen_const
        pms.append(pm)
    total = total / len(datas)
    terms = RiskTerms()
    if risk is not None and risk.active:
        terms = add_risk_terms(m, pms, risk)
        if risk.weight > 0:
            total = total - risk.weight * terms.cvar
    m.add_objective(total, sense="max", overwrite=True)
    return m, pms, constant, terms


def future_rows(pms: Sequence[PlanModel]) -> pd.DataFrame:
    """One row per in-sample future: npv, penalties, objective, capex, delivered, shortage."""
    rows = []
    for i, pm in enumerate(pms):
        pen, pen_const = shortage_terms(pm)
        conpen = contract_penalty(pm)
        npv = (_value(pm.ex["npv"]) + pm.const.get("npv", 0.0)) * MONEY
        penalty = (pen_const + _value(pen)) * MONEY
        con = 0.0 if conpen is None else _value(conpen) * MONEY
        delivered = _value(pm.ex["delivered"]) * QTY
        rows.append(
            {
                "future": i,
                "npv": npv,
                "shortage_penalty": penalty,
                "contract_penalty": con,
                "objective": npv - penalty - con,
                "capex": _value(pm.ex["capex"]) * MONEY,
                "delivered": delivered,
                "shortage": float(pm.d.values("demand").sum()) - delivered,
                "peak_debt": float(np.nan_to_num(pm.var("Debt").solution.values).max()) * MONEY,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SAAComparison:
    """The SAA and deterministic plans on the same fresh futures: ``table`` (one row each:
    plan, capex, mean/P5 NPV, mean objective, mean shortage, probability funding suffices),
    ``vss`` = mean(SAA − deterministic objective) with standard error ``vss_se`` (USD)."""

    table: pd.DataFrame
    vss: float
    vss_se: float
    samples: int
    seed: int


def compare_out_of_sample(
    scenario: Scenario,
    saa: SAAResult,
    deterministic: Any,
    samples: int = 1000,
    seed: int = 1,
    executor: Executor | None = None,
    recourse: str = "fast",
    time_limit: float | None = None,
) -> SAAComparison:
    """Evaluate both plans on the same ``samples`` futures (``seed``).

    ``deterministic`` is a :class:`~fabnet.plan.PlanResult`. Use a seed other than the SAA's
    so the futures are fresh (out of sample). ``recourse="fast"``: the vectorised recourse
    (:func:`~fabnet.risk.evaluate_plan`); ``"lp"``: the exact operations LP of every future with
    the decisions held (:func:`solve_saa` with ``fixed=``; one model over all futures, so keep
    ``samples`` to tens), where ``prob_funding_sufficient`` is not computed (NaN).
    """
    if samples < 1:
        raise UsageError(f"the out-of-sample size must be >= 1 (got {samples})")
    if Recourse.parse(recourse, "recourse") == Recourse.LP:
        return _compare_lp(scenario, saa, deterministic, samples, seed, time_limit)
    models = {
        "deterministic": model_from_plan(scenario, deterministic),
        f"SAA (K={saa.k})": build_risk_model(
            scenario, saa.data, saa.units, saa.blocks, wafer_starts=saa.wafer_starts
        ),
    }
    rows, objectives = [], {}
    for name, model in models.items():
        res = evaluate_plan(model, samples, seed, executor)
        vals = res.stats["objective"].values()
        assert vals is not None  # out-of-sample sizes stay within the exact limit
        objectives[name] = vals[:, 0]
        rows.append(
            {
                "plan": name,
                "capex": float(model.capex.sum()),
                "mean_npv": float(res.stats["npv"].mean[0]),
                "p5_npv": float(res.percentiles("npv")["p5"]),
                "mean_objective": float(vals[:, 0].mean()),
                "mean_shortage": float(res.stats["shortage_total"].mean[0]),
                "prob_funding_sufficient": float(res.stats["funding_sufficient"].mean[0]),
            }
        )
    saa_name, det_name = list(models)[1], "deterministic"
    diff = objectives[saa_name] - objectives[det_name]
    se = float(diff.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.nan
    return SAAComparison(pd.DataFrame(rows), float(diff.mean()), se, samples, seed)


def _compare_lp(
    scenario: Scenario,
    saa: SAAResult,
    deterministic: Any,
    samples: int,
    seed: int,
    time_limit: float | None,
) -> SAAComparison:
    rows, objectives = [], {}
    plans = {"deterministic": deterministic.decisions, f"SAA (K={saa.k})": saa.decisions}
    for name, decisions in plans.items():
        held = solve_saa(scenario, samples, seed, fixed=decisions, time_limit=time_limit)
        f = held.futures
        obj = (f["npv"] - f["shortage_penalty"]).to_numpy(float)
        objectives[name] = obj
        rows.append(
            {
                "plan": name,
                "capex": float(f["capex"].mean()),
                "mean_npv": float(f["npv"].mean()),
                "p5_npv": float(np.percentile(f["npv"], 5)),
                "mean_objective": float(obj.mean()),
                "mean_shortage": float(f["shortage"].mean()),
                "prob_funding_sufficient": math.nan,
            }
        )
    diff = objectives[list(plans)[1]] - objectives["deterministic"]
    se = float(diff.std(ddof=1) / math.sqrt(samples)) if samples > 1 else math.nan
    return SAAComparison(pd.DataFrame(rows), float(diff.mean()), se, samples, seed)
