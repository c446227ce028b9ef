"""Fab templates defined in a scenario, simulated by `fabnet fab simulate|curve --scenario`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fabnet.errors import ScenarioError
from fabnet.scenario import load_scenario

# A deterministic line (constant times, periodic releases, no queueing at 40 lots a day):
# cycle time = 40 + 5 + 50 + 30 + 5 minutes (two litho visits with 5 min load/unload each)
LINE = {
    "name": "tainan-line",
    "fab": {
        "tool_groups": [{"name": "litho", "count": 3, "load_minutes": 5}, {"name": "etch", "count": 2}],
        "routes": [{"name": "r", "steps": [
            {"group": "litho", "minutes": 40, "dist": "constant"},
            {"group": "etch", "minutes": 50, "dist": "constant"},
            {"group": "litho", "minutes": 30, "dist": "constant"}]}],
        "products": [{"name": "a", "route": "r", "lots_per_day": 40, "due_days": 1}],
    },
}  # fmt: skip


@pytest.fixture
def scenario_file(builtin_dict, write_scenario, smt2020_dir: Path) -> Path:
    builtin_dict["fab_templates"] = [
        LINE,
        {"name": "hvlm", "smt2020": str(smt2020_dir / "SMT2020_HVLM")},
    ]
    return write_scenario(builtin_dict)


def test_inline_template_simulates_to_its_hand_computed_cycle_time(cli, scenario_file):
    r = cli("fab", "simulate", "--scenario", str(scenario_file), "--template", "tainan-line",
            "--days", "20", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert s["fab"] == "tainan-line"
    assert s["lots_completed"] == pytest.approx(40 * 10, abs=2)
    assert s["cycle_time_days"]["mean"] * 1440 == pytest.approx(130.0, abs=1e-6)


def test_smt2020_template_and_curve(cli, scenario_file, tmp_path):
    r = cli("fab", "simulate", "--scenario", str(scenario_file), "--template", "hvlm",
            "--days", "2", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["fab"] == "SMT2020_HVLM"
    out = tmp_path / "curve.json"
    r = cli("fab", "curve", "--scenario", str(scenario_file), "--template", "tainan-line",
            "--loads", "0.5,0.9", "--days", "10", "--replications", "1", "--out", str(out),
            "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(json.loads(out.read_text())["points"]) == 2


def test_unknown_template_and_half_options_exit_2(cli, scenario_file):
    r = cli("fab", "simulate", "--scenario", str(scenario_file), "--template", "tainan_line")
    assert r.exit_code == 2
    assert "did you mean 'tainan-line'" in r.output
    r = cli("fab", "simulate", "--template", "tainan-line")
    assert r.exit_code == 2
    assert "--scenario and --template go together" in r.output


def test_template_names_are_unique_and_paths_resolve(builtin_dict, write_scenario):
    builtin_dict["fab_templates"] = [LINE, LINE]
    with pytest.raises(ScenarioError, match=r"fab_templates\[1\]\.name.*duplicate"):
        load_scenario(write_scenario(builtin_dict))
    builtin_dict["fab_templates"] = [{"name": "x", "smt2020": "data/SMT2020_HVLM"}]
    path = write_scenario(builtin_dict)
    assert load_scenario(path).fab_template("x").smt2020 == str(path.parent / "data/SMT2020_HVLM")
