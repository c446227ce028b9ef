"""The simulator against queueing theory (M/M/1, M/M/c, a Jackson tandem line, Little's law).

Tolerances come from the replications themselves: R independent replications give a Student-t
confidence interval for the mean; the theoretical value must lie inside the 99 % interval
(t_{4, 0.995} = 4.604 for R = 5), and the interval must be narrow enough (half-width < 12 % of
the mean) for that check to mean something. With ~14,000 customers per replication at ρ ≤ 0.8
the standard error of one replication's mean wait is about 3–6 % (M/M/1 asymptotic variance,
Whitt 1989), so five replications put the 99 % half-width near 5–9 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fabnet.fab.engine import Engine, SimConfig
from fabnet.fab.inline import build_fab
from fabnet.fab.kpi import kpis
from fabnet.fab.replicate import replication_seeds
from fabnet.fab.theory import erlang_c, mm1_wq, mmc_wq, tandem_sojourn

T_4_995 = 4.604  # Student t, 4 degrees of freedom, two-sided 99 %
REPS = 5


def _line(stations: list[tuple[float, int]], arrivals_per_min: float):
    return build_fab(
        {
            "name": "line",
            "tool_groups": [{"name": f"s{i}", "count": c} for i, (_, c) in enumerate(stations)],
            "routes": [
                {
                    "name": "r",
                    "steps": [
                        {"group": f"s{i}", "minutes": 1 / mu, "dist": "exponential"}
                        for i, (mu, _) in enumerate(stations)
                    ],
                }
            ],
            "products": [
                {
                    "name": "p",
                    "route": "r",
                    "lots_per_day": arrivals_per_min * 1440,
                    "arrivals": "poisson",
                }
            ],
        }
    )


def _replicate(model, days: float, warmup: float, measure):
    values = []
    for seed in replication_seeds(2024, REPS):
        k = kpis(Engine(model, SimConfig(days=days, warmup_days=warmup, seed=seed)).run())
        s = k.summary
        # Little's law on every run: time-average WIP vs TH x CT over the same window
        assert s["wip_lots_time_average"] == pytest.approx(s["littles_law_wip"], rel=0.05)
        values.append(measure(k))
    x = np.asarray(values)
    return float(x.mean()), float(T_4_995 * x.std(ddof=1) / math.sqrt(REPS))


def _assert_inside(mean: float, half: float, theory: float) -> None:
    assert half < 0.12 * mean, f"interval too wide to test: {mean:.2f} ± {half:.2f}"
    assert abs(mean - theory) <= half, f"simulated {mean:.2f} ± {half:.2f}, theory {theory:.2f}"


def test_erlang_c_reduces_to_mm1():
    assert mmc_wq(0.08, 0.1, 1) == pytest.approx(mm1_wq(0.08, 0.1))
    assert erlang_c(1, 0.8) == pytest.approx(0.8)
    # textbook value: c=2, a=1 -> C = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_mm1_mean_wait():
    lam, mu = 0.07, 0.1  # rho = 0.7, Wq = 23.3 min; ~100 arrivals per day
    model = _line([(mu, 1)], lam)
    mean, half = _replicate(model, 150, 10, lambda k: k.queues["mean_queue_min"][0])
    _assert_inside(mean, half, mm1_wq(lam, mu))


def test_mmc_mean_wait_erlang_c():
    lam, mu, c = 0.24, 0.1, 3  # rho = 0.8
    model = _line([(mu, c)], lam)
    mean, half = _replicate(model, 150, 5, lambda k: k.queues["mean_queue_min"][0])
    _assert_inside(mean, half, mmc_wq(lam, mu, c))


def test_jackson_tandem_sojourn():
    lam = 0.07
    stations = [(0.1, 1), (0.03, 3)]  # rho 0.7 and 0.78
    model = _line(stations, lam)
    # 240 days: ~17,000 lots per replication keep the 99 % half-width under 12 % of the mean
    mean, half = _replicate(model, 240, 10, lambda k: k.summary["cycle_time_days"]["mean"] * 1440)
    _assert_inside(mean, half, tandem_sojourn(lam, stations))
