"""Money over time: capex schedules, depreciation, discounting, NPV, IRR, payback, funding.

Time runs in months: index ``t = 0`` is the first month of the horizon. Monthly series are numpy
arrays with time on the **last axis**, so a stack of scenarios (e.g. Monte Carlo samples, shape
``(n_samples, horizon)``) goes through every function at once. Rates are annual, effective
(``0.08`` = 8% a year) and converted to months by compounding: :math:`(1+r)^{t/12}`. Cash flows
are signed (out < 0, in > 0) and fall at the start of their month (month 0 undiscounted).
"Never" (no payback, no shortfall, no IRR) is ``nan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from fabnet.econ._checks import (
    EconInputError,
    FloatArray,
    as_float,
    check_range,
    scalar_or_array,
)

__all__ = [
    "FundingCoverage",
    "capex_schedule",
    "discount_factors",
    "funding_coverage",
    "irr",
    "npv",
    "payback_month",
    "straight_line_depreciation",
]


def _whole(value: int, name: str, low: int) -> int:
    if int(value) != value or value < low:
        raise EconInputError(f"{name} must be a whole number >= {low} (got {value!r})")
    return int(value)


def _step(months_per_step: float) -> FloatArray:
    arr = as_float(months_per_step, "months_per_step")
    return check_range(arr, "months_per_step", 0.0, low_open=True)


def _series(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = as_float(values, name)
    check_range(arr, name)  # finite
    if arr.ndim == 0:
        raise EconInputError(f"{name} must be a series (an array with time on the last axis)")
    return arr


def capex_schedule(
    total: npt.ArrayLike,
    months: int,
    start_month: int,
    horizon: int,
    shape: Literal["uniform", "s_curve"] = "uniform",
) -> FloatArray:
    r"""Spread ``total`` over ``months`` months from ``start_month``; shape ``(..., horizon)``.

    ``"uniform"``: :math:`\mathrm{total}/m` per month. ``"s_curve"``: the cumulative share after
    :math:`i` of :math:`m` months is the smoothstep :math:`C(x) = 3x^2 - 2x^3`, :math:`x = i/m`
    (the CDF of a Beta(2, 2) distribution), so spending is slow at first, peaks mid-build and
    tails off; month :math:`i` gets :math:`\mathrm{total}\,(C((i+1)/m) - C(i/m))`.

    Months before 0 or at/after ``horizon`` are cut off (so the result sums to less than
    ``total`` when the build sticks out of the horizon). ``total`` (>= 0) may be an array; the
    months are integers (``months >= 1``, ``horizon >= 0``, ``start_month`` any integer).

    Source: construction S-curves are standard in project cost control; the Beta(2,2) shape is
    our choice of a simple symmetric one.
    """
    tot = check_range(as_float(total, "total"), "total", 0.0)
    m = _whole(months, "months", 1)
    h = _whole(horizon, "horizon", 0)
    start = int(start_month)
    if start != start_month:
        raise EconInputError(f"start_month must be a whole number (got {start_month!r})")
    x = np.arange(m + 1) / m
    if shape == "uniform":
        share = np.full(m, 1.0 / m)
    elif shape == "s_curve":
        share = np.diff(3.0 * x**2 - 2.0 * x**3)
    else:
        raise EconInputError(f"shape must be 'uniform' or 's_curve' (got {shape!r})")
    profile = np.zeros(h)
    idx = start + np.arange(m)
    keep = (idx >= 0) & (idx < h)
    profile[idx[keep]] = share[keep]
    return np.asarray(tot[..., None] * profile, dtype=np.float64)


def straight_line_depreciation(
    capex_by_month: npt.ArrayLike,
    life_months: int,
    horizon: int,
    in_service_month: int = 0,
) -> FloatArray:
    r"""Monthly straight-line depreciation of a capex series, shape ``(..., horizon)``.

    Spending in month :math:`m` (construction in progress) starts to depreciate in month
    :math:`s_m = \max(m, t_\mathrm{in\,service})`, at :math:`c_m / L` per month for :math:`L`
    months (``life_months``):

    .. math:: D_t = \sum_m \frac{c_m}{L}\,[\,s_m \le t < s_m + L\,]

    Over a long enough horizon (:math:`\ge \max_m s_m + L`) the depreciation sums to the total
    capex; charges beyond ``horizon`` are dropped. Land should not be passed in (it is not
    depreciated). ``capex_by_month`` may be shorter or longer than ``horizon``.

    Source: straight-line method as in TSMC's annual report (equipment 5 years, buildings
    10-20 years; docs/sources.md §D).
    """
    capex = _series(capex_by_month, "capex_by_month")
    check_range(capex, "capex_by_month", 0.0)
    life = _whole(life_months, "life_months", 1)
    h = _whole(horizon, "horizon", 0)
    t_in = _whole(in_service_month, "in_service_month", 0)
    n = capex.shape[-1]
    starts = np.maximum(np.arange(n), t_in)[:, None]
    t = np.arange(h)[None, :]
    schedule = ((t >= starts) & (t < starts + life)) / life  # (n, horizon)
    return np.asarray(capex @ schedule, dtype=np.float64)


def discount_factors(rate_per_year: npt.ArrayLike, months: npt.ArrayLike) -> FloatArray:
    r"""Discount factor :math:`(1 + r)^{-t/12}` for month index :math:`t` (``months``).

    ``rate_per_year`` must be > -1. ``months`` are month indices (any real, arrays broadcast
    with the rate); pass ``numpy.arange(horizon)`` for a whole horizon.
    """
    r = check_range(as_float(rate_per_year, "rate_per_year"), "rate_per_year", -1.0, low_open=True)
    t = check_range(as_float(months, "months"), "months")
    return scalar_or_array(np.exp(-np.log1p(r) * t / 12.0))


def npv(
    cash_flows: npt.ArrayLike, rate_per_year: npt.ArrayLike, months_per_step: float = 1
) -> FloatArray:
    r"""Net present value :math:`\sum_i \mathrm{CF}_i\,(1+r)^{-i\,\Delta/12}` over the last axis.

    :math:`\Delta` = ``months_per_step`` (1 for monthly, 3 for quarterly, 12 for yearly
    series). The first flow is undiscounted. ``rate_per_year`` (> -1) broadcasts against the
    leading axes of ``cash_flows``. At rate 0 the NPV is the plain sum.
    """
    cf = _series(cash_flows, "cash_flows")
    step = _step(months_per_step)
    r = check_range(as_float(rate_per_year, "rate_per_year"), "rate_per_year", -1.0, low_open=True)
    t = np.arange(cf.shape[-1]) * step
    factors = np.exp(-np.log1p(r)[..., None] * t / 12.0)
    return scalar_or_array(np.sum(cf * factors, axis=-1))


_IRR_GRID = np.linspace(np.log(0.01), np.log(1.0 + 1000.0), 801)  # annual r from -99% to 100,000%


def irr(cash_flows: npt.ArrayLike, months_per_step: float = 1) -> FloatArray:
    r"""Internal rate of return (annual, effective) of each series on the last axis.

    Solves :math:`\sum_i \mathrm{CF}_i (1+r)^{-i\Delta/12} = 0` in :math:`g = \ln(1+r)`: the
    NPV is evaluated on a grid of :math:`r` from -99% to 100,000% a year; among the brackets
    where it changes sign, the one nearest :math:`r = 0` is refined by bisection (vectorised,
    to machine precision). Returns ``nan`` when the NPV does not change sign on the grid (e.g.
    all flows of one sign, or all zero). A series with several sign changes may have several
    IRRs; the one nearest 0 is returned.
    """
    cf = _series(cash_flows, "cash_flows")
    step = _step(months_per_step)
    lead = cf.shape[:-1]
    flat = cf.reshape(-1, cf.shape[-1])
    years = np.arange(flat.shape[1]) * step / 12.0

    def value(g: FloatArray) -> FloatArray:  # g: (rows,) -> NPV per row
        return np.asarray(np.sum(flat * np.exp(-g[:, None] * years[None, :]), axis=1))

    with np.errstate(over="ignore", invalid="ignore"):
        grid_npv = flat @ np.exp(-np.outer(years, _IRR_GRID))  # (rows, grid)
    sign = np.sign(grid_npv)
    change = (sign[:, :-1] * sign[:, 1:] <= 0) & np.isfinite(grid_npv[:, :-1] * grid_npv[:, 1:])
    change &= ~((sign[:, :-1] == 0) & (sign[:, 1:] == 0))
    has_root = change.any(axis=1)
    # the bracket whose midpoint is nearest g = 0 (r = 0)
    mid = 0.5 * (_IRR_GRID[:-1] + _IRR_GRID[1:])
    distance = np.where(change, np.abs(mid)[None, :], np.inf)
    j = np.argmin(distance, axis=1)
    lo, hi = _IRR_GRID[j].copy(), _IRR_GRID[j + 1].copy()
    f_lo = value(lo)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(100):
            mid_g = 0.5 * (lo + hi)
            f_mid = value(mid_g)
            same = np.sign(f_mid) == np.sign(f_lo)
            lo = np.where(same, mid_g, lo)
            f_lo = np.where(same, f_mid, f_lo)
            hi = np.where(same, hi, mid_g)
    root = np.where(has_root, np.expm1(0.5 * (lo + hi)), np.nan)
    return scalar_or_array(root.reshape(lead))


def payback_month(cash_flows: npt.ArrayLike, months_per_step: float = 1) -> FloatArray:
    """First month from which the cumulative cash flow is >= 0 and stays so to the end.

    A later dip below zero (e.g. a second build) resets payback. Returns 0 when the cumulative
    flow is never negative and ``nan`` when it is still negative in the last step. In months
    (step index times ``months_per_step``). Undiscounted (simple payback); discount the flows
    first with :func:`discount_factors` for a discounted payback.
    """
    cf = _series(cash_flows, "cash_flows")
    step = _step(months_per_step)
    cum = np.cumsum(cf, axis=-1)
    scale = np.max(np.abs(cf), axis=-1, keepdims=True)
    negative = cum < -1e-12 * scale  # ignore round-off around zero
    n = cf.shape[-1]
    last_neg = np.where(negative.any(axis=-1), n - 1 - np.argmax(negative[..., ::-1], axis=-1), -1)
    month = np.where(last_neg == n - 1, np.nan, (last_neg + 1) * step)
    return scalar_or_array(month.astype(np.float64))


@dataclass(frozen=True)
class FundingCoverage:
    """How far investors' commitments (plus a debt line) cover a spending plan.

    Attributes:
        cumulative_gap: cumulative spend minus cumulative commitments, per month (> 0: money
            needed beyond what investors have committed so far).
        first_shortfall_month: first month the commitments run out (gap > 0); ``nan`` if never.
        first_breach_month: first month the gap exceeds the debt limit too; ``nan`` if never.
        peak_gap: largest gap over the horizon, >= 0 (how much more than the commitments is
            needed at the worst moment).
        extra_equity_needed: ``max(0, peak_gap - debt_limit)``, new money needed beyond the
            commitments and the debt line.
    """

    cumulative_gap: FloatArray
    first_shortfall_month: FloatArray
    first_breach_month: FloatArray
    peak_gap: FloatArray
    extra_equity_needed: FloatArray


def _first_true(mask: npt.NDArray[np.bool_]) -> FloatArray:
    first = np.argmax(mask, axis=-1).astype(np.float64)
    return np.where(mask.any(axis=-1), first, np.nan)


def funding_coverage(
    spend_by_month: npt.ArrayLike,
    commitments_by_month: npt.ArrayLike,
    debt_limit: npt.ArrayLike = 0.0,
) -> FundingCoverage:
    r"""Compare cumulative spending with cumulative committed funding.

    .. math:: G_t = \sum_{\tau \le t} S_\tau - \sum_{\tau \le t} F_\tau

    ``spend_by_month`` is the net cash out in each month (capex + opex - revenue; negative
    months are net inflows and reduce the gap), ``commitments_by_month`` the money investors
    make available in each month (>= 0). Unspent funds carry forward; interest on cash and debt
    is ignored. The commitments run out in the first month with :math:`G_t > 0`; the plan
    breaks the debt line (>= 0) in the first month with :math:`G_t > \text{debt\_limit}`. Both
    series broadcast along the last (time) axis and must have the same length.
    """
    spend = _series(spend_by_month, "spend_by_month")
    funds = _series(commitments_by_month, "commitments_by_month")
    check_range(funds, "commitments_by_month", 0.0)
    if spend.shape[-1] != funds.shape[-1]:
        raise EconInputError(
            "spend_by_month and commitments_by_month must cover the same months "
            f"(got {spend.shape[-1]} and {funds.shape[-1]})"
        )
    debt = check_range(as_float(debt_limit, "debt_limit"), "debt_limit", 0.0, allow_inf=True)
    gap = np.cumsum(spend, axis=-1) - np.cumsum(funds, axis=-1)
    peak = np.maximum(gap.max(axis=-1), 0.0)
    return FundingCoverage(
        cumulative_gap=gap,
        first_shortfall_month=scalar_or_array(_first_true(gap > 0.0)),
        first_breach_month=scalar_or_array(_first_true(gap > debt[..., None])),
        peak_gap=scalar_or_array(peak),
        extra_equity_needed=scalar_or_array(np.maximum(peak - debt, 0.0)),
    )
