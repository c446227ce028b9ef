"""Allocation policies: who gets the scarce accelerators once the fabs are chosen.

The build/buy decisions come from the design MIP (objective with priority-weighted shortage
penalties). With those integers fixed, the operations LP is re-solved in stages that impose the
policy, each stage turning its optimum into a constraint for the next (lexicographic optimisation;
tolerance ``LEX_TOL`` relative). The last stage optimises the plan's objective (NPV, or cost).

* ``priority`` — strict priority levels: level 1 customers receive the most units they can
  (summed over products and the horizon), then, with that kept, level 2, and so on.
* ``proportional`` — fair share per product and bucket: every customer of product *p* in bucket
  *t* gets the same fraction :math:`\\varphi_{p,t}` of its demand,
  :math:`q_{c,p,t} = \\varphi_{p,t}\\,D_{c,p,t}` (of the demand above its contracted minimum when
  contracts come first). Equal fill rates always exist, so "where possible" is every bucket.
* ``maxmin`` — lexicographic max-min of each customer's horizon fill rate
  :math:`F_c = \\sum_{p,t} q_{c,p,t} / \\sum_{p,t} D_{c,p,t}`: raise the lowest fill rate as far as
  possible, freeze the customers that cannot go higher (positive dual on their fill-rate row, else
  a per-customer test), repeat with the rest. No customer's fill rate can then rise without
  lowering one that is already lower. Unlike ``proportional``, a customer that also buys a
  plentiful product counts it, so scarce products go first to those short overall.
* ``contracts`` — contracted minimums first (the total contract shortfall is minimised and kept),
  then ``policy.contracts_then`` (``priority``, ``proportional`` or ``maxmin``).
"""

from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

from fabnet.errors import SolverError
from fabnet.plan.highs import objective_value, run_highs
from fabnet.plan.model import QTY, PlanModel
from fabnet.vocab import AllocationPolicy

__all__ = ["LEX_TOL", "POLICIES", "add_proportional", "apply_policy"]

POLICIES = AllocationPolicy.values()
LEX_TOL = 1e-6
ZERO_SHORTFALL = 1e-9
"""Contract shortfall (thousand units, summed) below which the current solution already has
none: the contracts stage then needs no LP of its own."""


def _keep(value: float) -> float:
    return value - LEX_TOL * max(1.0, abs(value))


def add_proportional(pm: PlanModel) -> None:
    """``Fill-share`` (product, bucket) and ``Allocation-proportional``: each customer's delivery
    is its contracted part (if contracts exist) plus the common share of the rest of its demand."""
    m = pm.m
    if "Fill-share" in m.variables:
        return
    phi = m.add_variables(lower=0, upper=1, coords=[pm.product, pm.bucket], name="Fill-share")
    dem = pm.da("demand", QTY)
    con = pm.da("contracted", QTY)
    rhs = (dem - con) * phi
    lhs = pm.ex["delivered"]
    if "Contract-shortfall" in m.variables:
        lhs = lhs + m.variables["Contract-shortfall"].fillna(0)
    else:
        con = con * 0
    m.add_constraints(lhs - rhs == con, name="Allocation-proportional", mask=dem > 0)


def _solve(pm: PlanModel, expr, sense: str, time_limit: float, threads: int | None) -> float:
    pm.m.add_objective(expr, sense=sense, overwrite=True)
    info = run_highs(pm.m, time_limit=time_limit, threads=threads)
    if info.status not in ("optimal", "time_limit"):
        raise SolverError(f"allocation stage ended with status {info.status}")
    return objective_value(pm.m)


def _current(expr: linopy.LinearExpression) -> float | None:
    """Value of ``expr`` at the model's current solution (the previous stage's optimum, feasible
    for every constraint added since), or None when there is none."""
    try:
        value = float(np.nansum(np.asarray(expr.solution.values, dtype=float)))
    except Exception:  # no solution yet
        return None
    return value if np.isfinite(value) else None


def _stage_contracts(pm: PlanModel, time_limit: float, threads: int | None) -> None:
    if "Contract-shortfall" not in pm.m.variables:
        return
    short = pm.m.variables["Contract-shortfall"].fillna(0).sum()
    now = _current(short)
    if now is not None and abs(now) <= ZERO_SHORTFALL:
        # shortfall is >= 0: a solution without any is already this stage's optimum (no LP)
        best = 0.0
    else:
        best = _solve(pm, short, "min", time_limit, threads)
    pm.m.add_constraints(short <= best + LEX_TOL * max(1.0, abs(best)), name="Allocation-contracts")


def _stage_priority(pm: PlanModel, time_limit: float, threads: int | None) -> None:
    d = pm.d
    levels = sorted(set(int(p) for p in d.values("priority")))
    if len(levels) < 2:
        return
    served = pm.ex["delivered"].sum(["product", "bucket"])
    for level in levels[:-1]:
        names = [c for c, p in zip(d.customers, d.values("priority"), strict=True) if p == level]
        expr = served.sel(customer=names).sum()
        best = _solve(pm, expr, "max", time_limit, threads)
        pm.m.add_constraints(expr >= _keep(best), name=f"Allocation-priority-{level}")


def _fill_rates(pm: PlanModel) -> tuple[list[str], linopy.LinearExpression]:
    d = pm.d
    total = d.values("demand").sum(axis=(1, 2))
    names = [c for c, t in zip(d.customers, total, strict=True) if t > 0]
    inv = xr.DataArray(
        [QTY / t for t in total if t > 0], coords=[("customer", names)], dims=["customer"]
    )
    fill = pm.ex["delivered"].sum(["product", "bucket"]).sel(customer=names) * inv
    return names, fill


def _stage_maxmin(pm: PlanModel, time_limit: float, threads: int | None) -> dict[str, float]:
    m = pm.m
    names, fill = _fill_rates(pm)
    levels: dict[str, float] = {}
    z = m.add_variables(lower=0, upper=1, name="Maxmin-level")
    for _round in range(len(names)):
        free = [c for c in names if c not in levels]
        if not free:
            break
        if "Allocation-maxmin-free" in m.constraints:
            m.remove_constraints("Allocation-maxmin-free")
        m.add_constraints(fill.sel(customer=free) - z >= 0, name="Allocation-maxmin-free")
        zstar = _solve(pm, 1.0 * z, "max", time_limit, threads)
        if zstar >= 1.0 - 1e-9:
            levels.update({c: 1.0 for c in free})
            break
        duals = np.abs(m.constraints["Allocation-maxmin-free"].dual.values)
        blocked = [c for c, v in zip(free, duals, strict=True) if v > 1e-9]
        if not blocked:  # degenerate duals: test each customer
            for c in free:
                up = _solve(pm, fill.sel(customer=c), "max", time_limit, threads)
                if up <= zstar + 1e-7:
                    blocked.append(c)
            if not blocked:
                blocked = list(free)
        for c in blocked:
            levels[c] = zstar
        kept = [c for c in names if c in levels]
        if "Allocation-maxmin" in m.constraints:
            m.remove_constraints("Allocation-maxmin")
        lv = xr.DataArray([_keep(levels[c]) for c in kept], coords=[("customer", kept)])
        m.add_constraints(fill.sel(customer=kept) >= lv, name="Allocation-maxmin")
    if "Allocation-maxmin-free" in m.constraints:
        m.remove_constraints("Allocation-maxmin-free")
    m.remove_variables("Maxmin-level")
    return levels


def apply_policy(
    pm: PlanModel, policy: str, then: str, time_limit: float, threads: int | None
) -> dict[str, object]:
    """Impose ``policy`` on the (integer-fixed) operations LP by lexicographic stages."""
    info: dict[str, object] = {"policy": policy}
    rule = policy
    if policy == AllocationPolicy.CONTRACTS:
        _stage_contracts(pm, time_limit, threads)
        rule = then
        info["then"] = then
    if rule == AllocationPolicy.PRIORITY:
        _stage_priority(pm, time_limit, threads)
    elif rule == AllocationPolicy.PROPORTIONAL:
        add_proportional(pm)
    elif rule == "maxmin":
        info["maxmin_levels"] = _stage_maxmin(pm, time_limit, threads)
    return info
