"""Output tables and the summary of a solved plan (the contract of ``fabnet.report.plan_report``).

Tables (months are ``YYYY-MM`` of each bucket's first month; quantities are per bucket; money USD):

* ``decisions``: site, action ('buy'|'build'), start, first_output, modules, capex, node — own
  packaging expansion appears as action 'build' with site = the packaging line's name;
* ``capacity``: site, month, capacity_wspm, used_wspm — usable wafers per month (bucket average);
* ``wafer_starts``: site, product, month, wafers — counted in the bucket they come out of the
  line (started one cycle time earlier);
* ``supply``: product, month, good_dies, accelerators, packaging_limit, hbm_limit — the last two
  are the good packages that packaging (all lines of the product's kind) or HBM (all stacks of its
  type) would allow if they made only this product;
* ``deliveries``: customer, product, month, demand, delivered, shortage;
* ``cash_flow``: month, capex (growth), sustaining_capex, opex (own wafers with licence fees,
  bought-in wafers, packaging, HBM, test), outside_wafer_cost (part of opex), revenue, grants,
  prepayments_in, prepayments_recovered, investor_in, debt_draw, debt_repay, interest,
  depreciation, profit_before_tax, tax (:func:`fabnet.econ.income_tax` of that profit with the
  scenario's carry-forward limit; the model itself carries losses forward without a limit),
  tax_shield (the tax of the profit without depreciation minus the tax: what depreciation
  saved, in the bucket it saved it), loss_pool (tax losses carried forward), free_cash_flow (revenue + grants − opex − capex −
  sustaining − tax), terminal_value (at the horizon, last row), cash_balance, debt_balance;
* ``outside_wafers``: supplier, product, month, wafers — wafers bought from outside foundries,
  counted in the bucket they come out;
* ``quarterly``: quarter, product, demand, delivered, shortage, own_wafers, outside_wafers —
  output and shortage per calendar quarter;
* ``shadow_prices``: constraint, site_or_resource, month, value, unit (:mod:`fabnet.plan.explain`);
* ``customer_limits``: customer, product, fill_rate, limited_by.
* ``packaging``: line, product, month, packages, interposer_wafers — assembled per packaging
  line (booked, own and outside houses) in the bucket.

**Funding gap** = the most debt outstanding at any time: money the plan needs beyond the partners'
commitments as they are paid in (cash never below the floor). Its timing: the month debt is first
drawn and the month of the peak. The model has no extra-equity variable; when the debt limit binds
the plan is cut back instead (and ``debt limit`` shows a shadow price).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fabnet.econ import income_tax, irr, payback_month
from fabnet.plan.decisions import decisions_table
from fabnet.plan.explain import customer_limits
from fabnet.plan.model import MONEY, QTY, PlanModel

__all__ = ["build_tables", "make_summary", "project_flows"]


def _sol(pm: PlanModel, name: str, scale: float = QTY) -> np.ndarray | None:
    """Solution of a variable in natural units (quantities × QTY; pass scale for others)."""
    if name not in pm.m.variables:
        return None
    values = np.asarray(pm.m.variables[name].solution.values, dtype=float)
    return np.nan_to_num(values, nan=0.0) * scale


def _val(expr: Any, scale: float = 1.0) -> np.ndarray:
    return np.nan_to_num(np.asarray(expr.solution.values, dtype=float), nan=0.0) * scale


def _capacity_tables(
    pm: PlanModel, units: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``capacity``, ``wafer_starts`` and own wafers out per site, product and bucket."""
    d = pm.d
    labels, length, n_t = list(d.buckets.labels), d.buckets.length.astype(float), d.buckets.n
    cap = d.capacity_given(units) if len(units) else np.zeros((len(d.sites), n_t))
    wafers = np.zeros((len(d.sites), len(d.products), n_t))
    w = _sol(pm, "Option-wafers")
    if w is not None:
        np.add.at(wafers, d.positions("site", d.values("option_site")), w)
    wm = _sol(pm, "Pool-wafers")
    if wm is not None:
        np.add.at(wafers, d.positions("site", d.values("group_site")), wm)
    cap_rows, wafer_rows = [], []
    for i, site in enumerate(d.sites):
        if cap[i].sum() <= 0:
            continue
        for t, lab in enumerate(labels):
            cap_rows.append((site, lab, cap[i, t] / length[t], wafers[i, :, t].sum() / length[t]))
            for j, prod in enumerate(d.products):
                if wafers[i, j, t] > 1e-6:
                    wafer_rows.append((site, prod, lab, wafers[i, j, t]))
    return (
        pd.DataFrame(cap_rows, columns=["site", "month", "capacity_wspm", "used_wspm"]),
        pd.DataFrame(wafer_rows, columns=["site", "product", "month", "wafers"]),
        wafers,
    )


def _supply_table(pm: PlanModel, blocks: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """``supply`` and the good accelerators per product and bucket (P x T)."""
    d = pm.d
    labels, n_t = list(d.buckets.labels), d.buckets.n
    shape = (len(d.products), n_t)
    has_wafers = "good_dies" in pm.ex and pm.has("Option-wafers")
    good_dies = _val(pm.ex["good_dies"], QTY) if has_wafers else np.zeros(shape)
    good_dies = np.broadcast_to(good_dies, shape)
    accel = _val(pm.ex["good_packages"], QTY) if "good_packages" in pm.ex else np.zeros(shape)
    accel = np.broadcast_to(accel, shape)
    line_cap = d.values("line_capacity").copy()
    if len(blocks):
        np.add.at(
            line_cap,
            d.positions("line", d.values("expansion_line")),
            blocks[:, None] * d.values("expansion_capacity"),
        )
    line_product, line_yield = d.values("line_product"), d.values("line_yield")
    ppw, stacks = d.values("packages_per_interposer_wafer"), d.values("hbm_stacks")
    hbm_type, supplier_type = d.values("hbm_type"), d.values("supplier_hbm_type")
    hbm_supply = d.values("hbm_supply")
    rows = []
    for j, prod in enumerate(d.products):
        on = line_product[:, j]
        pk_lim = (line_cap[on] * line_yield[on]).sum(0)
        pk_lim = pk_lim * ppw[j]
        typ = supplier_type == hbm_type[j]
        hbm = hbm_supply[typ].sum(0) if typ.any() else np.zeros(n_t)
        hbm_lim = hbm / stacks[j] if stacks[j] > 0 else np.full(n_t, np.inf)
        for t, lab in enumerate(labels):
            rows.append((prod, lab, good_dies[j, t], accel[j, t], pk_lim[t], hbm_lim[t]))
    columns = ["product", "month", "good_dies", "accelerators", "packaging_limit", "hbm_limit"]
    return pd.DataFrame(rows, columns=columns), accel


def _deliveries_table(pm: PlanModel) -> pd.DataFrame:
    """``deliveries``: customer, product, month, demand, delivered, shortage."""
    d = pm.d
    labels = list(d.buckets.labels)
    demand = d.values("demand")
    q = _sol(pm, "Delivered")
    q = np.zeros_like(demand) if q is None else q
    rows = []
    for ci, cust in enumerate(d.customers):
        for j, prod in enumerate(d.products):
            for t, lab in enumerate(labels):
                dem = demand[ci, j, t]
                if dem > 0:
                    got = min(q[ci, j, t], dem)
                    rows.append((cust, prod, lab, dem, got, max(dem - got, 0.0)))
    return pd.DataFrame(
        rows, columns=["customer", "product", "month", "demand", "delivered", "shortage"]
    )


def _outside_wafers_table(pm: PlanModel) -> pd.DataFrame:
    """``outside_wafers``: supplier, product, month, wafers bought from outside foundries."""
    d = pm.d
    labels = list(d.buckets.labels)
    bought = _sol(pm, "Outside-wafers")
    rows = []
    if bought is not None:
        for i, sup in enumerate(d.labels("outside")):
            for j, prod in enumerate(d.products):
                for k, lab in enumerate(labels):
                    if bought[i, j, k] > 1e-9:
                        rows.append((sup, prod, lab, bought[i, j, k]))
    return pd.DataFrame(rows, columns=["supplier", "product", "month", "wafers"])


def build_tables(
    pm: PlanModel, units: np.ndarray, blocks: np.ndarray, shadow: pd.DataFrame | None
) -> dict[str, pd.DataFrame]:
    """All output tables from the solved (final) operations LP."""
    d = pm.d
    labels = list(d.buckets.labels)
    capacity, wafer_starts, wafers = _capacity_tables(pm, units)
    supply, accel = _supply_table(pm, blocks)
    deliveries = _deliveries_table(pm)
    first_good: dict[str, str | None] = {}
    for j, prod in enumerate(d.products):
        idx = np.flatnonzero(accel[j] > 0.5)
        first_good[prod] = labels[idx[0]] if idx.size else None
    shadow_df = (
        shadow
        if shadow is not None
        else pd.DataFrame(columns=["constraint", "site_or_resource", "month", "value", "unit"])
    )
    return {
        "decisions": decisions_table(d, units, blocks),
        "capacity": capacity,
        "wafer_starts": wafer_starts,
        "supply": supply,
        "deliveries": deliveries,
        "cash_flow": _cash_flow(pm),
        "quarterly": _quarterly(pm, deliveries, wafers),
        "outside_wafers": _outside_wafers_table(pm),
        "shadow_prices": shadow_df,
        "customer_limits": customer_limits(pm, deliveries, shadow_df, first_good),
        "packaging": _packaging(pm),
    }


def _packaging(pm: PlanModel) -> pd.DataFrame:
    """Packages assembled and interposer wafers used per line, product and bucket."""
    d = pm.d
    pk = _sol(pm, "Packages")
    cols = ["line", "product", "month", "packages", "interposer_wafers"]
    if pk is None:
        return pd.DataFrame(columns=cols)
    ppw = d.values("packages_per_interposer_wafer")
    rows = [
        (line, prod, lab, pk[i, j, t], pk[i, j, t] / ppw[j])
        for i, line in enumerate(d.lines)
        for j, prod in enumerate(d.products)
        for t, lab in enumerate(d.buckets.labels)
        if pk[i, j, t] > 1e-6
    ]
    return pd.DataFrame(rows, columns=cols)


def _series(pm: PlanModel, key: str, n_t: int) -> np.ndarray:
    """Per-bucket values (USD) of expression ``key`` (zeros when the model has none)."""
    expr = pm.ex.get(key)
    if expr is None:
        return np.zeros(n_t)
    if not hasattr(expr, "solution"):  # a constant DataArray
        return np.broadcast_to(np.asarray(expr, dtype=float), (n_t,)) * MONEY
    return np.broadcast_to(_val(expr), (n_t,)) * MONEY


def _cash_flow(pm: PlanModel) -> pd.DataFrame:
    """The ``cash_flow`` table (module docstring)."""
    d = pm.d
    n_t = d.buckets.n
    debt = _sol(pm, "Debt", 1.0)
    cash = _sol(pm, "Cash", 1.0)
    debt = np.zeros(n_t) if debt is None else debt
    change = np.diff(np.concatenate([[0.0], debt]))
    s = {k: _series(pm, k, n_t) for k in (
        "capex", "sustaining", "opex", "opex_outside", "revenue", "grants", "prepaid",
        "recovered", "interest", "depreciation", "profit", "tax", "fcf",
    )}  # fmt: skip
    rate = float(d.ds.attrs.get("tax_rate", 0.0))
    years = int(d.ds.attrs.get("tax_loss_years", -1))
    steps = None if years < 0 else int(np.searchsorted(d.buckets.start, 12 * years))
    # tax by the formula on the plan's profit: the LP's (unlimited carry-forward) where the
    # limit does not bind, one canonical timing where the LP is indifferent (no discounting)
    taxed = income_tax(s["profit"], rate, steps) if n_t else None
    if taxed is not None:
        s["fcf"] = s["fcf"] + s["tax"] - taxed.tax
        s["tax"] = taxed.tax
    pool = taxed.loss_pool if taxed is not None else None
    without_dep = income_tax(s["profit"] + s["depreciation"], rate, steps).tax if n_t else 0.0
    tv = np.zeros(n_t)
    if "terminal_value" in pm.ex and n_t:
        tv[-1] = pm.value("terminal_value") * MONEY
    return pd.DataFrame(
        {
            "month": list(d.buckets.labels),
            "capex": s["capex"],
            "sustaining_capex": s["sustaining"],
            "opex": s["opex"],
            "outside_wafer_cost": s["opex_outside"],
            "revenue": s["revenue"],
            "grants": s["grants"],
            "prepayments_in": s["prepaid"],
            "prepayments_recovered": s["recovered"],
            "investor_in": d.investor_in,
            "debt_draw": np.maximum(change, 0.0) * MONEY,
            "debt_repay": np.maximum(-change, 0.0) * MONEY,
            "interest": s["interest"],
            "depreciation": s["depreciation"],
            "profit_before_tax": s["profit"],
            "tax": s["tax"],
            "tax_shield": without_dep - s["tax"],
            "loss_pool": np.zeros(n_t) if pool is None else pool,
            "free_cash_flow": s["fcf"],
            "terminal_value": tv,
            "cash_balance": (np.zeros(n_t) if cash is None else cash) * MONEY,
            "debt_balance": debt * MONEY,
        }
    )


def _quarterly(pm: PlanModel, deliveries: pd.DataFrame, wafers: np.ndarray) -> pd.DataFrame:
    """The ``quarterly`` table: output and shortage per calendar quarter and product."""
    d = pm.d
    labels = list(d.buckets.labels)

    def quarter(month: str) -> str:
        return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"

    cols = ["quarter", "product", "demand", "delivered", "shortage", "own_wafers", "outside_wafers"]
    if deliveries.empty:
        dl = pd.DataFrame(columns=["quarter", "product", "demand", "delivered", "shortage"])
    else:
        dl = (
            deliveries.assign(quarter=deliveries["month"].map(quarter))
            .groupby(["quarter", "product"], sort=True)[["demand", "delivered", "shortage"]]
            .sum()
            .reset_index()
        )
    own = wafers.sum(axis=0)  # P x T
    out = _sol(pm, "Outside-wafers")
    bought = out.sum(axis=0) if out is not None else np.zeros_like(own)
    rows = [
        (quarter(lab), prod, own[j, t], bought[j, t])
        for j, prod in enumerate(d.products)
        for t, lab in enumerate(labels)
    ]
    w = (
        pd.DataFrame(rows, columns=["quarter", "product", "own_wafers", "outside_wafers"])
        .groupby(["quarter", "product"], sort=True)
        .sum()
        .reset_index()
    )
    table = w.merge(dl, on=["quarter", "product"], how="outer").fillna(0.0)
    keep = table[["demand", "delivered", "own_wafers", "outside_wafers"]].sum(axis=1) > 0
    return table.loc[keep, cols].sort_values(["quarter", "product"], ignore_index=True)


def project_flows(pm: PlanModel, cash_flow: pd.DataFrame) -> np.ndarray:
    """Unlevered project cash flow per month (USD): each bucket's free cash flow (plus
    prepayments in, less recovered) spread evenly over its months, the terminal value in the
    last month — what IRR and payback are computed on."""
    b = pm.d.buckets
    per_bucket = (
        cash_flow["free_cash_flow"]
        + cash_flow["prepayments_in"]
        - cash_flow["prepayments_recovered"]
    ).to_numpy(float)
    monthly = np.repeat(per_bucket / b.length, b.length)
    if len(monthly):
        monthly[-1] += float(cash_flow["terminal_value"].iloc[-1])
    return monthly


def make_summary(pm: PlanModel, tables: dict[str, pd.DataFrame], **info: Any) -> dict[str, Any]:
    """The summary dict (keys documented in ``fabnet plan --json``)."""
    d = pm.d
    dec = tables["decisions"]
    cf = tables["cash_flow"]
    dl = tables["deliveries"]
    sup = tables["supply"]
    years = dl.assign(year=dl["month"].str[:4]).groupby("year")["delivered"].sum()
    delivered_by_year = {str(y): float(v) for y, v in years.items()}
    short = dl.groupby("customer", sort=False)["shortage"].sum()
    demand = dl.groupby("customer", sort=False)["demand"].sum()
    good = sup[sup["accelerators"] > 0.5]
    debt = cf["debt_balance"].to_numpy()
    drawn = np.flatnonzero(debt > 1.0)
    m = pm.m
    size = {
        "rows": int(m.ncons),
        "columns": int(m.nvars),
        "integers": int(d.n_options + d.n_expansions),
    }
    total_units = float(dl["delivered"].sum())
    capex_total = float(dec["capex"].sum()) if len(dec) else 0.0
    npv = pm.value("npv") * MONEY if hasattr(pm.ex["npv"], "solution") else 0.0
    if "terminal_correction" in pm.ex:  # the optimiser's stock correction is not value
        npv -= pm.value("terminal_correction") * MONEY
    alloc = info.pop("allocation", {})
    flows = project_flows(pm, cf)
    tv = float(cf["terminal_value"].sum())
    df_end = (1.0 + float(d.ds.attrs.get("discount_rate", 0.0))) ** (-d.buckets.n_months / 12.0)
    tv_pv = tv * df_end
    return {
        "status": info["status"],
        "scenario": d.scenario_name,
        "objective": info["objective"],
        "policy": info["policy"],
        "strategy": d.strategy,
        "objective_value": info["objective_value"],
        "design_objective_value": info["design_objective"],
        "npv": npv,
        "irr": _finite(irr(flows)),
        "payback_month": _month_or_none(d, payback_month(flows)),
        "npv_without_terminal_value": npv - tv_pv,
        "terminal_value": tv,
        "revenue_total": float(cf["revenue"].sum()),
        "tax_total": float(cf["tax"].sum()),
        "tax_shield_total": float(cf["tax_shield"].sum()),
        "grants_total": float(cf["grants"].sum()),
        "sustaining_capex_total": float(cf["sustaining_capex"].sum()),
        "outside_wafers_total": float(tables["quarterly"]["outside_wafers"].sum()),
        "capex_total": capex_total,
        "funding_gap": float(debt.max()) if debt.size else 0.0,
        "funding_gap_first_month": d.buckets.labels[drawn[0]] if drawn.size else None,
        "funding_gap_peak_month": d.buckets.labels[int(np.argmax(debt))] if drawn.size else None,
        "decisions": [
            {
                k: r[k]
                for k in ("site", "action", "start", "modules", "capex", "node", "first_output")
            }
            for r in dec.to_dict(orient="records")
        ],
        "delivered_by_year": delivered_by_year,
        "delivered_total": total_units,
        "shortage_by_customer": {str(k): float(v) for k, v in short.items()},
        "fill_rate_by_customer": {
            str(k): float(1.0 - short[k] / demand[k]) if demand[k] > 0 else 1.0 for k in short.index
        },
        "first_good_accelerator": str(good["month"].min()) if len(good) else None,
        "cost_per_accelerator": (
            float(
                (
                    cf["capex"].sum()
                    + cf["sustaining_capex"].sum()
                    + cf["opex"].sum()
                    + cf["interest"].sum()
                )
                / total_units
            )
            if total_units > 0
            else None
        ),
        "mip_gap": info["mip_gap"],
        "solve_seconds": info["solve_seconds"],
        "build_seconds": info["build_seconds"],
        "model_size": size,
        "allocation": alloc,
        "timings": info.get("timings", {}),
    }


def _finite(value: object) -> float | None:
    v = float(np.asarray(value))
    return v if np.isfinite(v) else None


def _month_or_none(d: object, month_index: object) -> str | None:
    """``YYYY-MM`` of a month index from the horizon start (None for nan)."""
    v = float(np.asarray(month_index))
    if not np.isfinite(v):
        return None
    labels = d.labels("month")  # type: ignore[attr-defined]
    return str(labels[min(int(v), len(labels) - 1)])
