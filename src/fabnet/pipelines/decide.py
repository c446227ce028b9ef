"""Risk-aware and staged robust plans in the risk pipeline (``fabnet risk --robust K`` with
``--frontier``, ``--staged``, ``--decompose``).

* :func:`frontier` — the sample-average plan for each CVaR weight λ on the same K futures:
  in-sample mean NPV against CVaR (the efficient frontier of the mean-risk model,
  :mod:`fabnet.risk.cvar`); each point is kept as a run of its own (kind ``risk``, its options
  naming the weight) with its decisions and futures.
* :func:`staged` — the staged plan on the K futures with one stage month
  (:mod:`fabnet.risk.staged`): RP, WS, EEV, EVPI, VSS and the decisions per branch.
* ``--decompose ph`` is not here: it replaces the one MIP of the robust plan
  (:func:`fabnet.risk.robust.robust_saa`), which is then compared out of sample as usual.

Each returns the part of the summary (under ``robust``) and its tables.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fabnet.pipelines._run import ProgressCallback, started_run
from fabnet.pipelines.inputs import ScenarioInput
from fabnet.pipelines.options import RiskOptions
from fabnet.risk.cvar import RiskSpec
from fabnet.risk.executors import Executor
from fabnet.risk.saa import solve_saa
from fabnet.risk.staged import solve_staged
from fabnet.store import RunStore

__all__ = ["decide", "frontier", "risk_spec", "staged"]


def risk_spec(options: RiskOptions, weight: float | None = None) -> RiskSpec:
    """The CVaR / chance terms of ``options`` (with ``weight`` instead of its own)."""
    return RiskSpec(
        measure=options.cvar_measure,
        alpha=options.cvar_alpha,
        weight=options.cvar_weight if weight is None else weight,
        limit=options.cvar_limit,
        shortfall_probability=options.shortfall_probability,
    )


def frontier(
    source: ScenarioInput,
    deterministic: Any,
    options: RiskOptions,
    store: RunStore,
    progress: ProgressCallback,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """One SAA per weight of ``options.frontier`` (same futures, seed): a row each with mean
    NPV, CVaR (USD), capex and the run id keeping it."""
    assert options.robust is not None and options.frontier is not None
    rows = []
    weights = list(options.frontier)
    for i, w in enumerate(weights):
        progress(i / len(weights), f"frontier: weight {w:g} ({i + 1}/{len(weights)})")
        spec = risk_spec(options, w)
        recorded = {**options.recorded(), "frontier_point": w}
        with started_run(store, "risk", source.name, source.text, recorded, options.seed,
                         None, None) as (run, _report):  # fmt: skip
            saa = solve_saa(
                source.scenario, options.robust, options.seed, risk=spec,
                time_limit=options.robust_time_limit, warm_start=deterministic.decisions,
            )  # fmt: skip
            row = {
                "weight": w,
                "alpha": spec.alpha,
                "measure": spec.measure,
                "mean_npv": saa.mean_npv,
                "cvar": saa.cvar,
                "mean_objective": saa.objective,
                "capex": float(saa.decisions["capex"].sum()) if len(saa.decisions) else 0.0,
                "shortfall_share": saa.shortfall_share,
                "status": saa.status,
                "run_id": run.id,
            }
            run.save_table("robust_decisions", saa.decisions)
            run.save_table("robust_futures", saa.futures)
            run.save_json("summary", {"frontier_point": row})
            run.set_summary({"weight": w, "mean_npv": saa.mean_npv, "cvar": saa.cvar})
        rows.append(row)
    return rows, pd.DataFrame(rows)


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
