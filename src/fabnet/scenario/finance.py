"""Money: investors and their commitments, debt, depreciation lives, tax, terminal value, grants."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import Month, Number, StrictModel
from fabnet.scenario.cashflow import Grant, TerminalValue
from fabnet.scenario.limits import MAX_SERIES_POINTS, MAX_USD

__all__ = ["Financing", "Investor", "PayIn"]


class PayIn(StrictModel):
    """One payment of an investor's commitment."""

    month: Month
    amount_usd: Number = Field(ge=0, le=MAX_USD)


class Investor(StrictModel):
    """A partner who commits money."""

    name: str = Field(min_length=1, description="Unique investor name.")
    commitment_usd: Number = Field(ge=0, le=MAX_USD, description="Total commitment [USD].")
    pay_in: list[PayIn] = Field(
        default_factory=list,
        max_length=MAX_SERIES_POINTS,
        description="Payment schedule; empty: all at the start.",
    )
    terms: Literal["equity", "offtake", "debt"] = Field("equity")
    equity_share: Number | None = Field(None, ge=0, le=1, description="Share of equity [-].")


class Financing(StrictModel):
    """Debt, accounting conventions and the rest of a complete cash flow.

    Income tax is ``tax_rate`` times profit after depreciation (straight line on the equipment
    and building lives) less losses carried forward (for ``tax_loss_carry_forward_years``, none:
    without limit); see :func:`fabnet.econ.income_tax`.
    """

    debt_limit_usd: Number = Field(
        0.0, ge=0, le=MAX_USD, description="Most debt outstanding [USD]."
    )
    debt_rate: Number = Field(0.07, ge=0, le=1, description="Interest per year [-].")
    equipment_share: Number = Field(0.75, ge=0, le=1, description="Equipment share of fab capex.")
    equipment_life_years: Number = Field(5.0, gt=0, le=40)
    building_life_years: Number = Field(20.0, gt=0, le=60)
    tax_rate: Number = Field(0.0, ge=0, le=1, description="Income tax on profit [-].")
    minimum_cash_usd: Number = Field(0.0, ge=0, le=MAX_USD, description="Cash floor [USD].")
    tax_loss_carry_forward_years: int | None = Field(
        None, ge=0, le=50, description="Years a tax loss can be carried forward (none: no limit)."
    )
    sustaining_capex_share: Number = Field(
        0.0,
        ge=0,
        le=0.5,
        description="Capex per year to keep installed capacity running, as a share of the "
        "capex installed so far [-/year].",
    )
    terminal_value: TerminalValue = Field(
        default_factory=TerminalValue, description="Value after the horizon (default: none)."
    )
    grants: list[Grant] = Field(
        default_factory=list, description="Public money as a share of capex by region or site."
    )
