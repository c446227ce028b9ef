"""The fast recourse evaluates the same business as the planner: revenue models, bought-in
wafers, tax with losses carried forward, grants, sustaining capex and the terminal value. On
instances where nothing competes for supply (no stock worth carrying), its deterministic
evaluation of the plan's decisions equals the plan's NPV and deliveries."""

from __future__ import annotations

import pytest

from fabnet.econ import exact_dies_per_wafer
from fabnet.plan import solve_plan
from fabnet.plan.generate import tiny_scenario_dict
from fabnet.risk import evaluate_draws, identity_draws, model_from_plan
from fabnet.scenario import scenario_from_dict

DPW = int(exact_dies_per_wafer(10.0, 10.0, 300.0, 3.0, 0.1))
INVESTOR = [
    {"name": "I", "commitment_usd": 1e7, "pay_in": [{"month": "2024-01", "amount_usd": 1e7}]}
]


def _business(tax: float, terminal: str) -> dict:
    """Foundry terms (10 $ of wafer + 50 $ of packaging a unit), bought-in wafers at 30 $ a
    unit for the first year, a module (0.3 M$, 25 % US grant, 3 %/yr sustaining capex) from
    month 12; 1,000 units a month for 36 months."""
    site = {"kind": "greenfield", "name": "Site", "region": "US",
            "nodes": [{"node": "N1", "capex_per_kwspm_usd": 0.3e6}], "module_wspm": 1000.0,
            "lead_time_months": 12, "ramp_curve": [1.0], "max_modules": 1,
            "opex_per_wafer_usd": 0.0}  # fmt: skip
    d = tiny_scenario_dict(
        [{"name": "A", "demand": {"P": 1000}, "revenue": {"model": "foundry"}}], horizon=36,
        fabs=[site], investors=INVESTOR, policy={"discount_rate": 0.08},
        financing={"tax_rate": tax, "sustaining_capex_share": 0.03,
                   "terminal_value": {"method": terminal, "growth": 0.01, "multiple": 6.0},
                   "grants": [{"name": "G", "region": "US", "share_of_capex": 0.25}]},
    )  # fmt: skip
    d["price_lists"] = [
        {"name": "std", "wafer_price_usd": {"N1": DPW * 10.0},
         "packaging_price_per_interposer_wafer_usd": 500.0}
    ]  # fmt: skip
    d["outside_foundries"] = [
        {"name": "Foundry", "node": "N1", "price_per_wafer_usd": DPW * 30.0,
         "max_wafers_per_month": 100, "lead_time_months": 0}
    ]  # fmt: skip
    return d


@pytest.mark.parametrize(
    ("tax", "terminal"), [(0.0, "none"), (0.25, "perpetuity"), (0.2, "exit_multiple")]
)
def test_fast_recourse_evaluates_the_plans_business(tax, terminal):
    sc = scenario_from_dict(_business(tax, terminal))
    plan = solve_plan(sc, mip_gap=1e-9)
    s = plan.summary
    assert s["outside_wafers_total"] > 0 and len(plan.decisions) == 1  # bridge, then own wafers
    out = evaluate_draws(model_from_plan(sc, plan), identity_draws(model_from_plan(sc, plan)))
    assert float(out["delivered_total"][0]) == pytest.approx(s["delivered_total"], rel=1e-9)
    assert float(out["revenue_total"][0]) == pytest.approx(s["revenue_total"], rel=1e-9)
    assert float(out["npv"][0]) == pytest.approx(s["npv"], rel=1e-6)
