"""The business terms of a scenario: revenue models, outside supply, life cycles, cash-flow terms.

New fields validate; a bad value gives the project's clear error (field path, value, what would
be valid); a scenario written before these fields existed stays valid with the old behaviour.
"""

from __future__ import annotations

import pytest

from fabnet.errors import ScenarioError
from fabnet.scenario import Scenario, load_scenario


def _old_style(d: dict) -> dict:
    """The built-in scenario as it was written before revenue models and outside supply."""
    for key in ("price_lists", "outside_foundries", "outside_packaging"):
        d.pop(key, None)
    for p in d["products"]:
        for key in ("launch", "end_of_life", "price_index"):
            p.pop(key, None)
    for c in d["customers"]:
        for key in ("revenue", "revenue_by_product", "take_or_pay", "prepayments"):
            c.pop(key, None)
    for f in d["fabs"]:
        f.pop("newcomer", None)
    for n in d["nodes"]:
        n.pop("licence_fee_per_wafer_usd", None)
    fin = d["financing"]
    for key in (
        "tax_loss_carry_forward_years",
        "sustaining_capex_share",
        "terminal_value",
        "grants",
    ):
        fin.pop(key, None)
    return d


def _problems(d: dict) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(d)
    return [(p.path, p.message) for p in err.value.problems]


def test_old_files_stay_valid_with_the_old_behaviour(builtin_dict):
    s = Scenario.from_dict(_old_style(builtin_dict))
    assert all(c.revenue.model == "merchant" and not c.prepayments for c in s.customers)
    assert all(p.launch is None and p.price_index == 1.0 for p in s.products)
    assert s.outside_foundries == [] and s.outside_packaging == [] and s.price_lists == []
    fin = s.financing
    assert fin.terminal_value.method == "none" and fin.grants == []
    assert fin.sustaining_capex_share == 0.0 and fin.tax_loss_carry_forward_years is None
    assert all(f.newcomer is None for f in s.fabs)
    assert all(n.licence_fee_per_wafer_usd == 0.0 for n in s.nodes)


def test_builtin_is_the_venture_on_foundry_terms_with_a_bridge():
    s = load_scenario()
    models = {c.name: c.revenue.model for c in s.customers}
    assert models["OpenAI"] == "cost_plus"
    assert {models[n] for n in ("Microsoft", "Meta", "Google", "AWS", "other")} == {"foundry"}
    assert s.customer("other").terms_for("Infer-N7").model == "merchant"
    assert {f.node for f in s.outside_foundries} == {"N4", "N3"}
    assert s.outside_packaging and s.price_lists
    launches = {p.name: p.launch for p in s.products}
    assert launches["H100-class"] < "2024-01" <= launches["B200-class"] < launches["ASIC-N3"]
    fin = s.financing
    assert fin.tax_rate > 0 and fin.terminal_value.method == "perpetuity"
    assert fin.sustaining_capex_share > 0 and fin.grants
    assert all(f.newcomer is not None for f in s.fabs)


def test_foundry_price_per_wafer_start_is_a_foundry_and_packaging_house_price():
    """Revenue per wafer start on foundry terms: the N4 wafer price plus packaging, HBM and
    test of the dies it yields — far below the ~390,000 $ of selling the designer's product."""
    from fabnet.econ.revenue import mature_good_dies_per_wafer, unit_price

    s = load_scenario()
    gdpw = mature_good_dies_per_wafer(s, "H100-class")
    per_wafer = gdpw * float(unit_price(s, "Microsoft", "H100-class", ["2026-01"])[0])
    # 20k $ wafer + 56 packages x (~830 $ CoWoS + 5 x 283 $ HBM + 920 $ test) ~ 195k $
    assert 150_000 < per_wafer < 250_000
    assert per_wafer < 390_000 / 1.5


def test_demand_before_launch_names_the_field(builtin_dict):
    meta = next(c for c in builtin_dict["customers"] if c["name"] == "Google")
    meta["demand"]["ASIC-N3"] = {"2025-01": 10000, "2029-01": 50000}
    problems = _problems(builtin_dict)
    i = [c["name"] for c in builtin_dict["customers"]].index("Google")
    assert any(
        path == f"customers[{i}].demand.ASIC-N3" and "before the product's launch 2026-01" in msg
        for path, msg in problems
    ), problems


def test_end_of_life_before_launch(builtin_dict):
    builtin_dict["products"][0]["end_of_life"] = "2022-01"
    assert tuple(p for p, _ in _problems(builtin_dict))[:1] == ("products[0].end_of_life",)


def test_unknown_revenue_model_is_a_clear_error(builtin_dict):
    builtin_dict["customers"][1]["revenue"] = {"model": "resale"}
    problems = _problems(builtin_dict)
    assert any(path.startswith("customers[1].revenue.model") for path, _ in problems), problems
    assert any("foundry" in msg and "merchant" in msg for _, msg in problems), problems


def test_foundry_terms_need_a_price_list_and_a_wafer_price(builtin_dict):
    d = dict(builtin_dict)
    d["price_lists"][0]["wafer_price_usd"].pop("N3")
    problems = _problems(d)
    assert any("wafer price for node N3" in msg for _, msg in problems), problems
    d["price_lists"] = []
    problems = _problems(d)
    assert any("need a price list" in msg for _, msg in problems), problems


def test_unknown_price_list_and_missing_cost_plus_wafer_cost(builtin_dict):
    builtin_dict["customers"][1]["revenue"] = {"model": "foundry", "price_list": "standrd"}
    builtin_dict["customers"][0]["revenue"]["wafer_cost_usd"] = {}
    problems = dict(_problems(builtin_dict))
    assert "did you mean 'standard'" in problems["customers[1].revenue.price_list"]
    assert "agreed wafer cost of node" in problems["customers[0].revenue.wafer_cost_usd"]


def test_outside_foundry_checks(builtin_dict):
    f = builtin_dict["outside_foundries"][0]
    f["node"] = "N5"
    f["min_wafers_per_month"] = 50_000
    problems = dict(_problems(builtin_dict))
    assert "unknown node 'N5'" in problems["outside_foundries[0].node"]
    assert "exceeds max_wafers_per_month" in problems["outside_foundries[0].min_wafers_per_month"]


def test_negative_outside_price_names_the_field(builtin_dict):
    builtin_dict["outside_foundries"][0]["price_per_wafer_usd"] = -5
    problems = _problems(builtin_dict)
    assert any(p.startswith("outside_foundries[0].price_per_wafer_usd") for p, _ in problems)


def test_terminal_growth_must_be_below_the_discount_rate(builtin_dict):
    builtin_dict["financing"]["terminal_value"] = {"method": "perpetuity", "growth": 0.12}
    problems = dict(_problems(builtin_dict))
    assert "below policy.discount_rate" in problems["financing.terminal_value.growth"]


def test_grants_name_one_known_region_or_site(builtin_dict):
    builtin_dict["financing"]["grants"] = [
        {"name": "a", "region": "Europe", "share_of_capex": 0.2},
        {"name": "b", "region": "US", "site": "US (Arizona)", "share_of_capex": 0.1},
    ]
    problems = dict(_problems(builtin_dict))
    assert "unknown region 'Europe'" in problems["financing.grants[0].region"]
    assert "exactly one of region or site" in problems["financing.grants[1]"]


def test_newcomer_factors_keep_mature_below_start(builtin_dict):
    builtin_dict["fabs"][4]["newcomer"] = {"d0_start_factor": 1.0, "d0_mature_factor": 9.0}
    problems = dict(_problems(builtin_dict))
    assert "exceed its start value" in problems["fabs[4].newcomer.d0_mature_factor"]


def test_unknown_product_in_take_or_pay_and_prepayment_outside_horizon(builtin_dict):
    builtin_dict["customers"][0]["take_or_pay"] = {"B300-class": 100}
    builtin_dict["customers"][1]["prepayments"] = [{"month": "2040-01", "amount_usd": 1e9}]
    problems = dict(_problems(builtin_dict))
    assert "unknown product 'B300-class'" in problems["customers[0].take_or_pay.B300-class"]
    assert "outside the horizon" in problems["customers[1].prepayments[0].month"]


def test_life_cycle_bounds_are_inclusive():
    s = load_scenario()
    b200 = s.product("B200-class")
    assert not b200.is_active("2024-10") and b200.is_active("2024-11")
    h100 = s.product("H100-class")
    assert h100.is_active("2027-12") and not h100.is_active("2028-01")
    assert s.product("ASIC-N3").is_active("2040-01")  # no end of life


def test_newcomer_learns_later_and_worse_and_outside_wafers_do_not_learn():
    from fabnet.econ.accelerator import (
        defect_density_at,
        outside_good_dies_per_wafer,
        site_defect_density,
    )
    from fabnet.econ.revenue import mature_good_dies_per_wafer
    from fabnet.scenario import Newcomer

    s = load_scenario()
    n4 = s.node("N4")
    nc = Newcomer(d0_start_factor=1.5, d0_mature_factor=1.3, learning_delay_months=3)
    ages = [-1.0, 0.0, 3.0, 9.0, 1e6]
    d = site_defect_density(n4, ages, nc)
    # start 1.5 x 0.5 = 0.75 until learning begins at month 3, then the incumbent curve's shape
    assert d[0] == d[1] == d[2] == pytest.approx(0.75)
    assert d[-1] == pytest.approx(1.3 * n4.d0_mature_per_cm2)
    assert all(site_defect_density(n4, ages) == defect_density_at(n4, ages))
    # the outside foundry's wafers yield at its own mature density from the first wafer
    tsmc = s.outside_foundries[0]
    assert outside_good_dies_per_wafer(s, tsmc, "H100-class") == pytest.approx(
        mature_good_dies_per_wafer(s, "H100-class")
    )  # its D0 equals the node's mature D0 in the built-in scenario
