"""The money families of the planning model: capex, sustaining capex and depreciation per
unit built, grants, prepayments, income tax with loss carry-forward, cash and debt per bucket,
the terminal value and the NPV (:func:`define_money`, which calls the others)."""

from __future__ import annotations

import linopy
import numpy as np

from fabnet.plan.plan_model import (
    MONEY,
    PREPAYMENT_RECOVERY_PULL,
    QTY,
    TERMINAL_WINDOW_MONTHS,
    PlanModel,
    previous_bucket,
)

__all__ = [
    "define_grants",
    "define_money",
    "define_prepayments",
    "define_tax",
    "recovery_pull_rate",
]


def _per_unit(pm: PlanModel, option_var: str, expansion_var: str) -> linopy.LinearExpression:
    """``Σ_o coef[o, t]·units[o] + Σ_e coef[e, t]·blocks[e]`` in M$ (a zero expression if none)."""
    out = linopy.LinearExpression(None, pm.m)
    if pm.has("Option-units"):
        out = out + (pm.da(option_var, MONEY) * pm.var("Option-units")).sum("option")
    if pm.has("Expansion-blocks"):
        out = out + (pm.da(expansion_var, MONEY) * pm.var("Expansion-blocks")).sum("expansion")
    return out


def define_grants(pm: PlanModel) -> None:
    """``Grant-received`` per grant and bucket: at most its share of the capex it covers, and in
    all at most its cap; expression ``grants`` (M$ per bucket)."""
    m = pm.m
    if pm.size("grant") == 0 or not (pm.has("Option-units") or pm.has("Expansion-blocks")):
        return
    covered = linopy.LinearExpression(None, m)
    if pm.has("Option-units"):
        share = pm.da("grant_option_share") * pm.da("option_capex", MONEY)
        covered = covered + (share * pm.var("Option-units")).sum("option")
    if pm.has("Expansion-blocks"):
        share = pm.da("grant_expansion_share") * pm.da("expansion_capex", MONEY)
        covered = covered + (share * pm.var("Expansion-blocks")).sum("expansion")
    g = m.add_variables(lower=0, coords=[pm.grant, pm.bucket], name=pm.name("Grant-received"))
    m.add_constraints(g - covered <= 0, name=pm.name("Grant-share"))
    cap = pm.da("grant_cap", MONEY)
    finite = np.isfinite(cap)
    if bool(finite.any()):
        m.add_constraints(
            g.sum("bucket") <= cap.where(finite, 0.0), name=pm.name("Grant-cap"), mask=finite
        )
    pm.ex["grants"] = g.sum("grant")


def recovery_pull_rate(attrs: dict) -> float:
    """The pull per year on a prepayment balance (objective only): :data:`PREPAYMENT_RECOVERY_PULL`
    above the discount rate ``r`` plus the debt rate ``r_D``.

    Recovering a dollar one year later is worth at most :math:`1 - (1+r)^{-1} \\le r` by
    discounting plus :math:`r_D` of interest saved while the plan borrows (less after the tax
    shield), so with a pull :math:`> r + r_D` deferring always costs the objective more than it
    gains and the LP recovers ``min(share × invoice, balance)`` as the contract does (unless the
    debt limit binds, where cash is worth more than any rate)."""
    return (
        PREPAYMENT_RECOVERY_PULL
        + float(attrs.get("discount_rate", 0.0))
        + float(attrs.get("debt_rate", 0.0))
    )


def define_prepayments(pm: PlanModel) -> None:
    """``Prepayment-recovered`` and ``Prepayment-balance`` per prepaying customer and bucket:
    the balance grows by each prepayment and falls by what is recovered, at most the contract's
    share of that customer's invoices; expressions ``prepaid`` and ``recovered`` (M$)."""
    m = pm.m
    amount = pm.da("prepayment", MONEY)
    has = amount.sum("bucket") > 0
    if not bool(has.any()):
        return
    mask = has.broadcast_like(amount)
    r = m.add_variables(
        lower=0, coords=[pm.customer, pm.bucket], name=pm.name("Prepayment-recovered"), mask=mask
    )
    b = m.add_variables(
        lower=0, coords=[pm.customer, pm.bucket], name=pm.name("Prepayment-balance"), mask=mask
    )
    rf, bf = r.fillna(0), b.fillna(0)
    m.add_constraints(
        bf - previous_bucket(b) + rf == amount.where(mask, 0.0),
        name=pm.name("Prepayment-flow"),
        mask=mask,
    )
    share = pm.da("prepayment_recovery_share")
    m.add_constraints(
        rf - share * pm.ex["revenue_by_customer"] <= 0,
        name=pm.name("Prepayment-recovery"),
        mask=mask,
    )
    pm.ex["prepaid"] = amount.sum("customer")  # type: ignore[assignment]  # a constant
    pm.ex["recovered"] = rf.sum("customer")
    years = pm.arr(pm.d.buckets.length / 12.0, "bucket")
    df = pm.arr(pm.d.buckets.discount, "bucket")
    pull = recovery_pull_rate(pm.d.ds.attrs)
    pm.ex["incentive"] = (pull * years * df * bf.sum("customer")).sum()
    pm.ex["prepayment_balance"] = bf.sum("customer")


def define_tax(pm: PlanModel, profit: linopy.LinearExpression) -> None:
    """``Taxable`` profit and ``Tax-loss-pool`` per bucket: the pool of losses carried forward
    follows :math:`L_t = L_{t-1} - \\pi_t + X_t \\ge 0`, so the taxable profit :math:`X_t \\ge 0`
    is at least the profit left after using the pool and a loss adds to the pool; tax
    :math:`\\tau X_t` (:func:`fabnet.econ.income_tax` with unlimited carry-forward, which the
    solver reaches because paying tax earlier is never better). Expression ``tax`` (M$)."""
    rate = float(pm.d.ds.attrs.get("tax_rate", 0.0))
    if rate <= 0:
        return
    m = pm.m
    x = m.add_variables(lower=0, coords=[pm.bucket], name=pm.name("Taxable"))
    pool = m.add_variables(lower=0, coords=[pm.bucket], name=pm.name("Tax-loss-pool"))
    m.add_constraints(
        pool - previous_bucket(pool) + profit - x == 0, name=pm.name("Tax-loss-balance")
    )
    pm.ex["taxable"] = 1.0 * x
    pm.ex["tax"] = rate * x


def _stock_drawdown(pm: PlanModel) -> linopy.LinearExpression:
    """Stock drawn down inside the terminal window, valued at the highest price of each product
    (a die at its share of it), as a negative cash flow of the window's last bucket (M$): the
    terminal value is a multiple of the window's average year, which must not live off stock
    made before it. ``Terminal-drawdown`` ≤ 0 and ≤ the stock change (concave: the solver takes
    the drawdown, never a build-up, into account)."""
    d, m, b = pm.d, pm.m, pm.d.buckets
    window = np.flatnonzero(b.start >= b.n_months - TERMINAL_WINDOW_MONTHS)
    if d.ds.attrs.get("terminal_method", "none") == "none" or not window.size or window[0] == 0:
        return linopy.LinearExpression(None, m)
    before, last = pm.bucket[window[0] - 1], pm.bucket[-1]
    value = pm.da("price").max(["customer", "bucket"]) * QTY / MONEY
    out = linopy.LinearExpression(None, m)
    for key, unit in (("finished_inventory", 1.0), ("die_inventory", pm.da("compute_dies"))):
        inv = pm.extra[key]
        pick_last = pm.arr((pm.bucket == last).astype(float), "bucket")
        pick_before = pm.arr((pm.bucket == before).astype(float), "bucket")
        change = (pick_last * inv).sum("bucket") - (pick_before * inv).sum("bucket")
        z = m.add_variables(upper=0, coords=[pm.product], name=pm.name(f"Terminal-{key}"))
        m.add_constraints(z - change <= 0, name=pm.name(f"Terminal-{key}_change"))
        out = out + (value / unit * z).sum("product")
    at_end = pm.arr((np.arange(b.n) == b.n - 1).astype(float), "bucket")
    return at_end * out


def _terminal_value(pm: PlanModel, fcf: linopy.LinearExpression,
                    ebitda: linopy.LinearExpression) -> linopy.LinearExpression | None:  # fmt: skip
    """Value at the horizon (M$, undiscounted) from the average year of the last
    :data:`TERMINAL_WINDOW_MONTHS`: Gordon growth :math:`FCF (1+g)/(r-g)` or ``multiple ×
    EBITDA`` (:mod:`fabnet.econ.cashflow`)."""
    attrs = pm.d.ds.attrs
    method = attrs.get("terminal_method", "none")
    if method == "none":
        return None
    b = pm.d.buckets
    years = TERMINAL_WINDOW_MONTHS / 12.0
    last = pm.arr((b.start >= b.n_months - TERMINAL_WINDOW_MONTHS).astype(float) / years, "bucket")
    if method == "perpetuity":
        r, g = float(attrs["discount_rate"]), float(attrs["terminal_growth"])
        return ((1.0 + g) / (r - g)) * (last * fcf).sum()
    return float(attrs["terminal_multiple"]) * (last * ebitda).sum()


def define_money(pm: PlanModel) -> None:
    """``Cash`` and ``Debt`` balances, ``Cash-floor`` and ``Debt-limit``, with grants,
    prepayments and income tax (:func:`define_grants`, :func:`define_prepayments`,
    :func:`define_tax`); expressions per bucket (M$): ``capex`` (growth), ``sustaining``,
    ``depreciation``, ``opex``, ``interest``, ``revenue``, ``grants``, ``tax``, ``profit``
    (before tax), ``fcf`` (unlevered free cash flow); scalars ``terminal_value`` (at the horizon)
    and ``npv`` (discounted flows plus the discounted terminal value)."""
    d, m = pm.d, pm.m
    attrs = d.ds.attrs
    zero = linopy.LinearExpression(None, m)
    capex = _per_unit(pm, "option_capex", "expansion_capex")
    sustaining = _per_unit(pm, "option_sustaining", "expansion_sustaining")
    depreciation = _per_unit(pm, "option_depreciation", "expansion_depreciation")
    opex = zero
    for key in ("opex_wafers", "opex_outside", "opex_packaging", "opex_hbm"):
        if key in pm.ex:
            opex = opex + pm.ex[key]
    define_grants(pm)
    define_prepayments(pm)
    grants = pm.ex.get("grants", zero)
    prepaid = pm.ex.get("prepaid", zero)
    recovered = pm.ex.get("recovered", zero)
    cash = m.add_variables(lower=-np.inf, coords=[pm.bucket], name=pm.name("Cash"))
    debt = m.add_variables(lower=0, coords=[pm.bucket], name=pm.name("Debt"))
    rate = pm.arr(attrs["debt_rate"] * d.buckets.length / 12.0, "bucket")
    interest = rate * debt
    revenue = pm.ex["revenue"]
    # sustaining capex is expensed for tax; grants are taxed when received
    profit = revenue + grants - opex - sustaining - depreciation - interest
    define_tax(pm, profit)
    tax = pm.ex.get("tax", zero)
    lhs = (
        cash - previous_bucket(cash) - debt + previous_bucket(debt) + interest + capex + sustaining + opex + tax
        - revenue - grants - prepaid + recovered
    )  # fmt: skip
    m.add_constraints(lhs == pm.arr(d.investor_in / MONEY, "bucket"), name=pm.name("Cash-balance"))
    m.add_constraints(cash >= attrs["minimum_cash"] / MONEY, name=pm.name("Cash-floor"))
    m.add_constraints(debt <= attrs["debt_limit"] / MONEY, name=pm.name("Debt-limit"))
    fcf = revenue + grants - opex - capex - sustaining - tax
    pm.ex.update(
        capex=capex, sustaining=sustaining, depreciation=depreciation, opex=opex,
        interest=interest, profit=profit, fcf=fcf,
    )  # fmt: skip
    df = pm.arr(d.buckets.discount, "bucket")
    flows = fcf - interest + prepaid - recovered
    npv = (df * flows).sum()
    # after the horizon the plant is depreciated: its free cash flow is taxed in full
    tax_rate = float(attrs.get("tax_rate", 0.0))
    drawdown = _stock_drawdown(pm)
    base = revenue - opex + drawdown
    tv = _terminal_value(pm, (1.0 - tax_rate) * (base - sustaining), base)
    # what the window's free cash flow is worth without the stock correction: the terminal value
    # reported (the correction only keeps the optimiser from feeding the window from old stock;
    # where allocation stages force a drawdown, it must not count as value lost)
    plain = _terminal_value(pm, (1.0 - tax_rate) * (revenue - opex - sustaining), revenue - opex)
    df_end = (1.0 + float(attrs.get("discount_rate", 0.0))) ** (-d.buckets.n_months / 12.0)
    if tv is not None and plain is not None:
        pm.ex["terminal_value"] = plain
        pm.ex["terminal_correction"] = df_end * (tv - plain)
        npv = npv + df_end * tv
    if "prepayment_balance" in pm.ex:  # still owed at the horizon: paid back
        last = pm.arr(np.arange(d.buckets.n) == d.buckets.n - 1, "bucket")
        npv = npv - df_end * (last * pm.ex["prepayment_balance"]).sum()
    const = float(np.asarray(npv.const).sum())
    pm.ex["npv"] = npv - const
    pm.const["npv"] = const
    pm.ex["cost"] = (df * (opex + capex + sustaining + interest)).sum()
