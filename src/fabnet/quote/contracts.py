"""Accepted quotes as contracts: the scenario that later plans and quotes are made on.

An accepted quote is a promise to a buyer. :func:`scenario_with_quotes` adds one customer per
accepted quote to a scenario, named ``"quote <id> <buyer>"``, whose demand *and* contracted
minimum are the promised deliveries (month by month), at the quote's price and priority. A plan of
that scenario with allocation ``contracts`` (the built-in scenario's) serves them before anything
else; with another policy they are served at their priority. Quotes already in the scenario
(a customer of that name exists) are not added twice, so the function can be applied to a
scenario that already holds some of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fabnet.quote.records import PromiseLine, QuoteAnswer
from fabnet.scenario import Customer, Scenario, add_months

__all__ = [
    "QUOTE_PREFIX",
    "is_quote_customer",
    "lines_series",
    "quote_customer_name",
    "scenario_with_quotes",
]

QUOTE_PREFIX = "quote "
"""Customers made from accepted quotes are named ``"quote <id> <buyer>"``."""


def quote_customer_name(quote_id: str, buyer: str) -> str:
    """The customer name of an accepted quote."""
    return f"{QUOTE_PREFIX}{quote_id} {buyer}"


def is_quote_customer(name: str, quote_id: str | None = None) -> bool:
    """Whether a customer name is an accepted quote's (that quote's, if ``quote_id`` is given)."""
    if quote_id is None:
        return name.startswith(QUOTE_PREFIX)
    return name.startswith(f"{QUOTE_PREFIX}{quote_id} ")


def lines_series(lines: Sequence[PromiseLine], scenario: Scenario) -> dict[str, float]:
    """Promise lines as a scenario series: the quantity in each promised month, 0 in the months
    next to them (a series joins its points by straight lines), nothing outside the horizon."""
    months = set(scenario.months)
    points: dict[str, float] = {}
    for line in lines:
        points[line.month] = points.get(line.month, 0.0) + float(line.quantity)
    for month in list(points):
        for step in (-1, 1):
            near = add_months(month, step)
            if near in months and near not in points:
                points[near] = 0.0
    return dict(sorted(points.items()))


def scenario_with_quotes(scenario: Scenario, quotes: Iterable[tuple[str, QuoteAnswer]]) -> Scenario:
    """``scenario`` with each accepted quote ``(id, answer)`` as a contracted customer.

    The customer's demand and contracted minimum are the promised lines
    (:attr:`QuoteAnswer.lines`), its price the quoted price, its priority the request's. A quote
    with nothing promised adds nothing; a quote whose customer is already there is skipped.
    """
    names = {c.name for c in scenario.customers}
    added: list[Customer] = []
    for quote_id, answer in quotes:
        req = answer.request
        name = quote_customer_name(quote_id, req.buyer)
        lines = [line for line in answer.lines if line.quantity > 0]
        if name in names or not lines:
            continue
        series = lines_series(lines, scenario)
        price = answer.price_per_unit
        added.append(
            Customer(
                name=name,
                priority=req.priority or 10,
                demand={req.product: series},
                contracted={req.product: series},
                price_usd={req.product: float(price if price is not None else 0.0)},
            )
        )
        names.add(name)
    if not added:
        return scenario
    return scenario.model_copy(update={"customers": [*scenario.customers, *added]})
