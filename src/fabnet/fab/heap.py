# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The fab kernel's event heap: events ``(time, kind, a, b)`` popped in lexicographic order.

Compiled (``heap.pxd``), :class:`EventHeap` is a typed 4-ary heap; interpreted, the kernel uses
:class:`TupleHeap` (``heapq`` over tuples). Both pop the same events in the same order.
"""

from __future__ import annotations

from heapq import heappush

import cython
import numpy as np

__all__ = ["EventHeap", "TupleHeap"]

# An event's (kind, a, b) packed into one 63-bit integer that orders as the tuple does:
# kind in 4 bits, a + 2**28 in 29 bits, b in 30 bits.
_A_OFF = cython.declare(cython.longlong, 1 << 28)
_A_MASK = cython.declare(cython.longlong, (1 << 29) - 1)
_B_MASK = cython.declare(cython.longlong, (1 << 30) - 1)


class EventHeap:
    """Min-heap of events ``(time, kind, a, b)``, ordered lexicographically like tuples.

    Compiled, it is a 4-ary heap (half the depth of a binary one, for heaps of thousands of
    events) in two parallel C arrays, the time and ``(kind, a, b)`` packed into one
    integer that orders as the tuple does (``kind < 16``, ``-2**28 <= a < 2**28``,
    ``0 <= b < 2**30``; push raises ``OverflowError`` outside), so one sift step moves two
    numbers and compares at most two; no tuple and no boxed float per event. ``pop`` returns the
    time and leaves the event's ``kind``, ``a`` and ``b`` in attributes. Interpreted, the kernel
    uses :class:`TupleHeap` (``heapq``) instead, in the same order (distinct events never
    compare equal, so any correct heap pops them in the same sequence).
    """

    def __init__(self, capacity: cython.Py_ssize_t = 1024) -> None:
        self.size = 0
        self.kind = self.a = self.b = 0
        self._t = np.empty(max(capacity, 1), dtype=np.float64)
        self._k = np.empty(max(capacity, 1), dtype=np.int64)

    def __len__(self) -> int:
        return self.size

    def _grow(self) -> None:
        n = self.size
        t, k = np.empty(2 * n, dtype=np.float64), np.empty(2 * n, dtype=np.int64)
        t[:n], k[:n] = self._t, self._k
        self._t, self._k = t, k

    @cython.locals(i=cython.Py_ssize_t, up=cython.Py_ssize_t, key=cython.longlong)
    def push(self, t: cython.double, kind: cython.long, a: cython.long, b: cython.long) -> None:
        if kind < 0 or kind > 15 or a < -_A_OFF or a >= _A_OFF or b < 0 or b > _B_MASK:
            raise OverflowError(f"event ({kind}, {a}, {b}) outside the heap's packed key")
        key = (cython.cast(cython.longlong, kind) << 59) | ((a + _A_OFF) << 30) | b
        if self.size == self._t.shape[0]:
            self._grow()
        i = self.size
        self.size += 1
        while i > 0:  # sift the hole up while the parent is larger
            up = (i - 1) >> 2
            if self._t[up] < t or (self._t[up] == t and self._k[up] < key):
                break
            self._t[i], self._k[i] = self._t[up], self._k[up]
            i = up
        self._t[i], self._k[i] = t, key

    @cython.locals(i=cython.Py_ssize_t, c=cython.Py_ssize_t, n=cython.Py_ssize_t,
                   t=cython.double, key=cython.longlong, top=cython.double,
                   tc=cython.double, kc=cython.longlong, j=cython.Py_ssize_t,
                   last=cython.Py_ssize_t)  # fmt: skip
    def pop(self) -> cython.double:
        top = self._t[0]
        key = self._k[0]
        self.kind = key >> 59
        self.a = ((key >> 30) & _A_MASK) - _A_OFF
        self.b = key & _B_MASK
        self.size -= 1
        n = self.size
        t, key = self._t[n], self._k[n]
        i = 0
        while True:  # sift the last event down from the root
            c = 4 * i + 1
            if c >= n:
                break
            tc, kc = self._t[c], self._k[c]
            last = min(c + 4, n)
            for j in range(c + 1, last):  # the least of up to four children
                if self._t[j] < tc or (self._t[j] == tc and self._k[j] < kc):
                    c, tc, kc = j, self._t[j], self._k[j]
            if not (tc < t or (tc == t and kc < key)):
                break
            self._t[i], self._k[i] = tc, kc
            i = c
        if n > 0:
            self._t[i], self._k[i] = t, key
        return top


class TupleHeap:
    """The interpreted kernel's event heap: ``heapq`` over ``(time, kind, a, b)`` tuples in
    ``items``, with :class:`EventHeap`'s ``push`` and ``size``; the loop pops ``items`` with
    ``heapq.heappop`` directly (one Python call less per event)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, int, int]] = []

    def __len__(self) -> int:
        return len(self.items)

    @property
    def size(self) -> int:
        return len(self.items)

    def push(self, t: float, kind: int, a: int, b: int) -> None:
        heappush(self.items, (t, kind, a, b))
