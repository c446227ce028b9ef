"""The rest of a complete cash flow: income tax with loss carry-forward, tax depreciation,
terminal value, sustaining capex.

Series have time on the last axis (a stack of scenarios goes through at once), as in
:mod:`fabnet.econ.finance`. Money in USD; rates annual unless stated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fabnet.econ._checks import EconInputError, FloatArray, as_float, check_range, scalar_or_array
from fabnet.econ.finance import straight_line_depreciation

__all__ = [
    "IncomeTax",
    "asset_depreciation",
    "income_tax",
    "sustaining_capex",
    "terminal_value_exit_multiple",
    "terminal_value_perpetuity",
]


def _series(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = check_range(as_float(values, name), name)
    if arr.ndim == 0:
        raise EconInputError(f"{name} must be a series (an array with time on the last axis)")
    return arr


@dataclass(frozen=True)
class IncomeTax:
    """Income tax of a profit series, with the loss pool carried forward.

    Attributes (time on the last axis):
        tax: tax paid in each step (>= 0).
        taxable: profit left after using losses carried forward (>= 0).
        loss_used: losses of earlier steps set against this step's profit.
        loss_pool: losses still available to carry forward at the end of each step.
    """

    tax: FloatArray
    taxable: FloatArray
    loss_used: FloatArray
    loss_pool: FloatArray


def income_tax(
    profit: npt.ArrayLike, rate: npt.ArrayLike, carry_forward_steps: int | None = None
) -> IncomeTax:
    r"""Income tax on profit after depreciation, with losses carried forward (oldest first).

    .. math::

        u_t = \min\bigl(\max(\pi_t, 0),\; L_{t-1}\bigr), \quad
        \mathrm{tax}_t = \tau\,(\max(\pi_t, 0) - u_t), \quad
        L_t = L_{t-1} - u_t + \max(-\pi_t, 0)

    :math:`\pi_t` the profit before tax of step :math:`t` (revenue − operating cost −
    depreciation − interest; negative: a loss), :math:`\tau` the rate, :math:`L` the pool of
    unused losses. With ``carry_forward_steps`` = :math:`k`, a loss made in step :math:`s` can
    be used only in steps :math:`s+1 .. s+k` (the oldest is used first, then it expires);
    ``None`` carries losses forward without limit. No carry-back. Tax is computed per step, so
    pass yearly profits for a yearly tax (e.g. Taiwan: 10 years of carry-forward; docs/sources.md
    §T).

    Example: profits -100, 60, 60 at 25 % pay 0, 0, 5 (60 of the loss used in step 2, the
    remaining 40 in step 3, leaving 20 taxable).
    """
    pi = _series(profit, "profit")
    tau = check_range(as_float(rate, "rate"), "rate", 0.0, 1.0)
    if carry_forward_steps is not None and (
        int(carry_forward_steps) != carry_forward_steps or carry_forward_steps < 0
    ):
        raise EconInputError(
            f"carry_forward_steps must be a whole number >= 0 or None (got {carry_forward_steps!r})"
        )
    n = pi.shape[-1]
    gain = np.maximum(pi, 0.0)
    loss = np.maximum(-pi, 0.0)
    used = np.zeros(pi.shape)
    pool = np.zeros(pi.shape)
    # vintages[..., s]: loss of step s not yet used
    vintages = np.zeros(pi.shape)
    for t in range(n):
        if carry_forward_steps is not None and t - carry_forward_steps - 1 >= 0:
            vintages[..., t - carry_forward_steps - 1] = 0.0  # expired
        need = gain[..., t].copy()
        for s in range(t):  # oldest first
            take = np.minimum(need, vintages[..., s])
            vintages[..., s] -= take
            need -= take
            used[..., t] += take
        vintages[..., t] = loss[..., t]
        pool[..., t] = vintages[..., : t + 1].sum(axis=-1)
    taxable = gain - used
    tax = np.asarray(tau, dtype=np.float64)[..., None] * taxable
    return IncomeTax(tax=tax, taxable=taxable, loss_used=used, loss_pool=pool)


def asset_depreciation(
    capex_by_month: npt.ArrayLike,
    equipment_share: float,
    equipment_life_months: int,
    building_life_months: int,
    horizon: int,
) -> FloatArray:
    r"""Depreciation of fab capex for tax and profit: equipment and building on their own lives.

    .. math:: D_t = \mathrm{SL}(e\,c,\ L_\mathrm{eq})_t + \mathrm{SL}((1-e)\,c,\ L_\mathrm{bld})_t

    :math:`e` the equipment share of capex, SL the straight-line schedule of
    :func:`fabnet.econ.straight_line_depreciation` (each month's spend depreciates from that
    month). TSMC depreciates machinery over 5 years and buildings over 10-20 years, straight
    line (docs/sources.md §D).
    """
    e = float(check_range(as_float(equipment_share, "equipment_share"), "equipment_share", 0, 1))
    capex = _series(capex_by_month, "capex_by_month")
    eq = straight_line_depreciation(capex * e, equipment_life_months, horizon)
    bld = straight_line_depreciation(capex * (1.0 - e), building_life_months, horizon)
    return np.asarray(eq + bld, dtype=np.float64)


def sustaining_capex(
    capex_by_month: npt.ArrayLike, share_per_year: float, months_per_step: float = 1
) -> FloatArray:
    r"""Capex that keeps installed capacity running: a share per year of the capex so far.

    .. math:: S_t = \frac{s\,\Delta}{12} \sum_{\tau < t} c_\tau

    :math:`s` the share per year, :math:`\Delta` months per step; spending of step :math:`t`
    itself starts to need upkeep in the next step. An [E] convention for tool refurbishment,
    spares and upgrades (TSMC's capex beyond new capacity is not split out publicly).
    """
    c = _series(capex_by_month, "capex_by_month")
    s = float(check_range(as_float(share_per_year, "share_per_year"), "share_per_year", 0.0))
    step = float(check_range(as_float(months_per_step, "months_per_step"), "months_per_step", 0.0,
                             low_open=True))  # fmt: skip
    installed_before = np.cumsum(c, axis=-1) - c
    return np.asarray(installed_before * s * step / 12.0, dtype=np.float64)


def terminal_value_perpetuity(
    cash_flow_next_year: npt.ArrayLike, rate_per_year: npt.ArrayLike, growth: npt.ArrayLike
) -> FloatArray:
    r"""Gordon growth value at the horizon: :math:`TV_T = CF_{T+1} / (r - g)`.

    :math:`CF_{T+1}` is the free cash flow of the first year after the horizon (often the last
    year's times :math:`1 + g`), :math:`r` the discount rate and :math:`g < r` the growth per
    year, both annual. The value is at the horizon; discount it with the last step's factor.
    Source: the standard perpetuity-growth formula (Gordon & Shapiro 1956).
    """
    cf = as_float(cash_flow_next_year, "cash_flow_next_year")
    check_range(cf, "cash_flow_next_year")
    r = as_float(rate_per_year, "rate_per_year")
    g = as_float(growth, "growth")
    check_range(r, "rate_per_year", -1.0, low_open=True)
    check_range(g, "growth", -1.0, low_open=True)
    if np.any(g >= r):
        raise EconInputError(f"growth must be below rate_per_year (got growth {g}, rate {r})")
    return scalar_or_array(cf / (r - g))


def terminal_value_exit_multiple(metric: npt.ArrayLike, multiple: npt.ArrayLike) -> FloatArray:
    r"""Exit-multiple value at the horizon: :math:`TV_T = k \cdot M_T`.

    :math:`M_T` the last year's EBITDA (or another metric the multiple is quoted on) and
    :math:`k \ge 0` the multiple. A negative metric gives a negative value (a buyer would pay
    nothing; clip at 0 if that is the convention wanted).
    """
    m = check_range(as_float(metric, "metric"), "metric")
    k = check_range(as_float(multiple, "multiple"), "multiple", 0.0)
    return scalar_or_array(m * k)
