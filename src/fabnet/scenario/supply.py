"""Outside and own supply of the scarce parts: advanced packaging (CoWoS-class) and HBM."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import FractionPath, Number, Series, StrictModel
from fabnet.scenario.limits import MAX_QUANTITY, MAX_UNIT_PRICE_USD, MAX_USD

__all__ = ["HBMSupply", "PackagingLine"]


class PackagingLine(StrictModel):
    """CoWoS-class packaging: booked outside slots or an own line that can be expanded."""

    name: str = Field(min_length=1, description="Unique line name.")
    kind: str = Field(description="Packaging kind products refer to (e.g. 'CoWoS').")
    owner: Literal["outsourced", "own"] = Field(description="Bought slots or own line.")
    capacity_wpm: Series = Field(
        0.0, description="Interposer wafers per month available [wafers/month]."
    )
    cost_per_wafer_usd: Number = Field(
        ge=0, le=MAX_UNIT_PRICE_USD, description="Cost per interposer wafer [USD]."
    )
    assembly_yield: FractionPath = Field(
        0.98,
        description="Good packages / assembled [-]: one fraction, or a dated path "
        "{YYYY-MM: fraction} for a line whose yield ramps (straight lines between the points, "
        "flat before the first and after the last).",
    )
    expansion_capex_per_kwpm_usd: Number | None = Field(
        None,
        gt=0,
        le=MAX_USD,
        description="Capex to add 1,000 wafers/month (own lines) [USD]; none: fixed.",
    )
    expansion_lead_time_months: int = Field(18, ge=0, le=120, description="Build time [months].")
    max_expansion_wpm: Number = Field(
        0.0, ge=0, le=MAX_QUANTITY, description="Most capacity that can be added."
    )


class HBMSupply(StrictModel):
    """HBM stacks a supplier can sell to the venture."""

    name: str = Field(min_length=1, description="Unique supplier name.")
    hbm_type: str = Field("HBM3", description="Generation (products ask for one).")
    stacks_per_month: Series = Field(description="Stacks available per month.")
    price_usd: Number = Field(ge=0, le=MAX_UNIT_PRICE_USD, description="Price per stack [USD].")
