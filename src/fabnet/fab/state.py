# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The fab kernel's state: the engine's tables as typed attributes, and the small structures
the event handlers work on (group queues, idle-tool stacks, heaps of lazily busy tools).

:class:`State` is the base of :class:`fabnet.fab.kernel.Kernel`; compiled (``state.pxd``) its
attributes are C arrays and numbers and its methods C functions. Interpreted, the tables are
lists (:func:`longs`, :func:`doubles`).
"""

from __future__ import annotations

import sys
import time as _time
from collections.abc import Callable
from importlib import import_module
from typing import Any

import cython
import numpy as np

from fabnet.fab import dispatch as _dispatch

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    for _name in ("codes", "dispatch", "heap", "streams"):
        sys.modules.setdefault(
            "cython.cimports.fabnet.fab." + _name, import_module("fabnet.fab." + _name)
        )
from cython.cimports.fabnet.fab.codes import (
    ARRIVE,
    BUSY,
    HOT,
    IDLE,
    TOOL_FREE,
    WAITING,
)  # fmt: skip

from fabnet.fab.heap import EventHeap, TupleHeap
from fabnet.fab.rng import STREAMS
from fabnet.fab.streams import Uniforms

__all__ = ["DAY", "State", "doubles", "grown", "longs", "tolist"]

DAY = 1440.0
INF = cython.declare(cython.double, float("inf"))


def longs(values: list[Any]) -> Any:
    """A table of C longs: a NumPy array (viewed as ``long[::1]``) when compiled, else a list."""
    if cython.compiled:
        return np.array(values, dtype=np.int_)
    return [int(v) for v in values]


def doubles(values: list[Any]) -> Any:
    """A table of C doubles: a NumPy array when compiled, else a list of floats."""
    if cython.compiled:
        return np.array(values, dtype=np.float64)
    return [float(v) for v in values]


def grown(table: Any, size: int) -> Any:
    """``table`` lengthened to ``size`` entries (zeros appended): a new array when compiled, the
    same list extended in place when interpreted."""
    if cython.compiled:
        old = np.asarray(table)
        new = np.zeros(size, dtype=old.dtype)
        new[: len(old)] = old
        return new
    table.extend([table[0] * 0] * (size - len(table)))
    return table


def tolist(values: Any) -> list[Any]:
    """Back to Python numbers (for the result records), from either kind of table."""
    return np.asarray(values).tolist() if cython.compiled else list(values)


class State:
    """One run: the engine's tables as typed attributes, and the event handlers as methods.

    Ids: ``g`` a step (numbered over all routes), ``f`` a tool group, ``t`` a tool, ``c`` a
    down calendar, ``lot`` a lot, ``o`` an order. Tables are named by what they index:
    ``S_*`` steps, ``G_*`` groups, ``T_*`` tools, ``C_*`` calendars, ``L_*`` lots, ``K_*``
    wafer-count PM counters. Queues (``Q``) are lists of lots in arrival order.
    """

    def __init__(self, engine: Any, progress: Callable[[float], None] | None, lot_cap: int) -> None:
        self.wall0 = _time.perf_counter()
        self.engine, self.model, self.progress = engine, engine.model, progress
        cfg = engine.config
        self.end, self.warm = cfg.days * DAY, cfg.warmup_days * DAY
        self.lf, self.sample_minutes = cfg.load_factor, cfg.sample_minutes
        self.has_batch_wait = cfg.batch_wait_minutes is not None
        self.batch_wait = cfg.batch_wait_minutes if self.has_batch_wait else 0.0
        self.conwip, self.conwip_cap = cfg.release == "conwip", cfg.conwip_cap
        self.nested = cfg.nested_pms
        self.orders, self.lot_list = list(self.model.orders), tuple(cfg.lot_list)
        children = np.random.SeedSequence(cfg.seed).spawn(len(STREAMS))
        u = {name: Uniforms(c) for name, c in zip(STREAMS, children, strict=True)}
        self.u_proc, self.u_trans, self.u_route = u["process"], u["transport"], u["routing"]
        self.u_down, self.u_rel = u["downs"], u["release"]
        if cython.compiled:
            self.H = EventHeap()
        else:
            heap = TupleHeap()
            self.H, self.items = heap, heap.items  # type: ignore[assignment]
        self.rule = _dispatch.make_rule(cfg.dispatch)
        self.fast_fifo = self.rule.fifo
        self._init_steps(engine)
        self._init_calendars(self.model.calendars)
        self._init_groups_and_tools(engine)
        self._init_lots(cfg, lot_cap)
        self.view = _dispatch.LotView()
        self._bind_view()

    def _init_steps(self, e: Any) -> None:
        n_steps = len(e.step_last)
        # critical queue times checked at step g: S_cqt_n[g], of them too late S_cqt_late[g];
        # the steps in the order of their first check
        self.S_cqt_n, self.S_cqt_late = longs([0] * n_steps), longs([0] * n_steps)
        self.cqt_steps = []
        self.S_group, self.S_setup = longs(e.step_group), longs(e.step_setup)
        self.S_dist, self.S_recipe = longs(e.step_dist), longs(e.step_recipe)
        self.S_rwto, self.S_cqt_to = longs(e.step_rework_to), longs(e.step_cqt_to)
        self.S_ded, self.S_last = longs(e.step_dedicate_to), longs(e.step_last)
        self.S_bmin, self.S_bmax = longs(e.step_bmin), longs(e.step_bmax)
        self.S_next = longs([-1 if last else g + 1 for g, last in enumerate(e.step_last)])
        self.S_special = longs(  # CQT start, lot-to-lens dedication or rework at this step
            [
                e.step_cqt_to[g] >= 0 or e.step_dedicate_to[g] >= 0 or e.step_rework[g] > 0
                for g in range(n_steps)
            ]
        )
        self.S_lo, self.S_w, self.S_mean = (
            doubles(e.step_lo), doubles(e.step_w), doubles(e.step_mean),
        )  # fmt: skip
        self.S_tool, self.S_stime = doubles(e.step_tool_minutes), doubles(e.step_setup_minutes)
        self.S_sample, self.S_rework = doubles(e.step_sample), doubles(e.step_rework)
        self.S_cqt, self.S_rem = doubles(e.step_cqt_minutes), doubles(e.step_remaining_rpt)
        self.setup_minutes, self.min_run = e.setup_minutes, e.setup_min_run
        self.route_first, self.product_route = e.route_first, e.product_route

    def _init_calendars(self, cals: list[Any]) -> None:
        self.C_down = longs([cal.kind == "down" for cal in cals])
        self.C_pm = longs([cal.kind == "pm" for cal in cals])
        self.C_every_dist = longs([cal.every_dist for cal in cals])
        self.C_rdist = longs([cal.repair_dist for cal in cals])
        self.C_every = doubles([cal.every for cal in cals])
        self.C_rmean = doubles([cal.repair_mean for cal in cals])
        self.C_rhalf = doubles([cal.repair_half_width for cal in cals])

    def _init_groups_and_tools(self, e: Any) -> None:
        m = self.model
        nt: cython.long = len(e.tool_group)
        ng: cython.long = len(m.groups)
        self.nt, self.ng = nt, ng
        self.G_load, self.G_tload = doubles(e.group_load), doubles(e.group_tool_load)
        self.G_fab, self.G_batch = longs(e.group_fab), longs(e.group_batch)
        self.G_ded, self.G_setups = longs(e.group_dedicated), longs(e.group_setups)
        self.G_plain = longs(
            [
                self.fast_fifo
                and not (e.group_batch[f] or e.group_dedicated[f] or e.group_setups[f])
                for f in range(ng)
            ]
        )
        self.q_sum, self.q_n = doubles([0.0] * ng), longs([0] * ng)
        self.has_transport = m.transport[0] > 0
        self.tr_lo, self.tr_w = m.transport[0] - m.transport[1], 2 * m.transport[1]
        self.T_group, self.T_setup = longs(e.tool_group), longs([-1] * nt)
        self.T_state = longs([IDLE] * nt)
        self.T_since, self.T_free = doubles([0.0] * nt), doubles([0.0] * nt)
        self.T_tok, self.T_mr_left = longs([0] * nt), longs([0] * nt)
        self.T_mr_setup, self.T_lazy = longs([-1] * nt), longs([0] * nt)
        self.T_setup_acc = doubles([0.0] * nt)
        # wafer-count PM counters: none until the first downs are set (after the initial WIP
        # started, whose first jobs are not counted)
        self.T_k0, self.T_k1 = longs([0] * nt), longs([0] * nt)
        self.K_cal, self.K_left = longs([]), doubles([])
        self.acc = doubles([0.0] * (4 * nt))  # minutes per tool state: acc[state * nt + tool]
        # the job in process on tool t: lots J_lots[t * jmax + i] for i < T_njob[t]
        self.jmax = max(1, max(e.step_bmax, default=1))
        self.T_njob, self.J_lots = longs([0] * nt), longs([0] * (nt * self.jmax))
        # the batch choice's scratch tables, one entry per queued lot (Choice.choose_batch)
        self.B_cap = 0
        self._batch_room(64)
        self.T_pending = [[] for _ in range(nt)]  # calendars due, waiting for the job to end
        self.T_npend = longs([0] * nt)  # their number
        self.T_pm_last = [{} for _ in range(nt)]  # nested PMs: interval -> last due
        # the idle tools of group f, in the order they became idle: a stack in
        # I_tools[G_first[f] : G_first[f] + G_nidle[f]] (all idle at the start)
        self.I_tools = longs([t for ts in e.group_tools for t in ts])
        self.G_nidle = longs([len(ts) for ts in e.group_tools])
        # queue k (WAITING or HOT) of group f: first lot G_head[2 * f + k], last G_tail[...],
        # length G_len[...]; lot's successor L_next[2 * lot + k], predecessor L_prev[...]
        self.G_head, self.G_tail = longs([-1] * (2 * ng)), longs([-1] * (2 * ng))
        self.G_len = longs([0] * (2 * ng))
        # tools of group f: G_first[f] .. G_first[f] + G_ntools[f] - 1; G_nlazy[f] of them
        # lazily busy (see start)
        self.G_first = longs([ts[0] for ts in e.group_tools])
        self.G_ntools = longs([len(ts) for ts in e.group_tools])
        self.G_nlazy = longs([0] * ng)
        # the lazily busy tools of group f: a binary heap by (T_free, tool) in
        # Z_tools[G_first[f] : G_first[f] + G_nlazy[f]]; T_zpos[t]: t's place in it
        self.Z_tools, self.T_zpos = longs([0] * nt), longs([0] * nt)

    def _init_lots(self, cfg: Any, lot_cap: int) -> None:
        m = self.model
        self.n_lots = 0
        self.lot_cap = lot_cap
        cap = self.lot_cap
        self.L_step, self.L_prod = longs([0] * cap), longs([0] * cap)
        self.L_prio, self.L_order = longs([0] * cap), longs([0] * cap)
        self.L_tok, self.L_kind = longs([0] * cap), longs([0] * cap)
        self.L_cqts, self.L_req = longs([0] * cap), longs([0] * cap)
        self.L_rel, self.L_due = doubles([0.0] * cap), doubles([0.0] * cap)
        self.L_qin, self.L_cqtd = doubles([0.0] * cap), doubles([0.0] * cap)
        self.L_done, self.L_evt = doubles([0.0] * cap), doubles([0.0] * cap)
        self.L_next, self.L_prev = longs([-1] * (2 * cap)), longs([-1] * (2 * cap))
        self.L_queued = longs([0] * cap)  # 1 while the lot waits in a queue
        self.L_ded, self.L_rwk = [], []  # per lot: dict step -> tool / set of reworked steps
        prios = [o.priority for o in m.orders] + [w.priority for w in m.wip]
        prios += [row[2] for row in cfg.lot_list]
        self.base_prio = min(prios) if prios else 0  # lots above it are "hot"
        self.wip_by_product = [0] * len(m.products)
        self.wip_t, self.wip_n, self.wip_p = [], [], []
        self.wip, self.released = 0, 0
        self.area = self.last = self.area_warm = 0.0
        self.n_events = 0
        self.virtual = [o.interval / self.lf for o in m.orders]

    def _bind_view(self) -> None:
        """Point the rules' read-only view at the current tables."""
        v = self.view
        v._qin, v._due, v._cqtd, v._rel = self.L_qin, self.L_due, self.L_cqtd, self.L_rel
        v._step, v._prio, v._prod = self.L_step, self.L_prio, self.L_prod
        v._s_rem, v._s_mean, v._s_setup = self.S_rem, self.S_mean, self.S_setup
        v._t_setup = self.T_setup

    # ------------------------------------------------------------------ lots and counters
    def grow_lots(self) -> None:
        """Double the room of every lot table (values kept)."""
        self.lot_cap *= 2
        cap = self.lot_cap
        self.L_step, self.L_prod = grown(self.L_step, cap), grown(self.L_prod, cap)
        self.L_prio, self.L_order = grown(self.L_prio, cap), grown(self.L_order, cap)
        self.L_tok, self.L_kind = grown(self.L_tok, cap), grown(self.L_kind, cap)
        self.L_cqts, self.L_req = grown(self.L_cqts, cap), grown(self.L_req, cap)
        self.L_rel, self.L_due = grown(self.L_rel, cap), grown(self.L_due, cap)
        self.L_qin, self.L_cqtd = grown(self.L_qin, cap), grown(self.L_cqtd, cap)
        self.L_done, self.L_evt = grown(self.L_done, cap), grown(self.L_evt, cap)
        self.L_next, self.L_prev = grown(self.L_next, 2 * cap), grown(self.L_prev, 2 * cap)
        self.L_queued = grown(self.L_queued, cap)
        self._bind_view()

    def new_lot(self, prod: cython.long, prio: cython.long, rel: cython.double,
                due: cython.double, step: cython.long, order: cython.long) -> cython.long:  # fmt: skip
        if self.n_lots == self.lot_cap:
            self.grow_lots()
        lot: cython.long = self.n_lots
        self.n_lots += 1
        self.L_step[lot] = self.route_first[self.product_route[prod]] + step
        self.L_prod[lot], self.L_prio[lot] = prod, prio
        self.L_rel[lot], self.L_due[lot] = rel, due
        self.L_qin[lot], self.L_cqtd[lot], self.L_done[lot] = 0.0, INF, -1.0
        self.L_order[lot], self.L_tok[lot], self.L_evt[lot] = order, 0, 0.0
        self.L_kind[lot], self.L_cqts[lot], self.L_req[lot] = ARRIVE, -1, -1
        self.L_ded.append(None)
        self.L_rwk.append(None)
        return lot

    def wip_change(self, now: cython.double, delta: cython.long) -> None:
        self.area += self.wip * (now - self.last)
        self.last = now
        self.wip += delta

    def _close_states(self, now: cython.double) -> None:
        """Book every tool's time in its current state up to ``now``."""
        t: cython.long
        for t in range(self.nt):
            self.settle(t, now)
            self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
            self.T_since[t] = now

    # ------------------------------------------------------------------ queues
    @cython.locals(i=cython.long, last=cython.long)
    def q_append(self, f: cython.long, k: cython.long, lot: cython.long) -> None:
        """Queue ``lot`` last in queue ``k`` (WAITING or HOT) of group ``f``."""
        i = 2 * f + k
        last = self.G_tail[i]
        self.L_prev[2 * lot + k], self.L_next[2 * lot + k] = last, -1
        if last >= 0:
            self.L_next[2 * last + k] = lot
        else:
            self.G_head[i] = lot
        self.G_tail[i] = lot
        self.G_len[i] += 1
        if k == WAITING:
            self.L_queued[lot] = 1

    @cython.locals(i=cython.long, p=cython.long, n=cython.long)
    def q_remove(self, f: cython.long, k: cython.long, lot: cython.long) -> None:
        """Take ``lot`` out of queue ``k`` of group ``f``."""
        i = 2 * f + k
        p, n = self.L_prev[2 * lot + k], self.L_next[2 * lot + k]
        if p >= 0:
            self.L_next[2 * p + k] = n
        else:
            self.G_head[i] = n
        if n >= 0:
            self.L_prev[2 * n + k] = p
        else:
            self.G_tail[i] = p
        self.G_len[i] -= 1
        if k == WAITING:
            self.L_queued[lot] = 0

    def dequeue(self, f: cython.long, lot: cython.long) -> None:
        """``lot`` leaves group ``f``'s queue to start (and its hot list, if hot)."""
        self.q_remove(f, WAITING, lot)
        if self.L_prio[lot] > self.base_prio:
            self.q_remove(f, HOT, lot)

    def _batch_room(self, n: cython.long) -> None:
        """Room for ``n`` lots in the batch choice's scratch tables (doubled as needed)."""
        cap = max(n, 2 * self.B_cap)
        self.B_lot, self.B_grp = longs([0] * cap), longs([0] * cap)
        self.B_key, self.B_cap = doubles([0.0] * cap), cap

    # ------------------------------------------------------------------ idle tools
    def idle_push(self, f: cython.long, t: cython.long) -> None:
        self.I_tools[self.G_first[f] + self.G_nidle[f]] = t
        self.G_nidle[f] += 1

    def idle_pop(self, f: cython.long) -> cython.long:
        """The tool of group ``f`` that became idle last, taken off the idle stack."""
        self.G_nidle[f] -= 1
        return self.I_tools[self.G_first[f] + self.G_nidle[f]]

    @cython.locals(i=cython.long, first=cython.long)
    def idle_has(self, f: cython.long, t: cython.long) -> cython.bint:
        first = self.G_first[f]
        for i in range(first, first + self.G_nidle[f]):  # noqa: SIM110 (C loop, no generator)
            if self.I_tools[i] == t:
                return True
        return False

    @cython.locals(i=cython.long, first=cython.long, end=cython.long)
    def idle_remove(self, f: cython.long, t: cython.long) -> None:
        """Take tool ``t`` off group ``f``'s idle stack (the others keep their order)."""
        first = self.G_first[f]
        end = first + self.G_nidle[f]
        i = first
        while self.I_tools[i] != t:
            i += 1
        while i + 1 < end:
            self.I_tools[i] = self.I_tools[i + 1]
            i += 1
        self.G_nidle[f] -= 1

    # ------------------------------------------------------------------ lazily busy tools
    @cython.locals(tf=cython.double)
    def settle(self, t: cython.long, now: cython.double) -> None:
        """A lazily busy tool whose job ended by ``now`` becomes idle as of its end time."""
        if self.T_lazy[t] and self.T_free[t] <= now:
            self.T_lazy[t] = 0
            self.lazy_remove(self.T_group[t], t)
            tf = self.T_free[t]
            self.acc[BUSY * self.nt + t] += tf - self.T_since[t]
            self.T_since[t] = tf
            self.T_state[t] = IDLE
            self.T_njob[t] = 0
            self.idle_push(self.T_group[t], t)

    def arm(self, t: cython.long) -> None:
        """Give a lazily busy tool its end-of-job event (someone now waits for it)."""
        self.T_lazy[t] = 0
        self.lazy_remove(self.T_group[t], t)
        self.H.push(self.T_free[t], TOOL_FREE, t, self.T_tok[t])

    def pend(self, t: cython.long, c: cython.long) -> None:
        """Calendar ``c`` is due on tool ``t`` once its job (or current down) ends."""
        self.T_pending[t].append(c)
        self.T_npend[t] += 1

    def _first_lazy(self, f: cython.long) -> cython.long:
        """The lazily busy tool of group ``f`` with the earliest end (the lowest id on ties)."""
        return self.Z_tools[self.G_first[f]]

    def _ends_before(self, t1: cython.long, t2: cython.long) -> cython.bint:
        return self.T_free[t1] < self.T_free[t2] or (self.T_free[t1] == self.T_free[t2] and t1 < t2)

    @cython.locals(base=cython.long, up=cython.long, u=cython.long)
    def _lazy_place(self, f: cython.long, i: cython.long, t: cython.long) -> None:
        """Put tool ``t`` at place ``i`` of group ``f``'s lazy heap, sifting it up or down."""
        base = self.G_first[f]
        while i > 0:
            up = (i - 1) >> 1
            u = self.Z_tools[base + up]
            if self._ends_before(u, t):
                break
            self.Z_tools[base + i], self.T_zpos[u] = u, i
            i = up
        n: cython.long = self.G_nlazy[f]
        c: cython.long
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and self._ends_before(self.Z_tools[base + c + 1], self.Z_tools[base + c]):
                c += 1
            u = self.Z_tools[base + c]
            if not self._ends_before(u, t):
                break
            self.Z_tools[base + i], self.T_zpos[u] = u, i
            i = c
        self.Z_tools[base + i], self.T_zpos[t] = t, i

    def lazy_push(self, f: cython.long, t: cython.long) -> None:
        """Tool ``t`` of group ``f`` becomes lazily busy."""
        self.G_nlazy[f] += 1
        self._lazy_place(f, self.G_nlazy[f] - 1, t)

    @cython.locals(i=cython.long, n=cython.long)
    def lazy_remove(self, f: cython.long, t: cython.long) -> None:
        """Tool ``t`` of group ``f`` is no longer lazily busy."""
        n = self.G_nlazy[f] - 1
        self.G_nlazy[f] = n
        i = self.T_zpos[t]
        if i < n:  # the last one takes its place
            self._lazy_place(f, i, self.Z_tools[self.G_first[f] + n])
