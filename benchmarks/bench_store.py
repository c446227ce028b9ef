"""Run store and report speed: write runs, list them, render a plan report.

Command: ``.venv/bin/python benchmarks/bench_store.py [--runs 200] [--rows 10000]``
Prints one line per measurement; paste the figures with the machine into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from fabnet.store import RunStore


def _table(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": rng.choice(["openai", "g42", "softbank", "x"], rows),
            "month": rng.choice([f"2026-{m:02d}" for m in range(1, 13)], rows),
            "demand": rng.random(rows) * 1e4,
            "delivered": rng.random(rows) * 1e4,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(np.random.SeedSequence(7))
    table = _table(args.rows, rng)
    print(f"machine: {platform.machine()}, {platform.system()}, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as home:
        store = RunStore(Path(home))
        start = time.perf_counter()
        for n in range(args.runs):
            with store.start_run(kind="plan", scenario_name="bench", seed=n) as run:
                run.progress(0.5, "half")
                run.save_table("deliveries", table)
                run.set_summary({"npv": float(n), "capex_total": 8.4e9, "solve_seconds": 1.0})
        elapsed = time.perf_counter() - start
        print(
            f"write: {args.runs} runs x ({args.rows:,}-row table + summary) in {elapsed:.2f} s "
            f"= {elapsed / args.runs * 1000:.1f} ms per run"
        )
        start = time.perf_counter()
        for _ in range(20):
            listing = store.list_runs(limit=None)
        print(
            f"list_runs over {len(listing)} runs: {(time.perf_counter() - start) / 20 * 1000:.1f} ms"
        )
        start = time.perf_counter()
        RunStore(Path(home))
        print(
            f"open store (schema check + orphan scan): {(time.perf_counter() - start) * 1000:.1f} ms"
        )
        run_id = str(listing["id"].iloc[0])
        start = time.perf_counter()
        for _ in range(20):
            store.load_table(run_id, "deliveries")
        print(
            f"load_table ({args.rows:,} rows): {(time.perf_counter() - start) / 20 * 1000:.1f} ms"
        )

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "report"))
    from conftest import synthetic_plan  # the report tests' synthetic plan (72 months, 4 fabs)
    from fabnet.report import plan_report

    summary, tables = synthetic_plan()
    plan_report(summary, tables)  # warm caches (plotly.js read once per process)
    start = time.perf_counter()
    html = plan_report(summary, tables)
    print(
        f"plan_report (72 months, 4 fabs, 4 customers): {time.perf_counter() - start:.2f} s, "
        f"{len(html.encode()) / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
