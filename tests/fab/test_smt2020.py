"""A shortened SMT2020 HVLM run against the published reference.

Reference: Kopp, Hassoun, Kalir, Mönch, "SMT2020 — A Semiconductor Manufacturing Testbed",
IEEE TSM 33(4), 2020: at about 10,000 wafers per week the median flow factor is about 1.85
(HVLM). The order table releases 2 × 25 wafers every 51.69 min plus two hot-lot streams
(25 wafers every 2,016 min each) and a super-hot lot every 27,398 min: 10,009 wafers/week.

CI runs 200 simulated days from the dataset's initial WIP (about 10 s with the compiled
kernel), the last 100 counted. Checks, each of which the model failed before a routing bug was
fixed (WIP grew ~33 % in 100 days, flow factor 2.7):

- stability: WIP at day 200 within 10 % of the initial 2,260 lots (a fab that cannot keep up
  accumulates WIP; long runs are in benchmarks/RESULTS.md: WIP 2,150–2,390 over 365 days);
- throughput within 5 % of the release rate (seed 0: −2.4 %);
- SMT2020's flow factor (cycle time over the empty-fab cycle time, normal lots) within ±7 % of
  the paper's 1.85: our 365-day runs give 1.88 and 1.84 (seeds 1, 2; spread about ±3 %), this
  200-day run 1.81 (seed 0); a 100-day window moves the median by a few percent more.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fabnet.fab import load_smt2020, simulate
from fabnet.fab.capacity import release_rates

REFERENCE_MEDIAN_FLOW_FACTOR_HVLM = 1.85
INITIAL_WIP_LOTS_HVLM = 2260


@pytest.mark.slow
def test_hvlm_short_run_against_reference(smt2020_dir: Path):
    model = load_smt2020(smt2020_dir / "SMT2020_HVLM")
    released_per_week = sum(release_rates(model)) * 10080 * 25
    assert released_per_week == pytest.approx(10009, rel=0.001)
    k = simulate(model, days=200, warmup_days=100, seed=0, dispatch="fifo")
    s = k.summary
    wip = k.wip["wip"].to_numpy()
    assert wip[0] == INITIAL_WIP_LOTS_HVLM
    assert wip[-1] == pytest.approx(INITIAL_WIP_LOTS_HVLM, rel=0.10)
    assert s["wafers_per_week"] == pytest.approx(released_per_week, rel=0.05)
    lots = k.lots[k.lots["in_window"]]
    normal = lots[lots["priority"] == lots["priority"].min()]
    median = normal["flow_factor_empty_fab"].median()
    assert median == pytest.approx(REFERENCE_MEDIAN_FLOW_FACTOR_HVLM, rel=0.07)
    # ours (processing-only raw process time) is larger by the load/unload, transport and
    # rework share of the empty-fab time (12-14 % on HVLM)
    assert 1.10 < s["flow_factor"]["median"] / s["flow_factor_empty_fab"]["median"] < 1.16
    # Little's law over the window (boundary effect: WIP carried in and out of 50 days)
    assert s["wip_lots_time_average"] == pytest.approx(s["littles_law_wip"], rel=0.06)
    # E10 states cover the window exactly for every tool group; setups are part of scheduled
    # down (SMT2020's implant groups set up often: their setup share must show)
    tg = k.tool_groups
    total = tg[["productive", "standby", "scheduled_down", "unscheduled_down"]].sum(axis=1)
    assert ((total - 1.0).abs() < 1e-6).all()
    assert (tg["setup"] <= tg["scheduled_down"] + 1e-12).all()
    assert tg["setup"].max() > 0.01


def test_hvlm_tables_load(smt2020_dir: Path):
    m = load_smt2020(smt2020_dir / "SMT2020_HVLM")
    assert [len(r.steps) for r in m.routes] == [583, 343]
    assert m.tool_count == 1443
    assert len(m.wip) == 2255
    # per-wafer steps are multiplied by the lot size (25): step 2 of route 3, 0.852 min/wafer
    # with a 0.639-min part interval -> 0.852 + 24 x 0.639 min per lot, tool busy 25 x 0.639
    s = m.routes[0].steps[1]
    assert s.mean == pytest.approx(0.852 + 24 * 0.639)
    assert s.tool_minutes == pytest.approx(25 * 0.639)
    assert m.routes[0].steps[0].batch_min == 5 and m.routes[0].steps[0].batch_max == 6


def test_dataset_rule_is_the_one_the_tables_name(smt2020_dir: Path):
    # tool.txt FWLRANK: "rank_HP;rank_RSETUP;rank_FIFO" (HVLM), "...;rank_CR" (LVHM)
    from fabnet.fab import SimConfig
    from fabnet.fab.engine import Engine

    for name, rule in (("SMT2020_HVLM", "fifo"), ("SMT2020_LVHM", "cr")):
        model = load_smt2020(smt2020_dir / name)
        assert model.dispatch == rule
        assert Engine(model, SimConfig(days=1, dispatch="dataset")).config.dispatch == rule
