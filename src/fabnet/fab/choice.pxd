# C declarations of fabnet/fab/choice.py (Cython "augmenting .pxd").
cimport cython

from fabnet.fab.state cimport State


cdef class Choice(State):
    @cython.final
    cdef long _top_priority(self, long f) noexcept
    @cython.final
    cdef long choose_fifo(self, long t, long f) noexcept
    @cython.final
    cdef long choose_by_key(self, long t, long f, double now) except? -2
    @cython.final
    cdef long choose_batch(self, long t, long f, double now) except? -1
    @cython.final
    cdef long _take_batch(self, long t, long g0, long m, long n) noexcept
    @cython.final
    cdef long _idle_tool_for_setup(self, long f, long s) noexcept
