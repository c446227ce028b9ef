"""Running HiGHS through linopy: options, status mapping, infeasibility explanation hook."""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import time
import warnings
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import linopy

from fabnet.errors import SolverError

__all__ = [
    "DESIGN_MIP_OPTIONS",
    "SolveInfo",
    "highs_options",
    "objective_value",
    "quiet_solver",
    "run_highs",
]

BIG_LP_COLUMNS = 150_000
"""LPs with more columns than this use HiGHS interior point (with crossover for duals):
DESIGN.md measured IPM ~4x faster than dual simplex on a 400k-column allocation LP."""


DESIGN_MIP_OPTIONS: dict[str, Any] = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
}
"""HiGHS settings for the planner's design MIP (:func:`fabnet.plan.solve_plan`).

Measured on the built-in scenario's design MIP written to MPS (HiGHS 1.16, CPU seconds, 1 %
gap; ``benchmarks/RESULTS.md``): the LP relaxation is 3 % above the best plan because a module
of 4.6 B$ is lumpy, and root cuts hardly move that bound (26,745 → 26,560 M$); branching on
about 20 nodes closes it. By default HiGHS spends most of its time elsewhere: it restarts the
root twice after reduced-cost fixing (each restart repeats the cut loop, where the path
separator aggregates the long cash and inventory chains: half the run in
``HighsPathSeparator``/c-MIR) and runs RINS/RENS sub-MIPs at the root. Without restarts and
those two sub-MIPs the built-in design MIP took 4.4 s CPU instead of 16.8 s, objective
25,957 M$ instead of 25,964 M$ (0.03 %, inside the 1 % gap); the generated 30 × 40 × 120
network 3.9 s instead of 23.2 s (objective 0.05 % lower, gap 0.15 %); 8 × 6 and 15 × 20 solve
at the root either way (0.5–0.8 s)."""


@contextlib.contextmanager
def quiet_solver() -> Iterator[None]:
    """Silence solver output written straight to file descriptor 1 (HiGHS's banner, IIS log),
    so that ``fabnet plan --json`` prints JSON only; Python-level prints are captured too."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no real stdout
        with contextlib.redirect_stdout(io.StringIO()):
            yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


@dataclass(frozen=True)
class SolveInfo:
    """What one HiGHS call returned."""

    status: str  # 'optimal' | 'time_limit' | 'infeasible' | 'unbounded' | other termination
    objective: float
    seconds: float
    mip_gap: float | None


def objective_value(m: linopy.Model) -> float:
    """The objective value of a solved model (SolverError when HiGHS left none)."""
    value = m.objective.value
    if value is None:
        raise SolverError("HiGHS returned no objective value")
    return float(value)


_SANITIZED: weakref.WeakKeyDictionary[linopy.Model, dict[str, Any]] = weakref.WeakKeyDictionary()


def _sanitize_new(m: linopy.Model) -> None:
    """linopy's ``sanitize_zeros`` and ``sanitize_infinities`` (drop zero terms, rows ``<= inf``)
    for the constraints added since the last solve of ``m`` only: the planner re-solves one model
    up to eight times (design MIP, explain LP, allocation stages) adding a row or two each time,
    and linopy's own pass over every constraint took about a third of each LP re-solve."""
    done = _SANITIZED.setdefault(m, {})
    for name, con in m.constraints.data.items():
        if done.get(name) is not con:
            con.sanitize_zeros()
            con.sanitize_infinities()
            done[name] = con


def highs_options(time_limit: float, threads: int | None = None) -> dict[str, Any]:
    """HiGHS options every fabnet solve uses: quiet, a time limit of at least 1 s, and
    ``threads`` when given."""
    options: dict[str, Any] = {
        "time_limit": max(float(time_limit), 1.0),
        "output_flag": False,
        "log_to_console": False,
    }
    if threads:
        options["threads"] = int(threads)
    return options


def run_highs(
    m: linopy.Model,
    *,
    time_limit: float,
    mip_gap: float | None = None,
    threads: int | None = None,
    mip_options: Mapping[str, Any] | None = None,
) -> SolveInfo:
    """Solve ``m`` with HiGHS (``io_api="direct"``); quiet; return a :class:`SolveInfo`.

    ``mip_options`` are further HiGHS options for a MIP (e.g. :data:`DESIGN_MIP_OPTIONS`).

    A time limit with a feasible incumbent is accepted (status ``time_limit``); infeasible and
    unbounded models are reported in the status for the caller to explain.
    """
    options = highs_options(time_limit, threads)
    is_mip = bool(len(m.integers) or len(m.binaries))
    if is_mip and mip_gap is not None:
        options["mip_rel_gap"] = float(mip_gap)
    if is_mip and mip_options:
        options.update(mip_options)
    if not is_mip and m.nvars > BIG_LP_COLUMNS:
        options["solver"] = "ipm"
        options["run_crossover"] = "on"
    start = time.perf_counter()
    with warnings.catch_warnings(), quiet_solver():
        warnings.simplefilter("ignore")
        _sanitize_new(m)
        try:
            _status, condition = m.solve(
                solver_name="highs",
                io_api="direct",
                sanitize_zeros=False,
                sanitize_infinities=False,
                **options,
            )
        except Exception as exc:  # pragma: no cover - solver crash
            raise SolverError(f"HiGHS failed: {exc}") from exc
    seconds = time.perf_counter() - start
    condition = str(condition)
    gap: float | None = None
    obj = math.nan
    try:
        info = m.solver_model.getInfo()
        obj = float(info.objective_function_value)
        if is_mip:
            gap = float(info.mip_gap)
    except Exception:  # pragma: no cover - no solver model
        pass
    if condition in ("optimal",):
        status = "optimal"
    elif (
        condition in ("time_limit", "iteration_limit")
        and m.objective.value is not None
        and math.isfinite(float(m.objective.value or math.nan))
    ):
        status = "time_limit"
    elif condition in ("infeasible", "infeasible_or_unbounded"):
        status = "infeasible"
    elif condition == "unbounded":
        status = "unbounded"
    else:
        status = condition
    return SolveInfo(status, obj, seconds, gap)
