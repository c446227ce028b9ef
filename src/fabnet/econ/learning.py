"""Yield learning: defect density over the months since a process's first output.

Both curves start at ``d0_start`` at ``t = 0`` (and before it: ``t < 0`` returns ``d0_start``),
approach ``d0_mature`` as ``t -> inf`` and move monotonically between the two. Units: ``t`` and
``tau_months`` in months, densities in defects per cm². Inputs broadcast.

Typical values (docs/sources.md §F, §N): TSMC N5/N7 reached about 0.09-0.11 /cm² around HVM and
~0.06 within a year; a reasonable default is 0.5 -> 0.1 /cm² over 4-6 quarters. Real yield
curves start at 10-20% and rarely exceed 80% (Leachman & Berglund, SEMATECH/CSM 2003).

Source of the forms: Organtini & Russo, "Yield learning models...", IEEE TSM 26(3):393-399
(2013) (Gompertz yield learning); Gruber's exponential learning model as cited there.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fabnet.econ._checks import FloatArray, as_float, check_range, scalar_or_array

__all__ = ["defect_density_exponential", "defect_density_gompertz"]


def _common(
    t_months: npt.ArrayLike, d0_start: npt.ArrayLike, d0_mature: npt.ArrayLike, tau: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    t = as_float(t_months, "t_months")
    check_range(t, "t_months", allow_inf=True)
    d_start = check_range(as_float(d0_start, "d0_start"), "d0_start", 0.0)
    d_mature = check_range(as_float(d0_mature, "d0_mature"), "d0_mature", 0.0)
    tau_m = check_range(as_float(tau, "tau_months"), "tau_months", 0.0, low_open=True)
    return t, d_start, d_mature, tau_m


def defect_density_exponential(
    t_months: npt.ArrayLike,
    d0_start: npt.ArrayLike,
    d0_mature: npt.ArrayLike,
    tau_months: npt.ArrayLike,
) -> FloatArray:
    r"""Exponential learning: :math:`D(t) = D_\infty + (D_0 - D_\infty)\,e^{-t/\tau}` (t >= 0).

    :math:`D(t) = D_0` for :math:`t < 0`. After :math:`\tau` months 63% of the excess density is
    gone. Under the Poisson model this is exactly Gompertz *yield* learning on a die of area
    :math:`A`: :math:`Y(t) = e^{-A D(t)} = Y_\infty \exp(-b\,e^{-t/\tau})` with
    :math:`Y_\infty = e^{-A D_\infty}` and :math:`b = A (D_0 - D_\infty)` (Organtini & Russo
    2013 fit Gompertz curves to yield), so this is the density form of that model.

    Args:
        t_months: months since first output (any real; negative means not started).
        d0_start: density at ``t = 0`` (>= 0).
        d0_mature: limit as ``t -> inf`` (>= 0).
        tau_months: time scale (> 0).
    """
    t, d_start, d_mature, tau = _common(t_months, d0_start, d0_mature, tau_months)
    decay = np.exp(-np.maximum(t, 0.0) / tau)
    return scalar_or_array(d_mature + (d_start - d_mature) * decay)


def defect_density_gompertz(
    t_months: npt.ArrayLike,
    d0_start: npt.ArrayLike,
    d0_mature: npt.ArrayLike,
    tau_months: npt.ArrayLike,
    shape: npt.ArrayLike = 3.0,
) -> FloatArray:
    r"""S-shaped learning: a Gompertz decline of the excess density.

    .. math::

        D(t) = D_\infty + (D_0 - D_\infty)\,\bigl(1 - S(t)\bigr), \qquad
        S(t) = \frac{\exp(-b\,e^{-t/\tau}) - e^{-b}}{1 - e^{-b}}

    for :math:`t \ge 0` (:math:`D = D_0` before). :math:`S` is the Gompertz curve
    :math:`\exp(-b e^{-t/\tau})` rescaled to run from exactly 0 at :math:`t=0` to 1: the density
    falls slowly at first (the line is still debugging), fastest at the inflection
    :math:`t^* = \tau \ln b` (for :math:`b > 1`), then settles double-exponentially. ``shape``
    :math:`b > 0`; as :math:`b \to 0`, :math:`S(t) \to 1 - e^{-t/\tau}` and the curve becomes
    :func:`defect_density_exponential`; larger :math:`b` delays the fall (default 3: inflection
    at about :math:`1.1\tau`).

    Source: Gompertz growth curve as used for semiconductor yield learning by Organtini & Russo,
    IEEE TSM 26(3):393-399 (2013); the rescaling to fixed start/mature densities is ours.
    """
    t, d_start, d_mature, tau = _common(t_months, d0_start, d0_mature, tau_months)
    b = check_range(as_float(shape, "shape"), "shape", 0.0, low_open=True)
    z = np.exp(-np.maximum(t, 0.0) / tau)
    # S = (e^{-bz} - e^{-b}) / (1 - e^{-b}) = e^{-bz} (1 - e^{-b(1-z)}) / (1 - e^{-b}): stable for
    # tiny b (ratio of expm1s) and huge b (no overflow).
    s = np.exp(-b * z) * np.expm1(-b * (1.0 - z)) / np.expm1(-b)
    return scalar_or_array(d_mature + (d_start - d_mature) * (1.0 - np.clip(s, 0.0, 1.0)))
