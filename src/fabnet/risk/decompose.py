"""Progressive hedging: the robust plan's sample-average MIP decomposed by future.

The K futures' plan MIPs are solved one by one through an executor (:mod:`fabnet.executors`:
local processes or Ray), each with the build/buy decisions :math:`x_k` (modules, purchases,
packaging blocks) of its own, and pushed towards agreement (Rockafellar & Wets, "Scenarios and
policy aggregation in optimization under uncertainty", Math. Oper. Res. 16(1), 1991; for MIPs
Watson & Woodruff, "Progressive hedging innovations for a class of stochastic mixed-integer
resource allocation problems", Comput. Manag. Sci. 8, 2011). Iteration :math:`\\nu`:

.. math::

    x_k^{\\nu} = \\arg\\max_{x} \\; z_k(x) - w_k^{\\nu} x - \\rho \\, |x - \\bar x^{\\nu-1}|_1,
    \\qquad \\bar x^{\\nu} = \\tfrac{1}{K} \\sum_k x_k^{\\nu},
    \\qquad w_k^{\\nu+1} = w_k^{\\nu} + \\rho (x_k^{\\nu} - \\bar x^{\\nu}),

with no penalty at :math:`\\nu = 0`. The proximal term is the L1 norm rather than the squared
one (HiGHS has no mixed-integer quadratic solver; mpi-sppy's ``linearize_proximal_terms`` makes
the same trade), linearised with :math:`d \\ge \\pm(x - \\bar x)`. :math:`\\rho` per option is
``rho`` × its capex per unit (Watson & Woodruff's cost-proportional rule, §3.1), in M$.

**Bound and answer.** Iteration 0 is the wait-and-see problem: the mean of the futures' MIP dual
bounds is an upper bound on the SAA optimum (the non-anticipativity rows relaxed). A tighter
one comes from PH's multipliers (Gade, Hackebeil, Ryan, Watson, Wets & Woodruff, "Obtaining
lower bounds from the progressive hedging algorithm for stochastic mixed-integer programs",
Math. Program. 157(1), 2016, Prop. 1): the :math:`w_k` sum to zero over the futures (each
update adds :math:`\\rho(x_k - \\bar x)`, which does), so relaxing :math:`x_k = \\bar x` with them
gives

.. math::

    \\mathrm{SAA} \\le L(w) = \\frac{1}{K} \\sum_k \\max_{x} \\big(z_k(x) - w_k x\\big)

for any such :math:`w` (at :math:`w = 0` the wait-and-see bound); each future's term is bounded
by its MIP's dual bound. After the last iteration each future is solved once more with
:math:`w` and no proximal term; the bound reported is the lower of the two. The candidates —
the rounded consensus :math:`\\bar x` and the futures' own designs, most frequent first — are
then each held in every future (an operations LP per future, through the executor); the best
mean objective is the answer, a feasible design. Its gap to the bound is certified; against the
full MIP where that solves it is reported separately. Each subproblem after the first starts
from its future's previous design (a MIP start). Everything is
deterministic: same futures (seed), same numbers on 1 or many workers (results come back in
future order and HiGHS runs single-threaded in each task).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import SolverError, UsageError
from fabnet.executors import Executor, LocalExecutor
from fabnet.plan import PlanData, build_plan_data, decisions_table, option_starts
from fabnet.plan.model import MONEY, PlanModel, build_model
from fabnet.risk.mipstart import dual_bound, run_highs_with_start
from fabnet.risk.saa import future_objective, sampled_futures
from fabnet.scenario import Scenario
from fabnet.vocab import AllocationPolicy

__all__ = ["PHResult", "ph_as_saa", "ph_summary", "solve_ph"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Task:
    """One future's subproblem (picklable)."""

    data: PlanData
    contracts: bool
    time_limit: float
    mip_gap: float
    w: np.ndarray | None = None
    xbar: np.ndarray | None = None
    rho: np.ndarray | None = None
    hold: np.ndarray | None = None
    start: np.ndarray | None = None


@dataclass(frozen=True)
class _DataTask:
    future: Scenario
    scenario: Scenario
    label: str


def _build_data(task: _DataTask) -> PlanData:
    base = build_plan_data(task.scenario)
    fd = build_plan_data(task.future, fixed=option_starts(base))
    return fd.aligned_to(base, task.label)


def _first_stage(pm: PlanModel) -> list[Any]:
    out = []
    for name in ("Option-units", "Expansion-blocks"):
        if pm.has(name):
            out.append(pm.var(name))
    return out


def _solve_sub(task: _Task) -> dict[str, Any]:
    """Solve one future's (augmented) plan MIP; returns x, the plain objective and the dual
    bound of the solved objective (USD; with ``w`` and no proximal term, the future's part of
    the Lagrangian bound)."""
    pm = build_model(task.data, contracts=task.contracts)
    m = pm.m
    obj, pen_const = future_objective(pm)
    xs = _first_stage(pm)
    sizes = [int(v.labels.size) for v in xs]
    full = obj
    if task.hold is not None:
        start = 0
        for v, n in zip(xs, sizes, strict=True):
            v.fix(v.labels.copy(data=task.hold[start : start + n]))
            start += n
    elif task.w is not None:
        start = 0
        for j, (v, n) in enumerate(zip(xs, sizes, strict=True)):
            sl = slice(start, start + n)
            like = v.labels.copy(data=np.zeros(n))
            full = full - (like.copy(data=task.w[sl]) * v).sum()
            if task.xbar is not None and task.rho is not None:
                xbar = like.copy(data=task.xbar[sl])
                rho = like.copy(data=task.rho[sl])
                dev = m.add_variables(
                    lower=0, coords=[v.indexes[d] for d in v.dims], name=f"PH-deviation{j}"
                )
                m.add_constraints(dev - v >= -xbar, name=f"PH-above{j}")
                m.add_constraints(dev + v >= xbar, name=f"PH-below{j}")
                full = full - (rho * dev).sum()
            start += n
    m.add_objective(full, sense="max", overwrite=True)
    given = {}
    if task.start is not None and task.hold is None:
        start = 0
        for v, n in zip(xs, sizes, strict=True):
            given[v.name] = task.start[start : start + n]
            start += n
    info = run_highs_with_start(
        m, given, time_limit=task.time_limit, mip_gap=task.mip_gap, threads=1
    )
    if task.hold is not None and info.status == "infeasible":  # a candidate this future refuses
        return {"x": task.hold, "objective": -math.inf, "bound": math.inf}
    if info.status not in ("optimal", "time_limit") or m.objective.value is None:
        raise SolverError(f"HiGHS stopped a progressive-hedging subproblem: {info.status!r}")
    x = np.concatenate(
        [np.round(np.nan_to_num(v.solution.values.ravel(), nan=0.0)) for v in xs] or [np.zeros(0)]
    )
    plain = (float(np.nansum(obj.solution.values)) - pen_const) * MONEY
    bound = (dual_bound(m) - pen_const) * MONEY
    return {"x": x, "objective": plain, "bound": bound}


@dataclass(frozen=True)
class PHResult:
    """Progressive hedging's answer.

    Attributes:
        decisions: the chosen design (planner's decisions format).
        objective: its mean objective over the K futures (USD; a feasible design's value).
        bound: upper bound on the SAA optimum: the lower of the wait-and-see and the
            Lagrangian bounds.
        gap: (bound − objective) / |bound|.
        iterations: PH iterations after the first (wait-and-see) solve; converged: all the
            futures' designs agreed.
        history: per iteration: disagreeing futures, distinct designs, seconds.
        candidates: each held design's mean objective.
    """

    decisions: pd.DataFrame
    objective: float
    bound: float
    gap: float
    iterations: int
    converged: bool
    k: int
    seed: int
    workers: int
    history: pd.DataFrame
    candidates: pd.DataFrame
    wall_seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    ws_bound: float | None = None
    """The wait-and-see bound (mean of the iteration-0 dual bounds)."""
    lagrangian_bound: float | None = None
    """The Lagrangian bound with PH's last multipliers, when computed."""


def _rho(d: PlanData, factor: float) -> np.ndarray:
    per_unit = [d.values("option_capex").sum(axis=1) / MONEY]
    if d.n_expansions:
        per_unit.append(d.values("expansion_capex").sum(axis=1) / MONEY)
    return factor * np.maximum(np.concatenate(per_unit), 1e-3)


def _split(d: PlanData, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x[: d.n_options], x[d.n_options : d.n_options + d.n_expansions]


def solve_ph(
    scenario: Scenario,
    k: int,
    seed: int = 0,
    *,
    executor: Executor | None = None,
    futures: Sequence[Scenario] | None = None,
    iterations: int = 3,
    rho: float = 0.5,
    candidates: int = 3,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    contracts: bool | None = None,
    lagrangian: bool = True,
    progress: Progress | None = None,
) -> PHResult:
    """Progressive hedging over ``k`` futures (``seed``) on ``executor`` (module docstring).

    Args:
        iterations: PH iterations after the wait-and-see one (0: wait-and-see and candidates).
        rho: proximal weight per unit, as a share of the option's capex per unit.
        candidates: designs held in every future at the end (rounded consensus first).
        time_limit: seconds per subproblem (default ``policy.time_limit_seconds``).
        lagrangian: after the iterations, solve each future once more with PH's multipliers and
            no proximal term for the Lagrangian bound (K more subproblems; module docstring).
    """
    if iterations < 0 or candidates < 1 or rho <= 0:
        raise UsageError("PH needs iterations >= 0, candidates >= 1 and rho > 0")
    say = progress or (lambda _m: None)
    began = time.perf_counter()
    ex = executor if executor is not None else LocalExecutor(1)
    pol = scenario.policy
    gap = float(mip_gap if mip_gap is not None else pol.mip_gap)
    limit = float(time_limit if time_limit is not None else pol.time_limit_seconds)
    if contracts is None:
        contracts = pol.allocation == AllocationPolicy.CONTRACTS
    fut = sampled_futures(scenario, k, seed, futures)
    k = len(fut)
    say(f"PH: data of {k} futures")
    tasks = [_DataTask(f, scenario, f"future {i}") for i, f in enumerate(fut)]
    datas = list(ex.map(_build_data, tasks))
    base = build_plan_data(scenario)
    t_data = time.perf_counter() - began

    def run(
        w: np.ndarray | None,
        xbar: np.ndarray | None,
        r: np.ndarray | None,
        starts: np.ndarray | None = None,
    ) -> list[dict]:
        subs = [
            _Task(fd, contracts, limit, gap, None if w is None else w[i], xbar, r,
                  start=None if starts is None else starts[i])
            for i, fd in enumerate(datas)
        ]  # fmt: skip
        return list(ex.map(_solve_sub, subs))

    say(f"PH: wait-and-see ({k} subproblems)")
    t = time.perf_counter()
    out = run(None, None, None)
    xs = np.array([o["x"] for o in out])
    bound = float(np.mean([o["bound"] for o in out]))
    history = [_history(0, xs, time.perf_counter() - t)]
    r = _rho(base, rho)
    xbar = xs.mean(axis=0)
    w = r[None, :] * (xs - xbar[None, :])
    done = 0
    while done < iterations and history[-1]["disagreeing"] > 0:
        done += 1
        say(f"PH: iteration {done}/{iterations}")
        t = time.perf_counter()
        out = run(w, xbar, r, xs)
        xs = np.array([o["x"] for o in out])
        xbar = xs.mean(axis=0)
        w = w + r[None, :] * (xs - xbar[None, :])
        history.append(_history(done, xs, time.perf_counter() - t))
    converged = history[-1]["disagreeing"] == 0
    ws_bound, lag_bound = bound, None
    timings = {"data": t_data}
    if lagrangian and done > 0 and np.abs(w).max() > 0:
        say(f"PH: Lagrangian bound ({k} subproblems with the multipliers)")
        t = time.perf_counter()
        lag_bound = float(np.mean([o["bound"] for o in run(w, None, None, xs)]))
        bound = min(bound, lag_bound)
        timings["lagrangian"] = time.perf_counter() - t
    say("PH: holding the candidate designs in every future")
    cands = _candidates(xbar, xs, candidates)
    means: list[float] = []
    for c in cands:
        held = list(ex.map(_solve_sub, [_Task(fd, contracts, limit, gap, hold=c) for fd in datas]))
        means.append(float(np.mean([h["objective"] for h in held])))
    best = int(np.argmax(means))
    units, blocks = _split(base, cands[best])
    objective = means[best]
    cand_table = pd.DataFrame(
        {
            "candidate": [
                "rounded consensus" if i == 0 else f"design {i}" for i in range(len(cands))
            ],
            "capex": [_capex(base, c) for c in cands],
            "mean_objective": means,
            "chosen": [i == best for i in range(len(cands))],
        }
    )
    return PHResult(
        decisions=decisions_table(base, units, blocks),
        objective=objective,
        bound=bound,
        gap=(bound - objective) / max(abs(bound), 1e-9),
        iterations=done,
        converged=converged,
        k=k,
        seed=seed,
        workers=int(getattr(ex, "workers", 1)),
        history=pd.DataFrame(history),
        candidates=cand_table,
        wall_seconds=time.perf_counter() - began,
        timings=timings,
        ws_bound=ws_bound,
        lagrangian_bound=lag_bound,
    )


def _history(it: int, xs: np.ndarray, seconds: float) -> dict[str, Any]:
    distinct = Counter(map(tuple, xs))
    top = max(distinct.values())
    return {"iteration": it, "disagreeing": int(len(xs) - top), "designs": len(distinct),
            "seconds": seconds}  # fmt: skip


def _candidates(xbar: np.ndarray, xs: np.ndarray, n: int) -> list[np.ndarray]:
    """Rounded consensus, then the futures' designs by frequency (first seen first on ties)."""
    out = [np.round(xbar)]
    counts = Counter(map(tuple, xs))
    order = sorted(counts, key=lambda d: -counts[d])
    for d in order:
        arr = np.array(d, dtype=float)
        if len(out) >= n:
            break
        if not any(np.array_equal(arr, o) for o in out):
            out.append(arr)
    return out


def _capex(d: PlanData, x: np.ndarray) -> float:
    units, blocks = _split(d, x)
    total = float((d.values("option_capex").sum(axis=1) * units).sum())
    if d.n_expansions:
        total += float((d.values("expansion_capex").sum(axis=1) * blocks).sum())
    return total


def ph_summary(res: PHResult) -> dict[str, Any]:
    """The JSON part of a progressive-hedging solve (USD)."""
    return {
        "method": "progressive hedging",
        "k": res.k,
        "objective": res.objective,
        "bound": res.bound,
        "ws_bound": res.ws_bound,
        "lagrangian_bound": res.lagrangian_bound,
        "gap": res.gap,
        "iterations": res.iterations,
        "converged": res.converged,
        "workers": res.workers,
        "wall_seconds": res.wall_seconds,
    }


def ph_as_saa(scenario: Scenario, res: PHResult) -> Any:
    """PH's design as an :class:`~fabnet.risk.saa.SAAResult` (for the out-of-sample comparison:
    no per-future table nor mean wafer starts; the fast recourse then uses its own mix)."""
    from fabnet.plan import units_from_decisions
    from fabnet.risk.saa import SAAResult  # imported here: saa imports this module's users

    base = build_plan_data(scenario)
    units, blocks = units_from_decisions(base, res.decisions)
    return SAAResult(
        decisions=res.decisions,
        objective=res.objective,
        futures=pd.DataFrame(columns=["future", "npv", "objective", "capex", "peak_debt"]),
        status="converged" if res.converged else "not converged",
        mip_gap=res.gap,
        k=res.k,
        seed=res.seed,
        data=base,
        units=units,
        blocks=blocks,
        wafer_starts=None,
        size={"futures": res.k, "workers": res.workers},
        timings={"total": res.wall_seconds, **res.timings},
    )
