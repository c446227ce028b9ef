"""The chain simulation → operating curve → planner capacity (DESIGN.md: the planner reads the
fab simulator's operating curves as data, through the scenario)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fabnet.plan.data import build_plan_data, usable_share
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
    tainan = [i for i, s in enumerate(a.option_site) if a.sites[s] == "Taiwan (Tainan)"]
    ratio = b.option_capacity[tainan].max() / a.option_capacity[tainan].max()
    assert ratio == pytest.approx(share / plain.policy.default_utilisation, rel=1e-9)
    others = [i for i in range(len(a.option_site)) if i not in tainan]
    np.testing.assert_array_equal(a.option_capacity[others], b.option_capacity[others])


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
