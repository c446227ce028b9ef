"""The fast recourse's arithmetic shared with the planner (issue 13, item 2), on hand-solved
instances: the learning age under a sampled learning rate, the weight of the lowest level's
shortage penalty against its margin, the whole-month construction delay and the capex schedule
it moves (the planner's own :func:`fabnet.plan.options.greenfield_capex`)."""

from __future__ import annotations

import numpy as np
import pytest

from fabnet.econ.accelerator import defect_density_at
from fabnet.plan.options import greenfield_capex
from fabnet.risk.assembly import _penalty_weight
from fabnet.risk.effects import learning_age
from fabnet.scenario import scenario_from_dict


def test_learning_age_keeps_the_newcomer_delay():
    """The plan's table gives the yield at ``g(max(x − δ, 0)/τ)`` (newcomer delay δ = 3 months);
    learning twice as slow (τ' = 2τ, ratio r = 1/2), month a = 10 must read ``g((10 − 3)/(2τ)) =
    g(3.5/τ)``: the table at x = 3.5 + 3 = 6.5 = 10·0.5 + 3·(1 − 0.5). A month before the
    first output (−1) stays, and so does every age at r = 1."""
    age = np.array([[-1.0, 2.0, 10.0]])
    out = learning_age(age, np.array([[0.5]]), 3.0)
    assert out[0] == pytest.approx([-1.0, 2.5, 6.5])
    assert learning_age(age, np.array([[1.0]]), 3.0)[0] == pytest.approx(age[0])


def test_learning_age_reproduces_the_slower_curve():
    """With δ = 0 the rescaled age reproduces the density of the slower node exactly (the
    built-in N4, τ = 12 → τ' = 18 months): D(a; τ') = D(a·τ/τ'; τ) at a = 9 months, where the
    density is still well above mature (so the test can fail)."""
    from fabnet.scenario import load_scenario

    node = load_scenario("ai-fab-network-2024").node("N4")
    node = node.model_copy(update={"learning_tau_months": 12.0})
    slow = node.model_copy(update={"learning_tau_months": 18.0})
    x = learning_age(np.array([[9.0]]), np.array([[12.0 / 18.0]]), 0.0)[0, 0]
    assert x == pytest.approx(6.0)
    assert defect_density_at(slow, 9.0) == pytest.approx(defect_density_at(node, 6.0))
    assert defect_density_at(slow, 9.0) > defect_density_at(node, 9.0) * 1.01


def test_penalty_weight_outside_and_inside_the_window(tiny_data):
    """Tax 20 %, rate 10 %, growth 2 %, perpetuity on the last 36 months: outside the window a
    unit short weighs 1/(1 − 0.2) = 1.25 dollars of margin; inside, the margin also enters the
    terminal value, k = 1.02 / (0.08 · 3) = 4.25 per dollar of the window, discounted to the
    horizon's end: weight 1 / (0.8 · (1 + DF_end · 4.25 / DF_t))."""
    from fabnet.plan import solve_plan
    from fabnet.risk import model_from_plan

    d = tiny_data
    d["financing"] = {**d.get("financing", {}), "tax_rate": 0.2,
                      "terminal_value": {"method": "perpetuity", "growth": 0.02}}  # fmt: skip
    d["policy"]["discount_rate"] = 0.10
    sc = scenario_from_dict(d)
    model = model_from_plan(sc, solve_plan(sc, explain=False))
    b = model.data.buckets
    w = _penalty_weight(model)
    inside = b.start >= b.n_months - 36
    assert w[~inside] == pytest.approx(1.25)
    df_end = 1.1 ** (-b.n_months / 12.0)
    expect = 1.0 / (0.8 * (1.0 + df_end * 4.25 / b.discount[inside]))
    assert w[inside] == pytest.approx(expect)
    assert (w[inside] < 0.5).all()  # the penalty counts for less inside the window


def test_greenfield_capex_under_a_delay():
    """1,200 $ over a 12-month lead starting in month 2, equipment share 0.75: the building's 300 $
    over months 2-7 (50 $ a month), the tools' 900 $ over months 8-13 (150 $). Six months late
    (lead 18): 300 $ over 2-10 (33.3 $), 900 $ over 11-19 (100 $) — the same total, later."""
    base = greenfield_capex(1200.0, 2, 12, 0.75, 24)
    late = greenfield_capex(1200.0, 2, 18, 0.75, 24)
    assert base[2:8] == pytest.approx([50.0] * 6)
    assert base[8:14] == pytest.approx([150.0] * 6)
    assert late[2:11] == pytest.approx([300.0 / 9] * 9)
    assert late[11:20] == pytest.approx([100.0] * 9)
    assert base.sum() == pytest.approx(late.sum()) == pytest.approx(1200.0)
