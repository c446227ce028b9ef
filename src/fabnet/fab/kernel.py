# cython: boundscheck=False, wraparound=False, initializedcheck=False
# (wraparound off: no negative index anywhere in this file, lists included)
"""The event kernel of :class:`fabnet.fab.engine.Engine`: a heap of ``(time, kind, a, b)``
events over integer ids, and a :class:`Kernel` whose methods are the event handlers.

This module is plain Python and is also compiled with Cython when fabnet is installed
(``setup.py`` builds ``fabnet.fab._kernel_c`` from this very file, and
``fabnet.fab._dispatch_c`` from :mod:`fabnet.fab.dispatch`); the engine uses the compiled
module only when it was built from the current sources (:func:`fabnet.fab.engine.kernel_module`),
so editing a file never runs stale code. Compiled, :class:`Kernel` is an extension type: its
state (step, group, tool and lot tables, the event heap, the random streams) are typed
attributes, its handlers C methods, a dispatching rule's key a C call into
:mod:`fabnet.fab.dispatch`. Interpreted, the same code runs as ordinary Python with the same
records. The semantics are documented in :mod:`fabnet.fab.engine`.

Reading order: :func:`simulate` → :meth:`Kernel.run` (initial state, the loop, the records);
the loop hands each event to one handler (``on_*``); a lot moves by :meth:`Kernel.arrive`
(queue or start) and :meth:`Kernel.start` (setup, processing time, routing); a tool by
:meth:`Kernel.free_tool`, :meth:`Kernel.begin_down` and the calendar events. The
``@cython.cfunc``/``@cython.locals`` lines are C types and do nothing interpreted.
"""

from __future__ import annotations

import sys
import time as _time
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import cython
import numpy as np

from fabnet.fab import dispatch as _dispatch

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    sys.modules.setdefault("cython.cimports.fabnet.fab.dispatch", _dispatch)
from cython.cimports.fabnet.fab.dispatch import LotView, Rule  # the rules' typed interface
from cython.cimports.libc.math import log  # C log compiled, math.log interpreted

from fabnet.fab.model import DIST_CONST, DIST_EXP
from fabnet.fab.rng import BLOCK, STREAMS

__all__ = ["DAY", "EventHeap", "Kernel", "TupleHeap", "Uniforms", "simulate"]

# Event kinds (ties at one time break in this order) and tool states. Declared as C constants
# when compiled; plain ints otherwise.
ARRIVE = cython.declare(cython.long, 0)
TOOL_FREE = cython.declare(cython.long, 1)
COMPLETE = cython.declare(cython.long, 2)
RELEASE = cython.declare(cython.long, 3)
CAL = cython.declare(cython.long, 4)
UP = cython.declare(cython.long, 5)
WAKE = cython.declare(cython.long, 6)
SAMPLE = cython.declare(cython.long, 7)
WARMUP = cython.declare(cython.long, 8)
IDLE = cython.declare(cython.long, 0)
BUSY = cython.declare(cython.long, 1)
DOWN = cython.declare(cython.long, 2)
PM = cython.declare(cython.long, 3)
INF = cython.declare(cython.double, float("inf"))
# the two queues of a tool group (linked lists over the lots): all waiting lots, and the "hot"
# ones among them (above the base priority), each in arrival order
WAITING = cython.declare(cython.long, 0)
HOT = cython.declare(cython.long, 1)
DAY = 1440.0


# An event's (kind, a, b) packed into one 63-bit integer that orders as the tuple does:
# kind in 4 bits, a + 2**28 in 29 bits, b in 30 bits.
_A_OFF = cython.declare(cython.longlong, 1 << 28)
_A_MASK = cython.declare(cython.longlong, (1 << 29) - 1)
_B_MASK = cython.declare(cython.longlong, (1 << 30) - 1)


@cython.final
@cython.cclass
class EventHeap:
    """Min-heap of events ``(time, kind, a, b)``, ordered lexicographically like tuples.

    Compiled, it is a 4-ary heap (half the depth of a binary one, for heaps of thousands of
    events) in two parallel C arrays, the time and ``(kind, a, b)`` packed into one
    integer that orders as the tuple does (``kind < 16``, ``-2**28 <= a < 2**28``,
    ``0 <= b < 2**30``; push raises ``OverflowError`` outside), so one sift step moves two
    numbers and compares at most two; no tuple and no boxed float per event. ``pop`` returns the
    time and leaves the event's ``kind``, ``a`` and ``b`` in attributes. Interpreted, the kernel
    uses :class:`TupleHeap` (``heapq``) instead, in the same order (distinct events never
    compare equal, so any correct heap pops them in the same sequence).
    """

    size = cython.declare(cython.Py_ssize_t, visibility="readonly")
    # the last popped event's kind and ids (readable from Python too)
    kind = cython.declare(cython.long, visibility="readonly")
    a = cython.declare(cython.long, visibility="readonly")
    b = cython.declare(cython.long, visibility="readonly")
    _t: cython.double[::1]
    _k: cython.longlong[::1]

    def __init__(self, capacity: cython.Py_ssize_t = 1024) -> None:
        self.size = 0
        self.kind = self.a = self.b = 0
        self._t = np.empty(max(capacity, 1), dtype=np.float64)
        self._k = np.empty(max(capacity, 1), dtype=np.int64)

    def __len__(self) -> int:
        return self.size

    @cython.cfunc
    def _grow(self) -> None:
        n = self.size
        t, k = np.empty(2 * n, dtype=np.float64), np.empty(2 * n, dtype=np.int64)
        t[:n], k[:n] = self._t, self._k
        self._t, self._k = t, k

    @cython.ccall
    @cython.locals(i=cython.Py_ssize_t, up=cython.Py_ssize_t, key=cython.longlong)
    def push(self, t: cython.double, kind: cython.long, a: cython.long, b: cython.long) -> None:
        if kind < 0 or kind > 15 or a < -_A_OFF or a >= _A_OFF or b < 0 or b > _B_MASK:
            raise OverflowError(f"event ({kind}, {a}, {b}) outside the heap's packed key")
        key = (cython.cast(cython.longlong, kind) << 59) | ((a + _A_OFF) << 30) | b
        if self.size == self._t.shape[0]:
            self._grow()
        i = self.size
        self.size += 1
        while i > 0:  # sift the hole up while the parent is larger
            up = (i - 1) >> 2
            if self._t[up] < t or (self._t[up] == t and self._k[up] < key):
                break
            self._t[i], self._k[i] = self._t[up], self._k[up]
            i = up
        self._t[i], self._k[i] = t, key

    @cython.ccall
    @cython.locals(i=cython.Py_ssize_t, c=cython.Py_ssize_t, n=cython.Py_ssize_t,
                   t=cython.double, key=cython.longlong, top=cython.double,
                   tc=cython.double, kc=cython.longlong, j=cython.Py_ssize_t,
                   last=cython.Py_ssize_t)  # fmt: skip
    def pop(self) -> cython.double:
        top = self._t[0]
        key = self._k[0]
        self.kind = key >> 59
        self.a = ((key >> 30) & _A_MASK) - _A_OFF
        self.b = key & _B_MASK
        self.size -= 1
        n = self.size
        t, key = self._t[n], self._k[n]
        i = 0
        while True:  # sift the last event down from the root
            c = 4 * i + 1
            if c >= n:
                break
            tc, kc = self._t[c], self._k[c]
            last = min(c + 4, n)
            for j in range(c + 1, last):  # the least of up to four children
                if self._t[j] < tc or (self._t[j] == tc and self._k[j] < kc):
                    c, tc, kc = j, self._t[j], self._k[j]
            if not (tc < t or (tc == t and kc < key)):
                break
            self._t[i], self._k[i] = tc, kc
            i = c
        if n > 0:
            self._t[i], self._k[i] = t, key
        return top


class TupleHeap:
    """The interpreted kernel's event heap: ``heapq`` over ``(time, kind, a, b)`` tuples in
    ``items``, with :class:`EventHeap`'s ``push`` and ``size``; the loop pops ``items`` with
    ``heapq.heappop`` directly (one Python call less per event)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, int, int]] = []

    def __len__(self) -> int:
        return len(self.items)

    @property
    def size(self) -> int:
        return len(self.items)

    def push(self, t: float, kind: int, a: int, b: int) -> None:
        heappush(self.items, (t, kind, a, b))


@cython.final
@cython.cclass
class Uniforms:
    """A stream of U(0,1) numbers drawn ``BLOCK`` at a time with ``Generator.random`` and handed
    out one by one by :meth:`next` (a C call with no boxing when compiled). The numbers are
    those of :func:`fabnet.fab.rng.uniform_streams` for the same seed."""

    _rng: object
    _buf: cython.double[::1]
    _pos: cython.Py_ssize_t
    _n: cython.Py_ssize_t

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._rng = np.random.default_rng(seed)
        self._pos = self._n = 0

    @cython.ccall
    def next(self) -> cython.double:
        if self._pos == self._n:
            block = self._rng.random(BLOCK)  # type: ignore[attr-defined]
            self._buf = block if cython.compiled else block.tolist()
            self._n, self._pos = BLOCK, 0
        self._pos += 1
        return self._buf[self._pos - 1]


def _longs(values: list[Any]) -> Any:
    """A table of C longs: a NumPy array (viewed as ``long[::1]``) when compiled, else a list."""
    if cython.compiled:
        return np.array(values, dtype=np.int_)
    return [int(v) for v in values]


def _doubles(values: list[Any]) -> Any:
    """A table of C doubles: a NumPy array when compiled, else a list of floats."""
    if cython.compiled:
        return np.array(values, dtype=np.float64)
    return [float(v) for v in values]


_MIN_LOT_CAP = 1024  # first size of the lot tables


def _grown(table: Any, size: int) -> Any:
    """``table`` lengthened to ``size`` entries (zeros appended): a new array when compiled, the
    same list extended in place when interpreted."""
    if cython.compiled:
        old = np.asarray(table)
        new = np.zeros(size, dtype=old.dtype)
        new[: len(old)] = old
        return new
    table.extend([table[0] * 0] * (size - len(table)))
    return table


def _expected_releases(model: Any, end: float, cfg: Any) -> int:
    """Lots the order table releases before ``end`` at the mean interval (room to preallocate)."""
    n = 0.0
    for order in model.orders:
        if end > order.start and order.interval > 0:
            per = min(order.count, (end - order.start) * cfg.load_factor / order.interval + 1)
            n += per * order.lots_per_release
    return int(min(n * 1.1, 10_000_000))


def _tolist(values: Any) -> list[Any]:
    """Back to Python numbers (for the result records), from either kind of table."""
    return np.asarray(values).tolist() if cython.compiled else list(values)


def simulate(engine: Any, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Run an :class:`~fabnet.fab.engine.Engine`'s compiled tables; ``progress(day)`` is called
    once per sampled day. Returns the fields of a ``RawResult``."""
    return Kernel(engine, progress).run()


@cython.final
@cython.cclass
class Kernel:
    """One run: the engine's tables as typed attributes, and the event handlers as methods.

    Ids: ``g`` a step (numbered over all routes), ``f`` a tool group, ``t`` a tool, ``c`` a
    down calendar, ``lot`` a lot, ``o`` an order. Tables are named by what they index:
    ``S_*`` steps, ``G_*`` groups, ``T_*`` tools, ``C_*`` calendars, ``L_*`` lots, ``K_*``
    wafer-count PM counters. Queues (``Q``) are lists of lots in arrival order.
    """

    # ---- run settings
    end: cython.double
    warm: cython.double
    lf: cython.double
    sample_minutes: cython.double
    batch_wait: cython.double
    has_batch_wait: cython.bint
    conwip: cython.bint
    conwip_cap: cython.long
    nested: cython.bint
    fast_fifo: cython.bint
    base_prio: cython.long
    has_transport: cython.bint
    tr_lo: cython.double
    tr_w: cython.double
    nt: cython.long
    ng: cython.long
    # ---- counters
    n_lots: cython.long
    lot_cap: cython.long
    n_events: cython.long
    wip: cython.long
    area: cython.double
    last: cython.double
    area_warm: cython.double
    released: cython.long
    # ---- steps
    S_group: cython.long[::1]
    S_setup: cython.long[::1]
    S_dist: cython.long[::1]
    S_rwto: cython.long[::1]
    S_cqt_to: cython.long[::1]
    S_ded: cython.long[::1]
    S_last: cython.long[::1]
    S_recipe: cython.long[::1]
    S_bmin: cython.long[::1]
    S_bmax: cython.long[::1]
    S_next: cython.long[::1]
    S_special: cython.long[::1]
    S_lo: cython.double[::1]
    S_w: cython.double[::1]
    S_mean: cython.double[::1]
    S_tool: cython.double[::1]
    S_stime: cython.double[::1]
    S_sample: cython.double[::1]
    S_rework: cython.double[::1]
    S_cqt: cython.double[::1]
    S_rem: cython.double[::1]
    # ---- down calendars
    C_down: cython.long[::1]
    C_pm: cython.long[::1]
    C_every_dist: cython.long[::1]
    C_rdist: cython.long[::1]
    C_every: cython.double[::1]
    C_rmean: cython.double[::1]
    C_rhalf: cython.double[::1]
    # ---- tool groups
    G_load: cython.double[::1]
    G_tload: cython.double[::1]
    G_fab: cython.long[::1]
    G_batch: cython.long[::1]
    G_ded: cython.long[::1]
    G_setups: cython.long[::1]
    G_plain: cython.long[::1]
    G_first: cython.long[::1]
    G_ntools: cython.long[::1]
    G_nlazy: cython.long[::1]
    Z_tools: cython.long[::1]
    T_zpos: cython.long[::1]
    G_nidle: cython.long[::1]
    I_tools: cython.long[::1]
    T_njob: cython.long[::1]
    J_lots: cython.long[::1]
    jmax: cython.long
    G_head: cython.long[::1]
    G_tail: cython.long[::1]
    G_len: cython.long[::1]
    q_sum: cython.double[::1]
    q_n: cython.long[::1]
    # ---- tools
    T_group: cython.long[::1]
    T_setup: cython.long[::1]
    T_state: cython.long[::1]
    T_tok: cython.long[::1]
    T_mr_left: cython.long[::1]
    T_mr_setup: cython.long[::1]
    T_lazy: cython.long[::1]
    T_k0: cython.long[::1]
    T_k1: cython.long[::1]
    T_since: cython.double[::1]
    T_free: cython.double[::1]
    T_setup_acc: cython.double[::1]
    acc: cython.double[::1]
    K_cal: cython.long[::1]
    K_left: cython.double[::1]
    # ---- lots
    L_step: cython.long[::1]
    L_prod: cython.long[::1]
    L_prio: cython.long[::1]
    L_order: cython.long[::1]
    L_tok: cython.long[::1]
    L_kind: cython.long[::1]
    L_cqts: cython.long[::1]
    L_req: cython.long[::1]
    L_rel: cython.double[::1]
    L_due: cython.double[::1]
    L_qin: cython.double[::1]
    L_cqtd: cython.double[::1]
    L_done: cython.double[::1]
    L_evt: cython.double[::1]
    L_next: cython.long[::1]
    L_prev: cython.long[::1]
    L_queued: cython.long[::1]
    # ---- Python objects
    H: EventHeap
    items: list
    u_proc: Uniforms
    u_trans: Uniforms
    u_route: Uniforms
    u_down: Uniforms
    u_rel: Uniforms
    rule: Rule
    view: LotView
    engine: object
    model: object
    progress: object
    orders: list
    lot_list: tuple
    route_first: list
    product_route: list
    setup_minutes: dict
    min_run: dict
    T_pending: list
    T_npend: cython.long[::1]
    T_pm_last: list
    L_ded: list
    L_rwk: list
    cqt_checks: dict
    wip_by_product: list
    wip_t: list
    wip_n: list
    wip_p: list
    virtual: list
    acc_warm: list
    setup_warm: list
    wall0: cython.double

    def __init__(self, engine: Any, progress: Callable[[float], None] | None = None) -> None:
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
        self._init_lots(engine, cfg)
        self.view = _dispatch.LotView()
        self._bind_view()

    def _init_steps(self, e: Any) -> None:
        n_steps = len(e.step_last)
        self.S_group, self.S_setup = _longs(e.step_group), _longs(e.step_setup)
        self.S_dist, self.S_recipe = _longs(e.step_dist), _longs(e.step_recipe)
        self.S_rwto, self.S_cqt_to = _longs(e.step_rework_to), _longs(e.step_cqt_to)
        self.S_ded, self.S_last = _longs(e.step_dedicate_to), _longs(e.step_last)
        self.S_bmin, self.S_bmax = _longs(e.step_bmin), _longs(e.step_bmax)
        self.S_next = _longs([-1 if last else g + 1 for g, last in enumerate(e.step_last)])
        self.S_special = _longs(  # CQT start, lot-to-lens dedication or rework at this step
            [
                e.step_cqt_to[g] >= 0 or e.step_dedicate_to[g] >= 0 or e.step_rework[g] > 0
                for g in range(n_steps)
            ]
        )
        self.S_lo, self.S_w, self.S_mean = (
            _doubles(e.step_lo), _doubles(e.step_w), _doubles(e.step_mean),
        )  # fmt: skip
        self.S_tool, self.S_stime = _doubles(e.step_tool_minutes), _doubles(e.step_setup_minutes)
        self.S_sample, self.S_rework = _doubles(e.step_sample), _doubles(e.step_rework)
        self.S_cqt, self.S_rem = _doubles(e.step_cqt_minutes), _doubles(e.step_remaining_rpt)
        self.setup_minutes, self.min_run = e.setup_minutes, e.setup_min_run
        self.route_first, self.product_route = e.route_first, e.product_route

    def _init_calendars(self, cals: list[Any]) -> None:
        self.C_down = _longs([cal.kind == "down" for cal in cals])
        self.C_pm = _longs([cal.kind == "pm" for cal in cals])
        self.C_every_dist = _longs([cal.every_dist for cal in cals])
        self.C_rdist = _longs([cal.repair_dist for cal in cals])
        self.C_every = _doubles([cal.every for cal in cals])
        self.C_rmean = _doubles([cal.repair_mean for cal in cals])
        self.C_rhalf = _doubles([cal.repair_half_width for cal in cals])

    def _init_groups_and_tools(self, e: Any) -> None:
        m = self.model
        nt: cython.long = len(e.tool_group)
        ng: cython.long = len(m.groups)
        self.nt, self.ng = nt, ng
        self.G_load, self.G_tload = _doubles(e.group_load), _doubles(e.group_tool_load)
        self.G_fab, self.G_batch = _longs(e.group_fab), _longs(e.group_batch)
        self.G_ded, self.G_setups = _longs(e.group_dedicated), _longs(e.group_setups)
        self.G_plain = _longs(
            [
                self.fast_fifo
                and not (e.group_batch[f] or e.group_dedicated[f] or e.group_setups[f])
                for f in range(ng)
            ]
        )
        self.q_sum, self.q_n = _doubles([0.0] * ng), _longs([0] * ng)
        self.has_transport = m.transport[0] > 0
        self.tr_lo, self.tr_w = m.transport[0] - m.transport[1], 2 * m.transport[1]
        self.T_group, self.T_setup = _longs(e.tool_group), _longs([-1] * nt)
        self.T_state = _longs([IDLE] * nt)
        self.T_since, self.T_free = _doubles([0.0] * nt), _doubles([0.0] * nt)
        self.T_tok, self.T_mr_left = _longs([0] * nt), _longs([0] * nt)
        self.T_mr_setup, self.T_lazy = _longs([-1] * nt), _longs([0] * nt)
        self.T_setup_acc = _doubles([0.0] * nt)
        # wafer-count PM counters: none until the first downs are set (after the initial WIP
        # started, whose first jobs are not counted)
        self.T_k0, self.T_k1 = _longs([0] * nt), _longs([0] * nt)
        self.K_cal, self.K_left = _longs([]), _doubles([])
        self.acc = _doubles([0.0] * (4 * nt))  # minutes per tool state: acc[state * nt + tool]
        # the job in process on tool t: lots J_lots[t * jmax + i] for i < T_njob[t]
        self.jmax = max(1, max(e.step_bmax, default=1))
        self.T_njob, self.J_lots = _longs([0] * nt), _longs([0] * (nt * self.jmax))
        self.T_pending = [[] for _ in range(nt)]  # calendars due, waiting for the job to end
        self.T_npend = _longs([0] * nt)  # their number
        self.T_pm_last = [{} for _ in range(nt)]  # nested PMs: interval -> last due
        # the idle tools of group f, in the order they became idle: a stack in
        # I_tools[G_first[f] : G_first[f] + G_nidle[f]] (all idle at the start)
        self.I_tools = _longs([t for ts in e.group_tools for t in ts])
        self.G_nidle = _longs([len(ts) for ts in e.group_tools])
        # queue k (WAITING or HOT) of group f: first lot G_head[2 * f + k], last G_tail[...],
        # length G_len[...]; lot's successor L_next[2 * lot + k], predecessor L_prev[...]
        self.G_head, self.G_tail = _longs([-1] * (2 * ng)), _longs([-1] * (2 * ng))
        self.G_len = _longs([0] * (2 * ng))
        # tools of group f: G_first[f] .. G_first[f] + G_ntools[f] - 1; G_nlazy[f] of them
        # lazily busy (see start)
        self.G_first = _longs([ts[0] for ts in e.group_tools])
        self.G_ntools = _longs([len(ts) for ts in e.group_tools])
        self.G_nlazy = _longs([0] * ng)
        # the lazily busy tools of group f: a binary heap by (T_free, tool) in
        # Z_tools[G_first[f] : G_first[f] + G_nlazy[f]]; T_zpos[t]: t's place in it
        self.Z_tools, self.T_zpos = _longs([0] * nt), _longs([0] * nt)
        self.cqt_checks = {}  # step -> [checks, violations]

    def _init_lots(self, e: Any, cfg: Any) -> None:
        m = self.model
        self.n_lots = 0
        self.lot_cap = max(
            _MIN_LOT_CAP, len(m.wip) + len(cfg.lot_list) + _expected_releases(m, self.end, cfg)
        )
        cap = self.lot_cap
        self.L_step, self.L_prod = _longs([0] * cap), _longs([0] * cap)
        self.L_prio, self.L_order = _longs([0] * cap), _longs([0] * cap)
        self.L_tok, self.L_kind = _longs([0] * cap), _longs([0] * cap)
        self.L_cqts, self.L_req = _longs([0] * cap), _longs([0] * cap)
        self.L_rel, self.L_due = _doubles([0.0] * cap), _doubles([0.0] * cap)
        self.L_qin, self.L_cqtd = _doubles([0.0] * cap), _doubles([0.0] * cap)
        self.L_done, self.L_evt = _doubles([0.0] * cap), _doubles([0.0] * cap)
        self.L_next, self.L_prev = _longs([-1] * (2 * cap)), _longs([-1] * (2 * cap))
        self.L_queued = _longs([0] * cap)  # 1 while the lot waits in a queue
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

    @cython.cfunc
    def _bind_view(self) -> None:
        """Point the rules' read-only view at the current tables."""
        v = self.view
        v._qin, v._due, v._cqtd, v._rel = self.L_qin, self.L_due, self.L_cqtd, self.L_rel
        v._step, v._prio, v._prod = self.L_step, self.L_prio, self.L_prod
        v._s_rem, v._s_mean, v._s_setup = self.S_rem, self.S_mean, self.S_setup
        v._t_setup = self.T_setup

    # ------------------------------------------------------------------ lots and counters
    @cython.cfunc
    def grow_lots(self) -> None:
        """Double the room of every lot table (values kept)."""
        self.lot_cap *= 2
        cap = self.lot_cap
        self.L_step, self.L_prod = _grown(self.L_step, cap), _grown(self.L_prod, cap)
        self.L_prio, self.L_order = _grown(self.L_prio, cap), _grown(self.L_order, cap)
        self.L_tok, self.L_kind = _grown(self.L_tok, cap), _grown(self.L_kind, cap)
        self.L_cqts, self.L_req = _grown(self.L_cqts, cap), _grown(self.L_req, cap)
        self.L_rel, self.L_due = _grown(self.L_rel, cap), _grown(self.L_due, cap)
        self.L_qin, self.L_cqtd = _grown(self.L_qin, cap), _grown(self.L_cqtd, cap)
        self.L_done, self.L_evt = _grown(self.L_done, cap), _grown(self.L_evt, cap)
        self.L_next, self.L_prev = _grown(self.L_next, 2 * cap), _grown(self.L_prev, 2 * cap)
        self.L_queued = _grown(self.L_queued, cap)
        self._bind_view()

    @cython.cfunc
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

    @cython.cfunc
    def wip_change(self, now: cython.double, delta: cython.long) -> None:
        self.area += self.wip * (now - self.last)
        self.last = now
        self.wip += delta

    @cython.cfunc
    def release_lot(self, o: cython.long, now: cython.double) -> None:
        order = self.orders[o]
        lot = self.new_lot(order.product, order.priority, now, now + order.due_minutes, 0, o)
        self.wip_change(now, 1)
        self.wip_by_product[order.product] += 1
        self.released += 1
        self.arrive(lot, now)

    def conwip_fill(self, now: float) -> None:
        """CONWIP: release lots of the order furthest behind its rate until the cap is met."""
        virtual = self.virtual
        while self.wip < self.conwip_cap and self.orders:
            o = min(range(len(virtual)), key=virtual.__getitem__)
            virtual[o] += self.orders[o].interval / self.lf
            self.release_lot(o, now)

    # ------------------------------------------------------------------ the run
    def run(self) -> dict[str, Any]:
        """Simulate to the end and return the fields of a ``RawResult``."""
        self._initial_state()
        self._loop()
        return self._records()

    def _initial_state(self) -> None:
        m, cfg = self.model, self.engine.config
        for w in m.wip if cfg.initial_wip else ():
            self.new_lot(w.product, w.priority, min(w.release, 0.0), w.due, w.step, -1)
            self.wip_change(0.0, 1)
            self.wip_by_product[w.product] += 1
        for lot in range(self.n_lots):
            self.arrive(lot, 0.0)
        if self.conwip:
            self.conwip_fill(0.0)
        else:
            for o, order in enumerate(m.orders):
                self.H.push(order.start, RELEASE, o, 0)
        for i, release_row in enumerate(cfg.lot_list):
            self.H.push(release_row[0], RELEASE, -1 - i, 0)
        self._first_downs(m.calendars)
        self.H.push(0.0, SAMPLE, 0, 0)
        if self.warm > 0:
            self.H.push(self.warm, WARMUP, 0, 0)
        self.acc_warm = [0.0] * (4 * self.nt)
        self.setup_warm = [0.0] * self.nt

    def _first_downs(self, cals: list[Any]) -> None:
        """First occurrence of each calendar on each of its tools; wafer-count PMs get a
        counter per tool (``K_cal``/``K_left``, tool ``t``'s from ``T_k0[t]`` to ``T_k1[t]``)."""
        counters: list[list[tuple[int, float]]] = [[] for _ in range(self.nt)]
        for c, cal in enumerate(cals):
            n = len(cal.tools)
            for k, t in enumerate(cal.tools):
                if cal.by_pieces:
                    first = cal.first * (k + 1) / n if cal.first_dist == DIST_CONST else cal.first
                    counters[t].append((c, first))
                    continue
                if cal.first_dist == DIST_CONST:
                    first = cal.first * (k + 1) / n
                else:
                    first = draw(cal.first_dist, cal.first, 0.0, self.u_down.next())
                self.H.push(first, CAL, c, t)
        flat = [kc for per_tool in counters for kc in per_tool]
        self.K_cal, self.K_left = _longs([c for c, _ in flat]), _doubles([x for _, x in flat])
        ends = np.cumsum([len(per_tool) for per_tool in counters]).tolist()
        self.T_k1 = _longs(ends)
        self.T_k0 = _longs([e - len(per_tool) for e, per_tool in zip(ends, counters, strict=True)])

    @cython.cfunc
    def _loop(self) -> None:
        """Pop events until the horizon and hand each to its handler. Stale events (an older
        token than the lot's or tool's current one) are skipped."""
        H: EventHeap = self.H
        now: cython.double
        kind: cython.long
        a: cython.long
        b: cython.long
        end: cython.double = self.end
        while H.size > 0:
            if cython.compiled:  # C heap, no tuple
                now = H.pop()
                kind, a, b = H.kind, H.a, H.b
            else:  # interpreted: heapq directly, one call less per event
                now, kind, a, b = heappop(self.items)
            if now > end:
                H.push(now, kind, a, b)
                break
            self.n_events += 1
            if kind == ARRIVE:
                if b == self.L_tok[a]:
                    self.arrive(a, now)
            elif kind == TOOL_FREE:
                if b == self.T_tok[a]:
                    self.free_tool(a, now)
            elif kind == COMPLETE:
                if b == self.L_tok[a]:
                    self.on_complete(a, now)
            elif kind == RELEASE:
                self.on_release(a, b, now)
            elif kind == CAL:
                self.on_calendar(a, b, now)
            elif kind == UP:
                self.on_up(a, b, now)
            elif kind == WAKE:
                self.try_idle(a, now)
            elif kind == SAMPLE:
                self.on_sample(now)
            elif kind == WARMUP:
                self.on_warmup(now)

    # ------------------------------------------------------------------ event handlers
    @cython.cfunc
    def on_complete(self, lot: cython.long, now: cython.double) -> None:
        """A lot left its last step."""
        self.L_done[lot] = now
        self.wip_change(now, -1)
        self.wip_by_product[self.L_prod[lot]] -= 1
        if self.conwip and self.L_order[lot] >= 0:
            self.conwip_fill(now)

    @cython.cfunc
    def on_release(self, o: cython.long, b: cython.long, now: cython.double) -> None:
        """Order ``o``'s ``b``-th release (``o < 0``: row ``-1 - o`` of the lot list)."""
        if o < 0:
            _rt, prod, prio, due = self.lot_list[-1 - o]
            lot = self.new_lot(prod, prio, now, due, 0, -1)
            self.wip_change(now, 1)
            self.wip_by_product[prod] += 1
            self.released += 1
            self.arrive(lot, now)
            return
        order = self.orders[o]
        for _ in range(order.lots_per_release):
            self.release_lot(o, now)
        if b + 1 < order.count:
            gap: cython.double = order.interval / self.lf
            if order.interval_dist == DIST_EXP:
                gap = -gap * log(1.0 - self.u_rel.next())
            self.H.push(now + gap, RELEASE, o, b + 1)

    @cython.cfunc
    def on_calendar(self, c: cython.long, t: cython.long, now: cython.double) -> None:
        """Calendar ``c`` falls due on tool ``t``: a failure now, a PM after the running job."""
        if self.T_lazy[t]:
            self.settle(t, now)
            if self.T_lazy[t]:  # still processing: the down/PM logic needs its end event
                self.arm(t)
        if self.C_pm[c]:
            every: cython.double = self.C_every[c]
            self.H.push(now + every, CAL, c, t)
            if self.nested:
                last = self.T_pm_last[t]
                for e, t0 in last.items():
                    if e > every and now - t0 < every:
                        return  # a longer PM of this tool covered this one
                last[every] = now
            if self.T_state[t] == IDLE:
                self.begin_down(t, c, now)
            else:
                self.pend(t, c)
        elif self.T_state[t] == IDLE or self.T_state[t] == BUSY:
            self.begin_down(t, c, now)
        else:
            self.pend(t, c)

    @cython.cfunc
    def on_up(self, t: cython.long, c: cython.long, now: cython.double) -> None:
        """Tool ``t`` is back from calendar ``c``'s down: resume its job or look for work."""
        if self.C_down[c]:
            ttf = draw(self.C_every_dist[c], self.C_every[c], 0.0, self.u_down.next())
            self.H.push(now + ttf, CAL, c, t)
        if self.T_free[t] > now and self.T_njob[t] > 0:
            self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
            self.T_since[t] = now
            self.T_state[t] = BUSY
        else:
            self.free_tool(t, now)

    @cython.cfunc
    def on_sample(self, now: cython.double) -> None:
        self.wip_t.append(now)
        self.wip_n.append(self.wip)
        self.wip_p.append(list(self.wip_by_product))
        if self.progress is not None:
            self.progress(now / DAY)
        if now + self.sample_minutes <= self.end:
            self.H.push(now + self.sample_minutes, SAMPLE, 0, 0)

    @cython.cfunc
    def on_warmup(self, now: cython.double) -> None:
        """Statistics start: remember the counters to subtract them at the end."""
        self.wip_change(now, 0)
        self.area_warm = self.area
        self._close_states(now)
        self.acc_warm = _tolist(self.acc)
        self.setup_warm = _tolist(self.T_setup_acc)

    @cython.cfunc
    def _close_states(self, now: cython.double) -> None:
        """Book every tool's time in its current state up to ``now``."""
        t: cython.long
        for t in range(self.nt):
            self.settle(t, now)
            self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
            self.T_since[t] = now

    # ------------------------------------------------------------------ queues
    @cython.cfunc
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

    @cython.cfunc
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

    @cython.cfunc
    def dequeue(self, f: cython.long, lot: cython.long) -> None:
        """``lot`` leaves group ``f``'s queue to start (and its hot list, if hot)."""
        self.q_remove(f, WAITING, lot)
        if self.L_prio[lot] > self.base_prio:
            self.q_remove(f, HOT, lot)

    @cython.cfunc
    def waiting_lots(self, f: cython.long) -> list:
        """The lots waiting at group ``f``, in arrival order (for the batch choice)."""
        out: list = []
        lot: cython.long = self.G_head[2 * f + WAITING]
        while lot >= 0:
            out.append(lot)
            lot = self.L_next[2 * lot + WAITING]
        return out

    # ------------------------------------------------------------------ lots arrive and start
    @cython.cfunc
    @cython.locals(g=cython.long, f=cython.long, t=cython.long, hot=cython.bint,
                   req=cython.long, s=cython.long, first=cython.long, n=cython.long,
                   i=cython.long)  # fmt: skip
    def arrive(self, lot: cython.long, now: cython.double) -> None:
        """``lot`` joins the queue of its step's tool group, or starts on an idle tool."""
        g = self.L_step[lot]
        f = self.S_group[g]
        self.L_qin[lot] = now
        if self.G_plain[f]:
            if self.G_nidle[f] == 0 and self.G_nlazy[f] > 0:
                t = self._first_lazy(f)  # the lazily busy tool that frees first, if by now
                self.settle(t, now)
            if self.G_nidle[f] > 0:
                self.start_lot(self.idle_pop(f), lot, now)
                return
            self.q_append(f, WAITING, lot)
            if self.L_prio[lot] > self.base_prio:
                self.q_append(f, HOT, lot)
            if self.G_len[2 * f + WAITING] == 1 and self.G_nlazy[f] > 0:  # a queue forms: every
                for i in range(self.G_first[f], self.G_first[f] + self.G_nlazy[f]):  # busy tool
                    t = self.Z_tools[i]  # must pick up when it ends
                    self.T_lazy[t] = 0
                    self.H.push(self.T_free[t], TOOL_FREE, t, self.T_tok[t])
                self.G_nlazy[f] = 0
            return
        hot = self.L_prio[lot] > self.base_prio
        if hot:  # queued below, or taken off again when it starts at once
            self.q_append(f, HOT, lot)
        if self.G_ded[f]:
            dd = self.L_ded[lot]
            self.L_req[lot] = -1 if dd is None else dd.get(g, -1)
        n = self.G_nidle[f]
        if n == 0:
            self.q_append(f, WAITING, lot)
            return
        if self.G_batch[f]:
            self.q_append(f, WAITING, lot)
            self.try_idle(f, now)
            if self.has_batch_wait and self.L_queued[lot]:
                self.H.push(now + self.batch_wait, WAKE, f, 0)
            return
        first = self.G_first[f]
        t = self.I_tools[first + n - 1]
        if self.G_ded[f]:
            req = self.L_req[lot]
            if req >= 0:
                if not self.idle_has(f, req):
                    self.q_append(f, WAITING, lot)
                    return
                t = req
        elif self.G_setups[f] and self.S_setup[g] >= 0 and n > 1:
            s = self.S_setup[g]
            t = self._idle_tool_for_setup(f, s)
        self.idle_remove(f, t)
        if hot:
            self.q_remove(f, HOT, lot)
        self.start_lot(t, lot, now)

    @cython.cfunc
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

    # ------------------------------------------------------------------ idle tools
    @cython.cfunc
    def idle_push(self, f: cython.long, t: cython.long) -> None:
        self.I_tools[self.G_first[f] + self.G_nidle[f]] = t
        self.G_nidle[f] += 1

    @cython.cfunc
    def idle_pop(self, f: cython.long) -> cython.long:
        """The tool of group ``f`` that became idle last, taken off the idle stack."""
        self.G_nidle[f] -= 1
        return self.I_tools[self.G_first[f] + self.G_nidle[f]]

    @cython.cfunc
    @cython.locals(i=cython.long, first=cython.long)
    def idle_has(self, f: cython.long, t: cython.long) -> cython.bint:
        first = self.G_first[f]
        for i in range(first, first + self.G_nidle[f]):  # noqa: SIM110 (C loop, no generator)
            if self.I_tools[i] == t:
                return True
        return False

    @cython.cfunc
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

    @cython.cfunc
    def start_lot(self, t: cython.long, lot: cython.long, now: cython.double) -> None:
        """Tool ``t`` starts a job of one lot."""
        self.J_lots[t * self.jmax] = lot
        self.start(t, 1, now)

    @cython.cfunc
    @cython.locals(i=cython.long, lot=cython.long)
    def start_batch(self, t: cython.long, lots: list, now: cython.double) -> None:
        """Tool ``t`` starts a batch of ``lots`` (one recipe)."""
        i = 0
        for lot in lots:
            self.J_lots[t * self.jmax + i] = lot
            i += 1
        self.start(t, i, now)

    @cython.cfunc
    @cython.locals(g=cython.long, f=cython.long, s=cython.long, d=cython.long,
                   st=cython.double, pt=cython.double, done=cython.double,
                   free=cython.double, lot=cython.long, counted=cython.bint, i=cython.long)  # fmt: skip
    def start(self, t: cython.long, n: cython.long, now: cython.double) -> None:
        """Tool ``t`` starts the job of ``n`` lots in its job table (``J_lots``): setup,
        processing time, its end; then each lot is routed on."""
        g = self.L_step[self.J_lots[t * self.jmax]]
        f = self.S_group[g]
        s = self.S_setup[g]
        st = self._setup(t, g, s) if s >= 0 and self.T_setup[t] != s else 0.0
        if self.T_mr_left[t] > 0:
            self.T_mr_left[t] -= n
        d = self.S_dist[g]
        if d == 0:
            pt = self.S_lo[g] + self.S_w[g] * self.u_proc.next()
        elif d == DIST_EXP:
            pt = -self.S_mean[g] * log(1.0 - self.u_proc.next())
        else:
            pt = self.S_mean[g]
        done = now + pt + self.G_load[f] + st
        free = now + (pt if self.S_tool[g] < 0 else self.S_tool[g]) + self.G_tload[f] + st
        self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
        self.T_since[t] = now
        self.T_state[t] = BUSY
        self.T_free[t] = free
        self.T_njob[t] = n
        if self.T_k1[t] > self.T_k0[t]:
            self._count_wafers(t, 25 * n)
        if self.G_plain[f] and self.G_len[2 * f + WAITING] == 0 and self.T_npend[t] == 0:
            # Nobody waits: the tool needs no event at its end; it is "lazily busy" and
            # counts as free from T_free on (see settle/arm).
            self.T_lazy[t] = 1
            self.lazy_push(f, t)
        else:
            self.H.push(free, TOOL_FREE, t, self.T_tok[t])
        counted = now >= self.warm
        for i in range(n):
            lot = self.J_lots[t * self.jmax + i]
            if counted:
                self.q_sum[f] += now - self.L_qin[lot]
                self.q_n[f] += 1
            self.route(lot, t, f, done, now)

    @cython.cfunc
    def _setup(self, t: cython.long, g: cython.long, s: cython.long) -> cython.double:
        """Tool ``t`` changes to setup ``s`` for step ``g``: the setup time (a minimum run
        starts after a setup that takes time)."""
        st: cython.double = self.S_stime[g]
        if st < 0:
            key = (self.T_setup[t], s)
            st = self.setup_minutes.get(key, self.setup_minutes.get((-1, s), 0.0))
        self.T_setup[t] = s
        self.T_setup_acc[t] += st
        if st > 0 and s in self.min_run:
            self.T_mr_left[t] = self.min_run[s]
            self.T_mr_setup[t] = s
        return st

    @cython.cfunc
    @cython.locals(k=cython.long, c=cython.long, due=cython.long)
    def _count_wafers(self, t: cython.long, pieces: cython.long) -> None:
        """Wafer-count PMs: count the job's wafers; a counter that runs out makes its PM due
        (nested PMs: only the longest due one, which resets the shorter counters)."""
        due = -1
        for k in range(self.T_k0[t], self.T_k1[t]):
            c = self.K_cal[k]
            self.K_left[k] -= pieces
            if self.K_left[k] <= 0:
                self.K_left[k] += self.C_every[c]
                if not self.nested:
                    self.pend(t, c)
                elif due < 0 or self.C_every[c] > self.C_every[due]:
                    due = c
        if due >= 0:  # nested: the longest PM due covers the shorter ones
            self.pend(t, due)
            for k in range(self.T_k0[t], self.T_k1[t]):
                c = self.K_cal[k]
                if self.C_every[c] < self.C_every[due]:
                    self.K_left[k] = self.C_every[c]

    @cython.cfunc
    @cython.locals(gl=cython.long, nxt=cython.long, at=cython.double, u=cython.double)
    def route(self, lot: cython.long, t: cython.long, f: cython.long, done: cython.double,
              now: cython.double) -> None:  # fmt: skip
        """Decide where ``lot`` goes after the step it starts on ``t`` (ending at ``done``):
        CQT check and start, lot-to-lens dedication, rework, sampled-out steps, transport."""
        # Every lot of a batch keeps its own route: batches mix products whose steps share a
        # recipe, so the routing must use the lot's step, not the batch leader's.
        gl = self.L_step[lot]
        if self.L_cqts[lot] == gl:
            rec = self.cqt_checks.setdefault(gl, [0, 0])
            rec[0] += 1
            if now > self.L_cqtd[lot]:
                rec[1] += 1
            self.L_cqts[lot] = -1
            self.L_cqtd[lot] = INF
        nxt = self.S_next[gl]
        if self.S_special[gl]:  # CQT start, lot-to-lens dedication or rework at this step
            if self.S_cqt_to[gl] >= 0:
                self.L_cqts[lot] = self.S_cqt_to[gl]
                self.L_cqtd[lot] = done + self.S_cqt[gl]
            if self.S_ded[gl] >= 0:
                dd = self.L_ded[lot]
                if dd is None:
                    dd = self.L_ded[lot] = {}
                dd[self.S_ded[gl]] = t
            if self.S_rework[gl] > 0.0 and self.u_route.next() < self.S_rework[gl]:
                rw = self.L_rwk[lot]  # rework, at most once per step
                if rw is None:
                    rw = self.L_rwk[lot] = set()
                if gl not in rw:
                    rw.add(gl)
                    nxt = self.S_rwto[gl]
        # sampling: skipped steps cost one uniform draw and no event
        while nxt >= 0 and self.S_sample[nxt] < 1.0:
            if self.u_route.next() < self.S_sample[nxt]:
                break
            nxt = -1 if self.S_last[nxt] else nxt + 1
        if nxt < 0:
            self.L_kind[lot] = COMPLETE
            self.L_evt[lot] = done
            self.H.push(done, COMPLETE, lot, self.L_tok[lot])
            return
        self.L_step[lot] = nxt
        at = done
        if self.has_transport and self.G_fab[f] and self.G_fab[self.S_group[nxt]]:
            at += self.tr_lo + self.tr_w * self.u_trans.next()
        self.L_kind[lot] = ARRIVE
        self.L_evt[lot] = at
        self.H.push(at, ARRIVE, lot, self.L_tok[lot])

    # ------------------------------------------------------------------ tools
    @cython.cfunc
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

    @cython.cfunc
    def pend(self, t: cython.long, c: cython.long) -> None:
        """Calendar ``c`` is due on tool ``t`` once its job (or current down) ends."""
        self.T_pending[t].append(c)
        self.T_npend[t] += 1

    @cython.cfunc
    def _first_lazy(self, f: cython.long) -> cython.long:
        """The lazily busy tool of group ``f`` with the earliest end (the lowest id on ties)."""
        return self.Z_tools[self.G_first[f]]

    @cython.cfunc
    @cython.inline
    def _ends_before(self, t1: cython.long, t2: cython.long) -> cython.bint:
        return self.T_free[t1] < self.T_free[t2] or (self.T_free[t1] == self.T_free[t2] and t1 < t2)

    @cython.cfunc
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

    @cython.cfunc
    def lazy_push(self, f: cython.long, t: cython.long) -> None:
        """Tool ``t`` of group ``f`` becomes lazily busy."""
        self.G_nlazy[f] += 1
        self._lazy_place(f, self.G_nlazy[f] - 1, t)

    @cython.cfunc
    @cython.locals(i=cython.long, n=cython.long)
    def lazy_remove(self, f: cython.long, t: cython.long) -> None:
        """Tool ``t`` of group ``f`` is no longer lazily busy."""
        n = self.G_nlazy[f] - 1
        self.G_nlazy[f] = n
        i = self.T_zpos[t]
        if i < n:  # the last one takes its place
            self._lazy_place(f, i, self.Z_tools[self.G_first[f] + n])

    @cython.cfunc
    def arm(self, t: cython.long) -> None:
        """Give a lazily busy tool its end-of-job event (someone now waits for it)."""
        self.T_lazy[t] = 0
        self.lazy_remove(self.T_group[t], t)
        self.H.push(self.T_free[t], TOOL_FREE, t, self.T_tok[t])

    @cython.cfunc
    @cython.locals(f=cython.long, lot=cython.long)
    def free_tool(self, t: cython.long, now: cython.double) -> None:
        """The tool finished a job or a down: pending downs first, then work, else idle."""
        self.T_njob[t] = 0
        if self.T_npend[t] > 0:
            self.T_npend[t] -= 1
            self.begin_down(t, self.T_pending[t].pop(0), now)
            return
        f = self.T_group[t]
        if self.G_len[2 * f + WAITING] > 0:
            if self.G_plain[f]:  # FIFO, no batching, setups or dedication: first of top priority
                if self.G_len[2 * f + HOT] > 0:
                    lot = self._top_priority(f)
                else:
                    lot = self.G_head[2 * f + WAITING]
                self.dequeue(f, lot)
                self.start_lot(t, lot, now)
                return
            if self.dispatch_tool(t, now):
                return
        self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
        self.T_since[t] = now
        self.T_state[t] = IDLE
        self.idle_push(f, t)

    @cython.cfunc
    @cython.locals(dur=cython.double, lot=cython.long, i=cython.long)
    def begin_down(self, t: cython.long, c: cython.long, now: cython.double) -> None:
        """Calendar ``c`` takes tool ``t`` down now (a failure preempts its job)."""
        dur = draw(self.C_rdist[c], self.C_rmean[c], self.C_rhalf[c], self.u_down.next())
        if self.T_state[t] == BUSY and self.T_njob[t] > 0:  # the job resumes after the repair
            self.T_tok[t] += 1
            self.T_free[t] += dur
            self.H.push(self.T_free[t], TOOL_FREE, t, self.T_tok[t])
            for i in range(self.T_njob[t]):
                lot = self.J_lots[t * self.jmax + i]
                if self.L_evt[lot] > now:
                    self.L_tok[lot] += 1
                    self.L_evt[lot] += dur
                    self.H.push(self.L_evt[lot], self.L_kind[lot], lot, self.L_tok[lot])
        elif self.T_state[t] == IDLE:
            self.idle_remove(self.T_group[t], t)
        self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
        self.T_since[t] = now
        self.T_state[t] = DOWN if self.C_down[c] else PM
        self.H.push(now + dur, UP, t, c)

    # ------------------------------------------------------------------ dispatching
    @cython.cfunc
    def try_idle(self, f: cython.long, now: cython.double) -> None:
        """Let the idle tools of group ``f`` look for work (a batch may have formed)."""
        t: cython.long
        first: cython.long = self.G_first[f]
        for t in [self.I_tools[i] for i in range(first, first + self.G_nidle[f])]:
            if self.dispatch_tool(t, now):
                self.idle_remove(f, t)
            elif not self.G_ded[f]:
                break

    @cython.cfunc
    @cython.locals(f=cython.long, lot=cython.long)
    def dispatch_tool(self, t: cython.long, now: cython.double) -> cython.bint:
        """Tool ``t`` takes work from its queue by the rule; False if nothing suits it."""
        f = self.T_group[t]
        if self.G_len[2 * f + WAITING] == 0:
            return False
        if self.G_batch[f]:
            lots = self.choose_batch(t, self.waiting_lots(f), now)
            if not lots:
                return False
            for lot in lots:
                self.dequeue(f, lot)
            self.start_batch(t, lots, now)
            return True
        lot = self.choose_fifo(t, f) if self.fast_fifo else self.choose_by_key(t, f, now)
        if lot < 0:
            return False
        self.dequeue(f, lot)
        self.start_lot(t, lot, now)
        return True

    @cython.cfunc
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

    @cython.cfunc
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

    @cython.cfunc
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

    @cython.cfunc
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

    # ------------------------------------------------------------------ records
    def _records(self) -> dict[str, Any]:
        """Close the statistics at the horizon and return the run's flat records."""
        end, warm, nt = self.end, self.warm, self.nt
        self.wip_change(end, 0)
        self._close_states(end)
        m, e = self.model, self.engine
        acc, acc_warm = _tolist(self.acc), self.acc_warm
        L_done, L_prod = self.L_done, self.L_prod
        lots_done = [i for i in range(self.n_lots) if L_done[i] >= 0]
        names = [p.name for p in m.products]
        T_group, setup_acc = self.T_group, _tolist(self.T_setup_acc)

        def state(s: int) -> list[float]:
            return [acc[s * nt + t] - acc_warm[s * nt + t] for t in range(nt)]

        q_sum, q_n = _tolist(self.q_sum), _tolist(self.q_n)
        return dict(
            lots={
                "lot": lots_done,
                "product": [names[L_prod[i]] for i in lots_done],
                "priority": [self.L_prio[i] for i in lots_done],
                "release_min": [self.L_rel[i] for i in lots_done],
                "done_min": [L_done[i] for i in lots_done],
                "due_min": [self.L_due[i] for i in lots_done],
                "pieces": [e.product_pieces[L_prod[i]] for i in lots_done],
                "rpt_min": [e.product_rpt[L_prod[i]] for i in lots_done],
                "initial_wip": [self.L_order[i] < 0 and i < len(m.wip) for i in lots_done],
            },
            tools={
                "tool": list(range(nt)),
                "group": [m.groups[T_group[t]].name for t in range(nt)],
                "standby_min": state(IDLE),
                "busy_min": state(BUSY),
                "setup_min": [setup_acc[t] - self.setup_warm[t] for t in range(nt)],
                "unscheduled_down_min": state(DOWN),
                "pm_min": state(PM),
            },
            queues={
                "group": [g.name for g in m.groups],
                "lots_started": q_n,
                "mean_queue_min": [q_sum[f] / q_n[f] if q_n[f] else 0.0 for f in range(self.ng)],
                "queue_length_now": [self.G_len[2 * f + WAITING] for f in range(self.ng)],
            },
            cqt={
                "step": list(self.cqt_checks),
                "checks": [v[0] for v in self.cqt_checks.values()],
                "violations": [v[1] for v in self.cqt_checks.values()],
            },
            wip={"time_min": self.wip_t, "wip": self.wip_n, "by_product": self.wip_p},
            wip_time_average=(self.area - self.area_warm) / (end - warm),
            window_minutes=end - warm,
            events=self.n_events,
            wall_seconds=_time.perf_counter() - self.wall0,
            extra={"released": self.released, "wip_end": self.wip, "products": names},
        )


@cython.cfunc
@cython.inline
def draw(dist: cython.long, mean: cython.double, half: cython.double,
         u: cython.double) -> cython.double:  # fmt: skip
    """A duration of distribution ``dist`` (:data:`~fabnet.fab.model.DIST_EXP`, ``DIST_CONST``
    or uniform ``mean ± half``) from the uniform number ``u``."""
    if dist == DIST_EXP:
        return -mean * log(1.0 - u)
    if dist == DIST_CONST:
        return mean
    return mean - half + 2 * half * u
