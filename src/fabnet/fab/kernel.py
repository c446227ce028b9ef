# cython: boundscheck=False, wraparound=False, initializedcheck=False
# (wraparound off: no negative index anywhere in the kernel's modules, lists included)
"""The event kernel of :class:`fabnet.fab.engine.Engine`: the loop over a heap of
``(time, kind, a, b)`` events on integer ids, and the event handlers.

The kernel is one class built in three layers, one module each: :class:`~fabnet.fab.state.State`
(the tables and the small structures: group queues, idle-tool stacks, lazily busy tools),
:class:`~fabnet.fab.choice.Choice` (which lot or batch a free tool takes) and :class:`Kernel`
here (the loop; lots arriving, starting and routed; tools freed, down and back; releases and
statistics). Around them: :mod:`~fabnet.fab.heap` (the event queue), :mod:`~fabnet.fab.streams`
(random numbers), :mod:`~fabnet.fab.records` (the run's records), :mod:`~fabnet.fab.codes` (event
kinds and states) and the rules of :mod:`~fabnet.fab.dispatch`.

Every one of these modules is plain Python, and ``setup.py`` also compiles each with Cython
(``fabnet.fab._kernel_c`` from this file, ``_state_c`` from ``state.py`` ...; the C types are in
each module's ``.pxd``); the engine uses the compiled modules only when they were built from the
current sources (:func:`fabnet.fab.engine.kernel_module`), so editing a file never runs stale
code. Compiled, :class:`Kernel` is an extension type: its state typed attributes, its handlers C
methods (those of :class:`Kernel` itself called directly, the base classes' through their
method tables), a dispatching rule's key a C call. Interpreted, the same code runs as ordinary
Python with the same records. The semantics are documented in :mod:`fabnet.fab.engine`.

Reading order: :func:`simulate` → :meth:`Kernel.run` (initial state, the loop, the records);
the loop hands each event to one handler (``on_*``); a lot moves by :meth:`Kernel.arrive`
(queue or start) and :meth:`Kernel.start` (setup, processing time, routing); a tool by
:meth:`Kernel.free_tool`, :meth:`Kernel.begin_down` and the calendar events. The
``@cython.locals`` lines are C types and do nothing interpreted; the methods' C signatures are
in ``kernel.pxd`` (a method returning ``int`` there returns 0, or -1 with an exception set).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from heapq import heappop
from importlib import import_module
from typing import Any

import cython
import numpy as np

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    for _name in ("codes", "choice", "heap", "streams"):
        sys.modules.setdefault(
            "cython.cimports.fabnet.fab." + _name, import_module("fabnet.fab." + _name)
        )
from cython.cimports.fabnet.fab.choice import Choice
from cython.cimports.fabnet.fab.codes import (
    ARRIVE,
    BUSY,
    CAL,
    COMPLETE,
    DIST_CONST,
    DIST_EXP,
    DOWN,
    HOT,
    IDLE,
    PM,
    RELEASE,
    SAMPLE,
    TOOL_FREE,
    UP,
    WAITING,
    WAKE,
    WARMUP,
)  # fmt: skip
from cython.cimports.fabnet.fab.heap import EventHeap
from cython.cimports.fabnet.fab.streams import draw
from cython.cimports.libc.math import log  # C log compiled, math.log interpreted

from fabnet.fab.records import records
from fabnet.fab.state import DAY, State, doubles, longs, tolist

__all__ = ["DAY", "Kernel", "simulate"]

INF = cython.declare(cython.double, float("inf"))

_MIN_LOT_CAP = 1024  # first size of the lot tables


def _expected_releases(model: Any, end: float, cfg: Any) -> int:
    """Lots the order table releases before ``end`` at the mean interval (room to preallocate)."""
    n = 0.0
    for order in model.orders:
        if end > order.start and order.interval > 0:
            per = min(order.count, (end - order.start) * cfg.load_factor / order.interval + 1)
            n += per * order.lots_per_release
    return int(min(n * 1.1, 10_000_000))


def simulate(engine: Any, progress: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Run an :class:`~fabnet.fab.engine.Engine`'s compiled tables; ``progress(day)`` is called
    once per sampled day. Returns the fields of a ``RawResult``."""
    return Kernel(engine, progress).run()


class Kernel(Choice):
    """One run: the event loop and the event handlers over the :class:`~fabnet.fab.state.State`
    (see the module's docstring for the reading order)."""

    def __init__(self, engine: Any, progress: Callable[[float], None] | None = None) -> None:
        cfg, model = engine.config, engine.model
        end = cfg.days * DAY
        lot_cap = max(
            _MIN_LOT_CAP, len(model.wip) + len(cfg.lot_list) + _expected_releases(model, end, cfg)
        )
        State.__init__(self, engine, progress, lot_cap)

    def run(self) -> dict[str, Any]:
        """Simulate to the end and return the fields of a ``RawResult``."""
        self._initial_state()
        self._loop()
        return records(self)

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
        self.K_cal, self.K_left = longs([c for c, _ in flat]), doubles([x for _, x in flat])
        ends = np.cumsum([len(per_tool) for per_tool in counters]).tolist()
        self.T_k1 = longs(ends)
        self.T_k0 = longs([e - len(per_tool) for e, per_tool in zip(ends, counters, strict=True)])

    # ------------------------------------------------------------------ the loop and its handlers
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

    def on_complete(self, lot: cython.long, now: cython.double) -> None:
        """A lot left its last step."""
        self.L_done[lot] = now
        self.wip_change(now, -1)
        self.wip_by_product[self.L_prod[lot]] -= 1
        if self.conwip and self.L_order[lot] >= 0:
            self.conwip_fill(now)

    def on_release(self, o: cython.long, b: cython.long, now: cython.double) -> None:
        """Order ``o``'s ``b``-th release (``o < 0``: row ``-1 - o`` of the lot list)."""
        if o < 0:
            _rt, prod, prio, due = self.lot_list[-1 - o]
            lot = self.new_lot(prod, prio, now, due, 0, -1)
            self.wip_change(now, 1)
            self.wip_by_product[prod] += 1
            self.released += 1
            self.arrive(lot, now)
            return 0
        order = self.orders[o]
        for _ in range(order.lots_per_release):
            self.release_lot(o, now)
        if b + 1 < order.count:
            gap: cython.double = order.interval / self.lf
            if order.interval_dist == DIST_EXP:
                gap = -gap * log(1.0 - self.u_rel.next())
            self.H.push(now + gap, RELEASE, o, b + 1)

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
                        return 0  # a longer PM of this tool covered this one
                last[every] = now
            if self.T_state[t] == IDLE:
                self.begin_down(t, c, now)
            else:
                self.pend(t, c)
        elif self.T_state[t] == IDLE or self.T_state[t] == BUSY:
            self.begin_down(t, c, now)
        else:
            self.pend(t, c)

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

    def on_sample(self, now: cython.double) -> None:
        self.wip_t.append(now)
        self.wip_n.append(self.wip)
        self.wip_p.append(list(self.wip_by_product))
        if self.progress is not None:
            self.progress(now / DAY)
        if now + self.sample_minutes <= self.end:
            self.H.push(now + self.sample_minutes, SAMPLE, 0, 0)

    def on_warmup(self, now: cython.double) -> None:
        """Statistics start: remember the counters to subtract them at the end."""
        self.wip_change(now, 0)
        self.area_warm = self.area
        self._close_states(now)
        self.acc_warm = tolist(self.acc)
        self.setup_warm = tolist(self.T_setup_acc)

    # ------------------------------------------------------------------ lots arrive and start
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
                return 0
            self.q_append(f, WAITING, lot)
            if self.L_prio[lot] > self.base_prio:
                self.q_append(f, HOT, lot)
            if self.G_len[2 * f + WAITING] == 1 and self.G_nlazy[f] > 0:  # a queue forms: every
                for i in range(self.G_first[f], self.G_first[f] + self.G_nlazy[f]):  # busy tool
                    t = self.Z_tools[i]  # must pick up when it ends
                    self.T_lazy[t] = 0
                    self.H.push(self.T_free[t], TOOL_FREE, t, self.T_tok[t])
                self.G_nlazy[f] = 0
            return 0
        hot = self.L_prio[lot] > self.base_prio
        if hot:  # queued below, or taken off again when it starts at once
            self.q_append(f, HOT, lot)
        if self.G_ded[f]:
            dd = self.L_ded[lot]
            self.L_req[lot] = -1 if dd is None else dd.get(g, -1)
        n = self.G_nidle[f]
        if n == 0:
            self.q_append(f, WAITING, lot)
            return 0
        if self.G_batch[f]:
            self.q_append(f, WAITING, lot)
            self.try_idle(f, now)
            if self.has_batch_wait and self.L_queued[lot]:
                self.H.push(now + self.batch_wait, WAKE, f, 0)
            return 0
        first = self.G_first[f]
        t = self.I_tools[first + n - 1]
        if self.G_ded[f]:
            req = self.L_req[lot]
            if req >= 0:
                if not self.idle_has(f, req):
                    self.q_append(f, WAITING, lot)
                    return 0
                t = req
        elif self.G_setups[f] and self.S_setup[g] >= 0 and n > 1:
            s = self.S_setup[g]
            t = self._idle_tool_for_setup(f, s)
        self.idle_remove(f, t)
        if hot:
            self.q_remove(f, HOT, lot)
        self.start_lot(t, lot, now)

    def start_lot(self, t: cython.long, lot: cython.long, now: cython.double) -> None:
        """Tool ``t`` starts a job of one lot."""
        self.J_lots[t * self.jmax] = lot
        self.start(t, 1, now)

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

    @cython.locals(gl=cython.long, nxt=cython.long, at=cython.double, u=cython.double)
    def route(self, lot: cython.long, t: cython.long, f: cython.long, done: cython.double,
              now: cython.double) -> None:  # fmt: skip
        """Decide where ``lot`` goes after the step it starts on ``t`` (ending at ``done``):
        CQT check and start, lot-to-lens dedication, rework, sampled-out steps, transport."""
        # Every lot of a batch keeps its own route: batches mix products whose steps share a
        # recipe, so the routing must use the lot's step, not the batch leader's.
        gl = self.L_step[lot]
        if self.L_cqts[lot] == gl:  # the lot ends a critical queue time here
            if self.S_cqt_n[gl] == 0:
                self.cqt_steps.append(gl)
            self.S_cqt_n[gl] += 1
            if now > self.L_cqtd[lot]:
                self.S_cqt_late[gl] += 1
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
            return 0
        self.L_step[lot] = nxt
        at = done
        if self.has_transport and self.G_fab[f] and self.G_fab[self.S_group[nxt]]:
            at += self.tr_lo + self.tr_w * self.u_trans.next()
        self.L_kind[lot] = ARRIVE
        self.L_evt[lot] = at
        self.H.push(at, ARRIVE, lot, self.L_tok[lot])

    # ------------------------------------------------------------------ tools free and go down
    @cython.locals(f=cython.long, lot=cython.long)
    def free_tool(self, t: cython.long, now: cython.double) -> None:
        """The tool finished a job or a down: pending downs first, then work, else idle."""
        self.T_njob[t] = 0
        if self.T_npend[t] > 0:
            self.T_npend[t] -= 1
            self.begin_down(t, self.T_pending[t].pop(0), now)
            return 0
        f = self.T_group[t]
        if self.G_len[2 * f + WAITING] > 0:
            if self.G_plain[f]:  # FIFO, no batching, setups or dedication: first of top priority
                if self.G_len[2 * f + HOT] > 0:
                    lot = self._top_priority(f)
                else:
                    lot = self.G_head[2 * f + WAITING]
                self.dequeue(f, lot)
                self.start_lot(t, lot, now)
                return 0
            if self.dispatch_tool(t, now):
                return 0
        self.acc[self.T_state[t] * self.nt + t] += now - self.T_since[t]
        self.T_since[t] = now
        self.T_state[t] = IDLE
        self.idle_push(f, t)

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
    def try_idle(self, f: cython.long, now: cython.double) -> None:
        """Let the idle tools of group ``f`` look for work (a batch may have formed)."""
        t: cython.long
        first: cython.long = self.G_first[f]
        for t in [self.I_tools[i] for i in range(first, first + self.G_nidle[f])]:
            if self.dispatch_tool(t, now):
                self.idle_remove(f, t)
            elif not self.G_ded[f]:
                break

    @cython.locals(f=cython.long, lot=cython.long, n=cython.long, i=cython.long)
    def dispatch_tool(self, t: cython.long, now: cython.double) -> cython.bint:
        """Tool ``t`` takes work from its queue by the rule; False if nothing suits it."""
        f = self.T_group[t]
        if self.G_len[2 * f + WAITING] == 0:
            return False
        if self.G_batch[f]:
            n = self.choose_batch(t, f, now)  # the batch is in t's job table
            if n == 0:
                return False
            for i in range(n):
                self.dequeue(f, self.J_lots[t * self.jmax + i])
            self.start(t, n, now)
            return True
        lot = self.choose_fifo(t, f) if self.fast_fifo else self.choose_by_key(t, f, now)
        if lot < 0:
            return False
        self.dequeue(f, lot)
        self.start_lot(t, lot, now)
        return True
