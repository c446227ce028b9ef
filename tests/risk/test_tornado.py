"""Sensitivity: ``Sampler.at_quantiles`` (each spec at a quantile of its own distribution) and
the tornado of ``fabnet risk --tornado`` on a hand-solved tiny instance."""

from __future__ import annotations

import json
import math
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import yaml

from fabnet.errors import DataError, UsageError
from fabnet.pipelines import RiskOptions, ScenarioInput, run_risk
from fabnet.pipelines.tornado import tornado_stage
from fabnet.plan import solve_plan
from fabnet.risk import (
    LocalExecutor,
    compile_uncertainties,
    evaluate_chunk,
    make_chunks,
    model_from_plan,
)
from fabnet.risk.summary import RiskSummary
from fabnet.risk.tornado import Tornado, tornado, tornado_draws
from fabnet.scenario import scenario_from_dict
from fabnet.store import RunStore
from fabnet.vocab import Recourse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plan"))
from tiny_scenarios import tiny_scenario_dict

Z10 = -1.2815515655446004  # Φ⁻¹(0.1), e.g. Abramowitz & Stegun table 26.1: 1.2816


def _spec(name, target, dist, effect="multiply", **extra):
    return {"name": name, "target": target, "effect": effect, "distribution": dist, **extra}


def tornado_dict() -> dict:
    """The tiny world of ``tests/plan/tiny_scenarios.py`` with a price to pay and three
    uncertainties. One free-defect fab bought for 100 k$ in month 0 (ample wafers), one packaging
    line of 100 interposer wafers × 10 packages = 1,000 accelerators a month, one customer C
    wanting 800 a month at 100 $, 3 monthly buckets, no discounting, no costs but the fab, no tax.
    An investor pays the 100 k$ in month 0 (so the plan buys the fab).

    Uncertainties (all ``multiply``, uniform, so P10/P90 = low + 0.1/0.9 × (high − low)):
    ``slots`` on the line's capacity U(0.5, 1.5) → 0.6 / 1.4; ``price`` U(0.8, 1.2) → 0.84 / 1.16
    and ``demand`` U(0.5, 1.5) → 0.6 / 1.4, the last two on a common factor ``market``.
    """
    d = tiny_scenario_dict(
        [{"name": "C", "priority": 1, "demand": {"P": 800.0}, "price_usd": {"P": 100.0}}],
        fabs=[{"kind": "existing", "name": "Fab A", "region": "US", "node": "N1",
               "capacity_wspm": 1000.0, "asking_price_usd": 100000.0, "available_from": "2024-01",
               "months_to_first_output": 0, "opex_per_wafer_usd": 0.0, "ramp_months": 0}],
        investors=[{"name": "I", "commitment_usd": 100000.0, "terms": "equity",
                    "pay_in": [{"month": "2024-01", "amount_usd": 100000.0}]}],
    )  # fmt: skip
    d["uncertainties"] = [
        _spec("slots", "packaging.Slots.capacity_wpm", {"dist": "uniform", "low": 0.5, "high": 1.5}),
        _spec("price", "customers.*.price_usd", {"dist": "uniform", "low": 0.8, "high": 1.2},
              factor="market", loading=0.5),
        _spec("demand", "customers.*.demand", {"dist": "uniform", "low": 0.5, "high": 1.5},
              factor="market", loading=0.8),
    ]  # fmt: skip
    return d


@pytest.fixture(scope="module")
def planned():
    sc = scenario_from_dict(tornado_dict())
    return sc, solve_plan(sc, explain=False)


# -- at_quantiles -------------------------------------------------------------------------------


def _sampler(specs, **kwargs):
    d = tornado_dict()
    d["uncertainties"] = specs
    return compile_uncertainties(scenario_from_dict(d), **kwargs)


def test_quantiles_follow_each_distribution():
    """Inverse CDFs at q (module docstring of fabnet.risk.distributions): normal μ + σΦ⁻¹(q), so
    P10 = 6 − 1.2816 × 2 = 3.4369; lognormal m·exp(sΦ⁻¹(q)): P90 = exp(0.3 × 1.2816) = 1.4690;
    triangular (0, 3, 12) with F(c) = 0.25: P10 = sqrt(0.1 × 12 × 3) = 1.8974, P90 = 12 −
    sqrt(0.1 × 12 × 9) = 8.7137; uniform (2, 4) at P10 = 2.2."""
    specs = [
        _spec("n", "fabs.*.months_to_first_output", {"dist": "normal", "mean": 6, "sd": 2}, "add"),
        _spec("ln", "customers.*.demand", {"dist": "lognormal", "median": 1.0, "sigma": 0.3}),
        _spec("tri", "investors.I.pay_in_delay_months",
              {"dist": "triangular", "low": 0, "mode": 3, "high": 12}, "add"),
        _spec("u", "packaging.Slots.capacity_wpm", {"dist": "uniform", "low": 2, "high": 4}),
    ]  # fmt: skip
    s = _sampler(specs)
    k = {t[0]: i for i, t in enumerate(s.targets)}
    lo = s.at_quantiles({"n": 0.1, "tri": 0.1, "u": 0.1})
    assert lo.n == 1
    assert lo.add[0, k["fabs"]] == pytest.approx(6 + Z10 * 2, abs=1e-12)
    assert lo.add[0, k["fabs"]] == pytest.approx(3.4369, abs=1e-4)
    assert lo.add[0, k["investors"]] == pytest.approx(math.sqrt(0.1 * 12 * 3), abs=1e-12)
    assert lo.mult[0, k["packaging"]] == pytest.approx(2.2, abs=1e-12)
    assert lo.mult[0, k["customers"]] == pytest.approx(1.0, abs=1e-12)  # ln at its median
    hi = s.at_quantiles({"ln": 0.9, "tri": 0.9})
    assert hi.mult[0, k["customers"]] == pytest.approx(math.exp(-0.3 * Z10), abs=1e-12)
    assert hi.add[0, k["investors"]] == pytest.approx(12 - math.sqrt(0.1 * 12 * 9), abs=1e-12)
    assert hi.add[0, k["fabs"]] == pytest.approx(6.0, abs=1e-12)  # n at its median (= mean)
    # an add spec leaves the multiplier alone and vice versa
    assert lo.mult[0, k["fabs"]] == 1.0 and lo.add[0, k["packaging"]] == 0.0


def test_quantile_matches_the_sampled_distribution_on_a_common_factor():
    """A spec on a common factor takes its own marginal quantile (the copula keeps each
    marginal), while the other spec on the factor stays at its median: the value at q = 0.1
    equals the 10th percentile of 200,000 Monte Carlo draws of that spec."""
    specs = [
        _spec("a", "customers.*.demand", {"dist": "lognormal", "median": 1.0, "sigma": 0.4},
              factor="f", loading=0.8),
        _spec("b", "customers.*.price_usd", {"dist": "triangular", "low": 0.5, "mode": 1.0,
              "high": 1.2}, factor="f", loading=-0.6),
    ]  # fmt: skip
    s = _sampler(specs)
    ia = s.targets.index(("customers", "C", "demand"))
    ib = s.targets.index(("customers", "C", "price_usd"))
    draws = s.draw(make_chunks(200_000, 5, 200_000)[0])
    at = s.at_quantiles({"a": 0.1})
    assert at.mult[0, ia] == pytest.approx(np.quantile(draws.mult[:, ia], 0.1), rel=0.01)
    assert at.mult[0, ib] == pytest.approx(np.quantile(draws.mult[:, ib], 0.5), rel=0.01)
    at_b = s.at_quantiles({"b": 0.9})
    assert at_b.mult[0, ib] == pytest.approx(np.quantile(draws.mult[:, ib], 0.9), rel=0.01)
    assert at_b.mult[0, ia] == pytest.approx(1.0)  # a at its median


def test_specs_on_one_target_compose_in_file_order():
    """add 3 then multiply by x: a = 3x, m = x (sampling module docstring); then a set spec
    replaces both: m = 0, a = its value."""
    specs = [
        _spec("plus", "fabs.*.months_to_first_output", {"dist": "point", "value": 3}, "add"),
        _spec("times", "fabs.*.months_to_first_output", {"dist": "uniform", "low": 1, "high": 3}),
    ]
    s = _sampler(specs)
    d = s.at_quantiles({"times": 0.9})  # x = 1 + 0.9 × 2 = 2.8
    assert (d.mult[0, 0], d.add[0, 0]) == pytest.approx((2.8, 8.4))
    s2 = _sampler([*specs, _spec("fix", "fabs.*.months_to_first_output",
                                 {"dist": "uniform", "low": 4, "high": 8}, "set")])  # fmt: skip
    d2 = s2.at_quantiles({"fix": 0.1})
    assert (d2.mult[0, 0], d2.add[0, 0]) == pytest.approx((0.0, 4.4))


def test_discrete_quantile_uses_the_samplings_inverse_cdf():
    """{0: 0.6, 6: 0.3, 12: 0.1}: the smallest value whose cumulative probability exceeds q, so
    P10 = 0, P50 = 0, P75 = 6, P90 = 12 (as the sampling maps u = 0.9)."""
    dist = {"dist": "discrete", "values": [0, 6, 12], "probs": [0.6, 0.3, 0.1]}
    s = _sampler([_spec("g", "investors.I.pay_in_delay_months", dist, "add")])
    got = [float(s.at_quantiles({"g": q}).add[0, 0]) for q in (0.1, 0.5, 0.75, 0.9)]
    assert got == [0.0, 0.0, 6.0, 12.0]


@pytest.mark.parametrize(
    ("overrides", "default", "message"),
    [
        ({"nope": 0.1}, 0.5, "no uncertainty named 'nope'; known: demand, price, slots"),
        ({"price": 0.0}, 0.5, "quantile of 'price' must lie strictly between 0 and 1, got 0.0"),
        ({"price": 1.0}, 0.5, "quantile of 'price' must lie strictly between 0 and 1"),
        ({"price": "0.1"}, 0.5, "quantile of 'price' must lie strictly between 0 and 1"),
        ({}, 1.5, "quantile of 'default' must lie strictly between 0 and 1, got 1.5"),
    ],
)
def test_bad_quantiles_are_refused(overrides, default, message):
    s = compile_uncertainties(scenario_from_dict(tornado_dict()))
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        s.at_quantiles(overrides, default)


# -- the tornado ----------------------------------------------------------------------------------


def test_tornado_bars_in_the_order_worked_out_by_hand(planned):
    """Delivered a month = min(800 × demand, 1,000 × slots); NPV = 100 × price × delivered over
    3 months − 100 k$; funding need = 100 k$ − the first month's revenue (≥ 0).

    Base (all medians 1): 800/month → 2,400 delivered, NPV 240 k − 100 k = 140 k, need 20 k.
    - demand 0.6 / 1.4: 480 / min(1,120, 1,000) = 1,000 a month → 1,440 / 3,000 delivered, NPV
      44 k / 200 k, swing 156 k; need 100 − 48 = 52 k / 0.
    - price 0.84 / 1.16: 2,400 delivered, NPV 201.6 − 100 = 101.6 k / 178.4 k, swing 76.8 k;
      need 100 − 67.2 = 32.8 k / 100 − 92.8 = 7.2 k.
    - slots 0.6 / 1.4: 600 / 800 a month → 1,800 / 2,400 delivered, NPV 80 k / 140 k,
      swing 60 k; need 40 k / 20 k.
    Order: demand, price, slots (the file lists slots first). ``demand`` and ``price`` share a
    factor, but each moves alone: the price bar keeps 2,400 delivered.
    """
    sc, plan = planned
    model = model_from_plan(sc, plan)
    t = tornado(
        model, lambda m: partial(evaluate_chunk, m), targets={"demand": "customers.*.demand"}
    )
    assert [b.name for b in t.bars] == ["demand", "price", "slots"]
    assert t.base == pytest.approx({"npv": 140e3, "funding_need": 20e3, "delivered_total": 2400})
    expected = {
        "demand": ((44e3, 52e3, 1440), (200e3, 0.0, 3000), 156e3, (0.6, 1.4)),
        "price": ((101.6e3, 32.8e3, 2400), (178.4e3, 7.2e3, 2400), 76.8e3, (0.84, 1.16)),
        "slots": ((80e3, 40e3, 1800), (140e3, 20e3, 2400), 60e3, (0.6, 1.4)),
    }
    for b in t.bars:
        low, high, swing, values = expected[b.name]
        assert [b.low[m] for m in ("npv", "funding_need", "delivered_total")] == pytest.approx(low)
        assert [b.high[m] for m in ("npv", "funding_need", "delivered_total")] == pytest.approx(
            high
        )
        assert b.swing == pytest.approx(swing)
        assert (b.low_value, b.high_value) == pytest.approx(values)
    assert t.bars[0].target == "customers.*.demand" and t.bars[0].effect == "multiply"
    assert list(t.table()["uncertainty"]) == ["demand", "price", "slots"]


def test_tornado_futures_are_the_medians_and_one_spec_moved(planned):
    sc, _plan = planned
    s = compile_uncertainties(sc)
    rows = tornado_draws(s)
    assert rows.n == 1 + 2 * len(s.specs)
    base = s.at_quantiles({})
    assert np.array_equal(rows.mult[0], base.mult[0])
    for j in range(len(s.specs)):  # each pair differs from the base in its spec's targets only
        for r in (1 + 2 * j, 2 + 2 * j):
            moved = np.flatnonzero(rows.mult[r] != base.mult[0])
            assert {s.targets[i] for i in moved} <= {s.targets[i] for i in s.specs[j].target_index}


def test_tornado_through_the_pipeline_and_the_store(planned, tmp_path):
    """``run_risk`` with ``tornado=True``: the run keeps the table and the option, the summary's
    tornado is its JSON's last key and round-trips, and the report has the chart."""
    sc, _plan = planned
    store = RunStore(tmp_path / "home")
    outcome = run_risk(ScenarioInput.of(sc), RiskOptions(samples=20, seed=1, tornado=True), store)
    t = outcome.summary.tornado
    assert t is not None and t.recourse == "fast"
    assert [b.name for b in t.bars] == ["demand", "price", "slots"]
    assert "tornado" in store.tables(outcome.run_id)
    assert store.get(outcome.run_id).options["tornado"] is True
    data = outcome.summary.to_dict()
    assert list(data)[-1] == "tornado"
    assert RiskSummary.from_dict(data).to_dict() == data
    assert "Tornado: NPV with one uncertainty at a time" in outcome.report_html
    plain = run_risk(ScenarioInput.of(sc), RiskOptions(samples=20, seed=1), store)
    assert plain.summary.tornado is None and "tornado" not in plain.summary.to_dict()


def test_lp_recourse_gives_the_same_tornado(planned):
    """``--tornado --recourse lp``: the same 7 futures re-solved with HiGHS (decisions fixed)
    give the hand-solved bars too (no stock to carry here: the fast recourse is exact)."""
    sc, plan = planned
    model = model_from_plan(sc, plan)
    t = tornado_stage(sc, model, plan.decisions, Recourse.LP, LocalExecutor(1))
    assert t.recourse == "lp"
    assert [b.name for b in t.bars] == ["demand", "price", "slots"]
    assert [b.swing for b in t.bars] == pytest.approx([156e3, 76.8e3, 60e3], rel=1e-6)
    assert t.base["npv"] == pytest.approx(140e3, rel=1e-6)
    assert t.bars[2].low["delivered_total"] == pytest.approx(1800, rel=1e-6)


def test_tornado_json_refuses_a_broken_bar():
    with pytest.raises(DataError, match="tornado"):
        Tornado.from_dict({"low_quantile": 0.1, "high_quantile": 0.9, "recourse": "fast",
                           "base": {"npv": 1.0}, "bars": [], "wall_seconds": 0.0})  # fmt: skip


def test_cli_tornado_table_and_json(cli, tmp_path, monkeypatch):
    monkeypatch.setenv(
        "COLUMNS", "200"
    )  # the table's content, not how an 80-column terminal wraps it
    scen = tmp_path / "tiny.yaml"
    scen.write_text(yaml.safe_dump(tornado_dict(), sort_keys=False))
    common = ["--samples", "50", "--tornado", "--home", str(tmp_path / "h")]
    res = cli("risk", str(scen), *common, "--out", str(tmp_path / "o1"), "--json")
    assert res.exit_code == 0, res.output
    bars = json.loads(res.stdout)["tornado"]["bars"]
    assert [b["name"] for b in bars] == ["demand", "price", "slots"]
    assert bars[0]["swing_npv"] == pytest.approx(156e3)
    assert "Tornado" in (tmp_path / "o1" / "report.html").read_text()
    assert (tmp_path / "o1" / "tornado.csv").exists()
    res = cli("risk", str(scen), *common, "--out", str(tmp_path / "o2"))
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    order = [next(i for i, line in enumerate(lines) if line.startswith(f"│ {n} ")) for n in
             ("demand", "price", "slots")]  # fmt: skip
    assert order == sorted(order)
    assert "$156.00 k" in res.stdout and "base (all at their medians): NPV $140.00 k" in res.stdout


def test_tornado_reports_progress_after_each_task(planned):
    sc, plan = planned
    seen = []
    tornado(model_from_plan(sc, plan), lambda m: partial(evaluate_chunk, m), chunk_size=2,
            progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert seen == [(2, 7), (4, 7), (6, 7), (7, 7)]  # 1 + 2 × 3 futures, 2 a task
