"""Random streams drawn in blocks: fast, seeded, reproducible (common random numbers).

Each purpose (processing times, transport, routing decisions, downs, releases) has its own
stream spawned from one :class:`numpy.random.SeedSequence`, so that two runs with the same seed
see the same numbers for the same purpose even when a dispatching rule changes the order in which
they are used elsewhere (common random numbers, Law & Kelton §11.2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np

__all__ = ["BLOCK", "STREAMS", "uniform_streams"]

STREAMS = ("process", "transport", "routing", "downs", "release", "dispatch")
BLOCK = 1 << 15  # numbers drawn at a time


def _blocks(rng: np.random.Generator, n: int) -> Iterator[list[float]]:
    while True:
        yield rng.random(n).tolist()


def uniform_streams(seed: int | np.random.SeedSequence) -> dict[str, Callable[[], float]]:
    """One ``draw() -> U(0,1)`` function per purpose in :data:`STREAMS`.

    Numbers are generated ``2**15`` at a time with ``Generator.random`` and handed out one by one
    (a bound ``__next__`` of an iterator: about 50 ns per draw).
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(len(STREAMS))
    return {
        name: chain.from_iterable(_blocks(np.random.default_rng(c), BLOCK)).__next__
        for name, c in zip(STREAMS, children, strict=True)
    }
