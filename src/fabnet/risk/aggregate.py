"""Streaming aggregation of per-future results with bounded memory.

:class:`StreamingStats` keeps, for a metric with ``width`` columns (e.g. one per customer):

* count, sum and sum of squares per column, accumulated in chunk order (so the mean is the same
  floating-point number whatever executor produced the chunks), min and max;
* the exact values while there are at most ``exact_limit`` futures (exact percentiles then);
* always, a mergeable relative-error quantile sketch (DDSketch, Masson, Rim & Lee, "DDSketch: a
  fast and fully-mergeable quantile sketch with relative-error guarantees", VLDB 2019): value
  ``x`` goes to bin ``k = ceil(log_γ |x|)`` with ``γ = (1+α)/(1−α)``, separately for negative
  values, and a bin is reported as ``±2γ^k/(γ+1)``, within a relative ``α`` of every value in it.
  Counts are integers in fixed bins (|x| from 1e-9 to 1e16, below that counted as 0), so the
  memory per column is constant (about 0.1 MB at α = 0.5 %) and the result does not depend on
  the order of the updates.

Beyond ``exact_limit`` futures, percentiles and histograms come from the sketch (relative error
≤ α). ``nan`` values (e.g. an IRR that does not exist) are counted apart and left out.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_EXACT_LIMIT", "StreamingStats"]

FloatArray = npt.NDArray[np.float64]

DEFAULT_EXACT_LIMIT = 100_000
"""Futures up to which exact values are kept (percentiles exact); beyond, the sketch answers."""

_MIN_ABS = 1e-9
_MAX_ABS = 1e16


class StreamingStats:
    """Running statistics of a metric of ``width`` columns (see the module docstring)."""

    def __init__(
        self, width: int = 1, exact_limit: int = DEFAULT_EXACT_LIMIT, alpha: float = 0.005
    ):
        self.width = int(width)
        self.exact_limit = int(exact_limit)
        self.alpha = float(alpha)
        self.gamma = (1.0 + alpha) / (1.0 - alpha)
        self._log_gamma = math.log(self.gamma)
        self._kmin = math.ceil(math.log(_MIN_ABS) / self._log_gamma)
        kmax = math.ceil(math.log(_MAX_ABS) / self._log_gamma)
        n_bins = kmax - self._kmin + 1
        self.pos = np.zeros((self.width, n_bins), dtype=np.int64)
        self.neg = np.zeros((self.width, n_bins), dtype=np.int64)
        self.zero = np.zeros(self.width, dtype=np.int64)
        self.count = np.zeros(self.width, dtype=np.int64)
        self.nan_count = np.zeros(self.width, dtype=np.int64)
        self.total = np.zeros(self.width)
        self.total_sq = np.zeros(self.width)
        self.min = np.full(self.width, np.inf)
        self.max = np.full(self.width, -np.inf)
        self._exact: list[FloatArray] | None = []
        self._n_rows = 0

    # -- updates --------------------------------------------------------------------------
    def update(self, values: npt.ArrayLike) -> None:
        """Add rows (futures x width, or a 1-D array when width is 1)."""
        v = np.asarray(values, dtype=np.float64).reshape(-1, self.width)
        self._n_rows += v.shape[0]
        if self._exact is not None:
            if self._n_rows <= self.exact_limit:
                self._exact.append(v.copy())
            else:
                self._exact = None
        finite = np.isfinite(v)
        self.nan_count += (~finite).sum(axis=0)
        self.count += finite.sum(axis=0)
        w = np.where(finite, v, 0.0)
        self.total += w.sum(axis=0)
        self.total_sq += (w * w).sum(axis=0)
        self.min = np.minimum(self.min, np.where(finite, v, np.inf).min(axis=0))
        self.max = np.maximum(self.max, np.where(finite, v, -np.inf).max(axis=0))
        n_bins = self.pos.shape[1]
        for j in range(self.width):
            col = v[finite[:, j], j]
            a = np.abs(col)
            small = a < _MIN_ABS
            self.zero[j] += int(small.sum())
            keys = np.ceil(np.log(np.clip(a[~small], _MIN_ABS, _MAX_ABS)) / self._log_gamma)
            idx = np.clip(keys.astype(np.int64) - self._kmin, 0, n_bins - 1)
            negative = col[~small] < 0
            self.pos[j] += np.bincount(idx[~negative], minlength=n_bins)
            self.neg[j] += np.bincount(idx[negative], minlength=n_bins)

    # -- results --------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Rows (futures) seen."""
        return self._n_rows

    @property
    def exact(self) -> bool:
        """True while exact values are kept (percentiles are exact)."""
        return self._exact is not None

    def values(self) -> FloatArray | None:
        """All rows seen (futures x width) while exact, else None."""
        if self._exact is None:
            return None
        if not self._exact:
            return np.zeros((0, self.width))
        return np.concatenate(self._exact, axis=0)

    @property
    def mean(self) -> FloatArray:
        return np.divide(
            self.total, self.count, out=np.full(self.width, np.nan), where=self.count > 0
        )

    @property
    def std(self) -> FloatArray:
        n = self.count.astype(np.float64)
        var = np.divide(
            self.total_sq - self.total**2 / np.maximum(n, 1),
            n - 1,
            out=np.full(self.width, np.nan),
            where=n > 1,
        )
        return np.sqrt(np.maximum(var, 0.0))

    def _sketch_values(self, j: int) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        keys = np.arange(self.pos.shape[1]) + self._kmin
        rep = 2.0 * self.gamma ** keys.astype(np.float64) / (self.gamma + 1.0)
        vals = np.concatenate([-rep[::-1], [0.0], rep])
        counts = np.concatenate([self.neg[j][::-1], [self.zero[j]], self.pos[j]])
        keep = counts > 0
        return vals[keep], counts[keep]

    def quantile(self, q: float) -> FloatArray:
        """The ``q`` quantile (0..1) of each column (linear interpolation when exact)."""
        data = self.values()
        out = np.full(self.width, np.nan)
        for j in range(self.width):
            if self.count[j] == 0:
                continue
            if data is not None:
                col = data[:, j]
                out[j] = float(np.quantile(col[np.isfinite(col)], q))
                continue
            vals, counts = self._sketch_values(j)
            rank = q * (int(counts.sum()) - 1)
            i = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
            out[j] = float(np.clip(vals[min(i, vals.size - 1)], self.min[j], self.max[j]))
        return out

    def histogram(self, j: int = 0, bins: int = 40) -> tuple[FloatArray, FloatArray]:
        """(edges, counts) of column ``j`` over ``bins`` equal bins from min to max."""
        if self.count[j] == 0:
            return np.zeros(bins + 1), np.zeros(bins)
        lo, hi = float(self.min[j]), float(self.max[j])
        if hi - lo <= abs(lo) * 1e-9:  # constant but for rounding: one finite-width range
            hi = lo + max(abs(lo) * 1e-9, 1e-9)
        data = self.values()
        if data is not None:
            col = data[:, j]
            counts, edges = np.histogram(col[np.isfinite(col)], bins=bins, range=(lo, hi))
        else:
            vals, w = self._sketch_values(j)
            counts, edges = np.histogram(
                np.clip(vals, lo, hi), bins=bins, range=(lo, hi), weights=w
            )
        return edges.astype(np.float64), counts.astype(np.float64)

    def summary(self, j: int = 0) -> dict[str, float]:
        """count, mean, std, min, p5, p50, p95, max of column ``j``."""
        return {
            "count": int(self.count[j]),
            "nan_count": int(self.nan_count[j]),
            "mean": float(self.mean[j]),
            "std": float(self.std[j]),
            "min": float(self.min[j]) if self.count[j] else math.nan,
            "p5": float(self.quantile(0.05)[j]),
            "p50": float(self.quantile(0.50)[j]),
            "p95": float(self.quantile(0.95)[j]),
            "max": float(self.max[j]) if self.count[j] else math.nan,
        }
