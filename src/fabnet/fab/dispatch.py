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

Each rule is a :class:`Rule` whose :meth:`Rule.key` the event kernel (:mod:`fabnet.fab.kernel`)
calls for every eligible lot it compares. The kernel is compiled from the same sources as this
module (``setup.py``; the C types are declared in ``dispatch.pxd``), so that call is a C call
with typed arguments: the interface is ``key(view, lot, tool, now) -> float``.

A user's own rule is any callable ``rule(view, lot, tool, now) -> float`` (lower first), passed
as ``SimConfig(dispatch=rule)``. ``view`` is a :class:`LotView`: a read-only window on the
running simulation (``view.due(lot)``, ``view.queue_entry(lot)``, ``view.step(lot)``,
``view.step_mean(view.step(lot))``, ``view.tool_setup(tool)``, ...). It reads the kernel's
tables at the moment of the call; it has no way to change them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cython

__all__ = ["RULES", "DispatchRule", "LotView", "Rule", "make_rule"]

DispatchRule = Callable[[Any, int, int, float], float]

BIG = 1e12  # a key term that outranks any time in minutes


class LotView:
    """What a dispatching rule may read about lots, steps and tools (read-only).

    Lots, steps and tools are integer ids (``step`` is numbered over all routes). Times are
    minutes from the start of the run. The kernel keeps the view pointed at its current tables
    (they are replaced when they grow), so read through the view at each call and keep no
    table.
    """

    def __init__(self) -> None:
        if not cython.compiled:  # compiled: typed tables, bound by the kernel before any call
            self._qin = self._due = self._cqtd = self._rel = []
            self._step = self._prio = self._prod = []
            self._s_rem = self._s_mean = []
            self._s_setup = self._t_setup = []

    def queue_entry(self, lot: int) -> float:
        """Time the lot joined the queue it waits in."""
        return self._qin[lot]

    def due(self, lot: int) -> float:
        """The lot's due date."""
        return self._due[lot]

    def release(self, lot: int) -> float:
        """Time the lot was released (negative for the initial WIP)."""
        return self._rel[lot]

    def cqt_deadline(self, lot: int) -> float:
        """End of the lot's open critical queue-time window (``inf``: none open)."""
        return self._cqtd[lot]

    def step(self, lot: int) -> int:
        """The step the lot waits for."""
        return self._step[lot]

    def priority(self, lot: int) -> int:
        """The lot's priority (higher is more urgent)."""
        return self._prio[lot]

    def product(self, lot: int) -> int:
        """The lot's product (index into the model's products)."""
        return self._prod[lot]

    def remaining_rpt(self, step: int) -> float:
        """Raw process time from ``step`` to the end of its route (sampling-weighted means)."""
        return self._s_rem[step]

    def step_mean(self, step: int) -> float:
        """Mean processing time of ``step`` (per lot or batch)."""
        return self._s_mean[step]

    def step_setup(self, step: int) -> int:
        """Setup id ``step`` needs (-1: none)."""
        return self._s_setup[step]

    def tool_setup(self, tool: int) -> int:
        """The setup id ``tool`` has now (-1: none yet)."""
        return self._t_setup[tool]


class Rule:
    """A dispatching rule: the kernel serves the lowest :meth:`key` (after priority and setup).

    ``fifo`` is true for the first-in-first-out rule, for which the kernel takes a queue's
    head directly (the queue is kept in arrival order) instead of comparing keys.
    """

    def __init__(self, name: str, fifo: bool = False) -> None:
        self.name = name
        self.fifo = fifo

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        raise NotImplementedError


class Fifo(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "fifo", True)

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        return v._qin[lot]


class CriticalRatio(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "cr")

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        r: cython.double = v._s_rem[v._step[lot]]
        return (v._due[lot] - now) / r if r > 0 else BIG


class EarliestDue(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "edd")

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        return v._due[lot]


class ShortestProcessing(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "spt")

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        return v._s_mean[v._step[lot]] * BIG + v._qin[lot]


class SetupAvoiding(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "setup")

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        s: cython.long = v._s_setup[v._step[lot]]
        return v._qin[lot] + (BIG if s >= 0 and s != v._t_setup[tool] else 0.0)


class CriticalQueueTime(Rule):
    def __init__(self) -> None:
        Rule.__init__(self, "cqt")

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        d: cython.double = v._cqtd[lot]
        return d - BIG if d < BIG else v._qin[lot]


class UserRule(Rule):
    """A user's callable ``fn(view, lot, tool, now) -> float``."""

    def __init__(self, fn: Any) -> None:
        Rule.__init__(self, getattr(fn, "__name__", "user"))
        self.fn = fn

    def key(self, v: LotView, lot: cython.long, tool: cython.long, now: cython.double) -> float:
        return float(self.fn(v, lot, tool, now))


_BUILT_IN: dict[str, Any] = {
    "fifo": Fifo,
    "cr": CriticalRatio,
    "edd": EarliestDue,
    "spt": ShortestProcessing,
    "setup": SetupAvoiding,
    "cqt": CriticalQueueTime,
}
RULES = tuple(_BUILT_IN)


def make_rule(rule: str | DispatchRule) -> Rule:
    """The :class:`Rule` for a rule name in :data:`RULES` or a user's callable."""
    if isinstance(rule, str):
        return _BUILT_IN[rule]()
    return UserRule(rule)
