# C declarations of fabnet/fab/dispatch.py for the compiled build (Cython "augmenting .pxd"):
# the kernel cimports LotView and Rule and calls Rule.key as a C method. Interpreted runs
# ignore this file.

cdef double BIG

cdef class LotView:
    cdef double[::1] _qin, _due, _cqtd, _rel, _s_rem, _s_mean
    cdef long[::1] _step, _prio, _prod, _s_setup, _t_setup

cdef class Rule:
    cdef readonly str name
    cdef readonly bint fifo
    cpdef double key(self, LotView v, long lot, long tool, double now)

cdef class Fifo(Rule):
    pass

cdef class CriticalRatio(Rule):
    pass

cdef class EarliestDue(Rule):
    pass

cdef class ShortestProcessing(Rule):
    pass

cdef class SetupAvoiding(Rule):
    pass

cdef class CriticalQueueTime(Rule):
    pass

cdef class UserRule(Rule):
    cdef readonly object fn
