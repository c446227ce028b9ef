"""The executors, for the risk engine: they live in :mod:`fabnet.executors` (shared with the fab
simulator's replications and operating curves); this module re-exports them unchanged."""

from fabnet.executors import EXECUTORS, Executor, LocalExecutor, RayExecutor, make_executor

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "RayExecutor", "make_executor"]
