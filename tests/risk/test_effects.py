"""What each new uncertainty does to the plan's inputs (fabnet.risk.effects), on hand-solved
instances, and that the tiny plan's figures move the way they must."""

from __future__ import annotations

import numpy as np
import pytest

from fabnet.risk import evaluate_draws, identity_draws, model_from_plan
from fabnet.risk.effects import ramp_warp, stuck_age
from fabnet.risk.sampling import Draws
from fabnet.scenario import scenario_from_dict


def test_ramp_warp_stretches_the_ramp_only():
    """Output 0, 0.5, 1, 1, 1 with the first output in month 1. Stretch 1 (the ramp takes twice
    as long): month m ≥ 1 gets s(1 + (m − 1)/2): m=2 → s(1.5) = (0.5 + 1)/2 = 0.75, m=3 → s(2)
    = 1, m=4 → s(2.5) = 1. Month 0 (before the first output) and full output do not move."""
    series = np.array([0.0, 0.5, 1.0, 1.0, 1.0])
    out = ramp_warp(series, 1.0, np.array([1.0, 0.0]))
    assert out[0] == pytest.approx([0.0, 0.5, 0.75, 1.0, 1.0])
    assert out[1] == pytest.approx(series)  # no stretch: the plan's output


def test_stuck_age_holds_the_start_yield():
    """Ages -1, 0, 5, 30 with 24 months stuck: -1 (before output) stays, 0 and 5 become 0 (the
    start yield), 30 becomes 6."""
    age = np.array([[-1.0, 0.0, 5.0, 30.0]])
    assert stuck_age(age, np.array([24.0]))[0] == pytest.approx([-1.0, 0.0, 0.0, 6.0])


def _draws(model, values):
    """One future: ``{(collection, item, field): (m, a)}``, every other target at its base."""
    targets = model.sampler.targets
    mult, add = np.ones((1, len(targets))), np.zeros((1, len(targets)))
    for key, (m, a) in values.items():
        k = targets.index(key)
        mult[0, k], add[0, k] = m, a
    return Draws(targets, mult, add)


_SPECS = [
    ("overrun", "fabs.*.capex_overrun", "add"),
    ("stuck", "fabs.*.yield_stuck_months", "add"),
    ("d0", "nodes.*.d0_mature_per_cm2", "multiply"),
    ("ramp", "fabs.*.ramp_stretch", "add"),
    ("erosion", "customers.*.price_erosion", "add"),
]


def _tiny_dict() -> dict:
    """The risk tests' tiny scenario (conftest.tiny_dict) as a fresh dict."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "risk_conftest_effects", Path(__file__).with_name("conftest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tiny_dict()


@pytest.fixture(scope="module")
def tiny_model():
    """The tiny plan with yield learning (N4 from 0.5 to 0.06 defects/cm², as the built-in),
    solved on that scenario (its mature age is the planner's mature pool, which the fast
    recourse follows), with every new target declared (point masses: base values until
    drawn)."""
    from fabnet.plan import solve_plan

    data = _tiny_dict()
    data["nodes"][0]["d0_start_per_cm2"] = 0.5  # yield learning, so a stuck yield costs units
    data["uncertainties"] = [
        {"name": n, "target": t, "effect": e,
         "distribution": {"dist": "point", "value": 1.0 if e == "multiply" else 0.0}}
        for n, t, e in _SPECS
    ]  # fmt: skip
    sc = scenario_from_dict(data)
    return model_from_plan(sc, solve_plan(sc, explain=False))


def test_capex_overrun_scales_capex_depreciation_and_sustaining(tiny_model):
    """A 20 % overrun on the only site: capex exactly 1.2 x the plan's; NPV falls by at least
    the discounted extra capex is not asserted (tax shields), only that it falls; output
    unchanged."""
    model = tiny_model
    base = evaluate_draws(model, identity_draws(model))
    over = evaluate_draws(
        model, _draws(model, {("fabs", "Taiwan (Tainan)", "capex_overrun"): (1, 0.2)})
    )
    assert over["capex_total"][0] == pytest.approx(1.2 * base["capex_total"][0])
    assert over["npv"][0] < base["npv"][0]
    assert over["delivered_total"][0] == pytest.approx(base["delivered_total"][0])


def test_yield_stuck_worse_density_and_slow_ramp_cost_units(tiny_model):
    """Yield held at its start for 24 months, a mature defect density twice the stated one, or
    a ramp taking twice as long: fewer good dies, so fewer accelerators (the tiny customer's
    demand always exceeds output). The tiny site has no ramp (step to full), so a stretch
    changes nothing there."""
    model = tiny_model
    base = evaluate_draws(model, identity_draws(model))["delivered_total"][0]

    def units(values):
        return evaluate_draws(model, _draws(model, values))["delivered_total"][0]

    assert units({("fabs", "Taiwan (Tainan)", "yield_stuck_months"): (1, 24.0)}) < base
    assert units({("nodes", "N4", "d0_mature_per_cm2"): (2.0, 0.0)}) < base
    assert units({("nodes", "N4", "d0_mature_per_cm2"): (1.0, 0.0)}) == pytest.approx(base)
    assert units({("fabs", "Taiwan (Tainan)", "ramp_stretch"): (1, 1.0)}) == pytest.approx(base)


def test_price_erosion_compounds_per_year(tiny_model):
    """Merchant price erosion of 10 %/yr: revenue in a bucket whose middle is y years from the
    start is 0.9**y of the base revenue in that bucket (same deliveries)."""
    model = tiny_model
    base = evaluate_draws(model, identity_draws(model))
    eroded = evaluate_draws(
        model, _draws(model, {("customers", "OpenAI", "price_erosion"): (1, 0.1)})
    )
    b = model.data.buckets
    years = (b.start + b.length / 2.0) / 12.0
    assert eroded["delivered_by_bucket"][0] == pytest.approx(base["delivered_by_bucket"][0])
    ratio = eroded["revenue_total"][0] / base["revenue_total"][0]
    weights = base["delivered_by_bucket"][0] / base["delivered_by_bucket"][0].sum()
    assert ratio == pytest.approx(float((weights * 0.9**years).sum()), rel=1e-9)


def test_spec_over_an_empty_collection_varies_nothing_and_keeps_streams():
    """The built-in without outside foundries or packaging houses: its uncertainties on them
    are still valid, vary nothing, and every other target gets the same draws as before."""
    import yaml

    from fabnet.risk import compile_uncertainties
    from fabnet.risk.sampling import Chunk
    from fabnet.scenario import builtin_scenario_path

    data = yaml.safe_load(builtin_scenario_path().read_text())
    full = compile_uncertainties(scenario_from_dict(data))
    data["outside_foundries"], data["outside_packaging"] = [], []
    bare = compile_uncertainties(scenario_from_dict(data))
    assert len(bare.specs) == len(full.specs)
    assert not any(t[0].startswith("outside_") for t in bare.targets)
    a, b = full.draw(Chunk(0, 0, 50, 4)), bare.draw(Chunk(0, 0, 50, 4))
    for key in bare.targets:
        assert np.array_equal(a.affine(*key)[0], b.affine(*key)[0]), key
        assert np.array_equal(a.affine(*key)[1], b.affine(*key)[1]), key
