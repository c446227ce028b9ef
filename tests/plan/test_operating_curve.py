"""The chain simulation → operating curve → planner capacity (DESIGN.md: the planner reads the
fab simulator's operating curves as data, through the scenario)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fabnet.plan.data import build_plan_data, cycle_time_months, usable_share
from fabnet.scenario import scenario_from_dict
from fabnet.scenario.fab_template import OperatingCurve


def test_simulated_curve_derates_the_planned_capacity(cli, tmp_path, builtin_dict):
    curve_file = tmp_path / "tainan_curve.json"
    result = cli(
        "fab", "curve", "--loads", "0.6,0.8,0.9,0.95", "--days", "60", "--replications", "2",
        "--out", str(curve_file), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    curve = OperatingCurve.from_file(curve_file)
    assert len(curve.points) == 4
    # flow factor grows with load on the simulated curve
    ff = [p.flow_factor for p in sorted(curve.points, key=lambda p: p.load)]
    assert ff[-1] > ff[0]

    builtin_dict["policy"].update(horizon_months=48, monthly_detail_months=None)
    plain = scenario_from_dict(builtin_dict)
    site = next(f for f in builtin_dict["fabs"] if f["name"] == "Taiwan (Tainan)")
    site["operating_curve"] = str(curve_file)
    with_curve = scenario_from_dict(builtin_dict)

    share = usable_share(with_curve, with_curve.fab("Taiwan (Tainan)"))
    expected = curve.max_load_for_flow_factor(with_curve.policy.max_flow_factor)
    assert share == pytest.approx(expected)
    assert 0 < share <= 1

    a, b = build_plan_data(plain), build_plan_data(with_curve)

    def options(d):  # (site, node, kind, start) -> capacity per month
        return {
            tuple(label.split(" | ")): d["option_capacity"].sel(option=label).values
            for label in d.options
        }

    opt_a, opt_b = options(a), options(b)
    tainan = [k for k in opt_a if k[0] == "Taiwan (Tainan)"]
    ratio = max(opt_b[k].max() for k in tainan) / max(opt_a[k].max() for k in tainan)
    assert ratio == pytest.approx(share / plain.policy.default_utilisation, rel=1e-9)
    for k in opt_a:
        if k[0] != "Taiwan (Tainan)":
            np.testing.assert_array_equal(opt_a[k], opt_b[k])

    # lead time: wafers come out after the simulated cycle time at the usable load, not after
    # the node's mask_layers x days_per_layer
    curve_lag = round(curve.cycle_time_days_at(share) / 30.44)
    for group, lag in b["group_cycle_months"].to_series().items():
        site, node = group.split(" / ")
        expected_lag = curve_lag if site == "Taiwan (Tainan)" else cycle_time_months(plain, node)
        assert lag == expected_lag, group
    assert b.buckets.length.max() == 1  # monthly buckets: first outputs move by whole months
    for k in tainan:
        shift = cycle_time_months(plain, k[2]) - curve_lag
        assert shift > 0  # the mini-fab's curve is much shorter than an N3/N4 flow
        first_a, first_b = np.flatnonzero(opt_a[k]), np.flatnonzero(opt_b[k])
        if first_a.size:
            assert first_b[0] == first_a[0] - shift


def test_scenario_names_a_missing_curve_file(builtin_dict, tmp_path):
    from fabnet.errors import ScenarioError

    site = next(f for f in builtin_dict["fabs"] if f["name"] == "Taiwan (Tainan)")
    site["operating_curve"] = str(tmp_path / "nope.json")
    with pytest.raises(ScenarioError, match=r"fabs\[4\]\.operating_curve.*fabnet fab curve"):
        scenario_from_dict(builtin_dict)


def test_curve_file_round_trip(tmp_path):
    data = {"raw_process_time_days": 20.0, "points": [],
            "fit": {"kind": "xfactor", "params": {"a": 0.5, "b": 2.0}}}  # fmt: skip
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    c = OperatingCurve.from_file(path)
    u = c.max_load_for_flow_factor(3.0)
    assert c.flow_factor_at(u) == pytest.approx(3.0, rel=1e-6)
