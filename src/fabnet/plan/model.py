"""The planning model as a flat list of ``define_*`` functions over labelled arrays (linopy).

Each function adds one family of variables and constraints to a :class:`PlanModel`, returns early
when there is nothing to add and names things ``"{Component}-{attr}"`` (PyPSA's ``create_model``).
Money is in millions of USD and quantities in thousands inside the model (``MONEY``,
``QTY``) to keep coefficients near 1; every
quantity is per bucket (:mod:`fabnet.plan.buckets`). Sets and coefficients: :mod:`fabnet.plan.data`.

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

from dataclasses import dataclass, field
from typing import cast

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from fabnet.plan.data import PlanData

__all__ = [
    "FIRST_STAGE",
    "MONEY",
    "QTY",
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

TERMINAL_WINDOW_MONTHS = 36
"""The terminal value's base is the average year of the horizon's last 36 months (free cash
flow or EBITDA), not the last year alone: a steadier base, and a design MIP that solves in
seconds instead of a minute on the built-in scenario (the last year alone makes capacity that
comes out at the very end worth 12.75 years of cash)."""

PREPAYMENT_RECOVERY_PULL = 0.15
"""Per year, on the prepayment balance still to recover (objective only, not NPV), on top of
the scenario's discount rate and debt rate (:func:`recovery_pull_rate`): the contract recovers
``min(share × invoice, balance)`` from every invoice, and the LP's recovery is a variable at
most that, so the pull must outweigh what a dollar recovered a year later is worth to the NPV
(at most the discount rate plus the interest saved while in debt); otherwise the LP keeps the
prepayment as cheap money in the years it borrows."""

MONEY = 1e6
"""Model money unit: millions of USD."""
QTY = 1e3
"""Model quantity unit: thousands (of wafers, dies, packages, stacks, accelerators)."""
FIRST_STAGE = ("Option-units", "Expansion-blocks", "Site-max_units", "Line-max_blocks")
"""Names of the build/buy decisions and their own limits: shared by every future of a
sample-average model (:mod:`fabnet.risk.saa`), never tagged."""


@dataclass
class PlanModel:
    """A linopy model with the data it was built from and named expressions (M$ for money)."""

    m: linopy.Model
    d: PlanData
    ex: dict[str, linopy.LinearExpression] = field(default_factory=dict)
    tag: str = ""
    """Suffix of second-stage names (``"Cash@f3"``) when several futures share one model."""
    shared: dict[str, linopy.Variable] = field(default_factory=dict)
    """First-stage variables (``Option-units``, ``Expansion-blocks``) made by another future."""
    extra: dict[str, linopy.Variable] = field(default_factory=dict)
    """Second-stage variables other families refer to (the inventories, for the terminal value)."""
    const: dict[str, float] = field(default_factory=dict)
    """Constant parts (M$) of the expressions in ``ex`` of the same name (a solver objective
    takes none): ``npv`` = its expression's value + ``const["npv"]``."""

    def value(self, name: str) -> float:
        """Solved value (M$ for money) of the scalar expression ``name``, constant included."""
        return float(self.ex[name].solution.item()) + self.const.get(name, 0.0)

    # coordinates: the dataset's own indexes -----------------------------------------------
    def index(self, dim: str) -> pd.Index:
        """The labels of dimension ``dim`` of the dataset (named)."""
        return self.d.ds.indexes[dim].rename(dim)

    @property
    def bucket(self) -> pd.Index:
        return self.index("bucket")

    @property
    def product(self) -> pd.Index:
        return self.index("product")

    @property
    def customer(self) -> pd.Index:
        return self.index("customer")

    @property
    def option(self) -> pd.Index:
        return self.index("option")

    @property
    def group(self) -> pd.Index:
        return self.index("group")

    @property
    def site(self) -> pd.Index:
        return self.index("site")

    @property
    def line(self) -> pd.Index:
        return self.index("line")

    @property
    def expansion(self) -> pd.Index:
        return self.index("expansion")

    @property
    def supplier(self) -> pd.Index:
        return self.index("supplier")

    @property
    def outside(self) -> pd.Index:
        return self.index("outside")

    @property
    def grant(self) -> pd.Index:
        return self.index("grant")

    def size(self, dim: str) -> int:
        """Number of labels of ``dim`` (0 when the dataset lacks it)."""
        return int(self.d.ds.sizes.get(dim, 0))

    def da(self, name: str, scale: float = 1.0) -> xr.DataArray:
        """Variable ``name`` of the dataset divided by ``scale`` (``QTY``, ``MONEY``)."""
        arr = self.d.ds[name]
        return arr / scale if scale != 1.0 else arr

    def arr(self, values: np.ndarray, *dims: str) -> xr.DataArray:
        """Wrap a numpy array as a DataArray on the model's named coordinates."""
        coords = [self.index(dim) for dim in dims]
        return xr.DataArray(np.asarray(values), coords=coords, dims=list(dims))

    def name(self, base: str) -> str:
        """``base`` with this future's tag (first-stage names are never tagged)."""
        if not self.tag or base in FIRST_STAGE:
            return base
        return f"{base}@{self.tag}"

    def var(self, base: str) -> linopy.Variable:
        """The variable ``base`` of this future (or the shared first-stage one)."""
        if base in self.shared:
            return self.shared[base]
        return self.m.variables[self.name(base)]

    def has(self, name: str) -> bool:
        return name in self.shared or self.name(name) in self.m.variables


def _prev(var: linopy.Variable) -> linopy.LinearExpression:
    """The variable one bucket earlier (0 before the first bucket)."""
    return var.shift(bucket=1).fillna(0)


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
    lhs = inv_d - _prev(inv_d) + dies_used
    if "good_dies" in pm.ex and (pm.has("Option-wafers") or pm.has("Outside-wafers")):
        lhs = lhs - pm.ex["good_dies"]
    scrap = _die_bank(pm, inv_d)
    if scrap is not None:
        lhs = lhs + scrap
    m.add_constraints(lhs == 0, name=pm.name("Die-balance"))
    lhs_f = inv_f - _prev(inv_f) + pm.ex["delivered"].sum("customer")
    if "good_packages" in pm.ex:
        lhs_f = lhs_f - pm.ex["good_packages"]
    m.add_constraints(lhs_f == 0, name=pm.name("Finished-balance"))
    pm.extra["die_inventory"] = inv_d
    pm.extra["finished_inventory"] = inv_f


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
        bf - _prev(b) + rf == amount.where(mask, 0.0), name=pm.name("Prepayment-flow"), mask=mask
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
    m.add_constraints(pool - _prev(pool) + profit - x == 0, name=pm.name("Tax-loss-balance"))
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
        cash - _prev(cash) - debt + _prev(debt) + interest + capex + sustaining + opex + tax
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
    from fabnet.plan.bookings import define_bookings  # its own module (imports this one)

    define_bookings(pm)
    define_hbm(pm)
    define_deliveries(pm)
    if contracts:
        define_contracts(pm)
    define_inventory(pm)
    define_money(pm)
    return pm
