"""The empty-fab cycle time (SMT2020's raw process time), by hand and by simulation.

SMT2020 (Kopp et al. 2020) divides cycle time by the time a lot needs alone in the fab:
processing, load/unload, transport between fab steps and expected rework. fabnet reports that
flow factor next to the processing-only one (``flow_factor_empty_fab``).
"""

from __future__ import annotations

import math

import pytest

from fabnet.fab import build_fab, simulate

SPEC = {
    "name": "empty-fab check",
    "transport_minutes": 3.0,
    "tool_groups": [
        {"name": "a", "count": 1, "load_minutes": 5},
        {"name": "b", "count": 1, "load_minutes": 2},
        {"name": "c", "count": 1},
    ],
    "routes": [
        {
            "name": "r",
            "steps": [
                {"group": "a", "minutes": 30, "dist": "constant"},
                {"group": "b", "minutes": 20, "dist": "constant", "sample_percent": 50},
                {"group": "c", "minutes": 10, "dist": "constant", "rework_percent": 20,
                 "rework_to": 1},
                {"group": "a", "minutes": 15, "dist": "constant"},
            ],
        }
    ],
    "products": [{"name": "p", "route": "r", "lots_per_day": 1, "due_days": 1}],
}  # fmt: skip

# By hand. Step times with load/unload: 35, 22 (executed with p = 0.5), 10, 20 -> 76.
# Transport (3 min) from each executed step to the next executed one: 0 -> (1 or 2) always,
# 1 -> 2 when 1 runs (0.5), 2 -> 3 always -> 3 + 1.5 + 3 = 7.5.
# Rework at step 2 (20 %, once): transport back, step 1 again with p = 0.5 (22 + 3), step 2
# again (10) -> 0.2 x (3 + 12.5 + 10) = 5.1.
BY_HAND = 76 + 7.5 + 5.1


def test_empty_fab_minutes_by_hand():
    model = build_fab(SPEC)
    assert model.empty_fab_minutes(0) == pytest.approx(BY_HAND, abs=1e-9)
    assert model.raw_process_minutes(0) == pytest.approx(30 + 0.5 * 20 + 10 + 15)


def test_a_lot_alone_in_the_fab_takes_the_empty_fab_time():
    # One lot a day, ~1.5 h each: lots never meet, so the mean cycle time is the expected
    # empty-fab time up to the sampling and rework draws (4 standard errors).
    k = simulate(build_fab(SPEC), days=500, warmup_days=5, seed=3)
    ct = k.lots.loc[k.lots["in_window"], "cycle_time_days"] * 1440
    assert len(ct) > 450
    assert abs(ct.mean() - BY_HAND) < 4 * ct.std() / math.sqrt(len(ct))
    ff = k.lots.loc[k.lots["in_window"], "flow_factor_empty_fab"]
    assert ff.mean() == pytest.approx(1.0, abs=0.02)
    assert k.summary["flow_factor_empty_fab"]["median"] < k.summary["flow_factor"]["median"]
