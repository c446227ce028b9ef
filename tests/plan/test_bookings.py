"""Packaging booked on a named line, take-or-pay (``customers[*].packaging_bookings`` keyed by a
line's name): hand-solved on a tiny world.

The world (``tiny_scenario`` plus one outside house): product P, 10 packages per interposer
wafer, sells at 100 $; TSMC-like booked slots ``Slots`` (kind CoWoS, 100 wafers/month, 100 $ a
wafer) and an assembly house ``House`` (kind CoWoS, 200 wafers/month, 50 $ a wafer); every
yield 1, no test cost, free dies, 3 months, no discounting. Packaging cost per month is what the
hand solutions below count; ``cash_flow.opex`` holds nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from tiny_scenarios import tiny_scenario_dict

from fabnet.errors import ScenarioError
from fabnet.plan import build_plan_data, solve_plan
from fabnet.scenario import load_scenario, scenario_from_dict

MONTHS = 3


def world(customers: list[dict[str, Any]]) -> dict[str, Any]:
    d = tiny_scenario_dict(customers, horizon=MONTHS, pack_cost=100.0)
    d["products"][0]["test_cost_usd"] = 0.0
    d["outside_packaging"] = [
        {
            "name": "House",
            "kind": "CoWoS",
            "capacity_wpm": 200.0,
            "price_per_wafer_usd": 50.0,
            "assembly_yield": 1.0,
        }
    ]
    return d


def solve(customers: list[dict[str, Any]]):
    res = solve_plan(scenario_from_dict(world(customers)), explain=False)
    pk = res.tables["packaging"]
    wafers = pk.groupby("line")["interposer_wafers"].sum().to_dict()
    opex = float(res.tables["cash_flow"]["opex"].sum())
    return wafers, opex


def test_reservation_moves_packaging_to_the_booked_line_hand_solved():
    """Demand 500 packages a month = 50 wafers. Unbooked, the cheaper house takes them all:
    3 × 50 × 50 $ = 7,500 $. Booked ``Slots: 50``: those 50 wafers are paid on Slots whether used
    or not, so using them costs nothing more while the house would cost 50 $ a wafer on top: all
    on Slots, 3 × 100 $ × max(50, 50) = 15,000 $."""
    wafers, opex = solve([{"name": "a", "demand": {"P": 500}}])
    assert wafers == pytest.approx({"House": 150.0})
    assert opex == pytest.approx(7_500.0)
    wafers, opex = solve([{"name": "a", "demand": {"P": 500}, "packaging_bookings": {"Slots": 50}}])
    assert wafers == pytest.approx({"Slots": 150.0})
    assert opex == pytest.approx(15_000.0)


def test_unused_booking_is_paid_hand_solved():
    """Booked 80 wafers a month on Slots, 50 used (the whole demand): paid 100 $ × max(80, 50) =
    8,000 $ a month, 24,000 $ in 3 months (50 × 100 used + 30 × 100 unused)."""
    wafers, opex = solve([{"name": "a", "demand": {"P": 500}, "packaging_bookings": {"Slots": 80}}])
    assert wafers == pytest.approx({"Slots": 150.0})
    assert opex == pytest.approx(24_000.0)


def test_booking_beyond_the_lines_capacity_is_paid_and_unusable_hand_solved():
    """Booked 150 wafers a month on Slots, which has 100; demand 2,000 packages = 200 wafers.
    Slots runs full (100), the house takes the other 100; the 50 booked wafers Slots cannot make
    are paid: 100 × 100 + 50 × 100 + 100 × 50 = 20,000 $ a month, 60,000 $ in all."""
    wafers, opex = solve(
        [{"name": "a", "demand": {"P": 2000}, "packaging_bookings": {"Slots": 150}}]
    )
    assert wafers == pytest.approx({"Slots": 300.0, "House": 300.0})
    assert opex == pytest.approx(60_000.0)


def test_a_product_two_customers_want_is_counted_once_hand_solved():
    """a and b want 200 packages of P a month each (40 wafers in all) and each booked 30 wafers
    on Slots (60). All 40 go to Slots (cheaper at the margin than the house); the wafers used are
    counted once between them, so 20 booked wafers are unused: 100 $ × max(60, 40) = 6,000 $ a
    month, 18,000 $ in all (crediting each with all 40 would give 12,000 $)."""
    wafers, opex = solve(
        [
            {"name": "a", "demand": {"P": 200}, "packaging_bookings": {"Slots": 30}},
            {"name": "b", "demand": {"P": 200}, "packaging_bookings": {"Slots": 30}},
        ]
    )
    assert wafers == pytest.approx({"Slots": 120.0})
    assert opex == pytest.approx(18_000.0)


def test_a_kind_key_gives_todays_plan():
    """Booked by kind (``CoWoS: 50``): contracted units only, exactly as before this mechanism;
    no take-or-pay, so the cheaper house packages everything (7,500 $, as unbooked). The same
    booking keyed by the line gives the same contracted units (50 × 10 × yield 1 = 500 a
    month), and only it gives booked wafers on the line."""
    cust = [{"name": "a", "demand": {"P": 500}, "packaging_bookings": {"CoWoS": 50}}]
    wafers, opex = solve(cust)
    assert wafers == pytest.approx({"House": 150.0})
    assert opex == pytest.approx(7_500.0)
    by_kind = build_plan_data(scenario_from_dict(world(cust)))
    cust[0]["packaging_bookings"] = {"Slots": 50}
    by_line = build_plan_data(scenario_from_dict(world(cust)))
    assert by_kind.values("contracted").sum() == pytest.approx(by_line.values("contracted").sum())
    assert by_kind.values("contracted").sum() == pytest.approx(MONTHS * 500.0)
    assert by_kind.values("booked_wafers").sum() == 0.0
    assert by_line.ds["booked_wafers"].sel(line="Slots").sum() == pytest.approx(MONTHS * 50.0)


def test_unknown_booking_key_names_file_field_value_kinds_and_lines(tmp_path):
    cust = [{"name": "a", "demand": {"P": 500}, "packaging_bookings": {"Slotz": 50}}]
    path = tmp_path / "world.yaml"
    path.write_text(yaml.safe_dump(world(cust), sort_keys=False))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "world.yaml" in text
    assert "customers[0].packaging_bookings.Slotz" in text
    assert "'Slotz'" in text
    assert "kinds: 'CoWoS'" in text
    assert "lines: 'Slots', 'House'" in text
