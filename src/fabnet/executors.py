"""Executors: one small interface to run a function over chunks, locally or on Ray.

A neutral module of the core: the risk engine (futures) and the fab simulator (replications,
operating curves) both run through it, and it imports neither.

``Executor.map(fn, chunks)`` returns an iterator of ``fn(chunk)`` *in chunk order*, whatever
order the workers finish in, so a streaming aggregation that consumes it is deterministic. At most
``max_in_flight`` chunks are submitted ahead of the one being consumed, so memory stays bounded
for any number of chunks.

* :class:`LocalExecutor` — a process pool (the default); ``workers=1`` runs in this process.
* :class:`RayExecutor` — Ray tasks on a local instance (``address=None``), an existing cluster
  (``"auto"``) or ``"HOST:PORT"``; needs the optional extra ``fabnet[ray]`` (imported lazily).

``fn`` and the chunks must be picklable (a module-level function, or a ``functools.partial`` of
one over frozen dataclasses). Randomness never lives in the executor: each chunk carries its seed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from fabnet.errors import UsageError

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "RayExecutor", "make_executor"]

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """Runs ``fn`` over ``chunks``; results come back in chunk order."""

    name: str
    workers: int

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[R]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """A pool of ``workers`` processes (``workers=1``: run in this process, no pool).

    Uses the ``fork`` start method where the platform has it (workers start in milliseconds and
    inherit the imported modules), else ``spawn``.
    """

    name = "local"

    def __init__(self, workers: int | None = None, max_in_flight: int | None = None):
        if workers is None:
            workers = os.cpu_count() or 1
        if workers < 1:
            raise UsageError(f"--workers must be >= 1 (got {workers})")
        self.workers = int(workers)
        self.max_in_flight = max_in_flight or 2 * self.workers
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context(method))
        return self._pool

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[R]:
        if self.workers == 1:
            for chunk in chunks:
                yield fn(chunk)
            return
        pool = self._get_pool()
        pending: deque[Future[R]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(fn, chunk))
            if len(pending) >= self.max_in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UsageError(
            "the Ray executor needs the optional extra: pip install 'fabnet[ray]' "
            f"(import failed: {exc})"
        ) from None
    return ray


def _call(fn: Callable[[T], R], chunk: T) -> R:
    return fn(chunk)


class RayExecutor:
    """Ray tasks, one per chunk, at most ``max_in_flight`` in flight.

    Args:
        address: ``None`` starts a local Ray instance (with ``num_cpus``) unless one is already
            running in this process; ``"auto"`` joins the cluster of this machine;
            ``"HOST:PORT"`` joins a remote cluster.
        num_cpus: CPUs of a local instance (default: all).
        init_kwargs: passed to ``ray.init`` (e.g. ``_temp_dir``).
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        max_in_flight: int | None = None,
        **init_kwargs: Any,
    ):
        if num_cpus is not None and num_cpus < 1:
            raise UsageError(f"num_cpus must be >= 1 (got {num_cpus})")
        self._ray = _import_ray()
        self.address = address
        self._started = False
        if not self._ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            kwargs.update(init_kwargs)
            if address is None:
                kwargs["num_cpus"] = num_cpus
            else:
                kwargs["address"] = address
            try:
                self._ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise UsageError(
                    f"cannot start or reach Ray at {address or 'local'}: {exc}"
                ) from None
            self._started = True
        cpus = int(self._ray.cluster_resources().get("CPU", 1))
        self.workers = cpus
        self.max_in_flight = max_in_flight or 2 * cpus
        self._remote = self._ray.remote(_call)

    def map(self, fn: Callable[[T], R], chunks: Iterable[T]) -> Iterator[R]:
        ray = self._ray
        fn_ref = ray.put(fn)
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(self._remote.remote(fn_ref, chunk))
            if len(pending) >= self.max_in_flight:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())

    def close(self) -> None:
        """Shut Ray down if this executor started it."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
            self._started = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    kind: str = "local",
    workers: int | None = None,
    address: str | None = None,
    **ray_kwargs: Any,
) -> LocalExecutor | RayExecutor:
    """``"local"`` → :class:`LocalExecutor` (``workers``); ``"ray"`` → :class:`RayExecutor`
    (``address``, ``workers`` as ``num_cpus`` of a local instance)."""
    if kind == "local":
        if address is not None:
            raise UsageError("--address only applies to --executor ray")
        return LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor(address=address, num_cpus=workers, **ray_kwargs)
    raise UsageError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTORS)}")
