"""Planner benchmark: model build time, solve time, size and MIP gap over scenario size.

One command (from the repository root)::

    .venv/bin/python benchmarks/bench_plan.py                 # built-in + the size sweep
    .venv/bin/python benchmarks/bench_plan.py --sizes 30x40x120 --time-limit 120

Sizes are ``sites x customers x months`` for ``generate_scenario`` (``benchmarks/generate.py``)
(seeded: ``SeedSequence(2024)``). Phases: ``data`` (arrays from the scenario, econ calls),
``build`` (linopy model), ``mip`` (design MIP to the gap), ``lps`` (shadow-price LP, allocation
stages, final LP), ``total`` (all of ``solve_plan``). Targets (2 cores): built-in ≤ 10 s to a 1 %
gap; 30 × 40 × 120 ≤ 120 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from generate import generate_scenario  # benchmarks/generate.py (this folder is on sys.path)

from fabnet.plan import solve_plan
from fabnet.scenario import load_scenario

DEFAULT_SIZES = ("8x6x120", "15x20x120", "30x40x120")


def run_one(label, scenario, time_limit, gap, policy):
    t0 = time.perf_counter()
    res = solve_plan(scenario, time_limit=time_limit, mip_gap=gap, policy=policy)
    total = time.perf_counter() - t0
    s = res.summary
    tm = s["timings"]
    return {
        "case": label,
        "rows": s["model_size"]["rows"],
        "columns": s["model_size"]["columns"],
        "integers": s["model_size"]["integers"],
        "data_s": round(tm.get("data", 0.0), 2),
        "build_s": round(tm.get("build", 0.0), 2),
        "mip_s": round(tm.get("mip", 0.0), 2),
        "lps_s": round(tm.get("explain_lp", 0.0) + tm.get("allocation_lps", 0.0), 2),
        "total_s": round(total, 2),
        "status": s["status"],
        "mip_gap": None if s["mip_gap"] is None else round(s["mip_gap"], 4),
        "capex_B$": round(s["capex_total"] / 1e9, 2),
        "npv_B$": round(s["npv"] / 1e9, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="*", default=list(DEFAULT_SIZES))
    ap.add_argument("--no-builtin", action="store_true")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--policy", default=None, help="allocation policy (default: scenario's)")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args()

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    rows = []
    if not args.no_builtin:
        sc = load_scenario(None)
        rows.append(run_one("built-in", sc, args.time_limit, args.gap, args.policy))
        print(rows[-1], flush=True)
    rng_seeds = np.random.SeedSequence(2024).spawn(len(args.sizes))
    for size, seed in zip(args.sizes, rng_seeds, strict=True):
        n_sites, n_customers, months = (int(x) for x in size.split("x"))
        sc = generate_scenario(n_sites, n_customers, months, np.random.default_rng(seed))
        rows.append(run_one(size, sc, args.time_limit, args.gap, args.policy))
        print(rows[-1], flush=True)
    cols = list(rows[0])
    print("\n| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
