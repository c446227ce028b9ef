"""The scenario compiled once into one labelled dataset (:class:`PlanData`), read by the planner,
the risk engine and the robust plan.

:func:`build_plan_data` calls one small builder per component (the fab side in
:mod:`fabnet.plan.data_fabs`, packaging, HBM, customers, outside foundries and money in
:mod:`fabnet.plan.data_market`); each returns an :class:`xarray.Dataset` over named dimensions,
and the builders' datasets are merged:

========== ====================================================================================
dimension  labels
========== ====================================================================================
product    product names
node       process nodes of the products and of the capacity options
site       fab sites with at least one capacity option
group      ``"{site} / {node}"``: a site running a node (the mature cohorts' pool)
option     ``"{site} | {action} | {node} | {start}"`` (:mod:`fabnet.plan.options`)
line       packaging lines
expansion  ``"{line} | {start}"``: an own packaging expansion option
supplier   HBM suppliers
customer   customers
investor   investors
bucket     the plan's time buckets (monthly periods, first month of each bucket)
month      every month of the horizon (monthly periods)
========== ====================================================================================

Variables (money USD, quantities per bucket; dimensions in brackets):

* products: ``product_node``, ``compute_dies``, ``packages_per_interposer_wafer``,
  ``test_cost``, ``hbm_stacks``, ``hbm_type``, ``packaging_kind`` [product];
* nodes: ``node_mature_age`` (first learning age at which every product of the node is within
  ``mature_tolerance`` of its mature good dies per wafer), ``node_cycle_months`` [node];
* sites and groups: ``site_max_units`` [site]; ``group_site``, ``group_node``, ``group_opex``
  (USD per wafer), ``group_cycle_months`` [group]; ``group_product`` (bool),
  ``group_gdpw_mature`` [group, product];
* options: ``option_site``, ``option_kind``, ``option_node``, ``option_group``,
  ``option_start``, ``option_start_month`` and ``option_first_output_month`` (month indices; a
  first output at or beyond the horizon means never), ``option_lead_field`` and
  ``option_capacity_field`` (the scenario values of the fields a sampled delay or capacity acts
  on), ``option_max_units`` [option]; ``option_capex`` (per unit),
  ``option_capacity`` (wafers out per unit), ``option_young`` [option, bucket];
  ``option_gdpw`` (good dies per wafer of the young cohort) [option, product, bucket];
* packaging: ``line_kind``, ``line_cost`` (USD per interposer wafer), ``line_assembly_yield``
  (the horizon's mean of the line's yield path), ``line_max_blocks`` [line];
  ``line_capacity`` (booked interposer wafers), ``line_yield`` (assembly yield in the bucket,
  :func:`line_yield_paths`: the one the planner uses) [line, bucket];
  ``line_product`` [line, product]; ``expansion_line``, ``expansion_start``,
  ``expansion_first_output`` [expansion]; ``expansion_capacity``, ``expansion_capex``
  [expansion, bucket];
* HBM: ``supplier_hbm_type``, ``hbm_price`` [supplier]; ``hbm_supply`` [supplier, bucket];
* customers: ``priority``, ``penalty`` (USD per unit short) [customer]; ``demand``,
  ``contracted`` (≤ demand) [customer, product, bucket]; ``price`` [customer, product];
  ``booked_wafers`` (interposer wafers reserved on a named line, take-or-pay)
  [customer, line, bucket];
* money: ``investor_pay_in`` [investor, month]; attributes ``minimum_cash``, ``debt_limit``,
  ``debt_rate``.

**Yield learning (linear, per cohort).** A cohort's learning clock starts at its own first output:
wafers that come out of option ``o`` in month ``m`` carry the good dies per wafer of age
``a = m − cycle time − first_output(o)`` (:func:`fabnet.plan._econ.good_dies_per_wafer_at`). The
cohort's age is known once its start month is, so the good-die coefficient of each cohort's wafer
variable is a constant and the model stays linear. Cohorts older than the node's mature age share
one pooled wafer variable per site and node at the yield of that age, which keeps the model small
and errs low by at most ``mature_tolerance``. Consequence: a second module at a site learns from
scratch (no copy-exact transfer), which is conservative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from fabnet.errors import DataError, UsageError
from fabnet.plan.buckets import Buckets, make_buckets
from fabnet.plan.data_fabs import (
    GoodDies,
    build_nodes,
    build_options,
    build_products,
    build_sites_and_groups,
    capital_charges,
    longest_learning_delay,
)
from fabnet.plan.data_market import (
    build_bookings,
    build_customers,
    build_grants,
    build_hbm,
    build_money,
    build_outside_foundries,
    build_packaging,
    line_yield_paths,
)
from fabnet.plan.options import (
    capacity_options,
    cycle_time_months,
    fab_cycle_time_months,
    fixed_starts,
    packaging_expansions,
    usable_share,
)
from fabnet.scenario import Scenario
from fabnet.vocab import Strategy

__all__ = [
    "STRATEGIES",
    "PlanData",
    "build_plan_data",
    "capital_charges",
    "cycle_time_months",
    "fab_cycle_time_months",
    "line_yield_paths",
    "usable_share",
]

STRATEGIES = Strategy.values()
"""Which capacity options a plan may use: all, only buying existing fabs, only building."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_IDENTITY = ("sites", "groups", "lines", "products", "customers", "suppliers")


@dataclass(frozen=True)
class PlanData:
    """One planning problem: the scenario compiled into the labelled dataset ``ds`` (module
    docstring) with its time ``buckets``."""

    ds: xr.Dataset
    buckets: Buckets

    def __getitem__(self, name: str) -> xr.DataArray:
        return self.ds[name]

    def values(self, name: str) -> npt.NDArray[Any]:
        """The numpy values of variable ``name``."""
        return self.ds[name].values

    def labels(self, dim: str) -> tuple[str, ...]:
        """The labels of dimension ``dim`` as text (periods as ``YYYY-MM``)."""
        return tuple(str(v) for v in self.ds.indexes[dim])

    def positions(self, dim: str, labels: object) -> IntArray:
        """Positions along ``dim`` of ``labels`` (e.g. ``positions("site", option_site)``)."""
        idx = self.ds.indexes[dim].get_indexer(pd.Index(np.asarray(labels)))
        return np.asarray(idx, dtype=np.int64)

    # -- short names for the sets every reader needs --------------------------------------
    @property
    def scenario_name(self) -> str:
        return str(self.ds.attrs["scenario"])

    @property
    def strategy(self) -> str:
        return str(self.ds.attrs["strategy"])

    @property
    def products(self) -> tuple[str, ...]:
        return self.labels("product")

    @property
    def sites(self) -> tuple[str, ...]:
        return self.labels("site")

    @property
    def groups(self) -> tuple[str, ...]:
        return self.labels("group")

    @property
    def options(self) -> tuple[str, ...]:
        return self.labels("option")

    @property
    def lines(self) -> tuple[str, ...]:
        return self.labels("line")

    @property
    def expansions(self) -> tuple[str, ...]:
        return self.labels("expansion")

    @property
    def suppliers(self) -> tuple[str, ...]:
        return self.labels("supplier")

    @property
    def customers(self) -> tuple[str, ...]:
        return self.labels("customer")

    @property
    def n_options(self) -> int:
        return int(self.ds.sizes["option"])

    @property
    def n_expansions(self) -> int:
        return int(self.ds.sizes["expansion"])

    @property
    def investor_in(self) -> FloatArray:
        """Partners' pay-ins per bucket (all investors)."""
        return self.buckets.aggregate(self.values("investor_pay_in").sum(axis=0))

    # -- derived arrays --------------------------------------------------------------------
    def capacity_given(self, units: npt.ArrayLike) -> FloatArray:
        """Usable wafer outputs per site and bucket (sites x T) for option unit counts (O)."""
        u = np.asarray(units, dtype=np.float64)
        per_option = self.values("option_capacity") * u[:, None]
        out = np.zeros((len(self.sites), self.buckets.n))
        np.add.at(out, self.positions("site", self.values("option_site")), per_option)
        return out

    def option_index(self, site: str, kind: str, start: str, node: str | None = None) -> int | None:
        """Position of the option (site, kind, start month, node), or None."""
        site_v, kind_v = self.values("option_site"), self.values("option_kind")
        start_v, node_v = self.values("option_start"), self.values("option_node")
        hit = (site_v == site) & (kind_v == kind) & (start_v == start)
        if node is not None:
            hit &= node_v == node
        found = np.flatnonzero(hit)
        return int(found[0]) if found.size else None

    def aligned_to(self, base: PlanData, label: str = "future") -> PlanData:
        """This dataset with its options and expansions reindexed to those of ``base``.

        Raises:
            DataError: other sites, groups, lines, products, customers, suppliers or buckets, or
                a base option this dataset lacks (build it with ``fixed=option_starts(base)``).
        """
        for attr in _IDENTITY:
            if getattr(base, attr) != getattr(self, attr):
                raise DataError(
                    f"{label}: its {attr} {getattr(self, attr)} differ from the scenario's "
                    f"{getattr(base, attr)}; the sample-average model needs the same sets in "
                    "every future (only capacities, lead times and coefficients may vary)"
                )
        if base.buckets.labels != self.buckets.labels:
            raise DataError(f"{label}: its time buckets differ from the scenario's")
        missing = [o for o in base.options if o not in set(self.options)]
        missing += [e for e in base.expansions if e not in set(self.expansions)]
        if missing:
            raise DataError(
                f"{label}: {len(missing)} capacity option(s) of the scenario are not options of "
                f"this future, e.g. {missing[0]}; build the future's data with "
                "fixed=option_starts(base) so that every future has the same candidate starts"
            )
        ds = self.ds.sel(option=base.ds.indexes["option"], expansion=base.ds.indexes["expansion"])
        return PlanData(ds, self.buckets)


def build_plan_data(
    scenario: Scenario,
    *,
    strategy: str = "mixed",
    start_every: int = 3,
    mature_tolerance: float = 0.01,
    fixed: pd.DataFrame | None = None,
) -> PlanData:
    """Compile ``scenario`` into :class:`PlanData` (see the module docstring for the formulas).

    Args:
        strategy: ``"mixed"`` (all options), ``"buy"`` (existing fabs only) or ``"build"``.
        start_every: grid of start months in the monthly part [months] (quarterly after).
        mature_tolerance: relative good-die shortfall below which cohorts are pooled as mature.
        fixed: decisions table (site, action, start, node) whose start months must be options.
    """
    strategy = Strategy.parse(strategy, "strategy")
    if start_every < 1:
        raise UsageError(f"start_every must be >= 1 month (got {start_every})")
    sc = scenario
    buckets = make_buckets(sc)
    forced = fixed_starts(sc, fixed)
    opts = capacity_options(sc, buckets, strategy, start_every, forced)
    exps = packaging_expansions(sc, buckets, start_every, forced)
    gd = GoodDies(sc, max(buckets.n_months, 120) + longest_learning_delay(sc))
    nodes = build_nodes(sc, opts, mature_tolerance, gd)
    ds = xr.merge(
        [
            build_products(sc, buckets),
            nodes,
            build_sites_and_groups(sc, opts, nodes, gd),
            build_options(sc, opts, buckets, nodes, gd),
            build_packaging(sc, exps, buckets),
            build_hbm(sc, buckets),
            build_customers(sc, buckets),
            build_bookings(sc, buckets),
            build_outside_foundries(sc, buckets),
            build_grants(sc, opts, exps),
            build_money(sc, buckets),
        ],
        combine_attrs="drop_conflicts",
    )
    ds = ds.assign_coords(
        bucket=pd.PeriodIndex(list(buckets.labels), freq="M", name="bucket"),
        month=pd.PeriodIndex(sc.months, freq="M", name="month"),
    )
    bank = sc.policy.die_bank_months
    ds.attrs.update(
        scenario=sc.name,
        strategy=str(strategy),
        die_bank_months=-1.0 if bank is None else float(bank),
    )
    return PlanData(ds, buckets)
