"""One-at-a-time sensitivity of a plan: the tornado chart (``fabnet risk --tornado``).

For each uncertainty spec ``s`` of the scenario, two futures: ``s`` at its low quantile
``q_lo = 0.1`` (P10) and at its high quantile ``q_hi = 0.9`` (P90) of its own distribution, every
other spec at its median (:meth:`fabnet.risk.sampling.Sampler.at_quantiles`; a spec on a common
factor moves alone, the factor held at its median). One more future has every spec at its median:
the *base*, the centre line of the chart. The plan's decisions are held fixed and each future goes
through the same recourse as the Monte Carlo (the chunk function of the fast or the LP recourse,
on the same executor), so a bar reads "what this one uncertainty alone does to the plan".

Each bar holds NPV, funding need and delivered units at both ends; bars are sorted by their NPV
*swing* ``|NPV(P90) − NPV(P10)|``, largest first (ties keep the scenario's order). The base is not
the Monte Carlo mean: a plan's figures are not linear in its uncertainties (a delay past the
horizon, a capacity cap), so the mean over futures differs from the figure at the medians.

The futures of a tornado are evaluated with a sampler whose "draws" are these fixed rows
(:class:`FixedSampler`): the recourse code is the Monte Carlo's own, not a copy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.errors import DataError
from fabnet.risk.executors import Executor, LocalExecutor
from fabnet.risk.model import RiskModel
from fabnet.risk.sampling import Chunk, Draws, Sampler, make_chunks

__all__ = [
    "HIGH_QUANTILE",
    "LOW_QUANTILE",
    "TORNADO_METRICS",
    "FixedSampler",
    "Tornado",
    "TornadoBar",
    "tornado",
    "tornado_draws",
]

FloatArray = npt.NDArray[np.float64]

LOW_QUANTILE = 0.1
HIGH_QUANTILE = 0.9

#: The figures each end of a bar holds (names of :data:`fabnet.risk.recourse.SCALAR_METRICS`).
TORNADO_METRICS = ("npv", "funding_need", "delivered_total")

ChunkFn = Callable[[Chunk], dict[str, FloatArray]]


@dataclass(frozen=True)
class FixedSampler(Sampler):
    """A sampler whose futures are given rows: chunk ``c`` gets rows ``c.start .. c.start +
    c.size − 1`` of ``rows`` (the seed is not used). Lets a chunk function of the Monte Carlo
    evaluate chosen futures."""

    rows: Draws | None = None

    def draw(self, chunk: Chunk) -> Draws:
        assert self.rows is not None
        sl = slice(chunk.start, chunk.start + chunk.size)
        return Draws(self.targets, self.rows.mult[sl], self.rows.add[sl])


def tornado_draws(
    sampler: Sampler, low: float = LOW_QUANTILE, high: float = HIGH_QUANTILE
) -> Draws:
    """The ``1 + 2S`` futures of a tornado: row 0 all medians, then per spec (in the
    scenario's order) the spec at ``low``, then at ``high``, the others at their medians."""
    rows = [sampler.at_quantiles({})]
    for spec in sampler.specs:
        rows.append(sampler.at_quantiles({spec.name: low}))
        rows.append(sampler.at_quantiles({spec.name: high}))
    return Draws(
        sampler.targets,
        np.concatenate([r.mult for r in rows], axis=0),
        np.concatenate([r.add for r in rows], axis=0),
    )


def _finite(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class TornadoBar:
    """One uncertainty at its low and high quantile, the others at their medians.

    Attributes:
        name, target, effect: the spec (``target`` as the scenario writes it).
        low_value, high_value: the spec's own draw at the low and high quantile (months added,
            a multiplier, … as its ``effect`` says).
        low, high: :data:`TORNADO_METRICS` of the plan in those two futures (``None``: not finite).
    """

    name: str
    target: str
    effect: str
    low_value: float
    high_value: float
    low: dict[str, float | None]
    high: dict[str, float | None]

    @property
    def swing(self) -> float:
        """``|NPV(high) − NPV(low)|`` (0 when either is missing)."""
        lo, hi = self.low.get("npv"), self.high.get("npv")
        return 0.0 if lo is None or hi is None else abs(hi - lo)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "effect": self.effect,
            "low_value": self.low_value,
            "high_value": self.high_value,
            "swing_npv": self.swing,
            "low": dict(self.low),
            "high": dict(self.high),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TornadoBar:
        try:
            return cls(
                str(data["name"]),
                str(data["target"]),
                str(data["effect"]),
                float(data["low_value"]),
                float(data["high_value"]),
                {k: data["low"][k] for k in TORNADO_METRICS},
                {k: data["high"][k] for k in TORNADO_METRICS},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"tornado bar: missing or bad key {error}") from None


@dataclass(frozen=True)
class Tornado:
    """A tornado chart's data: the base (every spec at its median) and one bar per spec, sorted
    by NPV swing, largest first."""

    low_quantile: float
    high_quantile: float
    recourse: str
    base: dict[str, float | None]
    bars: tuple[TornadoBar, ...]
    wall_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "low_quantile": self.low_quantile,
            "high_quantile": self.high_quantile,
            "recourse": self.recourse,
            "base": dict(self.base),
            "bars": [b.to_dict() for b in self.bars],
            "wall_seconds": self.wall_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tornado:
        """The tornado of a risk summary's JSON (``summary["tornado"]``).

        Raises:
            DataError: a key is missing or of the wrong kind.
        """
        try:
            return cls(
                float(data["low_quantile"]),
                float(data["high_quantile"]),
                str(data["recourse"]),
                {k: data["base"][k] for k in TORNADO_METRICS},
                tuple(TornadoBar.from_dict(b) for b in data["bars"]),
                float(data["wall_seconds"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"risk summary tornado: missing or bad key {error}") from None

    def table(self) -> pd.DataFrame:
        """One row per bar (largest swing first): the spec, its two values, and each figure at
        the low end, the high end and the base."""
        rows = []
        for b in self.bars:
            row: dict[str, Any] = {
                "uncertainty": b.name,
                "target": b.target,
                "effect": b.effect,
                "low_value": b.low_value,
                "high_value": b.high_value,
                "swing_npv": b.swing,
            }
            for m in TORNADO_METRICS:
                row[f"{m}_low"] = b.low[m]
                row[f"{m}_high"] = b.high[m]
                row[f"{m}_base"] = self.base[m]
            rows.append(row)
        return pd.DataFrame(rows)


def _evaluate_rows(
    model: RiskModel,
    rows: Draws,
    chunk_fn_for: Callable[[RiskModel], ChunkFn],
    executor: Executor,
    chunk_size: int,
    progress: Callable[[int, int], None] | None,
) -> dict[str, FloatArray]:
    fixed = FixedSampler(model.sampler.targets, model.sampler.specs, model.sampler.factors, rows)
    fn = chunk_fn_for(replace(model, sampler=fixed))
    parts, done = [], 0
    for part in executor.map(fn, make_chunks(rows.n, 0, chunk_size)):
        parts.append(part)
        done += int(np.asarray(part["npv"]).shape[0])
        if progress is not None:
            progress(done, rows.n)
    return {m: np.concatenate([np.asarray(p[m]) for p in parts]) for m in TORNADO_METRICS}


def tornado(
    model: RiskModel,
    chunk_fn_for: Callable[[RiskModel], ChunkFn],
    *,
    targets: Mapping[str, str] | None = None,
    executor: Executor | None = None,
    chunk_size: int = 1000,
    recourse: str = "fast",
    low: float = LOW_QUANTILE,
    high: float = HIGH_QUANTILE,
    progress: Callable[[int, int], None] | None = None,
) -> Tornado:
    """The tornado of the plan of ``model`` (see the module docstring).

    Args:
        chunk_fn_for: the Monte Carlo's chunk function for a risk model, e.g.
            ``lambda m: partial(evaluate_chunk, m)`` (fast recourse) or
            ``lambda m: LPRecourse(m, scenario, decisions)``.
        targets: spec name → its target as written (labels only).
        executor: where the futures run (default: this process); chunk_size: futures per task
            (one per task suits the LP recourse).
        progress: callback ``(futures_done, futures)`` after each task.
    """
    t0 = time.perf_counter()
    sampler = model.sampler
    rows = tornado_draws(sampler, low, high)
    res = _evaluate_rows(
        model, rows, chunk_fn_for, executor or LocalExecutor(1), chunk_size, progress
    )

    def at(i: int) -> dict[str, float | None]:
        return {m: _finite(res[m][i]) for m in TORNADO_METRICS}

    bars = []
    for j, spec in enumerate(sampler.specs):
        lo_x = float(spec.dist.ppf(np.array([low]))[0])
        hi_x = float(spec.dist.ppf(np.array([high]))[0])
        target = (targets or {}).get(spec.name, "")
        bars.append(
            TornadoBar(spec.name, target, spec.effect, lo_x, hi_x, at(1 + 2 * j), at(2 + 2 * j))
        )
    order = sorted(range(len(bars)), key=lambda j: -bars[j].swing)  # stable: file order on ties
    return Tornado(
        low, high, recourse, at(0), tuple(bars[j] for j in order), time.perf_counter() - t0
    )
