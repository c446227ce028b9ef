"""Benchmark: SMT2020 HVLM with FIFO — events per second, wall time, peak memory.

    .venv/bin/python benchmarks/bench_fab.py --days 180
    .venv/bin/python benchmarks/bench_fab.py --days 730

Reference: PySCFabSim needs about 350 s for 180 days of HVLM (~25,000 events/s) on a 2-core
machine. Peak memory is the process's maximum resident set size (resource.getrusage).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from fabnet.fab import SimConfig, default_smt2020_dir, load_smt2020
from fabnet.fab.engine import Engine
from fabnet.fab.kpi import kpis


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=float, default=180)
    p.add_argument("--dataset", default=str(default_smt2020_dir() / "SMT2020_HVLM"))
    p.add_argument("--dispatch", default="fifo")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    model = load_smt2020(a.dataset)
    t_load = time.perf_counter() - t0
    cfg = SimConfig(days=a.days, warmup_days=a.days / 2, dispatch=a.dispatch, seed=a.seed)
    c0 = time.process_time()
    raw = Engine(model, cfg).run()
    cpu = time.process_time() - c0
    k = kpis(raw)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = k.summary
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}, load average at start {load0:.2f}")
    print(f"dataset {model.name}, {a.days:g} days, dispatch {a.dispatch}, seed {a.seed}")
    print(f"load dataset: {t_load:.2f} s")
    print(
        f"simulate: {raw.wall_seconds:.1f} s wall, {cpu:.1f} s CPU, {raw.events:,} events, "
        f"{raw.events / raw.wall_seconds:,.0f} events/s wall ({raw.events / cpu:,.0f} per CPU s)"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(
        f"KPIs after {a.days / 2:g}-day warm-up: {s['lots_completed']} lots, "
        f"{s['wafers_per_week']:.0f} wafers/week, flow factor mean {s['flow_factor']['mean']:.2f}"
        f" median {s['flow_factor']['median']:.2f}"
    )


if __name__ == "__main__":
    main()
