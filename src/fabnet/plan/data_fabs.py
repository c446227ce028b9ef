"""The fab side of :class:`fabnet.plan.data.PlanData`: products, nodes, sites and their
groups, capacity options with each cohort's yield, and capital charges. Each ``build_*``
returns one :class:`xarray.Dataset` that :func:`fabnet.plan.data.build_plan_data` merges; the
variables and the yield-learning rule are described in :mod:`fabnet.plan.data`."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from fabnet.econ import asset_depreciation, sustaining_capex
from fabnet.plan._econ import good_dies_per_wafer_at
from fabnet.plan.buckets import Buckets
from fabnet.plan.options import (
    CapacityOption,
    cycle_time_months,
    fab_cycle_time_months,
    option_label,
)
from fabnet.scenario import GreenfieldSite, Newcomer, Scenario

__all__ = [
    "GoodDies",
    "build_nodes",
    "build_options",
    "build_products",
    "build_sites_and_groups",
    "capital_charges",
    "first_mature_age",
    "labels_text",
    "longest_learning_delay",
    "option_yield",
    "product_active",
]

FloatArray = npt.NDArray[np.float64]


def labels_text(values: Iterable[str]) -> npt.NDArray[np.str_]:
    """Labels as a numpy text array (also when empty)."""
    return np.asarray(list(values), dtype=np.str_)


def product_active(sc: Scenario, buckets: Buckets) -> npt.NDArray[np.bool_]:
    """P x T: the product is launched and not yet at its end of life in some month of the bucket."""
    monthly = np.array([[p.is_active(m) for m in sc.months] for p in sc.products], dtype=float)
    return buckets.aggregate(monthly.reshape(len(sc.products), len(sc.months))) > 0


def build_products(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    prods = sc.products
    return xr.Dataset(
        {
            "product_active": (("product", "bucket"), product_active(sc, buckets)),
            "product_node": ("product", labels_text([p.node for p in prods])),
            "compute_dies": ("product", np.array([p.compute_dies for p in prods], dtype=float)),
            "packages_per_interposer_wafer": (
                "product",
                np.array([p.packages_per_interposer_wafer for p in prods], dtype=float),
            ),
            "test_cost": ("product", np.array([p.test_cost_usd for p in prods], dtype=float)),
            "hbm_stacks": ("product", np.array([p.hbm_stacks for p in prods], dtype=float)),
            "hbm_type": ("product", labels_text([p.hbm_type for p in prods])),
            "packaging_kind": ("product", labels_text([p.packaging for p in prods])),
        },
        coords={"product": pd.Index([p.name for p in prods], dtype=object)},
    )


class GoodDies:
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


def longest_learning_delay(sc: Scenario) -> int:
    """The longest newcomer learning delay of any site [months]."""
    return max(
        (f.newcomer.learning_delay_months for f in sc.fabs if f.newcomer is not None), default=0
    )


def first_mature_age(
    sc: Scenario, node: str, tolerance: float, gd: GoodDies, limit: int = 120
) -> int:
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


def build_nodes(
    sc: Scenario, opts: list[CapacityOption], tolerance: float, gd: GoodDies
) -> xr.Dataset:
    names = sorted({o.node for o in opts} | {p.node for p in sc.products})
    return xr.Dataset(
        {
            "node_mature_age": ("node", [first_mature_age(sc, n, tolerance, gd) for n in names]),
            "node_cycle_months": ("node", [cycle_time_months(sc, n) for n in names]),
            "node_learning_tau": (
                "node",
                np.array([sc.node(n).learning_tau_months for n in names], dtype=float),
            ),
        },
        coords={"node": pd.Index(names, dtype=object)},
    )


def build_sites_and_groups(
    sc: Scenario, opts: list[CapacityOption], nodes: xr.Dataset, gd: GoodDies
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
            "site_region": ("site", labels_text([sc.fab(s).region for s in sites])),
            "group_site": ("group", labels_text([s for s, _ in keys])),
            "group_node": ("group", labels_text([n for _, n in keys])),
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


def option_yield(
    sc: Scenario,
    opts: list[CapacityOption],
    buckets: Buckets,
    mature_age: dict[str, int],
    gd: GoodDies,
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


def build_options(
    sc: Scenario, opts: list[CapacityOption], buckets: Buckets, nodes: xr.Dataset, gd: GoodDies
) -> xr.Dataset:
    months = sc.months
    mature_age = {str(n): int(a) for n, a in nodes["node_mature_age"].to_series().items()}
    capacity, gdpw, young = option_yield(sc, opts, buckets, mature_age, gd)
    labels = [option_label(o.site, o.kind, o.node, months[o.start]) for o in opts]
    depreciation, sustaining = capital_charges(sc, [o.capex for o in opts], buckets)
    return xr.Dataset(
        {
            "option_site": ("option", labels_text([o.site for o in opts])),
            "option_kind": ("option", labels_text([o.kind for o in opts])),
            "option_node": ("option", labels_text([o.node for o in opts])),
            "option_group": ("option", labels_text([f"{o.site} / {o.node}" for o in opts])),
            "option_start": ("option", labels_text([months[o.start] for o in opts])),
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
