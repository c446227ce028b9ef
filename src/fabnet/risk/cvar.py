"""Risk-aware terms of the sample-average model: CVaR (Rockafellar–Uryasev) and a chance limit.

**CVaR.** For losses :math:`L_1, \\dots, L_K` of K equiprobable futures and a level
:math:`\\alpha \\in [0, 1)`, the conditional value at risk (the mean of the worst
:math:`1-\\alpha` of the futures) is

.. math::

    \\mathrm{CVaR}_\\alpha(L) = \\min_{\\eta} \\; \\eta + \\frac{1}{(1-\\alpha)K}
        \\sum_{k=1}^{K} \\max(0, L_k - \\eta)

(Rockafellar & Uryasev, "Optimization of conditional value-at-risk", J. Risk 2(3), 2000, Thm 1;
the minimising :math:`\\eta` is the value at risk). In a maximisation it becomes linear with
:math:`\\eta` free and :math:`s_k \\ge L_k - \\eta`, :math:`s_k \\ge 0` (:func:`add_cvar`). The
loss is either the NPV loss :math:`L_k = -\\mathrm{NPV}_k` (``measure="npv"``) or the funding
need beyond the partners' commitments, the peak debt :math:`L_k = \\max_t D_{k,t}`
(``measure="funding"``, an extra variable :math:`P_k \\ge D_{k,t}` per future). It enters the
robust plan as a weighted term, :math:`\\max\\; \\bar z - \\lambda\\,\\mathrm{CVaR}_\\alpha(L)`
(mean-risk, Ahmed, "Convexity and decomposition of mean-risk stochastic programs", Math. Program.
106, 2006), or as a limit :math:`\\mathrm{CVaR}_\\alpha(L) \\le c`.

**Chance limit** on the probability that the commitments fall short (debt is drawn in some
bucket): a binary :math:`y_k` per future with :math:`D_{k,t} \\le M y_k` and
:math:`\\sum_k y_k \\le \\lfloor \\varepsilon K \\rfloor` (the SAA of
:math:`P(\\text{shortfall}) \\le \\varepsilon`, Luedtke & Ahmed, SIAM J. Optim. 19(2), 2008).
The big-M is the debt limit itself, :math:`M = D_{max}`: every future already has
:math:`D_{k,t} \\le D_{max}`, so with :math:`y_k = 1` the row adds nothing and with
:math:`y_k = 0` it forces no debt — valid, and the tightest constant that is. An infinite debt
limit would have no such M (the scenario refuses one). The limit is exact (binaries), not its CVaR approximation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np

from fabnet.errors import UsageError
from fabnet.plan.model import MONEY, PlanModel

__all__ = [
    "MEASURES",
    "RiskSpec",
    "RiskTerms",
    "add_risk_terms",
    "empirical_cvar",
    "loss_values",
]

MEASURES = ("npv", "funding")
"""Losses the CVaR can be taken of: NPV loss (−NPV) or funding need beyond the commitments."""


@dataclass(frozen=True)
class RiskSpec:
    """Risk-aware terms of a robust plan (all optional; the default adds nothing).

    Attributes:
        measure: ``npv`` (loss = −NPV) or ``funding`` (loss = peak debt beyond the commitments).
        alpha: CVaR level in [0, 1): the mean of the worst ``1 − alpha`` of the futures.
        weight: λ ≥ 0 of the objective term ``− λ · CVaR``.
        limit: ``CVaR ≤ limit`` (USD), or ``None``.
        shortfall_probability: ε in [0, 1]: at most ``⌊ε K⌋`` futures may draw debt, or ``None``.
    """

    measure: str = "npv"
    alpha: float = 0.9
    weight: float = 0.0
    limit: float | None = None
    shortfall_probability: float | None = None

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise UsageError(
                f"--cvar-measure must be one of: {', '.join(MEASURES)} (got {self.measure!r})"
            )
        if not (isinstance(self.alpha, int | float) and 0 <= self.alpha < 1):
            raise UsageError(f"--cvar-alpha must be in [0, 1) (got {self.alpha!r})")
        if not (isinstance(self.weight, int | float) and math.isfinite(self.weight)):
            raise UsageError(f"--cvar-weight must be a number >= 0 (got {self.weight!r})")
        if self.weight < 0:
            raise UsageError(f"--cvar-weight must be >= 0 (got {self.weight!r})")
        if self.limit is not None and not math.isfinite(self.limit):
            raise UsageError(f"--cvar-limit must be a finite amount in USD (got {self.limit!r})")
        eps = self.shortfall_probability
        if eps is not None and not (isinstance(eps, int | float) and 0 <= eps <= 1):
            raise UsageError(f"--shortfall-probability must be in [0, 1] (got {eps!r})")

    @property
    def has_cvar(self) -> bool:
        """Whether the model needs the CVaR variables (a weight or a limit)."""
        return self.weight > 0 or self.limit is not None

    @property
    def active(self) -> bool:
        return self.has_cvar or self.shortfall_probability is not None


@dataclass(frozen=True)
class RiskTerms:
    """What :func:`add_risk_terms` added: the CVaR expression (M$) to subtract ``weight``
    times, its η and excess variables, the per-future loss expressions (M$, constants apart)
    and the shortfall binaries."""

    cvar: Any = None
    eta: linopy.Variable | None = None
    losses: list[Any] | None = None
    loss_constants: list[float] | None = None
    shortfall: list[linopy.Variable] | None = None


def _peak_debt(pm: PlanModel, i: int) -> linopy.Variable:
    """``Peak-debt@f<i>`` ≥ the debt of every bucket (M$)."""
    peak = pm.m.add_variables(lower=0, name=f"Peak-debt@f{i}")
    pm.m.add_constraints(peak - pm.var("Debt") >= 0, name=f"Peak-debt-rows@f{i}")
    return peak


def add_risk_terms(m: linopy.Model, pms: Sequence[PlanModel], spec: RiskSpec) -> RiskTerms:
    """Add the CVaR and chance rows of ``spec`` over the futures ``pms`` (module docstring)."""
    k = len(pms)
    terms: dict[str, Any] = {}
    if spec.has_cvar:
        losses: list[Any] = []
        consts: list[float] = []
        for i, pm in enumerate(pms):
            if spec.measure == "npv":
                losses.append(-1.0 * pm.ex["npv"])
                consts.append(-pm.const.get("npv", 0.0))
            else:
                losses.append(1.0 * _peak_debt(pm, i))
                consts.append(0.0)
        eta = m.add_variables(lower=-np.inf, name="CVaR-eta")
        excess = [m.add_variables(lower=0, name=f"CVaR-excess@f{i}") for i in range(k)]
        for i, (loss, c) in enumerate(zip(losses, consts, strict=True)):
            # s_k ≥ L_k − η  ⇔  s_k − loss_expr + η ≥ loss constant
            m.add_constraints(excess[i] - loss + eta >= c, name=f"CVaR-excess-row@f{i}")
        scale = 1.0 / ((1.0 - spec.alpha) * k)
        cvar = 1.0 * eta
        for s in excess:
            cvar = cvar + scale * s
        if spec.limit is not None:
            m.add_constraints(cvar <= spec.limit / MONEY, name="CVaR-limit")
        terms.update(cvar=cvar, eta=eta, losses=losses, loss_constants=consts)
    if spec.shortfall_probability is not None:
        terms["shortfall"] = _add_chance(m, pms, spec.shortfall_probability)
    return RiskTerms(**terms)


def _add_chance(m: linopy.Model, pms: Sequence[PlanModel], eps: float) -> list[linopy.Variable]:
    """Binary ``Shortfall@f<i>`` per future; debt only where it is 1; at most ⌊εK⌋ of them."""
    ys = []
    for i, pm in enumerate(pms):
        big_m = float(pm.d.ds.attrs["debt_limit"]) / MONEY
        if not math.isfinite(big_m):  # pragma: no cover - the scenario refuses one
            raise UsageError(
                "the shortfall-probability limit needs a finite financing.debt_limit_usd "
                "(its big-M): give the scenario one"
            )
        y = m.add_variables(binary=True, name=f"Shortfall@f{i}")
        m.add_constraints(pm.var("Debt") - big_m * y <= 0, name=f"Shortfall-rows@f{i}")
        ys.append(y)
    count: Any = 1.0 * ys[0]
    for y in ys[1:]:
        count = count + y
    m.add_constraints(count <= math.floor(eps * len(pms) + 1e-9), name="Shortfall-count")
    return ys


def empirical_cvar(losses: Sequence[float] | np.ndarray, alpha: float) -> tuple[float, float]:
    """``(CVaR, η)`` of equiprobable ``losses`` at level ``alpha``: the Rockafellar–Uryasev
    function is convex and piecewise linear with breakpoints at the losses, so its minimum is
    at one of them (the smallest minimiser is returned as η, the value at risk)."""
    x = np.sort(np.asarray(losses, dtype=float))
    if x.size == 0:
        raise UsageError("CVaR of no futures")
    scale = 1.0 / ((1.0 - alpha) * x.size)
    values = x + scale * np.maximum(x[None, :] - x[:, None], 0.0).sum(axis=1)
    best = float(values.min())
    return best, float(x[int(np.flatnonzero(values <= best + 1e-9 * max(1.0, abs(best)))[0])])


def loss_values(futures: Any, measure: str) -> np.ndarray:
    """Per-future losses (USD) of a futures table (``npv``, ``peak_debt`` columns)."""
    if measure == "npv":
        return -np.asarray(futures["npv"], dtype=float)
    return np.asarray(futures["peak_debt"], dtype=float)
