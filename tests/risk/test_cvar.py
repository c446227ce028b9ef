"""CVaR (Rockafellar–Uryasev) and the shortfall chance limit in the robust plan, solved by hand
on two equiprobable futures of the fab-for-sale instance (``decide_instances.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fabnet.errors import UsageError
from fabnet.risk.cvar import RiskSpec, empirical_cvar
from fabnet.risk.saa import solve_saa

_spec = importlib.util.spec_from_file_location(
    "decide_instances", Path(__file__).with_name("decide_instances.py")
)
assert _spec is not None and _spec.loader is not None
_inst = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_inst)
fab_for_sale = _inst.fab_for_sale


@pytest.fixture(scope="module")
def two_prices():
    """Future A sells at 100 $, future B at 10 $ (one half each)."""
    return fab_for_sale(100.0), fab_for_sale(10.0)


def _bought(result) -> list[tuple[str, int]]:
    return [(r.start, r.modules) for r in result.decisions.itertuples()]


def test_empirical_cvar_by_hand():
    """Losses (−1.6, 0.29): at α = 0.75 the worst quarter is inside B's half, so CVaR = VaR =
    0.29 (F(η) = η + 2 Σ max(0, L − η) falls with slope −3, then −1, then rises with 1: the
    minimum is at η = 0.29). At α = 0.25 the worst 75 % is B's half and a quarter of A:
    (0.5 × 0.29 + 0.25 × (−1.6)) / 0.75 = −0.34, η = −1.6 (slope −1/3 below it, +1/3 above)."""
    assert empirical_cvar([-1.6, 0.29], 0.75) == pytest.approx((0.29, 0.29))
    cvar, eta = empirical_cvar([-1.6, 0.29], 0.25)
    assert cvar == pytest.approx((0.5 * 0.29 - 0.25 * 1.6) / 0.75)
    assert eta == pytest.approx(-1.6)
    assert empirical_cvar([3.0, 1.0, 2.0], 0.0) == pytest.approx((2.0, 1.0))  # α = 0: the mean


@pytest.mark.parametrize(
    ("weight", "bought", "cvar"),
    [(0.0, True, 0.29e6), (1.0, True, 0.29e6), (2.2, True, 0.29e6), (2.3, False, 0.0),
     (3.0, False, 0.0)],
)  # fmt: skip
def test_cvar_weight_by_hand(two_prices, weight, bought, cvar):
    """By hand: buying in 2024-01 gives NPV_A = 21,000 × 100 − 0.5 M = 1.6 M$ and NPV_B =
    21,000 × 10 − 0.5 M = −0.29 M$; not buying gives 0 in both. Mean with the fab 0.655 M$.
    NPV loss L = −NPV; at α = 0.75 with K = 2, 1/((1−α)K) = 2, so
    CVaR = min_η η + 2 (max(0, −1.6 − η) + max(0, 0.29 − η)) = 0.29 M$ at η = 0.29 M$ (buy) and
    0 at η = 0 (do not buy). Objective 0.655 − 0.29 λ against 0: buy while λ < 0.655 / 0.29 =
    2.2586."""
    a, b = two_prices
    spec = RiskSpec(measure="npv", alpha=0.75, weight=weight)
    r = solve_saa(a, futures=[a, b], risk=spec)
    assert _bought(r) == ([("2024-01", 1)] if bought else [])
    assert r.cvar == pytest.approx(cvar, abs=1.0)
    if weight > 0:  # η is in the model only with the CVaR term
        assert r.eta == pytest.approx(cvar, abs=1.0)
    assert r.objective == pytest.approx(0.655e6 if bought else 0.0, abs=1.0)
    assert r.mean_npv == pytest.approx(r.objective, abs=1.0)


@pytest.mark.parametrize(("limit", "bought"), [(0.3e6, True), (0.29e6 + 1.0, True), (0.2e6, False)])
def test_cvar_limit_by_hand(two_prices, limit, bought):
    """CVaR ≤ c: buying has CVaR 0.29 M$ (above), so it is allowed for c ≥ 0.29 M$ only."""
    a, b = two_prices
    r = solve_saa(a, futures=[a, b], risk=RiskSpec(alpha=0.75, limit=limit))
    assert _bought(r) == ([("2024-01", 1)] if bought else [])
    assert r.cvar <= limit + 1.0


@pytest.fixture(scope="module")
def two_commitments():
    """Same price (100 $); the partners commit 1 M$ in future A but 0.3 M$ in B, with a debt
    line of 1 M$."""
    return (
        fab_for_sale(100.0, commitment=1.0e6, debt_limit=1.0e6),
        fab_for_sale(100.0, commitment=0.3e6, debt_limit=1.0e6),
    )


def test_shortfall_probability_by_hand(two_commitments):
    """Buying pays 0.5 M$ in 2024-01: in B the 0.3 M$ committed fall 0.2 M$ short, so debt is
    drawn (peak 0.2 M$ and its interest, repaid from the sales that start in 2024-04). Without a limit, or with
    P(shortfall) ≤ 0.5 (⌊0.5 × 2⌋ = 1 future may fall short), the fab is bought (NPV ≈ 1.6 M$ in
    both, B less a little interest); with P ≤ 0.4 (⌊0.8⌋ = 0 futures) nothing can be bought
    (every start needs the 0.5 M$ at once) and the objective is 0."""
    a, b = two_commitments
    free = solve_saa(a, futures=[a, b])
    assert _bought(free) == [("2024-01", 1)]
    peak = free.futures["peak_debt"].to_numpy()
    assert peak[0] == pytest.approx(0.0, abs=1.0)
    assert 0.2e6 < peak[1] < 0.21e6  # 0.2 M$ and the interest on it until the sales repay it
    assert free.shortfall_share == 0.5
    half = solve_saa(a, futures=[a, b], risk=RiskSpec(shortfall_probability=0.5))
    assert _bought(half) == [("2024-01", 1)]
    assert half.objective == pytest.approx(free.objective, rel=1e-9)
    none = solve_saa(a, futures=[a, b], risk=RiskSpec(shortfall_probability=0.4))
    assert _bought(none) == [] and none.shortfall_share == 0.0
    assert none.objective == pytest.approx(0.0, abs=1.0)
    assert 1.5e6 < free.objective < 1.6e6


def test_funding_cvar_limit_by_hand(two_commitments):
    """CVaR of the funding need (peak debt) at α = 0.5: the worse half is B's 0.2 M$ (and
    interest). A limit
    of 0.1 M$ forbids the purchase; 0.25 M$ allows it."""
    a, b = two_commitments
    tight = solve_saa(a, futures=[a, b], risk=RiskSpec(measure="funding", alpha=0.5, limit=0.1e6))
    assert _bought(tight) == []
    loose = solve_saa(a, futures=[a, b], risk=RiskSpec(measure="funding", alpha=0.5, limit=0.25e6))
    assert _bought(loose) == [("2024-01", 1)]
    assert loose.cvar == pytest.approx(loose.futures["peak_debt"].max(), abs=1.0)
    assert 0.2e6 < loose.cvar < 0.21e6


@pytest.mark.parametrize(
    "kwargs",
    [{"alpha": 1.0}, {"alpha": -0.1}, {"weight": -1.0}, {"measure": "irr"},
     {"shortfall_probability": 1.5}, {"limit": float("nan")}],
)  # fmt: skip
def test_bad_risk_options_are_refused(kwargs):
    with pytest.raises(UsageError):
        RiskSpec(**kwargs)


def test_zero_weight_adds_nothing(two_prices):
    a, b = two_prices
    plain = solve_saa(a, futures=[a, b])
    same = solve_saa(a, futures=[a, b], risk=RiskSpec(weight=0.0))
    assert plain.size == same.size
    assert np.isclose(plain.objective, same.objective)
