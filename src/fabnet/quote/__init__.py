"""Order promising: available-to-promise and capable-to-promise quotes for any buyer.

``AtpBook.from_plan(scenario, plan.tables)`` holds a plan's uncommitted supply per product and
month (:mod:`.atp`); ``book.promise(request)`` answers a :class:`QuoteRequest` in arrival order.
``capable_to_promise(scenario, plan, request)`` re-optimises the plan with the order inserted and
says what it would cost and whom it displaces (:mod:`.ctp`). ``scenario_with_quotes`` turns
accepted quotes into contracted customers so later plans honour them (:mod:`.contracts`).
Requests and answers are typed records with a JSON form (:mod:`.records`).

Core layer: uses ``fabnet.scenario`` and ``fabnet.plan``; the quote store, CLI and web service are
outer layers (``fabnet.store.quotes``, ``fabnet quote``). The names of :mod:`.atp` and
:mod:`.ctp` are imported on first use, so that reading and writing quote records does not load
the planner.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any

from fabnet.quote.contracts import (
    QUOTE_PREFIX,
    is_quote_customer,
    lines_series,
    quote_customer_name,
    scenario_with_quotes,
)
from fabnet.quote.records import (
    AtpAnswer,
    CtpAnswer,
    Displacement,
    PromiseLine,
    QuoteAnswer,
    QuoteRequest,
    check_request,
    parse_month,
)

if _TYPE_CHECKING:
    from fabnet.quote.atp import EPS, AtpBook, quoted_price
    from fabnet.quote.ctp import (
        DISPLACED_TOL,
        BasePlan,
        capable_to_promise,
        order_customer_name,
        scenario_with_order,
    )

_LAZY = {
    "EPS": "atp",
    "AtpBook": "atp",
    "quoted_price": "atp",
    "DISPLACED_TOL": "ctp",
    "BasePlan": "ctp",
    "capable_to_promise": "ctp",
    "order_customer_name": "ctp",
    "scenario_with_order": "ctp",
}

__all__ = [
    "DISPLACED_TOL",
    "EPS",
    "QUOTE_PREFIX",
    "AtpAnswer",
    "AtpBook",
    "BasePlan",
    "CtpAnswer",
    "Displacement",
    "PromiseLine",
    "QuoteAnswer",
    "QuoteRequest",
    "capable_to_promise",
    "check_request",
    "is_quote_customer",
    "lines_series",
    "order_customer_name",
    "parse_month",
    "quote_customer_name",
    "quoted_price",
    "scenario_with_order",
    "scenario_with_quotes",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fabnet.quote' has no attribute {name!r}")
    return getattr(importlib.import_module(f"fabnet.quote.{module}"), name)
