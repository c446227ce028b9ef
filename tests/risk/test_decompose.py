"""Progressive hedging matches the full sample-average MIP on the two-future fab-for-sale
instance (``decide_instances.py``), the same on 1 and 2 workers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fabnet.executors import LocalExecutor
from fabnet.risk.decompose import solve_ph
from fabnet.risk.saa import solve_saa

_spec = importlib.util.spec_from_file_location(
    "decide_instances", Path(__file__).with_name("decide_instances.py")
)
assert _spec is not None and _spec.loader is not None
_inst = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_inst)
fab_for_sale = _inst.fab_for_sale


def test_progressive_hedging_matches_the_full_mip():
    """By hand: A (100 $) buys in 2024-01 (1.6 M$), B (10 $) does not (0): the wait-and-see
    bound is (1.6 + 0) / 2 = 0.8 M$. ρ = 0.5 × 0.5 M$ = 0.25 M$ per unit; x̄ = 0.5, so each
    iteration moves w_B by ρ (0 − 0.5) = −0.125 M$: B's subproblem gains |w_B| for buying and
    buys once |w_B| > 0.29 M$ (its loss), at the third iteration. The consensus (buy) held in
    both futures scores (1.6 − 0.29) / 2 = 0.655 M$ = the full MIP's optimum (tolerance: the
    policy's MIP gap, 0 here, so 1 USD). Two workers give the same numbers.

    Lagrangian bound (Gade et al. 2016) with the last multipliers on the 2024-01 purchase,
    w_A = 3 × 0.125 = 0.375 and w_B = −0.375 M$ (zero on every later purchase): A maximises
    z_A − 0.375 x: buying in 2024-01 gives 1.6 − 0.375 = 1.225, in 2024-04 (18 months,
    w = 0) 1.8 − 0.5 = 1.3 → 1.3; B: buying in 2024-01 gives −0.29 + 0.375 = 0.085 > 0 →
    0.085. L = (1.3 + 0.085) / 2 = 0.6925 M$ < 0.8: the gap falls from 18 % to 5.4 %."""
    a, b = fab_for_sale(100.0), fab_for_sale(10.0)
    full = solve_saa(a, futures=[a, b])
    results = []
    for workers in (1, 2):
        with LocalExecutor(workers) as ex:
            results.append(solve_ph(a, 2, futures=[a, b], executor=ex, iterations=5))
    one, two = results
    assert one.objective == pytest.approx(full.objective, abs=1.0)
    assert one.objective == pytest.approx(0.655e6, abs=1.0)
    assert one.ws_bound == pytest.approx(0.8e6, abs=1.0)
    assert one.lagrangian_bound == pytest.approx(0.6925e6, abs=1.0)
    assert one.bound == pytest.approx(0.6925e6, abs=1.0)
    assert one.gap == pytest.approx((0.6925 - 0.655) / 0.6925, abs=1e-6)
    assert one.iterations == 3 and one.converged
    assert one.history["disagreeing"].tolist() == [1, 1, 1, 0]
    cols = ["site", "start", "modules"]
    assert one.decisions[cols].values.tolist() == full.decisions[cols].values.tolist()
    assert two.objective == one.objective and two.bound == one.bound
    assert two.history["disagreeing"].tolist() == one.history["disagreeing"].tolist()
    assert two.workers == 2


def test_without_iterations_the_candidates_decide():
    """No PH iteration: the rounded consensus (np.round(0.5) = 0: nothing) and B's and A's own
    designs are held in both futures; the best is A's (buy), 0.655 M$, not converged."""
    a, b = fab_for_sale(100.0), fab_for_sale(10.0)
    r = solve_ph(a, 2, futures=[a, b], iterations=0)
    assert not r.converged and r.iterations == 0
    assert r.lagrangian_bound is None and r.bound == pytest.approx(0.8e6, abs=1.0)  # w = 0
    assert r.objective == pytest.approx(0.655e6, abs=1.0)
    assert sorted(r.candidates["mean_objective"].round(0).tolist()) == [0.0, 655000.0]
