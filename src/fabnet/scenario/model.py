"""The scenario: every typed table of the world in one frozen object.

Build one with :func:`fabnet.scenario.load_scenario` (files) or :func:`Scenario.from_dict`,
which both run the consistency checks of :mod:`fabnet.scenario.checks`; constructing
``Scenario(...)`` directly validates field types only.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fabnet.scenario._base import FilePath, StrictModel, add_months, month_index
from fabnet.scenario.customers import Customer
from fabnet.scenario.fab_template import FabTemplate
from fabnet.scenario.fabs import ExistingFab, Fab, GreenfieldSite
from fabnet.scenario.finance import Financing, Investor
from fabnet.scenario.limits import MAX_COLLECTION
from fabnet.scenario.nodes import ProcessNode
from fabnet.scenario.outside import OutsideFoundry, OutsidePackaging
from fabnet.scenario.policy import Policy
from fabnet.scenario.products import Product
from fabnet.scenario.revenue import PriceList
from fabnet.scenario.supply import HBMSupply, PackagingLine
from fabnet.scenario.uncertainty import Uncertainty

__all__ = ["Scenario"]


class Scenario(StrictModel):
    """The world a plan is made for (see DESIGN.md, "Layers and data flow")."""

    name: str = Field(min_length=1, description="Scenario name.")
    description: str = ""
    policy: Policy = Field(default_factory=Policy)
    nodes: list[ProcessNode] = Field(min_length=1, max_length=MAX_COLLECTION["nodes"])
    fabs: list[Fab] = Field(default_factory=list, max_length=MAX_COLLECTION["fabs"])
    products: list[Product] = Field(min_length=1, max_length=MAX_COLLECTION["products"])
    packaging: list[PackagingLine] = Field(
        default_factory=list, max_length=MAX_COLLECTION["packaging"]
    )
    hbm: list[HBMSupply] = Field(default_factory=list, max_length=MAX_COLLECTION["hbm"])
    customers: list[Customer] = Field(min_length=1, max_length=MAX_COLLECTION["customers"])
    price_lists: list[PriceList] = Field(
        default_factory=list,
        max_length=MAX_COLLECTION["customers"],
        description="The venture's foundry prices (wafer by node, packaging, HBM mark-up, test) "
        "for customers paying on foundry or cost-plus terms.",
    )
    outside_foundries: list[OutsideFoundry] = Field(
        default_factory=list,
        max_length=MAX_COLLECTION["fabs"],
        description="Wafers that can be bought from other foundries.",
    )
    outside_packaging: list[OutsidePackaging] = Field(
        default_factory=list,
        max_length=MAX_COLLECTION["packaging"],
        description="Packaging capacity that can be bought from OSATs.",
    )
    investors: list[Investor] = Field(default_factory=list, max_length=MAX_COLLECTION["investors"])
    financing: Financing = Field(default_factory=Financing)
    uncertainties: list[Uncertainty] = Field(
        default_factory=list, max_length=MAX_COLLECTION["uncertainties"]
    )
    fab_templates: list[FabTemplate] = Field(
        default_factory=list,
        max_length=MAX_COLLECTION["fab_templates"],
        description="Fabs to simulate (`fabnet fab simulate|curve --scenario FILE --template "
        "NAME`): an SMT2020 dataset or an inline fab, with its operating curve.",
    )
    demand_table: FilePath | None = Field(
        None, description="CSV/xlsx with columns customer, product, month, units (merged on load)."
    )

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], file: str | None = None) -> Scenario:
        """Validate ``data`` (types, then cross-references and sanity); raise ScenarioError."""
        from fabnet.scenario.io import scenario_from_dict

        return scenario_from_dict(data, file=file)

    # -- lookups (pure functions of the data) -----------------------------------------------
    def node(self, name: str) -> ProcessNode:
        """The node called ``name``."""
        return _by_name(self.nodes, name, "node")

    def product(self, name: str) -> Product:
        """The product called ``name``."""
        return _by_name(self.products, name, "product")

    def customer(self, name: str) -> Customer:
        """The customer called ``name``."""
        return _by_name(self.customers, name, "customer")

    def fab(self, name: str) -> ExistingFab | GreenfieldSite:
        """The fab site called ``name``."""
        return _by_name(self.fabs, name, "fab")

    def price_list(self, name: str | None = None) -> PriceList:
        """The price list called ``name`` (``None``: the first one)."""
        if name is None:
            if not self.price_lists:
                raise KeyError("no price list defined (add one under 'price_lists')")
            return self.price_lists[0]
        return _by_name(self.price_lists, name, "price list")

    def fab_template(self, name: str) -> FabTemplate:
        """The fab template called ``name``."""
        return _by_name(self.fab_templates, name, "fab template")

    @property
    def existing_fabs(self) -> list[ExistingFab]:
        """Fabs that can be bought."""
        return [f for f in self.fabs if isinstance(f, ExistingFab)]

    @property
    def greenfield_sites(self) -> list[GreenfieldSite]:
        """Sites where modules can be built."""
        return [f for f in self.fabs if isinstance(f, GreenfieldSite)]

    @property
    def months(self) -> list[str]:
        """Every month of the horizon, ``YYYY-MM``."""
        return [add_months(self.policy.start, i) for i in range(self.policy.horizon_months)]

    @property
    def end_month(self) -> str:
        """The last month of the horizon."""
        return add_months(self.policy.start, self.policy.horizon_months - 1)

    def month_index(self, month: str) -> int:
        """Months since the start of the horizon (0 for the first month)."""
        return month_index(month, self.policy.start)


def _by_name(items: list[Any], name: str, what: str) -> Any:
    for item in items:
        if item.name == name:
            return item
    names = ", ".join(i.name for i in items)
    raise KeyError(f"no {what} named {name!r}; known: {names}")
