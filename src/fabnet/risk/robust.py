"""Robust plan: the two-stage sample-average model (default) or a choice among candidate plans.

* :func:`robust_saa` — the sample-average (two-stage stochastic) MIP over K sampled futures of
  :mod:`fabnet.risk.saa`, compared with the deterministic plan out of sample (VSS).
* :func:`robust_plan` — the simpler form kept as ``--robust-method candidates``, described below.

Candidate selection (Kleywegt, Shapiro & Homem-de-Mello, "The sample average approximation
method for stochastic discrete optimization", SIAM J. Optim. 12(2), 2002: solve candidate
problems, then pick the candidate with the best estimate on a common sample):

1. **Candidates**: the deterministic plan (mixed strategy), the buy-only and build-only plans,
   and plans solved on sampled futures (by default the in-sample future whose objective under the
   deterministic plan is the median, and the one at the 10th percentile: a "typical" and a
   "bad" world).
2. **In sample**: each candidate's decisions are evaluated by the fast recourse on the same K
   futures (common random numbers, seed ``seed``); the best mean objective (NPV minus the
   planner's priority-weighted shortage penalty) wins.
3. **Out of sample**: the chosen plan and the deterministic plan are evaluated on N fresh futures
   (seed ``seed + 1``); the difference of their mean objectives is the value of the stochastic
   solution (VSS, Birge & Louveaux, *Introduction to Stochastic Programming*, 2nd ed., §4.2),
   with its standard error from the paired differences.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import FabnetError, UsageError
from fabnet.plan import solve_plan
from fabnet.risk.cvar import RiskSpec
from fabnet.risk.decompose import ph_as_saa, ph_summary, solve_ph
from fabnet.risk.evaluate import evaluate_plan
from fabnet.risk.executors import Executor
from fabnet.risk.lp_recourse import future_scenario
from fabnet.risk.model import RiskModel, model_from_plan
from fabnet.risk.saa import compare_out_of_sample, solve_saa
from fabnet.risk.sampling import make_chunks
from fabnet.scenario import Scenario
from fabnet.vocab import RobustMethod

__all__ = ["METHODS", "RobustResult", "robust_plan", "robust_saa"]

METHODS = RobustMethod.values()
"""``--robust-method`` choices: the sample-average MIP (default) or candidate selection."""

Solve = Callable[..., Any]


@dataclass(frozen=True)
class RobustResult:
    """Candidates compared in and out of sample; ``chosen`` names the robust plan."""

    table: pd.DataFrame
    chosen: str
    plans: dict[str, Any]
    vss: float
    vss_se: float
    method: str = "candidates"
    extra: dict[str, Any] = field(default_factory=dict)


def _objective_per_future(
    model: RiskModel, samples: int, seed: int, executor: Executor | None
) -> np.ndarray:
    res = evaluate_plan(model, samples, seed, executor)
    vals = res.stats["objective"].values()
    assert vals is not None  # K and N are far below the exact limit
    return vals[:, 0]


def robust_plan(
    scenario: Scenario,
    deterministic: Any,
    k: int,
    *,
    seed: int = 0,
    out_of_sample: int = 1000,
    solve: Solve | None = None,
    executor: Executor | None = None,
    strategies: tuple[str, ...] = ("buy", "build"),
    sampled_quantiles: tuple[float, ...] = (0.5, 0.1),
    progress: Callable[[str], None] | None = None,
) -> RobustResult:
    """Pick the candidate plan with the best sample-average objective (see the module docstring).

    Args:
        deterministic: the plan solved on the scenario as stated (a ``PlanResult``).
        k: in-sample futures.
        solve: ``solve_plan``-like function (default :func:`fabnet.plan.solve_plan`).
    """
    if k < 1 or out_of_sample < 1:
        raise UsageError(
            f"--robust K and the out-of-sample size must be >= 1 (got {k}, {out_of_sample})"
        )
    if solve is None:
        solve = solve_plan
    say = progress or (lambda _m: None)
    plans: dict[str, Any] = {"deterministic": deterministic}
    notes: dict[str, str] = {"deterministic": "solved on the scenario as stated"}
    for strategy in strategies:
        say(f"candidate: {strategy}-only plan")
        try:
            plans[f"{strategy}-only"] = solve(scenario, strategy=strategy, explain=False)
            notes[f"{strategy}-only"] = f"strategy={strategy}"
        except FabnetError as exc:
            notes[f"{strategy}-only"] = f"no plan: {exc}"
    det_model = model_from_plan(scenario, deterministic)
    det_in = _objective_per_future(det_model, k, seed, executor)
    draws = det_model.sampler.draw(make_chunks(k, seed, max(k, 1))[0])
    order = np.argsort(det_in, kind="stable")
    for q in sampled_quantiles:
        i = int(order[min(int(q * (k - 1) + 0.5), k - 1)])
        name = f"sampled future #{i} (P{round(q * 100)})"
        say(f"candidate: plan solved on {name}")
        try:
            plans[name] = solve(future_scenario(scenario, draws, i), explain=False)
            notes[name] = "solved on one sampled future"
        except FabnetError as exc:
            notes[name] = f"no plan: {exc}"
    rows = []
    models: dict[str, RiskModel] = {}
    for name, plan in plans.items():
        say(f"in sample: {name}")
        models[name] = det_model if name == "deterministic" else model_from_plan(scenario, plan)
        vals = (
            det_in
            if name == "deterministic"
            else _objective_per_future(models[name], k, seed, executor)
        )
        rows.append(
            {
                "plan": name,
                "how": notes[name],
                "capex": float(models[name].capex.sum()),
                "in_sample_mean_objective": float(vals.mean()),
                "in_sample_se": float(vals.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan,
            }
        )
    table = pd.DataFrame(rows)
    chosen = str(table["plan"].iloc[int(np.argmax(table["in_sample_mean_objective"]))])
    say(f"out of sample: {chosen} vs deterministic")
    det_out = _objective_per_future(det_model, out_of_sample, seed + 1, executor)
    ch_out = (
        det_out
        if chosen == "deterministic"
        else _objective_per_future(models[chosen], out_of_sample, seed + 1, executor)
    )
    diff = ch_out - det_out
    vss = float(diff.mean())
    vss_se = float(diff.std(ddof=1) / math.sqrt(out_of_sample)) if out_of_sample > 1 else math.nan
    table["out_of_sample_mean_objective"] = [
        float(det_out.mean())
        if n == "deterministic"
        else (float(ch_out.mean()) if n == chosen else math.nan)
        for n in table["plan"]
    ]
    table["chosen"] = table["plan"] == chosen
    for note in [n for n in notes if n not in plans]:
        table.loc[len(table)] = {"plan": note, "how": notes[note], "chosen": False}
    return RobustResult(table, chosen, plans, vss, vss_se)


def robust_saa(
    scenario: Scenario,
    deterministic: Any,
    k: int,
    *,
    seed: int = 0,
    out_of_sample: int = 1000,
    time_limit: float | None = None,
    executor: Executor | None = None,
    recourse: str = "fast",
    risk: RiskSpec | None = None,
    decompose: str | None = None,
    ph_iterations: int = 3,
    progress: Callable[[str], None] | None = None,
) -> RobustResult:
    """Solve the sample-average model on ``k`` futures (seed ``seed``) and compare it with the
    ``deterministic`` plan on ``out_of_sample`` fresh futures (seed ``seed + 1``) with the
    ``fast`` or the exact ``lp`` recourse (:func:`fabnet.risk.saa.compare_out_of_sample`).

    The table has one row per plan (capex, mean and P5 NPV, mean objective, mean shortage,
    probability that the partners' commitments suffice) and the SAA's in-sample objective.
    The deterministic plan's design is the MIP start; ``risk`` adds the CVaR term or limit and
    the shortfall-probability limit (:mod:`fabnet.risk.cvar`). ``decompose="ph"`` solves it by
    progressive hedging on ``executor`` instead of one MIP (:mod:`fabnet.risk.decompose`).
    """
    if k < 1 or out_of_sample < 1:
        raise UsageError(
            f"--robust K and the out-of-sample size must be >= 1 (got {k}, {out_of_sample})"
        )
    ph = None
    if decompose is not None:
        ph = solve_ph(scenario, k, seed, executor=executor, iterations=ph_iterations,
                      time_limit=time_limit, progress=progress)  # fmt: skip
        saa = ph_as_saa(scenario, ph)
    else:
        saa = solve_saa(
            scenario, k, seed, time_limit=time_limit, risk=risk, progress=progress,
            warm_start=deterministic.decisions, executor=executor,
        )  # fmt: skip
    if progress is not None:
        progress(f"out of sample: SAA vs deterministic on {out_of_sample:,} fresh futures")
    cmp = compare_out_of_sample(
        scenario, saa, deterministic, out_of_sample, seed + 1, executor, recourse, time_limit
    )
    name = str(cmp.table["plan"].iloc[1])
    table = cmp.table.assign(
        in_sample_objective=[math.nan, saa.objective],
        how=["solved on the scenario as stated", f"sample-average MIP over {k} futures"],
    )
    extra = {
        "k": k,
        "recourse": recourse,
        "in_sample_objective": saa.objective,
        "status": saa.status,
        "mip_gap": saa.mip_gap,
        "size": saa.size,
        "timings": saa.timings,
        "decisions": saa.decisions,
        "futures": saa.futures,
    }
    if risk is not None and risk.active and ph is None:
        extra["risk"] = _risk_extra(saa, risk)
    if ph is not None:
        extra["decomposition"] = ph_summary(ph)
        extra["ph_tables"] = {"ph_history": ph.history, "ph_candidates": ph.candidates}
    plans = {"deterministic": deterministic, name: saa}
    return RobustResult(table, name, plans, cmp.vss, cmp.vss_se, method="saa", extra=extra)


def _risk_extra(saa: Any, risk: RiskSpec) -> dict[str, Any]:
    """The risk terms of a robust plan and what they gave in sample (USD)."""
    return {
        "measure": risk.measure,
        "alpha": risk.alpha,
        "weight": risk.weight,
        "limit": risk.limit,
        "shortfall_probability": risk.shortfall_probability,
        "in_sample_cvar": saa.cvar,
        "in_sample_mean_npv": saa.mean_npv,
        "in_sample_shortfall_share": saa.shortfall_share,
    }
