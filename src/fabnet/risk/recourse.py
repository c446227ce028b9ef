"""The fast recourse: a plan's operations in every future of a chunk at once (numpy, no solver).

For futures ``F`` and buckets ``T`` (arrays ``[F, T, ...]``), with the build/buy decisions fixed:

1. **Capacity.** Each chosen option's monthly wafer output is shifted by its sampled delay
   ``δ`` (linear interpolation for fractional months: ``out'(m) = out(m − δ)``) and scaled by the
   sampled capacity ratio; learning ages move with it and are scaled by the node's
   ``τ_base / τ_sampled`` (the learning curves of :mod:`fabnet.econ.learning` depend on ``t/τ``
   only, so a slower learning rate is the same curve at a younger age).
2. **Dies.** ``dies[p] = Σ_o Σ_{m∈t} out'_o(m) · mix_o(p, t) · GDPW_p(age_o(m))``.
3. **Packaging and HBM (greedy, vectorised).** Products in a fixed order of value per
   interposer wafer (:func:`fabnet.risk.model._product_order`), each on its packaging lines
   cheapest first: ``assembled = min(target/yield, dies/compute_dies, slots × packages_per_wafer,
   HBM left / stacks)``. With the ``contracts`` policy a first pass fills the contracted
   quantities of every product, a second the rest of the demand. Nothing is made beyond demand
   and no stock is carried between buckets (wafers are started only for the dies packaged):
   the LP may pre-build stock, so this recourse is a lower bound on what the LP delivers.
4. **Allocation** of each product's good packages to customers by the policy: ``priority``
   (level by level, proportional within a level), ``proportional`` (to demand), ``maxmin``
   (for one product with only a supply limit, the max-min fill rate is the equal fill rate, i.e.
   proportional), ``contracts`` (contracted quantities first, proportionally if short, then the
   scenario's ``contracts_then`` rule on the rest of the demand). Unmet demand is lost.
5. **Money** per bucket: capex (the plan's schedule), opex (wafers × opex per wafer, packages ×
   (line cost / packages per wafer + test), HBM stacks from the cheapest suppliers first),
   revenue (deliveries × price), investor pay-ins shifted by their sampled delays. Debt covers
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

from fabnet.econ import funding_coverage, irr
from fabnet.risk.model import RiskModel
from fabnet.risk.sampling import Chunk, Draws

__all__ = ["SCALAR_METRICS", "evaluate_chunk", "evaluate_draws", "identity_draws"]

FloatArray = npt.NDArray[np.float64]

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


def _by_rule(
    rule: str, supply: FloatArray, want: FloatArray, priority: npt.NDArray[np.int64]
) -> FloatArray:
    if rule != "priority":
        return _proportional(supply, want)
    out = np.zeros_like(want)
    left = supply.copy()
    for level in np.unique(priority):
        sel = priority == level
        x = _proportional(left, want[..., sel])
        out[..., sel] = x
        left = np.maximum(left - x.sum(axis=-1), 0.0)
    return out


def _allocate(model: RiskModel, good: FloatArray, dem: FloatArray, con: FloatArray) -> FloatArray:
    """Deliveries [F, T, C, P] of good packages [F, T, P] by the model's policy."""
    out = np.zeros_like(dem)
    for p in range(good.shape[-1]):
        g, d, c = good[..., p], dem[..., p], con[..., p]
        if model.allocation == "contracts":
            first = _proportional(g, c)
            rest = np.maximum(g - first.sum(axis=-1), 0.0)
            out[..., p] = first + _by_rule(model.contracts_then, rest, d - first, model.priority)
        else:
            out[..., p] = _by_rule(model.allocation, g, d, model.priority)
    return out


def evaluate_draws(model: RiskModel, draws: Draws) -> dict[str, FloatArray]:
    """Evaluate the plan in the futures ``draws`` (see the module docstring)."""
    md = model
    n_f, n_t, n_m = draws.n, md.n_buckets, md.n_months
    n_p, n_c = len(md.products), len(md.customers)
    length = md.bucket_length.astype(np.float64)
    starts = md.bucket_start
    month_bucket = np.repeat(np.arange(n_t), md.bucket_length)
    months = np.arange(n_m, dtype=np.float64)

    # -- 1-2: capacity and dies -----------------------------------------------------------
    node_tau_new = (
        np.stack(
            [
                draws.value("nodes", n, "learning_tau_months", t)
                for n, t in zip(md.nodes, md.node_tau, strict=True)
            ],
            axis=1,
        )
        if md.nodes
        else np.ones((n_f, 0))
    )
    tau_ratio = md.node_tau[None, :] / np.maximum(node_tau_new, 1e-3)
    n_o = len(md.opt_site)
    dies_full = np.zeros((n_f, n_p, n_t))
    wafers_full = np.zeros((n_f, n_o, n_p, n_t))
    opex_ratio = np.ones((n_f, n_o))
    for k in range(n_o):
        site, kind = md.opt_site[k], md.opt_kind[k]
        delay_field = "lead_time_months" if kind == "build" else "months_to_first_output"
        cap_field = "module_wspm" if kind == "build" else "capacity_wspm"
        base = md.opt_delay_base[k]
        delay = np.maximum(draws.value("fabs", site, delay_field, base), 0.0) - base
        cap_ratio = np.maximum(draws.value("fabs", site, cap_field, md.opt_cap_base[k]), 0.0) / max(
            md.opt_cap_base[k], 1e-300
        )
        opex_ratio[:, k] = draws.value("fabs", site, "opex_per_wafer_usd", md.opt_opex[k]) / max(
            md.opt_opex[k], 1e-300
        )
        if not delay.any():
            out = np.broadcast_to(md.opt_out[k], (n_f, n_m)) * cap_ratio[:, None]
        else:
            out = _shift(md.opt_out[k], delay, hold_end=True) * cap_ratio[:, None]
        age = months[None, :] - md.opt_lag[k] - md.opt_first_output[k] - delay[:, None]
        age = age * tau_ratio[:, [md.opt_node[k]]]
        for p in np.flatnonzero(md.product_node == md.opt_node[k]):
            mix_m = md.opt_mix[k, p][month_bucket]
            w = out * mix_m[None, :]
            g = np.interp(age, md.age_grid, md.gdpw_table[p])
            wafers_full[:, k, p] = np.add.reduceat(w, starts, axis=1)
            dies_full[:, p] += np.add.reduceat(w * g, starts, axis=1)

    # -- demand, supply, prices in this future --------------------------------------------
    dem = np.empty((n_f, n_c, n_p, n_t))
    con = np.empty((n_f, n_c, n_p, n_t))
    price = np.broadcast_to(md.price, (n_f, n_c, n_p)).copy()
    for c, name in enumerate(md.customers):
        has = (md.demand[c] > 0).astype(np.float64)
        for field, base, target in (
            ("demand", md.demand[c], dem),
            ("contracted", md.contracted[c], con),
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
            years = (starts + length / 2.0) / 12.0
            factor = (1.0 + np.maximum(growth[1], -0.99))[:, None] ** years[None, :]
            dem[:, c] *= factor[:, None, :]
            con[:, c] *= factor[:, None, :]
        ma = draws.affine("customers", name, "price_usd")
        if ma is not None:
            price[:, c] = np.maximum(ma[0][:, None] * md.price[c] + ma[1][:, None], 0.0)
    con = np.minimum(con, dem)
    booked = _series_affine(draws, "packaging", md.lines, "capacity_wpm", md.line_booked, length)
    line_cap = booked + md.line_added[None]  # F x L x T
    line_cost = (
        np.stack(
            [
                draws.value("packaging", n, "cost_per_wafer_usd", c)
                for n, c in zip(md.lines, md.line_cost, strict=True)
            ],
            axis=1,
        )
        if md.lines
        else np.zeros((n_f, 0))
    )
    hbm_sup = _series_affine(
        draws, "hbm", md.hbm_suppliers, "stacks_per_month", md.hbm_supply, length
    )
    hbm_price = (
        np.stack(
            [
                draws.value("hbm", n, "price_usd", c)
                for n, c in zip(md.hbm_suppliers, md.hbm_price, strict=True)
            ],
            axis=1,
        )
        if md.hbm_suppliers
        else np.zeros((n_f, 0))
    )

    # -- 3: packaging and HBM, greedy over [F, T] -----------------------------------------
    dies_left = np.moveaxis(dies_full, 1, 2).copy()  # F x T x P
    cap_left = np.moveaxis(line_cap, 1, 2).copy()  # F x T x L
    hbm_left = np.zeros((n_f, n_t, md.n_hbm_types))
    for s in range(len(md.hbm_suppliers)):
        hbm_left[..., md.hbm_supplier_type[s]] += hbm_sup[:, s]
    dem_tot = np.moveaxis(dem.sum(axis=1), 1, 2)  # F x T x P
    con_tot = np.moveaxis(con.sum(axis=1), 1, 2)
    passes = [con_tot, dem_tot] if md.allocation == "contracts" and con_tot.any() else [dem_tot]
    made = np.zeros((n_f, n_t, n_p))
    assembled = np.zeros((n_f, n_t, len(md.lines), n_p))
    for target in passes:
        for p in md.product_order:
            h = md.product_hbm_type[p]
            for li in md.line_order:
                if not md.line_product[li, p]:
                    continue
                y = md.line_yield[li]
                lim = np.maximum(target[..., p] - made[..., p], 0.0) / y
                lim = np.minimum(lim, dies_left[..., p] / md.compute_dies[p])
                lim = np.minimum(lim, cap_left[..., li] * md.packages_per_wafer[p])
                if h >= 0:
                    lim = np.minimum(lim, hbm_left[..., h] / md.hbm_stacks[p])
                a = np.maximum(lim, 0.0)
                assembled[..., li, p] += a
                made[..., p] += a * y
                dies_left[..., p] -= a * md.compute_dies[p]
                cap_left[..., li] -= a / md.packages_per_wafer[p]
                if h >= 0:
                    hbm_left[..., h] -= a * md.hbm_stacks[p]

    # -- 4: allocation ----------------------------------------------------------------------
    dem_ftcp = np.moveaxis(dem, 3, 1)  # F x T x C x P
    con_ftcp = np.moveaxis(con, 3, 1)
    delivered = _allocate(md, made, dem_ftcp, con_ftcp)  # F x T x C x P
    shortage = np.maximum(dem_ftcp - delivered, 0.0)

    # -- 5: money ---------------------------------------------------------------------------
    dies_used = (assembled.sum(axis=2)) * md.compute_dies  # F x T x P
    df_tp = np.moveaxis(dies_full, 1, 2)
    frac = np.divide(dies_used, df_tp, out=np.zeros_like(dies_used), where=df_tp > 0)
    frac = np.minimum(frac, 1.0)
    wafers = (wafers_full * np.moveaxis(frac, 1, 2)[:, None]).sum(axis=2)  # F x O x T
    opex = (wafers * (md.opt_opex[None, :] * opex_ratio)[..., None]).sum(axis=1)
    if md.lines:
        per_pkg = (
            line_cost[:, None, :, None] / md.packages_per_wafer[None, None, None, :] + md.test_cost
        )
        opex = opex + (assembled * per_pkg).sum(axis=(2, 3))
    stacks = np.zeros((n_f, n_t, md.n_hbm_types))
    for p in range(n_p):
        if md.product_hbm_type[p] >= 0:
            stacks[..., md.product_hbm_type[p]] += assembled[..., p].sum(axis=-1) * md.hbm_stacks[p]
    for s in md.hbm_order:
        h = md.hbm_supplier_type[s]
        take = np.minimum(stacks[..., h], hbm_sup[:, s])
        opex = opex + take * hbm_price[:, [s]]
        stacks[..., h] -= take
    revenue = (delivered * price[:, None]).sum(axis=(2, 3))
    capex = np.broadcast_to(md.capex, (n_f, n_t))

    inflow_m = np.zeros((n_f, n_m))
    for i, name in enumerate(md.investors):
        series = md.investor_monthly[i]
        delay = draws.value("investors", name, "pay_in_delay_months", 0.0)
        total = series.sum()
        ratio = draws.value("investors", name, "commitment_usd", total) / max(total, 1e-300)
        shifted = (
            _shift(series, delay, hold_end=False)
            if delay.any()
            else np.broadcast_to(series, (n_f, n_m))
        )
        inflow_m += shifted * ratio[:, None]
    inflow = np.add.reduceat(inflow_m, starts, axis=1)

    spend = capex + opex - revenue
    cov = funding_coverage(spend, inflow, md.debt_limit)
    rate = md.debt_rate * length / 12.0
    interest = np.zeros_like(spend)
    for _ in range(3):
        gap = np.cumsum(spend + interest, axis=1) - np.cumsum(inflow, axis=1)
        debt = np.maximum(gap + md.minimum_cash, 0.0)
        interest = rate * debt
    flows = revenue - opex - capex
    npv = ((flows - interest) * md.discount).sum(axis=1)
    penalty = (shortage.sum(axis=3) * md.penalty[None, None, :]).sum(axis=2)  # F x T
    objective = npv - (penalty * md.discount).sum(axis=1)
    monthly = np.repeat(flows / length, md.bucket_length, axis=1)
    quarters = np.add.reduceat(monthly, np.arange(0, n_m, 3), axis=1)
    irr_v = np.asarray(irr(quarters, months_per_step=3), dtype=np.float64).reshape(n_f)

    good_t = made.sum(axis=2)
    any_good = good_t > 0.5
    first_good = np.where(
        any_good.any(axis=1), starts[np.argmax(any_good, axis=1)].astype(np.float64), np.nan
    )
    deliv_t = delivered.sum(axis=(2, 3))
    by_year = np.zeros((n_f, len(md.years)))
    np.add.at(by_year.T, md.bucket_year, deliv_t.T)
    scale = max(abs(md.minimum_cash), 1.0)
    return {
        "npv": npv,
        "objective": objective,
        "irr": irr_v,
        "capex_total": capex.sum(axis=1),
        "revenue_total": revenue.sum(axis=1),
        "funding_need": np.maximum(np.cumsum(spend, axis=1).max(axis=1), 0.0),
        "funding_gap": np.asarray(cov.peak_gap, dtype=np.float64).reshape(n_f),
        "debt_peak": debt.max(axis=1),
        "funding_sufficient": (
            np.asarray(cov.peak_gap).reshape(n_f) + md.minimum_cash <= 1e-6 * scale
        ).astype(np.float64),
        "funding_with_debt": (debt.max(axis=1) <= md.debt_limit * (1 + 1e-9) + 1e-6).astype(
            np.float64
        ),
        "delivered_total": deliv_t.sum(axis=1),
        "shortage_total": shortage.sum(axis=(1, 2, 3)),
        "first_good_month": first_good,
        "delivered_by_year": by_year,
        "shortage_by_customer": shortage.sum(axis=(1, 3)),
        "delivered_by_bucket": deliv_t,
    }
