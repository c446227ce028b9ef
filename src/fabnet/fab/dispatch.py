"""Dispatching rules: which waiting lot a free tool takes next.

Every rule first serves the highest lot priority present (hot and super-hot lots; SMT2020's
``rule_HotLotFIRST``), then the lowest key among lots of that priority. A tool inside a minimum
run (SMT2020 ``setupgrp.txt``) prefers lots of its current setup. Keys (lower first):

========== ===================================================================================
fifo       time the lot entered the queue (first in, first out)
cr         critical ratio (due − now) / remaining raw process time (as PySCFabSim's
           ``Lot.cr``); late lots have negative CR and go first. Its cycle time depends on
           how tight due dates are (O. Rose, "Some issues of the critical ratio dispatch rule
           in semiconductor manufacturing", WSC 2002): with due dates looser than the flow
           factor the fab achieves, CR grows as a lot nears the end of its route, so nearly
           finished lots wait behind young ones and cycle time rises
edd        due date (earliest due date)
spt        mean processing time of the lot's current step (shortest processing time)
setup      lots needing no setup on this tool first, then FIFO (SMT2020 ``rank_RSETUP``)
cqt        lots inside a critical queue-time window first, by deadline; then FIFO
========== ===================================================================================

The keys are computed in the event loop (``lot_key`` in :mod:`fabnet.fab.kernel`, typed there so
that the compiled kernel scans a queue at C speed); this module names and defines them.

A user's own rule is a callable ``rule(state, lot, tool, now) -> float`` (lower first) where
``state`` is the running :class:`fabnet.fab.engine.Engine` (read its ``lot_*`` and ``step_*``
tables, e.g. ``state.lot_due[lot]``, ``state.lot_step[lot]``, ``state.step_mean[step]``; the lot
tables are NumPy arrays when the kernel is compiled, lists otherwise — index them, do not keep
them across calls: they are replaced when they grow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["RULES", "DispatchRule"]

DispatchRule = Callable[[Any, int, int, float], float]

RULES = ("fifo", "cr", "edd", "spt", "setup", "cqt")
