"""Strategies side by side: buy only, build only, mixed — same scenario, same objective and policy.

One row per strategy: first good accelerator, accelerators delivered per year, shortage left,
capex, NPV, cost per accelerator (capex + opex + interest over the horizon / units delivered) and
the funding gap (peak debt beyond the partners' commitments, with its first and peak month; see
:mod:`fabnet.plan.tables`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from fabnet.errors import InfeasibleError
from fabnet.plan.solve import solve_plan
from fabnet.scenario import Scenario

__all__ = ["compare_strategies"]


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
        s = res.summary
        row: dict[str, Any] = {
            "strategy": strategy,
            "status": s["status"],
            "first_good_accelerator": s["first_good_accelerator"],
        }
        for year, units in s["delivered_by_year"].items():
            row[f"delivered_{year}"] = units
        row.update(
            shortage=sum(s["shortage_by_customer"].values()),
            capex=s["capex_total"],
            npv=s["npv"],
            cost_per_accelerator=s["cost_per_accelerator"],
            funding_gap=s["funding_gap"],
            funding_gap_first_month=s["funding_gap_first_month"],
            funding_gap_peak_month=s["funding_gap_peak_month"],
        )
        rows.append(row)
    return pd.DataFrame(rows), results
