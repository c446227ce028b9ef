"""fabnet.risk: a plan under thousands of possible futures, robust planning, scale-out.

- :mod:`.distributions` — distribution objects (``sample``, ``mean``, ``variance``) built from the
  scenario's uncertainty specs;
- :mod:`.sampling` — the specs compiled into a :class:`Sampler`: common factors through a
  Gaussian copula, one ``SeedSequence`` stream per chunk and spec (same seed, same numbers);
- :mod:`.model` / :mod:`.recourse` — the fast vectorised recourse: a plan's operations in every
  future of a chunk at once (numpy, no solver);
- :mod:`.lp_recourse` — the exact recourse: ``solve_plan(future, fixed=decisions)`` per future;
- :mod:`.executors` — ``Executor.map(fn, chunks)``: local process pool or Ray;
- :mod:`.aggregate` — streaming statistics with bounded memory (exact, then a quantile sketch);
- :mod:`.evaluate` — ``evaluate_plan``: chunks → executor → aggregation → :class:`RiskResult`;
- :mod:`.saa` — the two-stage sample-average MIP over K sampled futures (shared build/buy
  decisions, operations per future) and its out-of-sample comparison with the deterministic plan;
- :mod:`.robust` — the robust plan for ``fabnet risk --robust K`` (the SAA, or a choice among
  candidate plans) and the value of the stochastic solution.

The core never imports plotting, web, store or CLI code; the ``fabnet risk`` command does that.
"""

from fabnet.risk.aggregate import DEFAULT_EXACT_LIMIT, StreamingStats
from fabnet.risk.distributions import (
    BernoulliDist,
    DiscreteDist,
    LogNormalDist,
    NormalDist,
    PointDist,
    RiskDistribution,
    TriangularDist,
    UniformDist,
    make_distribution,
)
from fabnet.risk.evaluate import MAX_SAMPLES, RiskResult, evaluate_plan
from fabnet.risk.executors import EXECUTORS, Executor, LocalExecutor, RayExecutor, make_executor
from fabnet.risk.model import (
    RiskModel,
    build_risk_model,
    model_from_decisions,
    model_from_plan,
)
from fabnet.risk.recourse import SCALAR_METRICS, evaluate_chunk, evaluate_draws, identity_draws
from fabnet.risk.saa import SAAComparison, SAAResult, compare_out_of_sample, solve_saa
from fabnet.risk.sampling import (
    DEFAULT_CHUNK_SIZE,
    SUPPORTED_TARGETS,
    Chunk,
    Draws,
    Sampler,
    compile_uncertainties,
    make_chunks,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_EXACT_LIMIT",
    "EXECUTORS",
    "MAX_SAMPLES",
    "SCALAR_METRICS",
    "SUPPORTED_TARGETS",
    "BernoulliDist",
    "Chunk",
    "DiscreteDist",
    "Draws",
    "Executor",
    "LocalExecutor",
    "LogNormalDist",
    "NormalDist",
    "PointDist",
    "RayExecutor",
    "RiskDistribution",
    "RiskModel",
    "RiskResult",
    "SAAComparison",
    "SAAResult",
    "Sampler",
    "StreamingStats",
    "TriangularDist",
    "UniformDist",
    "build_risk_model",
    "compare_out_of_sample",
    "compile_uncertainties",
    "evaluate_chunk",
    "evaluate_draws",
    "evaluate_plan",
    "identity_draws",
    "make_chunks",
    "make_distribution",
    "make_executor",
    "model_from_decisions",
    "model_from_plan",
    "solve_saa",
]
