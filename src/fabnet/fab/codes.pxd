# C constants of fabnet/fab/codes.py (same names, same values) for the compiled kernel.

cdef enum:
    ARRIVE = 0
    TOOL_FREE = 1
    COMPLETE = 2
    RELEASE = 3
    CAL = 4
    UP = 5
    WAKE = 6
    SAMPLE = 7
    WARMUP = 8

cdef enum:
    IDLE = 0
    BUSY = 1
    DOWN = 2
    PM = 3

cdef enum:
    WAITING = 0
    HOT = 1

cdef enum:
    DIST_UNIFORM = 0
    DIST_EXP = 1
    DIST_CONST = 2
