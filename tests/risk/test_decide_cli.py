"""``fabnet risk --robust K`` with the risk-aware, staged and decomposed plans (issue 13), on the
two-site instance of ``test_saa.py`` (Tainan slips by 12 months with probability 1/2)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from fabnet.executors import LocalExecutor
from fabnet.risk.saa import solve_saa
from fabnet.risk.summary import RiskSummary
from fabnet.scenario import scenario_from_dict
from fabnet.store import RunStore

_spec = importlib.util.spec_from_file_location(
    "risk_test_saa", Path(__file__).with_name("test_saa.py")
)
assert _spec is not None and _spec.loader is not None
_saa = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_saa)
two_site_dict, SEED, K = _saa.two_site_dict, _saa.SEED, _saa.K


_ispec = importlib.util.spec_from_file_location(
    "decide_instances", Path(__file__).with_name("decide_instances.py")
)
assert _ispec is not None and _ispec.loader is not None
_inst = importlib.util.module_from_spec(_ispec)
_ispec.loader.exec_module(_inst)


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    """The greenfield instance (100 $, 24 months) whose build slips by 12 months with
    probability 1/2: small enough for every option in one CLI run."""
    d = _inst.greenfield_dict(100.0)
    d["uncertainties"] = [
        {"name": "slip", "target": "fabs.Greenfield.lead_time_months", "effect": "add",
         "distribution": {"dist": "bernoulli", "p": 0.5, "value": 12, "otherwise": 0}}
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("decide") / "greenfield.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def test_frontier_staged_and_decomposition_in_one_run(cli, scenario_file, tmp_path):
    """One command on 4 futures: a frontier of two weights (each point a stored run), the
    staged plan (EVPI ≥ 0, VSS reported) and progressive hedging; the summary keeps them all
    and the report shows the frontier chart and the staged table."""
    home = tmp_path / "home"
    args = [str(scenario_file), "--samples", "50", "--seed", str(SEED), "--robust", "4",
            "--frontier", "0,1", "--staged", "2024-07", "--decompose", "ph",
            "--ph-iterations", "1", "--home", str(home), "--out", str(tmp_path / "out"),
            "--json"]  # fmt: skip
    res = cli("risk", *args)
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    assert RiskSummary.from_dict(printed).to_dict() == printed
    r = printed["robust"]
    points = r["frontier"]
    assert [p["weight"] for p in points] == [0.0, 1.0]
    # a larger weight on CVaR never raises the CVaR nor the mean NPV (mean-risk trade-off)
    assert points[1]["cvar"] <= points[0]["cvar"] + 1.0
    assert points[1]["mean_npv"] <= points[0]["mean_npv"] + 1.0
    store = RunStore(home)
    for p in points:
        run = store.get(p["run_id"])
        assert run.kind == "risk" and run.options["frontier_point"] == p["weight"]
    s = r["staged"]
    assert s["evpi"] >= -1.0 and s["ws"] >= s["rp"] - 1.0
    assert s["vss"] == pytest.approx(s["rp"] - s["eev"])
    for name in ("rp", "ws", "eev", "evpi", "vss"):  # each point inside its certified interval
        lo, hi = s["bounds"][name]
        assert lo - 1.0 <= s[name] <= hi + 1.0, name
    assert s["bounds"]["evpi"][0] >= 0.0 and s["bounds"]["vss"][0] >= 0.0
    assert {d["when"] for d in s["decisions"]} <= {"now", "at stage"}
    ph = r["decomposition"]
    assert ph["k"] == 4 and ph["bound"] >= ph["objective"] - 1.0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Efficient frontier" in html and "Staged plan" in html and "Progressive hedging" in html
    assert (tmp_path / "out" / "frontier.csv").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--frontier", "a,b"], "--frontier"), (["--staged", "2025-13"], "--staged"),
     (["--cvar-alpha", "1"], "--cvar-alpha"), (["--decompose", "benders"], "--decompose")],
)  # fmt: skip
def test_bad_decide_options_exit_2(cli, scenario_file, extra, message):
    res = cli("risk", str(scenario_file), "--robust", "2", *extra, "--json")
    assert res.exit_code == 2
    assert message in json.loads(res.stdout)["message"]


def test_risk_options_need_the_robust_plan(cli, scenario_file):
    res = cli("risk", str(scenario_file), "--cvar-weight", "1", "--json")
    assert res.exit_code == 2 and "need --robust K" in json.loads(res.stdout)["message"]


def test_blocks_on_two_workers_give_the_one_model_answer():
    """The block-by-block build (two workers) is the same model: same decisions, objective and
    per-future figures as the one-model build on the same futures."""
    sc = scenario_from_dict(two_site_dict())
    one = solve_saa(sc, K, SEED)
    with LocalExecutor(2) as ex:
        two = solve_saa(sc, K, SEED, executor=ex)
    cols = ["site", "action", "start", "modules"]
    assert two.decisions[cols].values.tolist() == one.decisions[cols].values.tolist()
    assert two.objective == pytest.approx(one.objective, rel=1e-6)
    for col in ("npv", "objective", "capex", "delivered"):
        assert two.futures[col].tolist() == pytest.approx(one.futures[col].tolist(), rel=1e-6)
    assert two.size["workers"] == 2 and two.size["variables"] == one.size["variables"]


def test_staged_line_prints_each_value_with_its_proven_interval():
    """The terminal line gives EVPI/VSS with the interval of the solves' bounds (never a bare
    point that the gaps could overturn), and the bare value where no bound is known."""
    from fabnet.cli.risk_cmd import _interval

    staged = {"evpi": 0.12e9, "vss": 5e6, "bounds": {"evpi": [0.0, 0.2e9]}}
    assert _interval(staged, "evpi") == "$120.00 M [$0, $200.00 M]"
    assert _interval(staged, "vss") == "$5.00 M"
