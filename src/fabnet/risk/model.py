"""The arrays a plan is evaluated with, future after future (:class:`RiskModel`).

Built once from the scenario, the planner's :class:`~fabnet.plan.PlanData` and the plan's
first-stage decisions (modules / purchases per capacity option, own packaging blocks); then
:func:`fabnet.risk.recourse.evaluate_chunk` applies the sampled futures to these arrays.

Conventions shared with the planner (:mod:`fabnet.plan.data`):

* wafer output of a chosen option per month is its bucket output spread evenly over the bucket's
  months (exact in the monthly part of the horizon; in quarterly buckets it is the quarter's
  average), times the units built or bought;
* wafers out in month ``m`` of an option with first output ``s`` and cycle time ``d`` carry the
  good dies per wafer of learning age ``m − d − s``
  (``dies_per_wafer × line_yield × die_yield_at(age)``, :mod:`fabnet.econ.accelerator`),
  tabulated here on a grid (``AGE_STEP`` months early on, whole months to the horizon's end)
  and interpolated linearly (exact at whole months);
* the product mix of each site follows the plan's wafer starts (``wafer_starts`` table) bucket by
  bucket; in a bucket where the plan ran no wafers at that site, the site's mix over the whole
  horizon, else demand-weighted among the products of the node;
* capex follows the plan's schedule (a delay does not move or raise it: conservative on output,
  neutral on spending).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.econ.accelerator import die_yield_at, dies_per_wafer
from fabnet.errors import UsageError
from fabnet.plan.data import PlanData, units_from_decisions
from fabnet.risk.sampling import Sampler, compile_uncertainties
from fabnet.scenario import ExistingFab, Scenario, month_index

__all__ = [
    "AGE_STEP",
    "RiskModel",
    "build_risk_model",
    "model_from_decisions",
    "model_from_plan",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

AGE_STEP = 0.25
"""Grid step of the good-dies-per-wafer table in the first ``_AGE_FINE`` months [months]; whole
months to the horizon's end, then every year (yields are mature by then)."""
_AGE_FINE = 48.0
_AGE_MAX = 1200.0


@dataclass(frozen=True)
class RiskModel:
    """Everything :func:`~fabnet.risk.recourse.evaluate_chunk` needs (picklable, no solver).

    Axes: O chosen options, P products, L packaging lines, S HBM suppliers, H HBM types,
    C customers, I investors, T buckets, M months, Y years.
    """

    sampler: Sampler
    allocation: str
    contracts_then: str
    # time
    bucket_start: IntArray  # T
    bucket_length: IntArray  # T
    bucket_labels: tuple[str, ...]
    discount: FloatArray  # T
    bucket_year: IntArray  # T -> index into years
    years: tuple[str, ...]
    n_months: int
    # chosen capacity options
    opt_site: tuple[str, ...]  # O
    opt_kind: tuple[str, ...]  # O
    opt_node: IntArray  # O -> index into nodes
    opt_first_output: FloatArray  # O, month index of first wafer starts
    opt_lag: FloatArray  # O, cycle time [months]
    opt_out: FloatArray  # O x M wafers out per month (units included)
    opt_opex: FloatArray  # O, USD per wafer
    opt_delay_base: FloatArray  # O, base value of the delay field (lead time, months to output)
    opt_cap_base: FloatArray  # O, base value of the capacity field
    opt_mix: FloatArray  # O x P x T share of the option's wafers per product
    nodes: tuple[str, ...]
    node_tau: FloatArray  # nodes
    # products
    products: tuple[str, ...]
    product_node: IntArray  # P
    compute_dies: FloatArray  # P
    packages_per_wafer: FloatArray  # P
    test_cost: FloatArray  # P
    hbm_stacks: FloatArray  # P
    product_hbm_type: IntArray  # P -> H (or -1 without HBM)
    product_order: IntArray  # P, filling order of scarce packaging / HBM
    age_grid: FloatArray
    gdpw_table: FloatArray  # P x ages
    # packaging
    lines: tuple[str, ...]
    line_product: npt.NDArray[np.bool_]  # L x P
    line_booked: FloatArray  # L x T (the scenario's capacity series, may vary)
    line_added: FloatArray  # L x T (own expansions decided by the plan)
    line_cost: FloatArray  # L
    line_yield: FloatArray  # L
    line_order: IntArray  # L, cheapest first
    # HBM
    hbm_suppliers: tuple[str, ...]
    hbm_supplier_type: IntArray  # S -> H
    hbm_supply: FloatArray  # S x T
    hbm_price: FloatArray  # S
    hbm_order: IntArray  # S, cheapest first
    n_hbm_types: int
    # customers
    customers: tuple[str, ...]
    priority: IntArray  # C
    penalty: FloatArray  # C, USD per unit short (the planner's weights)
    demand: FloatArray  # C x P x T
    contracted: FloatArray  # C x P x T
    price: FloatArray  # C x P
    # money
    capex: FloatArray  # T (decisions fixed)
    investors: tuple[str, ...]
    investor_monthly: FloatArray  # I x M
    minimum_cash: float
    debt_limit: float
    debt_rate: float

    @property
    def n_buckets(self) -> int:
        return int(self.bucket_start.size)


def _site_mix(d: PlanData, wafer_starts: pd.DataFrame | None, site: str, node: str) -> FloatArray:
    """P x T share of the site's wafers per product (see the module docstring)."""
    n_p, n_t = len(d.products), d.buckets.n
    on_node = np.array([pn == node for pn in d.product_node], dtype=np.float64)
    mix = np.zeros((n_p, n_t))
    if wafer_starts is not None and len(wafer_starts):
        ws = wafer_starts[wafer_starts["site"] == site]
        b_index = {lab: t for t, lab in enumerate(d.buckets.labels)}
        p_index = {p: j for j, p in enumerate(d.products)}
        for row in ws.itertuples(index=False):
            t, j = b_index.get(str(row.month)), p_index.get(str(row.product))
            if t is not None and j is not None:
                mix[j, t] += float(row.wafers)
    mix *= on_node[:, None]
    total = mix.sum(axis=0)
    overall = mix.sum(axis=1)
    if overall.sum() <= 0:
        overall = d.demand.sum(axis=(0, 2)) * on_node
    if overall.sum() <= 0:
        overall = on_node.copy()
    overall = overall / max(overall.sum(), 1e-300)
    out = np.where(total > 0, mix / np.where(total > 0, total, 1.0), overall[:, None])
    return out


def _product_order(d: PlanData) -> IntArray:
    """Products by value per interposer wafer: packages per wafer × (best price + its penalty)."""
    score = np.zeros(len(d.products))
    for j in range(len(d.products)):
        has = d.demand[:, j, :].sum(axis=1) > 0
        if has.any():
            score[j] = d.packages_per_wafer[j] * float(np.max((d.price[:, j] + d.penalty)[has]))
    return np.argsort(-score, kind="stable").astype(np.int64)


def build_risk_model(
    scenario: Scenario,
    data: PlanData,
    units: npt.ArrayLike,
    blocks: npt.ArrayLike,
    *,
    wafer_starts: pd.DataFrame | None = None,
    allocation: str | None = None,
    sampler: Sampler | None = None,
    file: str | None = None,
) -> RiskModel:
    """Arrays to evaluate the decisions ``units`` / ``blocks`` of a plan built on ``data``.

    Args:
        wafer_starts: the plan's ``wafer_starts`` table (site, product, month, wafers): the
            product mix per site and bucket (default: demand-weighted).
        allocation: ``priority`` | ``proportional`` | ``maxmin`` | ``contracts`` (default: the
            scenario's policy).
        sampler: compiled uncertainties (default: all of the scenario's).
    """
    d, sc = data, scenario
    units = np.asarray(units, dtype=np.float64)
    blocks = np.asarray(blocks, dtype=np.float64)
    if units.shape != (len(d.option_kind),) or blocks.shape != (len(d.expansion_line),):
        raise UsageError("units/blocks do not match the plan data (options or expansions differ)")
    sampler = sampler or compile_uncertainties(sc, file=file)
    allocation = allocation or sc.policy.allocation
    b = d.buckets
    n_m, n_t = b.n_months, b.n
    length = b.length.astype(np.float64)

    # -- chosen options -----------------------------------------------------------------
    chosen = np.flatnonzero(units > 0)
    nodes = tuple(sorted({d.group_node[g] for g in d.option_group} | set(d.product_node)))
    node_idx = {n: i for i, n in enumerate(nodes)}
    cycle = dict(d.extra.get("cycle_time", {}))
    group_cycle = dict(d.extra.get("cycle_time_by_group", {}))
    opt_out = np.zeros((chosen.size, n_m))
    first = np.zeros(chosen.size)
    lag = np.zeros(chosen.size)
    delay_base = np.zeros(chosen.size)
    cap_base = np.ones(chosen.size)
    opt_mix = np.zeros((chosen.size, len(d.products), n_t))
    for k, o in enumerate(chosen):
        per_month = d.option_capacity[o] / length
        opt_out[k] = np.repeat(per_month, b.length) * units[o]
        node = d.group_node[d.option_group[o]]
        site = d.sites[d.option_site[o]]
        first[k] = month_index(d.option_start[o], sc.policy.start) + _first_output_offset(
            sc, site, d.option_kind[o], node
        )
        lag[k] = float(group_cycle.get(d.groups[d.option_group[o]], cycle.get(node, 0)))
        fab = sc.fab(site)
        if isinstance(fab, ExistingFab):
            delay_base[k] = fab.months_to_first_output
            cap_base[k] = fab.capacity_wspm
        else:
            delay_base[k] = fab.lead_time_months
            cap_base[k] = fab.module_wspm
        opt_mix[k] = _site_mix(d, wafer_starts, site, node)

    # -- products: good dies per wafer by age ----------------------------------------------
    age_grid = np.unique(
        np.concatenate(
            [
                np.arange(-1.0, _AGE_FINE, AGE_STEP),
                np.arange(0.0, n_m + 1.0),
                np.arange(float(n_m), _AGE_MAX + 12.0, 12.0),
            ]
        )
    )
    gdpw = np.zeros((len(d.products), age_grid.size))
    for j, p in enumerate(d.products):
        node = sc.node(d.product_node[j])
        gdpw[j] = dies_per_wafer(sc, p) * node.line_yield * die_yield_at(sc, p, age_grid)
    hbm_types = tuple(
        sorted(
            set(d.hbm_supplier_type)
            | {t for t, s in zip(d.hbm_type, d.hbm_stacks, strict=True) if s > 0}
        )
    )
    type_idx = {t: i for i, t in enumerate(hbm_types)}

    # -- packaging --------------------------------------------------------------------------
    added = np.zeros((len(d.lines), n_t))
    for e in range(len(blocks)):
        added[d.expansion_line[e]] += blocks[e] * d.expansion_capacity[e]
    capex = (units[:, None] * d.option_capex).sum(axis=0)
    if len(blocks):
        capex = capex + (blocks[:, None] * d.expansion_capex).sum(axis=0)

    # -- money ------------------------------------------------------------------------------
    inv_monthly = np.zeros((len(sc.investors), n_m))
    for i, inv in enumerate(sc.investors):
        if not inv.pay_in:
            inv_monthly[i, 0] += inv.commitment_usd
        for pay in inv.pay_in:
            m = month_index(pay.month, sc.policy.start)
            if m < n_m:
                inv_monthly[i, max(m, 0)] += pay.amount_usd

    years = tuple(sorted({lab[:4] for lab in b.labels}))
    return RiskModel(
        sampler=sampler,
        allocation=allocation,
        contracts_then=sc.policy.contracts_then,
        bucket_start=b.start.astype(np.int64),
        bucket_length=b.length.astype(np.int64),
        bucket_labels=tuple(b.labels),
        discount=b.discount.astype(np.float64),
        bucket_year=np.array([years.index(lab[:4]) for lab in b.labels], dtype=np.int64),
        years=years,
        n_months=n_m,
        opt_site=tuple(d.sites[d.option_site[o]] for o in chosen),
        opt_kind=tuple(d.option_kind[o] for o in chosen),
        opt_node=np.array(
            [node_idx[d.group_node[d.option_group[o]]] for o in chosen], dtype=np.int64
        ),
        opt_first_output=first,
        opt_lag=lag,
        opt_out=opt_out,
        opt_opex=np.array([d.group_opex[d.option_group[o]] for o in chosen], dtype=np.float64),
        opt_delay_base=delay_base,
        opt_cap_base=cap_base,
        opt_mix=opt_mix,
        nodes=nodes,
        node_tau=np.array([sc.node(n).learning_tau_months for n in nodes], dtype=np.float64),
        products=tuple(d.products),
        product_node=np.array([node_idx[n] for n in d.product_node], dtype=np.int64),
        compute_dies=d.compute_dies.astype(np.float64),
        packages_per_wafer=d.packages_per_wafer.astype(np.float64),
        test_cost=d.test_cost.astype(np.float64),
        hbm_stacks=d.hbm_stacks.astype(np.float64),
        product_hbm_type=np.array(
            [type_idx[t] if s > 0 else -1 for t, s in zip(d.hbm_type, d.hbm_stacks, strict=True)],
            dtype=np.int64,
        ),
        product_order=_product_order(d),
        age_grid=age_grid,
        gdpw_table=gdpw,
        lines=tuple(d.lines),
        line_product=d.line_product.copy(),
        line_booked=d.line_capacity.astype(np.float64),
        line_added=added,
        line_cost=d.line_cost.astype(np.float64),
        line_yield=d.line_yield.astype(np.float64),
        line_order=np.argsort(d.line_cost, kind="stable").astype(np.int64),
        hbm_suppliers=tuple(d.hbm_suppliers),
        hbm_supplier_type=np.array([type_idx[t] for t in d.hbm_supplier_type], dtype=np.int64),
        hbm_supply=d.hbm_supply.astype(np.float64),
        hbm_price=d.hbm_price.astype(np.float64),
        hbm_order=np.argsort(d.hbm_price, kind="stable").astype(np.int64),
        n_hbm_types=len(hbm_types),
        customers=tuple(d.customers),
        priority=d.priority.astype(np.int64),
        penalty=d.penalty.astype(np.float64),
        demand=d.demand.astype(np.float64),
        contracted=d.contracted.astype(np.float64),
        price=d.price.astype(np.float64),
        capex=capex,
        investors=tuple(v.name for v in sc.investors),
        investor_monthly=inv_monthly,
        minimum_cash=float(d.minimum_cash),
        debt_limit=float(d.debt_limit),
        debt_rate=float(d.debt_rate),
    )


def _first_output_offset(sc: Scenario, site: str, kind: str, node: str) -> int:
    """Months from an option's start to its first wafer starts (as :mod:`fabnet.plan.data`)."""
    fab = sc.fab(site)
    if isinstance(fab, ExistingFab):
        if node == fab.node:
            return fab.months_to_first_output
        for r in fab.retool:
            if r.node == node:
                return r.months
        return fab.months_to_first_output
    return fab.lead_time_months


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
        allocation=allocation,
        sampler=sampler,
    )


def model_from_decisions(
    scenario: Scenario,
    decisions: pd.DataFrame,
    *,
    wafer_starts: pd.DataFrame | None = None,
    allocation: str | None = None,
    sampler: Sampler | None = None,
    strategy: str = "mixed",
) -> RiskModel:
    """:class:`RiskModel` of a stored plan's ``decisions`` (and ``wafer_starts``) table."""
    from fabnet.plan import build_plan_data

    data = build_plan_data(scenario, strategy=strategy, fixed=decisions)
    units, blocks = units_from_decisions(data, decisions)
    return build_risk_model(
        scenario,
        data,
        units,
        blocks,
        wafer_starts=wafer_starts,
        allocation=allocation,
        sampler=sampler,
    )
