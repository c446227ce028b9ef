"""A packaging line whose assembly yield ramps (a dated path), solved by hand.

The tiny world of :mod:`tiny_scenarios`: die yield 1, one free fab (1,000 wafers a month), one
packaging line of 100 interposer wafers a month × 10 packages each, no HBM, and a customer who
wants 10,000 packages a month at 100 $ — so packaging binds and every month the line assembles
its full 1,000 packages. Only the good ones sell: good packages = 1,000 × the line's yield.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_scenarios import tiny_scenario, tiny_scenario_dict

from fabnet.errors import ScenarioError
from fabnet.plan import build_plan_data, solve_plan
from fabnet.scenario import load_scenario, scenario_from_dict

CUSTOMER = [{"name": "A", "priority": 1, "demand": {"P": 10_000}, "price_usd": {"P": 100}}]
RAMP = {"2024-01": 0.5, "2024-03": 0.9}


def _ramped(horizon: int, **policy: object):
    d = tiny_scenario_dict(CUSTOMER, horizon=horizon, policy=dict(policy) or None)
    d["packaging"][0]["assembly_yield"] = RAMP
    return scenario_from_dict(d)


def _good_packages(r) -> list[float]:
    """Good packages made per bucket (the supply table's ``accelerators``). Deliveries may come
    later from stock (no discounting: the timing is a tie), so the test reads production."""
    supply = r.tables["supply"].sort_values("month")
    return supply.groupby("month", sort=True)["accelerators"].sum().tolist()


def _delivered_total(r) -> float:
    return float(r.tables["deliveries"]["delivered"].sum())


def test_ramping_yield_changes_good_packages_month_by_month():
    """Yield 0.5 in 2024-01 and 0.9 from 2024-03, a straight line between, flat after:
    Jan 0.5, Feb 0.5 + (0.9 − 0.5)·1/2 = 0.7, Mar 0.9, Apr 0.9. Good packages = 1,000 × y:
    500, 700, 900, 900 (3,000 in all, against 4,000 at a constant yield of 1)."""
    r = solve_plan(_ramped(horizon=4))
    assert _good_packages(r) == pytest.approx([500, 700, 900, 900], rel=1e-6)
    assert _delivered_total(r) == pytest.approx(3000, rel=1e-6)
    supply = r.tables["supply"].sort_values("month")
    # the supply table's packaging limit uses the same yield: capacity 100 × 10 × y
    assert supply["packaging_limit"].tolist() == pytest.approx([500, 700, 900, 900], rel=1e-9)
    # revenue follows: 3,000 × 100 $ (no costs, no discounting)
    assert r.summary["npv"] == pytest.approx(300_000, rel=1e-6)


def test_quarterly_buckets_take_the_months_mean_yield():
    """Quarterly buckets over 6 months: Q1's yield is the mean of its months,
    (0.5 + 0.7 + 0.9) / 3 = 0.7, so 3 × 1,000 × 0.7 = 2,100 good packages; Q2 holds 0.9:
    2,700."""
    sc = _ramped(horizon=6, bucket="quarter")
    data = build_plan_data(sc)
    assert data.values("line_yield")[0] == pytest.approx([0.7, 0.9], rel=1e-12)
    # the per-line summary the risk engine reads: the horizon's mean, (0.5+0.7+0.9·4)/6
    assert data.values("line_assembly_yield")[0] == pytest.approx(4.8 / 6, rel=1e-12)
    assert _good_packages(solve_plan(sc)) == pytest.approx([2100, 2700], rel=1e-6)


def test_a_constant_yield_is_the_number_written_in_every_bucket():
    """No path declared: every bucket carries exactly the number written (0.97 after a mean
    over a quarter's three months would not always be the same float)."""
    d = tiny_scenario_dict(CUSTOMER, horizon=6, policy={"bucket": "quarter"})
    d["packaging"][0]["assembly_yield"] = 0.97
    data = build_plan_data(scenario_from_dict(d))
    assert np.array_equal(data.values("line_yield")[0], [0.97, 0.97])
    assert data.values("line_assembly_yield")[0] == 0.97
    # the venture's built-in scenario (constant yields, monthly then quarterly buckets)
    sc = load_scenario()
    venture = build_plan_data(sc)
    written = [ln.assembly_yield for ln in sc.packaging]
    written += [h.assembly_yield for h in sc.outside_packaging]
    assert np.array_equal(venture.values("line_assembly_yield"), written)
    assert np.array_equal(
        venture.values("line_yield"), np.repeat([[y] for y in written], venture.buckets.n, 1)
    )


@pytest.mark.parametrize(
    ("value", "path", "says"),
    [
        ({"2024-01": 0.5, "2024-03": 1.2}, "packaging[0].assembly_yield", "value at 2024-03"),
        (0.0, "packaging[0].assembly_yield", "(0, 1]"),
        ({"2024-13": 0.5}, "packaging[0].assembly_yield", "month 13 does not exist"),
        (True, "packaging[0].assembly_yield", "true/false is not a number"),
        ("high", "packaging[0].assembly_yield", "(0, 1]"),
    ],
)
def test_a_bad_yield_path_names_field_value_and_what_is_valid(value, path, says):
    d = tiny_scenario_dict(CUSTOMER)
    d["packaging"][0]["assembly_yield"] = value
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(d)
    probs = err.value.problems
    assert [p.path for p in probs] == [path]
    assert says in probs[0].message
    assert probs[0].value == value


def test_a_bad_yield_path_in_a_file_names_the_file(tmp_path: Path):
    import yaml

    d = tiny_scenario_dict(CUSTOMER)
    d["packaging"][0]["assembly_yield"] = {"2024-01": 0.6, "2024-06": 1.5}
    f = tmp_path / "ramp.yaml"
    f.write_text(yaml.safe_dump(d))
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    text = str(err.value)
    assert "ramp.yaml" in text and "packaging[0].assembly_yield" in text
    assert "1.5" in text and "(0, 1]" in text


def test_outside_packaging_houses_take_a_path_too():
    """An outside house at 0.5 → 0.9 next to no own line: the same 500, 700, 900, 900."""
    d = tiny_scenario_dict(CUSTOMER, horizon=4, pack_wpm=0.0)
    d["outside_packaging"] = [
        {
            "name": "OSAT",
            "kind": "CoWoS",
            "capacity_wpm": 100.0,
            "price_per_wafer_usd": 0.0,
            "assembly_yield": RAMP,
        }
    ]
    r = solve_plan(scenario_from_dict(d))
    assert _good_packages(r) == pytest.approx([500, 700, 900, 900], rel=1e-6)


def test_tiny_scenario_still_plans_at_yield_one():
    # guard for the fixture the other hand-solved tests share: 1,000 good packages a month
    assert _good_packages(solve_plan(tiny_scenario(CUSTOMER, horizon=2))) == pytest.approx(
        [1000, 1000], rel=1e-6
    )
