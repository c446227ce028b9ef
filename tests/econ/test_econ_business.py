"""Income tax with losses carried forward, terminal value, sustaining capex, and the price of an
accelerator under each revenue model: hand-solved instances and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fabnet.econ as econ
from fabnet.errors import UsageError

# -- income tax ----------------------------------------------------------------------------


def test_tax_with_a_loss_carried_forward_by_hand():
    # -100 then 60, 60 at 25 %: step 2 uses 60 of the loss (tax 0), step 3 uses the last 40
    # and pays 25 % of the remaining 20 = 5.
    t = econ.income_tax([-100.0, 60.0, 60.0], 0.25)
    np.testing.assert_allclose(t.tax, [0.0, 0.0, 5.0], atol=1e-12)
    np.testing.assert_allclose(t.loss_used, [0.0, 60.0, 40.0])
    np.testing.assert_allclose(t.loss_pool, [100.0, 40.0, 0.0])
    np.testing.assert_allclose(t.taxable, [0.0, 0.0, 20.0])


def test_losses_expire_after_the_carry_forward_limit():
    # a loss of 100 in step 0 usable only in steps 1..2; profit arrives in step 3: all taxed
    t = econ.income_tax([-100.0, 0.0, 0.0, 80.0], 0.2, carry_forward_steps=2)
    np.testing.assert_allclose(t.tax, [0, 0, 0, 16.0])
    # the same with no limit pays nothing
    assert econ.income_tax([-100.0, 0.0, 0.0, 80.0], 0.2).tax.sum() == 0.0


def test_oldest_loss_is_used_first():
    # losses 50 (step 0) and 50 (step 1); limit 2 steps; profit 60 in step 2 uses the step-0
    # loss first (50) then 10 of the step-1 loss; step 3 (profit 100) can still use the 40
    # left of step 1's loss (its window is steps 2..3): taxable 60.
    t = econ.income_tax([-50.0, -50.0, 60.0, 100.0], 0.5, carry_forward_steps=2)
    np.testing.assert_allclose(t.loss_used, [0, 0, 60.0, 40.0])
    np.testing.assert_allclose(t.tax, [0, 0, 0, 30.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=24), st.floats(0, 1))
def test_carry_forward_never_raises_tax_and_total_is_bounded(profits, rate):
    t = econ.income_tax(profits, rate)
    p = np.asarray(profits)
    no_carry = rate * np.maximum(p, 0.0)
    assert np.all(t.tax <= no_carry + 1e-9)
    # with unlimited carry-forward, total taxable = max(0, cumulative) at the end, at least
    assert t.taxable.sum() + 1e-6 >= max(0.0, p.sum())
    assert np.all(t.tax >= 0)


def test_tax_is_vectorised_over_scenarios():
    t = econ.income_tax(np.array([[-10.0, 20.0], [5.0, 5.0]]), np.array([0.1, 0.2]))
    np.testing.assert_allclose(t.tax, [[0.0, 1.0], [1.0, 1.0]])


# -- depreciation, sustaining capex -----------------------------------------------------


def test_asset_depreciation_splits_equipment_and_building():
    # 120 spent in month 0; 75 % equipment over 3 months, 25 % building over 6
    d = econ.asset_depreciation([120.0, 0, 0, 0, 0, 0, 0], 0.75, 3, 6, horizon=7)
    np.testing.assert_allclose(d, [35, 35, 35, 5, 5, 5, 0])
    assert d.sum() == pytest.approx(120.0)


def test_sustaining_capex_is_a_share_of_capex_installed_before():
    s = econ.sustaining_capex([1200.0, 0.0, 0.0], 0.05)
    np.testing.assert_allclose(s, [0.0, 5.0, 5.0])  # 5 % a year of 1,200 = 60/yr = 5/month
    q = econ.sustaining_capex([1200.0, 0.0], 0.05, months_per_step=3)
    np.testing.assert_allclose(q, [0.0, 15.0])


# -- terminal value --------------------------------------------------------------------------


def test_terminal_value_gordon_by_hand():
    # CF_{T+1} = 102, r = 10 %, g = 2 %: TV = 102 / 0.08 = 1275
    assert econ.terminal_value_perpetuity(102.0, 0.10, 0.02) == pytest.approx(1275.0, abs=1e-9)
    # equals the sum of the growing perpetuity, numerically
    years = np.arange(2000)
    direct = np.sum(102.0 * 1.02**years / 1.10 ** (years + 1))
    assert direct == pytest.approx(1275.0, rel=1e-6)


def test_terminal_value_rejects_growth_at_or_above_the_rate():
    with pytest.raises(UsageError, match="growth must be below"):
        econ.terminal_value_perpetuity(100.0, 0.05, 0.05)


def test_terminal_value_exit_multiple():
    assert econ.terminal_value_exit_multiple(250.0, 8.0) == pytest.approx(2000.0)


# -- prices per revenue model -------------------------------------------------------------


def test_foundry_unit_price_by_hand():
    p = econ.foundry_unit_price(
        wafer_price=18_000, good_dies_per_wafer=30, compute_dies=1,
        packaging_price_per_interposer_wafer=20_000, packages_per_interposer_wafer=25,
        hbm_stacks=5, hbm_stack_price=300, hbm_markup=0.10, test_price=500,
    )  # fmt: skip
    assert p.wafer == pytest.approx(600.0)
    assert p.packaging == pytest.approx(800.0)
    assert p.hbm == pytest.approx(1650.0)
    assert p.test == pytest.approx(500.0)
    assert p.total == pytest.approx(3550.0, abs=1e-9)


def test_two_die_package_pays_for_two_dies():
    one = econ.foundry_unit_price(20_000, 40, 1, 0, 16, 0, 0)
    two = econ.foundry_unit_price(20_000, 40, 2, 0, 16, 0, 0)
    assert two.total == pytest.approx(2 * one.total) == pytest.approx(1000.0)


def test_cost_plus_and_take_or_pay_by_hand():
    assert econ.cost_plus_unit_price(3000.0, 0.15) == pytest.approx(3450.0)
    # took 80 of a 100-unit minimum at 50 $: pays for 100
    assert econ.take_or_pay_payment(80.0, 100.0, 50.0) == pytest.approx(5000.0)
    assert econ.take_or_pay_payment(120.0, 100.0, 50.0) == pytest.approx(6000.0)


def test_prepayment_is_recovered_from_later_invoices_by_hand():
    # 100 prepaid in step 0, invoices 0, 80, 80, 80 with 50 % recovered from each
    f = econ.prepayment_flows([0.0, 80.0, 80.0, 80.0], [100.0, 0, 0, 0], recovery_share=0.5)
    np.testing.assert_allclose(f.recovered, [0, 40, 40, 20])
    np.testing.assert_allclose(f.balance, [100, 60, 20, 0])
    np.testing.assert_allclose(f.cash_in, [100, 40, 40, 60])
    # money moves earlier, it is not added: totals equal the invoices once recovered
    assert f.cash_in.sum() == pytest.approx(240.0)


def test_bad_inputs_name_the_argument():
    with pytest.raises(UsageError, match="good_dies_per_wafer"):
        econ.foundry_unit_price(18_000, 0, 1, 0, 25, 0, 0)
    with pytest.raises(UsageError, match="margin"):
        econ.cost_plus_unit_price(100.0, -0.1)
    with pytest.raises(UsageError, match="rate"):
        econ.income_tax([1.0], 1.5)
