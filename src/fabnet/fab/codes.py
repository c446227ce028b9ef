"""Event kinds, tool states and queue kinds of the fab kernel.

Plain integers here; the compiled kernel cimports the same names as C enum constants from
``codes.pxd`` (kept in step: ``tests/fab/test_kernel.py`` compares them). Ties between events at
one time break in the order of the kinds.
The distributions' codes are :mod:`fabnet.fab.model`'s, repeated here for the compiled modules.
"""

from __future__ import annotations

from fabnet.fab.model import DIST_CONST, DIST_EXP, DIST_UNIFORM

__all__ = [
    "ARRIVE", "BUSY", "CAL", "COMPLETE", "DIST_CONST", "DIST_EXP", "DIST_UNIFORM", "DOWN", "HOT", "IDLE", "PM", "RELEASE", "SAMPLE",
    "TOOL_FREE", "UP", "WAITING", "WAKE", "WARMUP",
]  # fmt: skip

# event kinds
ARRIVE, TOOL_FREE, COMPLETE, RELEASE, CAL, UP, WAKE, SAMPLE, WARMUP = range(9)
# tool states (also the rows of the time-in-state table)
IDLE, BUSY, DOWN, PM = range(4)
# a group's two queues: every waiting lot, and the hot (high-priority) ones among them
WAITING, HOT = 0, 1
