"""RiskSummary holds exactly the keys ``fabnet risk --json`` prints, and round-trips them."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from fabnet.errors import DataError
from fabnet.risk.summary import FIGURES, Figure, RiskSummary, RobustSummary
from fabnet.store import RunStore
from fabnet.vocab import Recourse, RobustMethod

#: The keys of ``fabnet risk --json`` (without ``--robust``), in order.
RISK_JSON_KEYS = [
    "samples", "seed", "executor", "workers", "recourse", "chunk_size",
    "npv", "objective", "irr", "capex_total", "revenue_total", "funding_need", "funding_gap",
    "debt_peak", "delivered_total", "shortage_total", "first_good_month", "capex",
    "prob_funding_sufficient", "prob_funding_with_debt", "delivered_by_year",
    "shortage_by_customer", "wall_seconds", "futures_per_second", "plan", "explanation",
    "scenario", "run_id",
]  # fmt: skip
PLAN_KEYS = ["source", "start", "npv", "irr", "capex", "funding_need", "funding_gap", "commitments",
             "delivered_total", "shortage_total", "first_good_month"]  # fmt: skip
FIGURE_KEYS = ["count", "nan_count", "mean", "std", "min", "p5", "p50", "p95", "max"]
ROBUST_KEYS = ["method", "chosen", "vss", "vss_se", "out_of_sample", "table"]
#: Listed figures of a risk run (the web's risk jobs listed npv_p95, ``fabnet risk`` did not).
KEY_FIGURES = {"npv_p50", "npv_p5", "npv_p95", "shortage_p50", "prob_funding_sufficient",
               "samples", "wall_seconds"}  # fmt: skip


def _risk(*args: str) -> dict:
    from fabnet.cli import app

    res = CliRunner().invoke(app, ["risk", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def printed(tiny_plan, tmp_path_factory):
    """``fabnet risk --plan FOLDER --json`` on the tiny scenario: (printed JSON, home, out)."""
    _sc, plan = tiny_plan
    folder = tmp_path_factory.mktemp("risk-summary")
    (folder / "plan").mkdir()
    plan.decisions.to_csv(folder / "plan" / "decisions.csv", index=False)
    plan.tables["wafer_starts"].to_csv(folder / "plan" / "wafer_starts.csv", index=False)
    scen = folder / "tiny.yaml"
    scen.write_text(yaml.safe_dump(_tiny_dict(), sort_keys=False))
    home, out = folder / "home", folder / "out"
    data = _risk(str(scen), "--plan", str(folder / "plan"), "--samples", "300",
                 "--home", str(home), "--out", str(out))  # fmt: skip
    return data, home, out


def _tiny_dict() -> dict:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "risk_conftest", Path(__file__).with_name("conftest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tiny_dict()


def test_keys_of_the_printed_json(printed):
    data, _home, _out = printed
    assert list(data) == RISK_JSON_KEYS == RiskSummary.json_keys()[:-2]  # no robust, no tornado
    for key in FIGURES:
        assert list(data[key]) == FIGURE_KEYS, key
    for part in ("delivered_by_year", "shortage_by_customer"):
        assert data[part] and all(list(v) == FIGURE_KEYS for v in data[part].values())
    assert data["capex"] == data["capex_total"]


def test_plan_figures_beside_the_distribution(printed):
    """The plan's deterministic figures sit beside the distribution, with sentences saying how
    they compare. The tiny plan (one module, 1.2 B$ of capex 0.30 B$ per 1k wspm x 10k wspm x
    (1 + 0.15 newcomer premium)... here without business terms: the plan's own capex) is the
    nominal future of the fast recourse; the commitments are G42's 4 B$ pay-in."""
    data, _home, _out = printed
    plan = data["plan"]
    assert list(plan) == PLAN_KEYS
    assert plan["source"].startswith("nominal future")
    assert plan["commitments"] == pytest.approx(4.0e9)
    assert plan["capex"] == pytest.approx(data["capex_total"]["p50"])  # no overrun sampled
    assert data["capex_total"]["p5"] == data["capex_total"]["p95"]
    assert any("NPV" in line for line in data["explanation"])
    assert any("in every future" in line for line in data["explanation"])  # capex one value
    # the delay only makes things later: the nominal plan's NPV is at or above the median
    assert plan["npv"] >= data["npv"]["p50"] - 1e-6 * abs(plan["npv"])


def test_round_trip_is_exact(printed):
    data, home, out = printed
    summary = RiskSummary.from_dict(data)
    assert summary.to_dict() == data
    assert json.dumps(summary.to_dict()) == json.dumps(data)  # same order too
    assert summary.recourse is Recourse.FAST and summary.robust is None
    assert isinstance(summary["npv"], Figure) and summary["npv"].p50 == data["npv"]["p50"]
    assert json.loads((out / "summary.json").read_text()) == data
    assert json.loads(RunStore(home).path(data["run_id"], "summary.json").read_text()) == data


def test_listed_figures_are_the_same_for_the_cli_and_the_web(printed):
    data, home, _out = printed
    record = RunStore(home).get(data["run_id"])
    assert set(record.summary) == KEY_FIGURES
    assert record.summary["npv_p95"] == pytest.approx(data["npv"]["p95"])


def test_robust_part_round_trips(tmp_path, tiny_data):
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tiny_data, sort_keys=False))
    data = _risk(str(scen), "--samples", "60", "--robust", "2", "--robust-method", "candidates",
                 "--home", str(tmp_path / "home"), "--out", str(tmp_path / "out"))  # fmt: skip
    assert list(data) == [*RISK_JSON_KEYS, "robust"]
    assert list(data["robust"]) == ROBUST_KEYS
    summary = RiskSummary.from_dict(data)
    assert isinstance(summary.robust, RobustSummary)
    assert summary.robust.method is RobustMethod.CANDIDATES and summary.robust.saa is None
    assert summary.to_dict() == data and json.dumps(summary.to_dict()) == json.dumps(data)


def test_missing_or_unknown_keys_are_refused(printed):
    data, _home, _out = printed
    with pytest.raises(DataError, match="risk summary: missing seed; unknown sed"):
        RiskSummary.from_dict({("sed" if k == "seed" else k): v for k, v in data.items()})
    npv = {**data["npv"], "p99": 1.0}
    with pytest.raises(DataError, match="risk summary npv: unknown p99"):
        RiskSummary.from_dict(dict(data, npv=npv))


def test_summary_of_an_evaluation_has_no_scenario_or_run_until_kept(tiny_plan):
    from fabnet._json import to_jsonable
    from fabnet.risk import evaluate_plan, model_from_plan

    sc, plan = tiny_plan
    data = to_jsonable(evaluate_plan(model_from_plan(sc, plan), 40, 1).summary())
    # the plan's figures are the pipeline's: an evaluation alone has none (nor "capex")
    assert list(data) == [
        k for k in RISK_JSON_KEYS[:-2] if k not in ("capex", "plan", "explanation")
    ]
    summary = RiskSummary.from_dict(data)
    assert summary.scenario is None and summary.run_id is None and summary.to_dict() == data
