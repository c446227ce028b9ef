"""The third and fourth fills of a bucket in the fast recourse (:func:`fabnet.risk.assembly.
assemble`): products whose units a higher line yield raises keep the highest-yield lines, the
others take the cheapest per good package; where the fill by cost runs out of HBM stacks
before the maximised levels' units, products move to the highest-yield line one by one,
cheapest per stack saved first (:func:`switch_ranks`).

The planner's allocation stages maximise the units of every priority level but the last, then
its NPV stage decides the rest: a product short of those levels' demand (its dies, HBM stacks or
line slots run out) gains units from a higher-yield line, as does a product sharing the dies or
stacks it ran out of (a die saved there is a unit for the short one); a product whose demand is
met only costs money there. The fill by yield alone pays the dearest lines for everything; the
fill by cost alone loses the short products' units; this one takes, per future and product, the
order that fits, and a future keeps it where it serves the maximised levels as well as the fill
by yield and makes at least as much money.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from fabnet.risk.assembly import (
    _BUCKET_FIELDS,
    FloatArray,
    IntArray,
    _Bucket,
    _cheaper_serves,
    _Fill,
    _fill_bucket,
    _fill_money,
    _Margin,
    _Plan,
)

__all__ = ["limited", "mixed_fill", "mixed_orders", "ran_out", "switch_fill", "switch_ranks"]


def limited(pl: _Plan, t: int, fill: _Fill) -> npt.NDArray[np.bool_]:
    """[F, P] products whose units a higher line yield raises, in the fill by yield ``fill``:
    those short of the levels the planner maximises (all but the lowest) and those sharing
    what such a short product ran out of (its node's dies, own and bought-in; its HBM type's
    stacks; or, short of neither, line slots: every product). The allocation stages maximise
    those levels' units first, so the LP puts these on the highest-yield lines and only the
    others on the cheapest per good package."""
    made = fill[1]
    hi = pl.targets[-2] if len(pl.targets) > 1 else pl.targets[-1]
    short_hi = made < hi[:, :, t] * (1.0 - 1e-9) - 1e-9  # F x P
    short_all = made < pl.targets[-1][:, :, t] * (1.0 - 1e-9) - 1e-9
    n_p = made.shape[1]
    dies_out, hbm_out = ran_out(pl, fill[0])
    # short: of a maximised level's units, or of the lowest level's where dies or stacks ran
    # out (not where its margin stopped it)
    short = short_hi | (short_all & (dies_out | hbm_out))
    same_node = pl.same_node if pl.same_node is not None else np.eye(n_p, dtype=bool)
    same_hbm = (pl.product_type[:, None] == pl.product_type[None, :]) & (pl.product_type >= 0)
    by_dies = (short & dies_out).astype(float) @ same_node.astype(float) > 0
    by_hbm = (short & hbm_out).astype(float) @ same_hbm.astype(float) > 0
    by_lines = np.asarray((short_hi & ~dies_out & ~hbm_out).any(axis=1), dtype=bool)
    return np.asarray(short | by_dies | by_hbm | by_lines[:, None], dtype=bool)


def ran_out(pl: _Plan, bk: _Bucket) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """[F, P] twice: products without the dies for one more package (own and bought-in), and
    products without the HBM stacks for one, in the bucket state ``bk``."""
    n_f, n_p = bk.stock.shape
    dies_out = np.zeros((n_f, n_p), dtype=bool)
    hbm_out = np.zeros((n_f, n_p), dtype=bool)
    for p in range(n_p):
        src = pl.sources[p]
        left = bk.own_dies(p, pl.own_opts[p])
        if src.size:
            left = left + (bk.outside[:, src] * pl.out_gdpw[src, p]).sum(axis=1)
        dies_out[:, p] = left < pl.compute_dies[p]
        h = pl.product_type[p]
        if h >= 0:
            hbm_out[:, p] = bk.hbm[:, h] < pl.stacks[p]
    return dies_out, hbm_out


def switch_ranks(
    pl: _Plan, t: int, bk: _Bucket, line_price: FloatArray, by_yield: IntArray,
    by_cost: list[IntArray],
) -> FloatArray:  # fmt: skip
    r"""[F, P] the order in which products leave their cheapest line for the highest-yield one
    where the fill by cost (state ``bk``) ran out of their HBM stacks: by the extra cost per
    stack saved, least first,

    .. math:: \frac{c_{p,y} - c_{p,c}}{s_p (1/y_c - 1/y_y)},\qquad
              c_{p,l} = (k_l / n_p + \text{test}_p + s_p h_p) / y_l

    (line ``y`` the highest-yield one, ``c`` the cheapest; stacks :math:`s_p` at the mean price
    :math:`h_p`, line price :math:`k_l` per future, packages per wafer :math:`n_p`). With the
    units of the maximised levels fixed and the stacks binding, the planner's NPV stage
    minimises cost subject to :math:`\sum_p s_p (x_{p,y}/y_y + x_{p,c}/y_c) \le S`: a
    fractional knapsack whose greedy order is this ratio (Dantzig 1957). ``inf`` for products
    that save nothing (no line of higher yield, no HBM, or stacks left)."""
    _, hbm_out = ran_out(pl, bk)
    n_f, n_p = hbm_out.shape
    ratio = np.full((n_f, n_p), np.inf)
    m = pl.margin
    hbm_mean = m.hbm_mean if m is not None else np.zeros(n_p)
    for p in range(n_p):
        ys = by_yield[pl.line_product[by_yield, p]]
        cs = by_cost[p][pl.line_product[by_cost[p], p]]
        if not ys.size or not cs.size:
            continue
        ly, lc = int(ys[0]), int(cs[0])
        gap = 1.0 / pl.line_yield[lc] - 1.0 / pl.line_yield[ly]
        if gap <= 0.0:
            continue
        unit = pl.test[p] + pl.stacks[p] * hbm_mean[p]
        extra = (line_price[:, ly] / pl.ppw[p] + unit) / pl.line_yield[ly] - (
            line_price[:, lc] / pl.ppw[p] + unit
        ) / pl.line_yield[lc]
        h = pl.product_type[p]
        saved = np.where(hbm_out[:, p] & (h >= 0), pl.stacks[p], 0.0) * gap
        ratio[:, p] = np.where(saved > 0, np.maximum(extra, 0.0) / np.maximum(saved, 1e-300),
                               np.inf)  # fmt: skip
    order = np.argsort(ratio, axis=1, kind="stable")
    ranks = np.empty_like(ratio)
    np.put_along_axis(ranks, order, np.arange(n_p, dtype=float)[None, :], axis=1)
    return np.where(np.isfinite(ratio), ranks, np.inf)


def _refill(
    pl: _Plan, t: int, idx: IntArray, stock: FloatArray, supply: tuple[FloatArray, ...],
    lines: list[IntArray],
) -> tuple[_Plan, _Fill]:  # fmt: skip
    """Bucket ``t`` filled afresh for the futures ``idx`` (a future may appear more than once)
    in the per-future line ``lines`` (of those rows): the plan cut to those rows and the fill."""

    def cut(x: FloatArray) -> FloatArray:
        return np.take(x[..., t : t + 1], idx, axis=0)

    sub = replace(
        pl,
        targets=[cut(x) for x in pl.targets],
        buy_order=None if pl.buy_order is None else [pl.buy_order[t]],
        margin=_cut_margin(pl.margin, cut, idx),
    )
    return sub, _fill_bucket(sub, 0, stock[idx], tuple(cut(x) for x in supply), lines)


def _cut_margin(m: _Margin | None, cut: Callable[[FloatArray], FloatArray],
                rows: IntArray | slice) -> _Margin | None:  # fmt: skip
    """The margin's per-future arrays cut by ``cut`` (its price per stack, [F, S], by ``rows``)."""
    if m is None:
        return None
    return replace(
        m,
        value=cut(m.value),
        die=cut(m.die),
        line=cut(m.line),
        hbm_total=cut(m.hbm_total),
        hbm_sup=cut(m.hbm_sup),
        hbm_price=m.hbm_price[rows],
        wafer_price=cut(m.wafer_price),
        own_die=cut(m.own_die),
    )


def _keep(sub: _Plan, idx: IntArray, fill_a: _Fill, fill_c: _Fill, units_first: bool) -> _Fill:
    """``fill_a`` with its futures ``idx`` replaced by the rows of ``fill_c`` (cut plan
    ``sub``) where those serve as well and make at least as much money
    (:func:`_cheaper_serves`), or (``units_first``) make more units of the maximised levels."""
    part = tuple(x[idx] for x in fill_a[1:])
    if units_first:  # the allocation stages: more units of the maximised levels come first
        hi_a, money_a = _fill_money(sub, 0, *part)
        hi_c, money_c = _fill_money(sub, 0, *fill_c[1:])
        use_c = hi_c > hi_a * (1.0 + 1e-9) + 1e-9
        if sub.margin is None:  # as _cheaper_serves
            use_c |= hi_c >= hi_a * (1.0 - 1e-9) - 1e-9
        else:
            use_c |= (hi_c >= hi_a * (1.0 - 1e-9) - 1e-9) & (
                money_c >= money_a - 1e-6 * np.abs(money_a)
            )
    else:
        use_c = _cheaper_serves(sub, 0, part, fill_c[1:])  # type: ignore[arg-type]
    rows = idx[use_c]
    bk = _Bucket(*(getattr(fill_a[0], k).copy() for k in _BUCKET_FIELDS))
    for k in _BUCKET_FIELDS:
        getattr(bk, k)[rows] = getattr(fill_c[0], k)[use_c]
    arrays = []
    for a, c in zip(fill_a[1:], fill_c[1:], strict=True):
        merged = a.copy()
        merged[rows] = c[use_c]
        arrays.append(merged)
    return bk, arrays[0], arrays[1], arrays[2]


def _rows(sub: _Plan, fill: _Fill, sl: slice) -> tuple[_Plan, _Fill]:
    """Rows ``sl`` of a cut plan and of its fill."""

    def cut(x: FloatArray) -> FloatArray:
        return x[sl]

    part = replace(
        sub, targets=[cut(x) for x in sub.targets], margin=_cut_margin(sub.margin, cut, sl)
    )
    bk = _Bucket(*(getattr(fill[0], k)[sl] for k in _BUCKET_FIELDS))
    return part, (bk, fill[1][sl], fill[2][sl], fill[3][sl])


def mixed_fill(
    pl: _Plan, t: int, idx: IntArray, stock: FloatArray, supply: tuple[FloatArray, ...],
    fill_a: _Fill, lines: list[IntArray],
) -> _Fill:  # fmt: skip
    """``fill_a`` with the futures ``idx`` refilled in the per-future line ``lines`` (of those
    futures) where that refill serves as well and makes at least as much money
    (:func:`_cheaper_serves`): the plan and the supply cut to those futures and bucket ``t``."""
    sub, fill_c = _refill(pl, t, idx, stock, supply, lines)
    return _keep(sub, idx, fill_a, fill_c, units_first=False)


def mixed_orders(
    short: npt.NDArray[np.bool_], by_yield: list[IntArray], by_cost: list[IntArray]
) -> list[IntArray]:
    """Per product, its lines per future [F, L]: highest yield first where the product is
    ``short`` [F, P] (its units are limited by dies: yield makes more of them), cheapest per
    good package first where it is not (its demand is met: only money is at stake)."""
    return [np.where(short[:, p, None], by_yield[p][None, :], by_cost[p][None, :])
            for p in range(short.shape[1])]  # fmt: skip


def switch_fill(
    pl: _Plan, t: int, stock: FloatArray, supply: tuple[FloatArray, ...], chosen: _Fill,
    fill_b: _Fill, use_b: npt.NDArray[np.bool_], by_yield: list[IntArray],
    by_cost: list[IntArray],
) -> _Fill:  # fmt: skip
    """The fourth fill: where the fill by cost made more money but fewer units of the levels
    the planner maximises (it ran out of HBM stacks on low-yield lines), products move to the
    highest-yield line one more at a time in :func:`switch_ranks` order
    (cheapest per stack saved first), the others taking the highest-yield lines but that one
    (the stacks they save there are units of a maximised level too); each step is kept where
    it makes more units of the maximised levels than ``chosen``, or as many and at least as
    much money (the allocation stages, then the NPV stage)."""
    assert pl.margin is not None
    hi_c, money_c = _fill_money(pl, t, *chosen[1:])
    hi_b, money_b = _fill_money(pl, t, *fill_b[1:])
    idx = np.flatnonzero(~use_b & (money_b > money_c) & (hi_b < hi_c * (1.0 - 1e-9) - 1e-9))
    if not idx.size:
        return chosen
    bk_b = _Bucket(*(getattr(fill_b[0], k)[idx] for k in _BUCKET_FIELDS))
    ranks = switch_ranks(pl, t, bk_b, pl.margin.line[idx, :, t], by_yield[0], by_cost)
    n_ranked = np.isfinite(ranks).sum(axis=1)
    rest = [np.roll(o, -1) for o in by_yield]  # the highest-yield line last
    # every candidate of every future in one fill (row blocks k = 1, 2, ...), kept in turn
    steps = [np.flatnonzero(n_ranked >= k) for k in range(1, int(n_ranked.max(initial=0)) + 1)]
    if not steps:
        return chosen
    sel = np.concatenate(steps)
    orders = [np.concatenate(o) for o in zip(*(mixed_orders(ranks[s] < k + 1, by_yield, rest)
                                              for k, s in enumerate(steps)), strict=True)]  # fmt: skip
    sub, fill_c = _refill(pl, t, idx[sel], stock, supply, orders)
    start = 0
    for s in steps:
        part, block = _rows(sub, fill_c, slice(start, start + s.size))
        chosen = _keep(part, idx[s], chosen, block, units_first=True)
        start += s.size
    return chosen
