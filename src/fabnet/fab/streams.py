# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""Random numbers for the fab kernel: uniform streams handed out one at a time, and durations
drawn from them.

:class:`Uniforms` gives the numbers of :func:`fabnet.fab.rng.uniform_streams` for the same seed;
:func:`draw` turns one uniform number into a duration of a model distribution (C types in
``streams.pxd`` when compiled).
"""

from __future__ import annotations

import sys

import cython
import numpy as np

from fabnet.fab import codes

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    sys.modules.setdefault("cython.cimports.fabnet.fab.codes", codes)
from cython.cimports.fabnet.fab.codes import DIST_CONST, DIST_EXP
from cython.cimports.libc.math import log  # C log compiled, math.log interpreted

from fabnet.fab.rng import BLOCK

__all__ = ["Uniforms", "draw"]


class Uniforms:
    """A stream of U(0,1) numbers drawn ``BLOCK`` at a time with ``Generator.random`` and handed
    out one by one by :meth:`next` (a C call with no boxing when compiled). The numbers are
    those of :func:`fabnet.fab.rng.uniform_streams` for the same seed."""

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._rng = np.random.default_rng(seed)
        self._pos = self._n = 0

    def next(self) -> cython.double:
        if self._pos == self._n:
            block = self._rng.random(BLOCK)  # type: ignore[attr-defined]
            self._buf = block if cython.compiled else block.tolist()
            self._n, self._pos = BLOCK, 0
        self._pos += 1
        return self._buf[self._pos - 1]


def draw(dist: cython.long, mean: cython.double, half: cython.double,
         u: cython.double) -> cython.double:  # fmt: skip
    """A duration of distribution ``dist`` (:data:`~fabnet.fab.model.DIST_EXP`, ``DIST_CONST``
    or uniform ``mean ± half``) from the uniform number ``u``."""
    if dist == DIST_EXP:
        return -mean * log(1.0 - u)
    if dist == DIST_CONST:
        return mean
    return mean - half + 2 * half * u
