"""The frontier's envelope (each weight takes the best design found by any weight's solve) and
the dominance flag, on points solved by hand."""

from __future__ import annotations

from fabnet.pipelines.decide import dominated, envelope


def test_envelope_picks_the_best_design_per_weight_by_hand():
    """Three designs (mean objective m, CVaR c, B$): A (10, 5), B (9, 2), C (9.5, 4.5) — as
    solves stopped at a gap may leave them (C, own solve of λ = 0.5, is worse than B there).
    Scores m − λc: λ = 0: A 10, B 9, C 9.5 → A; λ = 0.5: A 7.5, B 8, C 7.25 → B; λ = 1: A 5,
    B 7, C 5 → B. Along λ the CVaR goes 5, 2, 2 and the mean 10, 9, 9: never rising."""
    pts = [{"mean_objective": 10.0, "cvar": 5.0}, {"mean_objective": 9.0, "cvar": 2.0},
           {"mean_objective": 9.5, "cvar": 4.5}]  # fmt: skip
    assert envelope(pts, [0.0, 0.5, 1.0]) == [0, 1, 1]
    # a weight where two designs tie takes the first: λ = 1/3 scores A 8.33, B 8.33
    assert envelope(pts, [1 / 3]) == [0]


def test_envelope_is_monotone_on_any_points():
    """The monotonicity proved in :func:`envelope`'s docstring, checked on 200 random point
    sets and weights (CVaR and mean objective never rise with λ)."""
    import itertools

    import numpy as np

    rng = np.random.default_rng(3)
    for _ in range(200):
        pts = [{"mean_objective": float(m), "cvar": float(c)}
               for m, c in rng.normal(size=(6, 2))]  # fmt: skip
        weights = sorted(rng.uniform(0, 3, size=5))
        chosen = [pts[i] for i in envelope(pts, weights)]
        for a, b in itertools.pairwise(chosen):
            assert b["cvar"] <= a["cvar"] and b["mean_objective"] <= a["mean_objective"]


def test_dominated_by_hand():
    """(9, 3) is dominated by (9.5, 2): higher mean, lower CVaR; (9.5, 2) and (10, 5) trade
    off, and an equal point does not dominate its twin."""
    rows = [{"mean_objective": 9.0, "cvar": 3.0}, {"mean_objective": 9.5, "cvar": 2.0},
            {"mean_objective": 10.0, "cvar": 5.0}, {"mean_objective": 10.0, "cvar": 5.0}]  # fmt: skip
    assert dominated(rows) == [True, False, False, False]
