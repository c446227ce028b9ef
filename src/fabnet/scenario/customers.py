"""Customers: demand per product over time, priority, contracts, prices and how they pay.

How a customer pays (merchant, foundry or cost-plus; take-or-pay; prepayments) is described in
:mod:`fabnet.scenario.revenue`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fabnet.scenario._base import Number, Series, StrictModel
from fabnet.scenario.limits import MAX_UNIT_PRICE_USD
from fabnet.scenario.revenue import Prepayment, RevenueTerms

__all__ = ["Customer"]


class Customer(StrictModel):
    """A buyer of accelerators."""

    name: str = Field(min_length=1, description="Unique customer name.")
    priority: int = Field(1, ge=1, le=10, description="1 is served first.")
    demand: dict[str, Series] = Field(
        default_factory=dict, max_length=500, description="Units wanted per month, by product."
    )
    contracted: dict[str, Series] = Field(
        default_factory=dict,
        max_length=500,
        description="Contracted minimum units per month, by product.",
    )
    price_usd: dict[str, Annotated[Number, Field(ge=0, le=MAX_UNIT_PRICE_USD)]] = Field(
        default_factory=dict,
        max_length=500,
        description="Price paid per unit by product (default: list price).",
    )
    investor: str | None = Field(None, description="Investor whose commitment gives it offtake.")
    revenue: RevenueTerms = Field(
        default_factory=RevenueTerms,
        description="How it pays (merchant, foundry or cost_plus); default merchant.",
    )
    revenue_by_product: dict[str, RevenueTerms] = Field(
        default_factory=dict, description="Products paid differently from `revenue`."
    )
    take_or_pay: dict[str, Series] = Field(
        default_factory=dict,
        description="Units per month, by product, paid for whether or not taken.",
    )
    prepayments: list[Prepayment] = Field(
        default_factory=list, description="Money paid before delivery, recovered from invoices."
    )
    packaging_bookings: dict[str, Series] = Field(
        default_factory=dict,
        description="Packaging capacity booked per month [interposer wafers/month], keyed by "
        "packaging kind or by the name of a packaging line (`packaging` or `outside_packaging`). "
        "Either way served first, as contracted minimums of the customer's products of that kind "
        "(split by their demand in the month). Keyed by a line, also take-or-pay on that line: "
        "the customer's wafers there cost line price x max(booked, used) (a kind wins over a "
        "line of the same name).",
    )

    def terms_for(self, product: str) -> RevenueTerms:
        """The revenue terms of ``product`` (its own, else the customer's)."""
        return self.revenue_by_product.get(product, self.revenue)
