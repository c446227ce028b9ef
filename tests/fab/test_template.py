from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from fabnet.errors import ScenarioError
from fabnet.fab.curve import fit_xfactor
from fabnet.scenario.fab_template import FabTemplate, OperatingCurve


def test_fit_recovers_known_curve():
    u = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    x = [1 + 0.7 * v**3 / (1 - v) for v in u]
    fit = fit_xfactor(u, x)
    assert fit["a"] == pytest.approx(0.7, rel=1e-3)
    assert fit["b"] == pytest.approx(3.0, rel=1e-3)


def _curve() -> dict:
    return {
        "raw_process_time_days": 20.0,
        "points": [],
        "fit": {"kind": "xfactor", "params": {"a": 0.5, "b": 2.0}},
    }


def test_operating_curve_inverse_and_file(tmp_path: Path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(_curve()))
    c = OperatingCurve.from_file(p)
    u = c.max_load_for_flow_factor(3.0)
    assert c.flow_factor_at(u) == pytest.approx(3.0, rel=1e-6)
    assert c.flow_factor_at(0.8) == pytest.approx(1 + 0.5 * 0.64 / 0.2)
    assert c.cycle_time_days_at(0.8) == pytest.approx(20 * c.flow_factor_at(0.8))
    assert c.max_load_for_flow_factor(1.0) == 0.0


def test_operating_curve_errors_name_file_and_field(tmp_path: Path):
    bad = _curve()
    bad["fit"]["params"] = {"a": 1.0}
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    with pytest.raises(ScenarioError) as err:
        OperatingCurve.from_file(p)
    assert "bad.json" in str(err.value) and "fit" in str(err.value)
    with pytest.raises(ScenarioError, match="not found"):
        OperatingCurve.from_file(tmp_path / "none.json")


def test_fab_template_needs_exactly_one_source():
    FabTemplate(name="a", smt2020="/data/SMT2020_HVLM", operating_curve="c.json")
    with pytest.raises(ValidationError):
        FabTemplate(name="b")
    with pytest.raises(ValidationError, match="unknown tool group"):
        FabTemplate(
            name="c",
            fab={
                "tool_groups": [{"name": "litho", "count": 1}],
                "routes": [{"name": "r", "steps": [{"group": "etch", "minutes": 5}]}],
                "products": [{"name": "p", "route": "r", "lots_per_day": 1}],
            },
        )
    with pytest.raises(ValidationError):
        FabTemplate(name="d", smt2020="x", extra_field=1)
