"""The fast recourse: a plan's operations in every future of a chunk at once (numpy, no solver).

For futures ``F`` and buckets ``T`` (arrays ``[F, T, ...]``), with the build/buy decisions fixed:

1. **Capacity.** Each chosen option's monthly wafer output is stretched by its sampled ramp
   (:func:`fabnet.risk.effects.ramp_warp`), shifted by its sampled delay ``δ`` in whole months
   as the planner and the exact recourse count them (:func:`fabnet.risk.effects.whole_delay`;
   ``out'(m) = out(m − δ)``) and scaled by the sampled capacity ratio. Learning ages move with
   it; a stuck site's yield is held for its whole months first
   (:func:`fabnet.risk.effects.stuck_age`), then the age is rescaled for the node's sampled
   ``τ`` (:func:`fabnet.risk.effects.learning_age`: the learning curves of
   :mod:`fabnet.econ.learning` depend on ``t/τ`` only) and held at the node's mature age, where
   the planner pools mature cohorts at that age's yield.
2. **Good dies per wafer** per option, product and bucket: the bucket's wafer-weighted average
   of ``GDPW_p(age_o(m))`` at the sampled mature defect density
   (:func:`fabnet.risk.effects.gdpw_lookup`); and the dies at the plan's product mix
   ``Σ_o Σ_{m∈t} out'_o(m) · mix_o(p, t) · GDPW_p(age_o(m))`` (only to size the die stock).
3. **Packaging, HBM, wafer mix and bought-in wafers** bucket by bucket, as the planner's
   allocation stages decide them (:mod:`fabnet.risk.assembly`): passes per contract and priority
   level, own wafers assigned to products in each future, dies carried in stock, lines by yield
   (and by cost where that makes as many units), outside foundries' wafers bought as recourse.
4. **Allocation** of each product's good packages to customers by the policy: ``priority``
   (level by level, the best-paying customer first within a level: the planner's last stage
   maximises NPV), ``proportional`` (to demand), ``maxmin`` (for one product with only a supply
   limit, the max-min fill rate is the equal fill rate, i.e. proportional), ``contracts``
   (contracted quantities first, proportionally if short, then the scenario's ``contracts_then``
   rule on the rest of the demand). Unmet demand is lost.
5. **Money** per bucket: capex, sustaining capex and depreciation (the planner's schedules for
   the sampled construction delay, times each site's sampled overrun,
   :func:`fabnet.risk.effects.capital`) and grants (the plan's),
   opex (own wafers started × opex per wafer with licence fees, bought-in wafers at their
   sampled price, packages × (line cost over time / packages per wafer + test), HBM stacks from
   the cheapest suppliers first), revenue (deliveries × each customer's price per product and
   bucket under its revenue model, :func:`fabnet.risk.effects.unit_prices`, plus take-or-pay on demand below the commitment),
   prepayments in and recovered from invoices (:func:`fabnet.econ.prepayment_flows`), income
   tax with losses carried forward (:func:`fabnet.econ.income_tax`), the terminal value, and
   investor pay-ins shifted by their sampled delays. Debt covers
   any gap below the cash floor, :math:`D_t = \\max(0, G_t + \\text{cash}_{min})` with
   :math:`G_t` the cumulative spend (interest included, three fixed-point passes) minus
   pay-ins; interest :math:`r L_t/12 \\cdot D_t`. NPV :math:`= \\sum_t DF_t (\\text{rev} -
   \\text{opex} - \\text{capex} - \\text{interest})` as in the planner; IRR of the project flows
   spread evenly over each bucket's months and summed by quarter (:func:`fabnet.econ.irr`,
   quarterly steps: 3x less work than monthly, same rate to within the timing of flows inside a
   quarter); funding coverage by
   :func:`fabnet.econ.funding_coverage`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fabnet.econ import funding_coverage, income_tax, irr, prepayment_flows
from fabnet.risk.assembly import _window_start, assemble, hbm_type_index
from fabnet.risk.effects import (
    capital,
    gdpw_lookup,
    learning_age,
    line_inputs,
    outside_supply,
    ramp_warp,
    stuck_age,
    unit_prices,
    whole_delay,
)
from fabnet.risk.model import RiskModel
from fabnet.risk.sampling import Chunk, Draws
from fabnet.vocab import AllocationPolicy

__all__ = ["SCALAR_METRICS", "evaluate_chunk", "evaluate_draws", "identity_draws"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SCALAR_METRICS = (
    "npv",
    "objective",
    "irr",
    "capex_total",
    "revenue_total",
    "funding_need",
    "funding_gap",
    "debt_peak",
    "funding_sufficient",
    "funding_with_debt",
    "delivered_total",
    "shortage_total",
    "first_good_month",
)
"""Per-future figures; vectors: delivered_by_year (Y), shortage_by_customer (C),
delivered_by_bucket (T)."""


def identity_draws(model: RiskModel, n: int = 1) -> Draws:
    """``n`` futures equal to the scenario (every target at its base value)."""
    k = len(model.sampler.targets)
    return Draws(model.sampler.targets, np.ones((n, k)), np.zeros((n, k)))


def evaluate_chunk(model: RiskModel, chunk: Chunk) -> dict[str, FloatArray]:
    """Sample the futures of ``chunk`` and evaluate the plan in each (module-level: picklable)."""
    return evaluate_draws(model, model.sampler.draw(chunk))


def _shift(series: FloatArray, delay: FloatArray, hold_end: bool) -> FloatArray:
    """``series`` (M) shifted later by ``delay`` (F) months: rows ``s(m − δ)``, linear in δ.

    Before the start the series is 0; beyond its end it holds its last value (``hold_end``)
    or is 0.
    """
    n_m = series.size
    ext = np.concatenate([[0.0], series, [series[-1] if hold_end else 0.0]])
    pos = np.arange(n_m)[None, :] - delay[:, None]
    lo = np.floor(pos)
    w = pos - lo
    i0 = np.clip(lo.astype(np.int64) + 1, 0, n_m + 1)
    i1 = np.clip(lo.astype(np.int64) + 2, 0, n_m + 1)
    return (1.0 - w) * ext[i0] + w * ext[i1]


def _series_affine(
    draws: Draws,
    coll: str,
    items: tuple[str, ...],
    field: str,
    base: FloatArray,
    length: FloatArray,
) -> FloatArray:
    """``[F, items, T]`` values of a per-bucket series under ``new = m·base + a`` per month."""
    out = np.broadcast_to(base, (draws.n, *base.shape)).copy()
    for i, name in enumerate(items):
        ma = draws.affine(coll, name, field)
        if ma is not None:
            m, a = ma
            out[:, i] = np.maximum(m[:, None] * base[i] + a[:, None] * length, 0.0)
    return out


def _proportional(supply: FloatArray, want: FloatArray) -> FloatArray:
    """Share ``supply`` (...) over the last axis of ``want`` (..., C) in proportion, capped."""
    total = want.sum(axis=-1)
    ratio = np.divide(supply, total, out=np.zeros_like(total), where=total > 0)
    return want * np.minimum(ratio, 1.0)[..., None]


def _best_paid_first(supply: FloatArray, want: FloatArray, price: FloatArray) -> FloatArray:
    """Share ``supply`` (...) over the last axis of ``want`` (..., C), highest ``price`` first
    (each customer filled before the next; the planner's last stage maximises NPV)."""
    order = np.argsort(-price, axis=-1, kind="stable")
    w = np.take_along_axis(want, order, axis=-1)
    before = np.cumsum(w, axis=-1) - w
    give = np.clip(supply[..., None] - before, 0.0, w)
    out = np.empty_like(want)
    np.put_along_axis(out, order, give, axis=-1)
    return out


def _by_rule(
    rule: str, supply: FloatArray, want: FloatArray, priority: npt.NDArray[np.int64],
    price: FloatArray,
) -> FloatArray:  # fmt: skip
    if rule != "priority":
        return _proportional(supply, want)
    out = np.zeros_like(want)
    left = supply.copy()
    for level in np.unique(priority):
        sel = priority == level
        x = _best_paid_first(left, want[..., sel], price[..., sel])
        out[..., sel] = x
        left = np.maximum(left - x.sum(axis=-1), 0.0)
    return out


def _allocate(
    model: RiskModel, good: FloatArray, dem: FloatArray, con: FloatArray, price: FloatArray
) -> FloatArray:
    """Deliveries [F, T, C, P] of good packages [F, T, P] by the model's policy; within a
    priority level the best-paying customer first (``price`` [F, T, C, P])."""
    out = np.zeros_like(dem)
    priority = model.values("priority")
    for p in range(good.shape[-1]):
        g, d, c, pr = good[..., p], dem[..., p], con[..., p], price[..., p]
        if model.allocation == AllocationPolicy.CONTRACTS:
            first = _proportional(g, c)
            rest = np.maximum(g - first.sum(axis=-1), 0.0)
            out[..., p] = first + _by_rule(model.contracts_then, rest, d - first, priority, pr)
        else:
            out[..., p] = _by_rule(model.allocation, g, d, priority, pr)
    return out


def _hold_for_levels(model: RiskModel, made: FloatArray, dem: FloatArray) -> FloatArray:
    r"""Packages to allocate per bucket [F, T, P]: those made [F, T, P] plus those carried,
    less those held back for a higher level's later shortfall (demand ``dem`` [F, T, C, P]).

    The planner's priority stages maximise each level's units summed over the horizon, level by
    level, so a unit a lower level would get now is kept for a higher level that will be short
    later. Bucket by bucket, each level but the last in turn takes its demand
    :math:`\min(D_k, A)` of what is on hand :math:`A`, then reserves
    :math:`\min(A', \sum_{t' > t} s_{k,t'})` for its shortfalls ahead
    :math:`s_{k,t'} = (D_{\le k,t'} - M_{t'})^+ - (D_{< k,t'} - M_{t'})^+` (made :math:`M`);
    the reserves are carried. Shortfalls inside the terminal value's window are not held for
    (the planner's terminal value must not live off stock made before it)."""
    priority = model.values("priority")
    levels = np.unique(priority)
    rule = model.contracts_then if model.allocation == AllocationPolicy.CONTRACTS else None
    if levels.size < 2 or AllocationPolicy.PRIORITY not in (model.allocation, rule):
        return made
    n_t = made.shape[1]
    window = _window_start(model)
    ahead = np.zeros(n_t)
    ahead[: n_t if window < 0 else window] = 1.0
    dem_k = [dem[:, :, priority == k].sum(axis=2) for k in levels[:-1]]  # each F x T x P
    reserve_ahead = []
    below = np.zeros_like(made)
    for d in dem_k:
        short = np.maximum(below + d - made, 0.0) - np.maximum(below - made, 0.0)
        short = short * ahead[None, :, None]
        after = np.cumsum(short[:, ::-1], axis=1)[:, ::-1] - short  # sum over t' > t
        reserve_ahead.append(after)
        below = below + d
    supply = np.empty_like(made)
    held = np.zeros((made.shape[0], made.shape[2]))
    for t in range(n_t):
        left = made[:, t] + held
        kept = np.zeros_like(left)
        for d, after in zip(dem_k, reserve_ahead, strict=True):
            left = np.maximum(left - d[:, t], 0.0)
            r = np.minimum(left, after[:, t])
            kept += r
            left -= r
        supply[:, t] = made[:, t] + held - kept
        held = kept
    return supply


def _dies(model: RiskModel, draws: Draws) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Good dies at the plan's mix [F, P, T], wafers out per option [F, O, T], good dies per
    wafer per option and product (bucket averages) [F, O, P, T] and the opex ratio of each
    option [F, O] in the sampled futures (steps 1-2 of the module docstring)."""
    ds, b = model.ds, model.data.buckets
    n_f, n_t, n_m = draws.n, b.n, b.n_months
    nodes = model.data.labels("node")
    base_tau = model.values("node_learning_tau")
    tau_new = (
        np.stack(
            [
                draws.value("nodes", n, "learning_tau_months", t)
                for n, t in zip(nodes, base_tau, strict=True)
            ],
            axis=1,
        )
        if nodes
        else np.ones((n_f, 0))
    )
    tau_ratio = base_tau[None, :] / np.maximum(tau_new, 1e-3)
    product_node = model.data.positions("node", model.values("product_node"))
    option_node = model.data.positions("node", model.values("option_node"))
    lag = ds["group_cycle_months"].sel(group=ds["option_group"].values).values.astype(float)
    first = model.values("option_first_output_month").astype(float)
    opex_base = ds["group_opex"].sel(group=ds["option_group"].values).values
    site, kind = model.values("option_site"), model.values("option_kind")
    cap_base = model.values("option_capacity_field")
    output, mix = model.values("option_output"), model.values("option_mix")
    months = np.arange(n_m, dtype=np.float64)
    n_o, n_p = len(site), len(model.data.products)
    dies = np.zeros((n_f, n_p, n_t))
    wafers = np.zeros((n_f, n_o, n_t))
    gdpw = np.zeros((n_f, n_o, n_p, n_t))
    opex_ratio = np.ones((n_f, n_o))
    d0_base = model.values("node_d0_mature") if "node_d0_mature" in model.ds else None
    mature_age = model.values("node_mature_age") if "node_mature_age" in model.ds else None
    nc_delay = (
        model.values("option_learning_delay")
        if "option_learning_delay" in model.ds
        else np.zeros(len(site))
    )
    for k in range(n_o):
        cap_field = "module_wspm" if kind[k] == "build" else "capacity_wspm"
        whole = whole_delay(model, draws, k)
        delay = np.zeros(n_f) if whole is None else whole
        cap_ratio = np.maximum(draws.value("fabs", site[k], cap_field, cap_base[k]), 0.0) / max(
            cap_base[k], 1e-300
        )
        opex_ratio[:, k] = draws.value("fabs", site[k], "opex_per_wafer_usd", opex_base[k]) / max(
            opex_base[k], 1e-300
        )
        stretch = draws.affine("fabs", site[k], "ramp_stretch")
        if stretch is not None:
            on = np.flatnonzero(output[k] > 0)  # the ramp starts at the first wafers out
            series = ramp_warp(output[k], float(on[0] if on.size else n_m), stretch[1])
        else:
            series = np.broadcast_to(output[k], (n_f, n_m))
        if not delay.any():
            out = series * cap_ratio[:, None]
        else:
            out = _shift_rows(series, delay) * cap_ratio[:, None]
        age = months[None, :] - lag[k] - first[k] - delay[:, None]
        stuck = draws.affine("fabs", site[k], "yield_stuck_months")
        if stuck is not None:  # whole months, as the exact recourse
            age = stuck_age(age, np.maximum(np.round(stuck[1]), 0.0))
        age = learning_age(age, tau_ratio[:, [option_node[k]]], float(nc_delay[k]))
        if mature_age is not None:  # the planner's mature pool: the yield at the mature age
            age = np.minimum(age, float(mature_age[option_node[k]]) + float(nc_delay[k]))
        node = model.data.labels("node")[option_node[k]]
        d0 = draws.affine("nodes", node, "d0_mature_per_cm2")
        d0_ratio = None
        if d0 is not None and d0_base is not None:
            base = float(d0_base[option_node[k]])
            d0_ratio = (d0[0] * base + d0[1]) / max(base, 1e-300)
        wafers[:, k] = np.add.reduceat(out, b.start, axis=1)
        for p in np.flatnonzero(product_node == option_node[k]):
            good = np.add.reduceat(
                out * gdpw_lookup(model, k, int(p), age, d0_ratio), b.start, axis=1
            )
            gdpw[:, k, p] = np.divide(good, wafers[:, k], out=np.zeros_like(good),
                                      where=wafers[:, k] > 0)  # fmt: skip
            dies[:, p] += good * mix[k, p][None, :]
    return dies, wafers, gdpw, opex_ratio


def _shift_rows(series: FloatArray, delay: FloatArray) -> FloatArray:
    """Rows ``series[f]`` (F x M) shifted later by ``delay[f]`` months, linear in the delay
    (0 before the start, the last value held beyond the end), as :func:`_shift` row by row."""
    n_f, n_m = series.shape
    ext = np.concatenate([np.zeros((n_f, 1)), series, series[:, -1:]], axis=1)
    pos = np.arange(n_m)[None, :] - delay[:, None]
    lo = np.floor(pos)
    w = pos - lo
    i0 = np.clip(lo.astype(np.int64) + 1, 0, n_m + 1)
    i1 = np.clip(lo.astype(np.int64) + 2, 0, n_m + 1)
    return (1.0 - w) * np.take_along_axis(ext, i0, axis=1) + w * np.take_along_axis(ext, i1, axis=1)


def _market(model: RiskModel, draws: Draws) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Demand and contracted units [F, C, P, T] and prices [F, C, P, T] in the sampled futures."""
    b = model.data.buckets
    length = b.length.astype(np.float64)
    demand, contracted = model.values("demand"), model.values("contracted")
    n_f = draws.n
    dem = np.empty((n_f, *demand.shape))
    con = np.empty((n_f, *demand.shape))
    for c, name in enumerate(model.customers):
        has = (demand[c] > 0).astype(np.float64)
        for field, base, target in (
            ("demand", demand[c], dem),
            ("contracted", contracted[c], con),
        ):
            ma = draws.affine("customers", name, field)
            if ma is None:
                target[:, c] = base
            else:
                m, a = ma
                target[:, c] = np.maximum(
                    m[:, None, None] * base + a[:, None, None] * has * length, 0.0
                )
        growth = draws.affine("customers", name, "demand_growth")
        if growth is not None:  # (1 + g) per year, compounded to each bucket's middle
            years = (b.start + length / 2.0) / 12.0
            factor = (1.0 + np.maximum(growth[1], -0.99))[:, None] ** years[None, :]
            dem[:, c] *= factor[:, None, :]
            con[:, c] *= factor[:, None, :]
    price = unit_prices(model, draws)
    return dem, np.minimum(con, dem), price


def _per_item(draws: Draws, coll: str, items: tuple[str, ...], field: str, base: FloatArray):
    """[F, items] sampled values of a scalar field."""
    if not items:
        return np.zeros((draws.n, 0))
    return np.stack(
        [draws.value(coll, n, field, v) for n, v in zip(items, base, strict=True)], axis=1
    )


def _operating_cost(
    model: RiskModel, used: FloatArray, opex_ratio: FloatArray, assembled: FloatArray,
    line_cost: FloatArray, hbm_sup: FloatArray, hbm_price: FloatArray,
    lines: dict[str, FloatArray] | None = None,
) -> FloatArray:  # fmt: skip
    """Opex per bucket [F, T]: own wafers started [F, O, T], packaging and test, HBM stacks from
    the cheapest suppliers first (step 5)."""
    ds = model.ds
    ppw = model.values("packages_per_interposer_wafer")
    opex_base = ds["group_opex"].sel(group=ds["option_group"].values).values
    opex = (used * (opex_base[None, :] * opex_ratio)[..., None]).sum(axis=1)
    if lines is not None:
        lines["opex_wafers"] = opex.copy()
    if line_cost.shape[1]:
        index = model.values("line_cost_index").T  # T x L: outside houses' prices over time
        cost = line_cost[:, None, :] * index[None]  # F x T x L
        per_pkg = cost[..., None] / ppw[None, None, None, :] + model.values("test_cost")
        opex = opex + (assembled * per_pkg).sum(axis=(2, 3))
    if lines is not None:
        lines["opex_packaging"] = opex - lines["opex_wafers"]
    supplier_type, product_type, n_types = hbm_type_index(model)
    stacks = np.zeros((*opex.shape, n_types))
    for p in range(len(product_type)):
        if product_type[p] >= 0:
            stacks[..., product_type[p]] += (
                assembled[..., p].sum(axis=-1) * model.values("hbm_stacks")[p]
            )
    for s in np.argsort(model.values("hbm_price"), kind="stable"):
        h = supplier_type[s]
        take = np.minimum(stacks[..., h], hbm_sup[:, s])
        opex = opex + take * hbm_price[:, [s]]
        stacks[..., h] -= take
    if lines is not None:
        lines["opex_hbm"] = opex - lines["opex_wafers"] - lines["opex_packaging"]
    return opex


def _wafer_cost(model: RiskModel, opex_ratio: FloatArray) -> FloatArray:
    """[F, O] cost of an own wafer started (opex with licence fees, sampled)."""
    ds = model.ds
    return ds["group_opex"].sel(group=ds["option_group"].values).values[None, :] * opex_ratio


def _pay_ins(model: RiskModel, draws: Draws) -> FloatArray:
    """Investors' pay-ins per bucket [F, T], shifted by their sampled delays."""
    b = model.data.buckets
    pay_in = model.values("investor_pay_in")
    inflow_m = np.zeros((draws.n, b.n_months))
    for i, name in enumerate(model.data.labels("investor")):
        series = pay_in[i]
        delay = draws.value("investors", name, "pay_in_delay_months", 0.0)
        total = series.sum()
        ratio = draws.value("investors", name, "commitment_usd", total) / max(total, 1e-300)
        shifted = (
            _shift(series, delay, hold_end=False)
            if delay.any()
            else np.broadcast_to(series, (draws.n, b.n_months))
        )
        inflow_m += shifted * ratio[:, None]
    return np.add.reduceat(inflow_m, b.start, axis=1)


def _money_metrics(
    model: RiskModel, revenue_c: FloatArray, opex: FloatArray, inflow: FloatArray,
    shortage: FloatArray, capital_flows: tuple[FloatArray, FloatArray, FloatArray],
    lines: dict[str, FloatArray] | None = None,
) -> dict[str, FloatArray]:  # fmt: skip
    """NPV, objective, IRR, funding figures per future (step 5): revenue per customer
    [F, C, T], capex, sustaining capex and depreciation [F, T] (:func:`~fabnet.risk.effects.capital`), with prepayments recovered from it, grants, sustaining capex, income tax with
    losses carried forward (:func:`fabnet.econ.income_tax`) and the terminal value, as the
    planner defines them (:mod:`fabnet.plan.model`)."""
    b = model.data.buckets
    ds = model.ds
    length = b.length.astype(np.float64)
    n_f = revenue_c.shape[0]
    revenue = revenue_c.sum(axis=1)
    capex, sustaining, depreciation = capital_flows
    grants = model.values("plan_grants")[None]
    prepaid_c = model.values("prepayment")
    if prepaid_c.sum() > 0:
        pre = prepayment_flows(
            revenue_c, np.broadcast_to(prepaid_c, revenue_c.shape),
            model.values("prepayment_recovery_share")[None, :],
        )  # fmt: skip
        prepaid, recovered = prepaid_c.sum(axis=0)[None], pre.recovered.sum(axis=1)
        owed_at_end = pre.balance[..., -1].sum(axis=1)
    else:
        prepaid, recovered, owed_at_end = np.zeros((1, b.n)), np.zeros((n_f, b.n)), np.zeros(n_f)
    rate = model.debt_rate * length / 12.0
    tax_rate = float(ds.attrs.get("tax_rate", 0.0))
    interest = np.zeros((n_f, b.n))
    tax = np.zeros((n_f, b.n))
    for _ in range(3):
        spend = capex + sustaining + opex + tax - revenue - grants - prepaid + recovered
        gap = np.cumsum(spend + interest, axis=1) - np.cumsum(inflow, axis=1)
        debt = np.maximum(gap + model.minimum_cash, 0.0)
        interest = rate * debt
        if tax_rate > 0:
            profit = revenue + grants - opex - sustaining - depreciation - interest
            tax = income_tax(profit, tax_rate).tax
    spend = capex + sustaining + opex + tax - revenue - grants - prepaid + recovered
    cov = funding_coverage(spend, inflow, model.debt_limit)
    flows = revenue + grants - opex - capex - sustaining - tax + prepaid - recovered
    df_end = (1.0 + float(ds.attrs.get("discount_rate", 0.0))) ** (-b.n_months / 12.0)
    tv = np.zeros(n_f)
    method = str(ds.attrs.get("terminal_method", "none"))
    if method != "none":
        window = (b.start >= b.n_months - 36).astype(float) / 3.0
        ebitda = ((revenue - opex) * window).sum(axis=1)
        if method == "perpetuity":
            r, g = float(ds.attrs["discount_rate"]), float(ds.attrs["terminal_growth"])
            fcf = ((1.0 - tax_rate) * (revenue - opex - sustaining) * window).sum(axis=1)
            tv = fcf * (1.0 + g) / (r - g)
        else:
            tv = float(ds.attrs["terminal_multiple"]) * ebitda
    npv = ((flows - interest) * b.discount).sum(axis=1) + df_end * (tv - owed_at_end)
    if lines is not None:
        lines.update(
            revenue_c=revenue_c, capex=capex, sustaining=sustaining, grants=grants + 0 * capex,
            tax=tax, interest=interest, prepaid=prepaid + 0 * capex, recovered=recovered,
            terminal=tv, owed_at_end=owed_at_end,
        )  # fmt: skip
    penalty = (shortage.sum(axis=3) * model.values("penalty")[None, None, :]).sum(axis=2)
    monthly = np.repeat(flows / length, b.length, axis=1)
    monthly[:, -1] += tv - owed_at_end
    quarters = np.add.reduceat(monthly, np.arange(0, b.n_months, 3), axis=1)
    irr_v = np.asarray(irr(quarters, months_per_step=3), dtype=np.float64).reshape(n_f)
    scale = max(abs(model.minimum_cash), 1.0)
    peak = np.asarray(cov.peak_gap, dtype=np.float64).reshape(n_f)
    return {
        "npv": npv,
        "objective": npv - (penalty * b.discount).sum(axis=1),
        "irr": irr_v,
        "capex_total": np.round(capex.sum(axis=1), 2),  # to the cent: a delay only moves it
        "revenue_total": revenue.sum(axis=1),
        "funding_need": np.maximum(np.cumsum(spend, axis=1).max(axis=1), 0.0),
        "funding_gap": peak,
        "debt_peak": debt.max(axis=1),
        "funding_sufficient": (peak + model.minimum_cash <= 1e-6 * scale).astype(np.float64),
        "funding_with_debt": (debt.max(axis=1) <= model.debt_limit * (1 + 1e-9) + 1e-6).astype(
            np.float64
        ),
    }


def evaluate_draws(
    model: RiskModel, draws: Draws, lines: dict[str, FloatArray] | None = None
) -> dict[str, FloatArray]:
    """Evaluate the plan in the futures ``draws`` (see the module docstring); ``lines``, when
    given, receives the cash-flow lines per future and bucket (for checking against the exact
    recourse, :mod:`benchmarks.recourse_agreement`)."""
    b = model.data.buckets
    length = b.length.astype(np.float64)
    dies, wafers, gdpw, opex_ratio = _dies(model, draws)
    dem, con, price = _market(model, draws)
    suppliers = model.data.suppliers
    line_cap, line_cost = line_inputs(model, draws)  # F x L x T, F x L
    hbm_sup = _series_affine(
        draws, "hbm", suppliers, "stacks_per_month", model.values("hbm_supply"), length
    )
    hbm_price = _per_item(draws, "hbm", suppliers, "price_usd", model.values("hbm_price"))
    outside_cap, outside_price = outside_supply(model, draws)
    asm = assemble(
        model,
        wafers,
        gdpw,
        dies,
        line_cap,
        hbm_sup,
        dem,
        con,
        outside_cap,
        price,
        outside_price,
        line_cost,
        hbm_price,
        _wafer_cost(model, opex_ratio),
    )
    made, assembled = asm.made, asm.assembled

    dem_ftcp = np.moveaxis(dem, 3, 1)  # F x T x C x P
    price_ftcp = np.moveaxis(price, 3, 1)  # F x T x C x P
    supply = _hold_for_levels(model, made, dem_ftcp)
    delivered = _allocate(model, supply, dem_ftcp, np.moveaxis(con, 3, 1), price_ftcp)
    shortage = np.maximum(dem_ftcp - delivered, 0.0)
    opex = _operating_cost(
        model, asm.used, opex_ratio, assembled, line_cost, hbm_sup, hbm_price, lines
    )
    if outside_cap.shape[1]:  # bought-in wafers, at least the take-or-pay minimum
        paid = np.maximum(asm.bought.sum(axis=2), model.values("outside_take_or_pay")[None])
        opex = opex + (paid * outside_price).sum(axis=1)
        if lines is not None:
            lines["opex_outside"] = (paid * outside_price).sum(axis=1)
    revenue_c = (delivered * price_ftcp).sum(axis=3)  # F x T x C
    unwanted = np.maximum(model.values("take_or_pay")[None] - dem, 0.0)  # F x C x P x T
    revenue_c = np.moveaxis(revenue_c, 1, 2) + (unwanted * price).sum(axis=2)  # F x C x T
    out = _money_metrics(
        model, revenue_c, opex, _pay_ins(model, draws), shortage, capital(model, draws), lines
    )
    if lines is not None:
        lines.update(delivered=delivered, made=made, used=asm.used, bought=asm.bought,
                     assembled=assembled)  # fmt: skip
        if asm.stock is not None:
            lines["stock"] = asm.stock

    any_good = made.sum(axis=2) > 0.5
    deliv_t = delivered.sum(axis=(2, 3))
    by_year = np.zeros((draws.n, len(model.years)))
    np.add.at(by_year.T, model.bucket_year, deliv_t.T)
    out.update(
        delivered_total=deliv_t.sum(axis=1),
        shortage_total=shortage.sum(axis=(1, 2, 3)),
        first_good_month=np.where(
            any_good.any(axis=1), b.start[np.argmax(any_good, axis=1)].astype(np.float64), np.nan
        ),
        delivered_by_year=by_year,
        shortage_by_customer=shortage.sum(axis=(1, 3)),
        delivered_by_bucket=deliv_t,
    )
    return out
