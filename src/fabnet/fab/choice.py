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

    @cython.locals(lot=cython.long, n=cython.long, i=cython.long, j=cython.long,
                   r=cython.long, cnt=cython.long, g=cython.long, bmin=cython.long,
                   bmax=cython.long, p=cython.long, k=cython.double, first=cython.bint,
                   s0=cython.long, s1=cython.double, s2=cython.double, have=cython.bint,
                   b0=cython.long, b1=cython.double, b2=cython.double, bg=cython.long,
                   bcnt=cython.long, bbmax=cython.long)  # fmt: skip
    def choose_batch(self, t: cython.long, f: cython.long, now: cython.double) -> cython.long:
        """A batch for tool ``t`` from group ``f``'s queue, written to the tool's job table
        (``J_lots``); returns its number of lots (0: none). Lots of one recipe, at least its
        minimum (or the oldest waited ``batch_wait``), at most its maximum, by priority then
        the rule's key, ties to the lot queued first. The recipe wins by (highest priority,
        fullest batch, lowest key of its best lot), ties to the recipe queued first.

        Recipes are taken in the order of their first lot in the queue, and the rule's key is
        asked for each lot of a recipe that qualifies, in queue order (what a user's rule sees
        does not change). No Python object: the queue is copied to the scratch tables
        ``B_lot``, ``B_grp`` (the position of the recipe's first lot) and ``B_key``."""
        n = self.G_len[2 * f + WAITING]
        if n > self.B_cap:
            self._batch_room(n)
        i, lot = 0, self.G_head[2 * f + WAITING]
        while lot >= 0:
            self.B_lot[i], self.B_grp[i] = lot, -1
            i += 1
            lot = self.L_next[2 * lot + WAITING]
        have, bg, bcnt, bbmax = False, -1, 0, 0
        b0, b1, b2 = 0, 0.0, 0.0
        for i in range(n):
            if self.B_grp[i] >= 0:
                continue
            r = self.S_recipe[self.L_step[self.B_lot[i]]]
            cnt = 0
            for j in range(i, n):
                if self.S_recipe[self.L_step[self.B_lot[j]]] == r:
                    self.B_grp[j] = i
                    cnt += 1
            lot = self.B_lot[i]
            g = self.L_step[lot]
            bmin, bmax = self.S_bmin[g], self.S_bmax[g]
            if cnt < bmin and (not self.has_batch_wait or now - self.L_qin[lot] < self.batch_wait):
                continue
            first, s0, s2 = True, 0, 0.0
            for j in range(i, n):  # the recipe's best lot by (-priority, key), first queued
                if self.B_grp[j] == i:
                    lot = self.B_lot[j]
                    k = self.rule.key(self.view, lot, t, now)
                    self.B_key[j] = k
                    p = -self.L_prio[lot]
                    if first or p < s0 or (p == s0 and k < s2):
                        first, s0, s2 = False, p, k
            s1 = -cython.cast(cython.double, min(cnt, bmax)) / bmax
            if not have or s0 < b0 or (s0 == b0 and (s1 < b1 or (s1 == b1 and s2 < b2))):
                have, bg, bcnt, bbmax = True, i, cnt, bmax
                b0, b1, b2 = s0, s1, s2
        if not have:
            return 0
        return self._take_batch(t, bg, min(bcnt, bbmax), n)

    @cython.locals(i=cython.long, j=cython.long, best=cython.long, p=cython.long,
                   bp=cython.long, k=cython.double, bk=cython.double)  # fmt: skip
    def _take_batch(self, t: cython.long, g0: cython.long, m: cython.long,
                    n: cython.long) -> cython.long:  # fmt: skip
        """The first ``m`` lots of the recipe whose first lot is at position ``g0`` of the
        scratch tables, in the order (-priority, key, position), into tool ``t``'s job table
        (each taken lot's ``B_grp`` set to -2)."""
        for i in range(m):
            best, bp, bk = -1, 0, 0.0
            for j in range(g0, n):
                if self.B_grp[j] == g0:
                    p, k = -self.L_prio[self.B_lot[j]], self.B_key[j]
                    if best < 0 or p < bp or (p == bp and k < bk):
                        best, bp, bk = j, p, k
            self.B_grp[best] = -2
            self.J_lots[t * self.jmax + i] = self.B_lot[best]
        return m

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
