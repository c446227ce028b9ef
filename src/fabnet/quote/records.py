"""Typed quote requests and answers, with their JSON form (``to_dict`` / ``from_dict``).

A **request** is what a buyer asks: ``quantity`` units of ``product`` by the end of month
``wanted`` (``YYYY-MM``), optionally not before ``earliest`` and not after ``latest``, at most
``max_price`` USD per unit. A **promise line** is one delivery: ``quantity`` units in ``month``.
An :class:`AtpAnswer` promises from the plan as it is (available-to-promise); a
:class:`CtpAnswer` re-optimises the plan with the order in it (capable-to-promise).

The JSON keys of ``fabnet quote --json`` are those of :meth:`QuoteAnswer.to_dict`: ``atp`` (the
promised deliveries, a list of ``{month, quantity}``), ``promised_quantity``, ``complete_by``
and, with ``--ctp``, ``ctp`` = ``{complete_by, quantity, price_per_unit, displaced: [{customer,
product, month, units}], npv_change}``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from fabnet.errors import UsageError
from fabnet.scenario import Scenario, month_index

__all__ = [
    "AtpAnswer",
    "CtpAnswer",
    "Displacement",
    "PromiseLine",
    "QuoteAnswer",
    "QuoteRequest",
    "check_request",
    "parse_month",
]

_BUYER = re.compile(r"^[\w][\w .&()'/+-]{0,63}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(-\d{2})?$")


def parse_month(value: object) -> str:
    """``YYYY-MM`` (a ``YYYY-MM-DD`` date is cut to its month); ValueError otherwise."""
    text = str(value).strip()
    found = _MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"not a month YYYY-MM: {value!r}")
    return text[:7]


@dataclass(frozen=True)
class QuoteRequest:
    """What a buyer asks for.

    Attributes:
        buyer: the buyer's name (any company; it need not be a customer of the scenario).
        product: a product of the scenario.
        quantity: units wanted (> 0).
        wanted: the month by whose end the units are wanted, ``YYYY-MM``.
        earliest: no delivery before this month (default: the horizon's start).
        latest: no delivery after this month (default: the horizon's end).
        max_price: the most the buyer pays per unit [USD] (``None``: no limit).
        priority: the order's rank among the scenario's customers (1 is served first). ATP may
            promise the plan's deliveries to customers ranked *below* it (a larger number) that
            have no contract; CTP plans the order at this priority. ``None`` (default): after
            every customer of the scenario (their largest priority + 1, at most 10), so ATP
            promises only supply no customer is planned to get.
    """

    buyer: str
    product: str
    quantity: float
    wanted: str
    earliest: str | None = None
    latest: str | None = None
    max_price: float | None = None
    priority: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuoteRequest:
        """A request from its JSON form (or a CSV row); raises UsageError on a bad field."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"unknown request field(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        for key in ("buyer", "product", "quantity", "wanted"):
            if data.get(key) in (None, ""):
                raise UsageError(f"a quote request needs {key!r} (got {data.get(key)!r})")

        def month(key: str) -> str | None:
            value = data.get(key)
            if value in (None, ""):
                return None
            try:
                return parse_month(value)
            except ValueError:
                raise UsageError(f"{key} must be a month YYYY-MM (got {value!r})") from None

        def number(key: str) -> float | None:
            value = data.get(key)
            if value in (None, ""):
                return None
            try:
                out = float(value)
            except (TypeError, ValueError):
                raise UsageError(f"{key} must be a number (got {value!r})") from None
            if isinstance(value, bool) or not math.isfinite(out):
                raise UsageError(f"{key} must be a finite number (got {value!r})")
            return out

        priority = number("priority")
        if priority is not None and priority != int(priority):
            raise UsageError(f"priority must be a whole number 1-10 (got {data['priority']!r})")
        return cls(
            buyer=str(data["buyer"]).strip(),
            product=str(data["product"]).strip(),
            quantity=float(number("quantity") or 0.0),
            wanted=month("wanted") or "",
            earliest=month("earliest"),
            latest=month("latest"),
            max_price=number("max_price"),
            priority=int(priority) if priority is not None else None,
        )


def check_request(request: QuoteRequest, scenario: Scenario) -> QuoteRequest:
    """Check ``request`` against ``scenario``; returns it with ``earliest``/``latest`` filled in.

    Raises:
        UsageError: a blank or malformed buyer name, an unknown product, a quantity ≤ 0, a month
            outside the plan's horizon or out of order, a price ≤ 0, a priority outside 1-10.
    """
    products = [p.name for p in scenario.products]
    buyer = request.buyer.strip()
    if not buyer or not _BUYER.match(buyer):
        raise UsageError(
            f"unknown buyer {request.buyer!r}: give the buyer's name (letters, digits, spaces "
            "and . & ( ) ' / + -, at most 64 characters)"
        )
    if request.product not in products:
        raise UsageError(
            f"unknown product {request.product!r}; products of scenario {scenario.name!r}: "
            + ", ".join(products)
        )
    if not math.isfinite(request.quantity) or request.quantity <= 0:
        raise UsageError(f"quantity must be a number > 0 (got {request.quantity:g})")
    start, end = scenario.policy.start, scenario.end_month
    for key in ("wanted", "earliest", "latest"):
        value = getattr(request, key)
        if value is None:
            continue
        try:
            value = parse_month(value)
        except ValueError:
            raise UsageError(f"{key} must be a month YYYY-MM (got {value!r})") from None
        if not 0 <= month_index(value, start) <= month_index(end, start):
            raise UsageError(
                f"{key} month {value} is outside the plan's horizon {start} … {end} "
                f"(scenario {scenario.name!r})"
            )
    earliest = parse_month(request.earliest) if request.earliest else start
    latest = parse_month(request.latest) if request.latest else end
    wanted = parse_month(request.wanted)
    if not month_index(earliest, start) <= month_index(wanted, start) <= month_index(latest, start):
        raise UsageError(
            f"months out of order: need earliest ({earliest}) ≤ wanted ({wanted}) ≤ latest "
            f"({latest})"
        )
    if request.max_price is not None and not (
        math.isfinite(request.max_price) and request.max_price > 0
    ):
        raise UsageError(f"max price must be a number > 0 USD per unit (got {request.max_price})")
    priority = request.priority
    if priority is None:
        priority = min(10, max(c.priority for c in scenario.customers) + 1)
    if not 1 <= priority <= 10:
        raise UsageError(f"priority must be 1 (first) to 10 (got {priority})")
    return QuoteRequest(
        buyer,
        request.product,
        float(request.quantity),
        wanted,
        earliest,
        latest,
        request.max_price,
        priority,
    )


@dataclass(frozen=True)
class PromiseLine:
    """One promised delivery: ``quantity`` units in ``month`` (``YYYY-MM``)."""

    month: str
    quantity: float


@dataclass(frozen=True)
class Displacement:
    """Units a customer of the plan loses to the order: ``units`` of ``product`` in ``month``
    (the bucket's first month)."""

    customer: str
    product: str
    month: str
    units: float


def _lines(items: Sequence[Mapping[str, Any]] | None) -> tuple[PromiseLine, ...]:
    return tuple(PromiseLine(str(i["month"]), float(i["quantity"])) for i in items or ())


@dataclass(frozen=True)
class AtpAnswer:
    """What the plan can promise without changing.

    Attributes:
        lines: the promised deliveries (on time at ``wanted``, then late lines as supply frees up,
            never after ``latest``).
        promised_quantity: the sum of ``lines``.
        on_time_quantity: the part delivered by the wanted month.
        complete_by: the month the whole quantity is delivered (``None``: not within ``latest``).
        price_per_unit: the price asked [USD per unit]: the buyer's contract price if it is a
            customer of the scenario, else the product's list price.
        price_ok: ``max_price`` is at least ``price_per_unit`` (True without a max price).
        available: uncommitted supply per month before this request, ``{month, quantity,
            cumulative}`` (the chart's curve).
        notes: plain-language remarks (price too low, supply over-committed …).
    """

    lines: tuple[PromiseLine, ...]
    promised_quantity: float
    on_time_quantity: float
    complete_by: str | None
    price_per_unit: float
    price_ok: bool
    available: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "atp": [asdict(line) for line in self.lines],
            "promised_quantity": self.promised_quantity,
            "on_time_quantity": self.on_time_quantity,
            "complete_by": self.complete_by,
            "price_per_unit": self.price_per_unit,
            "price_ok": self.price_ok,
            "available": [dict(a) for a in self.available],
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AtpAnswer:
        return cls(
            lines=_lines(data.get("atp")),
            promised_quantity=float(data["promised_quantity"]),
            on_time_quantity=float(data.get("on_time_quantity", 0.0)),
            complete_by=data.get("complete_by"),
            price_per_unit=float(data.get("price_per_unit", 0.0)),
            price_ok=bool(data.get("price_ok", True)),
            available=tuple(dict(a) for a in data.get("available", ())),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class CtpAnswer:
    """What the network can promise when the plan is re-optimised with the order in it.

    Attributes:
        quantity: units promised (by ``wanted`` in the re-optimised plan, plus the rest from its
            available-to-promise afterwards).
        on_time_quantity: units the re-optimised plan delivers by the wanted month.
        complete_by: month the whole quantity is delivered (``None``: not within ``latest``).
        lines: the promised deliveries.
        price_per_unit: the price that covers the order's cost: the plan's NPV without the order's
            revenue falls by ``price_per_unit × on-time units`` in present value (USD per unit at
            the delivery month); see :func:`fabnet.quote.capable_to_promise`.
        displaced: units the plan's customers lose (customer × product × bucket), largest first.
        npv_change: NPV of the re-optimised plan − NPV of the base plan [USD] (with the order's
            revenue at its price).
        cost_breakdown: present-value changes [USD]: ``revenue_others`` (lost sales), ``opex``,
            ``capex``, ``interest``.
        binding: resources with a shadow price in the wanted month's bucket of the re-optimised
            plan: ``{constraint, resource, month, value, unit}``.
        order_price: the price the order pays in the re-optimised plan [USD per unit] (the
            request's max price, else the ATP price); the quote's price.
        hold_decisions: the build/buy decisions of the base plan were held (operations only).
        solve_seconds: time of the re-optimisation.
        notes: plain-language remarks.
    """

    quantity: float
    on_time_quantity: float
    complete_by: str | None
    lines: tuple[PromiseLine, ...]
    price_per_unit: float | None
    displaced: tuple[Displacement, ...]
    npv_change: float
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    binding: tuple[dict[str, Any], ...] = ()
    order_price: float | None = None
    hold_decisions: bool = True
    solve_seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "complete_by": self.complete_by,
            "quantity": self.quantity,
            "on_time_quantity": self.on_time_quantity,
            "lines": [asdict(line) for line in self.lines],
            "price_per_unit": self.price_per_unit,
            "displaced": [asdict(d) for d in self.displaced],
            "npv_change": self.npv_change,
            "cost_breakdown": dict(self.cost_breakdown),
            "binding": [dict(b) for b in self.binding],
            "order_price": self.order_price,
            "hold_decisions": self.hold_decisions,
            "solve_seconds": self.solve_seconds,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CtpAnswer:
        return cls(
            quantity=float(data["quantity"]),
            on_time_quantity=float(data.get("on_time_quantity", 0.0)),
            complete_by=data.get("complete_by"),
            lines=_lines(data.get("lines")),
            price_per_unit=data.get("price_per_unit"),
            displaced=tuple(
                Displacement(str(d["customer"]), str(d["product"]), str(d["month"]), d["units"])
                for d in data.get("displaced", ())
            ),
            npv_change=float(data.get("npv_change", 0.0)),
            cost_breakdown={k: float(v) for k, v in data.get("cost_breakdown", {}).items()},
            binding=tuple(dict(b) for b in data.get("binding", ())),
            order_price=data.get("order_price"),
            hold_decisions=bool(data.get("hold_decisions", True)),
            solve_seconds=float(data.get("solve_seconds", 0.0)),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True)
class QuoteAnswer:
    """The answer to one request: available-to-promise, and capable-to-promise if asked."""

    request: QuoteRequest
    atp: AtpAnswer
    ctp: CtpAnswer | None = None

    @property
    def lines(self) -> tuple[PromiseLine, ...]:
        """The deliveries promised: the CTP answer's when there is one, else the ATP answer's."""
        return self.ctp.lines if self.ctp is not None else self.atp.lines

    @property
    def price_per_unit(self) -> float | None:
        """The price quoted: the price the order pays in the CTP plan when there is one (the
        buyer's max price, else the ATP price), else the ATP price."""
        if self.ctp is not None and self.ctp.order_price is not None:
            return self.ctp.order_price
        return self.atp.price_per_unit

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"request": self.request.to_dict(), **self.atp.to_dict()}
        if self.ctp is not None:
            out["ctp"] = self.ctp.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuoteAnswer:
        ctp = data.get("ctp")
        return cls(
            QuoteRequest.from_dict(data["request"]),
            AtpAnswer.from_dict(data),
            CtpAnswer.from_dict(ctp) if ctp else None,
        )
