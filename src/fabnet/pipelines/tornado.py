"""The tornado stage of the risk pipeline (``fabnet risk --tornado``).

:func:`tornado_stage` runs :func:`fabnet.risk.tornado.tornado` on the plan's risk model with the
chunk function the Monte Carlo of the same run uses (``--recourse fast``: the vectorised recourse,
all ``1 + 2S`` futures in one chunk; ``--recourse lp``: one HiGHS solve per future, one future per
task so that ``--workers`` solve them side by side).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from fabnet.pipelines._run import ProgressCallback
from fabnet.risk import DEFAULT_CHUNK_SIZE, Chunk, Executor, RiskModel, evaluate_chunk
from fabnet.risk.lp_recourse import LPRecourse
from fabnet.risk.tornado import Tornado, tornado
from fabnet.scenario import Scenario
from fabnet.vocab import Recourse

__all__ = ["tornado_stage"]

ChunkFn = Callable[[Chunk], dict[str, np.ndarray]]


def tornado_stage(
    scenario: Scenario,
    model: RiskModel,
    decisions: pd.DataFrame,
    recourse: Recourse,
    executor: Executor,
    progress: ProgressCallback | None = None,
) -> Tornado:
    """The tornado of the plan of ``model`` (decisions ``decisions``) with ``recourse``;
    ``progress(fraction, message)`` after each task."""

    def futures(done: int, total: int) -> None:
        if progress is not None:
            progress(
                done / total, f"tornado: future {done}/{total} (P10 and P90 of each uncertainty)"
            )

    if recourse is Recourse.LP:
        chunk_size = 1

        def chunk_fn(m: RiskModel) -> ChunkFn:
            return LPRecourse(m, scenario, decisions)
    else:
        chunk_size = DEFAULT_CHUNK_SIZE

        def chunk_fn(m: RiskModel) -> ChunkFn:
            return partial(evaluate_chunk, m)

    return tornado(
        model,
        chunk_fn,
        targets={u.name: u.target for u in scenario.uncertainties},
        executor=executor,
        chunk_size=chunk_size,
        recourse=recourse.value,
        progress=futures,
    )
