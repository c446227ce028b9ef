"""The planning model as a flat list of ``define_*`` functions over labelled arrays (linopy).

Each function adds one family of variables and constraints to a :class:`PlanModel`, returns early
when there is nothing to add and names things ``"{Component}-{attr}"`` (PyPSA's ``create_model``).
Money is in millions of USD and quantities in thousands inside the model (``MONEY``,
``QTY``) to keep coefficients near 1; every
quantity is per bucket (:mod:`fabnet.plan.buckets`). Sets and coefficients: :mod:`fabnet.plan.data`.
This module holds the operations families and :func:`build_model`; the model object and its
units are in :mod:`fabnet.plan.plan_model`, the money families (capex, grants, prepayments, tax,
cash, debt, terminal value, NPV) in :mod:`fabnet.plan.money`, packaging reservations in
:mod:`fabnet.plan.bookings`.

Variables (all ≥ 0): ``Option-units`` (integer modules / binary purchase per capacity option),
``Option-wafers`` (wafers out of young cohorts), ``Pool-wafers`` (wafers out of mature cohorts,
per site and node), ``Packages`` (assembled per line and product), ``Expansion-blocks`` (own
packaging capacity in blocks of 1,000 interposer wafers/month), ``HBM-stacks`` (bought per
supplier), ``Die-inventory``, ``Finished-inventory``, ``Delivered``, ``Contract-shortfall``,
``Cash``, ``Debt``.

Balances per product and bucket :math:`t` (inventories start at 0):

.. math::

    I^{die}_{p,t} = I^{die}_{p,t-1} + \\sum_o g_{o,p,t} w_{o,p,t} + \\sum_k \\bar g_{k,p} \\bar w_{k,p,t}
        - n^{die}_p \\sum_l x_{l,p,t}

    I^{fin}_{p,t} = I^{fin}_{p,t-1} + \\sum_l y_l x_{l,p,t} - \\sum_c q_{c,p,t}

(with ``policy.die_bank_months`` set, :math:`I^{die}_{p,t}` is also at most that many months of
the product's die use in bucket :math:`t`, and scrapped dies leave the die balance: see
``_die_bank``), and money per bucket (interest on the end-of-bucket debt, a slight
over-estimate):

.. math::

    \\mathrm{cash}_t - \\mathrm{cash}_{t-1} = \\mathrm{in}_t + (D_t - D_{t-1}) - r \\tfrac{L_t}{12} D_t
        - \\mathrm{capex}_t - \\mathrm{opex}_t + \\mathrm{revenue}_t,\\quad
    \\mathrm{cash}_t \\ge \\mathrm{cash}_{min},\\quad D_t \\le D_{max}.
"""

from __future__ import annotations

from typing import cast

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from fabnet.plan.bookings import define_bookings
from fabnet.plan.data import PlanData
from fabnet.plan.money import define_money, recovery_pull_rate
from fabnet.plan.plan_model import (
    FIRST_STAGE,
    MONEY,
    QTY,
    TERMINAL_WINDOW_MONTHS,
    PlanModel,
    previous_bucket,
)

__all__ = [
    "FIRST_STAGE",
    "MONEY",
    "QTY",
    "TERMINAL_WINDOW_MONTHS",
    "PlanModel",
    "build_model",
    "define_contracts",
    "define_deliveries",
    "define_hbm",
    "define_inventory",
    "define_money",
    "define_options",
    "define_outside_wafers",
    "define_packaging",
    "define_wafers",
    "recovery_pull_rate",
]


def define_options(pm: PlanModel) -> None:
    """``Option-units``: modules built (integer) or fab bought (binary) per capacity option;
    ``Site-max_units``: at most ``max_modules`` modules per greenfield site, one purchase per fab."""
    d = pm.d
    if d.n_options == 0 or "Option-units" in pm.shared:
        return
    units = pm.m.add_variables(
        lower=0,
        upper=pm.da("option_max_units"),
        coords=[pm.option],
        name="Option-units",
        integer=True,
    )
    per_site = units.groupby(pm.da("option_site").rename("site")).sum().sel(site=list(d.sites))
    pm.m.add_constraints(per_site <= pm.da("site_max_units"), name="Site-max_units")


def _option_product(pm: PlanModel) -> xr.DataArray:
    """Which products each option's node makes (option x product)."""
    by_group = pm.da("group_product").sel(group=pm.da("option_group").values)
    return xr.DataArray(by_group.values, coords=[pm.option, pm.product])


def define_wafers(pm: PlanModel) -> None:
    """Wafers out per young cohort and per mature pool, within the capacity of the chosen units;
    expression ``good_dies`` (product, bucket)."""
    d, m = pm.d, pm.m
    if not pm.has("Option-units"):
        pm.ex["good_dies"] = linopy.LinearExpression(None, m)
        return
    units = pm.var("Option-units")
    cap = pm.da("option_capacity", QTY)
    young = pm.da("option_young")
    active = pm.da("product_active")
    w_mask = young & _option_product(pm) & (cap > 0) & active
    w = m.add_variables(
        lower=0,
        coords=[pm.option, pm.product, pm.bucket],
        name=pm.name("Option-wafers"),
        mask=w_mask,
    )
    wf = w.fillna(0)
    m.add_constraints(
        wf.sum("product") - cap * units <= 0,
        name=pm.name("Option-capacity"),
        mask=young & (cap > 0),
    )
    group_of = pm.da("option_group").rename("group")
    mature_cap = cap.where(~young & (cap > 0), 0.0)
    pool_cap = (mature_cap * units).groupby(group_of).sum().sel(group=list(d.groups))
    any_mature = (pm.da("option_capacity") * ~young).groupby(group_of).sum().sel(
        group=list(d.groups)
    ) > 0
    pool_mask = pm.da("group_product") & any_mature & active
    wm = m.add_variables(
        lower=0,
        coords=[pm.group, pm.product, pm.bucket],
        name=pm.name("Pool-wafers"),
        mask=pool_mask,
    )
    wmf = wm.fillna(0)
    m.add_constraints(
        wmf.sum("product") - pool_cap <= 0, name=pm.name("Pool-capacity"), mask=any_mature
    )
    pm.ex["good_dies"] = (pm.da("option_gdpw") * wf).sum("option") + (
        pm.da("group_gdpw_mature") * wmf
    ).sum("group")
    opex_grp = pm.da("group_opex") * QTY / MONEY
    opex_opt = xr.DataArray(
        opex_grp.sel(group=pm.da("option_group").values).values, coords=[pm.option]
    )
    pm.ex["opex_wafers"] = (opex_opt * wf).sum(["option", "product"]) + (opex_grp * wmf).sum(
        ["group", "product"]
    )


def define_outside_wafers(pm: PlanModel) -> None:
    """``Outside-wafers`` bought per outside foundry, product and bucket (of wafers out) within
    its maximum; ``Outside-contract`` (binary per foundry with a minimum order): no agreement
    and no wafers, or an agreement and every month at least the minimum; ``Outside-unused``: take-or-pay wafers paid but not used. Adds their good dies
    (the foundry's own yield) to ``good_dies`` and their price to ``opex_outside``."""
    d, m = pm.d, pm.m
    if pm.size("outside") == 0:
        return
    cap = pm.da("outside_max", QTY)
    node_ok = xr.DataArray(
        d.values("outside_node")[:, None] == d.values("product_node")[None, :],
        coords=[pm.outside, pm.product],
    )
    mask = node_ok & pm.da("product_active") & (cap > 0)
    if not bool(mask.any()):
        return
    w = m.add_variables(
        lower=0,
        coords=[pm.outside, pm.product, pm.bucket],
        name=pm.name("Outside-wafers"),
        mask=mask,
    )
    wf = w.fillna(0)
    total = wf.sum("product")
    m.add_constraints(total <= cap, name=pm.name("Outside-capacity"), mask=cap > 0)
    low = pm.da("outside_min", QTY)
    if bool((low > 0).any()):
        # a supply agreement is signed or not (one binary per foundry, not per month): signed,
        # every month's order lies between the minimum and the maximum; unsigned, nothing
        has_min = low.sum("bucket") > 0
        on = m.add_variables(
            binary=True, coords=[pm.outside], name=pm.name("Outside-contract"), mask=has_min
        )
        onf = on.fillna(0)
        rows = (low > 0) | (has_min & (cap > 0))
        m.add_constraints(total - low * onf >= 0, name=pm.name("Outside-min_order"), mask=low > 0)
        m.add_constraints(total - cap * onf <= 0, name=pm.name("Outside-max_order"), mask=rows)
    paid = total
    top = pm.da("outside_take_or_pay", QTY)
    if bool((top > 0).any()):
        u = m.add_variables(
            lower=0, coords=[pm.outside, pm.bucket], name=pm.name("Outside-unused"), mask=top > 0
        )
        m.add_constraints(
            u.fillna(0) + total >= top, name=pm.name("Outside-take_or_pay"), mask=top > 0
        )
        paid = total + u.fillna(0)
    pm.ex["outside_wafers"] = total
    pm.ex["opex_outside"] = (pm.da("outside_price") * QTY / MONEY * paid).sum("outside")
    outside_dies = (pm.da("outside_gdpw") * wf).sum("outside")
    own = pm.ex.get("good_dies")
    pm.ex["good_dies"] = (
        outside_dies if own is None or not pm.has("Option-wafers") else own + outside_dies
    )


def _expansion_incidence(pm: PlanModel) -> xr.DataArray:
    """1 where an expansion option belongs to a line (line x expansion)."""
    d = pm.d
    line_of = d.positions("line", d.values("expansion_line"))
    inc = np.zeros((len(d.lines), d.n_expansions))
    inc[line_of, np.arange(d.n_expansions)] = 1.0
    return pm.arr(inc, "line", "expansion")


def _expansion_blocks(pm: PlanModel, inc: xr.DataArray) -> linopy.Variable:
    """``Expansion-blocks`` (first stage) and ``Line-max_blocks``, or the shared variable."""
    if "Expansion-blocks" in pm.shared:
        return pm.shared["Expansion-blocks"]
    max_blocks = (inc * pm.da("line_max_blocks")).sum("line")
    blocks = pm.m.add_variables(
        lower=0, upper=max_blocks, coords=[pm.expansion], name="Expansion-blocks", integer=True
    )
    pm.m.add_constraints(
        (inc * blocks).sum("expansion") <= pm.da("line_max_blocks"), name="Line-max_blocks"
    )
    return blocks


def define_packaging(pm: PlanModel) -> None:
    r"""``Packages`` assembled per line, product and bucket within interposer-wafer capacity
    (booked slots + own-line expansion blocks after their lead time); good packages
    :math:`\sum_l \bar y_{l,b}\,P_{l,p,b}` with the line's assembly yield in the bucket
    (``line_yield``, which ramps where the scenario gives a dated path)."""
    d, m = pm.d, pm.m
    if not d.lines:
        return
    pk = m.add_variables(
        lower=0,
        coords=[pm.line, pm.product, pm.bucket],
        name=pm.name("Packages"),
        mask=pm.da("line_product") & pm.da("product_active"),
    )
    ppw = pm.da("packages_per_interposer_wafer")
    pkf = pk.fillna(0)
    used = (pkf / ppw).sum("product")
    rhs_const = pm.da("line_capacity", QTY)
    if d.n_expansions:
        inc = _expansion_incidence(pm)
        blocks = _expansion_blocks(pm, inc)
        added = (inc * pm.da("expansion_capacity", QTY) * blocks).sum("expansion")
        m.add_constraints(used - added <= rhs_const, name=pm.name("Line-capacity"))
    else:
        m.add_constraints(used <= rhs_const, name=pm.name("Line-capacity"))
    pm.ex["packages"] = pkf.sum("line")
    pm.ex["good_packages"] = (pm.da("line_yield") * pkf).sum("line")
    line_cost = pm.da("line_cost") * pm.da("line_cost_index")
    unit_cost = (line_cost / ppw + pm.da("test_cost")) * (QTY / MONEY)
    pm.ex["opex_packaging"] = (unit_cost * pkf).sum(["line", "product"])


def define_hbm(pm: PlanModel) -> None:
    """``HBM-stacks`` bought per supplier within its supply; ``HBM-balance`` per HBM type: stacks
    bought ≥ stacks in the packages assembled."""
    d, m = pm.d, pm.m
    stacks, kind = d.values("hbm_stacks"), d.values("hbm_type")
    needs = sorted({str(t) for t, s in zip(kind, stacks, strict=True) if s > 0})
    if not needs or "packages" not in pm.ex:
        return
    types = pd.Index(needs, name="hbm_type")
    use_coef = np.array([np.where(kind == t, stacks, 0.0) for t in needs])
    use = (xr.DataArray(use_coef, coords=[types, pm.product]) * pm.ex["packages"]).sum("product")
    if d.suppliers:
        h = m.add_variables(
            lower=0,
            upper=pm.da("hbm_supply", QTY),
            coords=[pm.supplier, pm.bucket],
            name=pm.name("HBM-stacks"),
        )
        sup_type = d.values("supplier_hbm_type")
        sup_coef = np.array([(sup_type == t).astype(float) for t in needs])
        bought = (xr.DataArray(sup_coef, coords=[types, pm.supplier]) * h).sum("supplier")
        m.add_constraints(bought - use >= 0, name=pm.name("HBM-balance"))
        pm.ex["opex_hbm"] = (pm.da("hbm_price") * QTY / MONEY * h).sum("supplier")
    else:
        m.add_constraints(use <= 0, name=pm.name("HBM-balance"))


def define_deliveries(pm: PlanModel) -> None:
    """``Delivered`` units per customer, product and bucket, at most the demand (unmet demand is
    lost, not back-ordered); expressions ``shortage`` and ``revenue``."""
    m = pm.m
    dem = pm.da("demand", QTY)
    q = m.add_variables(
        lower=0,
        upper=dem,
        coords=[pm.customer, pm.product, pm.bucket],
        name=pm.name("Delivered"),
        mask=dem > 0,
    )
    delivered = cast(linopy.LinearExpression, q.fillna(0))
    pm.ex["delivered"] = delivered
    price = pm.da("price") * QTY / MONEY
    by_customer = (price * delivered).sum("product")
    # take-or-pay: what the customer pays for but does not want (a constant, the venture being
    # able to make it available)
    unwanted = (pm.da("take_or_pay") - pm.da("demand")).clip(min=0.0) / QTY
    top = (price * unwanted).sum("product")
    if bool((top > 0).any()):
        by_customer = by_customer + top
    pm.ex["revenue_by_customer"] = by_customer
    pm.ex["revenue"] = by_customer.sum("customer")


def define_contracts(pm: PlanModel) -> None:
    """``Contract-shortfall`` ≥ contracted minimum − delivered (where a contract exists)."""
    m = pm.m
    con = pm.da("contracted", QTY)
    if not bool((con > 0).any()):
        return
    s = m.add_variables(
        lower=0,
        coords=[pm.customer, pm.product, pm.bucket],
        name=pm.name("Contract-shortfall"),
        mask=con > 0,
    )
    m.add_constraints(
        s.fillna(0) + pm.ex["delivered"] >= con, name=pm.name("Contract-minimum"), mask=con > 0
    )


def _die_bank(pm: PlanModel, inv_d: linopy.Variable) -> linopy.Variable | None:
    r"""With ``policy.die_bank_months`` = :math:`M` set: ``Die-bank``, each product's die stock
    at the end of bucket :math:`t` (length :math:`L_t` months) at most :math:`M` months of its
    own die use in that bucket, :math:`I^{die}_{p,t} \le (M / L_t)\, n^{die}_p \sum_l
    x_{l,p,t}`; by Little's law (stock = throughput × time in stock) dies then wait at most
    about :math:`M` months on average. ``Die-scrapped`` (≥ 0, taken out of ``Die-balance``)
    keeps the model feasible whatever forces dies out (a minimum order whose contract is
    fixed): packaging or scrapping every die in the bucket it is made leaves a stock of 0,
    which meets the limit. Scrapping earns nothing and saves nothing (wafers are paid when
    made), so the optimum scraps only where it must. None (the default): no limit, no
    variable."""
    months = float(pm.d.ds.attrs.get("die_bank_months", -1.0))
    if months < 0:
        return None
    m = pm.m
    per_month = pm.arr(months / pm.d.buckets.length, "bucket")
    bank = 1.0 * inv_d
    if "packages" in pm.ex:
        bank = bank - per_month * pm.da("compute_dies") * pm.ex["packages"]
    m.add_constraints(bank <= 0, name=pm.name("Die-bank"))
    coords = [pm.product, pm.bucket]
    return m.add_variables(lower=0, coords=coords, name=pm.name("Die-scrapped"))


def define_inventory(pm: PlanModel) -> None:
    """``Die-balance`` and ``Finished-balance`` with inventories carried between buckets; the
    die bank's limit where the policy sets one (:func:`_die_bank`)."""
    m = pm.m
    coords = [pm.product, pm.bucket]
    inv_d = m.add_variables(lower=0, coords=coords, name=pm.name("Die-inventory"))
    inv_f = m.add_variables(lower=0, coords=coords, name=pm.name("Finished-inventory"))
    dies_used = pm.da("compute_dies") * pm.ex.get("packages", linopy.LinearExpression(None, m))
    lhs = inv_d - previous_bucket(inv_d) + dies_used
    if "good_dies" in pm.ex and (pm.has("Option-wafers") or pm.has("Outside-wafers")):
        lhs = lhs - pm.ex["good_dies"]
    scrap = _die_bank(pm, inv_d)
    if scrap is not None:
        lhs = lhs + scrap
    m.add_constraints(lhs == 0, name=pm.name("Die-balance"))
    lhs_f = inv_f - previous_bucket(inv_f) + pm.ex["delivered"].sum("customer")
    if "good_packages" in pm.ex:
        lhs_f = lhs_f - pm.ex["good_packages"]
    m.add_constraints(lhs_f == 0, name=pm.name("Finished-balance"))
    pm.extra["die_inventory"] = inv_d
    pm.extra["finished_inventory"] = inv_f


def shortage_terms(pm: PlanModel) -> tuple[linopy.LinearExpression, float]:
    """Priority-weighted discounted shortage penalty (M$) as ``constant − Σ w·DF·delivered``;
    returns (variable part, constant)."""
    d = pm.d
    penalty = d.values("penalty").astype(float)
    w = pm.da("penalty") * QTY / MONEY
    df = pm.arr(d.buckets.discount, "bucket")
    const = float((penalty[:, None, None] / MONEY * d.values("demand") * d.buckets.discount).sum())
    return -(w * df * pm.ex["delivered"]).sum(), const


def contract_penalty(pm: PlanModel) -> linopy.LinearExpression | None:
    """Dominating penalty on contract shortfall: 10 × (highest price + priority-1 penalty)."""
    if not pm.has("Contract-shortfall"):
        return None
    d = pm.d
    top = float(d.values("price").max(initial=0.0)) + float(d.values("penalty").max(initial=0.0))
    big = 10.0 * top * QTY / MONEY
    df = pm.arr(d.buckets.discount, "bucket")
    return (big * df * pm.var("Contract-shortfall").fillna(0)).sum()


def build_model(
    d: PlanData,
    *,
    contracts: bool = True,
    m: linopy.Model | None = None,
    tag: str = "",
    first_stage: dict[str, linopy.Variable] | None = None,
) -> PlanModel:
    """All families of variables and constraints for ``d`` (no objective yet).

    For a sample-average model, add each future into one model ``m`` with its own ``tag``
    (second-stage names ``"{Component}-{attr}@{tag}"``), passing the first future's
    ``Option-units`` / ``Expansion-blocks`` as ``first_stage`` to the others; ``d`` of every
    future must then have the same option and expansion sets (:mod:`fabnet.risk.saa`).
    """
    pm = PlanModel(
        m if m is not None else linopy.Model(force_dim_names=True),
        d,
        tag=tag,
        shared=dict(first_stage or {}),
    )
    define_options(pm)
    define_wafers(pm)
    define_outside_wafers(pm)
    define_packaging(pm)
    define_bookings(pm)
    define_hbm(pm)
    define_deliveries(pm)
    if contracts:
        define_contracts(pm)
    define_inventory(pm)
    define_money(pm)
    return pm
