"""The staged plan on a two-branch tree solved by hand (greenfield instance of
``decide_instances.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fabnet.errors import UsageError
from fabnet.risk.staged import solve_staged, value_bounds

_spec = importlib.util.spec_from_file_location(
    "decide_instances", Path(__file__).with_name("decide_instances.py")
)
assert _spec is not None and _spec.loader is not None
_inst = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_inst)
greenfield_only = _inst.greenfield_only


@pytest.fixture(scope="module")
def tree():
    """Branch A sells at 100 $, branch B at 10 $ (one half each); the scenario as stated (the
    mean-value problem) sells at their mean, 55 $. Stage month 2024-07."""
    a, b, mean = greenfield_only(100.0), greenfield_only(10.0), greenfield_only(55.0)
    return solve_staged(mean, 2, stage_month="2024-07", futures=[a, b])


def test_branch_decisions_and_evpi_by_hand(tree):
    """By hand (NPV = (22 − s) × 1,000 × price − 1 M$ for a start in month s, one module at
    most; starts every 3 months; 2024-01 and 2024-04 are decided now, 2024-07 on at the stage):

    * build now (2024-01) in both: A 2.2 − 1 = 1.2, B 0.22 − 1 = −0.78 → mean 0.21 M$;
    * wait, then build in 2024-07 in A only: A 1.6 − 1 = 0.6, B 0 → mean **0.30 M$** (best;
      B never builds: (22 − s) × 10,000 < 1 M$ for every s);
    * nothing: 0.
    RP = 0.30 M$: branch A builds one module from 2024-07, branch B builds nothing.
    WS: A builds in 2024-01 (1.2), B nothing (0) → 0.60 M$; EVPI = 0.60 − 0.30 = **0.30 M$**.
    Mean-value plan (55 $): 22 × 55,000 − 1 M$ = 0.21 > 0, build in 2024-01 (19 × 55,000 −
    1 M$ = 0.045 in 2024-04 is less); held now, it scores 0.21 in the tree (EEV), so
    VSS = 0.30 − 0.21 = **0.09 M$**; the two-stage plan (all now) is the same 0.21 M$."""
    t = tree
    dec = t.decisions
    assert dec[["branch", "when", "site", "start", "modules"]].values.tolist() == [
        [0, "at stage", "Greenfield", "2024-07", 1]
    ]
    assert t.branches == [0, 1]
    assert t.rp == pytest.approx(0.30e6, abs=1.0)
    assert t.ws == pytest.approx(0.60e6, abs=1.0)
    assert t.evpi == pytest.approx(0.30e6, abs=1.0)
    assert t.eev == pytest.approx(0.21e6, abs=1.0)
    assert t.vss == pytest.approx(0.09e6, abs=1.0)
    assert t.two_stage == pytest.approx(0.21e6, abs=1.0)
    assert t.futures["npv"].tolist() == pytest.approx([0.6e6, 0.0], abs=1.0)
    d = t.to_dict()
    assert d["evpi"] == pytest.approx(0.30e6, abs=1.0) and d["decisions"][0]["branch"] == 0


def test_one_branch_is_the_two_stage_plan():
    """Both futures in one branch: the later decisions must agree too, so the staged plan is
    the two-stage plan (build in 2024-01, 0.21 M$)."""
    a, b, mean = greenfield_only(100.0), greenfield_only(10.0), greenfield_only(55.0)
    r = solve_staged(mean, 2, stage_month="2024-07", futures=[a, b], branches=[0, 0],
                     values=False)  # fmt: skip
    assert r.rp == pytest.approx(0.21e6, abs=1.0)
    assert r.decisions[["branch", "when", "start"]].values.tolist() == [[0, "now", "2024-01"]]
    assert r.ws is None and r.evpi is None


def test_stage_month_outside_the_horizon_is_refused():
    sc = greenfield_only(100.0)
    with pytest.raises(UsageError, match="--staged month '2030-01'"):
        solve_staged(sc, 1, stage_month="2030-01", futures=[sc], values=False)


def test_exact_solves_give_point_intervals(tree):
    """Every solve of the hand-solved tree is optimal at gap 0, so each interval is its point:
    RP [0.30, 0.30], WS [0.60, 0.60], EVPI [0.30, 0.30], VSS [0.09, 0.09] M$; waiting (RP −
    two-stage) 0.30 − 0.21 = 0.09 M$."""
    b = tree.bounds
    for name, value in (("rp", 0.30e6), ("ws", 0.60e6), ("eev", 0.21e6), ("two_stage", 0.21e6),
                        ("evpi", 0.30e6), ("vss", 0.09e6), ("waiting", 0.09e6)):  # fmt: skip
        assert b[name] == pytest.approx((value, value), abs=1.0), name
    assert set(tree.statuses.values()) == {"optimal"}
    assert tree.to_dict()["bounds"]["evpi"] == pytest.approx([0.30e6, 0.30e6], abs=1.0)


def test_value_bounds_by_hand():
    """Solves stopped at a gap (incumbent, dual bound), in B$: RP (−8.67, −8.20), WS (−9.16,
    −7.90), EEV (−8.65, −8.30), two-stage (−8.98, −8.50) — the built-in scenario's incumbents
    of the README before this fix, with made-up bounds.

    * RP low = max(−8.67, −8.65, −8.98) = −8.65 (the EEV design is feasible on the tree);
      RP high = min(−8.20, −7.90) = −8.20.
    * WS low = max(−9.16, −8.65) = −8.65 (WS ≥ RP); WS high = −7.90.
    * EVPI ∈ [max(0, −8.65 + 8.20), −7.90 + 8.65] = [0, 0.75] — the incumbents' −0.49 is
      inside it, at the impossible sign, so the point is clipped to WS low − RP low = 0.
    * EEV ∈ [−8.65, min(−8.30, −8.20)] = [−8.65, −8.30]; VSS ∈ [max(0, −8.65 + 8.30),
      −8.20 + 8.65] = [0, 0.45].
    * two-stage ∈ [−8.98, −8.50]; waiting ∈ [max(0, −8.65 + 8.50), −8.20 + 8.98] = [0, 0.78]."""
    b = value_bounds((-8.67, -8.20), (-9.16, -7.90), (-8.65, -8.30), (-8.98, -8.50))
    expect = {
        "rp": (-8.65, -8.20), "ws": (-8.65, -7.90), "evpi": (0.0, 0.75),
        "eev": (-8.65, -8.30), "vss": (0.0, 0.45), "two_stage": (-8.98, -8.50),
        "waiting": (0.0, 0.78),
    }  # fmt: skip
    assert set(b) == set(expect)
    for name, (lo, hi) in expect.items():
        assert b[name] == pytest.approx((lo, hi), abs=1e-12), name


def test_value_bounds_with_a_positive_floor():
    """Tight solves: RP (10, 10.1), WS (12, 12.2), EEV (9, 9.05): EVPI ∈ [12 − 10.1, 12.2 −
    10] = [1.9, 2.2] and VSS ∈ [10 − 9.05, 10.1 − 9] = [0.95, 1.1], both resolved in sign;
    without WS nor EEV only RP's own interval (10, 10.1) is left."""
    b = value_bounds((10.0, 10.1), (12.0, 12.2), (9.0, 9.05))
    assert b["evpi"] == pytest.approx((1.9, 2.2)) and b["vss"] == pytest.approx((0.95, 1.1))
    assert value_bounds((10.0, 10.1)) == {"rp": (10.0, 10.1)}


def test_report_gives_each_value_with_its_interval():
    """The report's text: a value whose interval is wider than 5 M$ comes with it, one narrower
    is the point alone (EVPI 0.03 B$ in [0, 0.05]; RP exact at −18.80)."""
    from fabnet.report.decide import _staged_text

    s = {"stage_month": "2026-01", "rp": -18.8e9, "ws": -18.77e9, "eev": -18.81e9,
         "two_stage": -18.99e9, "evpi": 0.03e9, "vss": 0.01e9, "mip_gap": 0.002,
         "statuses": {"rp": "optimal"},
         "bounds": {"rp": [-18.8e9, -18.8e9], "evpi": [0.0, 0.05e9], "vss": [0.0, 0.04e9]}}  # fmt: skip
    text = _staged_text(s)
    assert "EVPI 0.03 B$ (in [0.00, 0.05])" in text and "VSS 0.01 B$ (in [0.00, 0.04])" in text
    assert "Here-and-now value (mean objective: NPV − shortage penalty) -18.80 B$;" in text
    assert "MIP gap 0.2 %" in text
