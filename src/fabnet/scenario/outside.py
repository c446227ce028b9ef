"""Supply bought from outside while the venture's own fabs are built: foundry wafers and packaging.

An outside foundry sells processed wafers of one node at its price, within a monthly minimum and
maximum that change over time, ``lead_time_months`` after the order, at *its own* mature defect
density (no learning reset: the wafers come from a running line). A take-or-pay commitment is
paid whether or not the venture uses the wafers. Outside packaging houses (CoWoS-class OSATs)
offer interposer-wafer capacity over time at a price.

The venture pays the foundry; whether it earns on the wafers depends on its customers' revenue
models (:mod:`fabnet.scenario.revenue`): a foundry-terms customer pays the venture's price list,
so bought-in wafers earn the difference between the two prices.
"""

from __future__ import annotations

from pydantic import Field

from fabnet.scenario._base import FractionPath, Month, Number, Series, StrictModel

__all__ = ["OutsideFoundry", "OutsidePackaging"]


class OutsideFoundry(StrictModel):
    """Processed wafers of one node bought from another foundry."""

    name: str = Field(min_length=1, description="Unique supplier name.")
    node: str = Field(description="Node of the wafers (products of that node can use them).")
    price_per_wafer_usd: Series = Field(description="Price per processed wafer [USD].")
    max_wafers_per_month: Series = Field(description="Most wafers it sells per month.")
    min_wafers_per_month: Series = Field(
        0.0,
        description="Smallest monthly order under a supply agreement [wafers/month]; the "
        "agreement is signed or not for the whole horizon (not signed: no wafers at all).",
    )
    take_or_pay_wafers_per_month: Series = Field(
        0.0, description="Wafers paid for each month whether ordered or not [wafers/month]."
    )
    lead_time_months: int = Field(
        4, ge=0, le=24, description="Months from order (wafer start) to wafers out."
    )
    d0_per_cm2: Number | None = Field(
        None, ge=0, le=10, description="The foundry's defect density; none: the node's mature D0."
    )
    line_yield: Number | None = Field(
        None, gt=0, le=1, description="Wafers that come out whole [-]; none: the node's."
    )
    available_from: Month | None = Field(None, description="First month an order can be placed.")
    available_until: Month | None = Field(None, description="Last month an order can be placed.")
    region: str = Field("", description="Where the wafers are made (for reports).")


class OutsidePackaging(StrictModel):
    """CoWoS-class packaging capacity bought from an outside packaging house (OSAT)."""

    name: str = Field(min_length=1, description="Unique packaging-house name.")
    kind: str = Field(description="Packaging kind products refer to (e.g. 'CoWoS').")
    capacity_wpm: Series = Field(description="Interposer wafers per month it can take.")
    price_per_wafer_usd: Series = Field(description="Price per interposer wafer [USD].")
    assembly_yield: FractionPath = Field(
        0.97,
        description="Good packages / assembled [-]: one fraction, or a dated path "
        "{YYYY-MM: fraction} for a line whose yield ramps (straight lines between the points, "
        "flat before the first and after the last).",
    )
    lead_time_months: int = Field(
        1, ge=0, le=12, description="Months from die bank to finished packages."
    )
    available_from: Month | None = Field(None, description="First month it takes orders.")
