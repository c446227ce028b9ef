# C declarations of fabnet/fab/kernel.py (Cython "augmenting .pxd").
cimport cython

from fabnet.fab.choice cimport Choice


@cython.final
cdef class Kernel(Choice):
    cdef release_lot(self, long o, double now)
    cdef _loop(self)
    cdef on_complete(self, long lot, double now)
    cdef on_release(self, long o, long b, double now)
    cdef on_calendar(self, long c, long t, double now)
    cdef on_up(self, long t, long c, double now)
    cdef on_sample(self, double now)
    cdef on_warmup(self, double now)
    cdef arrive(self, long lot, double now)
    cdef start_lot(self, long t, long lot, double now)
    cdef start_batch(self, long t, list lots, double now)
    cdef start(self, long t, long n, double now)
    cdef double _setup(self, long t, long g, long s)
    cdef _count_wafers(self, long t, long pieces)
    cdef route(self, long lot, long t, long f, double done, double now)
    cdef free_tool(self, long t, double now)
    cdef begin_down(self, long t, long c, double now)
    cdef try_idle(self, long f, double now)
    cdef bint dispatch_tool(self, long t, double now)
