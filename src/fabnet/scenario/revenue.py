"""How the venture is paid: revenue models, foundry price lists, take-or-pay and prepayments.

A fab network that makes chips *for other companies* is paid like a foundry and packaging house
(the customer owns the design), or cost-plus by the partners who fund it; selling a finished
accelerator at a price (``merchant``) is right only where the network sells its own product.

Three revenue models, chosen per customer (:attr:`Customer.revenue`) and, where a product is
paid differently, per customer and product (:attr:`Customer.revenue_by_product`):

* ``merchant`` — a finished accelerator at a price: ``customers[*].price_usd`` (default: the
  product's ``list_price_usd``) times the product's ``price_index`` at the month of sale.
  This is fabnet's behaviour before revenue models existed, so it is the default.
* ``foundry`` — the customer owns the design and pays, per good accelerator delivered
  (:func:`fabnet.econ.foundry_unit_price`):

  .. math::

      P = \\frac{W_n\\,n_\\mathrm{die}}{\\mathrm{GDPW}} + \\frac{K}{n_\\mathrm{pkg}}
          + n_\\mathrm{hbm} P_\\mathrm{hbm} (1 + m_\\mathrm{hbm}) + T

  with :math:`W_n` the price list's wafer price of the product's node at that month, GDPW the
  good dies per wafer at the node's mature yield (the agreed yield of a good-die contract: the
  venture carries the yield loss of its own learning), :math:`K` the price per interposer
  wafer of CoWoS-class packaging over the packages per interposer wafer, the HBM passed through
  at the cheapest supplier's price with mark-up :math:`m_\\mathrm{hbm}`, and :math:`T` the test
  price (default: the product's ``test_cost_usd``, i.e. at cost).
* ``cost_plus`` — the partner pays the agreed (open-book) cost of a good accelerator plus a
  margin: the agreed wafer cost by node in place of :math:`W_n`, packaging at the price list's
  rate, HBM and test at cost, all times :math:`(1 + \\mathrm{margin})`
  (:func:`fabnet.econ.cost_plus_unit_price`).

Contract terms that finance such networks: ``take_or_pay`` (units a month the customer pays for
whether or not it takes them, at its unit price) and ``prepayments`` (money paid before delivery
and recovered against later invoices, a share of each invoice at a time).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import Month, Number, Series, StrictModel

__all__ = ["REVENUE_MODELS", "Prepayment", "PriceList", "RevenueModel", "RevenueTerms"]

RevenueModel = Literal["merchant", "foundry", "cost_plus"]
REVENUE_MODELS: tuple[str, ...] = ("merchant", "foundry", "cost_plus")


class PriceList(StrictModel):
    """The venture's foundry and packaging prices (what a customer owning the design pays)."""

    name: str = Field(min_length=1, description="Unique price-list name.")
    wafer_price_usd: dict[str, Series] = Field(
        default_factory=dict,
        description="Price per processed wafer by node [USD/wafer], a series over time.",
    )
    packaging_price_per_interposer_wafer_usd: Series = Field(
        0.0,
        description="CoWoS-class packaging price per interposer wafer [USD]; per package it is "
        "this over the product's packages_per_interposer_wafer.",
    )
    hbm_markup: Number = Field(
        0.0, ge=0, le=2, description="Mark-up on HBM passed through at cost [-] (0: at cost)."
    )
    test_price_usd: Series | None = Field(
        None, description="Final test price per package [USD]; none: the product's test_cost_usd."
    )


class RevenueTerms(StrictModel):
    """How one customer (or one customer's product) pays."""

    model: RevenueModel = Field("merchant", description="merchant, foundry or cost_plus.")
    price_list: str | None = Field(
        None, description="foundry/cost_plus: the price list used (none: the scenario's first)."
    )
    hbm_markup: Number | None = Field(
        None, ge=0, le=2, description="Overrides the price list's HBM mark-up [-]."
    )
    margin: Number = Field(
        0.0, ge=0, le=5, description="cost_plus: margin over the agreed cost [-] (0.15 = 15 %)."
    )
    wafer_cost_usd: dict[str, Series] = Field(
        default_factory=dict,
        description="cost_plus: agreed (open-book) cost per wafer by node [USD/wafer].",
    )


class Prepayment(StrictModel):
    """Money a customer pays before delivery, recovered against its later invoices."""

    month: Month = Field(description="Month the prepayment is received.")
    amount_usd: Number = Field(ge=0, description="Amount received [USD].")
    recovery_share: Number = Field(
        0.25,
        gt=0,
        le=1,
        description="Share of each later invoice of this customer credited against the "
        "prepayment until it is used up [-].",
    )
