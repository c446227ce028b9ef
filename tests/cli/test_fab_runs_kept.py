"""Every ``fabnet fab simulate`` run is kept in the run store, like plan and risk runs."""

from __future__ import annotations

import json

from fabnet.store import RunStore


def test_fab_simulate_is_kept_with_tables_summary_and_report(cli, tmp_path):
    home = tmp_path / "home"
    result = cli("fab", "simulate", "--days", "20", "--seed", "3", "--home", str(home), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    store = RunStore(home)
    record = store.get(summary["run_id"])
    assert record.kind == "fab" and record.status == "done" and record.seed == 3
    assert {"lots", "tool_groups", "wip"} <= set(store.tables(record.id))
    # every lot seen, warm-up included; the summary counts those completed after the warm-up
    assert store.load_table(record.id, "lots").shape[0] >= summary["lots_completed"] > 0
    assert store.path(record.id, "report.html").read_text().startswith("<!DOCTYPE html>")


def test_bad_fab_option_keeps_no_run(cli, tmp_path):
    home = tmp_path / "home"
    result = cli("fab", "simulate", "--days", "5", "--dispatch", "random", "--home", str(home))
    assert result.exit_code == 2
    assert "random" in result.stderr
    assert RunStore(home).list_runs().empty


def test_fab_simulate_json_has_the_documented_keys(cli):
    result = cli("fab", "simulate", "--days", "20", "--json")
    assert result.exit_code == 0
    s = json.loads(result.stdout)
    for key in ("days", "lots_completed", "wafers_out", "cycle_time_days", "flow_factor",
                "on_time_fraction", "events", "wall_seconds", "products"):  # fmt: skip
        assert key in s, key
    assert {"mean", "p50", "p95"} <= set(s["cycle_time_days"])
    assert s["events"] > 0 and s["lots_completed"] > 0
    assert s["cycle_time_days"]["p50"] <= s["cycle_time_days"]["p95"]
