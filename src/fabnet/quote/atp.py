"""Available-to-promise (ATP): what a solved plan can still promise, per product and month.

An :class:`AtpBook` is built once from a plan's tables and its scenario
(:meth:`AtpBook.from_plan`) and then answers requests in the order they arrive
(:meth:`AtpBook.promise`), each promise consuming what it uses. Everything is monthly: a quarterly
bucket's quantities are spread evenly over its three months.

**Supply** of product :math:`p` in month :math:`m` has two parts:

* *finished*: the good accelerators the plan makes (``supply.accelerators``);
* *headroom*: what the plan's own capacity could make on top, the least of three shared limits —
  packaging (the free share of its packaging kind, :math:`1 - \\sum_q a_{q,m} / \\bar a^{pack}_{q,m}`,
  times ``supply.packaging_limit`` of :math:`p`), HBM (likewise with ``hbm_limit`` and the stacks
  of the assembled packages) and wafers (unused capacity ``capacity_wspm − used_wspm`` of the
  sites that make :math:`p` in the plan × the plan's good dies per wafer of :math:`p` × assembly
  yield ÷ compute dies per package). Headroom is shared: a unit of :math:`p` made from it uses
  packaging, HBM and wafers that another product could have used. Sites that the plan does not
  use for :math:`p`, and capacity the plan did not build, are not counted (that is
  capable-to-promise, :mod:`fabnet.quote.ctp`).

**Committed**: the contracted minimums of the scenario's customers (``customers[*].contracted``,
at most their demand; accepted quotes folded into a scenario are contracts too,
:func:`fabnet.quote.scenario_with_quotes`), the promise lines of earlier quotes on the same
plan (:meth:`AtpBook.reserve`, in the order they were made), and the plan's deliveries beyond
contracts to customers the request does not outrank. Those deliveries are kept per priority
level (*allocated* ATP): a request of priority :math:`k` may also promise what the plan delivers
to customers of priority :math:`> k` without a contract (a forecast, not an order), the lowest
priority first; with the default priority (after every customer) it promises only supply no
customer is planned to get — the classic "supply minus planned demand". Capable-to-promise
(:mod:`fabnet.quote.ctp`) re-plans instead and shows whom an order displaces.

**Consumption** (classic cumulative ATP, no back orders): a delivery in month :math:`d` may use
supply of any month :math:`\\le d` (finished goods are held); it uses free finished supply first,
from month :math:`d` backwards, then headroom, from month :math:`d` backwards, then (priority
permitting) lower-priority planned deliveries of months :math:`\\le d`, lowest priority first. A request for :math:`Q`
by month :math:`w` gets the on-time part from months :math:`\\le w`, then split deliveries in the
months after :math:`w` as supply appears, never after ``latest``; ``complete_by`` is the month the
last unit is promised. A commitment that finds no supply at or before its month is not met (the
plan loses unmet demand, it does not back-order it) and is reported in :attr:`AtpBook.notes`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fabnet.errors import UsageError
from fabnet.plan import make_buckets
from fabnet.quote.records import AtpAnswer, PromiseLine, QuoteRequest, check_request
from fabnet.scenario import Scenario, series_values

__all__ = ["EPS", "AtpBook", "quoted_price"]

EPS = 1e-6
"""Quantities below this are zero (units)."""


def _bucket_to_months(values: np.ndarray, bucket_of_month: np.ndarray, length: np.ndarray):
    """Per-bucket totals (last axis = buckets) spread evenly over each bucket's months."""
    return values[..., bucket_of_month] / length[bucket_of_month]


def _fill_nearest(row: np.ndarray) -> np.ndarray:
    """Zeros replaced by the nearest non-zero value along the row (earlier wins a tie)."""
    nz = np.flatnonzero(row > 0)
    if nz.size == 0:
        return row
    idx = np.arange(row.size)
    nearest = nz[np.abs(idx[:, None] - nz[None, :]).argmin(axis=1)]
    return row[nearest]


def _q(x: float) -> float:
    """A quantity as a plain float rounded to 1e-6 units (solver noise off the promise)."""
    return float(round(float(x), 6))


def quoted_price(scenario: Scenario, buyer: str, product: str) -> float:
    """The price an ATP quote asks [USD per unit]: the buyer's contract price if it is a
    customer of the scenario with a price for the product, else the product's list price."""
    for customer in scenario.customers:
        if customer.name == buyer and product in customer.price_usd:
            return float(customer.price_usd[product])
    return float(scenario.product(product).list_price_usd)


@dataclass
class AtpBook:
    """Uncommitted supply of one plan, per product and month, consumed as requests arrive.

    Arrays are ``[product, month]`` unless said otherwise (units per month).

    Attributes:
        scenario: the plan's scenario (products, prices, horizon).
        products, months: the labels of the axes.
        finished: finished supply not yet committed.
        pack_units, hbm_units: what packaging / HBM would allow of each product alone
            (``inf`` where a product needs no HBM).
        pack_share: ``[kind, month]`` free share of each packaging kind; ``hbm_share``:
            ``[hbm type, month]`` free share of each HBM type.
        wafer_free: ``[site, month]`` unused wafers; ``wafer_units``: good packages per wafer;
            ``makes``: ``[site, product]`` sites that make each product in the plan.
        levels: the customers' priority levels (ascending); ``planned``: ``[level, product,
            month]`` the plan's deliveries beyond contracts to each level, not yet promised away.
        notes: commitments that found no supply (contracts the plan misses, over-promised quotes).
    """

    scenario: Scenario
    products: tuple[str, ...]
    months: tuple[str, ...]
    finished: np.ndarray
    pack_units: np.ndarray
    hbm_units: np.ndarray
    pack_kind: np.ndarray
    pack_share: np.ndarray
    hbm_kind: np.ndarray
    hbm_share: np.ndarray
    wafer_free: np.ndarray
    wafer_units: np.ndarray
    makes: np.ndarray
    levels: tuple[int, ...] = ()
    planned: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    notes: list[str] = field(default_factory=list)

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_plan(
        cls,
        scenario: Scenario,
        tables: Mapping[str, pd.DataFrame],
        commitments: Iterable[tuple[str, Iterable[PromiseLine], int | None]] = (),
    ) -> AtpBook:
        """The book of a plan: its ``supply``, ``capacity``, ``wafer_starts`` and ``deliveries``
        tables and the contracts of ``scenario``, minus ``commitments`` (``(product, lines,
        priority)`` of earlier quotes, in the order they were made)."""
        buckets = make_buckets(scenario)
        months = tuple(scenario.months)
        products = tuple(p.name for p in scenario.products)
        labels = list(buckets.labels)
        mb, length = buckets.month_bucket, buckets.length.astype(float)
        n_p, n_b = len(products), buckets.n

        supply = tables["supply"]
        if set(supply["month"]) - set(labels) or set(supply["product"]) - set(products):
            raise UsageError(
                "the plan's supply table does not match its scenario's products and time buckets; "
                "was the run made with another version of the scenario?"
            )
        p_pos = {p: i for i, p in enumerate(products)}
        b_pos = {b: i for i, b in enumerate(labels)}
        acc_b, pack_b, hbm_b, dies_b = (np.zeros((n_p, n_b)) for _ in range(4))
        pi = supply["product"].map(p_pos).to_numpy()
        bi = supply["month"].map(b_pos).to_numpy()
        acc_b[pi, bi] = supply["accelerators"].to_numpy(float)
        pack_b[pi, bi] = supply["packaging_limit"].to_numpy(float)
        hbm_b[pi, bi] = supply["hbm_limit"].to_numpy(float)
        dies_b[pi, bi] = supply["good_dies"].to_numpy(float)

        prods = scenario.products
        # Each kind's mean assembly yield per month (a line's yield may ramp: a dated path).
        line_yield: dict[str, list[list[float]]] = {}
        for line in scenario.packaging:
            path = series_values(line.assembly_yield, list(months))
            line_yield.setdefault(line.kind, []).append(path)
        ones = [[1.0] * len(months)]
        yields = np.array([np.mean(line_yield.get(p.packaging, ones), axis=0) for p in prods])
        yields = yields.reshape(len(prods), len(months))
        kinds = sorted({p.packaging for p in prods})
        pack_kind = np.array([kinds.index(p.packaging) for p in prods])
        hbm_types = sorted({p.hbm_type for p in prods if p.hbm_stacks > 0})
        hbm_kind = np.array(
            [hbm_types.index(p.hbm_type) if p.hbm_stacks > 0 else -1 for p in prods]
        )

        finished = _bucket_to_months(acc_b, mb, length)
        pack_units = _bucket_to_months(pack_b, mb, length)
        hbm_units = _bucket_to_months(hbm_b, mb, length)
        hbm_units[hbm_kind < 0] = np.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            pack_used = np.where(pack_units > 0, finished / pack_units, 0.0)
            hbm_used = np.where(
                np.isfinite(hbm_units) & (hbm_units > 0),
                finished / yields / hbm_units,
                0.0,
            )
        pack_share = np.stack(
            [1.0 - pack_used[pack_kind == k].sum(0) for k in range(len(kinds))]
        ).clip(0.0, 1.0)
        hbm_share = (
            np.stack([1.0 - hbm_used[hbm_kind == k].sum(0) for k in range(len(hbm_types))])
            if hbm_types
            else np.zeros((0, len(months)))
        ).clip(0.0, 1.0)

        cap, starts = tables["capacity"], tables["wafer_starts"]
        sites = sorted(set(cap["site"]) | set(starts["site"]))
        s_pos = {s: i for i, s in enumerate(sites)}
        free_b = np.zeros((len(sites), n_b))
        if len(cap):
            free = (cap["capacity_wspm"] - cap["used_wspm"]).clip(lower=0.0).to_numpy(float)
            free_b[cap["site"].map(s_pos).to_numpy(), cap["month"].map(b_pos).to_numpy()] = free
        wafers_b = np.zeros((len(sites), n_p, n_b))
        if len(starts):
            np.add.at(
                wafers_b,
                (
                    starts["site"].map(s_pos).to_numpy(),
                    starts["product"].map(p_pos).to_numpy(),
                    starts["month"].map(b_pos).to_numpy(),
                ),
                starts["wafers"].to_numpy(float),
            )
        makes = wafers_b.sum(axis=2) > EPS
        total_wafers = wafers_b.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            gdpw_b = np.where(total_wafers > EPS, dies_b / total_wafers, 0.0)
        gdpw_b = np.stack([_fill_nearest(row) for row in gdpw_b])
        per_die = yields / np.array([p.compute_dies for p in prods], dtype=float)[:, None]
        wafer_units = gdpw_b[:, mb] * per_die
        wafer_free = free_b[:, mb]  # wspm is per month already

        book = cls(
            scenario,
            products,
            months,
            finished,
            pack_units,
            hbm_units,
            pack_kind,
            pack_share,
            hbm_kind,
            hbm_share,
            wafer_free,
            wafer_units,
            makes,
        )
        book._commit_contracts()
        book._allocate_planned(tables["deliveries"], buckets.labels, mb, length)
        for product, lines, priority in commitments:
            book.reserve(product, lines, priority=priority)
        return book

    def _allocate_planned(
        self, deliveries: pd.DataFrame, labels: tuple[str, ...], mb: np.ndarray, length: np.ndarray
    ) -> None:
        """Set aside the plan's deliveries beyond contracts, per customer priority level."""
        sc = self.scenario
        prio = {c.name: c.priority for c in sc.customers}
        self.levels = tuple(sorted(set(prio.values())))
        n_p, n_m = len(self.products), len(self.months)
        self.planned = np.zeros((len(self.levels), n_p, n_m))
        if deliveries is None or not len(deliveries):
            return
        months = list(self.months)
        b_pos = {b: i for i, b in enumerate(labels)}
        contracted = np.zeros((len(sc.customers), n_p, len(labels)))
        for ci, c in enumerate(sc.customers):
            for product, series in c.contracted.items():
                if product in self.products and product in c.demand:
                    con = np.minimum(
                        series_values(series, months), series_values(c.demand[product], months)
                    )
                    contracted[ci, self.products.index(product)] = np.add.reduceat(
                        con, np.flatnonzero(np.r_[True, np.diff(mb) > 0])
                    )
        c_pos = {c.name: i for i, c in enumerate(sc.customers)}
        for cust, prod, month, delivered in zip(
            deliveries["customer"].astype(str),
            deliveries["product"].astype(str),
            deliveries["month"].astype(str),
            deliveries["delivered"].to_numpy(float),
            strict=True,
        ):
            if cust not in c_pos or prod not in self.products:
                continue
            j, b = self.products.index(prod), b_pos[month]
            extra = float(delivered) - float(contracted[c_pos[cust], j, b])
            if extra <= EPS:
                continue
            level = self.levels.index(prio[cust])
            for t in np.flatnonzero(mb == b):
                want = extra / length[b]
                got = self._take(j, int(t), want, headroom=False)
                self.planned[level, j, t] += got

    def _commit_contracts(self) -> None:
        """Reserve every customer's contracted minimum (at most its demand) month by month."""
        months = list(self.months)
        for customer in self.scenario.customers:
            for product, series in customer.contracted.items():
                if product not in self.products:
                    continue
                con = np.asarray(series_values(series, months))
                if product in customer.demand:
                    con = np.minimum(con, series_values(customer.demand[product], months))
                else:
                    con = np.zeros_like(con)
                lines = [PromiseLine(m, float(q)) for m, q in zip(months, con, strict=True) if q]
                missed = self.reserve(product, lines, note=False)
                if missed > EPS:
                    self.notes.append(
                        f"the plan misses {missed:,.0f} {product} contracted by {customer.name}"
                    )

    def copy(self) -> AtpBook:
        """An independent copy (to try requests without consuming this book's supply)."""
        return AtpBook(
            self.scenario,
            self.products,
            self.months,
            self.finished.copy(),
            self.pack_units,
            self.hbm_units,
            self.pack_kind,
            self.pack_share.copy(),
            self.hbm_kind,
            self.hbm_share.copy(),
            self.wafer_free.copy(),
            self.wafer_units,
            self.makes,
            self.levels,
            self.planned.copy(),
            list(self.notes),
        )

    # -- supply of one product --------------------------------------------------------------
    def _pos(self, product: str) -> int:
        try:
            return self.products.index(product)
        except ValueError:
            raise UsageError(
                f"unknown product {product!r}; products: {', '.join(self.products)}"
            ) from None

    def month_pos(self, month: str) -> int:
        """Index of ``month`` in the horizon (UsageError outside it)."""
        try:
            return self.months.index(month)
        except ValueError:
            raise UsageError(
                f"month {month!r} is outside the plan's horizon {self.months[0]} … "
                f"{self.months[-1]}"
            ) from None

    def headroom(self, product: str) -> np.ndarray:
        """What the plan's capacity could still make of ``product`` per month (shared limits)."""
        j = self._pos(product)
        pack = self.pack_share[self.pack_kind[j]] * self.pack_units[j]
        h = self.hbm_kind[j]
        hbm = self.hbm_share[h] * self.hbm_units[j] if h >= 0 else np.full(len(self.months), np.inf)
        wafers = (self.wafer_free * self.makes[:, j, None]).sum(0) * self.wafer_units[j]
        return np.minimum(np.minimum(pack, hbm), wafers).clip(min=0.0)

    def _below(self, priority: int | None) -> list[int]:
        """Indexes of the levels a request of ``priority`` outranks, lowest priority first."""
        if priority is None:
            return []
        return [k for k in range(len(self.levels) - 1, -1, -1) if self.levels[k] > priority]

    def available(self, product: str, priority: int | None = None) -> np.ndarray:
        """Uncommitted supply of ``product`` per month for a request of ``priority``: free
        finished supply + headroom + planned deliveries to lower levels (not cumulative)."""
        j = self._pos(product)
        out = self.finished[j].clip(min=0.0) + self.headroom(product)
        for k in self._below(priority):
            out = out + self.planned[k, j]
        return out

    def _use_headroom(self, j: int, t: int, want: float) -> float:
        """Take up to ``want`` units of headroom of product ``j`` in month ``t``; returns units."""
        pack = self.pack_share[self.pack_kind[j], t] * self.pack_units[j, t]
        h = self.hbm_kind[j]
        hbm = self.hbm_share[h, t] * self.hbm_units[j, t] if h >= 0 else math.inf
        sites = np.flatnonzero(self.makes[:, j])
        per_wafer = self.wafer_units[j, t]
        wafers = float(self.wafer_free[sites, t].sum()) * per_wafer
        take = min(want, pack, hbm, wafers)
        if take <= EPS:
            return 0.0
        self.pack_share[self.pack_kind[j], t] -= take / self.pack_units[j, t]
        if h >= 0:
            self.hbm_share[h, t] -= take / self.hbm_units[j, t]
        need = take / per_wafer
        for s in sites:
            use = min(need, self.wafer_free[s, t])
            self.wafer_free[s, t] -= use
            need -= use
            if need <= EPS / max(per_wafer, 1.0):
                break
        return take

    def _take(
        self,
        j: int,
        last: int,
        want: float,
        first: int = 0,
        *,
        headroom: bool = True,
        priority: int | None = None,
    ) -> float:
        """Consume up to ``want`` units of product ``j`` from months ``first … last``: free
        finished supply from ``last`` backwards, then headroom, then the planned deliveries of
        the levels ``priority`` outranks (lowest first), each from ``last`` backwards."""
        got = 0.0
        pools = [self.finished[j]] + [self.planned[k, j] for k in self._below(priority)]
        for n, pool in enumerate(pools):
            if n == 1 and headroom:
                got = self._take_headroom(j, last, want, first, got)
            for t in range(last, first - 1, -1):
                if got >= want - EPS:
                    break
                have = pool[t]
                if have > EPS:
                    use = min(have, want - got)
                    pool[t] -= use
                    got += use
        if len(pools) == 1 and headroom:
            got = self._take_headroom(j, last, want, first, got)
        return got

    def _take_headroom(self, j: int, last: int, want: float, first: int, got: float) -> float:
        """Headroom of product ``j`` from ``last`` back to ``first`` until ``got`` reaches
        ``want``; only months with headroom are visited."""
        if got >= want - EPS:
            return got
        room = self.headroom(self.products[j])[first : last + 1]
        for t in np.flatnonzero(room > EPS)[::-1] + first:
            got += self._use_headroom(j, int(t), want - got)
            if got >= want - EPS:
                break
        return got

    # -- commitments and requests -----------------------------------------------------------
    def reserve(
        self,
        product: str,
        lines: Iterable[PromiseLine],
        note: bool = True,
        priority: int | None = None,
    ) -> float:
        """Commit promised deliveries (an earlier quote's lines at its ``priority``, a contract);
        returns the units that found no supply at or before their month (0 when all fit)."""
        j = self._pos(product)
        missed = 0.0
        for line in lines:
            if line.quantity <= EPS:
                continue
            t = self.month_pos(line.month)
            missed += line.quantity - self._take(j, t, line.quantity, priority=priority)
        if note and missed > EPS:
            self.notes.append(f"{missed:,.0f} {product} promised earlier find no supply")
        return missed

    def price_for(self, buyer: str, product: str) -> float:
        """The price asked (:func:`quoted_price`)."""
        return quoted_price(self.scenario, buyer, product)

    def available_curve(
        self, product: str, priority: int | None = None
    ) -> tuple[dict[str, float | str], ...]:
        """``{month, quantity, cumulative}`` of uncommitted supply (the chart's curve)."""
        avail = self.available(product, priority)
        cum = np.cumsum(avail)
        return tuple(
            {"month": m, "quantity": a, "cumulative": c}
            for m, a, c in zip(
                self.months, np.round(avail, 6).tolist(), np.round(cum, 6).tolist(), strict=True
            )
        )

    def promise(self, request: QuoteRequest, commit: bool = True) -> AtpAnswer:
        """Answer ``request`` from uncommitted supply; with ``commit``, its promise consumes it.

        Raises:
            UsageError: a bad request (see :func:`fabnet.quote.check_request`).
        """
        req = check_request(request, self.scenario)
        j = self._pos(req.product)
        w, last = self.month_pos(req.wanted), self.month_pos(req.latest or self.months[-1])
        curve = self.available_curve(req.product, req.priority)
        trial = self.copy()
        lines: list[PromiseLine] = []
        on_time = trial._take(j, w, req.quantity, priority=req.priority)
        if on_time > EPS:
            lines.append(PromiseLine(req.wanted, _q(on_time)))
        total = on_time
        for t in range(w + 1, last + 1):
            if total >= req.quantity - EPS:
                break
            got = trial._take(j, t, req.quantity - total, first=t, priority=req.priority)
            if got > EPS:
                lines.append(PromiseLine(self.months[t], _q(got)))
                total += got
        complete = lines[-1].month if lines and total >= req.quantity - EPS else None
        price = self.price_for(req.buyer, req.product)
        price_ok = req.max_price is None or req.max_price >= price - 1e-9
        notes: list[str] = []
        if not price_ok:
            notes.append(
                f"not promised: the buyer's max price {req.max_price:,.0f} USD is below the price "
                f"{price:,.0f} USD per unit ({total:,.0f} could be promised at that price)"
            )
            return AtpAnswer((), 0.0, 0.0, None, price, False, curve, tuple(notes))
        if total < req.quantity - EPS:
            notes.append(
                f"{req.quantity - total:,.0f} of {req.quantity:,.0f} cannot be promised from the "
                f"plan by {req.latest}; capable-to-promise (--ctp) re-plans for the order"
            )
        taken = float((self.planned - trial.planned).sum())
        if taken > EPS:
            notes.append(
                f"{taken:,.0f} of it from the plan's deliveries to customers of priority > "
                f"{req.priority} without a contract (--ctp shows whom it displaces)"
            )
        if commit:
            self.__dict__.update(trial.__dict__)
        return AtpAnswer(
            tuple(lines), _q(total), _q(on_time), complete, price, True, curve, tuple(notes)
        )
