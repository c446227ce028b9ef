"""Customers: demand per product over time, priority, contracts and prices."""

from __future__ import annotations

from pydantic import Field

from fabnet.scenario._base import Series, StrictModel

__all__ = ["Customer"]


class Customer(StrictModel):
    """A buyer of accelerators."""

    name: str = Field(min_length=1, description="Unique customer name.")
    priority: int = Field(1, ge=1, le=10, description="1 is served first.")
    demand: dict[str, Series] = Field(
        default_factory=dict, description="Units wanted per month, by product."
    )
    contracted: dict[str, Series] = Field(
        default_factory=dict, description="Contracted minimum units per month, by product."
    )
    price_usd: dict[str, float] = Field(
        default_factory=dict, description="Price paid per unit by product (default: list price)."
    )
    investor: str | None = Field(None, description="Investor whose commitment gives it offtake.")
