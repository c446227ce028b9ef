"""The plan pipeline (fabnet.pipelines) on a tiny scenario: options checked in one place, the
run recorded, progress forward only; the job (web service) and the CLI share it."""

from __future__ import annotations

import json

import pytest
import yaml
from tiny_scenarios import tiny_scenario, tiny_scenario_dict

from fabnet.errors import UsageError
from fabnet.jobs import plan_options, run_plan_job
from fabnet.pipelines import PlanOptions, PlanOutcome, ScenarioInput, run_plan
from fabnet.plan.summary import PlanSummary
from fabnet.store import RunStore
from fabnet.vocab import AllocationPolicy, Objective, Strategy

CUSTOMERS = [
    {"name": "A", "priority": 1, "demand": {"P": 800}},
    {"name": "B", "priority": 2, "demand": {"P": 800}},
]


def test_options_are_typed_and_passed_on_as_plain_text():
    options = PlanOptions(objective="cost", policy="maxmin", strategy="buy", time_limit=5)
    assert options.objective is Objective.COST and options.policy is AllocationPolicy.MAXMIN
    assert options.strategy is Strategy.BUY
    kwargs = options.solve_kwargs()
    assert kwargs == {"objective": "cost", "policy": "maxmin", "time_limit": 5, "strategy": "buy"}
    assert all(type(v) is not AllocationPolicy for v in kwargs.values())
    assert PlanOptions().solve_kwargs() == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"objective": "profit"}, "objective must be one of: npv, shortage, cost"),
        ({"policy": "fairest"}, "policy must be one of: priority, proportional, maxmin, contracts"),
        ({"strategy": "rent"}, "strategy must be one of: mixed, buy, build"),
        ({"time_limit": 0}, "time limit must be > 0 seconds"),
        ({"mip_gap": 1.5}, "MIP gap must be between 0 and 1"),
        ({"threads": 1.5}, "threads must be a whole number"),
    ],
)
def test_bad_options_are_refused_with_the_valid_values(values, message):
    with pytest.raises(UsageError, match=message):
        PlanOptions(**values)


def test_job_options_check_json_types_then_values():
    with pytest.raises(UsageError, match="option policy must be text"):
        plan_options({"policy": 3})
    with pytest.raises(UsageError, match="policy must be one of"):
        plan_options({"policy": "fairest"})


def test_run_plan_keeps_the_run_and_reports_progress_forward(tmp_path):
    store = RunStore(tmp_path)
    seen: list[float] = []
    started: list[str] = []
    outcome = run_plan(
        ScenarioInput.of(tiny_scenario(CUSTOMERS)),
        PlanOptions(policy=AllocationPolicy.PROPORTIONAL),
        store,
        progress=lambda fraction, _message: seen.append(fraction),
        on_start=started.append,
    )
    assert isinstance(outcome, PlanOutcome) and isinstance(outcome.summary, PlanSummary)
    assert started == [outcome.run_id] == [outcome.summary.run_id]
    assert seen == sorted(seen) and seen[-1] == 1.0
    record = store.get(outcome.run_id)
    assert record.status == "done" and record.options == {"policy": "proportional"}
    assert outcome.summary.policy is AllocationPolicy.PROPORTIONAL
    fills = outcome.summary.fill_rate_by_customer
    assert fills["A"] == pytest.approx(fills["B"], rel=1e-6)  # proportional: equal shares
    assert set(store.tables(outcome.run_id)) == set(outcome.tables)
    assert outcome.report_html.lstrip().lower().startswith("<!doctype html")


def test_the_job_and_the_cli_keep_the_same_summary(tmp_path, cli, write_scenario):
    data = tiny_scenario_dict(CUSTOMERS)
    store = RunStore(tmp_path / "home")
    job_id = run_plan_job(yaml.safe_dump(data), "tiny", "yaml", {"policy": "priority"}, store)
    path = write_scenario(data)
    res = cli("plan", str(path), "--policy", "priority", "--json", "--home", str(tmp_path / "home"))
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    kept = json.loads(store.path(job_id, "summary.json").read_text())
    assert list(kept) == list(printed) == PlanSummary.json_keys()
    for key in ("npv", "capex_total", "shortage_by_customer", "decisions"):
        assert kept[key] == printed[key], key
    assert set(store.get(job_id).summary) == set(store.get(printed["run_id"]).summary)


def test_a_bad_job_option_creates_no_run(tmp_path):
    store = RunStore(tmp_path)
    text = yaml.safe_dump(tiny_scenario_dict(CUSTOMERS))
    with pytest.raises(UsageError, match="policy must be one of"):
        run_plan_job(text, "tiny", "yaml", {"policy": "fairest"}, store)
    assert store.list_runs().empty
