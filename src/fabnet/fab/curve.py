"""Operating curves: simulate a fab at several loads and fit the X-factor curve.

Load u is measured against the fab's capacity: u = release rate / capacity, where capacity is
the release rate at which the bottleneck tool group is fully utilised (static check,
:func:`fabnet.fab.capacity.static_utilisation`). So a load factor f on the order table is
u = f · u_b(1), u_b(1) the bottleneck utilisation at the nominal rate.

Fit (least squares on the replication means): X(u) = 1 + a · u^b / (1 − u) (Hopp & Spearman,
Factory Physics §9.4 shape; a, b ≥ 0). For fixed b the best a is linear,
a = Σ y·g / Σ g² with g = u^b/(1−u), y = X − 1; b is found by a log-grid search refined by
golden-section search.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from fabnet.errors import UsageError
from fabnet.executors import Executor, LocalExecutor
from fabnet.fab.capacity import static_utilisation
from fabnet.fab.engine import SimConfig
from fabnet.fab.model import FabModel
from fabnet.fab.replicate import confidence_interval, replication_configs, run_configs

__all__ = ["fit_xfactor", "operating_curve"]


def _a_and_sse(u: np.ndarray, y: np.ndarray, b: float) -> tuple[float, float]:
    g = u**b / (1.0 - u)
    a = max(0.0, float((y * g).sum() / (g * g).sum()))
    return a, float(((y - a * g) ** 2).sum())


def fit_xfactor(loads: list[float], flow_factors: list[float]) -> dict[str, float]:
    """Least-squares ``a, b`` (and ``rmse``) of X(u) = 1 + a·u^b/(1−u) through the points."""
    u = np.asarray(loads, dtype=float)
    y = np.asarray(flow_factors, dtype=float) - 1.0
    ok = (u > 0) & (u < 1) & np.isfinite(y)
    u, y = u[ok], y[ok]
    if u.size < 2:
        raise UsageError("need at least two loads strictly between 0 and 1 to fit a curve")
    grid = np.exp(np.linspace(math.log(0.05), math.log(30.0), 80))
    sses = [_a_and_sse(u, y, b)[1] for b in grid]
    i = int(np.argmin(sses))
    lo, hi = grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)]
    phi = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        m1, m2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
        if _a_and_sse(u, y, m1)[1] < _a_and_sse(u, y, m2)[1]:
            hi = m2
        else:
            lo = m1
    b = 0.5 * (lo + hi)
    a, sse = _a_and_sse(u, y, b)
    return {"a": a, "b": float(b), "rmse": math.sqrt(sse / u.size)}


def operating_curve(
    model: FabModel,
    config: SimConfig,
    load_factors: list[float],
    replications: int = 1,
    workers: int = 1,
    on_point: Callable[[float], Any] | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Simulate each load factor (common random numbers across loads) and fit the curve.

    Every (load, replication) run goes to ``executor`` (default: a local pool of ``workers``
    processes) as one job, so all loads run in parallel; the numbers do not depend on it.
    Returns the JSON-ready dict that :class:`fabnet.scenario.fab_template.OperatingCurve` reads.
    """
    if not load_factors or min(load_factors) <= 0:
        raise UsageError(f"load factors must be positive, got {load_factors}")
    if workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers}")
    util = static_utilisation(model, 1.0)
    u_bottleneck = float(util["utilisation"].iloc[0])
    rpt = [model.raw_process_minutes(i) / 1440 for i in range(len(model.products))]
    configs = [
        c
        for lf in load_factors
        for c in replication_configs(replace(config, load_factor=lf), replications)
    ]

    def done(i: int) -> None:
        if on_point is not None and (i + 1) % replications == 0:
            on_point(load_factors[i // replications])

    if executor is None:
        with LocalExecutor(min(workers, len(configs))) as local:
            all_runs = run_configs(model, configs, local, done)
    else:
        all_runs = run_configs(model, configs, executor, done)
    points: list[dict[str, Any]] = []
    for k, lf in enumerate(load_factors):
        runs = all_runs[k * replications : (k + 1) * replications]
        ff = [r.summary["flow_factor"]["mean"] for r in runs]
        ct = [r.summary["cycle_time_days"]["mean"] for r in runs]
        wpd = [r.summary["wafers_per_day"] for r in runs]
        ff_mean, ff_half = confidence_interval(ff)
        wpd_mean = float(np.mean(wpd))
        points.append(
            {
                "load": lf * u_bottleneck,
                "load_factor": lf,
                "throughput_wafers_per_day": wpd_mean,
                "throughput_wafers_per_month": wpd_mean * 365.25 / 12,
                "cycle_time_days": float(np.nanmean(ct)),
                "flow_factor": ff_mean,
                "flow_factor_half_width": None if math.isnan(ff_half) else ff_half,
                "replications": replications,
            }
        )
    fit = fit_xfactor([p["load"] for p in points], [p["flow_factor"] for p in points])
    nominal = sum(p["throughput_wafers_per_day"] / p["load"] for p in points) / len(points)
    weights = [sum(1 / o.interval for o in model.orders if o.product == i) for i in range(len(rpt))]
    rpt_mix = sum(w * r for w, r in zip(weights, rpt, strict=True)) / max(sum(weights), 1e-12)
    return {
        "fab": model.name,
        "raw_process_time_days": rpt_mix,
        "nominal_wafers_per_day": nominal,
        "points": [{k: v for k, v in p.items() if k != "load_factor"} for p in points],
        "fit": {"kind": "xfactor", "params": {"a": fit["a"], "b": fit["b"]}, "rmse": fit["rmse"]},
        "source": (
            f"fabnet fab curve: {model.name}, {config.days:g} days, warm-up "
            f"{config.warmup_days:g}, dispatch {config.dispatch}, seed {config.seed}, "
            f"{replications} replications; load = release rate / bottleneck capacity "
            f"(bottleneck utilisation {u_bottleneck:.3f} at load factor 1)"
        ),
    }
