"""Model families built without a solver (linopy.testing), and the data the model is built from."""

from __future__ import annotations

import numpy as np
import pytest
from linopy.testing import assert_linequal
from tiny_scenarios import tiny_scenario

from fabnet.plan import build_model, build_plan_data, make_buckets
from fabnet.plan._econ import good_dies_per_wafer_at
from fabnet.scenario import load_scenario

CUSTOMERS = [{"name": "A", "priority": 1, "demand": {"P": 800}}]


def test_buckets_monthly_then_quarterly():
    b = make_buckets(load_scenario(None))
    assert b.n == 36 + 28  # 36 monthly + 84 months / 3
    assert b.labels[35] == "2026-12" and b.labels[36] == "2027-01" and b.labels[37] == "2027-04"
    assert b.length.sum() == 120
    assert b.aggregate(np.ones(120))[36] == 3.0
    # 10 % a year, middle of the first month: (1.1)^(-0.5/12)
    assert b.discount[0] == pytest.approx(1.1 ** (-0.5 / 12))


def test_line_capacity_is_packages_over_packages_per_wafer():
    d = build_plan_data(tiny_scenario(CUSTOMERS, ppw=10.0))
    pm = build_model(d)
    pk = pm.m.variables["Packages"]
    expected = (pk.fillna(0) / d["packages_per_interposer_wafer"]).sum("product")
    assert_linequal(pm.m.constraints["Line-capacity"].lhs, expected)
    assert pm.m.constraints["Line-capacity"].rhs.values.tolist() == [[0.1, 0.1, 0.1]]  # 100 / QTY


def test_every_family_is_present_and_named():
    pm = build_model(build_plan_data(tiny_scenario(CUSTOMERS)))
    for name in ("Option-units", "Packages", "Delivered", "Cash", "Debt", "Die-inventory"):
        assert name in pm.m.variables
    for name in ("Site-max_units", "Line-capacity", "Die-balance", "Finished-balance",
                 "Cash-balance", "Cash-floor", "Debt-limit"):  # fmt: skip
        assert name in pm.m.constraints
    assert "Contract-shortfall" not in pm.m.variables  # no contracts in this scenario


def test_cohort_yield_comes_from_econ_at_the_cohort_age():
    sc = load_scenario(None)
    d = build_plan_data(sc)
    o = d.options.index("Taiwan (Tainan) | build | N4 | 2024-04")  # options are labelled
    assert d.option_index("Taiwan (Tainan)", "build", "2024-04", "N4") == o
    j = d.products.index("H100-class")
    # first output 2024-04 + 30 months = 2026-10; wafers out in 2027-01 (bucket 36's first
    # month) were started 3 months earlier (N4 cycle time) at age 0 -> quarter ages 0, 1, 2
    t = d.buckets.labels.index("2027-01")
    assert d.labels("month")[d.values("option_first_output_month")[o]] == "2026-10"
    ages = np.array([0.0, 1.0, 2.0])
    ramp = np.array([0.05, 0.1, 0.2])  # capacity weights of those months
    newcomer = sc.fab("Taiwan (Tainan)").newcomer  # a new entrant's defects and learning delay
    gdpw = good_dies_per_wafer_at(sc, "H100-class", ages, newcomer)
    expected = (gdpw * ramp).sum() / ramp.sum()
    assert d.values("option_gdpw")[o, j, t] == pytest.approx(expected, rel=1e-9)
    assert d.values("option_capacity")[o, t] == pytest.approx(10000 * 0.85 * ramp.sum())
    # the same figure by label: dimensions are named, not kept in comments
    at = d["option_gdpw"].sel(option=d.options[o], product="H100-class", bucket="2027-01")
    assert float(at) == pytest.approx(expected, rel=1e-9)


def test_strategies_restrict_options():
    sc = load_scenario(None)
    assert set(build_plan_data(sc, strategy="buy").values("option_kind")) == {"buy"}
    assert set(build_plan_data(sc, strategy="build").values("option_kind")) == {"build"}


def test_capex_of_a_module_is_spread_over_its_lead_time():
    sc = load_scenario(None)
    d = build_plan_data(sc)
    o = d.option_index("Taiwan (Tainan)", "build", "2024-04", "N4")
    # 0.30 B$/kwspm x 10k, plus the newcomer's 15 % capex premium at the site
    assert d.values("option_capex")[o].sum() == pytest.approx(0.30e9 * 10 * 1.15)
    assert d.capacity_given(np.eye(d.n_options)[o]).shape == (len(d.sites), d.buckets.n)
