"""Parallel efficiency of the risk engine's Monte Carlo: N futures with 1 and 2 local workers.

Run: ``.venv/bin/python benchmarks/bench_risk_workers.py [--n 100000] [--repeat 1]
[--plan-dir DIR]`` (DIR: ``decisions.csv`` and ``wafer_starts.csv`` of ``fabnet plan --out``;
without it the built-in plan is solved first).

Prints, per run: wall time, CPU time of the main process and of the workers
(``getrusage``), the load average before and after, and the median NPV (the same with 1 and 2
workers: same seed, same numbers). Efficiency = t1 / (2 · t2) on wall times; on a shared machine
the CPU times say what the wall times cannot: whether two workers do more work than one.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path


def _model(plan_dir: Path | None):
    import pandas as pd

    from fabnet.risk import model_from_decisions
    from fabnet.scenario import load_scenario

    sc = load_scenario(None)
    if plan_dir is None:
        from fabnet.plan import solve_plan

        plan = solve_plan(sc, explain=False)
        dec, ws = plan.decisions, plan.tables["wafer_starts"]
    else:
        dec = pd.read_csv(plan_dir / "decisions.csv")
        ws = pd.read_csv(plan_dir / "wafer_starts.csv")
    return model_from_decisions(sc, dec, wafer_starts=ws)


def _run(model, n: int, workers: int) -> dict[str, float]:
    from fabnet.risk import LocalExecutor, evaluate_plan

    load0 = os.getloadavg()[0]
    self0, kids0 = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with LocalExecutor(workers) as ex:
        t0 = time.perf_counter()
        res = evaluate_plan(model, n, seed=1, executor=ex)
        wall = time.perf_counter() - t0
    self1, kids1 = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return {
        "wall": wall,
        "cpu_main": self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime,
        "cpu_workers": kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        "npv_p50": res.percentiles("npv")["p50"],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--plan-dir", type=Path)
    a = ap.parse_args()
    model = _model(a.plan_dir)
    for r in range(a.repeat):
        t = {}
        for workers in (1, 2):
            row = _run(model, a.n, workers)
            t[workers] = row["wall"]
            print(f"run {r + 1} n={a.n:,} workers={workers}: wall {row['wall']:.1f} s, CPU main "
                  f"{row['cpu_main']:.1f} s + workers {row['cpu_workers']:.1f} s, load "
                  f"{row['load_before']:.1f} -> {row['load_after']:.1f}, "
                  f"NPV P50 {row['npv_p50']:.6e}", flush=True)  # fmt: skip
        print(f"run {r + 1}: efficiency t1 / (2 t2) = {t[1] / (2 * t[2]):.0%}", flush=True)


if __name__ == "__main__":
    main()
