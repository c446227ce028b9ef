"""HiGHS with a MIP start: the robust plan's solve, given a first incumbent.

:func:`run_highs_with_start` builds the HiGHS model of a linopy model (linopy's direct API),
hands HiGHS the values of some integer variables (``Highs.setSolution`` with a sparse, partial
solution: HiGHS completes it by solving the rest with those integers fixed, HiGHS 1.16
documentation, "MIP start"), solves, and writes the result back to the linopy model
(:meth:`linopy.Model.assign_result`), so the caller reads solutions as after ``Model.solve``.

In the robust plan the start is the deterministic plan's design (``solve_saa(warm_start=...)``):
it is feasible in every future whenever the deterministic plan is, so branch and bound begins with
an incumbent within a few per cent of the optimum instead of searching for one, and prunes early.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from typing import Any

import linopy
import numpy as np

from fabnet.errors import SolverError, UsageError
from fabnet.plan import PlanData, SolveInfo, units_from_decisions
from fabnet.plan.highs import highs_options, quiet_solver

__all__ = ["dual_bound", "run_highs_with_start", "start_from_decisions"]


def run_highs_with_start(
    m: linopy.Model,
    start: Mapping[str, Any],
    *,
    time_limit: float,
    mip_gap: float | None = None,
    threads: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> SolveInfo:
    """Solve ``m`` with HiGHS from the partial MIP start ``start`` (variable name → values of
    the variable's shape); quiet. Statuses as :func:`fabnet.plan.run_highs`."""
    opts = highs_options(time_limit, threads)
    if mip_gap is not None:
        opts["mip_rel_gap"] = float(mip_gap)
    opts.update(options or {})
    began = time.perf_counter()
    with warnings.catch_warnings(), quiet_solver():
        warnings.simplefilter("ignore")
        try:
            solver = linopy.solvers.Solver.from_name(
                "highs", model=m, io_api="direct", options=opts
            )
            h = solver.solver_model
            index, values = _start_columns(m, start)
            if index.size:
                h.setSolution(int(index.size), index, values)
            result = solver.solve()
            m.assign_result(result, solver)
        except Exception as exc:  # pragma: no cover - solver crash
            raise SolverError(f"HiGHS failed: {exc}") from exc
    seconds = time.perf_counter() - began
    condition = str(m.termination_condition)
    gap: float | None = None
    obj = math.nan
    try:
        info = h.getInfo()
        obj = float(info.objective_function_value)
        gap = float(info.mip_gap)
    except Exception:  # pragma: no cover - no solver model
        pass
    value = m.objective.value
    has_value = value is not None and math.isfinite(float(value))
    if condition == "optimal":
        status = "optimal"
    elif condition in ("time_limit", "iteration_limit") and has_value:
        status = "time_limit"
    elif condition in ("infeasible", "infeasible_or_unbounded"):
        status = "infeasible"
    else:
        status = condition
    return SolveInfo(status, obj, seconds, gap)


def _start_columns(m: linopy.Model, start: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS column positions and values of the started variables (masked entries left out)."""
    to_pos = m.variables.label_index.label_to_pos
    cols, vals = [], []
    for name, given in start.items():
        labels = np.asarray(m.variables[name].labels.values).ravel()
        v = np.asarray(given, dtype=float).ravel()
        keep = labels >= 0
        cols.append(np.asarray(to_pos[labels[keep]], dtype=np.int32))
        vals.append(v[keep])
    if not cols:
        return np.zeros(0, np.int32), np.zeros(0)
    return np.concatenate(cols).astype(np.int32), np.concatenate(vals).astype(np.float64)


def start_from_decisions(
    base: PlanData, m: linopy.Model | None, decisions: Any
) -> dict[str, np.ndarray]:
    """The first-stage values of a decisions table as a MIP start (variable name → values;
    only the variables ``m`` has, all when ``m`` is None); empty without decisions or when they
    do not fit ``base``'s options."""
    if decisions is None:
        return {}
    try:
        units, blocks = units_from_decisions(base, decisions)
    except UsageError:
        return {}
    start: dict[str, np.ndarray] = {}
    for name, values, n in (("Option-units", units, base.n_options),
                            ("Expansion-blocks", blocks, base.n_expansions)):  # fmt: skip
        if (m is None and n) or (m is not None and name in m.variables):
            start[name] = values
    return start


def dual_bound(m: linopy.Model) -> float:
    """The dual bound of the last HiGHS solve of ``m`` in ``m``'s objective units, constant
    included: for a maximisation no solution is better than it (HiGHS ``mip_dual_bound``, in
    the model's sense; an LP's optimum is its own bound). ``inf`` (``-inf`` when minimising)
    when HiGHS proved none, e.g. stopped before the root relaxation was solved.

    linopy keeps the objective's constant outside HiGHS and may scale it, so the bound is
    taken relative to the incumbent: ``value + (dual − primal) / scaling``."""
    value = m.objective.value
    worst = math.inf if m.objective.sense == "max" else -math.inf
    if value is None or not math.isfinite(float(value)):
        return worst
    if not (len(m.integers) or len(m.binaries)):
        return float(value) if str(m.termination_condition) == "optimal" else worst
    try:
        info = m.solver_model.getInfo()
        dual, primal = float(info.mip_dual_bound), float(info.objective_function_value)
    except Exception:  # pragma: no cover - no solver model
        return worst
    if not (math.isfinite(dual) and math.isfinite(primal)):
        return worst
    scaling = float(getattr(m.objective, "scaling", 1.0) or 1.0)
    return float(value) + (dual - primal) / scaling
