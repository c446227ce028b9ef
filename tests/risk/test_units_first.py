"""Bought-in wafers for the levels the planner maximises in units go first to the product that
makes most units of them (:func:`fabnet.risk.assembly.buy_units_order`), as the exact
recourse's allocation stage does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fabnet.econ import exact_dies_per_wafer
from fabnet.plan import solve_plan
from fabnet.risk import evaluate_draws, identity_draws, model_from_plan
from fabnet.risk.assembly import buy_units_order
from fabnet.scenario import scenario_from_dict

_spec = importlib.util.spec_from_file_location(
    "plan_tiny_scenarios_units", Path(__file__).parent.parent / "plan" / "tiny_scenarios.py"
)
assert _spec is not None and _spec.loader is not None
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)

DPW = int(exact_dies_per_wafer(10.0, 10.0, 300.0, 3.0, 0.1))


def test_buy_units_order_most_units_per_wafer_first():
    """Foundry 0 gives 100 and 60 dies per wafer of products 0 and 1, foundry 1 80 and 90;
    product 0 takes 2 compute dies, product 1 one, product 2 has no foundry: units per wafer at
    the best foundry 100 / 2 = 50, 90 / 1 = 90, 0: order 1, 0, 2."""
    gdpw = np.array([[100.0, 60.0, 0.0], [80.0, 90.0, 0.0]])
    assert buy_units_order(gdpw, np.array([2.0, 1.0, 1.0])).tolist() == [1, 0, 2]


def test_second_level_gets_the_product_with_most_units():
    """No own fab; one foundry of 100 wafers a month at DPW $ a wafer (1 $ a die, no defects,
    DPW dies a wafer); P takes one 10x10 mm die (100 $), Q two (300 $); packaging in plenty.
    Level 1 (A) wants 10 Q a month, level 2 (B) 100·DPW of each, level 3 (C) 1 P.

    By hand, each month: A's 10 Q take 20 dies; the 100·DPW − 20 dies left make at most
    100·DPW − 20 units for B as P (one die each), half that as Q. The planner's second stage
    maximises B's units: all P. Q earns more per wafer (300 − 2 against 2 × (100 − 1) for two
    P), so the margin order would have made (100·DPW − 20) / 2 Q instead. Nothing is left for
    C. The fast recourse delivers what the exact LP (the plan) does."""
    extra = [{"name": "Q", "node": "N1", "die_width_mm": 10.0, "die_height_mm": 10.0,
              "compute_dies": 2, "hbm_stacks": 0, "packaging": "CoWoS",
              "packages_per_interposer_wafer": 10.0, "list_price_usd": 300.0}]  # fmt: skip
    big = 100.0 * DPW
    d = _tiny.tiny_scenario_dict(
        [{"name": "A", "priority": 1, "demand": {"Q": 10}, "price_usd": {"Q": 300.0}},
         {"name": "B", "priority": 2, "demand": {"P": big, "Q": big},
          "price_usd": {"P": 100.0, "Q": 300.0}},
         {"name": "C", "priority": 3, "demand": {"P": 1}, "price_usd": {"P": 100.0}}],
        pack_wpm=1e6, fabs=[], extra_products=extra,
    )  # fmt: skip
    d["outside_foundries"] = [
        {"name": "Foundry", "node": "N1", "price_per_wafer_usd": float(DPW),
         "max_wafers_per_month": 100, "lead_time_months": 0}
    ]  # fmt: skip
    sc = scenario_from_dict(d)
    plan = solve_plan(sc, explain=False)
    model = model_from_plan(sc, plan)
    lines: dict = {}
    evaluate_draws(model, identity_draws(model), lines)
    got = lines["delivered"][0]  # T x C x P
    products = list(model.data.products)
    p, q = products.index("P"), products.index("Q")
    assert got[:, 0, q] == pytest.approx([10.0] * 3)
    assert got[:, 1, p] == pytest.approx([big - 20.0] * 3)
    assert got[:, 1, q] == pytest.approx([0.0] * 3, abs=1e-6)
    assert got[:, 2].sum() == pytest.approx(0.0, abs=1e-6)
    exact = plan.tables["deliveries"].groupby(["customer", "product"])["delivered"].sum()
    # the exact stages keep each optimum to LEX_TOL = 1e-6 relative
    assert exact[("B", "P")] == pytest.approx(3 * (big - 20.0), rel=1e-5)
    assert exact.get(("B", "Q"), 0.0) == pytest.approx(0.0, abs=1.0)
    assert exact[("A", "Q")] == pytest.approx(30.0, abs=0.01)
