"""The parts of a complete cash flow beyond capex and operations: terminal value, grants, newcomer.

* :class:`TerminalValue` — what the network is worth at the horizon: perpetuity growth
  (Gordon: :math:`TV = CF_{T+1}/(r-g)`) or an exit multiple of the last year's EBITDA, or
  nothing (``none``, the default, as before these fields existed).
* :class:`Grant` — public money as a share of capex, by region or by site (e.g. the US CHIPS
  Act or Japan's subsidies for TSMC's Kumamoto fab), paid with the capex it matches.
* :class:`Newcomer` — a new entrant learns yield later and slower and builds dearer than the
  incumbent whose figures the nodes carry: a defect-density premium, a delayed start of
  learning, and a capex premium, per site.

Income tax, loss carry-forward and sustaining capex are fields of
:class:`fabnet.scenario.Financing`; the licence fee per wafer is a field of
:class:`fabnet.scenario.ProcessNode`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import Number, StrictModel

__all__ = ["Grant", "Newcomer", "TerminalValue"]


class TerminalValue(StrictModel):
    """Value of the network after the horizon, added to the last bucket's cash flow."""

    method: Literal["none", "perpetuity", "exit_multiple"] = Field(
        "none", description="none (off), perpetuity (Gordon growth) or exit_multiple."
    )
    growth: Number = Field(
        0.02,
        ge=-0.5,
        le=0.5,
        description="perpetuity: growth per year of the free cash flow after the horizon [-]; "
        "must be below policy.discount_rate.",
    )
    multiple: Number = Field(
        8.0, ge=0, le=100, description="exit_multiple: enterprise value / last year's EBITDA [-]."
    )


class Grant(StrictModel):
    """Public money as a share of capex spent in a region or at a site."""

    name: str = Field(min_length=1, description="Unique grant name.")
    region: str | None = Field(None, description="Region whose fabs it covers (or give site).")
    site: str | None = Field(None, description="Site it covers (or give region).")
    share_of_capex: Number = Field(gt=0, le=1, description="Share of capex paid by the grant [-].")
    cap_usd: Number | None = Field(None, ge=0, description="Most it pays in total [USD].")
    applies_to_packaging: bool = Field(
        False, description="Also covers own packaging-line expansions in that region/site."
    )


class Newcomer(StrictModel):
    """How much worse a new entrant does at a site than the incumbent figures of its nodes."""

    d0_start_factor: Number = Field(
        1.0, ge=1, le=10, description="Multiplies the node's start defect density [-]."
    )
    d0_mature_factor: Number = Field(
        1.0, ge=1, le=10, description="Multiplies the node's mature defect density [-]."
    )
    learning_delay_months: int = Field(
        0, ge=0, le=60, description="Months after first output before learning begins."
    )
    capex_premium: Number = Field(
        0.0, ge=0, le=3, description="Extra capex over the site's stated figures [-] (0.2 = +20 %)."
    )
