"""PlanSummary holds exactly the keys ``fabnet plan --json`` prints, and round-trips them."""

from __future__ import annotations

import json

import pytest
from tiny_scenarios import tiny_scenario_dict

from fabnet.errors import DataError, UsageError
from fabnet.plan.summary import ModelSize, PlanDecision, PlanSummary
from fabnet.store import RunStore
from fabnet.vocab import AllocationPolicy, Objective, Strategy

CUSTOMERS = [
    {"name": "A", "priority": 1, "demand": {"P": 800}},
    {"name": "B", "priority": 2, "demand": {"P": 800}},
]

#: The keys of ``fabnet plan --json`` (tests/plan/test_cli.py holds a few of them by name).
PLAN_JSON_KEYS = [
    "status", "scenario", "objective", "policy", "strategy", "objective_value",
    "design_objective_value", "npv", "irr", "payback_month", "npv_without_terminal_value",
    "terminal_value", "revenue_total", "tax_total", "tax_shield_total", "grants_total",
    "sustaining_capex_total", "outside_wafers_total", "capex_total", "funding_gap",
    "funding_gap_first_month",
    "funding_gap_peak_month", "decisions", "delivered_by_year", "delivered_total",
    "shortage_by_customer", "fill_rate_by_customer", "first_good_accelerator",
    "cost_per_accelerator", "mip_gap", "solve_seconds", "build_seconds", "model_size",
    "allocation", "timings", "run_id",
]  # fmt: skip


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """``fabnet plan --json`` on the tiny scenario: (printed JSON, home, out folder)."""
    import yaml
    from typer.testing import CliRunner

    from fabnet.cli import app

    folder = tmp_path_factory.mktemp("plan-summary")
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario_dict(CUSTOMERS), sort_keys=False))
    home, out = folder / "home", folder / "out"
    res = CliRunner().invoke(
        app, ["plan", str(path), "--json", "--home", str(home), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), home, out


def test_keys_of_the_printed_json(printed):
    data, _home, _out = printed
    assert list(data) == PLAN_JSON_KEYS == PlanSummary.json_keys()
    assert list(data["decisions"][0]) == [
        "site", "action", "start", "modules", "capex", "node", "first_output"
    ]  # fmt: skip
    assert list(data["model_size"]) == ["rows", "columns", "integers"]


def test_round_trip_is_exact(printed):
    data, home, out = printed
    summary = PlanSummary.from_dict(data)
    assert summary.to_dict() == data
    assert json.dumps(summary.to_dict()) == json.dumps(data)  # same order too
    assert summary.policy is AllocationPolicy.PRIORITY and summary.policy == "priority"
    assert summary.objective is Objective.NPV and summary.strategy is Strategy.MIXED
    assert isinstance(summary.decisions[0], PlanDecision)
    assert isinstance(summary.model_size, ModelSize)
    # the store and the --out folder keep the same JSON
    assert json.loads((out / "summary.json").read_text()) == data
    run_id = data["run_id"]
    assert json.loads(RunStore(home).path(run_id, "summary.json").read_text()) == data


def test_summary_of_a_result_has_no_run_id_until_kept(printed):
    data, _home, _out = printed
    unkept = {k: v for k, v in data.items() if k != "run_id"}
    summary = PlanSummary.from_dict(unkept)
    assert summary.run_id is None and summary.to_dict() == unkept


def test_missing_or_unknown_keys_are_refused(printed):
    data, _home, _out = printed
    with pytest.raises(DataError, match="plan summary: missing npv; unknown npv_usd"):
        PlanSummary.from_dict({("npv_usd" if k == "npv" else k): v for k, v in data.items()})
    bad_decision = dict(data, decisions=[{**data["decisions"][0], "extra": 1}])
    with pytest.raises(DataError, match="plan decision: unknown extra"):
        PlanSummary.from_dict(bad_decision)
    with pytest.raises(UsageError, match="policy must be one of"):
        PlanSummary.from_dict(dict(data, policy="fairest"))
