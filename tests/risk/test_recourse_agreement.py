"""One truth across plan and risk: the fast recourse against the exact LP recourse on the same
futures (mean NPV and mean shortage).

The exact recourse re-solves the planner's operations LP (with its allocation stages) in each
future with the plan's build/buy decisions fixed; the fast recourse is the vectorised greedy of
:mod:`fabnet.risk.recourse`. Before issue 13 the fast recourse packaged on the cheapest line,
carried no dies between buckets, kept the plan's outside-wafer orders and product mix fixed:
on the built-in plan's nominal future its NPV was 8.78 B$ against the plan's 2.87 B$ (+206 %).
"""

from __future__ import annotations

import numpy as np
import pytest

from fabnet.plan import solve_plan
from fabnet.risk import compile_uncertainties, evaluate_chunk, model_from_plan
from fabnet.risk.lp_recourse import LPRecourse, applied_alike, metrics_from_plan
from fabnet.risk.recourse import evaluate_draws, identity_draws
from fabnet.risk.sampling import Chunk
from fabnet.scenario import load_scenario, scenario_from_dict

#: Uncertainties both recourses apply the same way (the exact one moves merchant prices only).
SHARED = applied_alike(load_scenario())


def _tiny_with_uncertainties() -> dict:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "risk_conftest_agreement", Path(__file__).with_name("conftest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    d = module.tiny_dict()
    d["nodes"][0]["d0_start_per_cm2"] = 0.5  # yield learning, as the built-in's N4
    d["uncertainties"] += [
        {"name": "overrun", "target": "fabs.*.capex_overrun", "effect": "add",
         "distribution": {"dist": "triangular", "low": -0.05, "mode": 0.1, "high": 0.5}},
        {"name": "d0", "target": "nodes.*.d0_mature_per_cm2", "effect": "multiply",
         "distribution": {"dist": "lognormal", "median": 1.0, "sigma": 0.25}},
        {"name": "stuck", "target": "fabs.*.yield_stuck_months", "effect": "add",
         "distribution": {"dist": "bernoulli", "p": 0.3, "value": 12, "otherwise": 0}},
        {"name": "hbm-price", "target": "hbm.*.price_usd", "effect": "multiply",
         "distribution": {"dist": "lognormal", "median": 1.0, "sigma": 0.15}},
    ]  # fmt: skip
    return d


def _mean_gap(fast: dict, exact: dict, key: str) -> float:
    return float(np.mean(fast[key]) / np.mean(exact[key]) - 1.0)


def test_tiny_fast_and_exact_recourse_agree():
    """Tiny instance (one N4 module, one product, demand above output), 8 futures with a
    construction delay (whole months in both), capex overrun, mature-density, yield-stuck and
    HBM-price draws: mean NPV within 2 %, mean shortage within 2 %, capex identical."""
    sc = scenario_from_dict(_tiny_with_uncertainties())
    plan = solve_plan(sc, explain=False)
    model = model_from_plan(sc, plan)
    chunk = Chunk(0, 0, 8, 3)
    fast = evaluate_chunk(model, chunk)
    exact = LPRecourse(model, sc, plan.decisions)(chunk)
    assert fast["capex_total"] == pytest.approx(exact["capex_total"], rel=1e-9)
    assert abs(_mean_gap(fast, exact, "npv")) < 0.02
    assert abs(_mean_gap(fast, exact, "shortage_total")) < 0.02


@pytest.mark.slow
def test_builtin_plan_fast_and_exact_recourse_agree():
    """The built-in plan (solved here, ~40 s) in its nominal future and in 12 sampled futures
    (the uncertainties of :data:`SHARED`; 4-12 s per exact future).

    Measured 2026-11-28 (``benchmarks/recourse_agreement.py --futures 12 --seed 11``, which
    prints both recourses' NPV line by line): nominal NPV 2.826 vs 2.865 B$ (-1.4 %), shortage
    and delivered within 0.01 %; 12 futures: mean shortage +0.02 %, mean NPV 1.129 vs 1.150 B$
    (-1.8 %, mean |fast - exact| per future 31 M$, per future -0.08 to +0.03 B$; seed 5: 2.203
    vs 2.218 B$, -0.7 %, 68 M$; the robust plan of ``--robust 5``: -2.0 %, 47 M$). It was
    -2.9 % / -2.4 % (43 / 73 M$) before the fourth line fill (where stacks run out, the
    highest-yield line to the products saving them cheapest), -4.9 % / -3.6 % before the
    planner recovered prepayments as the contract forces, the fast recourse held units for a
    higher level short later and took the cheap lines for products not short; -23 % before the
    fixes of issue 13, item 2. NPV is ~1 % of revenue here, so 21 M$ of NPV is 0.03 % of the
    66 B$ of discounted revenue. What is left are choices the LP's stages make across buckets
    or by fractions of a product (B200 or R100 for a level, bought-in wafers, a product split
    between lines), not its carrying of units between buckets (worth -5 M$ of the 33 before
    the fourth fill). The NPV bounds below are the issue's 2 % (measured 1.4 % nominal and 1.8 %
    over the 12 futures)."""
    sc = load_scenario("ai-fab-network-2024")
    plan = solve_plan(sc, explain=False)
    model = model_from_plan(sc, plan, sampler=compile_uncertainties(sc, only=SHARED))
    nominal = evaluate_draws(model, identity_draws(model))
    exact_nominal = metrics_from_plan(plan, model)
    assert abs(_mean_gap(nominal, exact_nominal, "shortage_total")) < 0.02
    assert abs(_mean_gap(nominal, exact_nominal, "delivered_total")) < 0.02
    assert abs(_mean_gap(nominal, exact_nominal, "npv")) < 0.02
    chunk = Chunk(0, 0, 12, 11)
    fast = evaluate_chunk(model, chunk)
    exact = LPRecourse(model, sc, plan.decisions)(chunk)
    assert fast["capex_total"] == pytest.approx(exact["capex_total"], rel=1e-6)
    assert abs(_mean_gap(fast, exact, "shortage_total")) < 0.02
    assert abs(_mean_gap(fast, exact, "delivered_total")) < 0.02
    assert abs(_mean_gap(fast, exact, "revenue_total")) < 0.02
    assert abs(_mean_gap(fast, exact, "npv")) < 0.02
