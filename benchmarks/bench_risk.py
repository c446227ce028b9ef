"""Benchmark of ``fabnet.risk``: futures per second (local 1 / 2 workers, Ray), 10,000 futures,
and peak memory for 1,000,000 futures with the vectorised recourse.

Run: ``.venv/bin/python benchmarks/bench_risk.py [--plan-dir DIR] [--big 1000000] [--no-ray]``

The built-in scenario's plan is solved once (or read from ``--plan-dir`` holding
``decisions.csv`` and ``wafer_starts.csv`` from ``fabnet plan --out``). The 1,000,000-future run
happens in a fresh child process, whose peak RSS (``ru_maxrss``) is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def _model(plan_dir: Path | None):
    from fabnet.risk import model_from_decisions
    from fabnet.scenario import load_scenario

    sc = load_scenario(None)
    if plan_dir is None:
        from fabnet.plan import solve_plan

        plan = solve_plan(sc, explain=False)
        plan_dir = Path(tempfile.mkdtemp(prefix="bench-risk-"))
        plan.decisions.to_csv(plan_dir / "decisions.csv", index=False)
        plan.tables["wafer_starts"].to_csv(plan_dir / "wafer_starts.csv", index=False)
    dec = pd.read_csv(plan_dir / "decisions.csv")
    ws = pd.read_csv(plan_dir / "wafer_starts.csv")
    return model_from_decisions(sc, dec, wafer_starts=ws), plan_dir


def _run(model, n: int, executor) -> float:
    from fabnet.risk import evaluate_plan

    t0 = time.perf_counter()
    evaluate_plan(model, n, seed=1, executor=executor)
    return time.perf_counter() - t0


def big(plan_dir: Path, n: int) -> None:
    """Child process: n futures on 2 local workers, print wall time and peak RSS."""
    from fabnet.risk import LocalExecutor, evaluate_plan

    model, _ = _model(plan_dir)
    with LocalExecutor(2) as ex:
        t0 = time.perf_counter()
        res = evaluate_plan(model, n, seed=1, executor=ex)
        wall = time.perf_counter() - t0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{n} {wall:.2f} {rss_self:.0f} {rss_kids:.0f} {res.summary()['npv']['p50']:.6e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan-dir", type=Path)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--child-big", type=int)
    a = ap.parse_args()
    if a.child_big:
        big(a.plan_dir, a.child_big)
        return
    from fabnet.risk import LocalExecutor

    model, plan_dir = _model(a.plan_dir)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    rows = []
    for w in (1, 2):
        with LocalExecutor(w) as ex:
            _run(model, 1000, ex)  # warm-up (pool start)
            wall = _run(model, a.n, ex)
        rows.append((f"local, {w} worker{'s' if w > 1 else ''}", wall))
    if not a.no_ray:
        tmp = tempfile.mkdtemp(prefix="bench-ray-")
        os.environ["RAY_TMPDIR"] = tmp
        os.environ["HOME"] = tmp  # Ray writes an auth token under the home directory
        import ray

        from fabnet.risk import RayExecutor

        t0 = time.perf_counter()
        ex = RayExecutor(num_cpus=2, _temp_dir=tmp)
        start = time.perf_counter() - t0
        _run(model, 1000, ex)
        rows.append((f"ray, 2 CPUs (start {start:.1f} s not counted)", _run(model, a.n, ex)))
        ex.close()
        del ray
    base = rows[0][1]
    print(f"\n{a.n:,} futures of the built-in scenario's plan, fast recourse")
    print("| executor | wall [s] | futures/s | speed-up vs 1 worker |")
    print("|---|---:|---:|---:|")
    for name, wall in rows:
        print(f"| {name} | {wall:.2f} | {a.n / wall:,.0f} | {base / wall:.2f} |")
    out = subprocess.run(
        [sys.executable, __file__, "--plan-dir", str(plan_dir), "--child-big", str(a.big)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    n, wall, rss_self, rss_kids, p50 = out.stdout.split()[-5:]
    print(f"\n{int(n):,} futures, local 2 workers: {float(wall):.1f} s, "
          f"peak RSS main {rss_self} MB, largest worker {rss_kids} MB (NPV P50 {float(p50):.4g})")  # fmt: skip


if __name__ == "__main__":
    main()
