"""Fab sites: existing fabs that can be bought, and greenfield sites where modules can be built."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from fabnet.scenario._base import FilePath, Month, Number, StrictModel
from fabnet.scenario.cashflow import Newcomer
from fabnet.scenario.limits import MAX_QUANTITY, MAX_UNIT_PRICE_USD, MAX_USD

__all__ = ["ExistingFab", "Fab", "GreenfieldSite", "NodeCapex", "RetoolOption"]


class RetoolOption(StrictModel):
    """Re-equipping a bought fab for another node."""

    node: str = Field(description="Target node name.")
    capex_usd: Number = Field(ge=0, le=MAX_USD, description="Retooling capex [USD].")
    months: int = Field(ge=0, le=120, description="Months from purchase to first output at node.")
    capacity_wspm: Number | None = Field(
        None,
        ge=0,
        le=MAX_QUANTITY,
        description="Wafer starts per month at the target node (default: unchanged).",
    )


class ExistingFab(StrictModel):
    """A fab (or shell) in operation elsewhere that the venture can buy."""

    kind: Literal["existing"] = "existing"
    name: str = Field(min_length=1, description="Unique site name.")
    owner: str = Field("", description="Current owner.")
    region: str = Field(description="Region, e.g. 'US', 'Taiwan', 'Japan', 'Gulf'.")
    node: str = Field(description="Node it runs today.")
    capacity_wspm: Number = Field(
        ge=0, le=MAX_QUANTITY, description="Wafer starts per month at today's node."
    )
    asking_price_usd: Number = Field(ge=0, le=MAX_USD, description="Purchase price [USD].")
    available_from: Month | None = Field(None, description="Earliest purchase month.")
    months_to_first_output: int = Field(
        12, ge=0, le=120, description="Months from purchase to first output at today's node."
    )
    retool: list[RetoolOption] = Field(
        default_factory=list, max_length=50, description="Retooling options."
    )
    opex_per_wafer_usd: Number = Field(
        ge=0, le=MAX_UNIT_PRICE_USD, description="Operating cost per wafer start [USD]."
    )
    ramp_months: int = Field(6, ge=0, le=60, description="Months from first output to full rate.")
    operating_curve: FilePath | None = Field(
        None, description="Operating-curve JSON from `fabnet fab curve` (derates capacity)."
    )
    newcomer: Newcomer | None = Field(
        None, description="A new entrant's yield and capex handicap at this site (none: none)."
    )


class NodeCapex(StrictModel):
    """What a greenfield module for one node costs at a site."""

    node: str = Field(description="Node name.")
    capex_per_kwspm_usd: Number = Field(
        gt=0, le=MAX_USD, description="Capex per 1,000 wafer starts per month of capacity [USD]."
    )


class GreenfieldSite(StrictModel):
    """A site where new fab modules (phases) can be built."""

    kind: Literal["greenfield"] = "greenfield"
    name: str = Field(min_length=1, description="Unique site name.")
    region: str = Field(description="Region, e.g. 'US', 'Taiwan', 'Japan', 'Gulf'.")
    nodes: list[NodeCapex] = Field(
        min_length=1, max_length=100, description="Nodes a module can be built for."
    )
    module_wspm: Number = Field(
        gt=0, le=MAX_QUANTITY, description="Capacity of one module [wafer starts/month]."
    )
    lead_time_months: int = Field(
        ge=0, le=180, description="Construction + tool install, start to first output [months]."
    )
    ramp_curve: list[Number] = Field(
        default_factory=lambda: [0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1.0],
        max_length=480,
        description="Fraction of module capacity in each month after first output (then 1.0).",
    )
    max_modules: int = Field(ge=0, le=50, description="Most modules the site can hold.")
    opex_per_wafer_usd: Number = Field(
        ge=0, le=MAX_UNIT_PRICE_USD, description="Operating cost per wafer start [USD]."
    )
    earliest_start: Month | None = Field(None, description="Earliest construction start.")
    operating_curve: FilePath | None = Field(
        None, description="Operating-curve JSON from `fabnet fab curve` (derates capacity)."
    )
    newcomer: Newcomer | None = Field(
        None, description="A new entrant's yield and capex handicap at this site (none: none)."
    )


Fab = Annotated[ExistingFab | GreenfieldSite, Field(discriminator="kind")]
