# C declarations of fabnet/fab/kernel.py (Cython "augmenting .pxd").
cimport cython

from fabnet.fab.choice cimport Choice


@cython.final
cdef class Kernel(Choice):
    cdef int release_lot(self, long o, double now) except -1
    cdef int _loop(self) except -1
    cdef int on_complete(self, long lot, double now) except -1
    cdef int on_release(self, long o, long b, double now) except -1
    cdef int on_calendar(self, long c, long t, double now) except -1
    cdef int on_up(self, long t, long c, double now) except -1
    cdef int on_sample(self, double now) except -1
    cdef int on_warmup(self, double now) except -1
    cdef int arrive(self, long lot, double now) except -1
    cdef int start_lot(self, long t, long lot, double now) except -1
    cdef int start(self, long t, long n, double now) except -1
    cdef double _setup(self, long t, long g, long s) except? -1
    cdef int _count_wafers(self, long t, long pieces) except -1
    cdef int route(self, long lot, long t, long f, double done, double now) except -1
    cdef int free_tool(self, long t, double now) except -1
    cdef int begin_down(self, long t, long c, double now) except -1
    cdef int try_idle(self, long f, double now) except -1
    cdef bint dispatch_tool(self, long t, double now) except -1
