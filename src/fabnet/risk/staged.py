"""Staged plan: build/buy decisions on a scenario tree with one stage month.

The K sampled futures are the leaves of a two-level tree: the root (now) and, at the stage month
``τ``, one branch per group of futures that are told apart by then (``branches``; by default
every future is its own branch: by ``τ`` the yield, demand and construction seen reveal which
future it is). Decisions of options (modules, purchases, packaging blocks) that *start before*
``τ`` are taken now and must be equal in every future; those starting at or after ``τ`` are
taken at the stage and must be equal only within a branch (non-anticipativity up to each stage,
Birge & Louveaux, *Introduction to Stochastic Programming*, 2nd ed., §3.5; Shapiro, Dentcheva &
Ruszczyński 2009, §3.1). Operations are per future, as in the two-stage model
(:mod:`fabnet.risk.saa`). The futures are equiprobable:

.. math::

    \\mathrm{RP} = \\max \\frac{1}{K} \\sum_k z_k(u_{b(k)}, x_k) \\quad\\text{s.t.}\\quad
        u_{b,o} = u_{1,o} \\;\\; \\forall b,\\; o \\text{ starting before } \\tau.

Each branch has its own copy of the build/buy variables (``Option-units#b<j>``) with its own
site and line limits; the rows ``NA-units`` / ``NA-blocks`` tie the copies of the early options.

Values reported (for maximisation; Birge & Louveaux §4.1-4.2, Escudero, Garín, Merino & Pérez,
"The value of the stochastic solution in multistage problems", TOP 15, 2007):

* **WS** (wait and see): each future's own best plan, averaged — every option free per future.
* **EVPI** = WS − RP ≥ 0: what knowing the future before deciding anything would be worth.
* **EEV**: the deterministic plan of the scenario as stated (the mean-value problem's solution)
  with its decisions before ``τ`` held and the later ones re-decided in each branch.
* **VSS** = RP − EEV ≥ 0: what solving on the tree gains over deciding now by the single-number
  plan. Also the two-stage value (every decision now, :func:`fabnet.risk.saa.solve_saa`), so
  RP − two-stage is the value of waiting for the stage.

**Solving.** WS and EEV separate by branch (nothing ties the branches once the early decisions
are held or free), so they are solved branch by branch, each a plan-sized MIP. The two-stage
model starts from the deterministic plan's design, and the tree from the better of the EEV's
and the two-stage's designs (both feasible on the tree), so its first incumbent is already at
least max(EEV, two-stage). Each solve stops at the policy's MIP gap or its time limit and reports
its HiGHS dual bound; :func:`value_bounds` turns incumbents and bounds into intervals of RP, WS,
EEV, EVPI and VSS, using the orderings WS ≥ RP ≥ max(EEV, two-stage) that hold at the optima.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd

from fabnet.errors import InfeasibleError, SolverError, UsageError
from fabnet.plan import PlanData, decisions_table, solve_plan, units_from_decisions
from fabnet.plan.model import MONEY, PlanModel, build_model
from fabnet.risk.mipstart import dual_bound, run_highs_with_start
from fabnet.risk.saa import (
    SAA_HIGHS_OPTIONS,
    build_futures_data,
    future_objective,
    future_rows,
    sampled_futures,
)
from fabnet.scenario import Scenario
from fabnet.vocab import AllocationPolicy

__all__ = ["StagedResult", "solve_staged", "stage_masks", "value_bounds"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StagedResult:
    """A staged plan and its values (USD).

    Attributes:
        stage_month: ``τ`` (``YYYY-MM``).
        decisions: one row per branch and decision: branch, when (``now`` / ``at stage``),
            site, action, node, start, first_output, modules, capex.
        branches: the branch of each future (list index = future).
        rp: here-and-now value of the staged plan (mean objective over the futures).
        ws, eev, two_stage: wait-and-see, expected value of the mean-value solution, and the
            two-stage (all decisions now) value; evpi = ws − rp, vss = rp − eev.
        futures: one row per future (branch, npv, objective, capex, delivered, shortage...).
        bounds: interval of each value and of evpi, vss and waiting (RP − two-stage) from the
            solves' incumbents and dual bounds (:func:`value_bounds`); rp and ws are the lower
            ends, so evpi and vss are never negative, and a point is resolved only as far as
            its interval is narrow.
    """

    stage_month: str
    decisions: pd.DataFrame
    branches: list[int]
    rp: float
    ws: float | None
    eev: float | None
    two_stage: float | None
    futures: pd.DataFrame
    status: str
    k: int
    seed: int
    timings: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    """HiGHS status of each solve (rp, ws, two_stage, eev): a ``time_limit`` value is an
    incumbent, not the optimum; ``bounds`` says how far from it the optimum can be."""
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    mip_gap: float | None = None

    @property
    def evpi(self) -> float | None:
        return None if self.ws is None else self.ws - self.rp

    @property
    def vss(self) -> float | None:
        return None if self.eev is None else self.rp - self.eev

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (values in USD)."""
        return {
            "stage_month": self.stage_month,
            "k": self.k,
            "seed": self.seed,
            "branches": self.branches,
            "rp": self.rp,
            "ws": self.ws,
            "eev": self.eev,
            "two_stage": self.two_stage,
            "evpi": self.evpi,
            "vss": self.vss,
            "status": self.status,
            "statuses": self.statuses,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "mip_gap": self.mip_gap,
            "timings": self.timings,
            "decisions": self.decisions.to_dict("records"),
        }


def stage_masks(d: PlanData, stage_month: str) -> tuple[np.ndarray, np.ndarray]:
    """Which options and expansions start before ``stage_month`` (decided now)."""
    early_o = np.array([str(s) < stage_month for s in d.values("option_start")], dtype=bool)
    early_e = np.array([str(s) < stage_month for s in d.values("expansion_start")], dtype=bool)
    return early_o, early_e


def _branch_first_stage(m: linopy.Model, d: PlanData, j: int) -> dict[str, linopy.Variable]:
    """Branch ``j``'s own ``Option-units`` / ``Expansion-blocks`` with their site and line
    limits (as :func:`fabnet.plan.model.define_options` and the packaging family make them)."""
    pm = PlanModel(m, d)
    out: dict[str, linopy.Variable] = {}
    if d.n_options:
        units = m.add_variables(
            lower=0, upper=pm.da("option_max_units"), coords=[pm.option],
            name=f"Option-units#b{j}", integer=True,
        )  # fmt: skip
        site_of = pm.da("option_site").rename("site")
        per_site = units.groupby(site_of).sum().sel(site=list(d.sites))
        m.add_constraints(per_site <= pm.da("site_max_units"), name=f"Site-max_units#b{j}")
        out["Option-units"] = units
    if d.n_expansions:
        line_of = d.positions("line", d.values("expansion_line"))
        inc = np.zeros((len(d.lines), d.n_expansions))
        inc[line_of, np.arange(d.n_expansions)] = 1.0
        inc_da = pm.arr(inc, "line", "expansion")
        max_blocks = (inc_da * pm.da("line_max_blocks")).sum("line")
        blocks = m.add_variables(
            lower=0, upper=max_blocks, coords=[pm.expansion], name=f"Expansion-blocks#b{j}",
            integer=True,
        )  # fmt: skip
        m.add_constraints(
            (inc_da * blocks).sum("expansion") <= pm.da("line_max_blocks"),
            name=f"Line-max_blocks#b{j}",
        )
        out["Expansion-blocks"] = blocks
    return out


def _tree_model(
    datas: Sequence[PlanData],
    branches: Sequence[int],
    early: tuple[np.ndarray, np.ndarray],
    contracts: bool,
) -> tuple[linopy.Model, list[PlanModel], float, dict[int, dict[str, linopy.Variable]]]:
    """One model over the futures with per-branch build/buy variables tied before the stage."""
    m = linopy.Model(force_dim_names=True)
    base = datas[0]
    firsts: dict[int, dict[str, linopy.Variable]] = {}
    for j in sorted(set(branches)):
        firsts[j] = _branch_first_stage(m, base, j)
    root = min(firsts)
    for j, fs in firsts.items():
        if j == root:
            continue
        for name, mask, dim in (("Option-units", early[0], "option"),
                                ("Expansion-blocks", early[1], "expansion")):  # fmt: skip
            if name in fs and mask.any():
                pm0 = PlanModel(m, base)
                m.add_constraints(
                    fs[name] - firsts[root][name] == 0,
                    name=f"NA-{name}#b{j}",
                    mask=pm0.arr(mask, dim),
                )
    pms: list[PlanModel] = []
    total: Any = 0
    constant = 0.0
    for i, (fd, j) in enumerate(zip(datas, branches, strict=True)):
        pm = build_model(fd, contracts=contracts, m=m, tag=f"f{i}", first_stage=firsts[j])
        obj, pen_const = future_objective(pm)
        total = obj if i == 0 else total + obj
        constant += pen_const
        pms.append(pm)
    m.add_objective(total / len(datas), sense="max", overwrite=True)
    return m, pms, constant, firsts


Design = tuple[np.ndarray, np.ndarray]
"""(units per option, blocks per expansion) of one branch."""


@dataclass(frozen=True)
class _Tree:
    """One solve of (part of) the tree: the mean objective of its futures at the incumbent and
    HiGHS's dual bound on it (USD), the status, each branch's design and the futures' parts."""

    value: float
    bound: float
    status: str
    chosen: dict[int, Design]
    pms: list[PlanModel]


def _hold(m: linopy.Model, d: PlanData, firsts: dict, hold: Design, early: Design) -> None:
    """Fix the early decisions of every branch to ``hold`` (the EEV)."""
    pm0 = PlanModel(m, d)
    for fs in firsts.values():
        for name, values, mask, dim in (
            ("Option-units", hold[0], early[0], "option"),
            ("Expansion-blocks", hold[1], early[1], "expansion"),
        ):
            if name in fs and mask.any():
                m.add_constraints(
                    fs[name] == pm0.arr(values, dim), name=f"Hold-{fs[name].name}",
                    mask=pm0.arr(mask, dim),
                )  # fmt: skip


def _solve_tree(
    datas: Sequence[PlanData],
    branches: Sequence[int],
    early: Design,
    contracts: bool,
    limit: float,
    gap: float,
    hold: Design | None = None,
    start: dict[int, Design] | None = None,
) -> _Tree:
    """Solve the tree; ``hold`` fixes the early decisions (EEV); ``start`` is a MIP start (a
    design per branch, :mod:`fabnet.risk.mipstart`)."""
    m, pms, constant, firsts = _tree_model(datas, branches, early, contracts)
    if hold is not None:
        _hold(m, datas[0], firsts, hold, early)
    cols: dict[str, np.ndarray] = {}
    for j, fs in firsts.items():
        if start and j in start:
            for pos, name in enumerate(("Option-units", "Expansion-blocks")):
                if name in fs:
                    cols[fs[name].name] = start[j][pos]
    info = run_highs_with_start(m, cols, time_limit=limit, mip_gap=gap, options=SAA_HIGHS_OPTIONS)
    if info.status == "infeasible":
        raise InfeasibleError(
            "the staged plan is infeasible: no build/buy plan keeps cash above the floor and "
            "debt within its limit in every future of the tree"
        )
    if info.status not in ("optimal", "time_limit") or m.objective.value is None:
        raise SolverError(f"HiGHS stopped the staged model with status {info.status!r}")
    k = len(datas)
    value = (float(m.objective.value) - constant / k) * MONEY
    bound = (dual_bound(m) - constant / k) * MONEY
    chosen = {}
    for j, fs in firsts.items():
        u = np.zeros(datas[0].n_options)
        b = np.zeros(datas[0].n_expansions)
        if "Option-units" in fs:
            u = np.round(np.nan_to_num(fs["Option-units"].solution.values, nan=0.0))
        if "Expansion-blocks" in fs:
            b = np.round(np.nan_to_num(fs["Expansion-blocks"].solution.values, nan=0.0))
        chosen[j] = (u, b)
    return _Tree(value, max(bound, value), info.status, chosen, pms)


def _by_branch(
    datas: Sequence[PlanData],
    branches: Sequence[int],
    early: Design,
    contracts: bool,
    limit: float,
    gap: float,
    hold: Design | None = None,
    say: Progress | None = None,
) -> _Tree:
    """The tree solved branch by branch: exact when nothing ties the branches — wait-and-see
    (no early decisions) or the early decisions held (EEV) — and each piece far smaller than
    the whole. Values and bounds are the futures' means (equiprobable); ``limit`` is shared
    in proportion to each branch's futures."""
    k = len(datas)
    value = bound = 0.0
    chosen: dict[int, Design] = {}
    pms: list[PlanModel | None] = [None] * k
    statuses = []
    groups = sorted(set(branches))
    for n, j in enumerate(groups):
        idx = [i for i, b in enumerate(branches) if b == j]
        if say is not None:
            say(f"branch {n + 1}/{len(groups)}")
        sub = _solve_tree(
            [datas[i] for i in idx], [j] * len(idx), early, contracts,
            limit * len(idx) / k, gap, hold,
        )  # fmt: skip
        value += sub.value * len(idx) / k
        bound += sub.bound * len(idx) / k
        chosen[j] = sub.chosen[j]
        for i, pm in zip(idx, sub.pms, strict=True):
            pms[i] = pm
        statuses.append(sub.status)
    status = "optimal" if all(s == "optimal" for s in statuses) else "time_limit"
    return _Tree(value, bound, status, chosen, [pm for pm in pms if pm is not None])


def value_bounds(
    rp: tuple[float, float],
    ws: tuple[float, float] | None = None,
    eev: tuple[float, float] | None = None,
    two_stage: tuple[float, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Intervals of the tree's values and of EVPI and VSS from each solve's (incumbent, dual
    bound) (maximisation, USD). The orderings WS ≥ RP ≥ EEV and RP ≥ two-stage hold at the
    optima (an EEV or two-stage design is feasible on the tree; the tree's plan is feasible for
    every future alone), so

    * RP ∈ [max(rp, eev, two), min(RP bound, WS bound)] (incumbents raise the floor);
    * WS ∈ [max(ws, RP low), WS bound]; EEV ∈ [eev, min(EEV bound, RP high)], two-stage alike;
    * EVPI = WS − RP ∈ [max(0, WS low − RP high), WS high − RP low];
    * VSS = RP − EEV ∈ [max(0, RP low − EEV high), RP high − EEV low]; waiting (RP − two-stage)
      alike.

    The lower ends are clipped at 0 because EVPI, VSS and the value of waiting are ≥ 0 at the
    optimum (Birge & Louveaux §4.1-4.2): a negative difference of incumbents is inside the gap.
    """
    rp_lo = max([rp[0]] + [v[0] for v in (eev, two_stage) if v is not None])
    rp_hi = min([rp[1]] + ([ws[1]] if ws is not None else []))
    rp_hi = max(rp_hi, rp_lo)
    out: dict[str, tuple[float, float]] = {"rp": (rp_lo, rp_hi)}
    if ws is not None:
        ws_lo = max(ws[0], rp_lo)
        out["ws"] = (ws_lo, max(ws[1], ws_lo))
        out["evpi"] = (max(0.0, ws_lo - rp_hi), max(ws[1], ws_lo) - rp_lo)
    for name, v, diff in (("eev", eev, "vss"), ("two_stage", two_stage, "waiting")):
        if v is None:
            continue
        hi = max(min(v[1], rp_hi), v[0])
        out[name] = (v[0], hi)
        out[diff] = (max(0.0, rp_lo - hi), rp_hi - v[0])
    return out


def _branch_table(
    base: PlanData, chosen: dict[int, tuple[np.ndarray, np.ndarray]], stage_month: str
) -> pd.DataFrame:
    frames = []
    for j, (u, b) in chosen.items():
        t = decisions_table(base, u, b)
        t.insert(0, "when", np.where(t["start"].astype(str) < stage_month, "now", "at stage"))
        t.insert(0, "branch", j)
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def solve_staged(
    scenario: Scenario,
    k: int,
    seed: int = 0,
    *,
    stage_month: str,
    futures: Sequence[Scenario] | None = None,
    branches: Sequence[int] | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    contracts: bool | None = None,
    values: bool = True,
    deterministic: Any = None,
    progress: Progress | None = None,
) -> StagedResult:
    """Solve the staged plan on ``k`` futures (``seed``) with stage month ``stage_month``.

    Args:
        branches: the branch of each future (default: one branch per future).
        values: also solve WS, EEV and the two-stage plan (three more models).
        deterministic: the scenario's plan (a ``PlanResult``) for the EEV (default: solved).

    Raises:
        UsageError: a stage month outside the horizon, bad branches; InfeasibleError;
        SolverError.
    """
    say = progress or (lambda _m: None)
    pol = scenario.policy
    gap = float(mip_gap if mip_gap is not None else pol.mip_gap)
    t0 = time.perf_counter()
    fut = sampled_futures(scenario, k, seed, futures)
    k = len(fut)
    tree = list(range(k)) if branches is None else [int(b) for b in branches]
    if len(tree) != k:
        raise UsageError(f"branches must name one branch per future ({k}), got {len(tree)}")
    base, datas = build_futures_data(scenario, fut, say=say)
    months = [str(x) for x in base.labels("month")]
    if stage_month not in months[1:]:
        raise UsageError(
            f"--staged month {stage_month!r} must be a month of the horizon after its first "
            f"({months[1]} … {months[-1]})"
        )
    if contracts is None:
        contracts = pol.allocation == AllocationPolicy.CONTRACTS
    limit = float(time_limit if time_limit is not None else pol.time_limit_seconds * k)
    early = stage_masks(base, stage_month)
    t_data = time.perf_counter() - t0
    none = (np.zeros(base.n_options, bool), np.zeros(base.n_expansions, bool))
    every = (np.ones(base.n_options, bool), np.ones(base.n_expansions, bool))
    ws = eev = two = None
    start: dict[int, Design] | None = None
    statuses: dict[str, str] = {}
    seconds: dict[str, float] = {"data": t_data}
    if values:
        mark = time.perf_counter()
        say("staged plan: wait-and-see (each future on its own)")
        ws = _by_branch(datas, list(range(k)), none, contracts, limit, gap)
        seconds["ws"] = time.perf_counter() - mark
        if deterministic is None:
            say("staged plan: the deterministic plan")
            deterministic = solve_plan(scenario, explain=False)
        held = units_from_decisions(base, deterministic.decisions)
        mark = time.perf_counter()
        say("staged plan: the deterministic plan's early decisions held (EEV), branch by branch")
        eev = _by_branch(datas, tree, early, contracts, limit, gap, hold=held)
        seconds["eev"] = time.perf_counter() - mark
        mark = time.perf_counter()
        say("staged plan: two-stage (every decision now), from the deterministic design")
        two = _solve_tree(datas, [0] * k, every, contracts, limit, gap, start={0: held})
        seconds["two_stage"] = time.perf_counter() - mark
        statuses.update(ws=ws.status, eev=eev.status, two_stage=two.status)
        start = eev.chosen if eev.value >= two.value else {j: two.chosen[0] for j in set(tree)}
    mark = time.perf_counter()
    say(f"staged plan: solving the tree ({k} futures, {len(set(tree))} branches)")
    rp = _solve_tree(datas, tree, early, contracts, limit, gap, start=start)
    seconds["rp"] = time.perf_counter() - mark
    statuses["rp"] = rp.status
    for given in (eev, two):  # HiGHS may refuse a start: keep the better feasible tree plan
        if given is not None and given.value > rp.value + 1e-6 * max(1.0, abs(rp.value)):
            chosen = given.chosen if given is eev else {j: given.chosen[0] for j in set(tree)}
            rp = _Tree(given.value, rp.bound, rp.status, chosen, given.pms)
    bounds = value_bounds(
        (rp.value, rp.bound),
        None if ws is None else (ws.value, ws.bound),
        None if eev is None else (eev.value, eev.bound),
        None if two is None else (two.value, two.bound),
    )
    rows = future_rows(rp.pms).assign(branch=tree)
    seconds["total"] = time.perf_counter() - t0
    return StagedResult(
        stage_month=stage_month,
        decisions=_branch_table(base, rp.chosen, stage_month),
        branches=tree,
        rp=bounds["rp"][0],
        ws=None if ws is None else bounds["ws"][0],
        eev=None if eev is None else eev.value,
        two_stage=None if two is None else two.value,
        futures=rows,
        status=rp.status,
        k=k,
        seed=seed,
        timings=seconds,
        statuses=statuses,
        bounds=bounds,
        mip_gap=gap,
    )
