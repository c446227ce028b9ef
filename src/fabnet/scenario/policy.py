"""The planning policy: horizon, buckets, discounting, objective and allocation rule."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import Month, Number, StrictModel
from fabnet.scenario.limits import MAX_SECONDS, MAX_UNIT_PRICE_USD

__all__ = ["MAX_DIE_BANK_MONTHS", "Allocation", "Objective", "Policy"]

MAX_DIE_BANK_MONTHS = 60.0
"""Largest ``die_bank_months`` accepted (five years: beyond it the limit is no limit)."""

Allocation = Literal["priority", "proportional", "maxmin", "contracts"]
Objective = Literal["npv", "shortage", "cost"]


class Policy(StrictModel):
    """How the plan is made."""

    start: Month = Field("2024-01", description="First month of the horizon.")
    horizon_months: int = Field(120, ge=1, le=480, description="Length of the horizon [months].")
    bucket: Literal["month", "quarter"] = Field("month", description="Time bucket of the plan.")
    monthly_detail_months: int | None = Field(
        None,
        ge=0,
        le=480,
        description="Keep monthly buckets this long, then quarterly (None: all alike).",
    )
    discount_rate: Number = Field(0.10, ge=0, le=1, description="Discount rate per year [-].")
    objective: Objective = Field("npv")
    allocation: Allocation = Field("priority")
    contracts_then: Literal["priority", "proportional", "maxmin"] = Field(
        "priority", description="With allocation 'contracts': the rule after contracted minimums."
    )
    shortage_penalty_usd: Number = Field(
        5000.0,
        ge=0,
        le=MAX_UNIT_PRICE_USD,
        description="Penalty per unit short for a priority-1 customer [USD].",
    )
    priority_weight_ratio: Number = Field(
        2.0, ge=1, le=10, description="Penalty ratio between consecutive priority levels [-]."
    )
    max_flow_factor: Number = Field(
        3.0, gt=1, le=20, description="Cycle time / raw process time the fabs may run at."
    )
    default_utilisation: Number = Field(
        0.9, gt=0, le=1, description="Usable share of capacity when a fab has no operating curve."
    )
    die_bank_months: Number | None = Field(
        None,
        ge=0,
        le=MAX_DIE_BANK_MONTHS,
        description="Most months of a product's own die use its die bank may hold at the end of "
        "a bucket (stock ≤ months × dies used per month in that bucket); None: unlimited.",
    )
    mip_gap: Number = Field(0.01, ge=0, le=1, description="Relative MIP gap to stop at.")
    time_limit_seconds: Number = Field(
        120.0, gt=0, le=MAX_SECONDS, description="Solver time limit [s]."
    )
