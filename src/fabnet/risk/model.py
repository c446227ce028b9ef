"""What a plan is evaluated with, future after future (:class:`RiskModel`).

The risk model is a *selection* of the planner's dataset (:class:`fabnet.plan.PlanData`): the
capacity options the plan chose, with every other variable as the planner compiled it, plus the
few arrays that only the evaluation needs:

=================== ========================= =================================================
variable            dimensions                meaning
=================== ========================= =================================================
``option_units``    option                    modules / purchases the plan chose
``option_output``   option, month             wafers out per month (units included)
``option_mix``      option, product, bucket   share of the option's wafers per product
``line_added``      line, bucket              own packaging expansions the plan decided
``plan_capex``      bucket                    the plan's capex schedule
``gdpw_by_age``     option, product, age      good dies per wafer at a learning age (the
                                              option's site: a newcomer learns later)
``plan_outside``    outside, product, bucket  wafers the plan buys from outside foundries
``plan_sustaining`` bucket                    the plan's sustaining capex
``plan_depreciation`` bucket                  depreciation of the plan's capex
``plan_grants``     bucket                    grants on the plan's capex (within their caps)
``option_capex_plan`` option, bucket          the plan's capex per chosen option (and its
                                              ``_sustaining_``/``_depreciation_`` twins): what
                                              a sampled capex overrun scales
``gdpw_by_age_d0``  d0_factor, option,        ``gdpw_by_age`` with every node's mature defect
                    product, age              density times ``d0_factor`` (only when the
                                              uncertainties vary ``d0_mature_per_cm2``)
``option_capex_delay`` option, delay,         the chosen option's capex per bucket for each
                    bucket                    whole month of construction delay (:data:`DELAYS`;
                                              and ``_sustaining_``/``_depreciation_`` twins)
``option_learning_delay`` option              the site's newcomer learning delay [months]
``node_d0_mature``  node                      the scenario's mature defect density per node
``price_hbm``       customer, product         HBM passed through in each unit price
``price_market``    customer, product         the price follows the market (not cost-plus)
``price_d0``        d0_factor, customer,      unit prices with the mature defect density times
                    product, bucket           ``d0_factor`` (foundry and cost-plus prices
                                              spread the wafer over the agreed mature yield)
=================== ========================= =================================================

Conventions shared with the planner (:mod:`fabnet.plan.data`):

* wafer output of a chosen option per month is its bucket output spread evenly over the bucket's
  months (exact in the monthly part of the horizon; in quarterly buckets it is the quarter's
  average), times the units built or bought;
* wafers out in month ``m`` of an option with first output ``s`` and cycle time ``d`` carry the
  good dies per wafer of learning age ``m − d − s``
  (:func:`fabnet.plan.good_dies_per_wafer_at`, the planner's own door to the formulas),
  tabulated on a grid (``AGE_STEP`` months early on, whole months to the horizon's end) and
  interpolated linearly (exact at whole months);
* the product mix of each site follows the plan's wafer starts (``wafer_starts`` table) bucket by
  bucket; in a bucket where the plan ran no wafers at that site, the site's mix over the whole
  horizon, else demand-weighted among the products of the node;
* capex follows the planner's schedule for the sampled construction delay (the building share
  over the first half of the lead time, the tools over the second), and so do sustaining capex
  and depreciation; grants follow the plan;
* wafers bought from outside foundries are the plan's orders, fixed (no delay: the foundry's
  line is running), at the foundry's yield.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from fabnet.econ.accelerator import hbm_price
from fabnet.econ.revenue import unit_price
from fabnet.errors import UsageError
from fabnet.plan import PlanData, build_plan_data, good_dies_per_wafer_at, units_from_decisions
from fabnet.risk.sampling import Sampler, compile_uncertainties
from fabnet.scenario import GreenfieldSite, Scenario

__all__ = [
    "AGE_STEP",
    "D0_FACTORS",
    "DELAYS",
    "RiskModel",
    "build_risk_model",
    "model_from_decisions",
    "model_from_plan",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

D0_FACTORS = (0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 3.0)
"""Multiples of the mature defect density at which ``gdpw_by_age_d0`` is tabulated; a sampled
density between two is interpolated linearly in the factor (outside, clipped to the range)."""

AGE_STEP = 0.25
"""Grid step of the good-dies-per-wafer table in the first ``_AGE_FINE`` months [months]; whole
months to the horizon's end, then every year (yields are mature by then)."""
_AGE_FINE = 48.0
_AGE_MAX = 1200.0


@dataclass(frozen=True)
class RiskModel:
    """Everything :func:`~fabnet.risk.recourse.evaluate_chunk` needs (picklable, no solver):
    the plan's dataset restricted to its chosen options (module docstring), the compiled
    uncertainties and the allocation rule."""

    data: PlanData
    sampler: Sampler
    allocation: str
    contracts_then: str

    @property
    def ds(self) -> xr.Dataset:
        return self.data.ds

    def values(self, name: str) -> npt.NDArray[Any]:
        """The numpy values of dataset variable ``name``."""
        return self.data.values(name)

    # -- what the aggregation and the tables need -------------------------------------------
    @property
    def n_buckets(self) -> int:
        return self.data.buckets.n

    @property
    def n_months(self) -> int:
        return self.data.buckets.n_months

    @property
    def bucket_labels(self) -> tuple[str, ...]:
        return self.data.buckets.labels

    @property
    def years(self) -> tuple[str, ...]:
        return tuple(sorted({lab[:4] for lab in self.bucket_labels}))

    @property
    def bucket_year(self) -> IntArray:
        years = self.years
        return np.array([years.index(lab[:4]) for lab in self.bucket_labels], dtype=np.int64)

    @property
    def customers(self) -> tuple[str, ...]:
        return self.data.customers

    @property
    def capex(self) -> FloatArray:
        """The plan's capex per bucket (decisions fixed)."""
        return np.asarray(self.values("plan_capex"), dtype=np.float64)

    @property
    def minimum_cash(self) -> float:
        return float(self.ds.attrs["minimum_cash"])

    @property
    def debt_limit(self) -> float:
        return float(self.ds.attrs["debt_limit"])

    @property
    def debt_rate(self) -> float:
        return float(self.ds.attrs["debt_rate"])


def _site_mix(d: PlanData, wafer_starts: pd.DataFrame | None, site: str, node: str) -> FloatArray:
    """P x T share of the site's wafers per product (see the module docstring)."""
    n_p, n_t = len(d.products), d.buckets.n
    on_node = (d.values("product_node") == node).astype(np.float64)
    mix = np.zeros((n_p, n_t))
    if wafer_starts is not None and len(wafer_starts):
        ws = wafer_starts[wafer_starts["site"] == site]
        b_index = {lab: t for t, lab in enumerate(d.buckets.labels)}
        p_index = {p: j for j, p in enumerate(d.products)}
        for row in ws.itertuples(index=False):
            t, j = b_index.get(str(row.month)), p_index.get(str(row.product))
            if t is not None and j is not None:
                mix[j, t] += float(row.wafers)  # type: ignore[arg-type]
    mix *= on_node[:, None]
    total = mix.sum(axis=0)
    overall = mix.sum(axis=1)
    if overall.sum() <= 0:
        overall = d.values("demand").sum(axis=(0, 2)) * on_node
    if overall.sum() <= 0:
        overall = on_node.copy()
    overall = overall / max(overall.sum(), 1e-300)
    return np.where(total > 0, mix / np.where(total > 0, total, 1.0), overall[:, None])


def _age_grid(n_months: int) -> FloatArray:
    return np.unique(
        np.concatenate(
            [
                np.arange(-1.0, _AGE_FINE, AGE_STEP),
                np.arange(0.0, n_months + 1.0),
                np.arange(float(n_months), _AGE_MAX + 12.0, 12.0),
            ]
        )
    )


def _risk_variables(
    scenario: Scenario,
    d: PlanData,
    units: FloatArray,
    blocks: FloatArray,
    chosen: IntArray,
    wafer_starts: pd.DataFrame | None,
    outside_wafers: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The arrays only the evaluation needs (module docstring), on the selected options."""
    b = d.buckets
    length = b.length.astype(np.float64)
    per_month = d.values("option_capacity")[chosen] / length
    output = np.repeat(per_month, b.length, axis=1) * units[chosen, None]
    site, node = d.values("option_site")[chosen], d.values("option_node")[chosen]
    mix = np.array(
        [_site_mix(d, wafer_starts, str(s), str(n)) for s, n in zip(site, node, strict=True)]
    ).reshape(chosen.size, len(d.products), b.n)
    added = np.zeros((len(d.lines), b.n))
    if len(blocks):
        np.add.at(
            added,
            d.positions("line", d.values("expansion_line")),
            blocks[:, None] * d.values("expansion_capacity"),
        )

    def per_unit(option_var: str, expansion_var: str) -> FloatArray:
        total = (units[:, None] * d.values(option_var)).sum(axis=0)
        if len(blocks):
            total = total + (blocks[:, None] * d.values(expansion_var)).sum(axis=0)
        return np.asarray(total, dtype=np.float64)

    capex = per_unit("option_capex", "expansion_capex")
    ages = _age_grid(b.n_months)
    table = _gdpw_table(scenario, d, site, ages)
    n_out = int(d.ds.sizes.get("outside", 0))
    outside = np.zeros((n_out, len(d.products), b.n))
    if outside_wafers is not None and len(outside_wafers) and n_out:
        sup = {s: i for i, s in enumerate(d.labels("outside"))}
        prod = {p: j for j, p in enumerate(d.products)}
        month = {lab: k for k, lab in enumerate(b.labels)}
        for row in outside_wafers.itertuples(index=False):
            i, j, k = (
                sup.get(str(row.supplier)),
                prod.get(str(row.product)),
                month.get(str(row.month)),
            )
            if i is not None and j is not None and k is not None:
                outside[i, j, k] += float(row.wafers)  # type: ignore[arg-type]
    grants = np.zeros(b.n)
    if int(d.ds.sizes.get("grant", 0)):
        covered = (
            d.values("grant_option_share")[:, :, None] * (units[:, None] * d.values("option_capex"))
        ).sum(axis=1)
        if len(blocks):
            covered = covered + (
                d.values("grant_expansion_share")[:, :, None]
                * (blocks[:, None] * d.values("expansion_capex"))
            ).sum(axis=1)
        cap = d.values("grant_cap")
        paid = np.minimum(np.cumsum(covered, axis=1), cap[:, None])
        grants = np.diff(paid, axis=1, prepend=0.0).sum(axis=0)
    delay_nc = [scenario.fab(str(s)).newcomer for s in site]
    return {
        "option_learning_delay": (
            "option",
            np.array([n.learning_delay_months if n is not None else 0.0 for n in delay_nc]),
        ),
        "option_units": ("option", units[chosen]),
        "option_output": (("option", "month"), output),
        "option_mix": (("option", "product", "bucket"), mix),
        "line_added": (("line", "bucket"), added),
        "plan_capex": ("bucket", capex),
        "plan_sustaining": ("bucket", per_unit("option_sustaining", "expansion_sustaining")),
        "plan_depreciation": ("bucket", per_unit("option_depreciation", "expansion_depreciation")),
        "plan_grants": ("bucket", grants),
        "plan_outside": (("outside", "product", "bucket"), outside),
        "gdpw_by_age": (("option", "product", "age"), table),
        "age": ages,
        **{
            f"option_{k}_plan": (
                ("option", "bucket"),
                units[chosen, None] * d.values(f"option_{k}")[chosen],
            )
            for k in ("capex", "sustaining", "depreciation")
        },
        **_price_parts(scenario, d),
        "node_d0_mature": (
            "node",
            np.array(
                [scenario.node(str(n)).d0_mature_per_cm2 for n in d.labels("node")],
                dtype=np.float64,
            ),
        ),
    }


DELAYS = np.arange(-12, 61)
"""Whole months of construction delay (against the plan's lead time) at which each chosen
greenfield option's capex, sustaining capex and depreciation are tabulated
(``option_capex_delay`` and twins); a delay outside is clipped."""


def _capital_by_delay(scenario: Scenario, d: PlanData, units: FloatArray,
                      chosen: IntArray) -> dict[str, Any]:  # fmt: skip
    """Per chosen option and whole-month delay of its lead time: capex, sustaining capex and
    depreciation per bucket (the planner's schedule, :func:`fabnet.plan.options.greenfield_capex`
    over the delayed lead time, and :func:`fabnet.plan.data_fabs.capital_charges` of it); a bought
    fab's schedule does not depend on the delay."""
    from fabnet.plan.data import capital_charges
    from fabnet.plan.options import greenfield_capex

    b, n_m = d.buckets, d.buckets.n_months
    share = scenario.financing.equipment_share
    out = np.zeros((3, chosen.size, DELAYS.size, b.n))
    for i, o in enumerate(chosen):
        kind, site = str(d.values("option_kind")[o]), str(d.values("option_site")[o])
        fab = scenario.fab(site)
        if kind != "build" or not isinstance(fab, GreenfieldSite):
            for j, key in enumerate(("option_capex", "option_sustaining", "option_depreciation")):
                out[j, i] = d.values(key)[o][None, :] * units[o]
            continue
        nc = next(n for n in fab.nodes if n.node == str(d.values("option_node")[o]))
        premium = fab.newcomer.capex_premium if fab.newcomer is not None else 0.0
        total = nc.capex_per_kwspm_usd * (1.0 + premium) * fab.module_wspm / 1000.0
        start = int(d.values("option_start_month")[o])
        monthly = [greenfield_capex(total, start, max(fab.lead_time_months + int(k), 0), share,
                                    n_m) for k in DELAYS]  # fmt: skip
        dep, sus = capital_charges(scenario, monthly, b)
        out[0, i] = b.aggregate(np.array(monthly)) * units[o]
        out[1, i], out[2, i] = sus * units[o], dep * units[o]
    dims = ("option", "delay", "bucket")
    return {f"option_{k}_delay": (dims, out[j])
            for j, k in enumerate(("capex", "sustaining", "depreciation"))}  # fmt: skip


def _price_parts(scenario: Scenario, d: PlanData) -> dict[str, Any]:
    """``price_hbm`` [customer, product]: the HBM passed through in each unit price (stacks ×
    the cheapest supplier's price × (1 + markup) on foundry terms, × (1 + margin) cost-plus, 0
    merchant); ``price_market`` [customer, product]: whether the price follows the market
    (merchant and foundry terms; a cost-plus price follows the agreed cost)."""
    n_c, n_p = len(d.customers), len(d.products)
    hbm, market = np.zeros((n_c, n_p)), np.ones((n_c, n_p), dtype=bool)
    for i, c in enumerate(d.customers):
        cust = scenario.customer(c)
        for j, name in enumerate(d.products):
            p = scenario.product(name)
            terms = cust.terms_for(name)
            if terms.model == "merchant" or not p.hbm_stacks:
                continue
            stack = p.hbm_stacks * hbm_price(scenario, p.hbm_type)
            if terms.model == "foundry":
                pl = scenario.price_list(terms.price_list)
                hbm[i, j] = stack * (
                    1 + (pl.hbm_markup if terms.hbm_markup is None else terms.hbm_markup)
                )
            else:
                hbm[i, j], market[i, j] = stack * (1 + terms.margin), False
    return {
        "price_hbm": (("customer", "product"), hbm),
        "price_market": (("customer", "product"), market),
    }


def _prices_at(scenario: Scenario, d: PlanData, factor: float) -> FloatArray:
    """Unit prices [customer, product, bucket] with every node's mature defect density times
    ``factor``: a foundry bills wafers over the good dies its agreed (mature) yield gives, so a
    worse mature yield raises the price per unit (:func:`fabnet.econ.revenue.unit_price`)."""
    nodes = [n.model_copy(update={"d0_mature_per_cm2": n.d0_mature_per_cm2 * factor})
             for n in scenario.nodes]  # fmt: skip
    sc = scenario.model_copy(update={"nodes": nodes})
    out = d.values("price").copy()
    model = d.values("revenue_model")  # "merchant" also where the customer wants nothing
    b = d.buckets
    for i, c in enumerate(d.customers):
        for j, p in enumerate(d.products):
            if str(model[i, j]) != "merchant":
                out[i, j] = b.aggregate(unit_price(sc, c, p, sc.months)) / b.length
    return out


def _gdpw_table(
    scenario: Scenario, d: PlanData, site: npt.NDArray[Any], ages: FloatArray, factor: float = 1.0
) -> FloatArray:
    """Good dies per wafer [option, product, age] at each option's site, with every node's
    mature defect density times ``factor``."""
    if factor != 1.0:
        nodes = [n.model_copy(update={"d0_mature_per_cm2": n.d0_mature_per_cm2 * factor})
                 for n in scenario.nodes]  # fmt: skip
        scenario = scenario.model_copy(update={"nodes": nodes})
    cache: dict[str, FloatArray] = {}
    for s in {str(x) for x in site}:
        nc = scenario.fab(s).newcomer
        cache[s] = np.array([good_dies_per_wafer_at(scenario, p, ages, nc) for p in d.products])
    return np.array([cache[str(s)] for s in site]).reshape(site.size, len(d.products), ages.size)


def build_risk_model(
    scenario: Scenario,
    data: PlanData,
    units: npt.ArrayLike,
    blocks: npt.ArrayLike,
    *,
    wafer_starts: pd.DataFrame | None = None,
    outside_wafers: pd.DataFrame | None = None,
    allocation: str | None = None,
    sampler: Sampler | None = None,
    file: str | None = None,
) -> RiskModel:
    """The risk model of the decisions ``units`` / ``blocks`` of a plan built on ``data``.

    Args:
        wafer_starts: the plan's ``wafer_starts`` table (site, product, month, wafers): the
            product mix per site and bucket (default: demand-weighted).
        allocation: ``priority`` | ``proportional`` | ``maxmin`` | ``contracts`` (default: the
            scenario's policy).
        sampler: compiled uncertainties (default: all of the scenario's).
    """
    d = data
    units = np.asarray(units, dtype=np.float64)
    blocks = np.asarray(blocks, dtype=np.float64)
    if units.shape != (d.n_options,) or blocks.shape != (d.n_expansions,):
        raise UsageError("units/blocks do not match the plan data (options or expansions differ)")
    chosen = np.flatnonzero(units > 0)
    sampler = sampler or compile_uncertainties(scenario, file=file)
    extra = _risk_variables(scenario, d, units, blocks, chosen, wafer_starts, outside_wafers)
    ages = extra.pop("age")
    coords: dict[str, Any] = {"age": ages}
    if any(t[0] == "nodes" and t[2] == "d0_mature_per_cm2" for t in sampler.targets):
        site = d.values("option_site")[chosen]
        extra["gdpw_by_age_d0"] = (
            ("d0_factor", "option", "product", "age"),
            np.array([_gdpw_table(scenario, d, site, ages, f) for f in D0_FACTORS]).reshape(
                len(D0_FACTORS), chosen.size, len(d.products), ages.size
            ),
        )
        extra["price_d0"] = (
            ("d0_factor", "customer", "product", "bucket"),
            np.array([_prices_at(scenario, d, f) for f in D0_FACTORS]),
        )
        coords["d0_factor"] = np.array(D0_FACTORS)
    if any(t[2] == "lead_time_months" for t in sampler.targets):
        extra.update(_capital_by_delay(scenario, d, units, chosen))
        coords["delay"] = DELAYS
    ds = d.ds.isel(option=chosen).assign_coords(coords).assign(extra)
    return RiskModel(
        data=PlanData(ds, d.buckets),
        sampler=sampler,
        allocation=allocation or scenario.policy.allocation,
        contracts_then=scenario.policy.contracts_then,
    )


def model_from_plan(
    scenario: Scenario, plan: Any, *, allocation: str | None = None, sampler: Sampler | None = None
) -> RiskModel:
    """:class:`RiskModel` of a :class:`fabnet.plan.PlanResult` (its data, units and mix)."""
    return build_risk_model(
        scenario,
        plan.data,
        plan.units,
        plan.blocks,
        wafer_starts=plan.tables.get("wafer_starts"),
        outside_wafers=plan.tables.get("outside_wafers"),
        allocation=allocation,
        sampler=sampler,
    )


def model_from_decisions(
    scenario: Scenario,
    decisions: pd.DataFrame,
    *,
    wafer_starts: pd.DataFrame | None = None,
    outside_wafers: pd.DataFrame | None = None,
    allocation: str | None = None,
    sampler: Sampler | None = None,
    strategy: str = "mixed",
) -> RiskModel:
    """:class:`RiskModel` of a stored plan's ``decisions`` (and ``wafer_starts``,
    ``outside_wafers``) tables."""
    data = build_plan_data(scenario, strategy=strategy, fixed=decisions)
    units, blocks = units_from_decisions(data, decisions)
    return build_risk_model(
        scenario,
        data,
        units,
        blocks,
        wafer_starts=wafer_starts,
        outside_wafers=outside_wafers,
        allocation=allocation,
        sampler=sampler,
    )
