# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The fab kernel's event queue: events ``(time, kind, a, b)`` popped in lexicographic order.

Compiled (``heap.pxd``), :class:`EventHeap` is a calendar queue in front of a short sorted array
(a typed 4-ary heap when a bucket holds many events); interpreted, the kernel uses :class:`TupleHeap` (``heapq`` over tuples). Both pop the same
events in the same order.
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
# Times this many bucket widths or more (and infinite ones) share the last bucket number (below
# 2**53, so that bucket numbers up to it plus ``nbuckets`` stay exact as doubles).
_LAST = cython.declare(cython.double, float(1 << 52))
# The near queue is a sorted array up to this many events, a 4-ary heap beyond.
_SORTED_MAX = cython.declare(cython.Py_ssize_t, 32)


def _outside(kind: cython.long, a: cython.long, b: cython.long) -> cython.int:
    """Raise for an event whose ids do not fit the packed key (out of the push's hot path)."""
    raise OverflowError(f"event ({kind}, {a}, {b}) outside the heap's packed key")


class EventHeap:
    """Min-queue of events ``(time, kind, a, b)``, ordered lexicographically like tuples.

    Compiled, it is a calendar queue (R. Brown, "Calendar queues", CACM 31(10), 1988, with a
    fixed bucket ``width``, in the kernel's minutes): an event's bucket is
    ``floor(time / width)``; the events of the current bucket and earlier ones sit in the "near"
    queue, those of the next ``nbuckets - 1`` buckets in one unsorted list each (a ring of
    linked lists in one pool of nodes), later ones in an overflow list moved into the ring once
    per lap. When the near queue runs dry, the next non-empty bucket's events are put into it.
    The near queue is an array sorted latest first (pop from its end, insertion from its end)
    while it holds at most 32 events, and a typed 4-ary heap once it holds more (until it is
    empty again). So a pop takes the last of about 4 events (SMT2020 HVLM has about 30 events
    a minute; the default width is 7.5 seconds) instead of sifting a heap of all pending ones
    (about 4,000), and a push into a later bucket is O(1); empty buckets cost a few
    instructions each. Buckets are ordered by time, so the pop order is exactly the heap order
    of all events. (Queue instructions over days 2-5 of HVLM FIFO: one 4-ary heap of all
    events 62.8 M; near heap with widths of 2, 1, 0.5, 0.25 and 0.125 minutes 46.7, 42.8, 39.0,
    35.8 and 33.7 M; with the sorted array 29.3 M; ``benchmarks/RESULTS.md``, issue 16.)

    In the near queue, the time and ``(kind, a, b)`` are two parallel C arrays, the three ids
    packed into one integer that orders as the tuple does (``kind < 16``,
    ``-2**28 <= a < 2**28``, ``0 <= b < 2**30``; push raises ``OverflowError`` outside).
    ``pop`` returns the time and leaves the event's ``kind``, ``a`` and ``b`` in attributes.
    Interpreted, the kernel uses :class:`TupleHeap` (``heapq``) instead, in the same order
    (distinct events never compare equal, so any correct queue pops them in the same sequence).
    """

    def __init__(self, capacity: cython.Py_ssize_t = 1024, width: cython.double = 0.125,
                 nbuckets: cython.Py_ssize_t = 4096) -> None:  # fmt: skip
        if not width > 0 or nbuckets < 2 or nbuckets > 1 << 30 or nbuckets & (nbuckets - 1):
            raise ValueError("width must be > 0 and nbuckets a power of two in [2, 2**30]")
        capacity = max(capacity, 1)
        self.size = self.n = 0
        self._as_heap = False
        self.kind = self.a = self.b = 0
        self._t = np.empty(max(capacity, _SORTED_MAX), dtype=np.float64)  # room for the array
        self._k = np.empty(max(capacity, _SORTED_MAX), dtype=np.int64)
        self._inv = 1.0 / width
        self._mask = nbuckets - 1
        self._cur = 0  # the near heap holds every event of bucket <= _cur
        self._horizon = nbuckets  # the ring: buckets _cur < b < _horizon; overflow: b >= _horizon
        self._ring = 0
        self._head = np.full(nbuckets, -1, dtype=np.int32)
        self._ovf = self._free = -1
        self._used = 0
        self._pt = np.empty(capacity, dtype=np.float64)
        self._pk = np.empty(capacity, dtype=np.int64)
        self._pn = np.empty(capacity, dtype=np.int32)

    def __len__(self) -> int:
        return self.size

    def _grow(self) -> None:
        n = self.n
        t, k = np.empty(2 * n, dtype=np.float64), np.empty(2 * n, dtype=np.int64)
        t[:n], k[:n] = self._t, self._k
        self._t, self._k = t, k

    def _grow_pool(self) -> None:
        n = self._used
        t, k = np.empty(2 * n, dtype=np.float64), np.empty(2 * n, dtype=np.int64)
        nx = np.empty(2 * n, dtype=np.int32)
        t[:n], k[:n], nx[:n] = self._pt, self._pk, self._pn
        self._pt, self._pk, self._pn = t, k, nx

    @cython.locals(node=cython.int)
    def _node(self, t: cython.double, key: cython.longlong) -> cython.int:
        """A pool node holding ``(t, key)`` (its ``_pn`` link left to the caller)."""
        node = self._free
        if node >= 0:
            self._free = self._pn[node]
        else:
            if self._used == self._pt.shape[0]:
                self._grow_pool()
            node = self._used
            self._used += 1
        self._pt[node], self._pk[node] = t, key
        return node

    @cython.locals(x=cython.double, node=cython.int, s=cython.Py_ssize_t, key=cython.longlong)
    def push(self, t: cython.double, kind: cython.long, a: cython.long, b: cython.long) -> None:
        if kind < 0 or kind > 15 or a < -_A_OFF or a >= _A_OFF or b < 0 or b > _B_MASK:
            return _outside(kind, a, b)
        key = (cython.cast(cython.longlong, kind) << 59) | ((a + _A_OFF) << 30) | b
        self.size += 1
        x = t * self._inv
        if not x < _LAST:  # far away, infinite or NaN: the last bucket
            x = _LAST
        if x < self._cur + 1:  # this bucket (or an earlier one): the near heap
            self._near_push(t, key)
            return 0
        node = self._node(t, key)
        if x < self._horizon:  # a later bucket within the ring
            s = cython.cast(cython.longlong, x) & self._mask
            self._pn[node] = self._head[s]
            self._head[s] = node
            self._ring += 1
        else:
            self._pn[node] = self._ovf
            self._ovf = node

    @cython.locals(i=cython.Py_ssize_t)
    def _near_push(self, t: cython.double, key: cython.longlong) -> None:
        """Into the near queue: a sorted array while it is short, a heap once it is long."""
        if self.n == 0:
            self._as_heap = False
        if not self._as_heap:
            if self.n < _SORTED_MAX:
                i = self.n  # insertion into the array sorted latest first
                self.n += 1
                while i > 0 and (
                    self._t[i - 1] < t or (self._t[i - 1] == t and self._k[i - 1] < key)
                ):
                    self._t[i], self._k[i] = self._t[i - 1], self._k[i - 1]
                    i -= 1
                self._t[i], self._k[i] = t, key
                return 0
            self._to_heap()
        self._heap_push(t, key)

    @cython.locals(i=cython.Py_ssize_t, j=cython.Py_ssize_t, t=cython.double,
                   k=cython.longlong)  # fmt: skip
    def _to_heap(self) -> None:
        """The sorted array reversed (earliest first): a valid heap from now on, until the near
        queue is empty again."""
        i, j = 0, self.n - 1
        while i < j:
            t, k = self._t[i], self._k[i]
            self._t[i], self._k[i] = self._t[j], self._k[j]
            self._t[j], self._k[j] = t, k
            i += 1
            j -= 1
        self._as_heap = True

    @cython.locals(i=cython.Py_ssize_t, up=cython.Py_ssize_t)
    def _heap_push(self, t: cython.double, key: cython.longlong) -> None:
        if self.n == self._t.shape[0]:
            self._grow()
        i = self.n
        self.n += 1
        while i > 0:  # sift the hole up while the parent is larger
            up = (i - 1) >> 2
            if self._t[up] < t or (self._t[up] == t and self._k[up] < key):
                break
            self._t[i], self._k[i] = self._t[up], self._k[up]
            i = up
        self._t[i], self._k[i] = t, key

    @cython.locals(top=cython.double, key=cython.longlong)
    def pop(self) -> cython.double:
        """The earliest event (the queue must not be empty): its time; ``kind``, ``a``, ``b``."""
        if self.n == 0:
            self._advance()
        self.size -= 1
        if self._as_heap:
            top, key = self._t[0], self._k[0]
            self._heap_pop()
        else:
            self.n -= 1
            top, key = self._t[self.n], self._k[self.n]
        self.kind = key >> 59
        self.a = ((key >> 30) & _A_MASK) - _A_OFF
        self.b = key & _B_MASK
        return top

    @cython.locals(i=cython.Py_ssize_t, c=cython.Py_ssize_t, n=cython.Py_ssize_t,
                   t=cython.double, key=cython.longlong, tc=cython.double,
                   kc=cython.longlong, j=cython.Py_ssize_t, last=cython.Py_ssize_t)  # fmt: skip
    def _heap_pop(self) -> None:
        """Drop the heap's root."""
        self.n -= 1
        n = self.n
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

    @cython.locals(node=cython.int, nxt=cython.int, s=cython.Py_ssize_t)
    def _advance(self) -> None:
        """The near heap is empty: move the next non-empty bucket's events into it."""
        while self.n == 0:
            if self._ring == 0:  # nothing before the horizon
                self._cur = self._horizon - 1
            self._cur += 1
            if self._cur >= self._horizon:
                self._refill()
            s = self._cur & self._mask
            node = self._head[s]
            self._head[s] = -1
            while node >= 0:
                nxt = self._pn[node]
                self._near_push(self._pt[node], self._pk[node])
                self._pn[node] = self._free
                self._free = node
                self._ring -= 1
                node = nxt

    @cython.locals(node=cython.int, nxt=cython.int, keep=cython.int, x=cython.double,
                   lo=cython.double, s=cython.Py_ssize_t)  # fmt: skip
    def _refill(self) -> None:
        """A new lap of the ring starts at bucket ``_cur`` (the ring is empty): move the
        overflow's events of the next ``nbuckets`` buckets into it (first skipping to the
        overflow's earliest bucket when that is later)."""
        lo = _LAST
        node = self._ovf
        while node >= 0:
            x = self._pt[node] * self._inv
            if not x < _LAST:
                x = _LAST
            lo = min(lo, x)
            node = self._pn[node]
        if lo >= self._cur + 1:
            self._cur = cython.cast(cython.longlong, lo)
        self._horizon = self._cur + self._mask + 1
        node, keep = self._ovf, -1
        while node >= 0:
            nxt = self._pn[node]
            x = self._pt[node] * self._inv
            if not x < _LAST:
                x = _LAST
            if x < self._horizon:
                s = cython.cast(cython.longlong, x) & self._mask
                self._pn[node] = self._head[s]
                self._head[s] = node
                self._ring += 1
            else:
                self._pn[node] = keep
                keep = node
            node = nxt
        self._ovf = keep


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
