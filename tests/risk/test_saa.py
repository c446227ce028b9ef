"""The two-stage sample-average (SAA) robust plan on the tiny scenario (conftest.py)."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from fabnet.errors import DataError
from fabnet.plan import build_plan_data, solve_plan
from fabnet.risk import compile_uncertainties, make_chunks
from fabnet.risk.saa import align_plan_data, compare_out_of_sample, solve_saa
from fabnet.scenario import scenario_from_dict

_spec = importlib.util.spec_from_file_location(
    "risk_conftest", Path(__file__).with_name("conftest.py")
)
assert _spec is not None and _spec.loader is not None
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
tiny_dict = _conftest.tiny_dict

SLIP = 12  # months Tainan's build slips by, with probability 1/2
SEED, K = 3, 2  # future 0 on time, future 1 slipped (asserted below)


def two_site_dict() -> dict:
    """Tainan (0.30 B$/kwspm, 12 months, slips by 12 with probability 1/2) or a copy that costs
    1 B$ more per module and never slips; one module meets the whole demand, so one site is
    enough."""
    d = tiny_dict()
    twin = copy.deepcopy(d["fabs"][0])
    twin.update(name="Japan (test)", nodes=[{"node": "N4", "capex_per_kwspm_usd": 0.40e9}])
    d["fabs"].append(twin)
    d["customers"][0]["demand"] = {"H100-class": 2.0e5}
    d["investors"][0].update(
        commitment_usd=6.0e9, pay_in=[{"month": "2024-01", "amount_usd": 6.0e9}]
    )
    d["uncertainties"] = [
        {"name": "slip", "target": "fabs.Taiwan (Tainan).lead_time_months", "effect": "add",
         "distribution": {"dist": "bernoulli", "p": 0.5, "value": SLIP, "otherwise": 0}}
    ]  # fmt: skip
    return d


@pytest.fixture(scope="module")
def two_sites():
    """The scenario, its deterministic plan, the SAA on K futures and the deterministic
    decisions held on the same K futures (one module-level solve of each)."""
    sc = scenario_from_dict(two_site_dict())
    det = solve_plan(sc, explain=False)
    saa = solve_saa(sc, K, SEED)
    held = solve_saa(sc, K, SEED, fixed=det.decisions)
    return sc, det, saa, held


def _sites(decisions) -> list[str]:
    return sorted(decisions.loc[decisions["modules"] > 0, "site"])


def test_identical_futures_give_the_deterministic_plan(tiny_plan):
    """K copies of the stated scenario: the SAA is the deterministic design MIP (same decisions,
    same objective to the MIP gap)."""
    sc, det = tiny_plan
    saa = solve_saa(sc, futures=[sc, sc])
    assert saa.k == 2
    cols = ["site", "action", "start", "modules", "node"]
    assert saa.decisions[cols].to_dict("records") == det.decisions[cols].to_dict("records")
    ref = det.summary["design_objective_value"]
    gap = max(sc.policy.mip_gap, 1e-6) * abs(ref)
    assert saa.objective == pytest.approx(ref, abs=gap)
    assert np.allclose(saa.futures["objective"], saa.futures["objective"].iloc[0])
    assert saa.size["futures"] == 2 and saa.size["integers"] >= 1


def test_uncertain_lead_time_moves_the_first_stage(two_sites):
    """Hand reasoning: on time, Tainan and its twin give the same output, so the deterministic
    plan takes the cheaper Tainan; a 12-month slip costs a year of output (tens of B$ of NPV),
    far more than the twin's extra 1 B$, so with one slipped future among K the SAA takes the
    twin."""
    sc, det, saa, held = two_sites
    draws = compile_uncertainties(sc).draw(make_chunks(K, SEED, K)[0])
    slipped = draws.add[:, 0] > 0
    assert slipped.tolist() == [False, True]  # the sample holds both outcomes
    assert _sites(det.decisions) == ["Taiwan (Tainan)"]
    assert _sites(saa.decisions) == ["Japan (test)"]
    # SAA is optimal on its K futures: at least the deterministic decisions' average there.
    gap = sc.policy.mip_gap * abs(saa.objective)
    assert saa.objective >= held.objective - gap
    assert held.objective == pytest.approx(held.futures["objective"].mean(), rel=1e-9)
    # Per future: on time, Tainan wins by the twin's extra capex, discounted (1 B$ spent over
    # the first 12 months, discounted at 10 %/yr: 0.85-1.0 B$); slipped, Tainan loses more than 10 B$.
    diff = held.futures["objective"].to_numpy() - saa.futures["objective"].to_numpy()
    assert np.all((diff[~slipped] > 0.85e9) & (diff[~slipped] < 1.0e9))
    assert np.all(diff[slipped] < -10e9)
    extra_capex = saa.futures["capex"] - held.futures["capex"]
    assert np.allclose(extra_capex, 1.0e9, rtol=1e-6)


def test_out_of_sample_value_of_the_stochastic_solution(two_sites):
    """On 400 fresh futures (fast recourse), the twin beats Tainan by about half the slip loss
    minus the discounted extra capex: a positive VSS, many standard errors from 0."""
    sc, det, saa, _ = two_sites
    cmp = compare_out_of_sample(sc, saa, det, samples=400, seed=SEED + 1)
    assert list(cmp.table["plan"]) == ["deterministic", f"SAA (K={K})"]
    assert cmp.vss > 5 * cmp.vss_se > 0
    det_row, saa_row = cmp.table.iloc[0], cmp.table.iloc[1]
    assert saa_row["capex"] - det_row["capex"] == pytest.approx(1.0e9, rel=1e-6)
    assert saa_row["mean_shortage"] < det_row["mean_shortage"]
    assert saa_row["p5_npv"] > det_row["p5_npv"]
    assert cmp.vss == pytest.approx(saa_row["mean_objective"] - det_row["mean_objective"])


def test_exact_comparison_on_the_in_sample_futures(two_sites):
    """The LP comparison on the SAA's own K futures reproduces both in-sample averages."""
    sc, det, saa, held = two_sites
    cmp = compare_out_of_sample(sc, saa, det, samples=K, seed=SEED, recourse="lp")
    det_row, saa_row = cmp.table.iloc[0], cmp.table.iloc[1]
    assert saa_row["mean_objective"] == pytest.approx(saa.objective, rel=1e-6)
    assert det_row["mean_objective"] == pytest.approx(held.objective, rel=1e-6)
    assert cmp.vss == pytest.approx(saa.objective - held.objective, rel=1e-6)


def test_cli_robust_saa_same_seed_same_decisions(two_sites, cli, tmp_path):
    """``fabnet risk --robust K`` (SAA by default) with the same seed finds the same first stage
    as ``solve_saa`` and reports the out-of-sample table and VSS."""
    _sc, _det, saa, _ = two_sites
    scen = tmp_path / "two.yaml"
    scen.write_text(yaml.safe_dump(two_site_dict(), sort_keys=False))
    args = [str(scen), "--samples", "200", "--seed", str(SEED), "--robust", str(K)]
    res = cli("risk", *args, "--out", str(tmp_path / "out"), "--json")
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)["robust"]
    assert r["method"] == "saa" and r["k"] == K and r["out_of_sample"] == 200
    assert r["in_sample_objective"] == pytest.approx(saa.objective, rel=1e-9)
    cols = ["site", "action", "start", "modules"]
    assert [{c: d[c] for c in cols} for d in r["decisions"]] == saa.decisions[cols].to_dict(
        "records"
    )
    assert [row["plan"] for row in r["table"]] == ["deterministic", f"SAA (K={K})"]
    assert r["vss"] > 0
    assert (tmp_path / "out" / "robust.csv").exists()
    bad = cli("risk", *args, "--robust-method", "best", "--json")
    assert bad.exit_code == 2 and "--robust-method" in json.loads(bad.stdout)["message"]


def test_futures_with_other_options_are_refused(tiny):
    """A future whose data lacks one of the scenario's options cannot share the first stage."""
    base = build_plan_data(tiny)
    late = copy.deepcopy(tiny_dict())
    late["fabs"][0]["earliest_start"] = "2025-01"
    other = build_plan_data(scenario_from_dict(late))
    with pytest.raises(DataError, match="not options of this future"):
        align_plan_data(base, other, "future 7")
    assert align_plan_data(base, base).options == base.options


def test_alignment_is_a_reindex_by_label(tiny):
    """Every option variable follows its label when a future's options come in another order
    (no hand-written list of fields to align: a new ``option_*`` variable is carried too)."""
    base = build_plan_data(tiny)
    order = list(reversed(range(base.n_options)))
    shuffled = type(base)(base.ds.isel(option=order), base.buckets)
    aligned = align_plan_data(base, shuffled)
    assert aligned.options == base.options
    for name, var in base.ds.data_vars.items():
        if "option" in var.dims:
            np.testing.assert_array_equal(aligned.values(name), base.values(name), err_msg=name)
