"""``policy.die_bank_months``: a limit on the die bank, solved by hand.

The tiny world of :mod:`tiny_scenarios` with one change: the free fab makes 1 wafer a month,
so dies are scarce. A 10 × 10 mm die at yield 1 gives G = 612 good dies a wafer (the
die-per-wafer count of the compiled data, checked below), so G = 612 dies a month. The
packaging line takes 1,000 interposer wafers × 10 = 10,000 packages a month (never binding), its
assembly yield is 0.5 in 2024-01 and 0.9 from 2024-02; the customer wants 10,000 a month at
100 $; no costs, no discounting. One compute die per package, so x_t packages use x_t dies.

With I_1 the dies held at the end of January (x_1 + I_1 = G, x_2 = I_1 + G), good packages are
0.5 x_1 + 0.9 x_2 = 0.5 G + 0.4 I_1 + 0.9 G: each die held to February makes 0.4 more.

* No limit: hold every January die, I_1 = G: 0.9 × 2G = 1,101.6 good packages.
* ``die_bank_months`` = M on monthly buckets: I_1 ≤ M x_1 = M (G − I_1), so
  I_1 = M G / (1 + M). M = 0: I_1 = 0, 0.5 G + 0.9 G = 306 + 550.8 = 856.8.
  M = 0.5: I_1 = G/3 = 204, 0.5·408 + 0.9·816 = 204 + 734.4 = 938.4.
  M = 1: I_1 = G/2 = 306, 0.5·306 + 0.9·918 = 153 + 826.2 = 979.2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_scenarios import tiny_scenario_dict

from fabnet.errors import ScenarioError
from fabnet.plan import build_model, build_plan_data, solve_plan
from fabnet.scenario import load_scenario, scenario_from_dict

CUSTOMER = [{"name": "A", "priority": 1, "demand": {"P": 10_000}, "price_usd": {"P": 100}}]
G = 612.0


def _scarce(bank: float | None, *, horizon: int = 2, ramp: dict | None = None, **policy: object):
    pol = {"die_bank_months": bank, **policy}
    d = tiny_scenario_dict(CUSTOMER, horizon=horizon, pack_wpm=1000.0, policy=pol)
    d["fabs"][0]["capacity_wspm"] = 1.0
    d["packaging"][0]["assembly_yield"] = ramp or {"2024-01": 0.5, "2024-02": 0.9}
    return scenario_from_dict(d)


def _good(r) -> list[float]:
    supply = r.tables["supply"].sort_values("month")
    return supply.groupby("month", sort=True)["accelerators"].sum().tolist()


def test_the_fixture_makes_612_dies_a_wafer():
    data = build_plan_data(_scarce(None))
    assert float(data.values("group_gdpw_mature").max()) == G


def test_without_a_limit_the_planner_holds_every_die_for_the_higher_yield():
    """I_1 = G: nothing packaged in January, 2G × 0.9 = 1,101.6 in February."""
    r = solve_plan(_scarce(None))
    assert _good(r) == pytest.approx([0.0, 0.9 * 2 * G], abs=1e-6)
    assert r.summary["npv"] == pytest.approx(100 * 1101.6, rel=1e-9)


@pytest.mark.parametrize(
    ("months", "jan", "feb"),
    [
        (0.0, 0.5 * G, 0.9 * G),  # 306, 550.8: package every die the month it is made
        (0.5, 0.5 * 408.0, 0.9 * 816.0),  # I_1 = G/3 = 204
        (1.0, 0.5 * 306.0, 0.9 * 918.0),  # I_1 = G/2 = 306
    ],
)
def test_with_a_die_bank_limit_the_planner_packages_now(months, jan, feb):
    r = solve_plan(_scarce(months))
    assert _good(r) == pytest.approx([jan, feb], rel=1e-6)
    assert r.summary["npv"] == pytest.approx(100 * (jan + feb), rel=1e-6)


def test_quarterly_buckets_count_months_of_use():
    """Quarters over 6 months, yield 0.5 to 2024-03 then 0.9 (Q1 0.5, Q2 0.9), 3G = 1,836 dies a
    quarter. M = 3 months on a 3-month bucket: I_1 ≤ (3/3) x_1, so x_1 = I_1 = 918:
    0.5·918 = 459 and 0.9·(918 + 1,836) = 2,478.6 (no limit: 0 and 0.9·3,672 = 3,304.8)."""
    ramp = {"2024-03": 0.5, "2024-04": 0.9}
    r = solve_plan(_scarce(3.0, horizon=6, ramp=ramp, bucket="quarter"))
    assert _good(r) == pytest.approx([459.0, 2478.6], rel=1e-6)
    free = solve_plan(_scarce(None, horizon=6, ramp=ramp, bucket="quarter"))
    assert _good(free) == pytest.approx([0.0, 3304.8], abs=1e-6)


def test_no_limit_adds_nothing_to_the_model():
    """The default (None) builds today's model: no ``Die-bank`` rows, no ``Die-scrapped``."""
    pm = build_model(build_plan_data(_scarce(None)))
    assert "Die-bank" not in pm.m.constraints and "Die-scrapped" not in pm.m.variables
    pm = build_model(build_plan_data(_scarce(1.0)))
    assert "Die-bank" in pm.m.constraints and "Die-scrapped" in pm.m.variables


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (-1, "greater than or equal to 0"),
        (61, "less than or equal to 60"),
        (float("inf"), "finite number"),
        (True, "true/false is not a number"),
    ],
)
def test_a_bad_die_bank_names_field_value_and_what_is_valid(value, says):
    d = tiny_scenario_dict(CUSTOMER, policy={"die_bank_months": value})
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(d)
    probs = err.value.problems
    assert [p.path for p in probs] == ["policy.die_bank_months"]
    assert says in probs[0].message
    assert probs[0].value == value


def test_a_bad_die_bank_in_a_file_names_the_file(tmp_path: Path):
    import yaml

    d = tiny_scenario_dict(CUSTOMER, policy={"die_bank_months": -2})
    f = tmp_path / "bank.yaml"
    f.write_text(yaml.safe_dump(d))
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    text = str(err.value)
    assert "bank.yaml" in text and "policy.die_bank_months" in text
    assert "-2" in text and "greater than or equal to 0" in text


def test_scrapping_keeps_a_signed_minimum_order_feasible():
    """A supply agreement forces dies the line cannot take. No fab of its own; an outside
    foundry sells exactly 1 wafer a month (minimum = maximum = 1, price 0, no lead time), so a
    signed agreement makes G = 612 dies in January and in February. The packaging line takes 100
    interposer wafers in January and 0 in February (a straight line between the two points), at
    yield 1. Signing: 612 packages sold in January (61,200 $); February's 612 dies have no line.
    Without a limit they stay in the bank: 61,200 $. With ``die_bank_months`` = 0 the bank must
    be empty at the end of February (0 × 0 dies used), so the February dies are scrapped: still
    61,200 $. Without ``Die-scrapped`` the agreement could not be signed (NPV 0)."""
    d = tiny_scenario_dict(CUSTOMER, horizon=2, fabs=[], policy={"die_bank_months": 0.0})
    d["packaging"][0]["capacity_wpm"] = {"2024-01": 100.0, "2024-02": 0.0}
    d["outside_foundries"] = [
        {"name": "Foundry", "node": "N1", "price_per_wafer_usd": 0.0,
         "max_wafers_per_month": 1, "min_wafers_per_month": 1, "lead_time_months": 0}
    ]  # fmt: skip
    bank = solve_plan(scenario_from_dict(d))
    assert bank.summary["outside_wafers_total"] == pytest.approx(2.0, rel=1e-9)
    assert _good(bank) == pytest.approx([G, 0.0], abs=1e-6)
    assert bank.summary["npv"] == pytest.approx(100 * G, rel=1e-9)
    d["policy"]["die_bank_months"] = None
    assert solve_plan(scenario_from_dict(d)).summary["npv"] == pytest.approx(100 * G, rel=1e-9)
