"""``fabnet risk`` through the CLI: JSON output, the run store, bad input → exit 2."""

from __future__ import annotations

import json

import pytest
import yaml

from fabnet.store import RunStore


@pytest.fixture
def plan_dir(tiny_plan, tmp_path, tiny_data):
    _sc, plan = tiny_plan
    folder = tmp_path / "plan"
    folder.mkdir()
    plan.decisions.to_csv(folder / "decisions.csv", index=False)
    plan.tables["wafer_starts"].to_csv(folder / "wafer_starts.csv", index=False)
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny_data, sort_keys=False))
    return scen, folder


def test_json_summary_and_store(cli, plan_dir, tmp_path):
    scen, folder = plan_dir
    home, out = tmp_path / "home", tmp_path / "out"
    args = [str(scen), "--plan", str(folder), "--samples", "1200", "--seed", "4"]
    res = cli("risk", *args, "--home", str(home), "--out", str(out), "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    for key in ("npv", "shortage_total"):
        assert s[key]["p5"] <= s[key]["p50"] <= s[key]["p95"]
    assert s["samples"] == 1200 and s["seed"] == 4 and s["executor"] == "local"
    assert 0.0 <= s["prob_funding_sufficient"] <= 1.0
    assert s["wall_seconds"] > 0
    assert (out / "summary.json").exists() and (out / "report.html").exists()
    assert (out / "delivered_by_year.parquet").exists()
    runs = RunStore(home).list_runs(kind="risk")
    assert len(runs) == 1 and runs.iloc[0]["status"] == "done"
    again = cli("risk", *args, "--workers", "2", "--home", str(home), "--out", str(out), "--json")
    assert json.loads(again.stdout)["npv"] == s["npv"]  # same seed, 2 workers: same numbers


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--samples", "0"], "--samples"),
        (["--executor", "spark"], "unknown executor"),
        (["--workers", "0"], "--workers"),
        (["--recourse", "exact"], "--recourse"),
    ],
)
def test_bad_options_exit_2(cli, plan_dir, tmp_path, extra, message):
    scen, folder = plan_dir
    res = cli(
        "risk", str(scen), "--plan", str(folder), "--home", str(tmp_path / "h"), *extra, "--json"
    )
    assert res.exit_code == 2
    assert message in json.loads(res.stdout)["message"]
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("dist", "path"),
    [
        ({"dist": "normal", "mean": 0, "sd": -1}, "uncertainties[0].distribution"),
        ({"dist": "gamma", "shape": 2}, "uncertainties[0].distribution"),
        ({"dist": "bernoulli", "p": 1.5}, "uncertainties[0].distribution"),
    ],
    ids=["negative-variance", "unknown-distribution", "probability-above-1"],
)
def test_bad_uncertainty_specs_exit_2_with_the_field(cli, tiny_data, tmp_path, dist, path):
    tiny_data["uncertainties"][0]["distribution"] = dist
    scen = tmp_path / "bad.yaml"
    scen.write_text(yaml.safe_dump(tiny_data, sort_keys=False))
    res = cli("risk", str(scen), "--home", str(tmp_path / "h"), "--samples", "10", "--json")
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["error"] == "ScenarioError"
    assert any(p["path"].startswith(path) for p in err["problems"]), err
    plain = cli("risk", str(scen), "--home", str(tmp_path / "h"), "--samples", "10")
    assert plain.exit_code == 2 and "Traceback" not in plain.output
