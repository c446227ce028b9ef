"""Benchmark: SMT2020 HVLM with FIFO — events per second, wall time, peak memory.

    .venv/bin/python benchmarks/bench_fab.py --days 180
    .venv/bin/python benchmarks/bench_fab.py --days 730

Validation runs against the SMT2020 reference use the same command with a dataset, rule, warm-up
and seed, e.g. ``--days 365 --warmup-days 90 --seed 1 --dispatch cr --dataset SMT2020_LVHM``
(prints the flow factor per product and the WIP range after the warm-up: a stable fab keeps it
flat).

Whole process against the reference, in one paired run (the reference first, then ours three
times, each with the load average before it; ratios of wall and of CPU time)::

    .venv/bin/python benchmarks/bench_fab.py --paired-reference /path/to/PySCFabSim-release --days 30

runs ``python main.py --days 30 --dataset SMT2020_HVLM --dispatcher fifo --seed 0 --alg l4m`` in
the reference's checkout (github.com/prosysscience/PySCFabSim-release, with this Python), then
``fabnet fab simulate --dataset SMT2020_HVLM --days 30 --dispatch fifo --seed 0`` (a run store
in a temporary folder, one untimed run first).

The SMT2020 tables come from ``fabnet data fetch smt2020``. Reference: the pure-Python PySCFabSim
(its command is in benchmarks/RESULTS.md). The wall time depends on the machine's load: the
CPU time is printed too. Peak memory is the process's maximum resident set size
(resource.getrusage).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fabnet.fab import SimConfig, load_smt2020
from fabnet.fab.engine import Engine, kernel_module
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


def _timed(cmd: list[str], cwd: str | None = None, env: dict | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def paired(reference: str, days: float, runs: int = 3) -> None:
    """The reference simulator's whole process, then ``fabnet fab simulate``'s, same minutes."""
    fabnet = shutil.which("fabnet", path=str(Path(sys.executable).parent)) or "fabnet"
    ours = [fabnet, "fab", "simulate", "--dataset", "SMT2020_HVLM", "--days", f"{days:g}",
            "--dispatch", "fifo", "--seed", "0"]  # fmt: skip
    ref = [sys.executable, "main.py", "--days", f"{days:g}", "--dataset", "SMT2020_HVLM",
           "--dispatcher", "fifo", "--seed", "0", "--alg", "l4m"]  # fmt: skip
    Path(reference, "greedy").mkdir(exist_ok=True)
    home = tempfile.mkdtemp(prefix="fabnet-bench-")
    env = dict(os.environ, FABNET_HOME=home)
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}")
    _timed(ours, env=env)  # untimed: the run store's first use, the OS file cache
    load = os.getloadavg()[0]
    ref_wall, ref_cpu = _timed(ref, cwd=reference)
    print(f"reference ({' '.join(ref[1:])}): {ref_wall:.1f} s wall, {ref_cpu:.1f} s CPU, "
          f"load {load:.2f} before")  # fmt: skip
    for _ in range(runs):
        load = os.getloadavg()[0]
        wall, cpu = _timed(ours, env=env)
        print(f"fabnet ({' '.join(ours[1:])}): {wall:.2f} s wall, {cpu:.2f} s CPU, load "
              f"{load:.2f} before: {ref_wall / wall:.0f}x the reference's wall time, "
              f"{ref_cpu / cpu:.0f}x its CPU time")  # fmt: skip
    shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=float, default=180)
    p.add_argument("--dataset", default="SMT2020_HVLM", help="a name or a folder of tables")
    p.add_argument("--dispatch", default="fifo")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup-days", type=float, default=None, help="default: half the run")
    p.add_argument("--nested-pms", action="store_true", help="SimConfig.nested_pms")
    p.add_argument(
        "--paired-reference",
        metavar="DIR",
        help="a PySCFabSim checkout: time its whole process, then fabnet's (HVLM, FIFO, seed 0)",
    )
    a = p.parse_args()
    if a.paired_reference:
        paired(a.paired_reference, a.days)
        return
    warmup = a.days / 2 if a.warmup_days is None else a.warmup_days
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    model = load_smt2020(a.dataset)
    t_load = time.perf_counter() - t0
    cfg = SimConfig(
        days=a.days, warmup_days=warmup, dispatch=a.dispatch, seed=a.seed, nested_pms=a.nested_pms
    )
    c0 = time.process_time()
    raw = Engine(model, cfg).run()
    cpu = time.process_time() - c0
    k = kpis(raw)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = k.summary
    print(f"machine: {os.cpu_count()} cores, {_cpu_model()}, load average at start {load0:.2f}")
    nest = ", nested PMs" if a.nested_pms else ""
    print(f"dataset {model.name}, {a.days:g} days, dispatch {a.dispatch}, seed {a.seed}{nest}")
    print(f"load dataset: {t_load:.2f} s; kernel {kernel_module().__name__}")
    print(
        f"simulate: {raw.wall_seconds:.1f} s wall, {cpu:.1f} s CPU, {raw.events:,} events, "
        f"{raw.events / raw.wall_seconds:,.0f} events/s wall ({raw.events / cpu:,.0f} per CPU s)"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    print(
        f"KPIs after {warmup:g}-day warm-up: {s['lots_completed']} lots, "
        f"{s['wafers_per_week']:.0f} wafers/week, flow factor mean {s['flow_factor']['mean']:.2f}"
        f" median {s['flow_factor']['median']:.2f}, CT mean {s['cycle_time_days']['mean']:.1f} d"
    )
    for name, v in s["products"].items():
        ff = v["flow_factor"]
        print(f"  {name}: flow factor median {ff['median']:.2f} mean {ff['mean']:.2f}")
    # SMT2020's flow factor: CT over the empty-fab cycle time, normal lots (lowest priority)
    base = k.lots[k.lots["in_window"] & (k.lots["priority"] == k.lots["priority"].min())]
    ff_ref = base["flow_factor_empty_fab"]
    print(
        f"SMT2020 flow factor (CT / empty-fab CT, normal lots): median {ff_ref.median():.2f}, "
        f"5-95 % {ff_ref.quantile(0.05):.2f}-{ff_ref.quantile(0.95):.2f}, max {ff_ref.max():.2f}"
    )
    w = k.wip[k.wip["day"] >= warmup]["wip"]
    print(
        f"WIP: {int(k.wip['wip'].iloc[0])} lots at start, {int(w.min())}-{int(w.max())} after the "
        f"warm-up, {raw.extra['wip_end']} at the end (released {raw.extra['released']} lots)"
    )


if __name__ == "__main__":
    main()
