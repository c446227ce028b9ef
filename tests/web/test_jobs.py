"""Real jobs: a plan solved in its own process, started through the API and watched to the end;
a job killed with ``kill -9`` while the server keeps answering; errors from the child process."""

from __future__ import annotations

import os
import signal
import time

import pytest
import yaml

from fabnet.errors import ScenarioError, UsageError
from fabnet.jobs import launch_job, plan_options
from fabnet.store import ORPHAN_MESSAGE, RunStore

PLAN_TABLES = {
    "decisions",
    "capacity",
    "wafer_starts",
    "supply",
    "deliveries",
    "cash_flow",
    "quarterly",
    "outside_wafers",
    "shadow_prices",
    "customer_limits",
    "packaging",
}


def wait_for(client, run_id: str, timeout: float = 240.0) -> dict:
    """Poll the run until it is no longer running (the way the run page does)."""
    deadline = time.monotonic() + timeout
    seen_progress = []
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        seen_progress.append(run["progress"])
        if run["status"] != "running":
            run["seen_progress"] = seen_progress
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still running after {timeout} s")


def test_plan_runs_in_its_own_process_into_the_store(real_client, tiny_yaml, home):
    uploaded = real_client.post("/api/scenarios", files={"file": ("tiny.yaml", tiny_yaml)})
    assert uploaded.status_code == 201, uploaded.text
    started = real_client.post(
        "/api/runs",
        json={"scenario_id": uploaded.json()["id"], "edits": {"allocation": "priority"}},
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    record = RunStore(home).get(run_id)
    assert record.pid != os.getpid()  # the solve is not in the server's process
    run = wait_for(real_client, run_id)
    assert run["status"] == "done", run.get("error")
    seen = run["seen_progress"]
    assert seen == sorted(seen) and run["progress"] == 1.0  # progress only moves forward
    assert set(run["tables"]) == PLAN_TABLES
    assert run["summary"]["capex_total"] > 0
    assert run["report_url"] == f"/runs/{run_id}/report"
    # the page shows the supply-vs-demand chart and the decisions table
    page = real_client.get(f"/runs/{run_id}").text
    assert 'id="supply-demand-chart"' in page and 'id="decisions-table"' in page
    assert '<script src="/assets/plotly.min.js">' in page and "cdn" not in page.lower()
    report = real_client.get(f"/runs/{run_id}/report")
    assert report.status_code == 200 and "Fab network plan" in report.text
    decisions = real_client.get(f"/api/runs/{run_id}/tables/decisions").json()
    assert decisions["rows_total"] == len(decisions["rows"]) >= 1
    capex = sum(r["capex"] for r in decisions["rows"])
    assert capex == pytest.approx(run["summary"]["capex_total"], rel=1e-9)
    # the stored scenario is the edited one
    stored = yaml.safe_load(RunStore(home).get(run_id).scenario_text)
    assert stored["policy"]["allocation"] == "priority"


def test_risk_run_samples_futures_in_its_own_process(real_client, tiny, home):
    from fabnet.scenario import builtin_scenario_path

    builtin = yaml.safe_load(builtin_scenario_path().read_text())
    tiny["uncertainties"] = [
        u for u in builtin["uncertainties"] if u["name"] in ("construction-delay", "ai-demand")
    ]
    entry = real_client.post(
        "/api/scenarios", files={"file": ("risky.yaml", yaml.safe_dump(tiny))}
    ).json()
    started = real_client.post(
        "/api/runs",
        json={"scenario_id": entry["id"], "kind": "risk", "options": {"samples": 400, "seed": 5}},
    )
    assert started.status_code == 202, started.text
    run = wait_for(real_client, started.json()["run_id"])
    assert run["status"] == "done", run.get("error")
    assert run["kind"] == "risk" and run["seed"] == 5
    assert run["summary"]["samples"] == 400
    # percentiles come out ordered
    assert run["summary"]["npv_p5"] <= run["summary"]["npv_p50"] <= run["summary"]["npv_p95"]
    assert {"delivered_fan", "histograms"} <= set(run["tables"])
    page = real_client.get(f"/runs/{run['id']}").text
    assert "NPV P50" in page and 'id="report-link"' in page
    assert real_client.get(f"/runs/{run['id']}/report").status_code == 200


def test_killed_job_is_marked_failed_and_the_server_keeps_answering(real_client, tiny_yaml, home):
    entry = real_client.post("/api/scenarios", files={"file": ("tiny.yaml", tiny_yaml)}).json()
    run_id = real_client.post("/api/runs", json={"scenario_id": entry["id"]}).json()["run_id"]
    pid = RunStore(home).get(run_id).pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = real_client.get(f"/api/runs/{run_id}").json()
        if run["status"] != "running":
            break
        real_client.get("/api/runs")  # listing recovers orphans
        time.sleep(0.3)
    assert run["status"] == "failed"
    assert ORPHAN_MESSAGE in run["error"]
    assert real_client.get("/api/health").json()["status"] == "ok"


def test_child_reports_scenario_errors_as_the_same_exception(tmp_path, tiny):
    tiny["policy"]["discount_rate"] = 3.0
    with pytest.raises(ScenarioError) as caught:
        launch_job("plan", yaml.safe_dump(tiny), "tiny.yaml", "yaml", {}, tmp_path)
    assert [p.path for p in caught.value.problems] == ["policy.discount_rate"]
    assert RunStore(tmp_path).list_runs().empty  # no run was created


def test_child_reports_bad_options(tmp_path, tiny_yaml):
    with pytest.raises(UsageError, match="time_limit must be a number"):
        launch_job("plan", tiny_yaml, "tiny", "yaml", {"time_limit": "soon"}, tmp_path)


def test_plan_options_pass_only_planner_arguments():
    assert plan_options({"policy": "maxmin", "edits": {"x": 1}, "time_limit": 5}) == {
        "policy": "maxmin",
        "time_limit": 5,
    }
    with pytest.raises(UsageError):
        plan_options({"threads": 1.5})


def test_process_launcher_refuses_more_than_max_jobs(tmp_path, monkeypatch):
    import subprocess
    import sys

    from fabnet import jobs
    from fabnet.web import ProcessLauncher, TooManyJobs

    children = []

    def fake_launch(kind, text, name, fmt, options, home, **kwargs):
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        children.append(child)
        return jobs.LaunchedJob(run_id=f"run-{len(children)}", process=child)

    monkeypatch.setattr(jobs, "launch_job", fake_launch)
    launcher = ProcessLauncher(tmp_path, max_jobs=1)
    assert launcher.start("plan", "", "x", "yaml", {}) == "run-1"
    with pytest.raises(TooManyJobs, match="at most 1"):
        launcher.start("plan", "", "x", "yaml", {})
    assert launcher.running() == ["run-1"]
    launcher.shutdown()  # SIGTERM to the jobs still running
    assert children[0].poll() is not None
    assert launcher.start("plan", "", "x", "yaml", {}) == "run-2"  # room again
    launcher.shutdown()
