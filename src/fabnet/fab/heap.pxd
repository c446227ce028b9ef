# C declarations of fabnet/fab/heap.py (Cython "augmenting .pxd").
cimport cython


@cython.final
cdef class EventHeap:
    cdef readonly Py_ssize_t size
    # the last popped event's kind and ids (readable from Python too)
    cdef readonly long kind, a, b
    cdef double[::1] _t
    cdef long long[::1] _k

    cdef int _grow(self) except -1
    cpdef int push(self, double t, long kind, long a, long b) except -1
    cpdef double pop(self) noexcept
