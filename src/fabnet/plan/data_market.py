"""The market side of :class:`fabnet.plan.data.PlanData`: packaging lines and outside
packaging houses, HBM suppliers, customers (demand, contracts, bookings, prices, prepayments),
outside foundries, grants and investors' money. Each ``build_*`` returns one
:class:`xarray.Dataset` that :func:`fabnet.plan.data.build_plan_data` merges; the variables are
described in :mod:`fabnet.plan.data`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from fabnet.econ.accelerator import outside_good_dies_per_wafer
from fabnet.econ.revenue import unit_price
from fabnet.plan.buckets import Buckets
from fabnet.plan.data_fabs import capital_charges, labels_text, product_active
from fabnet.plan.options import CapacityOption, Expansion, expansion_label, line_max_blocks
from fabnet.scenario import Scenario, month_index, series_values

__all__ = [
    "booked_units",
    "booking_line",
    "build_bookings",
    "build_customers",
    "build_grants",
    "build_hbm",
    "build_money",
    "build_outside_foundries",
    "build_packaging",
    "line_yield_paths",
]

FloatArray = npt.NDArray[np.float64]


def build_packaging(sc: Scenario, exps: list[Expansion], buckets: Buckets) -> xr.Dataset:
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
            "line_kind": ("line", labels_text([ln.kind for ln in lines] + [h.kind for h in osat])),
            "line_owner": (
                "line",
                labels_text([ln.owner for ln in lines] + ["outside"] * len(osat)),
            ),
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
            "expansion_line": ("expansion", labels_text([e.line for e in exps])),
            "expansion_start": ("expansion", labels_text([months[e.start] for e in exps])),
            "expansion_first_output": (
                "expansion",
                labels_text([months[e.first_output] for e in exps]),
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


def build_hbm(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    hbm = sc.hbm
    supply = np.array(
        [buckets.aggregate(series_values(h.stacks_per_month, sc.months)) for h in hbm]
    ).reshape(len(hbm), buckets.n)
    return xr.Dataset(
        {
            "supplier_hbm_type": ("supplier", labels_text([h.hbm_type for h in hbm])),
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


def booking_line(sc: Scenario, key: str) -> tuple[str, str | None]:
    """The packaging kind a ``packaging_bookings`` key books and the line it names: a kind
    gives ``(kind, None)``; a line's name (``packaging`` or ``outside_packaging``) gives
    ``(its kind, its name)``. A kind wins over a line of the same name (the key's older
    meaning)."""
    lines = [(ln.name, ln.kind) for ln in sc.packaging]
    lines += [(h.name, h.kind) for h in sc.outside_packaging]
    if any(kind == key for _, kind in lines):
        return key, None
    for name, kind in lines:
        if name == key:
            return kind, name
    return key, None  # unknown: rejected by the scenario checks


def booked_units(sc: Scenario, buckets: Buckets, demand: np.ndarray) -> np.ndarray:
    """Packaging bookings as contracted units [customer, product, bucket]: booked interposer
    wafers × packages per wafer × the kind's mean assembly yield in the bucket (mean over the
    kind's lines of :func:`line_yield_paths`), split over the customer's products of that kind
    in proportion to their demand in the bucket. A booking keyed by a line counts for the
    line's kind, the same way (:func:`booking_line`)."""
    out = np.zeros_like(demand)
    months = sc.months
    kinds = [ln.kind for ln in sc.packaging] + [op.kind for op in sc.outside_packaging]
    line_yield = line_yield_paths(sc, buckets)
    for ci, c in enumerate(sc.customers):
        for key, series in c.packaging_bookings.items():
            kind = booking_line(sc, key)[0]
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


def build_bookings(sc: Scenario, buckets: Buckets) -> xr.Dataset:
    r"""``booked_wafers`` [customer, line, bucket]: interposer wafers each customer reserved on a
    named packaging line (``packaging_bookings`` keyed by the line's name), summed over the
    bucket's months, :math:`B_{c,l,t} = \sum_{m \in t} b_{c,l}(m)`. Take-or-pay: the planner
    charges the line's price on :math:`\max(B_{c,l,t}, U_{c,l,t})`, :math:`U` the wafers the
    customer's products use on it (:func:`fabnet.plan.bookings.define_bookings`). Bookings keyed by
    a kind give no rows here (contracted units only, :func:`booked_units`). Not capped at the
    line's capacity: a reservation beyond it is paid and cannot be used."""
    names = [ln.name for ln in sc.packaging] + [h.name for h in sc.outside_packaging]
    booked = np.zeros((len(sc.customers), len(names), buckets.n))
    for ci, c in enumerate(sc.customers):
        for key, series in c.packaging_bookings.items():
            line = booking_line(sc, key)[1]
            if line is not None:
                monthly = np.asarray(series_values(series, sc.months), dtype=float)
                booked[ci, names.index(line)] += buckets.aggregate(monthly)
    return xr.Dataset(
        {"booked_wafers": (("customer", "line", "bucket"), booked)},
        coords={
            "customer": pd.Index([c.name for c in sc.customers], dtype=object),
            "line": pd.Index(names, dtype=object),
        },
    )


def build_customers(sc: Scenario, buckets: Buckets) -> xr.Dataset:
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
        contracted = contracted + booked_units(sc, buckets, demand)
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


def build_outside_foundries(sc: Scenario, buckets: Buckets) -> xr.Dataset:
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
    active = product_active(sc, buckets)  # P x T: on sale in the bucket
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
        low[i] *= active[[p.node == f.node for p in prods]].any(axis=0)
    return xr.Dataset(
        {
            "outside_node": ("outside", labels_text([f.node for f in sups])),
            "outside_max": (("outside", "bucket"), cap),
            "outside_min": (("outside", "bucket"), np.minimum(low, cap)),
            "outside_take_or_pay": (("outside", "bucket"), np.minimum(top, cap)),
            "outside_price": (("outside", "bucket"), price),
            "outside_gdpw": (("outside", "product"), gdpw),
        },
        coords={"outside": pd.Index([f.name for f in sups], dtype=object)},
    )


def build_grants(sc: Scenario, opts: list[CapacityOption], exps: list[Expansion]) -> xr.Dataset:
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


def build_money(sc: Scenario, buckets: Buckets) -> xr.Dataset:
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
