"""The business on instances worked out by hand: each revenue model, income tax with a loss
carried forward, the terminal value, and bought-in wafers against building (no yield loss, no
cycle time; see tests/plan/tiny_scenarios.py)."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_scenarios import tiny_scenario_dict

from fabnet.econ import exact_dies_per_wafer
from fabnet.plan import solve_plan
from fabnet.scenario import scenario_from_dict

DPW = int(exact_dies_per_wafer(10.0, 10.0, 300.0, 3.0, 0.1))
"""Dies per wafer of the tiny product P (10 x 10 mm), all good: 1 wafer = DPW units."""
INVESTOR = [
    {"name": "I", "commitment_usd": 1e7, "pay_in": [{"month": "2024-01", "amount_usd": 1e7}]}
]


def _solve(d: dict, **kw):
    return solve_plan(scenario_from_dict(d), **kw)


# -- revenue models -----------------------------------------------------------------------------
def test_foundry_customer_pays_wafers_and_packaging_not_the_chip():
    # wafer price DPW x 10 $ -> 10 $ per unit; CoWoS 500 $ per interposer wafer / 10 -> 50 $;
    # no HBM, test at cost (0). Packaging caps output at 100 x 10 = 1,000 a month: 3,000 units
    # x 60 $ = 180,000 $ (no costs, no discounting), whatever the list price (100 $).
    d = tiny_scenario_dict([{"name": "A", "demand": {"P": 5000}, "revenue": {"model": "foundry"}}])
    d["price_lists"] = [
        {"name": "std", "wafer_price_usd": {"N1": DPW * 10.0},
         "packaging_price_per_interposer_wafer_usd": 500.0}
    ]  # fmt: skip
    r = _solve(d)
    assert r.summary["revenue_total"] == pytest.approx(180_000.0, rel=1e-6)
    assert r.summary["npv"] == pytest.approx(180_000.0, rel=1e-6)


def test_cost_plus_partner_pays_agreed_cost_plus_margin():
    # agreed wafer cost DPW x 20 $ -> 20 $; packaging at the line's cost 300 $ / 10 -> 30 $;
    # x 1.10 = 55 $ a unit. 3,000 units: revenue 165,000 $, packaging cost 90,000 $, NPV 75,000 $.
    customers = [{"name": "A", "demand": {"P": 5000},
                  "revenue": {"model": "cost_plus", "margin": 0.10,
                              "wafer_cost_usd": {"N1": DPW * 20.0}}}]  # fmt: skip
    d = tiny_scenario_dict(customers, pack_cost=300.0)
    d["price_lists"] = [{"name": "std", "wafer_price_usd": {"N1": 0.0}}]
    r = _solve(d)
    assert r.summary["revenue_total"] == pytest.approx(165_000.0, rel=1e-6)
    assert r.summary["npv"] == pytest.approx(75_000.0, rel=1e-6)


def test_merchant_price_follows_the_price_index_and_nothing_ships_before_launch():
    # 100 $ x index 1.0 / 0.75 / 0.5 over three months, but the product launches in month 2:
    # 1,000 x (75 + 50) = 125,000 $.
    d = tiny_scenario_dict([{"name": "A", "demand": {"P": 1000}, "price_usd": {"P": 100.0}}])
    d["products"][0]["price_index"] = {"2024-01": 1.0, "2024-03": 0.5}
    d["products"][0]["launch"] = "2024-02"
    r = _solve(d)
    assert r.summary["revenue_total"] == pytest.approx(125_000.0, rel=1e-6)
    dl = r.tables["deliveries"]
    assert dl[dl["month"] == "2024-01"]["delivered"].sum() == 0.0


# -- tax ------------------------------------------------------------------------------------------
def _taxed(rate: float):
    """A fab bought for 36,000 $ (all equipment, 12-month life: 3,000 $ a month of depreciation);
    no demand in month 1, then 1,000 units a month at 10 $. Profit before tax: -3,000, 7,000,
    7,000. At 25 %: month 2 uses the 3,000 loss (taxable 4,000, tax 1,000), month 3 pays 1,750."""
    fab = {"kind": "existing", "name": "Fab A", "region": "US", "node": "N1",
           "capacity_wspm": 1000.0, "asking_price_usd": 36_000.0, "available_from": "2024-01",
           "months_to_first_output": 0, "opex_per_wafer_usd": 0.0, "ramp_months": 0}  # fmt: skip
    customers = [{"name": "A", "demand": {"P": {"2024-01": 0, "2024-02": 1000}},
                  "price_usd": {"P": 10.0}}]  # fmt: skip
    d = tiny_scenario_dict(
        customers, fabs=[fab], investors=INVESTOR, policy={"shortage_penalty_usd": 100.0},
        financing={"tax_rate": rate, "equipment_share": 1.0, "equipment_life_years": 1.0},
    )  # fmt: skip
    return _solve(d)


def test_tax_with_a_loss_carried_forward():
    r = _taxed(0.25)
    cf = r.tables["cash_flow"]
    np.testing.assert_allclose(cf["depreciation"], [3000.0] * 3, rtol=1e-9)
    np.testing.assert_allclose(cf["profit_before_tax"], [-3000.0, 7000.0, 7000.0], rtol=1e-9)
    assert cf["tax"].sum() == pytest.approx(2750.0, rel=1e-6)  # 25 % of (14,000 - 3,000)
    assert cf["loss_pool"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    # revenue 20,000 - capex 36,000 - tax 2,750
    assert r.summary["npv"] == pytest.approx(-18_750.0, rel=1e-6)
    untaxed = _taxed(0.0)
    assert untaxed.summary["npv"] == pytest.approx(-16_000.0, rel=1e-6)
    # month by month as the formula has it, and the tax shield: without depreciation the tax
    # would be 25 % of 20,000 = 5,000, i.e. depreciation saved 25 % of 9,000 = 2,250
    np.testing.assert_allclose(cf["tax"], [0.0, 1000.0, 1750.0], atol=1e-6)
    assert cf["tax_shield"].sum() == pytest.approx(5000.0 - 2750.0, rel=1e-6)


# -- terminal value ------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "value"), [("perpetuity", 12e6), ("exit_multiple", 6e6)])
def test_terminal_value_by_hand(method, value):
    # 36 months of 1,000 units at 100 $, no costs: 100,000 $ a month, 1.2 M$ a year (the whole
    # horizon is the terminal window). Gordon at r = 10 %, g = 0: 1.2 M$ / 0.10 = 12 M$; an exit
    # multiple of 5 x EBITDA: 6 M$. Discounted from the horizon's end: x 1.1^-3.
    d = tiny_scenario_dict(
        [{"name": "A", "demand": {"P": 1000}, "price_usd": {"P": 100.0}}], horizon=36,
        policy={"discount_rate": 0.10, "mip_gap": 1e-9},
        financing={"terminal_value": {"method": method, "growth": 0.0, "multiple": 5.0}},
    )  # fmt: skip
    r = _solve(d)
    t = np.arange(36)
    flows = (100_000.0 * 1.1 ** (-(t + 0.5) / 12)).sum()
    assert r.summary["terminal_value"] == pytest.approx(value, rel=1e-6)
    assert r.summary["npv"] == pytest.approx(flows + value * 1.1**-3, rel=1e-6)
    assert r.summary["npv_without_terminal_value"] == pytest.approx(flows, rel=1e-6)
    assert r.summary["irr"] is None  # no money is ever put in: no rate makes the NPV zero


# -- bought-in wafers against building ------------------------------------------------------------
def _outside_or_build(lead: int):
    """No fab yet; a greenfield module (0.3 M$, first output after ``lead`` months) or wafers
    from an outside foundry at DPW x 30 $ (30 $ a unit, no lead time). 1,000 units a month at
    100 $ for 24 months (packaging caps output at 1,000)."""
    site = {"kind": "greenfield", "name": "Site", "region": "US",
            "nodes": [{"node": "N1", "capex_per_kwspm_usd": 0.3e6}], "module_wspm": 1000.0,
            "lead_time_months": lead, "ramp_curve": [1.0], "max_modules": 1,
            "opex_per_wafer_usd": 0.0}  # fmt: skip
    d = tiny_scenario_dict(
        [{"name": "A", "demand": {"P": 1000}, "price_usd": {"P": 100.0}}], horizon=24,
        fabs=[site], investors=INVESTOR,
    )  # fmt: skip
    d["outside_foundries"] = [
        {"name": "Foundry", "node": "N1", "price_per_wafer_usd": DPW * 30.0,
         "max_wafers_per_month": 100, "lead_time_months": 0}
    ]  # fmt: skip
    return _solve(d)


def test_building_wins_over_bought_wafers_when_it_is_ready_soon_enough():
    # buy wafers for 12 months (70 $ a unit), then own wafers (100 $ a unit) for 12, less the
    # module: 840,000 + 1,200,000 - 300,000 = 1,740,000 $ > 1,680,000 $ (bought wafers only):
    # building wins by 60,000 $ = 12 months x 30,000 $ saved - 300,000 $.
    r = _outside_or_build(lead=12)
    assert r.decisions[["site", "action", "start", "modules"]].values.tolist() == [
        ["Site", "build", "2024-01", 1]
    ]
    assert r.summary["npv"] == pytest.approx(1_740_000.0, rel=1e-6)
    q = r.tables["quarterly"]
    assert q[q["quarter"] == "2024-Q1"]["outside_wafers"].sum() == pytest.approx(3000 / DPW)
    assert q[q["quarter"] == "2025-Q1"]["outside_wafers"].sum() == pytest.approx(0.0, abs=1e-9)


def test_bought_wafers_win_when_building_is_too_slow():
    # with 16 months of lead the module saves 8 x 30,000 = 240,000 $ < 300,000 $: buying wafers
    # all along (1,680,000 $) beats building (1,620,000 $) by 60,000 $.
    r = _outside_or_build(lead=16)
    assert r.decisions.empty
    assert r.summary["npv"] == pytest.approx(1_680_000.0, rel=1e-6)
    assert r.summary["outside_wafers_total"] == pytest.approx(24_000 / DPW, rel=1e-6)


def test_a_minimum_order_makes_the_supply_agreement_a_yes_or_no_decision():
    # Without a minimum the plan buys the 1,000 / DPW wafers a month it needs (70 $ a unit
    # margin: 24 x 70,000 = 1,680,000 $). With an agreement minimum of 80 wafers a month (80 x
    # DPW x 30 $ ~ 1.4 M$ a month for 100,000 $ of sales) it signs nothing: NPV 0, no wafers.
    d = tiny_scenario_dict(
        [{"name": "A", "demand": {"P": 1000}, "price_usd": {"P": 100.0}}], horizon=24, fabs=[],
    )  # fmt: skip
    d["outside_foundries"] = [
        {"name": "Foundry", "node": "N1", "price_per_wafer_usd": DPW * 30.0,
         "max_wafers_per_month": 100, "lead_time_months": 0}
    ]  # fmt: skip
    free = _solve(d)
    assert free.summary["npv"] == pytest.approx(1_680_000.0, rel=1e-6)
    d["outside_foundries"][0]["min_wafers_per_month"] = 80
    bound = _solve(d)
    assert bound.summary["npv"] == pytest.approx(0.0, abs=1e-6)
    assert bound.summary["outside_wafers_total"] == pytest.approx(0.0, abs=1e-9)


def test_compare_business_models_side_by_side():
    # the foundry-terms customer of the first test, compared: as given (foundry) 180,000 $;
    # all merchant (the 100 $ list price) 300,000 $
    from fabnet.plan import compare_plans

    d = tiny_scenario_dict([{"name": "A", "demand": {"P": 5000}, "revenue": {"model": "foundry"}}])
    d["price_lists"] = [
        {"name": "std", "wafer_price_usd": {"N1": DPW * 10.0},
         "packaging_price_per_interposer_wafer_usd": 500.0}
    ]  # fmt: skip
    table, _results = compare_plans(scenario_from_dict(d), by="revenue", explain=False)
    rows = table.set_index("revenue")
    assert list(rows.index) == ["as given", "foundry", "merchant"]
    assert rows.loc["as given", "npv"] == pytest.approx(180_000.0, rel=1e-6)
    assert rows.loc["foundry", "npv"] == pytest.approx(180_000.0, rel=1e-6)
    assert rows.loc["merchant", "npv"] == pytest.approx(300_000.0, rel=1e-6)
    assert rows.loc["merchant", "revenue_total"] == pytest.approx(300_000.0, rel=1e-6)


# -- prepayments ----------------------------------------------------------------------------------
def _prepaid(policy: dict | None = None, financing: dict | None = None):
    """One customer, 1,000 units a month at 100 $ for 6 months (100,000 $ invoiced a month); it
    prepays 60,000 $ in month 1, recovered from 25 % of each invoice. The plan starts with no
    money and a cash floor of 1 M$, so it borrows all along (10 % discount rate, 7 % debt)."""
    customers = [{"name": "A", "demand": {"P": 1000}, "price_usd": {"P": 100.0},
                  "prepayments": [{"month": "2024-01", "amount_usd": 60_000.0,
                                   "recovery_share": 0.25}]}]  # fmt: skip
    d = tiny_scenario_dict(
        customers, horizon=6, policy={"discount_rate": 0.10, **(policy or {})},
        financing={"debt_limit_usd": 1e7, "debt_rate": 0.07, "minimum_cash_usd": 1e6,
                   **(financing or {})},
    )  # fmt: skip
    return _solve(d)


def test_prepayment_is_recovered_as_the_contract_says_even_while_the_plan_borrows():
    # The contract (fabnet.econ.prepayment_flows): R_t = min(0.25 x 100,000, balance) =
    # 25,000, 25,000, 10,000, then 0. Keeping the 60,000 $ a month longer is worth the LP
    # 1 - 1.1^(-1/12) of discounting plus 7 %/12 of interest, ~0.165 a year: more than a pull of
    # 0.15 a year alone (the LP then recovered nothing until the last month); the pull is
    # 0.15 + 0.10 + 0.07 = 0.32 a year, so it recovers as the contract forces.
    r = _prepaid()
    cf = r.tables["cash_flow"]
    np.testing.assert_allclose(
        cf["prepayments_recovered"], [25_000.0, 25_000.0, 10_000.0, 0.0, 0.0, 0.0], atol=1e-3
    )
    np.testing.assert_allclose(cf["prepayments_in"], [60_000.0, 0, 0, 0, 0, 0], atol=1e-6)
    # NPV by hand: debt D_t = (D_{t-1} - net_t) / (1 - 0.07/12) with net_t = revenue +
    # prepaid - recovered and D_0 = 1 M$ (the cash floor, borrowed); interest 0.07/12 x D_t
    rate, df = 0.07 / 12.0, 1.1 ** (-(np.arange(6) + 0.5) / 12.0)
    net = 100_000.0 + np.array([60_000.0, 0, 0, 0, 0, 0]) - cf["prepayments_recovered"].to_numpy()
    debt, interest = 1e6, []
    for n in net:
        debt = (debt - n) / (1.0 - rate)
        interest.append(rate * debt)
    np.testing.assert_allclose(cf["interest"], interest, rtol=1e-6)
    assert r.summary["npv"] == pytest.approx(float((df * (net - interest)).sum()), rel=1e-6)
