"""Distributions of the uncertain quantities, as objects with ``sample``, ``mean``, ``variance``.

Each distribution is a frozen dataclass built from a scenario spec
(:mod:`fabnet.scenario.uncertainty`) by :func:`make_distribution`. Every draw goes through the
inverse CDF of a standard normal variate, :math:`x = F^{-1}(\\Phi(z))`, so that the same code
serves independent sampling (``z ~ N(0, 1)``) and correlated sampling through a Gaussian copula
(``z = λ f + \\sqrt{1-λ^2}\\,ε`` with a common factor ``f``; see :mod:`fabnet.risk.sampling`).
:math:`\\Phi` is ``scipy.special.ndtr`` and :math:`\\Phi^{-1}` ``scipy.special.ndtri``.

Formulas (mean, variance, inverse CDF :math:`F^{-1}(u)`):

* point ``v``: ``v``, 0, ``v``.
* uniform on [a, b]: (a+b)/2, (b−a)²/12, ``a + u(b−a)``.
* normal (μ, σ), optionally truncated below at ``low`` = μ + ασ (Johnson, Kotz & Balakrishnan,
  *Continuous Univariate Distributions* vol. 1, ch. 13): with Z = 1 − Φ(α) and λ = φ(α)/Z,
  mean μ + σλ, variance σ²(1 + αλ − λ²), ``μ + σ Φ⁻¹(Φ(α) + u Z)``.
* lognormal (median m, log-sd s): m·e^{s²/2}, m²e^{s²}(e^{s²} − 1), ``m·exp(s Φ⁻¹(u))``.
* triangular (a, c, b) with mode c: (a+b+c)/3, (a²+b²+c²−ab−ac−bc)/18, and with
  F_c = (c−a)/(b−a): ``a + sqrt(u(b−a)(c−a))`` for u < F_c, else ``b − sqrt((1−u)(b−a)(b−c))``.
* discrete values v_i with probabilities p_i (Bernoulli: ``value`` with p, else ``otherwise``):
  Σ p_i v_i, Σ p_i v_i² − mean², the smallest sorted v_i whose cumulative probability exceeds u.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from fabnet.errors import UsageError
from fabnet.scenario import uncertainty as spec_mod

__all__ = [
    "BernoulliDist",
    "DiscreteDist",
    "LogNormalDist",
    "NormalDist",
    "PointDist",
    "RiskDistribution",
    "TriangularDist",
    "UniformDist",
    "make_distribution",
]

FloatArray = npt.NDArray[np.float64]


class RiskDistribution:
    """Interface: ``from_normal(z)`` (the inverse CDF at Φ(z)), ``sample``, ``mean``, ``variance``."""

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        """Inverse CDF at probabilities ``u`` in (0, 1)."""
        raise NotImplementedError

    def from_normal(self, z: npt.ArrayLike) -> FloatArray:
        """``F⁻¹(Φ(z))``: the draw that a standard normal variate ``z`` maps to."""
        return self.ppf(ndtr(np.asarray(z, dtype=np.float64)))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> FloatArray:
        """``size`` independent draws using ``rng`` (one standard normal per draw)."""
        return self.from_normal(rng.standard_normal(size))

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def is_point(self) -> bool:
        """True when every draw is the same number."""
        return self.variance == 0.0


@dataclass(frozen=True)
class PointDist(RiskDistribution):
    """Always ``value``."""

    value: float

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        return np.full(np.shape(u), self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0


@dataclass(frozen=True)
class UniformDist(RiskDistribution):
    """Uniform on [low, high]."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.high >= self.low:
            raise UsageError(f"uniform: high ({self.high}) must be >= low ({self.low})")

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        return self.low + np.asarray(u, dtype=np.float64) * (self.high - self.low)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0


@dataclass(frozen=True)
class NormalDist(RiskDistribution):
    """Normal (mean, sd), truncated below at ``low`` when given."""

    mu: float
    sd: float
    low: float | None = None

    def __post_init__(self) -> None:
        if not self.sd >= 0:
            raise UsageError(
                f"normal: sd must be >= 0 (a variance cannot be negative), got {self.sd}"
            )

    def _alpha(self) -> float:
        if self.low is None or self.sd == 0:
            return -math.inf
        return (self.low - self.mu) / self.sd

    def from_normal(self, z: npt.ArrayLike) -> FloatArray:
        z = np.asarray(z, dtype=np.float64)
        if self.sd == 0:
            v = self.mu if self.low is None else max(self.mu, self.low)
            return np.full(z.shape, v)
        if self.low is None:
            return self.mu + self.sd * z  # exact, no round trip through Φ
        return self.ppf(ndtr(z))

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        u = np.asarray(u, dtype=np.float64)
        if self.sd == 0:
            return self.from_normal(np.zeros(u.shape))
        lo = float(ndtr(self._alpha()))
        x = self.mu + self.sd * ndtri(lo + u * (1.0 - lo))
        return x if self.low is None else np.maximum(x, self.low)

    @property
    def mean(self) -> float:
        a = self._alpha()
        if a == -math.inf:
            return self.mu if self.sd > 0 or self.low is None else max(self.mu, self.low)
        z = 1.0 - float(ndtr(a))
        lam = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi) / z
        return self.mu + self.sd * lam

    @property
    def variance(self) -> float:
        a = self._alpha()
        if a == -math.inf:
            return self.sd**2
        z = 1.0 - float(ndtr(a))
        lam = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi) / z
        return self.sd**2 * (1.0 + a * lam - lam * lam)


@dataclass(frozen=True)
class LogNormalDist(RiskDistribution):
    """exp(N(log median, sigma²))."""

    median: float
    sigma: float

    def __post_init__(self) -> None:
        if not self.median > 0 or not self.sigma >= 0:
            raise UsageError(
                f"lognormal: need median > 0 and sigma >= 0, got {self.median}, {self.sigma}"
            )

    def from_normal(self, z: npt.ArrayLike) -> FloatArray:
        return self.median * np.exp(self.sigma * np.asarray(z, dtype=np.float64))

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        return self.from_normal(ndtri(np.asarray(u, dtype=np.float64)))

    @property
    def mean(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)

    @property
    def variance(self) -> float:
        s2 = self.sigma**2
        return self.median**2 * math.exp(s2) * math.expm1(s2)


@dataclass(frozen=True)
class TriangularDist(RiskDistribution):
    """Triangular on [low, high] with mode ``mode``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.mode <= self.high:
            raise UsageError(
                f"triangular: need low <= mode <= high, got {self.low}, {self.mode}, {self.high}"
            )

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        u = np.asarray(u, dtype=np.float64)
        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full(u.shape, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(np.clip(u, 0, None) * (b - a) * (c - a))
        right = b - np.sqrt(np.clip(1.0 - u, 0, None) * (b - a) * (b - c))
        return np.where(u < fc, left, right)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0


@dataclass(frozen=True)
class DiscreteDist(RiskDistribution):
    """One of ``values`` with probabilities ``probs``."""

    values: tuple[float, ...]
    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.probs) or not self.values:
            raise UsageError("discrete: values and probs must be non-empty and of equal length")
        if any(not 0 <= p <= 1 for p in self.probs) or abs(sum(self.probs) - 1) > 1e-9:
            raise UsageError(f"discrete: probs must lie in [0, 1] and sum to 1, got {self.probs}")

    def _sorted(self) -> tuple[FloatArray, FloatArray]:
        order = np.argsort(self.values, kind="stable")
        v = np.asarray(self.values, dtype=np.float64)[order]
        cum = np.cumsum(np.asarray(self.probs, dtype=np.float64)[order])
        cum[-1] = 1.0
        return v, cum

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        v, cum = self._sorted()
        idx = np.searchsorted(cum, np.asarray(u, dtype=np.float64), side="right")
        return v[np.minimum(idx, v.size - 1)]

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))

    @property
    def variance(self) -> float:
        v = np.asarray(self.values, dtype=np.float64)
        p = np.asarray(self.probs, dtype=np.float64)
        m = float(v @ p)
        return max(float((v * v) @ p) - m * m, 0.0)

    @property
    def is_point(self) -> bool:
        return len({v for v, p in zip(self.values, self.probs, strict=True) if p > 0}) <= 1


@dataclass(frozen=True)
class BernoulliDist(DiscreteDist):
    """``value`` with probability ``p``, else ``otherwise`` (a two-point discrete)."""

    @classmethod
    def of(cls, p: float, value: float = 1.0, otherwise: float = 0.0) -> BernoulliDist:
        if not 0.0 <= p <= 1.0:
            raise UsageError(f"bernoulli: p must lie in [0, 1], got {p}")
        return cls((otherwise, value), (1.0 - p, p))


def make_distribution(spec: object) -> RiskDistribution:
    """The distribution object for a scenario spec (``uncertainties[i].distribution``)."""
    if isinstance(spec, spec_mod.Point):
        return PointDist(spec.value)
    if isinstance(spec, spec_mod.Uniform):
        return UniformDist(spec.low, spec.high)
    if isinstance(spec, spec_mod.Normal):
        return NormalDist(spec.mean, spec.sd, spec.low)
    if isinstance(spec, spec_mod.LogNormal):
        return LogNormalDist(spec.median, spec.sigma)
    if isinstance(spec, spec_mod.Triangular):
        return TriangularDist(spec.low, spec.mode, spec.high)
    if isinstance(spec, spec_mod.Bernoulli):
        return BernoulliDist.of(spec.p, spec.value, spec.otherwise)
    if isinstance(spec, spec_mod.Discrete):
        return DiscreteDist(tuple(spec.values), tuple(spec.probs))
    known = "point, uniform, normal, lognormal, triangular, bernoulli, discrete"
    raise UsageError(f"unknown distribution {spec!r}; known: {known}")
