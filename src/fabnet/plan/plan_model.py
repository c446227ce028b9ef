"""The :class:`PlanModel` every ``define_*`` family of the planning model adds to (a linopy
model, the :class:`~fabnet.plan.data.PlanData` it is built from, named expressions), and the
model's units and constants. The families: :mod:`fabnet.plan.model` (operations),
:mod:`fabnet.plan.money` (money), :mod:`fabnet.plan.bookings` (packaging reservations)."""

from __future__ import annotations

from dataclasses import dataclass, field

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from fabnet.plan.data import PlanData

__all__ = [
    "FIRST_STAGE",
    "MONEY",
    "PREPAYMENT_RECOVERY_PULL",
    "QTY",
    "TERMINAL_WINDOW_MONTHS",
    "PlanModel",
    "previous_bucket",
]

TERMINAL_WINDOW_MONTHS = 36
"""The terminal value's base is the average year of the horizon's last 36 months (free cash
flow or EBITDA), not the last year alone: a steadier base, and a design MIP that solves in
seconds instead of a minute on the built-in scenario (the last year alone makes capacity that
comes out at the very end worth 12.75 years of cash)."""

PREPAYMENT_RECOVERY_PULL = 0.15
"""Per year, on the prepayment balance still to recover (objective only, not NPV), on top of
the scenario's discount rate and debt rate (:func:`recovery_pull_rate`): the contract recovers
``min(share × invoice, balance)`` from every invoice, and the LP's recovery is a variable at
most that, so the pull must outweigh what a dollar recovered a year later is worth to the NPV
(at most the discount rate plus the interest saved while in debt); otherwise the LP keeps the
prepayment as cheap money in the years it borrows."""

MONEY = 1e6
"""Model money unit: millions of USD."""
QTY = 1e3
"""Model quantity unit: thousands (of wafers, dies, packages, stacks, accelerators)."""
FIRST_STAGE = ("Option-units", "Expansion-blocks", "Site-max_units", "Line-max_blocks")
"""Names of the build/buy decisions and their own limits: shared by every future of a
sample-average model (:mod:`fabnet.risk.saa`), never tagged."""


@dataclass
class PlanModel:
    """A linopy model with the data it was built from and named expressions (M$ for money)."""

    m: linopy.Model
    d: PlanData
    ex: dict[str, linopy.LinearExpression] = field(default_factory=dict)
    tag: str = ""
    """Suffix of second-stage names (``"Cash@f3"``) when several futures share one model."""
    shared: dict[str, linopy.Variable] = field(default_factory=dict)
    """First-stage variables (``Option-units``, ``Expansion-blocks``) made by another future."""
    extra: dict[str, linopy.Variable] = field(default_factory=dict)
    """Second-stage variables other families refer to (the inventories, for the terminal value)."""
    const: dict[str, float] = field(default_factory=dict)
    """Constant parts (M$) of the expressions in ``ex`` of the same name (a solver objective
    takes none): ``npv`` = its expression's value + ``const["npv"]``."""

    def value(self, name: str) -> float:
        """Solved value (M$ for money) of the scalar expression ``name``, constant included."""
        return float(self.ex[name].solution.item()) + self.const.get(name, 0.0)

    # coordinates: the dataset's own indexes -----------------------------------------------
    def index(self, dim: str) -> pd.Index:
        """The labels of dimension ``dim`` of the dataset (named)."""
        return self.d.ds.indexes[dim].rename(dim)

    @property
    def bucket(self) -> pd.Index:
        return self.index("bucket")

    @property
    def product(self) -> pd.Index:
        return self.index("product")

    @property
    def customer(self) -> pd.Index:
        return self.index("customer")

    @property
    def option(self) -> pd.Index:
        return self.index("option")

    @property
    def group(self) -> pd.Index:
        return self.index("group")

    @property
    def site(self) -> pd.Index:
        return self.index("site")

    @property
    def line(self) -> pd.Index:
        return self.index("line")

    @property
    def expansion(self) -> pd.Index:
        return self.index("expansion")

    @property
    def supplier(self) -> pd.Index:
        return self.index("supplier")

    @property
    def outside(self) -> pd.Index:
        return self.index("outside")

    @property
    def grant(self) -> pd.Index:
        return self.index("grant")

    def size(self, dim: str) -> int:
        """Number of labels of ``dim`` (0 when the dataset lacks it)."""
        return int(self.d.ds.sizes.get(dim, 0))

    def da(self, name: str, scale: float = 1.0) -> xr.DataArray:
        """Variable ``name`` of the dataset divided by ``scale`` (``QTY``, ``MONEY``)."""
        arr = self.d.ds[name]
        return arr / scale if scale != 1.0 else arr

    def arr(self, values: np.ndarray, *dims: str) -> xr.DataArray:
        """Wrap a numpy array as a DataArray on the model's named coordinates."""
        coords = [self.index(dim) for dim in dims]
        return xr.DataArray(np.asarray(values), coords=coords, dims=list(dims))

    def name(self, base: str) -> str:
        """``base`` with this future's tag (first-stage names are never tagged)."""
        if not self.tag or base in FIRST_STAGE:
            return base
        return f"{base}@{self.tag}"

    def var(self, base: str) -> linopy.Variable:
        """The variable ``base`` of this future (or the shared first-stage one)."""
        if base in self.shared:
            return self.shared[base]
        return self.m.variables[self.name(base)]

    def has(self, name: str) -> bool:
        return name in self.shared or self.name(name) in self.m.variables


def previous_bucket(var: linopy.Variable) -> linopy.LinearExpression:
    """The variable one bucket earlier (0 before the first bucket)."""
    return var.shift(bucket=1).fillna(0)
