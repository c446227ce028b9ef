"""The event loop of :class:`fabnet.fab.engine.Engine`: a binary heap of ``(time, kind, a, b)``.

This module is the hot path and nothing else. It is plain Python and is also compiled with Cython
when fabnet is installed (``setup.py`` builds ``fabnet.fab._kernel_c`` from this very file); the
engine uses the compiled module only when it was built from the current source (see
:func:`fabnet.fab.engine.kernel_module`), so editing this file never runs stale code. The
semantics are documented in :mod:`fabnet.fab.engine`.

Why one long function with closures: every table is a local (or closure) variable, which is the
fastest lookup both in CPython and in the compiled module; per event the loop does a ``heappop``,
a branch on ``kind`` and a few table reads. The event heap lives in this module too (so the
compiled loop calls it as C), which is why the file is longer than the house's ~600 lines; the
``cython.declare`` and ``@cython.locals`` blocks are the C types and do nothing interpreted.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import cython
import numpy as np

from fabnet.fab.dispatch import RULES
from fabnet.fab.model import DIST_CONST, DIST_EXP
from fabnet.fab.rng import uniform_streams

__all__ = ["DAY", "EventHeap", "TupleHeap", "simulate"]

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
INF = cython.declare(cython.double, math.inf)
BIG = cython.declare(cython.double, 1e12)  # a key term that outranks any time in minutes
# dispatching rules, by their index in fabnet.fab.dispatch.RULES
R_FIFO = cython.declare(cython.long, 0)
R_CR = cython.declare(cython.long, 1)
R_EDD = cython.declare(cython.long, 2)
R_SPT = cython.declare(cython.long, 3)
R_SETUP = cython.declare(cython.long, 4)
R_CQT = cython.declare(cython.long, 5)
assert RULES == ("fifo", "cr", "edd", "spt", "setup", "cqt"), "keep R_* in step with RULES"
DAY = 1440.0


@cython.final
@cython.cclass
class EventHeap:
    """Min-heap of events ``(time, kind, a, b)``, ordered lexicographically like tuples.

    Compiled, it keeps four parallel C arrays (no tuple and no boxed float per event); ``pop``
    returns the time and leaves the event's ``kind``, ``a`` and ``b`` in attributes. Interpreted,
    the kernel uses :class:`TupleHeap` (``heapq``) instead, in the same order (distinct events
    never compare equal, so any correct heap pops them in the same sequence).
    """

    size: cython.Py_ssize_t
    # the last popped event's kind and ids (readable from Python too)
    kind = cython.declare(cython.long, visibility="readonly")
    a = cython.declare(cython.long, visibility="readonly")
    b = cython.declare(cython.long, visibility="readonly")
    _t: cython.double[::1]
    _k: cython.long[::1]
    _a: cython.long[::1]
    _b: cython.long[::1]

    def __init__(self, capacity: cython.Py_ssize_t = 1024) -> None:
        self.size = 0
        self.kind = self.a = self.b = 0
        self._t = np.empty(capacity, dtype=np.float64)
        self._k = np.empty(capacity, dtype=np.int_)
        self._a = np.empty(capacity, dtype=np.int_)
        self._b = np.empty(capacity, dtype=np.int_)

    def __len__(self) -> int:
        return self.size

    @cython.cfunc
    def _grow(self) -> None:
        n = self.size
        t, k = np.empty(2 * n, dtype=np.float64), np.empty(2 * n, dtype=np.int_)
        a, b = np.empty(2 * n, dtype=np.int_), np.empty(2 * n, dtype=np.int_)
        t[:n], k[:n], a[:n], b[:n] = self._t, self._k, self._a, self._b
        self._t, self._k, self._a, self._b = t, k, a, b

    @cython.ccall
    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(i=cython.Py_ssize_t, up=cython.Py_ssize_t)
    def push(self, t: cython.double, kind: cython.long, a: cython.long, b: cython.long) -> None:
        if self.size == self._t.shape[0]:
            self._grow()
        i = self.size
        self.size += 1
        while i > 0:  # sift the hole up while the parent is larger
            up = (i - 1) >> 1
            if _event_less(self._t[up], self._k[up], self._a[up], self._b[up], t, kind, a, b):
                break
            self._t[i], self._k[i], self._a[i], self._b[i] = (
                self._t[up],
                self._k[up],
                self._a[up],
                self._b[up],
            )
            i = up
        self._t[i], self._k[i], self._a[i], self._b[i] = t, kind, a, b

    @cython.ccall
    @cython.boundscheck(False)
    @cython.wraparound(False)
    @cython.locals(
        i=cython.Py_ssize_t,
        c=cython.Py_ssize_t,
        n=cython.Py_ssize_t,
        t=cython.double,
        kind=cython.long,
        a=cython.long,
        b=cython.long,
        top=cython.double,
    )
    def pop(self) -> cython.double:
        top = self._t[0]
        self.kind, self.a, self.b = self._k[0], self._a[0], self._b[0]
        self.size -= 1
        n = self.size
        t, kind, a, b = self._t[n], self._k[n], self._a[n], self._b[n]
        i = 0
        while True:  # sift the last event down from the root
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and _event_less(
                self._t[c + 1],
                self._k[c + 1],
                self._a[c + 1],
                self._b[c + 1],
                self._t[c],
                self._k[c],
                self._a[c],
                self._b[c],
            ):
                c += 1
            if not _event_less(self._t[c], self._k[c], self._a[c], self._b[c], t, kind, a, b):
                break
            self._t[i], self._k[i], self._a[i], self._b[i] = (
                self._t[c],
                self._k[c],
                self._a[c],
                self._b[c],
            )
            i = c
        if n > 0:
            self._t[i], self._k[i], self._a[i], self._b[i] = t, kind, a, b
        return top


@cython.cfunc
@cython.inline
def _event_less(
    t1: cython.double,
    k1: cython.long,
    a1: cython.long,
    b1: cython.long,
    t2: cython.double,
    k2: cython.long,
    a2: cython.long,
    b2: cython.long,
) -> cython.bint:
    if t1 != t2:
        return t1 < t2
    if k1 != k2:
        return k1 < k2
    if a1 != a2:
        return a1 < a2
    return b1 < b2


class TupleHeap:
    """The interpreted kernel's event heap: ``heapq`` over ``(time, kind, a, b)`` tuples in
    ``items``, with :class:`EventHeap`'s ``push`` and ``len``; the loop pops ``items`` with
    ``heapq.heappop`` directly (one Python call less per event)."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, int, int]] = []

    def __len__(self) -> int:
        return len(self.items)

    def push(self, t: float, kind: int, a: int, b: int) -> None:
        heappush(self.items, (t, kind, a, b))


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


def simulate(self: Any, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Run the engine's compiled tables (``self``: an :class:`~fabnet.fab.engine.Engine`);
    ``progress(day)`` is called once per sampled day. Returns the fields of a ``RawResult``."""
    wall0 = _time.perf_counter()
    cfg, m = self.config, self.model
    end: cython.double = cfg.days * DAY
    warm: cython.double = cfg.warmup_days * DAY
    streams = uniform_streams(cfg.seed)
    u_proc, u_trans, u_route = streams["process"], streams["transport"], streams["routing"]
    u_down, u_rel = streams["downs"], streams["release"]
    log = math.log
    H: EventHeap = EventHeap() if cython.compiled else TupleHeap()  # type: ignore[assignment]

    # Step, group, tool and lot tables: C arrays when compiled (typed memoryviews: no boxing),
    # plain lists when interpreted (the fastest there).
    # fmt: off
    cython.declare(
        S_group=cython.long[::1], S_setup=cython.long[::1], S_dist=cython.long[::1],
        S_rwto=cython.long[::1], S_cqt_to=cython.long[::1], S_ded=cython.long[::1],
        S_last=cython.long[::1], S_recipe=cython.long[::1], S_bmin=cython.long[::1],
        S_bmax=cython.long[::1], S_next=cython.long[::1], S_special=cython.long[::1],
        S_lo=cython.double[::1], S_w=cython.double[::1], S_mean=cython.double[::1],
        S_tool=cython.double[::1], S_stime=cython.double[::1], S_sample=cython.double[::1],
        S_rework=cython.double[::1], S_cqt=cython.double[::1],
        G_load=cython.double[::1], G_tload=cython.double[::1], G_fab=cython.long[::1],
        G_batch=cython.long[::1], G_ded=cython.long[::1], G_setups=cython.long[::1],
        G_plain=cython.long[::1], q_sum=cython.double[::1], q_n=cython.long[::1],
        T_group=cython.long[::1], T_setup=cython.long[::1], T_state=cython.long[::1],
        T_tok=cython.long[::1], T_mr_left=cython.long[::1], T_mr_setup=cython.long[::1],
        T_lazy=cython.long[::1], T_since=cython.double[::1], T_free=cython.double[::1],
        T_setup_acc=cython.double[::1], acc=cython.double[::1],
        L_step=cython.long[::1], L_prod=cython.long[::1], L_prio=cython.long[::1],
        L_order=cython.long[::1], L_tok=cython.long[::1], L_kind=cython.long[::1],
        L_cqts=cython.long[::1], L_req=cython.long[::1], L_rel=cython.double[::1],
        L_due=cython.double[::1], L_qin=cython.double[::1], L_cqtd=cython.double[::1],
        L_done=cython.double[::1], L_evt=cython.double[::1], n_lots=cython.long,
        lot_cap=cython.long,
    )
    # fmt: on
    n_steps = len(self.step_last)
    S_group, S_setup = _longs(self.step_group), _longs(self.step_setup)
    S_dist, S_recipe = _longs(self.step_dist), _longs(self.step_recipe)
    S_rwto, S_cqt_to = _longs(self.step_rework_to), _longs(self.step_cqt_to)
    S_ded, S_last = _longs(self.step_dedicate_to), _longs(self.step_last)
    S_bmin, S_bmax = _longs(self.step_bmin), _longs(self.step_bmax)
    S_next = _longs([-1 if last else g + 1 for g, last in enumerate(self.step_last)])
    S_special = _longs(  # CQT start, lot-to-lens dedication or rework at this step
        [
            self.step_cqt_to[g] >= 0 or self.step_dedicate_to[g] >= 0 or self.step_rework[g] > 0
            for g in range(n_steps)
        ]
    )
    S_lo, S_w, S_mean = _doubles(self.step_lo), _doubles(self.step_w), _doubles(self.step_mean)
    S_tool, S_stime = _doubles(self.step_tool_minutes), _doubles(self.step_setup_minutes)
    S_sample, S_rework = _doubles(self.step_sample), _doubles(self.step_rework)
    S_cqt = _doubles(self.step_cqt_minutes)
    G_load, G_tload = _doubles(self.group_load), _doubles(self.group_tool_load)
    G_fab, G_batch = _longs(self.group_fab), _longs(self.group_batch)
    G_ded, G_setups = _longs(self.group_dedicated), _longs(self.group_setups)
    setup_minutes, min_run = self.setup_minutes, self.setup_min_run
    tr_lo: cython.double = m.transport[0] - m.transport[1]
    tr_w: cython.double = 2 * m.transport[1]
    has_transport: cython.bint = m.transport[0] > 0
    # lots
    # lots: tables with room for lot_cap lots, doubled when full (new_lot); the public ones are
    # also the engine's lot_* attributes, which user dispatching rules read
    n_lots = 0
    lot_cap = max(_MIN_LOT_CAP, len(m.wip) + len(cfg.lot_list) + _expected_releases(m, end, cfg))
    self.lot_step = L_step = _longs([0] * lot_cap)
    self.lot_product = L_prod = _longs([0] * lot_cap)
    self.lot_priority = L_prio = _longs([0] * lot_cap)
    self.lot_order = L_order = _longs([0] * lot_cap)  # order index, -1: initial WIP or lot list
    self.lot_release = L_rel = _doubles([0.0] * lot_cap)
    self.lot_due = L_due = _doubles([0.0] * lot_cap)
    self.lot_queue_entry = L_qin = _doubles([0.0] * lot_cap)
    self.lot_cqt_deadline = L_cqtd = _doubles([0.0] * lot_cap)
    self.lot_done = L_done = _doubles([0.0] * lot_cap)  # completion time, -1: in the fab
    L_tok = _longs([0] * lot_cap)  # token: events of the lot with an older token are void
    L_kind = _longs([0] * lot_cap)  # kind of the lot's pending event (ARRIVE or COMPLETE)
    L_evt = _doubles([0.0] * lot_cap)  # time of the lot's pending event
    L_cqts = _longs([0] * lot_cap)  # step that closes the lot's open CQT window, -1: none
    L_req = _longs([0] * lot_cap)  # tool the lot's current step is dedicated to (-1: any)
    L_ded: list = []  # dict step -> tool, or None
    L_rwk: list = []  # set of reworked steps, or None
    # tools
    nt: cython.long = len(self.tool_group)
    ng: cython.long = len(m.groups)
    T_group = _longs(self.tool_group)
    self.tool_setup = T_setup = _longs(self.tool_setup)  # user rules read state.tool_setup
    T_state = _longs([IDLE] * nt)
    T_since, T_free = _doubles([0.0] * nt), _doubles([0.0] * nt)
    T_tok, T_mr_left, T_mr_setup = _longs([0] * nt), _longs([0] * nt), _longs([-1] * nt)
    T_job: list = [[] for _ in range(nt)]  # lots in process
    T_pending: list = [[] for _ in range(nt)]  # calendars due, waiting for the job to end
    T_counters: list = [[] for _ in range(nt)]  # [calendar, wafers left] per wafer-count PM
    T_setup_acc = _doubles([0.0] * nt)
    acc = _doubles([0.0] * (4 * nt))  # minutes per tool state: acc[state * nt + tool]
    G_idle: list = [list(ts) for ts in self.group_tools]
    Q: list = [[] for _ in range(ng)]
    # lots above the base priority waiting in each queue: with none, FIFO takes q[0]
    Q_hot: list = [[] for _ in range(ng)]  # lots above base priority, in order
    NO_JOB: list = []
    T_lazy = _longs([0] * nt)  # busy, no end-of-job event: free from T_free[t] on
    nested: cython.bint = cfg.nested_pms
    T_pm_last: list = [{} for _ in range(nt)]  # interval -> last due
    G_lazy: list = [[] for _ in range(ng)]  # (T_free, tool) heaps
    prios = [o.priority for o in m.orders] + [w.priority for w in m.wip]
    prios += [row[2] for row in cfg.lot_list]
    base_prio: cython.long = min(prios) if prios else 0  # lots above it are "hot"
    q_sum, q_n = _doubles([0.0] * ng), _longs([0] * ng)
    cqt_checks: dict = {}  # step -> [checks, violations]
    batch_wait = cfg.batch_wait_minutes
    rule = cfg.dispatch
    fast_fifo: cython.bint = rule == "fifo"
    G_plain = _longs(
        [
            fast_fifo
            and not (self.group_batch[f] or self.group_dedicated[f] or self.group_setups[f])
            for f in range(ng)
        ]
    )
    rule_id: cython.long = RULES.index(rule) if isinstance(rule, str) else -1
    user_rule = None if isinstance(rule, str) else rule
    S_rem = _doubles(self.step_remaining_rpt)

    @cython.locals(r=cython.double, s=cython.long, d=cython.double)
    def lot_key(lot: cython.long, t: cython.long, now: cython.double) -> cython.double:
        """The dispatching rule's key for ``lot`` on tool ``t`` (lower first); the rules are
        defined in :mod:`fabnet.fab.dispatch`."""
        if rule_id == R_FIFO:
            return L_qin[lot]
        if rule_id == R_CR:  # critical ratio (due - now) / remaining raw process time
            r = S_rem[L_step[lot]]
            return (L_due[lot] - now) / r if r > 0 else BIG
        if rule_id == R_EDD:
            return L_due[lot]
        if rule_id == R_SPT:
            return S_mean[L_step[lot]] * BIG + L_qin[lot]
        if rule_id == R_SETUP:
            s = S_setup[L_step[lot]]
            return L_qin[lot] + (BIG if s >= 0 and s != T_setup[t] else 0.0)
        if rule_id == R_CQT:
            d = L_cqtd[lot]
            return d - BIG if d < BIG else L_qin[lot]
        return float(user_rule(self, lot, t, now))  # type: ignore[misc]

    def prio_of(lot: cython.long) -> cython.long:
        return L_prio[lot]

    cals = m.calendars
    # counters
    stats = {"wip": 0, "area": 0.0, "last": 0.0, "area_warm": 0.0, "released": 0}
    wip_by_product = [0] * len(m.products)
    wip_t: list[float] = []
    wip_n: list[int] = []
    wip_p: list[list[int]] = []

    def grow_lots() -> None:
        nonlocal lot_cap, L_step, L_prod, L_prio, L_order, L_rel, L_due, L_qin, L_cqtd
        nonlocal L_done, L_tok, L_kind, L_evt, L_cqts, L_req
        lot_cap *= 2
        self.lot_step = L_step = _grown(L_step, lot_cap)
        self.lot_product = L_prod = _grown(L_prod, lot_cap)
        self.lot_priority = L_prio = _grown(L_prio, lot_cap)
        self.lot_order = L_order = _grown(L_order, lot_cap)
        self.lot_release = L_rel = _grown(L_rel, lot_cap)
        self.lot_due = L_due = _grown(L_due, lot_cap)
        self.lot_queue_entry = L_qin = _grown(L_qin, lot_cap)
        self.lot_cqt_deadline = L_cqtd = _grown(L_cqtd, lot_cap)
        self.lot_done = L_done = _grown(L_done, lot_cap)
        L_tok, L_kind, L_evt = (
            _grown(L_tok, lot_cap),
            _grown(L_kind, lot_cap),
            _grown(L_evt, lot_cap),
        )
        L_cqts, L_req = _grown(L_cqts, lot_cap), _grown(L_req, lot_cap)

    def new_lot(prod: int, prio: int, rel: float, due: float, step: int, order: int) -> int:
        nonlocal n_lots
        if n_lots == lot_cap:
            grow_lots()
        lot = n_lots
        n_lots += 1
        L_step[lot] = self.route_first[self.product_route[prod]] + step
        L_prod[lot] = prod
        L_prio[lot] = prio
        L_rel[lot] = rel
        L_due[lot] = due
        L_qin[lot] = 0.0
        L_cqtd[lot] = INF
        L_done[lot] = -1.0
        L_order[lot] = order
        L_tok[lot] = 0
        L_evt[lot] = 0.0
        L_kind[lot] = ARRIVE
        L_cqts[lot] = -1
        L_req[lot] = -1
        L_ded.append(None)
        L_rwk.append(None)
        return lot

    def wip_change(now: float, delta: int) -> None:
        stats["area"] += stats["wip"] * (now - stats["last"])
        stats["last"] = now
        stats["wip"] += delta

    @cython.locals(
        g=cython.long,
        f=cython.long,
        s=cython.long,
        d=cython.long,
        lo=cython.double,
        w=cython.double,
        mean=cython.double,
        tm=cython.double,
        load=cython.double,
        tload=cython.double,
        st=cython.double,
        pt=cython.double,
        done=cython.double,
        free=cython.double,
        lot=cython.long,
        gl=cython.long,
        nxt=cython.long,
        at=cython.double,
        counted=cython.bint,
        u=cython.double,
        pieces=cython.double,
        due=cython.long,
    )
    def start(t: cython.long, lots: list, now: cython.double) -> None:
        g = L_step[lots[0]]
        f = S_group[g]
        s = S_setup[g]
        d = S_dist[g]
        lo, w, mean, tm = S_lo[g], S_w[g], S_mean[g], S_tool[g]
        load, tload = G_load[f], G_tload[f]
        st = 0.0
        if s >= 0 and T_setup[t] != s:
            st = S_stime[g]
            if st < 0:
                st = setup_minutes.get((T_setup[t], s), setup_minutes.get((-1, s), 0.0))
            T_setup[t] = s
            T_setup_acc[t] += st
            if st > 0 and s in min_run:
                T_mr_left[t] = min_run[s]
                T_mr_setup[t] = s
        if T_mr_left[t] > 0:
            T_mr_left[t] -= len(lots)
        if d == 0:
            u = u_proc()  # a C double when compiled: no boxed arithmetic
            pt = lo + w * u
        elif d == DIST_EXP:
            u = u_proc()
            pt = -mean * log(1.0 - u)
        else:
            pt = mean
        done = now + pt + load + st
        free = now + (pt if tm < 0 else tm) + tload + st
        acc[T_state[t] * nt + t] += now - T_since[t]
        T_since[t] = now
        T_state[t] = BUSY
        T_free[t] = free
        T_job[t] = lots
        if T_counters[t]:
            pieces = 25 * len(lots)
            due = -1
            for c in T_counters[t]:
                c[1] -= pieces
                if c[1] <= 0:
                    c[1] += cals[int(c[0])].every
                    if not nested:
                        T_pending[t].append(int(c[0]))
                    elif due < 0 or cals[int(c[0])].every > cals[due].every:
                        due = int(c[0])
            if due >= 0:  # nested: the longest PM due covers the shorter ones
                T_pending[t].append(due)
                for c in T_counters[t]:
                    if cals[int(c[0])].every < cals[due].every:
                        c[1] = cals[int(c[0])].every
        if G_plain[f] and not Q[f] and not T_pending[t]:
            # Nobody waits: the tool needs no event at its end; it is "lazily busy" and
            # counts as free from T_free on (see settle/arm_all).
            T_lazy[t] = 1
            heappush(G_lazy[f], (free, t))
        else:
            H.push(free, TOOL_FREE, t, T_tok[t])
        counted = now >= warm
        for lot in lots:
            # Every lot of a batch keeps its own route: batches mix products whose steps share
            # a recipe, so the routing below must use the lot's step, not the batch leader's.
            gl = L_step[lot]
            if counted:
                q_sum[f] += now - L_qin[lot]
                q_n[f] += 1
            if L_cqts[lot] == gl:
                rec = cqt_checks.setdefault(gl, [0, 0])
                rec[0] += 1
                if now > L_cqtd[lot]:
                    rec[1] += 1
                L_cqts[lot] = -1
                L_cqtd[lot] = INF
            nxt = S_next[gl]
            if S_special[gl]:  # CQT start, lot-to-lens dedication or rework at this step
                if S_cqt_to[gl] >= 0:
                    L_cqts[lot] = S_cqt_to[gl]
                    L_cqtd[lot] = done + S_cqt[gl]
                if S_ded[gl] >= 0:
                    dd = L_ded[lot]
                    if dd is None:
                        dd = L_ded[lot] = {}
                    dd[S_ded[gl]] = t
                if S_rework[gl] > 0.0:
                    u = u_route()
                    if u < S_rework[gl]:  # rework, at most once per step
                        rw = L_rwk[lot]
                        if rw is None:
                            rw = L_rwk[lot] = set()
                        if gl not in rw:
                            rw.add(gl)
                            nxt = S_rwto[gl]
            # sampling: skipped steps cost one uniform draw and no event
            while nxt >= 0 and S_sample[nxt] < 1.0:
                u = u_route()
                if u < S_sample[nxt]:
                    break
                nxt = -1 if S_last[nxt] else nxt + 1
            if nxt < 0:
                L_kind[lot] = COMPLETE
                L_evt[lot] = done
                H.push(done, COMPLETE, lot, L_tok[lot])
            else:
                L_step[lot] = nxt
                at = done
                if has_transport and G_fab[f] and G_fab[S_group[nxt]]:
                    u = u_trans()
                    at += tr_lo + tr_w * u
                L_kind[lot] = ARRIVE
                L_evt[lot] = at
                H.push(at, ARRIVE, lot, L_tok[lot])

    @cython.locals(tf=cython.double)
    def settle(t: cython.long, now: cython.double) -> None:
        """A lazily busy tool whose job ended by ``now`` becomes idle as of its end time."""
        if T_lazy[t] and T_free[t] <= now:
            T_lazy[t] = 0
            tf = T_free[t]
            acc[BUSY * nt + t] += tf - T_since[t]
            T_since[t] = tf
            T_state[t] = IDLE
            T_job[t] = NO_JOB
            G_idle[T_group[t]].append(t)

    def arm(t: cython.long) -> None:
        """Give a lazily busy tool its end-of-job event (someone now waits for it)."""
        T_lazy[t] = 0
        H.push(T_free[t], TOOL_FREE, t, T_tok[t])

    @cython.locals(
        lot=cython.long,
        best=cython.long,
        bp=cython.long,
        bns=cython.bint,
        cur=cython.long,
        check_ded=cython.bint,
        req=cython.long,
        p=cython.long,
        s=cython.long,
        ns=cython.bint,
        keep=cython.long,
        setups=cython.bint,
        mr=cython.bint,
        b_mr=cython.bint,
        k=cython.double,
        b_key=cython.double,
    )
    def choose_lot(t: cython.long, f: cython.long, q: list, now: cython.double) -> cython.long:
        if fast_fifo:
            # SMT2020 tool.txt ranks rank_HP; rank_RSETUP; rank_FIFO in one pass over the
            # queue (kept in arrival order): highest priority, then no setup, then first in.
            # A tool in a minimum run keeps its setup, so "no setup" also keeps the run.
            hot = Q_hot[f]
            if not G_ded[f] and not G_setups[f]:
                return max(hot, key=prio_of) if hot else q[0]
            cur = T_setup[t]
            check_ded = G_ded[f]
            best, bp, bns = -1, -1, False
            for lot in hot:  # hot lots first: any eligible one beats every normal lot
                if check_ded:
                    req = L_req[lot]
                    if req >= 0 and req != t:
                        continue
                p = L_prio[lot]
                if p < bp:
                    continue
                s = S_setup[L_step[lot]]
                ns = s == -1 or s == cur
                if p > bp or (ns and not bns):
                    best, bp, bns = lot, p, ns
            if best >= 0:
                return best
            for lot in q:  # normal lots: the first eligible one needing no setup, else first
                if check_ded:
                    req = L_req[lot]
                    if req >= 0 and req != t:
                        continue
                if L_prio[lot] > base_prio:
                    continue
                s = S_setup[L_step[lot]]
                if s == -1 or s == cur:
                    return lot
                if best < 0:
                    best = lot
            return best
        # Other rules, in one pass over the eligible lots, lexicographically: lots that keep
        # the tool's minimum run, then the highest priority (rank_HP), then no setup on a setup
        # group (rank_RSETUP), then the lowest key; ties go to the lot queued first.
        check_ded = G_ded[f]
        keep = T_mr_setup[t] if T_mr_left[t] > 0 else -2  # -2: no minimum run going on
        setups = G_setups[f]
        cur = T_setup[t]
        best, b_mr, bp, bns, b_key = -1, False, 0, False, INF
        for lot in q:
            if check_ded:
                req = L_req[lot]
                if req >= 0 and req != t:
                    continue
            s = S_setup[L_step[lot]]
            mr = s == keep
            p = L_prio[lot]
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
                    k = lot_key(lot, t, now)
                    if k < b_key:
                        best, b_key = lot, k
                    continue
            best, b_mr, bp, bns, b_key = lot, mr, p, ns, lot_key(lot, t, now)
        return best

    def choose_batch(t: cython.long, q: list, now: cython.double) -> list:
        by_recipe: dict[int, list[int]] = {}
        for lot in q:
            by_recipe.setdefault(S_recipe[L_step[lot]], []).append(lot)
        best: list[int] = []
        best_score: tuple[float, float, float] | None = None
        for lots in by_recipe.values():
            g = L_step[lots[0]]
            n, bmin, bmax = len(lots), S_bmin[g], S_bmax[g]
            if n < bmin and (batch_wait is None or now - L_qin[lots[0]] < batch_wait):
                continue
            lots.sort(key=lambda lot: (-L_prio[lot], lot_key(lot, t, now)))
            score = (-L_prio[lots[0]], -min(n, bmax) / bmax, lot_key(lots[0], t, now))
            if best_score is None or score < best_score:
                best, best_score = lots[:bmax], score
        return best

    @cython.locals(f=cython.long, lot=cython.long)
    def dispatch_tool(t: cython.long, now: cython.double) -> cython.bint:
        f = T_group[t]
        q = Q[f]
        if not q:
            return False
        if G_batch[f]:
            lots = choose_batch(t, q, now)
            if not lots:
                return False
            for lot in lots:
                q.remove(lot)
                if L_prio[lot] > base_prio:
                    Q_hot[f].remove(lot)
            start(t, lots, now)
            return True
        lot = choose_lot(t, f, q, now)
        if lot < 0:
            return False
        if q[0] == lot:
            del q[0]
        else:
            q.remove(lot)
        if L_prio[lot] > base_prio:
            Q_hot[f].remove(lot)
        start(t, [lot], now)
        return True

    def try_idle(f: cython.long, now: cython.double) -> None:
        idle = G_idle[f]
        for t in list(idle):
            if dispatch_tool(t, now):
                idle.remove(t)
            elif not G_ded[f]:
                break

    @cython.locals(
        g=cython.long,
        f=cython.long,
        t=cython.long,
        tf=cython.double,
        hot=cython.bint,
        req=cython.long,
        s=cython.long,
        cand=cython.long,
        idle=list,
        q=list,
        lazy=list,
    )
    def arrive(lot: cython.long, now: cython.double) -> None:
        g = L_step[lot]
        f = S_group[g]
        L_qin[lot] = now
        idle = G_idle[f]
        if G_plain[f]:
            if not idle:
                lazy = G_lazy[f]
                while lazy and lazy[0][0] <= now:  # a lazily busy tool that is free by now
                    tf, t = heappop(lazy)
                    if T_lazy[t] and T_free[t] == tf:
                        settle(t, now)
                        break
            if idle:
                start(idle.pop(), [lot], now)
                return
            q = Q[f]
            q.append(lot)
            if L_prio[lot] > base_prio:
                Q_hot[f].append(lot)
            if len(q) == 1:  # a queue forms: every busy tool must pick up when it ends
                lazy = G_lazy[f]
                for tf, t in lazy:
                    if T_lazy[t] and T_free[t] == tf:
                        arm(t)
                lazy.clear()
            return
        hot = L_prio[lot] > base_prio
        if hot:  # queued below, or taken off again when it starts at once
            Q_hot[f].append(lot)
        if G_ded[f]:
            dd = L_ded[lot]
            L_req[lot] = -1 if dd is None else dd.get(g, -1)
        if not idle:
            Q[f].append(lot)
            return
        if G_batch[f]:
            Q[f].append(lot)
            try_idle(f, now)
            if batch_wait is not None and lot in Q[f]:
                H.push(now + batch_wait, WAKE, f, 0)
            return
        t = idle[-1]
        if G_ded[f]:
            req = L_req[lot]
            if req >= 0:
                if req not in idle:
                    Q[f].append(lot)
                    return
                t = req
        elif G_setups[f] and S_setup[g] >= 0 and len(idle) > 1:
            s = S_setup[g]
            for cand in idle:
                if T_setup[cand] == s:
                    t = cand
                    break
            else:
                for cand in idle:
                    if T_mr_left[cand] <= 0:
                        t = cand
                        break
        if t == idle[-1]:
            idle.pop()
        else:
            idle.remove(t)
        if hot:
            Q_hot[f].remove(lot)
        start(t, [lot], now)

    @cython.locals(f=cython.long, lot=cython.long, q=list, hot=list)
    def free_tool(t: cython.long, now: cython.double) -> None:
        """The tool finished a job or a down: pending downs first, then work, else idle."""
        T_job[t] = NO_JOB
        if T_pending[t]:
            begin_down(t, T_pending[t].pop(0), now)
            return
        f = T_group[t]
        q = Q[f]
        if q:
            if G_plain[f]:  # FIFO, no batching, setups or dedication: first of top priority
                hot = Q_hot[f]
                if hot:
                    lot = max(hot, key=prio_of)
                    q.remove(lot)
                    hot.remove(lot)
                else:
                    lot = q.pop(0)
                start(t, [lot], now)
                return
            if dispatch_tool(t, now):
                return
        acc[T_state[t] * nt + t] += now - T_since[t]
        T_since[t] = now
        T_state[t] = IDLE
        G_idle[T_group[t]].append(t)

    def draw(dist: int, mean: float, half: float, u: float) -> float:
        if dist == DIST_EXP:
            return -mean * log(1.0 - u)
        if dist == DIST_CONST:
            return mean
        return mean - half + 2 * half * u

    @cython.locals(dur=cython.double, state=cython.long, lot=cython.long)
    def begin_down(t: cython.long, c: cython.long, now: cython.double) -> None:
        cal = cals[c]
        dur = draw(cal.repair_dist, cal.repair_mean, cal.repair_half_width, u_down())
        state = DOWN if cal.kind == "down" else PM
        if T_state[t] == BUSY and T_job[t]:  # a failure preempts; the job resumes later
            T_tok[t] += 1
            T_free[t] += dur
            H.push(T_free[t], TOOL_FREE, t, T_tok[t])
            for lot in T_job[t]:
                if L_evt[lot] > now:
                    L_tok[lot] += 1
                    L_evt[lot] += dur
                    H.push(L_evt[lot], L_kind[lot], lot, L_tok[lot])
        elif T_state[t] == IDLE:
            G_idle[T_group[t]].remove(t)
        acc[T_state[t] * nt + t] += now - T_since[t]
        T_since[t] = now
        T_state[t] = state
        H.push(now + dur, UP, t, c)

    def release_lot(o: int, now: float) -> None:
        order = m.orders[o]
        lot = new_lot(order.product, order.priority, now, now + order.due_minutes, 0, o)
        wip_change(now, 1)
        wip_by_product[order.product] += 1
        stats["released"] += 1
        arrive(lot, now)

    # ---- initial state
    for w in m.wip if cfg.initial_wip else ():
        lot = new_lot(w.product, w.priority, min(w.release, 0.0), w.due, w.step, -1)
        wip_change(0.0, 1)
        wip_by_product[w.product] += 1
    for lot in range(n_lots):
        arrive(lot, 0.0)
    lf = cfg.load_factor
    if cfg.release == "orders":
        for o, order in enumerate(m.orders):
            H.push(order.start, RELEASE, o, 0)
    else:
        virtual = [order.interval / lf for order in m.orders]

        def conwip_fill(now: float) -> None:
            while stats["wip"] < cfg.conwip_cap and m.orders:
                o = min(range(len(virtual)), key=virtual.__getitem__)
                virtual[o] += m.orders[o].interval / lf
                release_lot(o, now)

        conwip_fill(0.0)
    for i, release_row in enumerate(cfg.lot_list):
        H.push(release_row[0], RELEASE, -1 - i, 0)
    for c, cal in enumerate(cals):
        n = len(cal.tools)
        for k, t in enumerate(cal.tools):
            if cal.by_pieces:
                first = cal.first * (k + 1) / n if cal.first_dist == DIST_CONST else cal.first
                T_counters[t].append([float(c), first])
                continue
            if cal.first_dist == DIST_CONST:
                first = cal.first * (k + 1) / n
            else:
                first = draw(cal.first_dist, cal.first, 0.0, u_down())
            H.push(first, CAL, c, t)
    H.push(0.0, SAMPLE, 0, 0)
    if warm > 0:
        H.push(warm, WARMUP, 0, 0)

    # ---- event loop
    acc_warm = [0.0] * (4 * nt)
    setup_warm = [0.0] * nt
    n_events: cython.long = 0
    cython.declare(now=cython.double, kind=cython.long, a=cython.long, b=cython.long)
    items = None if cython.compiled else H.items  # type: ignore[attr-defined]
    while len(H):
        if cython.compiled:  # C heap, no tuple
            now = H.pop()
            kind, a, b = H.kind, H.a, H.b
        else:  # interpreted: heapq directly, one call less per event
            now, kind, a, b = heappop(items)
        if now > end:
            H.push(now, kind, a, b)
            break
        n_events += 1
        if kind == ARRIVE:
            if b == L_tok[a]:
                arrive(a, now)
        elif kind == TOOL_FREE:
            if b == T_tok[a]:
                free_tool(a, now)
        elif kind == COMPLETE:
            if b == L_tok[a]:
                L_done[a] = now
                wip_change(now, -1)
                wip_by_product[L_prod[a]] -= 1
                if cfg.release == "conwip" and L_order[a] >= 0:
                    conwip_fill(now)
        elif kind == RELEASE:
            if a < 0:
                _rt, prod, prio, due = cfg.lot_list[-1 - a]
                lot = new_lot(prod, prio, now, due, 0, -1)
                wip_change(now, 1)
                wip_by_product[prod] += 1
                stats["released"] += 1
                arrive(lot, now)
                continue
            order = m.orders[a]
            for _ in range(order.lots_per_release):
                release_lot(a, now)
            if b + 1 < order.count:
                gap = order.interval / lf
                if order.interval_dist == DIST_EXP:
                    gap = -gap * log(1.0 - u_rel())
                H.push(now + gap, RELEASE, a, b + 1)
        elif kind == CAL:
            cal = cals[a]
            if T_lazy[b]:
                settle(b, now)
                if T_lazy[b]:  # still processing: the down/PM logic needs its end event
                    arm(b)
            if cal.kind == "pm":
                H.push(now + cal.every, CAL, a, b)
                if nested:
                    last = T_pm_last[b]
                    if any(e > cal.every and now - t0 < cal.every for e, t0 in last.items()):
                        continue  # a longer PM of this tool covered this one
                    last[cal.every] = now
                if T_state[b] == IDLE:
                    begin_down(b, a, now)
                else:
                    T_pending[b].append(a)
            elif T_state[b] in (IDLE, BUSY):
                begin_down(b, a, now)
            else:
                T_pending[b].append(a)
        elif kind == UP:
            cal = cals[b]
            if cal.kind == "down":
                ttf = draw(cal.every_dist, cal.every, 0.0, u_down())
                H.push(now + ttf, CAL, b, a)
            if T_free[a] > now and T_job[a]:
                acc[T_state[a] * nt + a] += now - T_since[a]
                T_since[a] = now
                T_state[a] = BUSY
            else:
                free_tool(a, now)
        elif kind == WAKE:
            try_idle(a, now)
        elif kind == SAMPLE:
            wip_t.append(now)
            wip_n.append(int(stats["wip"]))
            wip_p.append(list(wip_by_product))
            if progress is not None:
                progress(now / DAY)
            if now + cfg.sample_minutes <= end:
                H.push(now + cfg.sample_minutes, SAMPLE, 0, 0)
        elif kind == WARMUP:
            wip_change(now, 0)
            stats["area_warm"] = stats["area"]
            for t in range(nt):
                settle(t, now)
                acc[T_state[t] * nt + t] += now - T_since[t]
                T_since[t] = now
            acc_warm = _tolist(acc)
            setup_warm = _tolist(T_setup_acc)
    # ---- close
    wip_change(end, 0)
    for t in range(nt):
        settle(t, end)
        acc[T_state[t] * nt + t] += end - T_since[t]
        T_since[t] = end
    window = end - warm
    wip_avg = (stats["area"] - stats["area_warm"]) / window
    lots_done = [i for i in range(n_lots) if L_done[i] >= 0]
    names = [p.name for p in m.products]
    return dict(
        lots={
            "lot": lots_done,
            "product": [names[L_prod[i]] for i in lots_done],
            "priority": [L_prio[i] for i in lots_done],
            "release_min": [L_rel[i] for i in lots_done],
            "done_min": [L_done[i] for i in lots_done],
            "due_min": [L_due[i] for i in lots_done],
            "pieces": [self.product_pieces[L_prod[i]] for i in lots_done],
            "rpt_min": [self.product_rpt[L_prod[i]] for i in lots_done],
            "initial_wip": [L_order[i] < 0 and i < len(m.wip) for i in lots_done],
        },
        tools={
            "tool": list(range(nt)),
            "group": [m.groups[T_group[t]].name for t in range(nt)],
            "standby_min": [acc[IDLE * nt + t] - acc_warm[IDLE * nt + t] for t in range(nt)],
            "busy_min": [acc[BUSY * nt + t] - acc_warm[BUSY * nt + t] for t in range(nt)],
            "setup_min": [T_setup_acc[t] - setup_warm[t] for t in range(nt)],
            "unscheduled_down_min": [
                acc[DOWN * nt + t] - acc_warm[DOWN * nt + t] for t in range(nt)
            ],
            "pm_min": [acc[PM * nt + t] - acc_warm[PM * nt + t] for t in range(nt)],
        },
        queues={
            "group": [g.name for g in m.groups],
            "lots_started": _tolist(q_n),
            "mean_queue_min": [q_sum[f] / q_n[f] if q_n[f] else 0.0 for f in range(ng)],
            "queue_length_now": [len(q) for q in Q],
        },
        cqt={
            "step": list(cqt_checks),
            "checks": [v[0] for v in cqt_checks.values()],
            "violations": [v[1] for v in cqt_checks.values()],
        },
        wip={"time_min": wip_t, "wip": wip_n, "by_product": wip_p},
        wip_time_average=wip_avg,
        window_minutes=window,
        events=n_events,
        wall_seconds=_time.perf_counter() - wall0,
        extra={"released": stats["released"], "wip_end": stats["wip"], "products": names},
    )
