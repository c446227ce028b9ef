"""The scenario compiled once into one labelled dataset (:class:`PlanData`), read by the planner,
the risk engine and the robust plan.

:func:`build_plan_data` calls one small builder per component; each returns an
:class:`xarray.Dataset` over named dimensions, and the builders' datasets are merged:

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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from fabnet.econ import asset_depreciation, sustaining_capex
from fabnet.econ.accelerator import outside_good_dies_per_wafer
from fabnet.econ.revenue import unit_price
from fabnet.errors import DataError, UsageError
from fabnet.plan._econ import good_dies_per_wafer_at
from fabnet.plan.buckets import Buckets, make_buckets
from fabnet.plan.options import (
    CapacityOption,
    Expansion,
    capacity_options,
    cycle_time_months,
    expansion_label,
    fab_cycle_time_months,
    fixed_starts,
    line_max_blocks,
    option_label,
    packaging_expansions,
    usable_share,
)
from fabnet.scenario import GreenfieldSite, Newcomer, Scenario, month_index, series_values
from fabnet.vocab import Strategy

__all__ = [
    "DECISION_COLUMNS",
    "STRATEGIES",
    "PlanData",
    "build_plan_data",
    "capital_charges",
    "cycle_time_months",
    "decisions_table",
    "fab_cycle_time_months",
    "line_yield_paths",
    "option_starts",
    "units_from_decisions",
    "usable_share",
]

STRATEGIES = Strategy.values()
"""Which capacity options a plan may use: all, only buying existing fabs, only building."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DECISION_COLUMNS = ["site", "action", "start", "first_output", "modules", "capex", "node"]
"""Columns of the planner's ``decisions`` table."""

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


# -- builders, one per component ----------------------------------------------------------------
def _text(values: Iterable[str]) -> npt.NDArray[np.str_]:
    """Labels as a numpy text array (also when empty)."""
    return np.asarray(list(values), dtype=np.str_)


def _active(sc: Scenario, buckets: Buckets) -> npt.NDArray[np.bool_]:
    """P x T: the product is launched and not yet at its end of life in some month of the bucket."""
    monthly = np.array([[p.is_active(m) for m in sc.months] for p in sc.products], dtype=float)
    return buckets.aggregate(monthly.reshape(len(sc.products), len(sc.months))) > 0


def _products(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    prods = sc.products
    return xr.Dataset(
        {
            "product_active": (("product", "bucket"), _active(sc, buckets)),
            "product_node": ("product", _text([p.node for p in prods])),
            "compute_dies": ("product", np.array([p.compute_dies for p in prods], dtype=float)),
            "packages_per_interposer_wafer": (
                "product",
                np.array([p.packages_per_interposer_wafer for p in prods], dtype=float),
            ),
            "test_cost": ("product", np.array([p.test_cost_usd for p in prods], dtype=float)),
            "hbm_stacks": ("product", np.array([p.hbm_stacks for p in prods], dtype=float)),
            "hbm_type": ("product", _text([p.hbm_type for p in prods])),
            "packaging_kind": ("product", _text([p.packaging for p in prods])),
        },
        coords={"product": pd.Index([p.name for p in prods], dtype=object)},
    )


class _GoodDies:
    """Good dies per wafer of a product at whole learning ages ``-1 … last`` and at maturity
    (age 10⁶), from :func:`good_dies_per_wafer_at`, at a site with its newcomer handicap (if
    any): computed once per (site handicap, product) for the whole build."""

    def __init__(self, sc: Scenario, last: int) -> None:
        self._sc = sc
        self._ages = np.append(np.arange(-1, last + 1, dtype=np.float64), 1e6)
        self._values: dict[tuple[Newcomer | None, str], FloatArray] = {}

    def _row(self, product: str, site: str | None) -> FloatArray:
        newcomer = self._sc.fab(site).newcomer if site is not None else None
        key = (newcomer, product)
        if key not in self._values:
            self._values[key] = good_dies_per_wafer_at(self._sc, product, self._ages, newcomer)
        return self._values[key]

    def at(self, product: str, ages: npt.NDArray[np.int64], site: str | None = None) -> FloatArray:
        """Values at whole ages (``-1 ≤ age ≤ last``) at ``site`` (None: no handicap)."""
        return self._row(product, site)[:-1][ages + 1]

    def mature(self, product: str) -> float:
        """The value at maturity (no site handicap)."""
        return float(self._row(product, None)[-1])


def _longest_delay(sc: Scenario) -> int:
    """The longest newcomer learning delay of any site [months]."""
    return max(
        (f.newcomer.learning_delay_months for f in sc.fabs if f.newcomer is not None), default=0
    )


def _mature_age(sc: Scenario, node: str, tolerance: float, gd: _GoodDies, limit: int = 120) -> int:
    ages = np.arange(limit + 1)
    ok_all = np.ones(limit + 1, dtype=bool)
    for p in sc.products:
        if p.node != node:
            continue
        g = gd.at(p.name, ages)
        g_inf = gd.mature(p.name)
        ok_all &= g >= (1.0 - tolerance) * g_inf if g_inf > 0 else True
    idx = np.flatnonzero(ok_all)
    return int(idx[0]) if idx.size else limit


def _nodes(sc: Scenario, opts: list[CapacityOption], tolerance: float, gd: _GoodDies) -> xr.Dataset:
    names = sorted({o.node for o in opts} | {p.node for p in sc.products})
    return xr.Dataset(
        {
            "node_mature_age": ("node", [_mature_age(sc, n, tolerance, gd) for n in names]),
            "node_cycle_months": ("node", [cycle_time_months(sc, n) for n in names]),
            "node_learning_tau": (
                "node",
                np.array([sc.node(n).learning_tau_months for n in names], dtype=float),
            ),
        },
        coords={"node": pd.Index(names, dtype=object)},
    )


def _sites_and_groups(
    sc: Scenario, opts: list[CapacityOption], nodes: xr.Dataset, gd: _GoodDies
) -> xr.Dataset:
    sites = list(dict.fromkeys(o.site for o in opts))
    keys = list(dict.fromkeys((o.site, o.node) for o in opts))
    prods = sc.products
    mature = nodes["node_mature_age"]
    gdpw_mature = np.zeros((len(keys), len(prods)))
    for g, (site, node) in enumerate(keys):
        nc = sc.fab(site).newcomer
        delay = nc.learning_delay_months if nc is not None else 0
        age = np.array([int(mature.sel(node=node)) + delay])
        for j, p in enumerate(prods):
            if p.node == node:
                gdpw_mature[g, j] = float(gd.at(p.name, age, site)[0])
    return xr.Dataset(
        {
            "site_max_units": (
                "site",
                np.array(
                    [
                        float(f.max_modules) if isinstance(f, GreenfieldSite) else 1.0
                        for f in (sc.fab(s) for s in sites)
                    ],
                    dtype=float,
                ),
            ),
            "site_region": ("site", _text([sc.fab(s).region for s in sites])),
            "group_site": ("group", _text([s for s, _ in keys])),
            "group_node": ("group", _text([n for _, n in keys])),
            "group_opex": (
                "group",
                np.array(
                    [
                        sc.fab(s).opex_per_wafer_usd + sc.node(n).licence_fee_per_wafer_usd
                        for s, n in keys
                    ],
                    dtype=float,
                ),
            ),
            "group_cycle_months": (
                "group",
                np.array([fab_cycle_time_months(sc, sc.fab(s), n) for s, n in keys], dtype=int),
            ),
            "group_product": (
                ("group", "product"),
                np.array([[p.node == n for p in prods] for _, n in keys], dtype=bool).reshape(
                    len(keys), len(prods)
                ),
            ),
            "group_gdpw_mature": (("group", "product"), gdpw_mature),
        },
        coords={
            "site": pd.Index(sites, dtype=object),
            "group": pd.Index([f"{s} / {n}" for s, n in keys], dtype=object),
        },
    )


def _option_yield(
    sc: Scenario,
    opts: list[CapacityOption],
    buckets: Buckets,
    mature_age: dict[str, int],
    gd: _GoodDies,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per option: wafers out per unit (O x T), good dies per wafer (O x P x T), young (O x T)."""
    n_m, n_t, n_p = buckets.n_months, buckets.n, len(sc.products)
    capacity = np.zeros((len(opts), n_t))
    gdpw = np.zeros((len(opts), n_p, n_t))
    young = np.zeros((len(opts), n_t), dtype=bool)
    month_idx = np.arange(n_m)
    for i, o in enumerate(opts):
        lag = o.cycle_months
        out_cap = np.zeros(n_m)
        if lag < n_m:
            out_cap[lag:] = o.starts_cap[: n_m - lag]
        k = buckets.aggregate(out_cap)
        capacity[i] = k
        age = month_idx - lag - o.first_output  # age at processing of wafers out in month m
        age_c = np.clip(age, -1, n_m)
        for j, p in enumerate(sc.products):
            if p.node != o.node:
                continue
            num = buckets.aggregate(out_cap * gd.at(p.name, age_c, o.site))
            gdpw[i, j] = np.divide(num, k, out=np.zeros(n_t), where=k > 0)
        nc = sc.fab(o.site).newcomer
        delay = nc.learning_delay_months if nc is not None else 0
        young[i] = (k > 0) & (buckets.start - lag - o.first_output < mature_age[o.node] + delay)
    return capacity, gdpw, young


def _options(
    sc: Scenario, opts: list[CapacityOption], buckets: Buckets, nodes: xr.Dataset, gd: _GoodDies
) -> xr.Dataset:
    months = sc.months
    mature_age = {str(n): int(a) for n, a in nodes["node_mature_age"].to_series().items()}
    capacity, gdpw, young = _option_yield(sc, opts, buckets, mature_age, gd)
    labels = [option_label(o.site, o.kind, o.node, months[o.start]) for o in opts]
    depreciation, sustaining = capital_charges(sc, [o.capex for o in opts], buckets)
    return xr.Dataset(
        {
            "option_site": ("option", _text([o.site for o in opts])),
            "option_kind": ("option", _text([o.kind for o in opts])),
            "option_node": ("option", _text([o.node for o in opts])),
            "option_group": ("option", _text([f"{o.site} / {o.node}" for o in opts])),
            "option_start": ("option", _text([months[o.start] for o in opts])),
            "option_start_month": ("option", np.array([o.start for o in opts], dtype=int)),
            "option_first_output_month": (
                "option",
                np.array([o.first_output for o in opts], dtype=int),
            ),
            "option_lead_field": ("option", np.array([o.lead_field for o in opts], dtype=float)),
            "option_capacity_field": (
                "option",
                np.array([o.capacity_field for o in opts], dtype=float),
            ),
            "option_max_units": ("option", np.array([o.max_units for o in opts], dtype=float)),
            "option_capex": (
                ("option", "bucket"),
                np.array([buckets.aggregate(o.capex) for o in opts]).reshape(len(opts), buckets.n),
            ),
            "option_depreciation": (("option", "bucket"), depreciation),
            "option_sustaining": (("option", "bucket"), sustaining),
            "option_capacity": (("option", "bucket"), capacity),
            "option_young": (("option", "bucket"), young),
            "option_gdpw": (("option", "product", "bucket"), gdpw),
        },
        coords={"option": pd.Index(labels, dtype=object)},
    )


def capital_charges(
    sc: Scenario, capex_monthly: list[FloatArray], buckets: Buckets
) -> tuple[FloatArray, FloatArray]:
    """Per unit and bucket: depreciation (equipment and building on their lives,
    :func:`fabnet.econ.asset_depreciation`) and sustaining capex
    (:func:`fabnet.econ.sustaining_capex`) of monthly capex schedules."""
    fin, n_m, n = sc.financing, buckets.n_months, len(capex_monthly)
    if n == 0:
        return np.zeros((0, buckets.n)), np.zeros((0, buckets.n))
    capex = np.array(capex_monthly, dtype=np.float64).reshape(n, n_m)
    dep = asset_depreciation(
        capex, fin.equipment_share, round(fin.equipment_life_years * 12),
        round(fin.building_life_years * 12), n_m,
    )  # fmt: skip
    sus = sustaining_capex(capex, fin.sustaining_capex_share)
    return buckets.aggregate(dep), buckets.aggregate(sus)


def _packaging(sc: Scenario, exps: list[Expansion], buckets: Buckets) -> xr.Dataset:
    """Own and booked lines (``packaging``), then outside packaging houses
    (``outside_packaging``: capacity from ``available_from``, price over time as
    ``line_cost × line_cost_index``; their ``lead_time_months`` is not modelled: packages count
    in the bucket their dies are packaged)."""
    lines, prods, months = sc.packaging, sc.products, sc.months
    osat = sc.outside_packaging
    kinds = [ln.kind for ln in lines] + [h.kind for h in osat]
    n_t = buckets.n
    n_l = len(lines) + len(osat)
    cap = [buckets.aggregate(series_values(ln.capacity_wpm, months)) for ln in lines]
    cost = [ln.cost_per_wafer_usd for ln in lines]
    index = [np.ones(n_t) for _ in lines]
    for h in osat:
        monthly = np.asarray(series_values(h.capacity_wpm, months))
        if h.available_from is not None:
            monthly[: max(sc.month_index(h.available_from), 0)] = 0.0
        cap.append(buckets.aggregate(monthly))
        price = buckets.aggregate(series_values(h.price_per_wafer_usd, months)) / buckets.length
        base = float(price.max()) if price.size and price.max() > 0 else 1.0
        cost.append(base)
        index.append(price / base)
    depreciation, sustaining = capital_charges(sc, [e.capex for e in exps], buckets)
    line_yield = line_yield_paths(sc, buckets)
    paths = [ln.assembly_yield for ln in lines] + [h.assembly_yield for h in osat]
    line_yield_mean = np.array(
        [
            float(np.mean(series_values(y, months))) if isinstance(y, dict) else float(y)
            for y in paths
        ],
        dtype=float,
    )
    return xr.Dataset(
        {
            "line_kind": ("line", _text([ln.kind for ln in lines] + [h.kind for h in osat])),
            "line_owner": ("line", _text([ln.owner for ln in lines] + ["outside"] * len(osat))),
            "line_cost": ("line", np.array(cost, dtype=float)),
            "line_cost_index": (("line", "bucket"), np.array(index).reshape(n_l, n_t)),
            "line_yield": (("line", "bucket"), line_yield),
            "line_assembly_yield": ("line", line_yield_mean),
            "line_max_blocks": ("line", np.concatenate([line_max_blocks(sc), np.zeros(len(osat))])),
            "line_capacity": (("line", "bucket"), np.array(cap).reshape(n_l, n_t)),
            "line_product": (
                ("line", "product"),
                np.array(
                    [[p.packaging == kind for p in prods] for kind in kinds], dtype=np.bool_
                ).reshape(n_l, len(prods)),
            ),
            "expansion_line": ("expansion", _text([e.line for e in exps])),
            "expansion_start": ("expansion", _text([months[e.start] for e in exps])),
            "expansion_first_output": (
                "expansion",
                _text([months[e.first_output] for e in exps]),
            ),
            "expansion_capacity": (
                ("expansion", "bucket"),
                np.array([buckets.aggregate(e.capacity) for e in exps]).reshape(len(exps), n_t),
            ),
            "expansion_capex": (
                ("expansion", "bucket"),
                np.array([buckets.aggregate(e.capex) for e in exps]).reshape(len(exps), n_t),
            ),
            "expansion_depreciation": (("expansion", "bucket"), depreciation),
            "expansion_sustaining": (("expansion", "bucket"), sustaining),
        },
        coords={
            "line": pd.Index([ln.name for ln in lines] + [h.name for h in osat], dtype=object),
            "expansion": pd.Index(
                [expansion_label(e.line, months[e.start]) for e in exps], dtype=object
            ),
        },
    )


def _hbm(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    hbm = sc.hbm
    supply = np.array(
        [buckets.aggregate(series_values(h.stacks_per_month, sc.months)) for h in hbm]
    ).reshape(len(hbm), buckets.n)
    return xr.Dataset(
        {
            "supplier_hbm_type": ("supplier", _text([h.hbm_type for h in hbm])),
            "hbm_price": ("supplier", np.array([h.price_usd for h in hbm], dtype=float)),
            "hbm_supply": (("supplier", "bucket"), supply),
        },
        coords={"supplier": pd.Index([h.name for h in hbm], dtype=object)},
    )


def line_yield_paths(sc: Scenario, buckets: Buckets) -> FloatArray:
    r"""Assembly yield of each packaging line (own and booked lines, then outside houses) per
    bucket [line, bucket]: the line's ``assembly_yield`` path evaluated in every month
    (:func:`fabnet.scenario.series_values`: straight lines between dated points, flat ends) and
    averaged over the bucket's months, :math:`\bar y_{l,b} = \frac{1}{L_b}\sum_{m \in b}
    y_l(m)`. A constant yield gives the same number in every bucket."""
    paths = [ln.assembly_yield for ln in sc.packaging]
    paths += [h.assembly_yield for h in sc.outside_packaging]
    monthly = np.array([series_values(y, sc.months) for y in paths], dtype=float)
    monthly = monthly.reshape(len(paths), buckets.n_months)
    out = buckets.aggregate(monthly) / buckets.length
    for i, y in enumerate(paths):
        if not isinstance(y, dict):
            out[i] = float(y)  # exactly the number written (no rounding through the mean)
    return out


def _booked_units(sc: Scenario, buckets: Buckets, demand: np.ndarray) -> np.ndarray:
    """Packaging bookings as contracted units [customer, product, bucket]: booked interposer
    wafers × packages per wafer × the kind's mean assembly yield in the bucket (mean over the
    kind's lines of :func:`line_yield_paths`), split over the customer's products of that kind
    in proportion to their demand in the bucket."""
    out = np.zeros_like(demand)
    months = sc.months
    kinds = [ln.kind for ln in sc.packaging] + [op.kind for op in sc.outside_packaging]
    line_yield = line_yield_paths(sc, buckets)
    for ci, c in enumerate(sc.customers):
        for kind, series in c.packaging_bookings.items():
            wafers = buckets.aggregate(np.asarray(series_values(series, months)))
            ylds = [line_yield[i] for i, k in enumerate(kinds) if k == kind]
            yld = np.mean(ylds, axis=0) if ylds else np.zeros(buckets.n)
            js = [j for j, p in enumerate(sc.products) if p.packaging == kind]
            if not js:
                continue
            dem = demand[ci, js]
            total = dem.sum(0)
            share = np.divide(dem, total, out=np.zeros_like(dem), where=total > 0)
            ppw = np.array([sc.products[j].packages_per_interposer_wafer for j in js])
            out[ci, js] += share * ppw[:, None] * wafers[None, :] * yld
    return out


def _customers(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    """Demand, contracts and take-or-pay (zero outside each product's life cycle), the price
    per good accelerator of each customer, product and bucket by its revenue model
    (:func:`fabnet.econ.revenue.unit_price`, the bucket's monthly average), and prepayments."""
    custs, prods, months = sc.customers, sc.products, sc.months
    shape = (len(custs), len(prods), buckets.n)
    demand, contracted, top = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    price = np.zeros(shape)
    model = np.full(shape[:2], "merchant", dtype=object)
    active = np.array([[float(p.is_active(m)) for m in months] for p in prods]).reshape(
        len(prods), len(months)
    )
    length = buckets.length.astype(np.float64)
    for ci, c in enumerate(custs):
        for j, p in enumerate(prods):
            for field, out in (
                ("demand", demand),
                ("contracted", contracted),
                ("take_or_pay", top),
            ):
                series = getattr(c, field)
                if p.name in series:
                    monthly = np.asarray(series_values(series[p.name], months)) * active[j]
                    out[ci, j] = buckets.aggregate(monthly)
            wanted = p.name in c.demand or p.name in c.contracted or p.name in c.take_or_pay
            if wanted:
                model[ci, j] = c.terms_for(p.name).model
                price[ci, j] = buckets.aggregate(unit_price(sc, c.name, p.name, months)) / length
            else:
                price[ci, j] = c.price_usd.get(p.name, p.list_price_usd)
    if any(c.packaging_bookings for c in custs):
        contracted = contracted + _booked_units(sc, buckets, demand)
    prepay = np.zeros((len(custs), buckets.n))
    share = np.ones(len(custs))
    for ci, c in enumerate(custs):
        amounts = [pp.amount_usd for pp in c.prepayments]
        if sum(amounts) > 0:
            share[ci] = float(
                np.average([pp.recovery_share for pp in c.prepayments], weights=amounts)
            )
        for pp in c.prepayments:
            m = month_index(pp.month, sc.policy.start)
            if 0 <= m < buckets.n_months:
                prepay[ci, buckets.month_bucket[m]] += pp.amount_usd
    pol = sc.policy
    priority = np.array([c.priority for c in custs], dtype=np.int64)
    penalty = pol.shortage_penalty_usd * pol.priority_weight_ratio ** (-(priority - 1.0))
    return xr.Dataset(
        {
            "priority": ("customer", priority),
            "penalty": ("customer", penalty.astype(float)),
            "demand": (("customer", "product", "bucket"), demand),
            "contracted": (("customer", "product", "bucket"), np.minimum(contracted, demand)),
            "take_or_pay": (("customer", "product", "bucket"), top),
            "price": (("customer", "product", "bucket"), price),
            "revenue_model": (("customer", "product"), model.astype(str)),
            "prepayment": (("customer", "bucket"), prepay),
            "prepayment_recovery_share": ("customer", share),
        },
        coords={"customer": pd.Index([c.name for c in custs], dtype=object)},
    )


def _outside_foundries(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    """Wafers that can be bought, per outside foundry and bucket *of wafers out*: an order of
    month ``m`` comes out in ``m + lead_time_months``; orders from ``available_from`` (and the
    horizon's start) to ``available_until``; no minimum where no product of the node is on
    sale. Price, minimum order and take-or-pay are those of
    the order month, paid when the wafers come out. Good dies per wafer at the foundry's own
    defect density (:func:`fabnet.econ.accelerator.outside_good_dies_per_wafer`)."""
    sups, prods, months = sc.outside_foundries, sc.products, sc.months
    n_m, n_t, n_s = buckets.n_months, buckets.n, len(sups)
    cap, low, top, price = (np.zeros((n_s, n_t)) for _ in range(4))
    gdpw = np.zeros((n_s, len(prods)))
    for i, f in enumerate(sups):
        lead = f.lead_time_months
        order_ok = np.ones(n_m, dtype=bool)
        if f.available_from is not None:
            order_ok[: max(sc.month_index(f.available_from), 0)] = False
        if f.available_until is not None:
            order_ok[max(sc.month_index(f.available_until) + 1, 0) :] = False

        def out_month(series: object, lead: int = lead, ok: npt.NDArray[np.bool_] = order_ok):
            ordered: FloatArray = (
                np.asarray(
                    series_values(series, months),  # type: ignore[arg-type]
                    dtype=np.float64,
                )
                * ok
            )
            shifted = np.zeros(n_m)
            if lead < n_m:
                shifted[lead:] = ordered[: n_m - lead]
            return shifted

        cap[i] = buckets.aggregate(out_month(f.max_wafers_per_month))
        low[i] = buckets.aggregate(out_month(f.min_wafers_per_month))
        top[i] = buckets.aggregate(out_month(f.take_or_pay_wafers_per_month))
        monthly_price = out_month(f.price_per_wafer_usd)
        price[i] = np.divide(
            buckets.aggregate(monthly_price * (out_month(1.0) > 0)),
            np.maximum(buckets.aggregate(out_month(1.0) > 0), 1),
        )
        for j, p in enumerate(prods):
            if p.node == f.node:
                gdpw[i, j] = outside_good_dies_per_wafer(sc, f, p.name)
        # no minimum in buckets where no product of the node is on sale (nothing to order for)
        low[i] *= _active(sc, buckets)[[p.node == f.node for p in prods]].any(axis=0)
    return xr.Dataset(
        {
            "outside_node": ("outside", _text([f.node for f in sups])),
            "outside_max": (("outside", "bucket"), cap),
            "outside_min": (("outside", "bucket"), np.minimum(low, cap)),
            "outside_take_or_pay": (("outside", "bucket"), np.minimum(top, cap)),
            "outside_price": (("outside", "bucket"), price),
            "outside_gdpw": (("outside", "product"), gdpw),
        },
        coords={"outside": pd.Index([f.name for f in sups], dtype=object)},
    )


def _grants(sc: Scenario, opts: list[CapacityOption], exps: list[Expansion]) -> xr.Dataset:
    """Share of each option's (and own packaging expansion's) capex each grant pays, and its cap."""
    grants = sc.financing.grants

    def covers(g: object, site: str, region: str | None) -> bool:
        return bool(
            getattr(g, "site", None) == site
            or (region is not None and getattr(g, "region", None) == region)
        )

    opt_share = np.array(
        [[g.share_of_capex if covers(g, o.site, sc.fab(o.site).region) else 0.0 for o in opts]
         for g in grants]
    ).reshape(len(grants), len(opts))  # fmt: skip
    exp_share = np.array(
        [[g.share_of_capex if g.applies_to_packaging and covers(g, e.line, None) else 0.0
          for e in exps] for g in grants]
    ).reshape(len(grants), len(exps))  # fmt: skip
    return xr.Dataset(
        {
            "grant_option_share": (("grant", "option"), opt_share),
            "grant_expansion_share": (("grant", "expansion"), exp_share),
            "grant_cap": (
                "grant",
                np.array([np.inf if g.cap_usd is None else g.cap_usd for g in grants], float),
            ),
        },
        coords={"grant": pd.Index([g.name for g in grants], dtype=object)},
    )


def _money(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    """Investors' pay-ins per month (all at the start without a schedule)."""
    n_m = buckets.n_months
    pay_in = np.zeros((len(sc.investors), n_m))
    for i, inv in enumerate(sc.investors):
        if not inv.pay_in:
            pay_in[i, 0] += inv.commitment_usd
        for pay in inv.pay_in:
            m = month_index(pay.month, sc.policy.start)
            if m < n_m:
                pay_in[i, max(m, 0)] += pay.amount_usd
    fin = sc.financing
    return xr.Dataset(
        {"investor_pay_in": (("investor", "month"), pay_in)},
        coords={"investor": pd.Index([v.name for v in sc.investors], dtype=object)},
        attrs={
            "minimum_cash": float(fin.minimum_cash_usd),
            "debt_limit": float(fin.debt_limit_usd),
            "debt_rate": float(fin.debt_rate),
            "tax_rate": float(fin.tax_rate),
            "tax_loss_years": -1
            if fin.tax_loss_carry_forward_years is None
            else int(fin.tax_loss_carry_forward_years),
            "terminal_method": fin.terminal_value.method,
            "terminal_growth": float(fin.terminal_value.growth),
            "terminal_multiple": float(fin.terminal_value.multiple),
            "discount_rate": float(sc.policy.discount_rate),
        },
    )


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
    gd = _GoodDies(sc, max(buckets.n_months, 120) + _longest_delay(sc))
    nodes = _nodes(sc, opts, mature_tolerance, gd)
    ds = xr.merge(
        [
            _products(sc, buckets),
            nodes,
            _sites_and_groups(sc, opts, nodes, gd),
            _options(sc, opts, buckets, nodes, gd),
            _packaging(sc, exps, buckets),
            _hbm(sc, buckets),
            _customers(sc, buckets),
            _outside_foundries(sc, buckets),
            _grants(sc, opts, exps),
            _money(sc, buckets),
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


# -- decisions <-> option units -------------------------------------------------------------------
def units_from_decisions(d: PlanData, decisions: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """Option units and packaging blocks (aligned with ``d``) of a decisions table
    (columns site, action, start, modules, node), as ``solve_plan(fixed=...)`` reads it."""
    units = np.zeros(d.n_options)
    blocks = np.zeros(d.n_expansions)
    exp_pos = {label: i for i, label in enumerate(d.expansions)}
    lines = set(d.lines)
    for row in decisions.itertuples(index=False):
        site, action, start, n = str(row.site), str(row.action), str(row.start), float(row.modules)  # type: ignore[arg-type]
        node = str(getattr(row, "node", "") or "")
        if site in lines:
            e = exp_pos.get(expansion_label(site, start))
            if e is None:
                raise UsageError(f"decision {site} {start}: no such packaging expansion")
            blocks[e] += n
            continue
        i = d.option_index(site, action, start, node or None)
        if i is None:
            raise UsageError(
                f"decision {action} {site} ({node}) from {start}: not an option of this "
                "scenario (unknown site or node, or a start before it is available)"
            )
        units[i] += n
    return units, blocks


def decisions_table(d: PlanData, units: FloatArray, blocks: FloatArray) -> pd.DataFrame:
    """Units / blocks of ``d``'s options in the planner's ``decisions`` format."""
    months = d.labels("month")
    n_m = len(months)
    first = d.values("option_first_output_month")
    capex = d.values("option_capex").sum(axis=1)
    rows = [
        {
            "site": d.values("option_site")[o],
            "action": d.values("option_kind")[o],
            "start": d.values("option_start")[o],
            "first_output": months[min(int(first[o]), n_m - 1)] if first[o] < n_m else "never",
            "modules": round(units[o]),
            "capex": float(units[o] * capex[o]),
            "node": d.values("option_node")[o],
        }
        for o in np.flatnonzero(units > 0.5)
    ]
    line_kind = dict(zip(d.lines, d.values("line_kind"), strict=True))
    exp_capex = d.values("expansion_capex").sum(axis=1)
    for e in np.flatnonzero(blocks > 0.5):
        line = str(d.values("expansion_line")[e])
        rows.append(
            {
                "site": line,
                "action": "build",
                "start": d.values("expansion_start")[e],
                "first_output": d.values("expansion_first_output")[e],
                "modules": round(blocks[e]),
                "capex": float(blocks[e] * exp_capex[e]),
                "node": line_kind[line],
            }
        )
    return pd.DataFrame(rows, columns=DECISION_COLUMNS).sort_values(
        ["start", "site"], kind="stable", ignore_index=True
    )


def option_starts(d: PlanData) -> pd.DataFrame:
    """Every option and packaging expansion of ``d`` as a decisions-like table (site, action,
    start, node, modules 0), to force the same starts into another dataset (``fixed=``)."""
    line_kind = dict(zip(d.lines, d.values("line_kind"), strict=True))
    frames = [
        pd.DataFrame(
            {
                "site": d.values("option_site"),
                "action": d.values("option_kind"),
                "start": d.values("option_start"),
                "node": d.values("option_node"),
            }
        ),
        pd.DataFrame(
            {
                "site": d.values("expansion_line"),
                "action": "build",
                "start": d.values("expansion_start"),
                "node": [line_kind[str(x)] for x in d.values("expansion_line")],
            }
        ),
    ]
    out = pd.concat(frames, ignore_index=True) if d.n_expansions else frames[0]
    return out.assign(modules=0)[["site", "action", "start", "node", "modules"]]
