"""Why the plan looks as it does: shadow prices, what limited each customer, and infeasibility.

**Shadow prices** come from the operations LP with the integer decisions fixed (stage 3 of
:func:`fabnet.plan.solve_plan`), objective as in the design stage. Each is the change in the
objective (present value, USD) per unit more of a resource in one bucket:

* ``fab capacity`` (per site; the largest dual among its cohorts): one more wafer out per month
  for the bucket's months — USD per wafer/month;
* ``packaging`` (per line): one more interposer wafer per month (a CoWoS "slot") — USD per
  wafer/month;
* ``HBM`` (per type): one more stack in the bucket — USD per stack;
* ``cash`` (per bucket): one more dollar paid in — USD per USD (0 when money does not bind);
* ``debt limit`` (per bucket): one more dollar of debt allowed — USD per USD.

A resource *binds* in a bucket when its shadow price is non-zero (> ``BINDING_TOL``).

**Customer limits** (``customer_limits.limited_by``): for each customer and product short by
more than 0.5 % of demand, the reasons, in order: no capacity for the product's node in the plan;
buckets before the product's first good unit ("no output before …"); resources of that product
that bind in the buckets where the customer is short (its packaging kind — every line of the kind
binding, not just a cheaper line's cost advantage —, its HBM type, fab capacity of its node, cash);
higher-priority customers served in those buckets ("priority: served after …"). A heuristic reading of
the duals, not a proof: with inventories a resource binding earlier can also cause a shortage.

**Infeasibility**: HiGHS's irreducible infeasible subset (linopy ``compute_infeasibilities``)
is mapped from constraint labels back to scenario fields, month runs collapsed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import InfeasibleError
from fabnet.plan.model import MONEY, QTY, PlanModel

__all__ = ["BINDING_TOL", "collect_duals", "customer_limits", "raise_infeasible"]

BINDING_TOL = 1e-6


def _dual(pm: PlanModel, name: str) -> np.ndarray | None:
    if name not in pm.m.constraints:
        return None
    values = pm.m.constraints[name].dual.values
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)


def collect_duals(pm: PlanModel, sense: str) -> pd.DataFrame:
    """Shadow-price table (constraint, site_or_resource, month, value, unit), value in PV USD."""
    d = pm.d
    s = 1.0 if sense == "max" else -1.0
    length = d.buckets.length.astype(float)
    labels = d.buckets.labels
    rows: list[tuple[str, str, str, float, str]] = []

    site_val = np.zeros((len(d.sites), d.buckets.n))
    units = np.zeros(d.n_options)
    if "Option-units" in pm.m.variables:
        units = np.nan_to_num(pm.m.variables["Option-units"].solution.values, nan=0.0)
    chosen = units > 0.5  # only fabs in the plan: an unbuilt cohort's row has no capacity
    capacity, young = d.values("option_capacity"), d.values("option_young")
    option_site = d.positions("site", d.values("option_site"))
    du = _dual(pm, "Option-capacity")
    if du is not None:  # rows are "wafers - cap*units <= 0": dual = value per wafer in bucket
        for o in np.flatnonzero(chosen):
            live = (capacity[o] > 0) & young[o]
            val = np.where(live, s * du[o], 0.0)
            site_val[option_site[o]] = np.maximum(site_val[option_site[o]], val)
    dp = _dual(pm, "Pool-capacity")
    if dp is not None:
        pool = np.zeros((len(d.groups), d.buckets.n))
        option_group = d.positions("group", d.values("option_group"))
        np.add.at(pool, option_group, capacity * ~young * units[:, None])
        group_site = d.positions("site", d.values("group_site"))
        for g in range(dp.shape[0]):
            val = np.where(pool[g] > 0, s * dp[g], 0.0)
            site_val[group_site[g]] = np.maximum(site_val[group_site[g]], val)
    for i, site in enumerate(d.sites):
        for t, lab in enumerate(labels):
            rows.append(
                ("fab capacity", site, lab, site_val[i, t] * length[t], "USD per wafer/month")
            )

    dl = _dual(pm, "Line-capacity")
    if dl is not None:
        for i, line in enumerate(d.lines):
            for t, lab in enumerate(labels):
                rows.append(
                    (
                        "packaging",
                        line,
                        lab,
                        s * dl[i, t] * length[t],
                        "USD per interposer wafer/month",
                    )
                )

    dh = _dual(pm, "HBM-balance")
    if dh is not None:  # rows "bought - used >= 0" (bucket, hbm_type): one more stack = -dual
        types = list(pm.m.constraints["HBM-balance"].coords["hbm_type"].values)
        for k, typ in enumerate(types):
            for t, lab in enumerate(labels):
                rows.append(("HBM", str(typ), lab, -s * dh[t, k], "USD per stack"))

    dc = _dual(pm, "Cash-balance")
    if dc is not None:
        for t, lab in enumerate(labels):
            rows.append(("cash", "cash", lab, s * dc[t], "USD per USD"))
    dd = _dual(pm, "Debt-limit")
    if dd is not None:
        for t, lab in enumerate(labels):
            rows.append(("debt limit", "debt", lab, s * dd[t], "USD per USD"))
    df = pd.DataFrame(rows, columns=["constraint", "site_or_resource", "month", "value", "unit"])
    # fab capacity value: dual is M$ per wafer -> USD per wafer; packaging/HBM likewise
    money_rows = (
        df["unit"].str.startswith("USD per wafer")
        | df["unit"].str.startswith("USD per interposer")
        | (df["unit"] == "USD per stack")
    )
    df.loc[money_rows, "value"] = df.loc[money_rows, "value"] * MONEY / QTY
    df.loc[df["value"].abs() < 1e-9, "value"] = 0.0
    return df


def _month_ranges(months: list[str], order: list[str]) -> str:
    """Collapse sorted bucket labels into 'a–b' runs of consecutive buckets."""
    pos = {m: i for i, m in enumerate(order)}
    idx = sorted(pos[m] for m in set(months))
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    parts = [order[a] if a == b else f"{order[a]}–{order[b]}" for a, b in runs]
    if len(parts) > 3:
        parts = [*parts[:3], f"… ({len(parts) - 3} more)"]
    return ", ".join(parts)


def customer_limits(
    pm: PlanModel,
    deliveries: pd.DataFrame,
    shadow: pd.DataFrame | None,
    first_good: dict[str, str | None],
) -> pd.DataFrame:
    """customer, product, fill_rate, limited_by (see the module docstring)."""
    d = pm.d
    order = list(d.buckets.labels)
    binding: dict[tuple[str, str], set[str]] = defaultdict(set)
    if shadow is not None and len(shadow):
        b = shadow[shadow["value"].abs() > BINDING_TOL]
        for row in b.itertuples(index=False):
            binding[(row.constraint, row.site_or_resource)].add(row.month)
    line_kind = [str(k) for k in d.values("line_kind")]
    line_capacity = d.values("line_capacity").sum(axis=1) > 0
    for kind in set(line_kind):
        lines = [ln for ln, k in zip(d.lines, line_kind, strict=True) if k == kind]
        sets = [binding.get(("packaging", ln), set()) for ln in lines]
        sets = [
            s for s, ln in zip(sets, lines, strict=True) if line_capacity[d.lines.index(ln)] or s
        ]
        binding[("packaging kind", kind)] = set.intersection(*sets) if sets else set()
    rows = []
    prio = dict(zip(d.customers, d.values("priority"), strict=True))
    line_product, group_product = d.values("line_product"), d.values("group_product")
    hbm_stacks, hbm_type = d.values("hbm_stacks"), d.values("hbm_type")
    group_site, group_node = d.values("group_site"), d.values("group_node")
    for (cust, prod), grp in deliveries.groupby(["customer", "product"], sort=False):
        dem = float(grp["demand"].sum())
        if dem <= 0:
            continue
        got = float(grp["delivered"].sum())
        fill = got / dem
        short = grp[grp["shortage"] > 0.005 * grp["demand"]]
        reasons: list[str] = []
        if fill >= 0.995 or short.empty:
            reasons.append("fully served")
        else:
            months = list(short["month"])
            first = first_good.get(prod)
            j = d.products.index(prod)
            node = str(d.values("product_node")[j])
            if first is None:
                has_node = bool((group_node == node).any())
                reasons.append(
                    f"no {node} capacity in the plan (building or buying it does not pay at "
                    "these prices, money and lead times)"
                    if has_node
                    else f"no site can make {node} wafers in this scenario"
                )
            early = [m for m in months if first is not None and m < first]
            if early:
                reasons.append(f"no {prod} output before {first} (fab lead time)")
            later = [m for m in months if first is not None and m >= first]
            resources: list[tuple[str, str, str]] = []
            kinds = sorted({line_kind[li] for li in range(len(d.lines)) if line_product[li, j]})
            for kind in kinds:
                resources.append(("packaging kind", kind, f"{kind} packaging"))
            if hbm_stacks[j] > 0:
                resources.append(("HBM", str(hbm_type[j]), f"{hbm_type[j]} supply"))
            for g in range(len(d.groups)):
                if group_product[g, j]:
                    site = str(group_site[g])
                    resources.append(("fab capacity", site, f"wafer capacity at {site}"))
            resources.append(("cash", "cash", "money (cash floor)"))
            found = False
            for key0, key1, text in resources:
                hit = [m for m in later if m in binding.get((key0, key1), set())]
                if hit:
                    found = True
                    reasons.append(f"{text} (binding {_month_ranges(hit, order)})")
            served_first = []
            for other, ogrp in deliveries[
                (deliveries["product"] == prod) & deliveries["month"].isin(later)
            ].groupby("customer"):
                if other != cust and prio[other] < prio[cust] and ogrp["delivered"].sum() > 0:
                    served_first.append(str(other))
            if served_first and later:
                reasons.append("priority: served after " + ", ".join(sorted(served_first)))
            if later and not found and not served_first:
                reasons.append("not worth serving at its price (marginal cost or penalty higher)")
        rows.append((cust, prod, fill, "; ".join(reasons)))
    return pd.DataFrame(rows, columns=["customer", "product", "fill_rate", "limited_by"])


def _describe(pm: PlanModel, name: str, coords: dict[str, Any]) -> tuple[str, str | None]:
    """(text template, month) for one IIS row."""
    d = pm.d
    month = None if coords.get("bucket") is None else str(coords["bucket"])
    if name == "Cash-floor":
        floor = d.ds.attrs["minimum_cash"]
        return f"cash must stay ≥ financing.minimum_cash_usd = {floor:,.0f} USD", month
    if name == "Cash-balance":
        return (
            "money in each month: investors' pay-ins (investors[*].pay_in) + debt must cover "
            "capex and operating costs",
            month,
        )
    if name == "Debt-limit":
        return f"debt ≤ financing.debt_limit_usd = {d.ds.attrs['debt_limit']:,.0f} USD", month
    if name == "Site-max_units":
        return f"at most the site's max_modules at {coords.get('site')}", None
    if name == "Contract-minimum":
        return (
            f"contracted minimum of {coords.get('customer')} for {coords.get('product')} "
            "(customers[*].contracted)",
            month,
        )
    if name in ("Option-capacity", "Pool-capacity"):
        return "wafer capacity of the fabs chosen", month
    if name == "Line-capacity":
        return f"packaging capacity of {coords.get('line')} (packaging[*].capacity_wpm)", month
    if name == "HBM-balance":
        return f"{coords.get('hbm_type')} stacks available (hbm[*].stacks_per_month)", month
    if name in ("Die-balance", "Finished-balance"):
        return f"dies and finished {coords.get('product')} made before they are sold", month
    if name.startswith("Allocation") or name.startswith("Objective"):
        return f"allocation/objective stage constraint {name}", month
    return name, month


def raise_infeasible(pm: PlanModel, stage: str) -> None:
    """Raise :class:`InfeasibleError` naming the scenario inputs in the infeasible subset."""
    conflicts: list[str] = []
    from fabnet.plan.highs import quiet_solver

    try:
        with quiet_solver():
            labels = pm.m.compute_infeasibilities()
        positions = pm.m.constraints.get_label_position(labels) if labels else []
    except Exception:  # pragma: no cover - IIS not available for this model
        positions = []
    grouped: dict[str, list[str]] = defaultdict(list)
    for name, coords in positions:
        text, month = _describe(pm, str(name), dict(coords))
        grouped[text].extend([month] if month else [])
    order = list(pm.d.buckets.labels)
    for text, months in grouped.items():
        conflicts.append(f"{text} in {_month_ranges(months, order)}" if months else text)
    fixed = []
    for name in ("Option-units", "Expansion-blocks"):
        if name in pm.m.variables and pm.m.variables[name].fixed:
            fixed.append(name)
    if fixed:
        conflicts.append("the build/buy decisions held fixed (fixed=...) and their capex")
    if not conflicts:
        conflicts.append(
            "no irreducible subset found (the LP relaxation is feasible but no integer plan is); "
            "check investors' pay-ins, debt limit and minimum cash against fab capex"
        )
    raise InfeasibleError(
        f"No plan of scenario {pm.d.scenario_name!r} satisfies all hard requirements ({stage}).",
        conflicts=conflicts,
    )
