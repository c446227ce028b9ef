"""Capable-to-promise (CTP): re-optimise the plan with the order in it.

The request becomes a new customer of the scenario (:func:`scenario_with_order`): demand of
``quantity`` units in the wanted month, at the request's priority and price (its ``max_price``,
else the price an ATP quote would ask). :func:`capable_to_promise` solves the plan again
(:func:`fabnet.plan.solve_plan`, same objective and allocation policy) and compares it with the
base plan:

* **quantity** — what the re-optimised plan delivers to the order by the wanted month; the rest, if
  any, from the re-optimised plan's available-to-promise in the months after it
  (:class:`fabnet.quote.AtpBook`), never after ``latest``; ``complete_by`` is the month of the last
  unit;
* **displaced** — units each customer of the base plan loses (customer × product × bucket):
  with the ``priority`` rule (or ``contracts`` then ``priority``) the lowest-priority uncontracted
  demand goes first; contracted minimums are kept;
* **npv_change** — NPV of the re-optimised plan minus the base plan's (the order's revenue at its
  price included);
* **price_per_unit** — the break-even price: with :math:`\\Delta` the change in the plan's NPV
  *without* the order's own revenue (lost sales to others, added operating cost, capex, interest;
  present values), :math:`q_t` the order's on-time units and :math:`\\mathrm{DF}_t` the discount
  factor of their bucket,

  .. math:: \\pi = -\\Delta \\Big/ \\sum_t q_t\\,\\mathrm{DF}_t

  USD per unit at delivery: the price at which the order leaves the plan's NPV unchanged. The
  re-optimised plan's shadow prices in the wanted bucket say which resources bind (``binding``).

By default the base plan's build/buy decisions are held (``hold=True``: an operations LP, a few
seconds, and an exact comparison since both plans are LP optima with the same decisions); with
``hold=False`` the design MIP is solved again, so the order may also change what is built or
bought and how much packaging is added — slower, and the comparison carries the MIP gap of both
solves.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import pandas as pd

from fabnet.plan import make_buckets, solve_plan
from fabnet.quote.atp import EPS, AtpBook, quoted_price
from fabnet.quote.contracts import lines_series
from fabnet.quote.records import (
    CtpAnswer,
    Displacement,
    PromiseLine,
    QuoteRequest,
    check_request,
)
from fabnet.scenario import Customer, Scenario, add_months

__all__ = [
    "DISPLACED_TOL",
    "BasePlan",
    "capable_to_promise",
    "order_customer_name",
    "scenario_with_order",
]

DISPLACED_TOL = 0.5
"""Units below which a change in a customer's deliveries is not reported as displaced."""
COMPLETE_TOL = 1e-5
"""Relative shortfall of the on-time units below which the order counts as complete."""


class BasePlan(Protocol):
    """What CTP needs of the plan it starts from (a :class:`fabnet.plan.PlanResult` has it)."""

    @property
    def summary(self) -> Mapping[str, Any]: ...

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]: ...


def order_customer_name(scenario: Scenario, buyer: str) -> str:
    """The order's customer name: the buyer's, or ``"<buyer> (order)"`` if that is taken."""
    names = {c.name for c in scenario.customers}
    name, k = buyer, 1
    while name in names:
        name = f"{buyer} (order)" if k == 1 else f"{buyer} (order {k})"
        k += 1
    return name


def scenario_with_order(
    scenario: Scenario, request: QuoteRequest, price: float | None = None
) -> tuple[Scenario, str]:
    """``scenario`` with the request as a new customer; returns it and the customer's name.

    Demand: ``quantity`` in the wanted month (finished goods made earlier are held, so the plan may
    pull production forward). Priority: the request's. Price: ``price``, else the request's
    ``max_price``, else the buyer's contract price or the product's list price.
    """
    req = check_request(request, scenario)
    name = order_customer_name(scenario, req.buyer)
    if price is None:
        price = req.max_price
    if price is None:
        price = quoted_price(scenario, req.buyer, req.product)
    series = lines_series([PromiseLine(req.wanted, req.quantity)], scenario)
    customer = Customer(
        name=name,
        priority=req.priority or 10,
        demand={req.product: series},
        price_usd={req.product: float(price)},
    )
    return scenario.model_copy(update={"customers": [*scenario.customers, customer]}), name


def _pv(frame: pd.DataFrame, column: str, discount: Mapping[str, float]) -> float:
    return float((frame[column] * frame["month"].map(discount).fillna(0.0)).sum())


def _displaced(base: pd.DataFrame, new: pd.DataFrame) -> tuple[Displacement, ...]:
    keys = ["customer", "product", "month"]
    merged = base[[*keys, "delivered"]].merge(
        new[[*keys, "delivered"]], on=keys, how="left", suffixes=("_base", "_new")
    )
    merged["lost"] = merged["delivered_base"] - merged["delivered_new"].fillna(0.0)
    lost = merged[merged["lost"] > DISPLACED_TOL].sort_values(
        ["lost", "customer", "month"], ascending=[False, True, True]
    )
    return tuple(
        Displacement(str(c), str(p), str(m), round(float(u), 3))
        for c, p, m, u in zip(
            lost["customer"],
            lost["product"],
            lost["month"],
            lost["lost"].to_numpy(float),
            strict=True,
        )
    )


def capable_to_promise(
    scenario: Scenario,
    base: BasePlan,
    request: QuoteRequest,
    *,
    decisions: pd.DataFrame | None = None,
    hold: bool = True,
    price: float | None = None,
    plan_options: Mapping[str, Any] | None = None,
) -> CtpAnswer:
    """Re-optimise the plan with ``request`` inserted and say what it costs (module docstring).

    Args:
        scenario: the base plan's scenario (with earlier quotes already added as contracts, if
            they are to be respected: :func:`fabnet.quote.scenario_with_quotes`).
        base: the base plan (its ``summary["npv"]`` and ``deliveries``/``cash_flow`` tables).
        request: the order.
        decisions: the base plan's decisions table (default ``base.tables["decisions"]``); held
            when ``hold``.
        hold: keep the base plan's build/buy decisions (operations LP only).
        price: the order's price in the model (default: see :func:`scenario_with_order`).
        plan_options: keyword arguments for :func:`fabnet.plan.solve_plan` (``objective``,
            ``policy``, ``time_limit``, ``mip_gap``, ``strategy``, ``threads``) — those of the
            base plan's run, so both plans are made the same way.

    Raises:
        UsageError: a bad request. InfeasibleError, SolverError: from the re-optimisation.
    """
    req = check_request(request, scenario)
    t0 = time.perf_counter()
    sc2, name = scenario_with_order(scenario, req, price)
    fixed = None
    if hold:
        fixed = decisions if decisions is not None else base.tables["decisions"]
    new = solve_plan(sc2, fixed=fixed, **dict(plan_options or {}))
    seconds = time.perf_counter() - t0

    buckets = make_buckets(sc2)
    discount = dict(zip(buckets.labels, buckets.discount.tolist(), strict=True))
    bucket_of = {
        m: buckets.labels[b] for m, b in zip(sc2.months, buckets.month_bucket, strict=True)
    }
    dl_new, dl_base = new.tables["deliveries"], base.tables["deliveries"]
    mine = dl_new[dl_new["customer"] == name]
    on_time = float(mine["delivered"].sum())
    if req.quantity - on_time <= max(EPS, COMPLETE_TOL * req.quantity):
        on_time = req.quantity  # the allocation stages keep optima to a relative 1e-6
    order_price = float(sc2.customer(name).price_usd[req.product])
    pv_order = float((mine["delivered"] * mine["month"].map(discount)).sum()) * order_price
    pv_units = float((mine["delivered"] * mine["month"].map(discount)).sum())
    npv_change = float(new.summary["npv"]) - float(base.summary["npv"])
    others = npv_change - pv_order

    cf_new, cf_base = new.tables["cash_flow"], base.tables["cash_flow"]
    breakdown = {
        "revenue_others": _pv(cf_new, "revenue", discount)
        - pv_order
        - _pv(cf_base, "revenue", discount),
        **{
            key: -(_pv(cf_new, key, discount) - _pv(cf_base, key, discount))
            for key in ("opex", "capex", "interest")
        },
    }
    notes: list[str] = []
    price_per_unit: float | None = None
    if on_time > EPS:
        price_per_unit = max(0.0, -others / pv_units)
        if -others < 0:
            notes.append("the order does not lower the rest of the plan's NPV: break-even price 0")
        if order_price < price_per_unit - 1e-6:
            notes.append(
                f"the order's price {order_price:,.0f} USD is below its break-even price "
                f"{price_per_unit:,.0f} USD per unit: it lowers the plan's NPV"
            )
    else:
        notes.append(
            f"the re-optimised plan delivers nothing by {req.wanted} (priority {req.priority}, "
            f"price {order_price:,.0f} USD): no break-even price"
        )

    on_time = round(on_time, 6)
    lines = [PromiseLine(req.wanted, on_time)] if on_time > EPS else []
    total = on_time
    complete = req.wanted if on_time >= req.quantity - EPS else None
    w = sc2.months.index(req.wanted)
    latest = req.latest or sc2.end_month
    if complete is None and w + 1 < len(sc2.months) and req.wanted < latest:
        book = AtpBook.from_plan(sc2, new.tables)
        book.reserve(req.product, lines)
        rest = book.promise(
            QuoteRequest(
                name,
                req.product,
                req.quantity - on_time,
                add_months(req.wanted, 1),
                latest=latest,
                priority=req.priority,
            )
        )
        lines.extend(rest.lines)
        total += rest.promised_quantity
        complete = rest.complete_by
        if rest.promised_quantity > EPS:
            notes.append(
                f"{rest.promised_quantity:,.0f} after {req.wanted} from the re-optimised plan's "
                "available-to-promise"
            )
    if total < req.quantity - EPS:
        notes.append(f"{req.quantity - total:,.0f} cannot be promised by {latest}")
    if not hold:
        notes.append(
            "decisions re-optimised (design MIP again): the NPV change includes both solves' "
            "MIP gap"
        )

    bucket = bucket_of[req.wanted]
    sp = new.tables["shadow_prices"]
    hits = sp[(sp["month"] == bucket) & (sp["value"].abs() > 1e-6)]
    binding = tuple(
        {
            "constraint": str(r.constraint),
            "resource": str(r.site_or_resource),
            "month": str(r.month),
            "value": float(r.value),
            "unit": str(r.unit),
        }
        for r in hits.itertuples(index=False)
    )
    return CtpAnswer(
        quantity=round(total, 6),
        on_time_quantity=on_time,
        complete_by=complete,
        lines=tuple(lines),
        price_per_unit=price_per_unit,
        displaced=_displaced(dl_base, dl_new[dl_new["customer"] != name]),
        npv_change=npv_change,
        cost_breakdown={k: float(np.round(v, 6)) + 0.0 for k, v in breakdown.items()},
        binding=binding,
        order_price=order_price,
        hold_decisions=hold,
        solve_seconds=seconds,
        notes=tuple(notes),
    )
