"""Independent replications, optionally in parallel processes, with common random numbers.

Replication ``i`` of a run with root seed ``s`` uses seed ``SeedSequence(s).spawn(R)[i]`` (as an
integer): the same for every configuration, so comparing two dispatching rules or loads with the
same root seed uses common random numbers. Runs go through the executor interface the risk engine
uses (:mod:`fabnet.executors`: a local process pool or Ray); results do not depend on the
executor or the number of workers.
Confidence interval across replications: mean ± t_{R−1, 0.975} · sd / √R.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from fabnet.errors import UsageError
from fabnet.executors import Executor, LocalExecutor
from fabnet.fab.engine import Engine, SimConfig
from fabnet.fab.kpi import FabKPIs, kpis
from fabnet.fab.model import FabModel

__all__ = [
    "confidence_interval",
    "replication_configs",
    "replication_seeds",
    "run_configs",
    "run_one",
    "run_replications",
]

# two-sided 95 % Student t quantiles for 1..30 degrees of freedom (Abramowitz & Stegun 26.10)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]  # fmt: skip


def replication_seeds(seed: int, replications: int) -> list[int]:
    """Integer seeds of the replications, derived with ``SeedSequence.spawn``."""
    if replications < 1:
        raise UsageError(f"replications must be >= 1, got {replications}")
    children = np.random.SeedSequence(seed).spawn(replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> 1) for c in children]


def confidence_interval(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95 % t confidence interval (half-width NaN for one value)."""
    x = np.asarray([v for v in values if v == v], dtype=float)
    if x.size == 0:
        return float("nan"), float("nan")
    if x.size == 1:
        return float(x[0]), float("nan")
    dof = x.size - 1
    t = _T975[dof - 1] if dof <= len(_T975) else 1.96
    return float(x.mean()), float(t * x.std(ddof=1) / math.sqrt(x.size))


def run_one(model: FabModel, config: SimConfig) -> FabKPIs:
    """One replication (top-level so that it pickles for a process pool or Ray)."""
    return kpis(Engine(model, config).run())


def _run_config(model: FabModel, config: SimConfig) -> FabKPIs:
    return run_one(model, config)


def replication_configs(config: SimConfig, replications: int) -> list[SimConfig]:
    """``config`` once per replication, each with its seed from :func:`replication_seeds`."""
    return [replace(config, seed=s) for s in replication_seeds(config.seed, replications)]


def run_configs(
    model: FabModel,
    configs: list[SimConfig],
    executor: Executor | None = None,
    on_done: Callable[[int], Any] | None = None,
) -> list[FabKPIs]:
    """Simulate ``model`` under each config through ``executor`` (default: this process);
    results in the order of ``configs``, whatever the executor."""
    ex: Executor = executor if executor is not None else LocalExecutor(1)
    out = []
    for i, result in enumerate(ex.map(partial(_run_config, model), configs)):
        out.append(result)
        if on_done is not None:
            on_done(i)
    return out


def run_replications(
    model: FabModel,
    config: SimConfig,
    replications: int = 1,
    workers: int = 1,
    on_done: Callable[[int], Any] | None = None,
    executor: Executor | None = None,
) -> list[FabKPIs]:
    """Run ``replications`` runs; results in replication order.

    They run on ``executor`` (a :class:`~fabnet.executors.LocalExecutor` or
    :class:`~fabnet.executors.RayExecutor`, the risk engine's interface), else on a local pool
    of ``workers`` processes. Same seed, same numbers, on any executor and any number of
    workers.
    """
    if workers < 1:
        raise UsageError(f"workers must be >= 1, got {workers}")
    configs = replication_configs(config, replications)
    if executor is not None:
        return run_configs(model, configs, executor, on_done)
    with LocalExecutor(min(workers, replications)) as local:
        return run_configs(model, configs, local, on_done)
