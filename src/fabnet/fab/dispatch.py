"""Dispatching rules: which waiting lot a free tool takes next.

Every rule first serves the highest lot priority present (hot and super-hot lots; SMT2020's
``rule_HotLotFIRST``), then the lowest key among lots of that priority. A tool inside a minimum
run (SMT2020 ``setupgrp.txt``) prefers lots of its current setup. Keys (lower first):

========== ===================================================================================
fifo       time the lot entered the queue (first in, first out)
cr         critical ratio (due − now) / remaining raw process time (Rose 2002, "Analysis of the
           critical ratio rule in semiconductor fabs"); late lots have negative CR and go first
edd        due date (earliest due date)
spt        mean processing time of the lot's current step (shortest processing time)
setup      lots needing no setup on this tool first, then FIFO (SMT2020 ``rank_RSETUP``)
cqt        lots inside a critical queue-time window first, by deadline; then FIFO
========== ===================================================================================

A user's own rule is a callable ``rule(state, lot, tool, now) -> float`` (lower first) where
``state`` is the running :class:`fabnet.fab.engine.Engine` (read its ``lot_*`` and ``step_*``
lists, e.g. ``state.lot_due[lot]``, ``state.lot_step[lot]``, ``state.step_mean[step]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fabnet.errors import UsageError

__all__ = ["RULES", "DispatchRule", "key_function"]

DispatchRule = Callable[[Any, int, int, float], float]

RULES = ("fifo", "cr", "edd", "spt", "setup", "cqt")

_BIG = 1e12


def key_function(rule: str | DispatchRule, state: Any) -> Callable[[int, int, float], float]:
    """The ``key(lot, tool, now)`` of a rule name or a user callable, bound to ``state``."""
    if callable(rule):
        user = rule

        def user_key(lot: int, tool: int, now: float) -> float:
            return float(user(state, lot, tool, now))

        return user_key
    qin, due, step = state.lot_queue_entry, state.lot_due, state.lot_step
    if rule == "fifo":
        return lambda lot, tool, now: qin[lot]
    if rule == "edd":
        return lambda lot, tool, now: due[lot]
    if rule == "cr":
        rem = state.step_remaining_rpt

        def cr(lot: int, tool: int, now: float) -> float:
            r = rem[step[lot]]
            return (due[lot] - now) / r if r > 0 else _BIG

        return cr
    if rule == "spt":
        mean = state.step_mean
        return lambda lot, tool, now: mean[step[lot]] * _BIG + qin[lot]
    if rule == "setup":
        setup_of, tool_setup = state.step_setup, state.tool_setup

        def setup(lot: int, tool: int, now: float) -> float:
            s = setup_of[step[lot]]
            return qin[lot] + (_BIG if s >= 0 and s != tool_setup[tool] else 0.0)

        return setup
    if rule == "cqt":
        deadline = state.lot_cqt_deadline

        def cqt(lot: int, tool: int, now: float) -> float:
            d = deadline[lot]
            return d - _BIG if d < _BIG else qin[lot]

        return cqt
    raise UsageError(f"unknown dispatching rule {rule!r}; valid: {', '.join(RULES)} or a callable")
