# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""Which lot (or batch) a free tool takes: the dispatching choices of the fab kernel.

:class:`Choice` sits between :class:`~fabnet.fab.state.State` and
:class:`~fabnet.fab.kernel.Kernel`; its methods read the queues and ask the rule
(:class:`fabnet.fab.dispatch.Rule`) for keys, and change nothing.
"""

from __future__ import annotations

import sys
from importlib import import_module

import cython

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    for _name in ("codes", "state"):
        sys.modules.setdefault(
            "cython.cimports.fabnet.fab." + _name, import_module("fabnet.fab." + _name)
        )
from cython.cimports.fabnet.fab.codes import HOT, WAITING
from cython.cimports.fabnet.fab.state import State

__all__ = ["Choice"]

INF = cython.declare(cython.double, float("inf"))


class Choice(State):
    """The dispatching choices (see the module's docstring)."""

    @cython.locals(lot=cython.long, best=cython.long, p=cython.long, bp=cython.long)
    def _top_priority(self, f: cython.long) -> cython.long:
        """The first of the highest-priority lots in group ``f``'s hot list (-1: none)."""
        best, bp = -1, 0
        lot = self.G_head[2 * f + HOT]
        while lot >= 0:
            p = self.L_prio[lot]
            if best < 0 or p > bp:
                best, bp = lot, p
            lot = self.L_next[2 * lot + HOT]
        return best

    @cython.locals(lot=cython.long, best=cython.long, bp=cython.long, bns=cython.bint,
                   cur=cython.long, check_ded=cython.bint, req=cython.long, p=cython.long,
                   s=cython.long, ns=cython.bint)  # fmt: skip
    def choose_fifo(self, t: cython.long, f: cython.long) -> cython.long:
        """FIFO as SMT2020's tool.txt ranks it, ``rank_HP; rank_RSETUP; rank_FIFO``, in one pass
        over the queue (kept in arrival order): highest priority, then no setup, then first
        in. A tool in a minimum run keeps its setup, so "no setup" also keeps the run."""
        if not self.G_ded[f] and not self.G_setups[f]:
            if self.G_len[2 * f + HOT] > 0:
                return self._top_priority(f)
            return self.G_head[2 * f + WAITING]
        cur = self.T_setup[t]
        check_ded = self.G_ded[f]
        best, bp, bns = -1, -1, False
        lot = self.G_head[2 * f + HOT]
        while lot >= 0:  # hot lots first: any eligible one beats every normal lot
            req = self.L_req[lot] if check_ded else -1
            p = self.L_prio[lot]
            if (req < 0 or req == t) and p >= bp:
                s = self.S_setup[self.L_step[lot]]
                ns = s == -1 or s == cur
                if p > bp or (ns and not bns):
                    best, bp, bns = lot, p, ns
            lot = self.L_next[2 * lot + HOT]
        if best >= 0:
            return best
        lot = self.G_head[2 * f + WAITING]
        while lot >= 0:  # normal lots: the first eligible one needing no setup, else the first
            req = self.L_req[lot] if check_ded else -1
            if (req < 0 or req == t) and self.L_prio[lot] <= self.base_prio:
                s = self.S_setup[self.L_step[lot]]
                if s == -1 or s == cur:
                    return lot
                if best < 0:
                    best = lot
            lot = self.L_next[2 * lot + WAITING]
        return best

    @cython.locals(lot=cython.long, best=cython.long, bp=cython.long, bns=cython.bint,
                   cur=cython.long, check_ded=cython.bint, req=cython.long, p=cython.long,
                   s=cython.long, ns=cython.bint, keep=cython.long, setups=cython.bint,
                   mr=cython.bint, b_mr=cython.bint, k=cython.double,
                   b_key=cython.double)  # fmt: skip
    def choose_by_key(self, t: cython.long, f: cython.long, now: cython.double) -> cython.long:
        """Every rule but FIFO, in one pass over the eligible lots, lexicographically: lots that
        keep the tool's minimum run, then the highest priority (rank_HP), then no setup on a
        setup group (rank_RSETUP), then the lowest key; ties go to the lot queued first."""
        check_ded = self.G_ded[f]
        keep = self.T_mr_setup[t] if self.T_mr_left[t] > 0 else -2  # -2: no minimum run
        setups = self.G_setups[f]
        cur = self.T_setup[t]
        best, b_mr, bp, bns, b_key = -1, False, 0, False, INF
        nxt: cython.long = self.G_head[2 * f + WAITING]
        while nxt >= 0:
            lot = nxt
            nxt = self.L_next[2 * lot + WAITING]
            if check_ded:
                req = self.L_req[lot]
                if req >= 0 and req != t:
                    continue
            s = self.S_setup[self.L_step[lot]]
            mr = s == keep
            p = self.L_prio[lot]
            ns = setups and (s == -1 or s == cur)
            if best >= 0:
                if mr != b_mr:
                    if not mr:
                        continue
                elif p != bp:
                    if p < bp:
                        continue
                elif ns != bns:
                    if not ns:
                        continue
                else:  # tied so far: the key decides
                    k = self.rule.key(self.view, lot, t, now)
                    if k < b_key:
                        best, b_key = lot, k
                    continue
            best, b_mr, bp, bns = lot, mr, p, ns
            b_key = self.rule.key(self.view, lot, t, now)
        return best

    @cython.locals(lot=cython.long, g=cython.long, n=cython.long, bmin=cython.long,
                   bmax=cython.long, i=cython.long, s0=cython.long, s1=cython.double,
                   s2=cython.double, b0=cython.long, b1=cython.double, b2=cython.double,
                   have=cython.bint)  # fmt: skip
    def choose_batch(self, t: cython.long, q: list, now: cython.double) -> list:
        """A batch for tool ``t``: lots of one recipe, at least its minimum (or the oldest
        waited ``batch_wait``), at most its maximum, by priority then the rule's key. The
        recipe wins by (highest priority, fullest batch, lowest key of its first lot)."""
        by_recipe: dict = {}
        for lot in q:
            by_recipe.setdefault(self.S_recipe[self.L_step[lot]], []).append(lot)
        best: list = []
        have = False
        b0, b1, b2 = 0, 0.0, 0.0
        for lots in by_recipe.values():
            lot = lots[0]
            g = self.L_step[lot]
            n, bmin, bmax = len(lots), self.S_bmin[g], self.S_bmax[g]
            if n < bmin and (not self.has_batch_wait or now - self.L_qin[lot] < self.batch_wait):
                continue
            keyed = []  # stable sort by (-priority, key): the index breaks ties
            for i in range(n):
                lot = lots[i]
                keyed.append((-self.L_prio[lot], self.rule.key(self.view, lot, t, now), i))
            keyed.sort()
            lots = [lots[kk[2]] for kk in keyed]
            s0, s1, s2 = keyed[0][0], -cython.cast(cython.double, min(n, bmax)) / bmax, keyed[0][1]
            if not have or s0 < b0 or (s0 == b0 and (s1 < b1 or (s1 == b1 and s2 < b2))):
                best, have = lots[:bmax], True
                b0, b1, b2 = s0, s1, s2
        return best

    @cython.locals(i=cython.long, first=cython.long, n=cython.long)
    def _idle_tool_for_setup(self, f: cython.long, s: cython.long) -> cython.long:
        """An idle tool of group ``f`` that has setup ``s``, else the first not in a minimum
        run, else the one that became idle last."""
        first, n = self.G_first[f], self.G_nidle[f]
        for i in range(first, first + n):
            if self.T_setup[self.I_tools[i]] == s:
                return self.I_tools[i]
        for i in range(first, first + n):
            if self.T_mr_left[self.I_tools[i]] <= 0:
                return self.I_tools[i]
        return self.I_tools[first + n - 1]
