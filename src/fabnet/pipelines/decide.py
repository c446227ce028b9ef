"""Risk-aware and staged robust plans in the risk pipeline (``fabnet risk --robust K`` with
``--frontier``, ``--staged``, ``--decompose``).

* :func:`frontier` — the sample-average plan for each CVaR weight λ on the same K futures:
  in-sample mean objective and NPV against CVaR (the efficient frontier of the mean-risk model,
  :mod:`fabnet.risk.cvar`); each weight's solve is kept as a run of its own (kind ``risk``, its
  options naming the weight) with its decisions and futures. Each solve stops at the MIP gap, so
  alone the points need not be monotone; each weight then takes the best design found by any
  weight's solve (:func:`envelope`), which makes them monotone.
* :func:`staged` — the staged plan on the K futures with one stage month
  (:mod:`fabnet.risk.staged`): RP, WS, EEV, EVPI, VSS and the decisions per branch.
* ``--decompose ph`` is not here: it replaces the one MIP of the robust plan
  (:func:`fabnet.risk.robust.robust_saa`), which is then compared out of sample as usual.

Each returns the part of the summary (under ``robust``) and its tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from fabnet.pipelines._run import ProgressCallback, started_run
from fabnet.pipelines.inputs import ScenarioInput
from fabnet.pipelines.options import RiskOptions
from fabnet.risk.cvar import RiskSpec, empirical_cvar, loss_values
from fabnet.risk.executors import Executor
from fabnet.risk.saa import solve_saa
from fabnet.risk.staged import solve_staged
from fabnet.store import RunStore

__all__ = ["decide", "dominated", "envelope", "frontier", "risk_spec", "staged"]


def risk_spec(options: RiskOptions, weight: float | None = None) -> RiskSpec:
    """The CVaR / chance terms of ``options`` (with ``weight`` instead of its own)."""
    return RiskSpec(
        measure=options.cvar_measure,
        alpha=options.cvar_alpha,
        weight=options.cvar_weight if weight is None else weight,
        limit=options.cvar_limit,
        shortfall_probability=options.shortfall_probability,
    )


def _point(saa: Any, spec: RiskSpec) -> dict[str, Any]:
    """A solved weight's design and what it gives in sample: mean objective (NPV − shortage
    and contract penalties), mean NPV, CVaR of ``spec.measure`` (USD)."""
    f = saa.futures
    return {
        "decisions": saa.decisions,
        "mean_objective": float(f["objective"].mean()),
        "mean_npv": float(f["npv"].mean()),
        "cvar": empirical_cvar(loss_values(f, spec.measure), spec.alpha)[0],
        "capex": float(saa.decisions["capex"].sum()) if len(saa.decisions) else 0.0,
        "shortfall_share": saa.shortfall_share,
    }


def envelope(points: Sequence[dict[str, Any]], weights: Sequence[float]) -> list[int]:
    """For each weight λ the point maximising mean objective − λ · CVaR among ``points``
    (first on ties). Every point is a feasible solution of every weight's model (a design and
    its futures' operations), so this never does worse than a weight's own solve, and along λ
    the chosen points have CVaR and mean objective that never rise: for λ < μ with choices
    p, q, optimality gives m_p − λc_p ≥ m_q − λc_q and m_q − μc_q ≥ m_p − μc_p, whose sum is
    (μ − λ)(c_p − c_q) ≥ 0, so c_q ≤ c_p and then m_q ≤ m_p (the frontier is monotone by
    construction, whatever gap each solve stopped at)."""
    out = []
    for w in weights:
        scores = [p["mean_objective"] - w * p["cvar"] for p in points]
        best = max(scores)
        tol = 1e-9 * max(1.0, abs(best))
        out.append(next(i for i, v in enumerate(scores) if v >= best - tol))
    return out


def dominated(rows: Sequence[dict[str, Any]]) -> list[bool]:
    """Whether another row has a mean objective at least as high and a CVaR at least as low,
    one of them strictly (a point no weight would choose)."""
    out = []
    for r in rows:
        out.append(
            any(
                o["mean_objective"] >= r["mean_objective"] and o["cvar"] <= r["cvar"]
                and (o["mean_objective"] > r["mean_objective"] or o["cvar"] < r["cvar"])
                for o in rows
            )
        )  # fmt: skip
    return out


def frontier(
    source: ScenarioInput,
    deterministic: Any,
    options: RiskOptions,
    store: RunStore,
    progress: ProgressCallback,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """One SAA per weight of ``options.frontier`` (same futures, seed), each started from the
    best design found so far under its weight; then each weight takes the best of all the
    designs found (:func:`envelope`), so the frontier is monotone. A row per weight: mean
    objective, mean NPV, CVaR (USD), capex, the weight whose solve gave the design, its status
    and the run id keeping the weight's own solve."""
    assert options.robust is not None and options.frontier is not None
    weights = sorted(options.frontier)
    points: list[dict[str, Any]] = []
    for i, w in enumerate(weights):
        progress(i / len(weights), f"frontier: weight {w:g} ({i + 1}/{len(weights)})")
        spec = risk_spec(options, w)
        start = deterministic.decisions
        if points:
            start = points[envelope(points, [w])[0]]["decisions"]
        recorded = {**options.recorded(), "frontier_point": w}
        with started_run(store, "risk", source.name, source.text, recorded, options.seed,
                         None, None) as (run, _report):  # fmt: skip
            saa = solve_saa(
                source.scenario, options.robust, options.seed, risk=spec,
                time_limit=options.robust_time_limit, warm_start=start,
            )  # fmt: skip
            point = {**_point(saa, spec), "weight": w, "status": saa.status,
                     "mip_gap": saa.mip_gap, "run_id": run.id}  # fmt: skip
            run.save_table("robust_decisions", saa.decisions)
            run.save_table("robust_futures", saa.futures)
            run.save_json("summary", {"frontier_point": _row(point, point, spec)})
            run.set_summary({"weight": w, "mean_npv": saa.mean_npv, "cvar": point["cvar"]})
        points.append(point)
    chosen = envelope(points, weights)
    rows = [_row(points[c], points[i], risk_spec(options, w))
            for i, (w, c) in enumerate(zip(weights, chosen, strict=True))]  # fmt: skip
    for r, d in zip(rows, dominated(rows), strict=True):
        r["dominated"] = d
    return rows, pd.DataFrame(rows)


def _row(design: dict[str, Any], own: dict[str, Any], spec: RiskSpec) -> dict[str, Any]:
    """A frontier row: weight and run of ``own`` (the weight's solve), figures of ``design``."""
    return {
        "weight": own["weight"],
        "alpha": spec.alpha,
        "measure": spec.measure,
        "mean_objective": design["mean_objective"],
        "mean_npv": design["mean_npv"],
        "cvar": design["cvar"],
        "capex": design["capex"],
        "shortfall_share": design["shortfall_share"],
        "design_from": design["weight"],
        "status": own["status"],
        "mip_gap": own["mip_gap"],
        "own_mean_objective": own["mean_objective"],
        "own_cvar": own["cvar"],
        "run_id": own["run_id"],
    }


def staged(
    scenario: Any, deterministic: Any, options: RiskOptions, progress: ProgressCallback
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The staged plan on the robust plan's K futures (``options.staged`` = stage month)."""
    assert options.robust is not None and options.staged is not None
    res = solve_staged(
        scenario, options.robust, options.seed, stage_month=options.staged,
        time_limit=options.robust_time_limit, deterministic=deterministic,
        progress=lambda m: progress(0.0, m),
    )  # fmt: skip
    return res.to_dict(), {"staged_decisions": res.decisions, "staged_futures": res.futures}


def decide(
    source: ScenarioInput,
    deterministic: Any,
    options: RiskOptions,
    executor: Executor,
    store: RunStore,
    progress: ProgressCallback,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Every one of ``--frontier``, ``--staged``, ``--decompose`` asked for: summary parts
    (keys ``frontier``, ``staged``, ``decomposition``) and tables."""
    out: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    if options.frontier is not None:
        out["frontier"], tables["frontier"] = frontier(
            source, deterministic, options, store, progress
        )
    if options.staged is not None:
        out["staged"], more = staged(source.scenario, deterministic, options, progress)
        tables.update(more)
    return out, tables
