"""The plan's deterministic figures beside their distribution over the futures, and why they
differ (the ``plan`` part of ``fabnet risk --json`` and of the risk report).

The plan's figures come from the plan as solved (:func:`fabnet.risk.lp_recourse.metrics_from_plan`
on its tables: the exact recourse in the nominal future) or, for an earlier plan whose tables
are not at hand, from the fast recourse in the nominal future (every uncertainty at its base
value). ``funding_need`` is the peak of the cumulative spend before partners' money,
:math:`\\max_t \\sum_{\\tau \\le t} (\\text{capex} + \\text{sustaining} + \\text{opex} + \\text{tax}
- \\text{revenue} - \\text{grants} - \\text{prepayments})`; ``commitments`` is the sum of the
partners' pay-ins; ``start`` the horizon's first month (``first_good_month`` counts from it). The sentences say where the plan's figure falls in the distribution (the
share of futures below it) and what the plan's figure assumes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from fabnet.risk.evaluate import RiskResult
from fabnet.risk.model import RiskModel
from fabnet.risk.recourse import evaluate_draws, identity_draws

__all__ = ["PLAN_KEYS", "explain", "plan_figures"]

PLAN_KEYS = (
    "source",
    "start",
    "npv",
    "irr",
    "capex",
    "funding_need",
    "funding_gap",
    "commitments",
    "delivered_total",
    "shortage_total",
    "first_good_month",
)
"""Keys of the ``plan`` part of the summary, in order."""


def _f(x: Any) -> float | None:
    v = float(np.asarray(x).reshape(-1)[0])
    return v if math.isfinite(v) else None


def plan_figures(model: RiskModel, plan: Any | None = None) -> dict[str, Any]:
    """The plan's deterministic figures (see the module docstring); ``plan`` is the solved
    :class:`fabnet.plan.PlanResult` when there is one."""
    if plan is not None:
        from fabnet.risk.lp_recourse import metrics_from_plan

        row, source = metrics_from_plan(plan, model), "plan"
    else:
        row, source = evaluate_draws(model, identity_draws(model)), "nominal future (fast recourse)"
    return {
        "source": source,
        "start": model.bucket_labels[0],
        "npv": _f(row["npv"]),
        "irr": _f(row["irr"]),
        "capex": _f(row["capex_total"]),
        "funding_need": _f(row["funding_need"]),
        "funding_gap": _f(row["funding_gap"]),
        "commitments": float(model.values("investor_pay_in").sum()),
        "delivered_total": _f(row["delivered_total"]),
        "shortage_total": _f(row["shortage_total"]),
        "first_good_month": _f(row["first_good_month"]),
    }


def _share_below(result: RiskResult, name: str, value: float) -> float:
    """Share of the futures whose figure is below ``value`` (from the stored quantiles)."""
    st = result.stats[name]
    qs = np.linspace(0.0, 1.0, 201)
    values = np.array([st.quantile(q)[0] for q in qs])
    return float(np.interp(value, values, qs, left=0.0, right=1.0)) if values.size else math.nan


def _money(x: float) -> str:
    """``2.87e9`` → ``"2.87 B$"``, ``132e6`` → ``"132 M$"``, ``140e3`` → ``"140 k$"``."""
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.2f} B$"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.0f} M$"
    return f"{x / 1e3:,.0f} k$"


def explain(result: RiskResult, plan: dict[str, Any]) -> list[str]:
    """Sentences for a planner: the plan's figures against the futures'."""
    out = []
    npv = plan.get("npv")
    if npv is not None:
        below = _share_below(result, "npv", npv)
        p50 = result.stats["npv"].quantile(0.5)[0]
        out.append(
            f"The plan's NPV of {_money(npv)} assumes every uncertain input at its base value; "
            f"over the futures the median is {_money(p50)} and {below * 100:.0f} % of futures "
            f"fall below the plan's NPV."
        )
    need, commit = plan.get("funding_need"), plan.get("commitments", 0.0)
    if need is not None:
        ok = float(result.stats["funding_sufficient"].mean[0])
        p95 = result.stats["funding_need"].quantile(0.95)[0]
        gap = plan.get("funding_gap") or 0.0
        plan_says = (
            "the partners' pay-ins cover it as they come"
            if gap <= 1e-6 * max(commit, 1.0)
            else f"at the peak, spending runs {_money(gap)} ahead of the partners' pay-ins "
            f"and debt bridges it"
        )
        out.append(
            f"In the plan, {_money(need)} is spent before revenue covers spending, against "
            f"{_money(commit)} of partners' commitments ({plan_says}). Over the futures the "
            f"commitments suffice without debt in {ok * 100:.0f} % of futures, and in 5 % of "
            f"futures the need exceeds {_money(p95)}."
        )
    capex = plan.get("capex")
    if capex is not None:
        p5, p95 = (result.stats["capex_total"].quantile(q)[0] for q in (0.05, 0.95))
        if p95 - p5 > 1e-9 * max(abs(capex), 1.0):
            out.append(
                f"Capex is {_money(capex)} in the plan and {_money(p5)}–{_money(p95)} "
                f"(P5–P95) with the sampled overruns."
            )
        else:
            out.append(f"Capex is {_money(capex)} in every future (no overrun is sampled).")
    return out
