"""The staged plan on a two-branch tree solved by hand (greenfield instance of
``decide_instances.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fabnet.errors import UsageError
from fabnet.risk.staged import solve_staged

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
