"""The third fill of a bucket in the fast recourse (:func:`fabnet.risk.assembly.assemble`):
products whose units a higher line yield raises keep the highest-yield lines, the others take
the cheapest per good package.

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

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from fabnet.risk.assembly import (
    FloatArray,
    IntArray,
    _Bucket,
    _cheaper_serves,
    _Fill,
    _fill_bucket,
    _Plan,
)

__all__ = ["limited", "mixed_fill", "mixed_orders"]


def limited(pl: _Plan, t: int, fill: _Fill) -> npt.NDArray[np.bool_]:
    """[F, P] products whose units a higher line yield raises, in the fill by yield ``fill``:
    those short of the levels the planner maximises (all but the lowest) and those sharing
    what such a short product ran out of (its node's dies, own and bought-in; its HBM type's
    stacks; or, short of neither, line slots: every product). The allocation stages maximise
    those levels' units first, so the LP puts these on the highest-yield lines and only the
    others on the cheapest per good package."""
    bk, made = fill[0], fill[1]
    hi = pl.targets[-2] if len(pl.targets) > 1 else pl.targets[-1]
    short_hi = made < hi[:, :, t] * (1.0 - 1e-9) - 1e-9  # F x P
    short_all = made < pl.targets[-1][:, :, t] * (1.0 - 1e-9) - 1e-9
    n_f, n_p = made.shape
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
    # short: of a maximised level's units, or of the lowest level's where dies or stacks ran
    # out (not where its margin stopped it)
    short = short_hi | (short_all & (dies_out | hbm_out))
    same_node = pl.same_node if pl.same_node is not None else np.eye(n_p, dtype=bool)
    same_hbm = (pl.product_type[:, None] == pl.product_type[None, :]) & (pl.product_type >= 0)
    by_dies = (short & dies_out).astype(float) @ same_node.astype(float) > 0
    by_hbm = (short & hbm_out).astype(float) @ same_hbm.astype(float) > 0
    by_lines = np.asarray((short_hi & ~dies_out & ~hbm_out).any(axis=1), dtype=bool)
    return np.asarray(short | by_dies | by_hbm | by_lines[:, None], dtype=bool)


def mixed_fill(
    pl: _Plan, t: int, idx: IntArray, stock: FloatArray, supply: tuple[FloatArray, ...],
    fill_a: _Fill, lines: list[IntArray],
) -> _Fill:  # fmt: skip
    """``fill_a`` with the futures ``idx`` refilled in the per-future line ``lines`` (of those
    futures) where that refill serves as well and makes at least as much money
    (:func:`_cheaper_serves`): the plan and the supply cut to those futures and bucket ``t``."""

    def cut(x: FloatArray) -> FloatArray:
        return np.take(x[..., t : t + 1], idx, axis=0)

    m = pl.margin
    sub = replace(
        pl,
        targets=[cut(x) for x in pl.targets],
        buy_order=None if pl.buy_order is None else [pl.buy_order[t]],
        margin=None if m is None else replace(
            m, value=cut(m.value), die=cut(m.die), line=cut(m.line),
            hbm_total=cut(m.hbm_total), hbm_sup=cut(m.hbm_sup), hbm_price=m.hbm_price[idx],
            wafer_price=cut(m.wafer_price), own_die=cut(m.own_die)),
    )  # fmt: skip
    fill_c = _fill_bucket(sub, 0, stock[idx], tuple(cut(x) for x in supply), lines)
    part = tuple(x[idx] for x in fill_a[1:])
    use_c = _cheaper_serves(sub, 0, part, fill_c[1:])  # type: ignore[arg-type]
    rows = idx[use_c]
    bk = _Bucket(*(getattr(fill_a[0], k).copy()
                   for k in ("stock", "wafers", "gdpw", "outside", "lines", "hbm")))  # fmt: skip
    for k in ("stock", "wafers", "gdpw", "outside", "lines", "hbm"):
        getattr(bk, k)[rows] = getattr(fill_c[0], k)[use_c]
    arrays = []
    for a, c in zip(fill_a[1:], fill_c[1:], strict=True):
        merged = a.copy()
        merged[rows] = c[use_c]
        arrays.append(merged)
    return bk, arrays[0], arrays[1], arrays[2]


def mixed_orders(
    short: npt.NDArray[np.bool_], by_yield: list[IntArray], by_cost: list[IntArray]
) -> list[IntArray]:
    """Per product, its lines per future [F, L]: highest yield first where the product is
    ``short`` [F, P] (its units are limited by dies: yield makes more of them), cheapest per
    good package first where it is not (its demand is met: only money is at stake)."""
    return [np.where(short[:, p, None], by_yield[p][None, :], by_cost[p][None, :])
            for p in range(short.shape[1])]  # fmt: skip
