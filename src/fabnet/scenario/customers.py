"""Customers: demand per product over time, priority, contracts and prices."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from fabnet.scenario._base import Number, Series, StrictModel
from fabnet.scenario.limits import MAX_UNIT_PRICE_USD

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
