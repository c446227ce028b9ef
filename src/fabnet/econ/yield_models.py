"""Die yield models: Poisson, Murphy, Seeds, negative binomial, and harvesting (spare units).

Units: die area in cm², defect density ``d0`` in defects per cm²; yields are fractions in [0, 1].
All functions broadcast over their arguments; a scalar input gives a ``numpy.float64`` scalar.
Zero area or zero defect density gives yield 1. Negative area/density, or a clustering
parameter ``alpha <= 0``, raise :class:`~fabnet.econ._checks.EconInputError` (a ``ValueError``).

Sources: Murphy, Proc. IEEE 52(12):1537 (1964); Seeds (1967); Stapper, "On yield, fault
distributions and clustering of particles", IBM J. Res. Dev. 30(3):326 (1986) for the negative
binomial (gamma-mixed Poisson) model; Hennessy & Patterson, *Computer Architecture*, die-yield
section; docs/sources.md §L of this project.
"""

from __future__ import annotations

import math
from functools import lru_cache
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
    "YIELD_MODELS",
    "YieldModel",
    "die_yield",
    "good_dies_per_wafer",
    "harvested_yield",
    "murphy_yield",
    "negative_binomial_yield",
    "poisson_yield",
    "seeds_yield",
]

YieldModel = Literal["poisson", "murphy", "seeds", "negative_binomial"]
YIELD_MODELS: tuple[str, ...] = ("poisson", "murphy", "seeds", "negative_binomial")


def _defects(area_cm2: npt.ArrayLike, d0: npt.ArrayLike) -> FloatArray:
    """Expected defects per die ``D0 * A`` after checking both are >= 0 and finite."""
    a = check_range(as_float(area_cm2, "area_cm2"), "area_cm2", 0.0)
    d = check_range(as_float(d0, "d0"), "d0", 0.0)
    return np.asarray(a * d, dtype=np.float64)


def _alpha(alpha: npt.ArrayLike) -> FloatArray:
    return check_range(as_float(alpha, "alpha"), "alpha", 0.0, low_open=True, allow_inf=True)


def poisson_yield(area_cm2: npt.ArrayLike, d0: npt.ArrayLike) -> FloatArray:
    r"""Poisson yield :math:`Y = e^{-D_0 A}` (defects independent and uniformly spread).

    Source: standard; e.g. Flynn, *Computer Architecture*, and docs/sources.md §L.
    """
    return scalar_or_array(np.exp(-_defects(area_cm2, d0)))


def murphy_yield(area_cm2: npt.ArrayLike, d0: npt.ArrayLike) -> FloatArray:
    r"""Murphy's yield with a triangular defect-density distribution.

    .. math:: Y = \left(\frac{1 - e^{-D_0 A}}{D_0 A}\right)^2 \quad (Y = 1 \text{ at } D_0 A = 0)

    Computed with ``expm1`` so small :math:`D_0 A` keeps full precision. It lies between the
    Poisson and Seeds yields. Source: Murphy, "Cost-size optima of monolithic integrated
    circuits", Proc. IEEE 52(12):1537-1545 (1964).
    """
    x = _defects(area_cm2, d0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x > 0.0, -np.expm1(-x) / np.where(x > 0.0, x, 1.0), 1.0)
    return scalar_or_array(ratio**2)


def seeds_yield(area_cm2: npt.ArrayLike, d0: npt.ArrayLike) -> FloatArray:
    r"""Seeds' yield with an exponential defect-density distribution: :math:`Y = 1/(1 + D_0 A)`.

    Equal to the negative binomial model with :math:`\alpha = 1`. Source: Seeds, "Yield,
    economic, and logistic models for complex digital arrays", IEEE Int. Conv. Rec. (1967).
    """
    return scalar_or_array(1.0 / (1.0 + _defects(area_cm2, d0)))


def negative_binomial_yield(
    area_cm2: npt.ArrayLike, d0: npt.ArrayLike, alpha: npt.ArrayLike = 2.0
) -> FloatArray:
    r"""Negative binomial (Stapper) yield with clustering parameter :math:`\alpha`.

    .. math:: Y = \left(1 + \frac{D_0 A}{\alpha}\right)^{-\alpha}

    It is the Poisson yield averaged over a defect density :math:`\lambda \sim
    \mathrm{Gamma}(\text{shape } \alpha, \text{mean } D_0)`. Small :math:`\alpha` means strong
    clustering (higher yield for a given :math:`D_0`); :math:`\alpha = 1` is Seeds;
    :math:`\alpha \to \infty` (``numpy.inf`` accepted) is Poisson. Typical :math:`\alpha`
    0.5-3 (docs/sources.md §F). Computed as :math:`\exp(-\alpha\,\mathrm{log1p}(D_0 A/\alpha))`.

    Source: Stapper, IBM J. Res. Dev. 30(3):326-338 (1986); docs/sources.md §L.
    """
    x = _defects(area_cm2, d0)
    a = _alpha(alpha)
    x, a = np.broadcast_arrays(x, a)
    finite = np.isfinite(a)
    safe_a = np.where(finite, a, 1.0)
    y = np.where(finite, np.exp(-safe_a * np.log1p(x / safe_a)), np.exp(-x))
    return scalar_or_array(y)


def die_yield(
    model: str, area_cm2: npt.ArrayLike, d0: npt.ArrayLike, alpha: npt.ArrayLike = 2.0
) -> FloatArray:
    """Yield by model name: ``"poisson"``, ``"murphy"``, ``"seeds"`` or ``"negative_binomial"``.

    ``alpha`` is used by ``"negative_binomial"`` only. An unknown name raises
    :class:`~fabnet.econ._checks.EconInputError` listing the valid names.
    """
    if model == "poisson":
        return poisson_yield(area_cm2, d0)
    if model == "murphy":
        return murphy_yield(area_cm2, d0)
    if model == "seeds":
        return seeds_yield(area_cm2, d0)
    if model == "negative_binomial":
        return negative_binomial_yield(area_cm2, d0, alpha)
    raise EconInputError(f"model must be one of {', '.join(YIELD_MODELS)} (got {model!r})")


def good_dies_per_wafer(dies_per_wafer: npt.ArrayLike, die_yield: npt.ArrayLike) -> FloatArray:
    r"""Expected good dies per wafer :math:`\mathrm{DPW} \cdot Y` (a float, not floored).

    ``dies_per_wafer`` must be >= 0 and ``die_yield`` in [0, 1].
    """
    n = check_range(as_float(dies_per_wafer, "dies_per_wafer"), "dies_per_wafer", 0.0)
    y = check_range(as_float(die_yield, "die_yield"), "die_yield", 0.0, 1.0)
    return scalar_or_array(n * y)


# --- harvesting ---------------------------------------------------------------------------------

_QUAD_PANELS = 64
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_ROW_BLOCK = 256  # elements per block in the quadrature (bounds memory to ~10 MB)


@lru_cache(maxsize=256)
def _gamma_log_quadrature(alpha: float, panels: int) -> tuple[FloatArray, FloatArray]:
    r"""Nodes :math:`u_i` and weights :math:`w_i` with
    :math:`\sum_i w_i\,\phi(u_i) \approx \int_0^\infty \phi(u)\,u^{\alpha-1}e^{-u}du/\Gamma(\alpha)`.

    Composite 8-point Gauss-Legendre on :math:`v = \ln u` over ``panels`` equal panels
    covering the mass of Gamma(:math:`\alpha`, 1): from the largest of :math:`\ln(10^{-20})`,
    :math:`(\ln\Gamma(\alpha+1) - 39)/\alpha` (below which the mass is < 1e-17) and
    :math:`\ln(\alpha - 14\sqrt{\alpha})`, to :math:`\ln(\alpha + 14\sqrt{\alpha} + 40)`.
    The weights include the density :math:`u^\alpha e^{-u}/\Gamma(\alpha)` (the Jacobian
    :math:`du = u\,dv` gives the extra :math:`u`). Pure numpy plus ``math.lgamma``.
    """
    sd = math.sqrt(alpha)
    v_lo = max(math.log(1e-20), (math.lgamma(alpha + 1.0) - 39.0) / alpha)
    if alpha - 14.0 * sd > 0.0:
        v_lo = max(v_lo, math.log(alpha - 14.0 * sd))
    v_hi = math.log(alpha + 14.0 * sd + 40.0)
    edges = np.linspace(v_lo, v_hi, panels + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[:-1] + edges[1:])
    v = (mid[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    w = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    log_density = alpha * v - np.exp(v) - math.lgamma(alpha)
    return np.exp(v), w * np.exp(log_density)


def _harvest_given_density(
    lam: FloatArray,
    core_area: FloatArray,
    unit_area: FloatArray,
    n: FloatArray,
    k: FloatArray,
    kmax: int,
) -> FloatArray:
    r"""Poisson harvested yield at defect density ``lam`` (arrays broadcast).

    :math:`\sum_{j=0}^{k} \binom{n}{j} p^j q^{n-j} e^{-\lambda A_\mathrm{core}}` with
    :math:`q = e^{-\lambda a}`, :math:`p = 1 - q`; each term is formed in logs (every term is
    <= 1, so nothing overflows however large ``n`` is).
    """
    log_q = -lam * unit_area
    with np.errstate(divide="ignore"):
        log_p = np.log(-np.expm1(log_q))
    base = -lam * core_area
    total = np.zeros(np.broadcast(lam, core_area, unit_area, n, k).shape)
    log_coef = np.zeros_like(total)  # log C(n, j)
    for j in range(kmax + 1):
        if j > 0:
            log_coef = log_coef + np.log(np.maximum(n - j + 1.0, 1.0)) - math.log(j)
        with np.errstate(invalid="ignore"):
            log_term = log_coef + (j * log_p if j > 0 else 0.0) + (n - j) * log_q + base
        total = total + np.where((j <= k) & (j <= n), np.exp(log_term), 0.0)
    return total


def harvested_yield(
    area_cm2: npt.ArrayLike,
    d0: npt.ArrayLike,
    n_units: npt.ArrayLike,
    spare_units: npt.ArrayLike,
    unit_area_fraction: npt.ArrayLike,
    alpha: npt.ArrayLike | None = None,
    *,
    quad_panels: int = _QUAD_PANELS,
) -> FloatArray:
    r"""Yield of a die that still sells when up to ``spare_units`` of its units are defective.

    The die (area :math:`A`) is a non-redundant core of area :math:`(1-f)A` that must be
    defect-free plus :math:`n` identical units of area :math:`a = fA/n` each, of which up to
    :math:`k` may be defective (the product disables them). Example: H100 SXM enables 132 of
    144 SMs, so :math:`n = 144, k = 12` (docs/sources.md §H).

    Poisson (``alpha`` None or ``inf``), for a defect density :math:`\lambda`:

    .. math::

        Y(\lambda) = e^{-\lambda (1-f) A}\;
            \sum_{j=0}^{k} \binom{n}{j} p^j (1-p)^{n-j}, \qquad p = 1 - e^{-\lambda a}

    Clustered (negative binomial, ``alpha`` finite): Stapper's compound model averages
    :math:`Y(\lambda)` over :math:`\lambda \sim \mathrm{Gamma}(\text{shape } \alpha,
    \text{mean } D_0)`. With the plain negative binomial yield as a control variate,

    .. math::

        Y = \left(1 + \frac{D_0 A}{\alpha}\right)^{-\alpha}
            + \mathbb{E}_\lambda\left[Y(\lambda) - e^{-\lambda A}\right]

    where the first term is exact and the expectation is a composite Gauss-Legendre
    quadrature in :math:`\ln u`, :math:`u = \alpha\lambda/D_0 \sim \mathrm{Gamma}(\alpha, 1)`
    (``quad_panels`` x 8 nodes; see :func:`_gamma_log_quadrature`). For :math:`k = 0` the
    bracket vanishes and the result is the negative binomial formula to rounding; otherwise
    the default (64 panels) agrees with 512 panels to about 1e-12 and with a closed-form expansion
    (small :math:`n`) and Monte Carlo (tests).

    Properties: ``spare_units = 0`` gives the plain model on the whole area; the yield is
    non-decreasing in ``spare_units`` and never below the plain yield; ``unit_area_fraction = 0``
    gives the plain yield; ``spare_units = n_units`` gives the plain yield of the core alone.

    Args:
        area_cm2: whole die area in cm² (>= 0).
        d0: defect density per cm² (>= 0); for the clustered model, the mean density.
        n_units: number of identical units (integer >= 1).
        spare_units: units that may be defective, integer in [0, n_units].
        unit_area_fraction: fraction ``f`` of the die area in the units, in [0, 1].
        alpha: negative binomial clustering parameter (> 0), ``None`` or ``inf`` for Poisson.
        quad_panels: quadrature panels for the clustered model (>= 16).

    Source: Stapper, IBM J. Res. Dev. 30(3):326 (1986) and Stapper, McLaren, Dreckmann,
    "Yield model for productivity optimization of VLSI memory chips with redundancy and
    partially good product", IBM J. Res. Dev. 24(3):398 (1980).
    """
    x = _defects(area_cm2, d0)
    area = as_float(area_cm2, "area_cm2")
    d = as_float(d0, "d0")
    n = check_range(as_float(n_units, "n_units"), "n_units", 1.0)
    k = check_range(as_float(spare_units, "spare_units"), "spare_units", 0.0)
    if np.any(n != np.round(n)) or np.any(k != np.round(k)):
        raise EconInputError("n_units and spare_units must be whole numbers")
    if np.any(np.broadcast_to(k > n, np.broadcast(k, n).shape)):
        raise EconInputError("spare_units must be in [0, n_units]")
    f = check_range(
        as_float(unit_area_fraction, "unit_area_fraction"), "unit_area_fraction", 0.0, 1.0
    )
    a_alpha = _alpha(np.inf if alpha is None else alpha)
    if int(quad_panels) < 16:
        raise EconInputError(f"quad_panels must be >= 16 (got {quad_panels})")

    shape = np.broadcast(x, area, d, n, k, f, a_alpha).shape
    x, area, d, n, k, f, a_alpha = (
        np.broadcast_to(arr, shape).ravel() for arr in (x, area, d, n, k, f, a_alpha)
    )
    unit_area = f * area / n
    core_area = (1.0 - f) * area
    out = np.empty(x.shape, dtype=np.float64)

    poisson = ~np.isfinite(a_alpha)
    if poisson.any():
        sel = poisson
        out[sel] = _harvest_given_density(
            d[sel], core_area[sel], unit_area[sel], n[sel], k[sel], int(k[sel].max())
        )

    for alpha_value in np.unique(a_alpha[~poisson]):
        idx = np.flatnonzero((a_alpha == alpha_value) & ~poisson)
        idx = idx[np.argsort(k[idx], kind="stable")]  # similar k per block
        u, w = _gamma_log_quadrature(float(alpha_value), int(quad_panels))
        for rows in np.array_split(idx, max(1, math.ceil(idx.size / _ROW_BLOCK))):
            kmax = int(k[rows].max())
            lam = d[rows][:, None] * u[None, :] / alpha_value
            col = (arr[rows][:, None] for arr in (core_area, unit_area, n, k, area))
            core_b, unit_b, n_b, k_b, area_b = col
            harvest = _harvest_given_density(lam, core_b, unit_b, n_b, k_b, kmax)
            gain = (harvest - np.exp(-lam * area_b)) @ w
            plain = np.exp(-alpha_value * np.log1p(x[rows] / alpha_value))
            out[rows] = plain + np.where(k[rows] > 0, gain, 0.0)

    return scalar_or_array(np.clip(out, 0.0, 1.0).reshape(shape))
