# C declarations of fabnet/fab/heap.py (Cython "augmenting .pxd").
cimport cython


cdef int _outside(long kind, long a, long b) except -1


@cython.final
cdef class EventHeap:
    # events in the queue, and in the near heap
    cdef readonly Py_ssize_t size, n
    # the last popped event's kind and ids (readable from Python too)
    cdef readonly long kind, a, b
    # the near heap: times and packed (kind, a, b)
    cdef double[::1] _t
    cdef long long[::1] _k
    cdef bint _as_heap
    # the calendar: bucket numbers, ring of lists (heads), overflow list, pool of nodes
    cdef double _inv
    cdef long long _mask, _cur, _horizon
    cdef Py_ssize_t _ring
    cdef int[::1] _head
    cdef int _ovf, _free, _used
    cdef double[::1] _pt
    cdef long long[::1] _pk
    cdef int[::1] _pn

    cdef int _grow(self) except -1
    cdef int _grow_pool(self) except -1
    cdef int _node(self, double t, long long key) except -1
    cpdef int push(self, double t, long kind, long a, long b) except -1
    cdef int _near_push(self, double t, long long key) except -1
    cdef int _to_heap(self) except -1
    cdef int _heap_push(self, double t, long long key) except -1
    cdef int _heap_pop(self) except -1
    cpdef double pop(self) except? -1.0
    cdef int _advance(self) except -1
    cdef int _refill(self) except -1
