"""The exact recourse: re-optimise each future's operations with HiGHS, decisions held fixed.

For future ``i`` of a chunk, :func:`future_scenario` writes the sampled values into a copy of
the scenario (``new = m · base + a`` per target, as :mod:`fabnet.risk.sampling` defines it;
whole months are rounded, since the planner's months are whole), then
``solve_plan(future, fixed=decisions, explain=False)`` re-plans wafer starts, packaging, HBM,
allocation and money with the build/buy decisions of the plan. Figures come from the solved
tables with the same definitions as the fast recourse (:mod:`fabnet.risk.recourse`). One solve
per future (seconds each): meant for hundreds of futures, for checking the fast recourse.

Not applied here as the fast recourse applies them: ``customers.*.price_usd`` and
``price_erosion`` move merchant prices only (a foundry price list is shared by customers; the
fast recourse moves each customer's foundry price too), and a price erosion becomes its
ten-year average (the planner's merchant price is one number per product).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.econ import funding_coverage, irr
from fabnet.plan import solve_plan
from fabnet.risk.model import RiskModel
from fabnet.risk.sampling import Chunk, Draws
from fabnet.scenario import Newcomer, Scenario, add_months, series_values

__all__ = ["LPRecourse", "applied_alike", "future_scenario", "metrics_from_plan"]

FloatArray = npt.NDArray[np.float64]


#: Customer fields the exact recourse moves for merchant prices only (module docstring).
_MERCHANT_ONLY_FIELDS = ("price_usd", "price_erosion")


def applied_alike(scenario: Any) -> list[str]:
    """Names of the scenario's uncertainties both recourses apply the same way: all but those on
    a customer's ``price_usd`` or ``price_erosion``, which the exact recourse moves for merchant
    prices only. The set over which fast and exact recourse are compared."""
    out = []
    for u in scenario.uncertainties:
        collection, field = u.target.split(".", 1)[0], u.target.rsplit(".", 1)[-1]
        if not (collection == "customers" and field in _MERCHANT_ONLY_FIELDS):
            out.append(u.name)
    return out


def _affine_series(series: Any, m: float, a: float) -> Any:
    if isinstance(series, dict):
        return {k: max(m * v + a, 0.0) for k, v in series.items()}
    return max(m * float(series) + a, 0.0)


def _grown_series(series: Any, growth: float, scenario: Scenario) -> dict[str, float]:
    """``series`` month by month over the horizon, times ``(1 + growth)`` per year from the start."""
    months = scenario.months
    values = series_values(series, months)
    rate = 1.0 + max(growth, -0.99)
    return {
        m: v * rate ** ((i + 0.5) / 12.0)
        for i, (m, v) in enumerate(zip(months, values, strict=True))
    }


def _overrun(fab: Any, patch: dict[str, Any], x: float) -> dict[str, Any]:
    """Capex fields of a fab times ``1 + x`` (greenfield capex per 1k wspm; a bought fab's
    price and retool capex)."""
    f = 1.0 + x
    if hasattr(fab, "asking_price_usd"):
        retool = [r.model_copy(update={"capex_usd": r.capex_usd * f}) for r in fab.retool]
        return {"asking_price_usd": fab.asking_price_usd * f, "retool": retool}
    nodes = patch.get("nodes", fab.nodes)
    return {
        "nodes": [
            n.model_copy(update={"capex_per_kwspm_usd": n.capex_per_kwspm_usd * f}) for n in nodes
        ]
    }


def _stretch(fab: Any, patch: dict[str, Any], x: float) -> dict[str, Any]:
    """The ramp takes ``1 + x`` times as long (a greenfield curve resampled, whole months)."""
    f = max(1.0 + x, 1e-3)
    if hasattr(fab, "ramp_months"):
        return {"ramp_months": max(round(fab.ramp_months * f), 0)}
    curve = np.asarray(fab.ramp_curve, dtype=np.float64)
    n = max(round(curve.size * f), 1)
    new = np.interp(np.arange(1, n + 1) / f, np.arange(1, curve.size + 1), curve)
    return {"ramp_curve": [float(v) for v in new]}


def _stuck(fab: Any, patch: dict[str, Any], x: float) -> dict[str, Any]:
    """Yield held at its start value ``x`` more months: the newcomer's learning delay."""
    months = max(round(x), 0)
    nc = patch.get("newcomer", fab.newcomer)
    if nc is None:
        nc = Newcomer(d0_start_factor=1.0, d0_mature_factor=1.0, learning_delay_months=0,
                      capex_premium=0.0)  # fmt: skip
    return {
        "newcomer": nc.model_copy(
            update={"learning_delay_months": nc.learning_delay_months + months}
        )
    }


_FAB_EFFECTS = {"capex_overrun": _overrun, "ramp_stretch": _stretch, "yield_stuck_months": _stuck}


def _eroded(prices: dict[str, float], x: float) -> dict[str, float]:
    """Merchant prices at their average over a ten-year erosion of ``x`` a year (the planner's
    merchant price is one number per product; foundry and cost-plus prices are not moved)."""
    factor = float(np.mean((1.0 - x) ** ((np.arange(120) + 0.5) / 12.0)))
    return {p: v * factor for p, v in prices.items()}


def future_scenario(scenario: Scenario, draws: Draws, i: int) -> Scenario:
    """``scenario`` with the values of future ``i`` of ``draws`` written in."""
    upd: dict[str, dict[str, dict[str, Any]]] = {}
    for k, (coll, item, field) in enumerate(draws.targets):
        m, a = float(draws.mult[i, k]), float(draws.add[i, k])
        upd.setdefault(coll, {}).setdefault(item, {})[field] = (m, a)
    changes: dict[str, Any] = {}
    for coll, items in upd.items():
        new_items = []
        for x in getattr(scenario, coll):
            fields = items.get(x.name)
            if not fields:
                new_items.append(x)
                continue
            patch: dict[str, Any] = {}
            for field, (m, a) in fields.items():
                if coll == "investors" and field == "pay_in_delay_months":
                    shift = round(a)
                    pays = patch.get("pay_in", x.pay_in)
                    patch["pay_in"] = [
                        p.model_copy(update={"month": add_months(p.month, shift)}) for p in pays
                    ]
                elif coll == "investors" and field == "commitment_usd":
                    ratio = (m * x.commitment_usd + a) / max(x.commitment_usd, 1e-300)
                    pays = patch.get("pay_in", x.pay_in)
                    patch["pay_in"] = [
                        p.model_copy(update={"amount_usd": p.amount_usd * ratio}) for p in pays
                    ]
                    patch[field] = x.commitment_usd * ratio
                elif coll == "customers" and field == "demand_growth":
                    for key in ("demand", "contracted"):
                        patch[key] = {
                            p: _grown_series(patch.get(key, getattr(x, key))[p], a, scenario)
                            for p in getattr(x, key)
                        }
                elif field in ("demand", "contracted"):
                    patch[field] = {
                        p: _affine_series(s, m, a)
                        for p, s in patch.get(field, getattr(x, field)).items()
                    }
                elif coll == "customers" and field == "price_usd":
                    patch[field] = {p: max(m * v + a, 0.0) for p, v in x.price_usd.items()}
                elif field in (
                    "capacity_wpm", "stacks_per_month", "price_per_wafer_usd",
                    "max_wafers_per_month",
                ):  # fmt: skip
                    patch[field] = _affine_series(getattr(x, field), m, a)
                elif coll == "fabs" and field in _FAB_EFFECTS:
                    patch.update(_FAB_EFFECTS[field](x, patch, a))
                elif coll == "customers" and field == "price_erosion":
                    patch["price_usd"] = _eroded(patch.get("price_usd", x.price_usd), a)
                elif field in ("lead_time_months", "months_to_first_output"):
                    patch[field] = max(round(m * getattr(x, field) + a), 0)
                elif field == "learning_tau_months":
                    patch[field] = max(m * x.learning_tau_months + a, 1e-3)
                else:
                    patch[field] = max(m * float(getattr(x, field)) + a, 0.0)
            new_items.append(x.model_copy(update=patch))
        changes[coll] = new_items
    return scenario.model_copy(update=changes)


def metrics_from_plan(result: Any, model: RiskModel) -> dict[str, FloatArray]:
    """The per-future figures of :mod:`fabnet.risk.recourse` from a solved plan (one row)."""
    labels = list(model.bucket_labels)
    b = model.data.buckets
    cf = result.tables["cash_flow"].set_index("month").reindex(labels).fillna(0.0)
    capex, opex, rev = (cf[c].to_numpy(float) for c in ("capex", "opex", "revenue"))
    inflow, interest = cf["investor_in"].to_numpy(float), cf["interest"].to_numpy(float)
    debt = cf["debt_balance"].to_numpy(float)
    # the fast recourse's definitions (:func:`fabnet.risk.recourse._money_metrics`)
    other = (
        cf["sustaining_capex"] + cf["tax"] - cf["grants"] - cf["prepayments_in"]
        + cf["prepayments_recovered"]
    ).to_numpy(float)  # fmt: skip
    spend = capex + opex - rev + other
    cov = funding_coverage(spend, inflow, model.debt_limit)
    flows = rev - opex - capex - other
    length = b.length.astype(float)
    monthly = np.repeat(flows / length, b.length)
    quarters = np.add.reduceat(monthly, np.arange(0, model.n_months, 3))
    dl = result.tables["deliveries"]
    deliv = (
        dl.pivot_table(index="month", values="delivered", aggfunc="sum").reindex(labels).fillna(0.0)
    )
    deliv_t = np.maximum(deliv["delivered"].to_numpy(float), 0.0)
    short_c = (
        dl.pivot_table(index="customer", values="shortage", aggfunc="sum")
        .reindex(list(model.customers))
        .fillna(0.0)["shortage"]
        .to_numpy(float)
    )
    by_year = np.zeros(len(model.years))
    np.add.at(by_year, model.bucket_year, deliv_t)
    good = deliv_t > 0.5
    first = float(b.start[np.argmax(good)]) if good.any() else np.nan
    penalty = dl.assign(
        w=dl["customer"].map(dict(zip(model.customers, model.values("penalty"), strict=True)))
    ).assign(m=lambda f: f["month"].map({lab: i for i, lab in enumerate(labels)}))
    pen = float((penalty["w"] * penalty["shortage"] * b.discount[penalty["m"].to_numpy(int)]).sum())
    npv = float(((flows - interest) * b.discount).sum())
    # the plan's own NPV carries tax, grants, sustaining capex, prepayments and the terminal value
    npv = float(result.summary.get("npv", npv))
    peak = float(np.asarray(cov.peak_gap))
    row = {
        "npv": npv,
        "objective": npv - pen,
        "irr": float(
            result.summary["irr"]
            if result.summary.get("irr") is not None
            else np.asarray(irr(quarters, months_per_step=3))
        ),
        "capex_total": float(capex.sum()),
        "revenue_total": float(rev.sum()),
        "funding_need": max(float(np.cumsum(spend).max()), 0.0),
        "funding_gap": peak,
        "debt_peak": float(debt.max()) if debt.size else 0.0,
        "funding_sufficient": float(
            peak + model.minimum_cash <= 1e-6 * max(model.minimum_cash, 1.0)
        ),
        "funding_with_debt": float(
            (debt.max() if debt.size else 0.0) <= model.debt_limit * (1 + 1e-9) + 1e-6
        ),
        "delivered_total": float(deliv_t.sum()),
        "shortage_total": float(dl["shortage"].clip(lower=0).sum()),
        "first_good_month": first,
    }
    out = {k: np.array([v]) for k, v in row.items()}
    out["delivered_by_year"] = by_year[None, :]
    out["shortage_by_customer"] = short_c[None, :]
    out["delivered_by_bucket"] = deliv_t[None, :]
    return out


@dataclass(frozen=True)
class LPRecourse:
    """Chunk function (picklable): ``solve_plan(future, fixed=decisions)`` per future."""

    model: RiskModel
    scenario: Scenario
    decisions: pd.DataFrame
    time_limit: float | None = None
    threads: int | None = 1

    def __call__(self, chunk: Chunk) -> dict[str, FloatArray]:
        draws = self.model.sampler.draw(chunk)
        rows = []
        for i in range(draws.n):
            future = future_scenario(self.scenario, draws, i)
            res = solve_plan(
                future,
                policy=self.model.allocation,
                fixed=self.decisions,
                time_limit=self.time_limit,
                explain=False,
                threads=self.threads,
            )
            rows.append(metrics_from_plan(res, self.model))
        return {k: np.concatenate([r[k] for r in rows], axis=0) for k in rows[0]}
