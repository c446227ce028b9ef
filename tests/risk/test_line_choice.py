"""Lines per product as the planner chooses them: a product whose units are short of the
levels the planner maximises keeps the highest-yield line, a product whose demand is met takes
the cheapest per good package (:mod:`fabnet.risk.line_mix`, the third fill of
:func:`fabnet.risk.assembly.assemble`)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fabnet.econ import exact_dies_per_wafer
from fabnet.plan import solve_plan
from fabnet.risk import evaluate_draws, identity_draws, model_from_plan
from fabnet.scenario import scenario_from_dict

_spec = importlib.util.spec_from_file_location(
    "plan_tiny_scenarios_lines", Path(__file__).parent.parent / "plan" / "tiny_scenarios.py"
)
assert _spec is not None and _spec.loader is not None
_tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tiny)

DPW = int(exact_dies_per_wafer(10.0, 10.0, 300.0, 3.0, 0.1))


def _fast_assembly(sc, plan):  # type: ignore[no-untyped-def]
    """The fast recourse of ``plan`` in its nominal future: its metrics, the packages assembled
    (T x L x P), the positions of products P and Q and of lines "Slots" and "Cheap"."""
    model = model_from_plan(sc, plan)
    lines: dict = {}
    fast = evaluate_draws(model, identity_draws(model), lines)
    products, lines_l = list(model.data.products), list(model.data.labels("line"))
    idx_p = (products.index("P"), products.index("Q"))
    idx_l = (lines_l.index("Slots"), lines_l.index("Cheap"))
    return fast, lines["assembled"][0], idx_p, idx_l


def _two_nodes() -> dict:
    """P (node N1) from Fab A's one wafer a month: DPW dies, all good; Q (node N2) from Fab B's
    1,000 wafers: plenty. A (priority 1) wants 10·DPW P at 100 $ and 1,000 Q at 200 $ a month,
    B (priority 2) one Q at 200 $. Lines: "Slots" yield 1, 1,000 $ an interposer wafer (100 $ a package);
    "Cheap" yield 0.5, free; 1,000 interposer wafers a month each (10 packages a wafer)."""
    extra = [{"name": "Q", "node": "N2", "die_width_mm": 10.0, "die_height_mm": 10.0,
              "compute_dies": 1, "hbm_stacks": 0, "packaging": "CoWoS",
              "packages_per_interposer_wafer": 10.0, "list_price_usd": 200.0}]  # fmt: skip
    cheap = [{"name": "Cheap", "kind": "CoWoS", "owner": "outsourced", "capacity_wpm": 1000.0,
              "cost_per_wafer_usd": 0.0, "assembly_yield": 0.5}]  # fmt: skip
    fab_a = {"kind": "existing", "name": "Fab A", "region": "US", "node": "N1",
             "capacity_wspm": 1.0, "asking_price_usd": 0.0, "available_from": "2024-01",
             "months_to_first_output": 0, "opex_per_wafer_usd": 0.0, "ramp_months": 0}  # fmt: skip
    fab_b = {**fab_a, "name": "Fab B", "node": "N2", "capacity_wspm": 1000.0}
    d = _tiny.tiny_scenario_dict(
        [{"name": "A", "priority": 1, "demand": {"P": 10.0 * DPW, "Q": 1000.0},
          "price_usd": {"P": 100.0, "Q": 200.0}},
         {"name": "B", "priority": 2, "demand": {"Q": 1.0}, "price_usd": {"Q": 200.0}}],
        pack_wpm=1000.0, pack_cost=1000.0, fabs=[fab_a, fab_b], extra_products=extra,
        extra_packaging=cheap,
    )  # fmt: skip
    n2 = copy.deepcopy(d["nodes"][0])
    n2["name"] = "N2"
    d["nodes"].append(n2)
    return d


def test_short_product_keeps_the_high_yield_line_the_met_one_takes_the_cheap_line():
    """By hand, each month: A's units come first and P is short (DPW dies for 10·DPW wanted), so
    each P die goes where it makes a whole unit: DPW P on "Slots" (100 $ each). Q's demand is
    met either way, so it goes to "Cheap": 1,001 Q take 2,002 packages (2,002 N2 dies,
    plenty), 0 $. Money: 100·DPW + 200,200 − 100·DPW = 200,200 $ a month, 600,600 $ over the 3
    months (no discounting), as the exact LP (the plan). All by yield would put Q on "Slots"
    too (100,100 $ a month less); all by cost would make only DPW / 2 P for A."""
    sc = scenario_from_dict(_two_nodes())
    plan = solve_plan(sc, explain=False)
    assert plan.summary["npv"] == pytest.approx(600_600.0, rel=1e-6)
    made = plan.tables["deliveries"].groupby(["customer", "product"])["delivered"].sum()
    assert made[("A", "P")] == pytest.approx(3 * DPW, rel=1e-5)
    fast, asm, (p, q), (slots, cheap) = _fast_assembly(sc, plan)
    np.testing.assert_allclose(asm[:, slots, p], [DPW] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, cheap, p], [0.0] * 3, atol=1e-9)
    np.testing.assert_allclose(asm[:, cheap, q], [2002.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, slots, q], [0.0] * 3, atol=1e-9)
    assert fast["npv"][0] == pytest.approx(600_600.0, rel=1e-6)


def test_a_met_product_sharing_the_short_ones_dies_keeps_the_high_yield_line():
    """As above but Q is made on N1 too (Fab A's DPW dies a month, shared) and A wants 100 Q.
    By hand, each month: A's units are at most DPW, one per die, only if every die goes to
    "Slots"; a Q on "Cheap" would take two dies and cost P one unit. So Q stays on "Slots"
    though its demand is met: 100 Q and DPW − 100 P (the NPV stage gives Q its 100 first at
    200 $), B gets nothing. Money: 100 × 200 + (DPW − 100) × 100 − DPW × 100 = 10,000 $ a
    month, 30,000 $ in all; the plan (exact LP) has the same. (Q shares the node P ran out of
    dies on, so it is not offered the cheap line; the units check of the fills would also
    refuse it here, one bucket at a time.)"""
    d = _two_nodes()
    d["products"][1]["node"] = "N1"
    d["customers"][0]["demand"]["Q"] = 100.0
    sc = scenario_from_dict(d)
    plan = solve_plan(sc, explain=False)
    # the stages keep each optimum to LEX_TOL = 1e-6 relative (0.002 units, 0.2 $)
    assert plan.summary["npv"] == pytest.approx(30_000.0, abs=1.0)
    fast, asm, (p, q), (slots, cheap) = _fast_assembly(sc, plan)
    np.testing.assert_allclose(asm[:, slots, q], [100.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, slots, p], [DPW - 100.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, cheap].sum(axis=1), [0.0] * 3, atol=1e-9)
    assert fast["npv"][0] == pytest.approx(30_000.0, rel=1e-6)


def test_units_are_held_for_a_higher_level_short_later():
    """Packaging makes 100 P a month (10 interposer wafers × 10); A (priority 1) wants nothing
    until month 3, then 300 (points interpolate linearly: month 2 is given); B (priority 2) wants 100 a month and pays more (150 $ against
    100 $). By hand: the planner's first stage maximises A's units over the horizon, so the
    200 made in months 1-2 are held and A gets 300 in month 3, B nothing (30,000 $). Selling
    them to B as they are made would give B 200 and A 100 (40,000 $) against the policy. The
    fast recourse holds them (:func:`fabnet.risk.recourse._hold_for_levels`)."""
    d = _tiny.tiny_scenario_dict(
        [{"name": "A", "priority": 1, "demand": {"P": {"2024-01": 0.0, "2024-02": 0.0, "2024-03": 300.0}},
          "price_usd": {"P": 100.0}},
         {"name": "B", "priority": 2, "demand": {"P": 100.0}, "price_usd": {"P": 150.0}}],
        pack_wpm=10.0,
    )  # fmt: skip
    sc = scenario_from_dict(d)
    plan = solve_plan(sc, explain=False)
    dl = plan.tables["deliveries"].pivot_table(
        index="month", columns="customer", values="delivered", aggfunc="sum", fill_value=0.0
    )
    # the stages keep each optimum to LEX_TOL = 1e-6 relative
    assert dl["A"].tolist() == pytest.approx([0.0, 0.0, 300.0], abs=0.01)
    assert dl.get("B", 0.0 * dl["A"]).sum() == pytest.approx(0.0, abs=0.01)
    assert plan.summary["npv"] == pytest.approx(30_000.0, abs=1.0)
    model = model_from_plan(sc, plan)
    lines: dict = {}
    fast = evaluate_draws(model, identity_draws(model), lines)
    got = lines["delivered"][0].sum(axis=2)  # T x C
    customers = list(model.customers)
    np.testing.assert_allclose(got[:, customers.index("A")], [0.0, 0.0, 300.0], atol=1e-6)
    np.testing.assert_allclose(got[:, customers.index("B")], [0.0, 0.0, 0.0], atol=1e-6)
    assert fast["npv"][0] == pytest.approx(30_000.0, rel=1e-9)


def _stacks_bind() -> dict:
    """P (4 HBM stacks) and Q (2 stacks), both one die from Fab A (plenty, free), 10 packages a
    wafer; one HBM supplier of 800 stacks a month at 0 $. Lines: "Slots" yield 1, 1,000 $ an
    interposer wafer (100 $ a package); "Cheap" yield 0.5, free; 1,000 wafers a month each.
    A (priority 1) wants 100 P and 100 Q a month at 1,000 $; B (priority 2) one Q at 1 $."""
    q = {"name": "Q", "node": "N1", "die_width_mm": 10.0, "die_height_mm": 10.0,
         "compute_dies": 1, "hbm_stacks": 2, "packaging": "CoWoS",
         "packages_per_interposer_wafer": 10.0, "list_price_usd": 1000.0}  # fmt: skip
    cheap = [{"name": "Cheap", "kind": "CoWoS", "owner": "outsourced", "capacity_wpm": 1000.0,
              "cost_per_wafer_usd": 0.0, "assembly_yield": 0.5}]  # fmt: skip
    d = _tiny.tiny_scenario_dict(
        [{"name": "A", "priority": 1, "demand": {"P": 100.0, "Q": 100.0},
          "price_usd": {"P": 1000.0, "Q": 1000.0}},
         {"name": "B", "priority": 2, "demand": {"Q": 1.0}, "price_usd": {"Q": 1.0}}],
        pack_wpm=1000.0, pack_cost=1000.0, extra_products=[q], extra_packaging=cheap,
    )  # fmt: skip
    d["products"][0]["hbm_stacks"] = 4
    d["products"][0]["list_price_usd"] = 1000.0
    d["hbm"] = [{"name": "H", "hbm_type": "HBM3", "stacks_per_month": 800.0, "price_usd": 0.0}]
    return d


def test_where_stacks_bind_the_product_saving_them_cheapest_takes_the_high_yield_line():
    """By hand, each month: A's 100 P and 100 Q come first. With x_P, x_Q good units on "Slots"
    (the rest on "Cheap", two packages a good unit), the stacks are 4 x_P + 8 (100 - x_P) +
    2 x_Q + 4 (100 - x_Q) <= 800, i.e. 4 x_P + 2 x_Q >= 400; the cost 100 (x_P + x_Q) is least
    at x_P = 100, x_Q = 0: a P on "Slots" saves 4 stacks for 100 $ (25 $ a stack), a Q 2 (50 $).
    So 100 P on "Slots", 200 Q packages on "Cheap", every stack used, B gets nothing (its unit
    would take two Q moved to "Slots", 200 $, against 1 $ + its penalty). Money: 200,000 −
    10,000 = 190,000 $ a month, 570,000 $ over the 3 months, as the exact LP (the plan).
    All by yield pays 20,000 $ a month more (what the fast recourse did before the fourth fill:
    all by cost runs out of stacks, P first taking 800, and no product is short in the fill by
    yield, so the third fill does not apply); the fourth fill (:func:`fabnet.risk.line_mix.
    switch_ranks`) moves P, the cheaper per stack saved, to "Slots" first and keeps that."""
    sc = scenario_from_dict(_stacks_bind())
    plan = solve_plan(sc, explain=False)
    assert plan.summary["npv"] == pytest.approx(570_000.0, rel=1e-6)
    fast, asm, (p, q), (slots, cheap) = _fast_assembly(sc, plan)
    np.testing.assert_allclose(asm[:, slots, p], [100.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, cheap, q], [200.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(asm[:, cheap, p] + asm[:, slots, q], [0.0] * 3, atol=1e-9)
    assert fast["npv"][0] == pytest.approx(570_000.0, rel=1e-6)
