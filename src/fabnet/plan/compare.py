"""Plans side by side: strategies (buy only, build only, mixed) or business models (how the
venture is paid) — same scenario otherwise, same objective and policy.

One row per variant: first good accelerator, accelerators delivered per year, shortage left,
fab builds and purchases, own packaging expansions (counted apart), capex, NPV (with and without
the terminal value), IRR, cost per accelerator and the funding gap (peak debt beyond the
partners' commitments, with its first and peak month; see :mod:`fabnet.plan.tables`).

Business models (:func:`revenue_variants`): ``as given`` (the scenario's own terms), ``foundry``
(every customer pays the scenario's first price list), ``cost_plus`` (every customer on the
first cost-plus terms the scenario states, where they price the product's node), ``merchant``
(every customer pays the finished accelerator's price, as if the venture sold the designer's
product: the answer of fabnet before revenue models, kept to show how much it overstates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from fabnet.errors import InfeasibleError, UsageError
from fabnet.plan.solve import solve_plan
from fabnet.scenario import RevenueTerms, Scenario

__all__ = ["COMPARISONS", "compare_plans", "compare_strategies", "revenue_variants"]

COMPARISONS = ("strategy", "revenue")


def revenue_variants(scenario: Scenario) -> dict[str, Scenario]:
    """The scenario under each business model (module docstring); models the scenario cannot
    express (no price list, no cost-plus terms) are left out."""
    out = {"as given": scenario}
    products = {p.name: p for p in scenario.products}

    def with_terms(pick: Any) -> Scenario:
        customers = [
            c.model_copy(
                update={
                    "revenue": RevenueTerms(),
                    "revenue_by_product": {
                        prod: pick(c, products[prod])
                        for prod in {*c.demand, *c.contracted, *c.take_or_pay}
                        if prod in products
                    },
                }
            )
            for c in scenario.customers
        ]
        return scenario.model_copy(update={"customers": customers})

    if scenario.price_lists:
        prices = scenario.price_lists[0].wafer_price_usd
        out["foundry"] = with_terms(
            lambda c, p: RevenueTerms(model="foundry") if p.node in prices else c.terms_for(p.name)
        )
    cost_plus = next(
        (t for c in scenario.customers for t in [c.revenue, *c.revenue_by_product.values()]
         if t.model == "cost_plus"),
        None,
    )  # fmt: skip
    if cost_plus is not None and scenario.price_lists:
        out["cost_plus"] = with_terms(
            lambda c, p: cost_plus if p.node in cost_plus.wafer_cost_usd else c.terms_for(p.name)
        )
    out["merchant"] = with_terms(lambda c, p: RevenueTerms(model="merchant"))
    return out


def _row(label: str, by: str, res: Any) -> dict[str, Any]:
    s = res.summary
    dec = res.decisions
    lines = set(res.data.lines)
    fabs = dec[~dec["site"].isin(lines)]
    packaging = dec[dec["site"].isin(lines)]
    row: dict[str, Any] = {
        by: label,
        "status": s["status"],
        "first_good_accelerator": s["first_good_accelerator"],
    }
    for year, units in s["delivered_by_year"].items():
        row[f"delivered_{year}"] = units
    row.update(
        shortage=sum(s["shortage_by_customer"].values()),
        fab_decisions="; ".join(
            f"{r.action} {r.site} {r.node} {r.start} x{r.modules}" for r in fabs.itertuples()
        )
        or "none",
        packaging_expansions=int(packaging["modules"].sum()) if len(packaging) else 0,
        capex=s["capex_total"],
        revenue_total=s.get("revenue_total"),
        npv=s["npv"],
        npv_without_terminal_value=s.get("npv_without_terminal_value"),
        irr=s.get("irr"),
        cost_per_accelerator=s["cost_per_accelerator"],
        funding_gap=s["funding_gap"],
        funding_gap_first_month=s["funding_gap_first_month"],
        funding_gap_peak_month=s["funding_gap_peak_month"],
    )
    return row


def compare_plans(
    scenario: Scenario,
    by: str = "strategy",
    solve: Callable[[str, Scenario, dict[str, Any]], Any] | None = None,
    **kwargs: Any,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Solve each variant (``by`` = ``strategy`` or ``revenue``); return (comparison table,
    {label: PlanResult or error text}). ``kwargs`` go to :func:`fabnet.plan.solve_plan`.

    ``solve(label, scenario, solve_kwargs)`` replaces the call of ``solve_plan`` for each variant
    (the plan pipeline solves each inside a stored run, so the run's time is the solve's)."""
    from fabnet.plan.solve import solve_plan

    if solve is None:

        def solve(_label: str, sc: Scenario, kw: dict[str, Any]) -> Any:
            return solve_plan(sc, **kw)

    if by == "strategy":
        variants: dict[str, tuple[Scenario, dict[str, Any]]] = {
            s: (scenario, {"strategy": s}) for s in ("buy", "build", "mixed")
        }
    elif by == "revenue":
        variants = {k: (v, {}) for k, v in revenue_variants(scenario).items()}
    else:
        raise UsageError(f"compare by one of {', '.join(COMPARISONS)} (got {by!r})")
    rows = []
    results: dict[str, Any] = {}
    for label, (sc, extra) in variants.items():
        try:
            res = solve(label, sc, {**extra, **kwargs})
        except InfeasibleError as exc:
            results[label] = str(exc)
            rows.append({by: label, "status": "infeasible"})
            continue
        results[label] = res
        rows.append(_row(label, by, res))
    return pd.DataFrame(rows), results


def compare_strategies(
    scenario: Scenario, strategies: tuple[str, ...] = ("buy", "build", "mixed"), **kwargs: Any
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Solve each strategy; return (comparison table, {strategy: PlanResult or error text})."""
    rows = []
    results: dict[str, Any] = {}
    for strategy in strategies:
        try:
            res = solve_plan(scenario, strategy=strategy, **kwargs)
        except InfeasibleError as exc:
            results[strategy] = str(exc)
            rows.append({"strategy": strategy, "status": "infeasible"})
            continue
        results[strategy] = res
        rows.append(_row(strategy, "strategy", res))
    return pd.DataFrame(rows), results
