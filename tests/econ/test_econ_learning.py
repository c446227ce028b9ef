"""Yield-learning curves: values at known points, limits, monotone between start and mature."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabnet.econ import (
    defect_density_exponential,
    defect_density_gompertz,
    poisson_yield,
)

CURVES = (defect_density_exponential, defect_density_gompertz)


def test_exponential_known_points():
    # 0.5 -> 0.1 /cm² with tau = 6 months (docs/sources.md §N default trajectory)
    assert defect_density_exponential(0, 0.5, 0.1, 6) == 0.5
    assert defect_density_exponential(6, 0.5, 0.1, 6) == pytest.approx(0.1 + 0.4 / math.e)
    assert defect_density_exponential(1e6, 0.5, 0.1, 6) == pytest.approx(0.1)
    assert defect_density_exponential(-5, 0.5, 0.1, 6) == 0.5  # before first output


def test_exponential_density_is_gompertz_yield_under_poisson():
    # Y(t) = exp(-A D(t)) = Y_inf * exp(-b e^{-t/tau}), Y_inf = e^{-A D_inf}, b = A (D0 - D_inf)
    t = np.linspace(0, 36, 37)
    area = 8.14
    y = poisson_yield(area, defect_density_exponential(t, 0.5, 0.1, 6))
    gompertz = math.exp(-area * 0.1) * np.exp(-area * 0.4 * np.exp(-t / 6))
    assert np.allclose(y, gompertz, rtol=1e-12)


def test_gompertz_known_points_and_limits():
    # S(t) = (exp(-b e^{-t/tau}) - e^{-b}) / (1 - e^{-b}); at t = tau ln b (b = 3, tau = 6):
    # e^{-t/tau} = 1/3, S = (e^{-1} - e^{-3}) / (1 - e^{-3}) = 0.3167
    t_star = 6 * math.log(3)
    s = (math.exp(-1) - math.exp(-3)) / (1 - math.exp(-3))
    d = defect_density_gompertz(t_star, 0.5, 0.1, 6, 3.0)
    assert d == pytest.approx(0.5 - 0.4 * s, rel=1e-12)
    assert defect_density_gompertz(0, 0.5, 0.1, 6) == 0.5
    assert defect_density_gompertz(-1, 0.5, 0.1, 6) == 0.5
    assert defect_density_gompertz(1e4, 0.5, 0.1, 6) == pytest.approx(0.1)
    # b -> 0 is the exponential curve; a huge b does not overflow
    t = np.linspace(0, 48, 49)
    assert np.allclose(
        defect_density_gompertz(t, 0.5, 0.1, 6, 1e-9),
        defect_density_exponential(t, 0.5, 0.1, 6),
        atol=1e-9,
    )
    assert np.all(np.isfinite(defect_density_gompertz(t, 0.5, 0.1, 6, 1e3)))


def test_gompertz_is_s_shaped_with_inflection_at_tau_ln_b():
    tau, b = 4.0, 5.0
    t = np.linspace(0, 40, 4001)
    d = defect_density_gompertz(t, 0.5, 0.1, tau, b)
    slope = np.diff(d)
    steepest = t[np.argmin(slope)]  # most negative step
    assert steepest == pytest.approx(tau * math.log(b), abs=0.02)
    # slow start: the first month removes less of the excess than the exponential does
    exp_drop = 0.5 - defect_density_exponential(1, 0.5, 0.1, tau)
    assert 0.5 - defect_density_gompertz(1, 0.5, 0.1, tau, b) < exp_drop / 3


@pytest.mark.parametrize("curve", CURVES)
def test_bad_inputs(curve):
    with pytest.raises(ValueError, match="tau_months"):
        curve(1, 0.5, 0.1, 0)
    with pytest.raises(ValueError, match="d0_mature"):
        curve(1, 0.5, -0.1, 6)
    with pytest.raises(ValueError, match="t_months"):
        curve(float("nan"), 0.5, 0.1, 6)


def test_gompertz_shape_must_be_positive():
    with pytest.raises(ValueError, match="shape"):
        defect_density_gompertz(1, 0.5, 0.1, 6, 0.0)


@settings(max_examples=150, deadline=None)
@given(
    d_start=st.floats(0.0, 5.0),
    d_mature=st.floats(0.0, 5.0),
    tau=st.floats(0.1, 60.0),
    b=st.floats(0.01, 20.0),
)
def test_curves_monotone_between_start_and_mature(d_start, d_mature, tau, b):
    t = np.linspace(-12, 240, 253)
    lo, hi = min(d_start, d_mature), max(d_start, d_mature)
    for d in (
        defect_density_exponential(t, d_start, d_mature, tau),
        defect_density_gompertz(t, d_start, d_mature, tau, b),
    ):
        assert np.all((d >= lo - 1e-12) & (d <= hi + 1e-12))
        steps = np.diff(d)
        if d_start >= d_mature:
            assert np.all(steps <= 1e-12)
        else:
            assert np.all(steps >= -1e-12)
