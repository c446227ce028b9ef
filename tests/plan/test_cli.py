"""``fabnet plan`` end to end on a tiny scenario file: JSON, tables, report, store, errors."""

from __future__ import annotations

import json

import pytest
from tiny_scenarios import tiny_scenario_dict

CUSTOMERS = [
    {"name": "A", "priority": 1, "demand": {"P": 800}},
    {"name": "B", "priority": 2, "demand": {"P": 800}},
]


def test_plan_json_writes_tables_and_report(cli, write_scenario, tmp_path):
    path = write_scenario(tiny_scenario_dict(CUSTOMERS))
    out = tmp_path / "out"
    res = cli("plan", str(path), "--json", "--home", str(tmp_path / "home"), "--out", str(out))
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    for key in ("status", "objective_value", "npv", "capex_total", "funding_gap", "decisions",
                "delivered_by_year", "shortage_by_customer", "solve_seconds"):  # fmt: skip
        assert key in summary
    assert summary["decisions"][0]["action"] in ("buy", "build")
    assert summary["shortage_by_customer"]["B"] == pytest.approx(3 * 600, rel=1e-6)
    for name in ("decisions", "deliveries", "cash_flow", "shadow_prices", "customer_limits"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    assert (out / "summary.json").exists()
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")

    from fabnet.store import RunStore

    runs = RunStore(tmp_path / "home").list_runs(kind="plan")
    assert len(runs) == 1


def test_plan_policy_option_and_bad_value(cli, write_scenario, tmp_path):
    path = write_scenario(tiny_scenario_dict(CUSTOMERS))
    res = cli("plan", str(path), "--policy", "proportional", "--json", "--home", str(tmp_path))
    assert res.exit_code == 0
    fills = json.loads(res.stdout)["shortage_by_customer"]
    assert fills["A"] == pytest.approx(fills["B"], rel=1e-6)  # equal demand, equal share
    bad = cli("plan", str(path), "--policy", "fairest", "--json", "--home", str(tmp_path))
    assert bad.exit_code == 2
    assert "policy must be one of" in json.loads(bad.stdout)["message"]


def test_infeasible_plan_exits_2_with_explanation(cli, write_scenario, tmp_path):
    data = tiny_scenario_dict(CUSTOMERS, financing={"minimum_cash_usd": 1e6})
    res = cli("plan", str(write_scenario(data)), "--home", str(tmp_path))
    assert res.exit_code == 2
    assert "InfeasibleError" in res.output and "minimum_cash_usd" in res.output
    assert "Traceback" not in res.output


def test_json_stdout_is_pure_json_in_a_real_process(write_scenario, tmp_path):
    # HiGHS prints its banner on file descriptor 1 from C++; CliRunner cannot see that.
    import subprocess
    import sys

    path = write_scenario(tiny_scenario_dict(CUSTOMERS))
    proc = subprocess.run(
        [sys.executable, "-m", "fabnet", "plan", str(path), "--json", "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"


def test_plan_compare_revenue_stores_each_run_and_an_html_page(cli, tmp_path):
    """``fabnet plan --compare revenue``: one stored run per business model, a comparison table
    and an HTML page of the runs side by side."""
    import json

    from tiny_scenarios import tiny_scenario_dict

    from fabnet.econ import exact_dies_per_wafer

    dpw = int(exact_dies_per_wafer(10.0, 10.0, 300.0, 3.0, 0.1))
    d = tiny_scenario_dict([{"name": "A", "demand": {"P": 5000}, "revenue": {"model": "foundry"}}])
    d["price_lists"] = [{"name": "std", "wafer_price_usd": {"N1": dpw * 10.0}}]
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(d))
    path = path.rename(tmp_path / "s.json")
    out = tmp_path / "cmp"
    result = cli("plan", str(path), "--compare", "revenue", "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["revenue"] for r in data["compare"]] == ["as given", "foundry", "merchant"]
    assert len(data["runs"]) == 3
    assert (out / "compare.html").is_file() and (out / "compare.csv").is_file()
    listed = cli("runs", "list", "--json")
    ids = {r["id"] for r in json.loads(listed.stdout)}
    assert set(data["runs"]) <= ids
    for run_id in data["runs"]:  # each run was open while its variant was solved
        shown = json.loads(cli("runs", "show", run_id, "--json").stdout)
        assert shown["duration_seconds"] >= shown["summary"]["solve_seconds"] > 0
