"""Evaluate a plan over N sampled futures: chunks → executor → streaming aggregation.

``evaluate_plan(model, samples, seed, executor)`` splits the futures into chunks of
:data:`~fabnet.risk.sampling.DEFAULT_CHUNK_SIZE` (:func:`~fabnet.risk.sampling.make_chunks`),
runs :func:`~fabnet.risk.recourse.evaluate_chunk` (or another chunk function, e.g. the LP
recourse) on the executor, and folds the results into :class:`StreamingStats` in chunk order.
Same seed and chunk size → the same numbers on any executor and any number of workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from fabnet.errors import UsageError
from fabnet.risk.aggregate import DEFAULT_EXACT_LIMIT, StreamingStats
from fabnet.risk.executors import Executor, LocalExecutor
from fabnet.risk.model import RiskModel
from fabnet.risk.recourse import SCALAR_METRICS, evaluate_chunk
from fabnet.risk.sampling import DEFAULT_CHUNK_SIZE, Chunk, make_chunks

__all__ = ["MAX_SAMPLES", "RiskResult", "evaluate_plan"]

MAX_SAMPLES = 100_000_000
Progress = Callable[[int, int], None]


@dataclass
class RiskResult:
    """Distributions of a plan's figures over the sampled futures.

    ``stats[name]`` is a :class:`StreamingStats` for each of
    :data:`~fabnet.risk.recourse.SCALAR_METRICS` and for ``delivered_by_year`` (columns
    ``years``), ``shortage_by_customer`` (``customers``), ``delivered_by_bucket``
    (``bucket_labels``).
    """

    samples: int
    seed: int
    executor: str
    workers: int
    recourse: str
    chunk_size: int
    stats: dict[str, StreamingStats]
    years: tuple[str, ...]
    customers: tuple[str, ...]
    bucket_labels: tuple[str, ...]
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    bucket_months: tuple[int, ...] = ()

    def percentiles(self, name: str, j: int = 0) -> dict[str, float]:
        """``p5``, ``p50``, ``p95``, ``mean`` (and the rest of the summary) of one figure."""
        return self.stats[name].summary(j)

    def summary(self) -> dict[str, Any]:
        """Key figures (JSON-ready): each scalar figure with p5/p50/p95/mean, probabilities."""
        out: dict[str, Any] = {
            "samples": self.samples,
            "seed": self.seed,
            "executor": self.executor,
            "workers": self.workers,
            "recourse": self.recourse,
            "chunk_size": self.chunk_size,
        }
        for name in SCALAR_METRICS:
            if name in ("funding_sufficient", "funding_with_debt"):
                continue
            out[name] = _clean(self.stats[name].summary())
        out["prob_funding_sufficient"] = float(self.stats["funding_sufficient"].mean[0])
        out["prob_funding_with_debt"] = float(self.stats["funding_with_debt"].mean[0])
        out["delivered_by_year"] = {
            y: _clean(self.stats["delivered_by_year"].summary(j)) for j, y in enumerate(self.years)
        }
        out["shortage_by_customer"] = {
            c: _clean(self.stats["shortage_by_customer"].summary(j))
            for j, c in enumerate(self.customers)
        }
        out["wall_seconds"] = self.wall_seconds
        out["futures_per_second"] = self.samples / self.wall_seconds if self.wall_seconds else None
        out.update(self.extra)
        return out

    def tables(self, bins: int = 40) -> dict[str, pd.DataFrame]:
        """``risk_metrics`` (one row per figure), ``delivered_by_year``, ``shortage_by_customer``,
        ``delivered_fan`` (per bucket) and ``histograms`` (figure, bin_low, bin_high, count)."""
        rows = []
        for name in SCALAR_METRICS:
            rows.append({"metric": name, **self.stats[name].summary()})
        by_year = pd.DataFrame(
            [
                {"year": y, **self.stats["delivered_by_year"].summary(j)}
                for j, y in enumerate(self.years)
            ]
        )
        by_cust = pd.DataFrame(
            [
                {"customer": c, **self.stats["shortage_by_customer"].summary(j)}
                for j, c in enumerate(self.customers)
            ]
        )
        st = self.stats["delivered_by_bucket"]
        q = {
            k: st.quantile(v)
            for k, v in (("p5", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95))
        }
        fan = pd.DataFrame({"month": list(self.bucket_labels), "mean": st.mean, **q})
        if self.bucket_months:  # months per bucket: the report shows rates per month
            fan["months"] = list(self.bucket_months)
        hist_rows = []
        for name in (
            "npv",
            "irr",
            "delivered_total",
            "shortage_total",
            "funding_need",
            "first_good_month",
            "capex_total",
        ):
            edges, counts = self.stats[name].histogram(0, bins)
            for i in range(counts.size):
                hist_rows.append(
                    {
                        "metric": name,
                        "bin_low": edges[i],
                        "bin_high": edges[i + 1],
                        "count": counts[i],
                    }
                )
        return {
            "risk_metrics": pd.DataFrame(rows),
            "delivered_by_year": by_year,
            "shortage_by_customer": by_cust,
            "delivered_fan": fan,
            "histograms": pd.DataFrame(hist_rows),
        }


def _clean(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def evaluate_plan(
    model: RiskModel,
    samples: int,
    seed: int = 0,
    executor: Executor | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_fn: Callable[[Chunk], dict[str, np.ndarray]] | None = None,
    recourse: str = "fast",
    exact_limit: int = DEFAULT_EXACT_LIMIT,
    progress: Progress | None = None,
) -> RiskResult:
    """Evaluate the plan of ``model`` over ``samples`` futures drawn with ``seed``.

    Args:
        executor: where chunks run (default: in this process).
        chunk_fn: ``chunk -> metrics`` (default: the fast recourse on ``model``).
        progress: callback ``(futures_done, samples)`` after each chunk.
    """
    if not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"--samples must be between 1 and {MAX_SAMPLES:,} (got {samples})")
    if seed < 0:
        raise UsageError(f"--seed must be >= 0 (got {seed})")
    if chunk_size < 1:
        raise UsageError(f"chunk_size must be >= 1 (got {chunk_size})")
    executor = executor or LocalExecutor(1)
    fn = chunk_fn or partial(evaluate_chunk, model)
    chunks = make_chunks(samples, seed, chunk_size)
    widths = {name: 1 for name in SCALAR_METRICS}
    widths.update(
        delivered_by_year=len(model.years),
        shortage_by_customer=len(model.customers),
        delivered_by_bucket=model.n_buckets,
    )
    stats = {name: StreamingStats(w, exact_limit=exact_limit) for name, w in widths.items()}
    t0 = time.perf_counter()
    done = 0
    for res in executor.map(fn, chunks):
        for name, st in stats.items():
            st.update(res[name])
        done += int(np.asarray(res["npv"]).shape[0])
        if progress is not None:
            progress(done, samples)
    wall = time.perf_counter() - t0
    return RiskResult(
        samples=samples,
        seed=seed,
        executor=getattr(executor, "name", type(executor).__name__),
        workers=int(getattr(executor, "workers", 1)),
        recourse=recourse,
        chunk_size=chunk_size,
        stats=stats,
        years=model.years,
        customers=model.customers,
        bucket_labels=model.bucket_labels,
        wall_seconds=wall,
        bucket_months=tuple(int(x) for x in model.data.buckets.length),
    )
