"""Yield models: hand-computed values, limits between models, monotonicity, harvesting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabnet.econ import (
    YIELD_MODELS,
    die_yield,
    good_dies_per_wafer,
    harvested_yield,
    murphy_yield,
    negative_binomial_yield,
    poisson_yield,
    seeds_yield,
)

# --- hand-computed values ------------------------------------------------------------------------


def test_hand_computed_values_at_one_defect_per_half_die():
    # A = 1 cm², D0 = 0.5 /cm² -> D0*A = 0.5
    assert poisson_yield(1.0, 0.5) == pytest.approx(0.6065306597, abs=1e-10)  # e^-0.5
    # ((1 - e^-0.5)/0.5)^2 = (0.3934693403 / 0.5)^2 = 0.7869386806^2 = 0.6192724870
    assert murphy_yield(1.0, 0.5) == pytest.approx(0.6192724870, abs=1e-10)
    assert seeds_yield(1.0, 0.5) == pytest.approx(2.0 / 3.0, abs=1e-15)  # 1/1.5
    assert negative_binomial_yield(1.0, 0.5, 2.0) == pytest.approx(0.64, abs=1e-15)  # 1.25^-2
    # alpha = 0.5: (1 + 1)^-0.5 = 0.7071067812
    assert negative_binomial_yield(1.0, 0.5, 0.5) == pytest.approx(0.7071067812, abs=1e-10)


def test_h100_sized_die_at_d0_0_1():
    # 814 mm² = 8.14 cm², D0 = 0.1 (TSMC N5 around HVM, docs/sources.md §F): D0*A = 0.814
    assert poisson_yield(8.14, 0.1) == pytest.approx(math.exp(-0.814), rel=1e-12)  # 0.4431
    assert negative_binomial_yield(8.14, 0.1, 2.0) == pytest.approx(1.407**-2, rel=1e-12)  # 0.5051


def test_negative_binomial_alpha_one_is_seeds_exactly():
    a = np.linspace(0.0, 10.0, 51)
    assert np.allclose(negative_binomial_yield(a, 0.3, 1.0), seeds_yield(a, 0.3), rtol=1e-14)


def test_negative_binomial_tends_to_poisson():
    a = np.linspace(0.0, 10.0, 51)
    assert np.allclose(negative_binomial_yield(a, 0.3, 1e6), poisson_yield(a, 0.3), atol=1e-5)
    assert np.array_equal(negative_binomial_yield(a, 0.3, np.inf), poisson_yield(a, 0.3))


def test_edge_cases_zero_area_zero_density():
    for model in YIELD_MODELS:
        assert die_yield(model, 0.0, 0.5) == 1.0
        assert die_yield(model, 5.0, 0.0) == 1.0
    # tiny D0*A: Y = (1 - x/2 + ...)^2 = 1 - x, computed without 0/0 or cancellation
    assert murphy_yield(1e-12, 1.0) == pytest.approx(1.0 - 1e-12, abs=1e-15)


def test_dispatcher_matches_functions_and_rejects_unknown():
    assert die_yield("poisson", 2.0, 0.2) == poisson_yield(2.0, 0.2)
    assert die_yield("murphy", 2.0, 0.2) == murphy_yield(2.0, 0.2)
    assert die_yield("seeds", 2.0, 0.2) == seeds_yield(2.0, 0.2)
    assert die_yield("negative_binomial", 2.0, 0.2, 3.0) == negative_binomial_yield(2.0, 0.2, 3.0)
    with pytest.raises(ValueError, match="model must be one of poisson, murphy, seeds"):
        die_yield("gaussian", 2.0, 0.2)


@pytest.mark.parametrize(
    ("args", "name"),
    [((-1.0, 0.1), "area_cm2"), ((1.0, -0.1), "d0"), ((1.0, np.inf), "d0")],
)
def test_bad_inputs_name_the_argument(args, name):
    for model in YIELD_MODELS:
        with pytest.raises(ValueError, match=name):
            die_yield(model, *args)


def test_alpha_must_be_positive():
    with pytest.raises(ValueError, match=r"alpha must be in \(0, inf\)"):
        negative_binomial_yield(1.0, 0.1, 0.0)


def test_good_dies_per_wafer():
    assert good_dies_per_wafer(67, 0.5) == 33.5
    with pytest.raises(ValueError, match="die_yield"):
        good_dies_per_wafer(67, 1.5)


# --- properties ---------------------------------------------------------------------------------

areas = st.floats(0.0, 20.0)
densities = st.floats(0.0, 5.0)
alphas = st.floats(0.05, 50.0)


@settings(max_examples=200, deadline=None)
@given(a1=areas, a2=areas, d=densities, alpha=alphas)
def test_yield_non_increasing_in_area(a1, a2, d, alpha):
    lo, hi = sorted((a1, a2))
    for model in YIELD_MODELS:
        assert die_yield(model, hi, d, alpha) <= die_yield(model, lo, d, alpha) + 1e-15


@settings(max_examples=200, deadline=None)
@given(a=areas, d1=densities, d2=densities, alpha=alphas)
def test_yield_non_increasing_in_density(a, d1, d2, alpha):
    lo, hi = sorted((d1, d2))
    for model in YIELD_MODELS:
        y = die_yield(model, a, hi, alpha)
        assert 0.0 <= y <= die_yield(model, a, lo, alpha) + 1e-15


@settings(max_examples=200, deadline=None)
@given(a=areas, d=densities)
def test_murphy_between_poisson_and_seeds(a, d):
    assert poisson_yield(a, d) <= murphy_yield(a, d) + 1e-15
    assert murphy_yield(a, d) <= seeds_yield(a, d) + 1e-15


# --- harvesting ---------------------------------------------------------------------------------

H100 = {"area_cm2": 8.14, "d0": 0.1, "n_units": 144, "unit_area_fraction": 0.6}


def _nb_closed_form_harvest(area, d0, n, k, f, alpha):
    """Independent check for small n: expand the binomial CDF into exponentials and average each
    with the negative binomial formula E[exp(-lambda c)] = (1 + D0 c / alpha)^-alpha. The
    alternating sum loses precision for large n, so it is only usable for small n."""
    a = f * area / n
    core = (1 - f) * area
    total = 0.0
    for j in range(k + 1):
        for i in range(j + 1):
            c = core + a * (n - j + i)
            total += math.comb(n, j) * math.comb(j, i) * (-1) ** i * (1 + d0 * c / alpha) ** -alpha
    return total


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.0, 7.5])
@pytest.mark.parametrize(("n", "k"), [(4, 1), (8, 2), (6, 6)])
def test_harvest_quadrature_matches_closed_form(alpha, n, k):
    y = harvested_yield(3.0, 0.4, n, k, 0.7, alpha)
    assert y == pytest.approx(_nb_closed_form_harvest(3.0, 0.4, n, k, 0.7, alpha), abs=1e-10)


def test_harvest_poisson_matches_binomial_formula():
    # exp(-D0 (1-f) A) * sum_{j<=k} C(n,j) p^j (1-p)^(n-j), p = 1 - exp(-D0 f A / n)
    area, d0, n, k, f = 8.14, 0.1, 144, 12, 0.6
    p = 1 - math.exp(-d0 * f * area / n)
    cdf = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1))
    expected = math.exp(-d0 * (1 - f) * area) * cdf
    assert harvested_yield(area, d0, n, k, f) == pytest.approx(expected, rel=1e-12)
    assert harvested_yield(area, d0, n, k, f, np.inf) == pytest.approx(expected, rel=1e-12)


def test_harvest_h100_against_monte_carlo():
    """Stapper's compound model by simulation: lambda ~ Gamma(2, mean 0.1), then Poisson
    defects in the core and binomially failed SMs. 400k samples: standard error ~7e-4."""
    rng = np.random.default_rng(np.random.SeedSequence(20240119))
    m = 400_000
    lam = rng.gamma(2.0, 0.1 / 2.0, size=m)
    core_clean = rng.random(m) < np.exp(-lam * 0.4 * 8.14)
    failed = rng.binomial(144, 1 - np.exp(-lam * 0.6 * 8.14 / 144))
    mc = np.mean(core_clean & (failed <= 12))
    y = harvested_yield(**H100, spare_units=12, alpha=2.0)
    assert y == pytest.approx(mc, abs=4 * 7e-4)
    # and harvesting matters: 0.740 vs 0.505 for the whole die defect-free (x1.46, within the
    # 1.5-1.8x rule of thumb in docs/sources.md §N only at its low end)
    assert y == pytest.approx(0.7396, abs=1e-3)
    assert negative_binomial_yield(8.14, 0.1, 2.0) == pytest.approx(0.5051, abs=1e-4)


@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0, 2.0, 30.0, 1e4])
@pytest.mark.parametrize(("n", "f", "area", "d0"), [(144, 0.6, 8.14, 0.1), (200, 0.75, 8.0, 1.0)])
def test_harvest_quadrature_converged(alpha, n, f, area, d0):
    """The default 64 panels agree with 512 panels to 1e-11 (measured: 4e-13 at worst), for
    spares from 0 to n, weak to strong clustering and up to 8 defects per die."""
    k = np.arange(0, n + 1, 10)
    y = harvested_yield(area, d0, n, k, f, alpha)
    fine = harvested_yield(area, d0, n, k, f, alpha, quad_panels=512)
    assert np.max(np.abs(y - fine)) < 1e-11


def test_harvest_limits():
    k0 = harvested_yield(**H100, spare_units=0, alpha=2.0)
    assert k0 == pytest.approx(negative_binomial_yield(8.14, 0.1, 2.0), abs=1e-12)
    assert harvested_yield(**H100, spare_units=0) == pytest.approx(poisson_yield(8.14, 0.1))
    # alpha -> inf tends to Poisson harvesting
    big = harvested_yield(**H100, spare_units=12, alpha=1e6)
    assert big == pytest.approx(harvested_yield(**H100, spare_units=12), abs=1e-5)
    # every unit may fail: only the core must be clean
    all_spare = harvested_yield(**H100, spare_units=144, alpha=2.0)
    assert all_spare == pytest.approx(negative_binomial_yield(0.4 * 8.14, 0.1, 2.0), abs=1e-12)
    # no area in units: harvesting does nothing
    no_units = harvested_yield(8.14, 0.1, 144, 12, 0.0, 2.0)
    assert no_units == pytest.approx(negative_binomial_yield(8.14, 0.1, 2.0), abs=1e-12)
    assert harvested_yield(0.0, 0.1, 144, 12, 0.6, 2.0) == 1.0
    assert harvested_yield(8.14, 0.0, 144, 12, 0.6, 2.0) == 1.0


def test_harvest_broadcasts():
    y = harvested_yield(8.14, np.array([0.05, 0.1, 0.5]), 144, np.array([[0], [12]]), 0.6, 2.0)
    assert y.shape == (2, 3)
    assert np.all(np.diff(y, axis=1) < 0) and np.all(y[1] > y[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_units": 0}, "n_units"),
        ({"spare_units": 145}, "spare_units"),
        ({"spare_units": 1.5}, "whole numbers"),
        ({"unit_area_fraction": 1.2}, "unit_area_fraction"),
        ({"alpha": -1.0}, "alpha"),
    ],
)
def test_harvest_bad_inputs(kwargs, match):
    args = {**H100, "spare_units": 12, **kwargs}
    with pytest.raises(ValueError, match=match):
        harvested_yield(**args)


@settings(max_examples=60, deadline=None)
@given(
    area=st.floats(0.01, 10.0),
    d0=st.floats(0.0, 2.0),
    n=st.integers(1, 150),
    f=st.floats(0.0, 1.0),
    alpha=st.one_of(st.none(), st.floats(0.05, 50.0)),
    data=st.data(),
)
def test_harvest_properties(area, d0, n, f, alpha, data):
    k1 = data.draw(st.integers(0, n))
    k2 = data.draw(st.integers(k1, n))
    plain = negative_binomial_yield(area, d0, np.inf if alpha is None else alpha)
    y0, y1, y2 = harvested_yield(area, d0, n, np.array([0, k1, k2]), f, alpha)
    assert y0 == pytest.approx(plain, abs=1e-12)  # k = 0 is the plain model
    assert y1 >= plain - 1e-12  # never worse than needing the whole die clean
    assert y2 >= y1 - 1e-12  # non-decreasing in the number of spares
    assert y1 >= 0.0 and y2 <= 1.0
