"""Hindcast benchmark: ``fabnet backtest`` on the built-in industry scenario, end to end.

One command (from the repository root)::

    .venv/bin/python benchmarks/bench_backtest.py            # 3 repeats
    .venv/bin/python benchmarks/bench_backtest.py --repeat 1

Times: ``load`` (scenario and checks), ``solve`` (:func:`fabnet.backtest.run_backtest`: plan data,
model, MIP/LP stages, tables, every check) and ``report`` (the HTML page), and the total.
Target (2 cores): the hindcast in under 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    from fabnet.backtest import load_checks, run_backtest
    from fabnet.report.backtest import backtest_report
    from fabnet.scenario import load_scenario

    rows = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sc = load_scenario("ai-accelerators-2023")
        checks = load_checks()
        t1 = time.perf_counter()
        result = run_backtest(sc, checks)
        t2 = time.perf_counter()
        backtest_report(result)
        t3 = time.perf_counter()
        rows.append(
            {
                "load_s": round(t1 - t0, 2),
                "solve_s": round(t2 - t1, 2),
                "report_s": round(t3 - t2, 2),
                "total_s": round(t3 - t0, 2),
                "inside_fraction": result.inside_fraction,
                "checks": len(result.checks),
            }
        )
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}",
                "load_average": os.getloadavg(),
                "runs": rows,
                "target_s": 60,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
