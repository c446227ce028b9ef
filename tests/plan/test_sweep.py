"""``fabnet sweep``: a grid over scenario fields, each point a stored plan run, on a tiny
instance solved by hand; bad fields, values and grids refused before any solve."""

from __future__ import annotations

import json

import pytest
import yaml
from tiny_scenarios import tiny_scenario_dict

from fabnet.errors import UsageError
from fabnet.pipelines.sweep import MAX_SWEEP_POINTS, SweepAxis, parse_axes, point_scenarios
from fabnet.scenario import scenario_from_dict
from fabnet.store import RunStore


def sweep_dict() -> dict:
    """One free defect-free fab bought for 100 k$ (paid by an investor), one packaging line of
    1,000 accelerators a month, one customer wanting 800 a month at 100 $, 3 months, no
    discounting, no other cost, no tax (tests/plan/tiny_scenarios.py)."""
    return tiny_scenario_dict(
        [{"name": "C", "priority": 1, "demand": {"P": 800.0}, "price_usd": {"P": 100.0}}],
        fabs=[{"kind": "existing", "name": "Fab A", "region": "US", "node": "N1",
               "capacity_wspm": 1000.0, "asking_price_usd": 100000.0, "available_from": "2024-01",
               "months_to_first_output": 0, "opex_per_wafer_usd": 0.0, "ramp_months": 0}],
        investors=[{"name": "I", "commitment_usd": 100000.0, "terms": "equity",
                    "pay_in": [{"month": "2024-01", "amount_usd": 100000.0}]}],
    )  # fmt: skip


@pytest.fixture
def scen(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(sweep_dict(), sort_keys=False))
    return path


def test_two_points_each_a_stored_plan_and_npv_moves_with_the_price(cli, scen, tmp_path):
    """Both points deliver min(800, 1,000) × 3 = 2,400 accelerators; NPV = 2,400 × price −
    100 k$: 92 k$ at 80 $ and 188 k$ at 120 $, so raising the price by 40 $ raises NPV by
    2,400 × 40 = 96 k$ and changes neither capex (100 k$) nor deliveries."""
    home, out = tmp_path / "home", tmp_path / "out"
    res = cli("sweep", "customers.C.price_usd.P=80,120", "--scenario", str(scen),
              "--home", str(home), "--out", str(out), "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["fields"] == [{"field": "customers.C.price_usd.P", "values": [80, 120]}]
    low, high = data["points"]
    assert (low["customers.C.price_usd.P"], high["customers.C.price_usd.P"]) == (80, 120)
    assert high["npv"] - low["npv"] == pytest.approx(96_000)
    assert low["npv"] == pytest.approx(92_000) and high["npv"] == pytest.approx(188_000)
    assert low["capex_total"] == high["capex_total"] == pytest.approx(100_000)
    assert low["delivered_total"] == high["delivered_total"] == pytest.approx(2400)
    assert low["first_good_accelerator"] == "2024-01"
    store = RunStore(home)
    runs = store.list_runs(kind="plan")
    assert set(runs["id"]) == {low["run_id"], high["run_id"]} and set(runs["status"]) == {"done"}
    assert store.get(high["run_id"]).options["sweep"] == {"customers.C.price_usd.P": 120}
    kept = yaml.safe_load(store.get(high["run_id"]).scenario_text)
    assert kept["customers"][0]["price_usd"] == {"P": 120}  # the run keeps the point's scenario
    html = (out / "report.html").read_text()
    assert "NPV against customers.C.price_usd.P" in html and "Accelerators delivered" in html
    assert (out / "sweep.csv").exists() and (out / "summary.json").exists()


def test_grid_is_the_product_last_field_fastest():
    sc = scenario_from_dict(sweep_dict())
    axes = parse_axes(["financing.tax_rate=0.1,0.2", "customers.C.price_usd.P=80,90,100"])
    points = point_scenarios(sc, axes)
    assert [tuple(v.values()) for v, _ in points] == [
        (0.1, 80), (0.1, 90), (0.1, 100), (0.2, 80), (0.2, 90), (0.2, 100)
    ]  # fmt: skip
    assert [s.customer("C").price_usd["P"] for _, s in points][:3] == [80, 90, 100]
    assert {s.financing.tax_rate for _, s in points[3:]} == {0.2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["financing.tax=0.1,0.2"], "financing.tax: financing has no field 'tax'"),
        (["financing.tax_rate=0.1,abc"], "financing.tax_rate: must be a number"),
        (["financing.tax_rate=0.1,1.5"], "financing.tax_rate=1.5"),
        (["fabs.Mars.opex_per_wafer_usd=1"], "fabs has no item 'Mars'; known: Fab A"),
        (["financing.tax_rate"], "'financing.tax_rate': write FIELD=v1,v2,..."),
        (["financing.tax_rate=0.1,,0.2"], "financing.tax_rate: empty value"),
        (["financing.tax_rate=0.1", "financing.tax_rate=0.2"], "financing.tax_rate is swept twice"),
        (["financing.tax_rate=" + ",".join(f"0.0{i}" for i in range(1, 7)),
          "financing.debt_rate=0.01,0.02,0.03,0.04,0.05,0.06"],
         f"the grid has 36 points (6 × 6); at most {MAX_SWEEP_POINTS}"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_field_and_value_before_any_solve(
    cli, scen, tmp_path, args, message
):
    home = tmp_path / "home"
    res = cli("sweep", *args, "--scenario", str(scen), "--home", str(home))
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert RunStore(home).list_runs().empty  # refused before the first plan
    as_json = cli("sweep", *args, "--scenario", str(scen), "--home", str(home), "--json")
    assert as_json.exit_code == 2 and "error" in json.loads(as_json.stdout)


def test_no_grid_at_all_is_refused():
    with pytest.raises(UsageError, match="give at least one FIELD=v1,v2"):
        parse_axes([])
    assert parse_axes(["a.b= 1 , x "]) == [SweepAxis("a.b", (1, "x"), ("1", "x"))]


def test_a_failed_point_is_kept_and_the_sweep_goes_on(monkeypatch, tmp_path):
    """A point whose plan fails (here: made to raise InfeasibleError once its run exists) is a
    row with its run id and the reason; the other points are planned and charted."""
    import pandas as pd

    from fabnet._json import to_jsonable
    from fabnet.errors import InfeasibleError
    from fabnet.pipelines import PlanOptions, ScenarioInput
    from fabnet.pipelines import sweep as sweep_mod

    real = sweep_mod.run_plan

    def flaky(source, options, store, **kwargs):
        if source.scenario.customer("C").price_usd["P"] == 120:
            kwargs["on_start"]("run-that-failed")
            raise InfeasibleError("no plan meets the contracts")
        return real(source, options, store, **kwargs)

    monkeypatch.setattr(sweep_mod, "run_plan", flaky)
    store = RunStore(tmp_path / "home")
    source = ScenarioInput.of(scenario_from_dict(sweep_dict()))
    outcome = sweep_mod.run_sweep(
        source, parse_axes(["customers.C.price_usd.P=80,120"]), PlanOptions(), store
    )
    ok, failed = outcome.table.to_dict("records")
    assert ok["status"] == "optimal" and ok["npv"] == pytest.approx(92_000)
    assert failed["status"] == "failed: no plan meets the contracts" and pd.isna(failed["npv"])
    assert to_jsonable(outcome.to_dict())["points"][1]["npv"] is None  # JSON: null, not NaN
    assert failed["run_id"] == "run-that-failed"
    assert "1 point(s) failed" in outcome.report_html


def test_report_draws_one_line_per_value_of_the_second_field():
    import pandas as pd

    from fabnet.report.sweep import FIGURE_TITLES, _figure

    rows = [
        {"point": i + 1, "a": a, "b": b, "run_id": f"r{i}", "status": "optimal",
         "npv": 1e9 * (a + b), "irr": 0.1, "capex_total": 2e9, "funding_gap": 0.0,
         "delivered_total": 1e6, "first_good_accelerator": "2026-01"}
        for i, (a, b) in enumerate([(1, 10), (2, 10), (1, 20), (2, 20)])
    ]  # fmt: skip
    fig = _figure(pd.DataFrame(rows), ["a", "b"], "npv")
    assert [t.name for t in fig.data] == ["b=10", "b=20"]
    assert list(fig.data[1].y) == [21.0, 22.0]  # B$
    assert fig.layout.yaxis.title.text == "NPV [B$]"
    assert set(FIGURE_TITLES) == {"npv", "irr", "capex_total", "funding_gap", "delivered_total",
                                  "first_good_accelerator"}  # fmt: skip
