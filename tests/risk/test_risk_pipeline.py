"""The risk pipeline (fabnet.pipelines) on the tiny scenario: options checked in one place,
refusals before any run exists, the run recorded, progress forward only."""

from __future__ import annotations

import pytest
import yaml

from fabnet.errors import ScenarioError, UsageError
from fabnet.jobs import risk_options, run_risk_job
from fabnet.pipelines import RiskOptions, ScenarioInput, StoredPlan, run_risk
from fabnet.risk.summary import RiskSummary
from fabnet.store import RunStore
from fabnet.vocab import ExecutorKind, Recourse, RobustMethod

KEY_FIGURES = {"npv_p50", "npv_p5", "npv_p95", "shortage_p50", "prob_funding_sufficient",
               "samples", "wall_seconds"}  # fmt: skip


def test_defaults_and_recorded_options_are_plain_json():
    options = RiskOptions()
    assert (options.samples, options.seed, options.workers) == (1000, 0, 1)
    assert options.executor is ExecutorKind.LOCAL and options.recourse is Recourse.FAST
    assert options.robust_method is RobustMethod.SAA
    recorded = options.recorded()
    assert recorded == {"samples": 1000, "seed": 0, "executor": "local", "address": None,
                        "workers": 1, "recourse": "fast", "robust": None,
                        "robust_method": "saa", "robust_time_limit": None,
                        "tornado": False}  # fmt: skip
    assert all(type(v) in (int, str, bool, type(None)) for v in recorded.values())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"samples": 0}, "--samples must be between 1 and"),
        ({"seed": -1}, "--seed must be >= 0"),
        ({"workers": 0}, "--workers must be >= 1"),
        ({"recourse": "exact"}, "unknown recourse 'exact'; --recourse must be one of: fast, lp"),
        ({"executor": "spark"}, "unknown executor 'spark'; --executor must be one of: local, ray"),
        ({"address": "auto"}, "--address only applies to --executor ray"),
        ({"robust": 0}, "--robust K must be >= 1"),
        ({"robust_method": "best"}, "--robust-method must be one of: saa, candidates"),
        ({"robust_time_limit": 0.0}, "--robust-time-limit must be > 0 seconds"),
    ],
)
def test_bad_options_are_refused(values, message):
    with pytest.raises(UsageError, match=message):
        RiskOptions(**values)


def test_job_options_check_json_types_then_values():
    assert risk_options({}) == (1000, 0)
    assert risk_options({"samples": 20, "seed": 3, "edits": {}}) == (20, 3)
    with pytest.raises(UsageError, match="option samples must be a whole number"):
        risk_options({"samples": 2.5})
    with pytest.raises(UsageError, match="--seed must be >= 0"):
        risk_options({"seed": -4})


@pytest.fixture
def stored(tiny_plan):
    sc, plan = tiny_plan
    return ScenarioInput.of(sc), StoredPlan(plan.decisions, plan.tables["wafer_starts"], "test")


def test_run_risk_keeps_the_run_and_reports_progress_forward(stored, tmp_path):
    source, plan = stored
    store = RunStore(tmp_path)
    seen: list[float] = []
    started: list[str] = []
    outcome = run_risk(
        source,
        RiskOptions(samples=500, seed=2),
        store,
        plan=plan,
        progress=lambda fraction, _message: seen.append(fraction),
        on_start=started.append,
    )
    assert isinstance(outcome.summary, RiskSummary)
    assert started == [outcome.run_id] == [outcome.summary.run_id]
    assert seen == sorted(seen) and seen[-1] == 1.0
    record = store.get(outcome.run_id)
    assert record.status == "done" and record.seed == 2
    assert record.options == RiskOptions(samples=500, seed=2).recorded()
    assert set(record.summary) == KEY_FIGURES
    assert outcome.summary.samples == 500 and outcome.summary["npv"].count == 500
    assert set(store.tables(outcome.run_id)) == set(outcome.tables)
    assert "delivered_fan" in outcome.tables


def test_refusals_come_before_any_run(stored, tiny_data, tmp_path):
    source, plan = stored
    store = RunStore(tmp_path)
    with pytest.raises(UsageError, match="--robust needs the deterministic plan"):
        run_risk(source, RiskOptions(samples=10, robust=2), store, plan=plan)
    with pytest.raises(UsageError, match="option seed must be a whole number"):
        run_risk_job(yaml.safe_dump(tiny_data), "tiny", "yaml", {"seed": "x"}, store)
    tiny_data["uncertainties"][0]["distribution"] = {"dist": "normal", "mean": 0, "sd": -1}
    with pytest.raises(ScenarioError):
        run_risk_job(yaml.safe_dump(tiny_data), "bad", "yaml", {"samples": 10}, store)
    assert store.list_runs().empty


def test_a_risk_job_lists_the_same_figures_as_fabnet_risk(tiny_data, tmp_path):
    store = RunStore(tmp_path)
    run_id = run_risk_job(yaml.safe_dump(tiny_data), "tiny", "yaml", {"samples": 50}, store)
    record = store.get(run_id)
    assert record.status == "done" and set(record.summary) == KEY_FIGURES
    assert record.options == {"samples": 50}
