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

and money per bucket (interest on the end-of-bucket debt, a slight over-estimate):

.. math::

    \\mathrm{cash}_t - \\mathrm{cash}_{t-1} = \\mathrm{in}_t + (D_t - D_{t-1}) - r \\tfrac{L_t}{12} D_t
        - \\mathrm{capex}_t - \\mathrm{opex}_t + \\mathrm{revenue}_t,\\quad
    \\mathrm{cash}_t \\ge \\mathrm{cash}_{min},\\quad D_t \\le D_{max}.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    "define_packaging",
    "define_wafers",
]

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
    w_mask = young & _option_product(pm) & (cap > 0)
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
    pool_mask = pm.da("group_product") & any_mature
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
    """``Packages`` assembled per line, product and bucket within interposer-wafer capacity
    (booked slots + own-line expansion blocks after their lead time)."""
    d, m = pm.d, pm.m
    if not d.lines:
        return
    pk = m.add_variables(
        lower=0,
        coords=[pm.line, pm.product, pm.bucket],
        name=pm.name("Packages"),
        mask=pm.da("line_product"),
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
    pm.ex["good_packages"] = (pm.da("line_assembly_yield") * pkf).sum("line")
    unit_cost = (pm.da("line_cost") / ppw + pm.da("test_cost")) * (QTY / MONEY)
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
    pm.ex["delivered"] = q.fillna(0)
    price = pm.da("price") * QTY / MONEY
    pm.ex["revenue"] = (price * q.fillna(0)).sum(["customer", "product"])


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


def define_inventory(pm: PlanModel) -> None:
    """``Die-balance`` and ``Finished-balance`` with inventories carried between buckets."""
    m = pm.m
    coords = [pm.product, pm.bucket]
    inv_d = m.add_variables(lower=0, coords=coords, name=pm.name("Die-inventory"))
    inv_f = m.add_variables(lower=0, coords=coords, name=pm.name("Finished-inventory"))
    dies_used = pm.da("compute_dies") * pm.ex.get("packages", linopy.LinearExpression(None, m))
    lhs = inv_d - _prev(inv_d) + dies_used
    if "good_dies" in pm.ex and pm.has("Option-wafers"):
        lhs = lhs - pm.ex["good_dies"]
    m.add_constraints(lhs == 0, name=pm.name("Die-balance"))
    lhs_f = inv_f - _prev(inv_f) + pm.ex["delivered"].sum("customer")
    if "good_packages" in pm.ex:
        lhs_f = lhs_f - pm.ex["good_packages"]
    m.add_constraints(lhs_f == 0, name=pm.name("Finished-balance"))


def define_money(pm: PlanModel) -> None:
    """``Cash`` and ``Debt`` balances, ``Cash-floor`` and ``Debt-limit``; expressions ``capex``,
    ``opex``, ``interest``, ``revenue`` per bucket (M$)."""
    d, m = pm.d, pm.m
    attrs = d.ds.attrs
    zero = linopy.LinearExpression(None, m)
    capex = zero
    if pm.has("Option-units"):
        capex = capex + (pm.da("option_capex", MONEY) * pm.var("Option-units")).sum("option")
    if pm.has("Expansion-blocks"):
        capex = capex + (pm.da("expansion_capex", MONEY) * pm.var("Expansion-blocks")).sum(
            "expansion"
        )
    opex = zero
    for key in ("opex_wafers", "opex_packaging", "opex_hbm"):
        if key in pm.ex:
            opex = opex + pm.ex[key]
    cash = m.add_variables(lower=-np.inf, coords=[pm.bucket], name=pm.name("Cash"))
    debt = m.add_variables(lower=0, coords=[pm.bucket], name=pm.name("Debt"))
    rate = pm.arr(attrs["debt_rate"] * d.buckets.length / 12.0, "bucket")
    interest = rate * debt
    lhs = cash - _prev(cash) - debt + _prev(debt) + interest + capex + opex - pm.ex["revenue"]
    m.add_constraints(lhs == pm.arr(d.investor_in / MONEY, "bucket"), name=pm.name("Cash-balance"))
    m.add_constraints(cash >= attrs["minimum_cash"] / MONEY, name=pm.name("Cash-floor"))
    m.add_constraints(debt <= attrs["debt_limit"] / MONEY, name=pm.name("Debt-limit"))
    pm.ex.update(capex=capex, opex=opex, interest=interest)
    df = pm.arr(d.buckets.discount, "bucket")
    pm.ex["npv"] = (df * (pm.ex["revenue"] - opex - capex - interest)).sum()
    pm.ex["cost"] = (df * (opex + capex + interest)).sum()


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
    define_packaging(pm)
    define_hbm(pm)
    define_deliveries(pm)
    if contracts:
        define_contracts(pm)
    define_inventory(pm)
    define_money(pm)
    return pm
