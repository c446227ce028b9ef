# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The records of a finished run: lots, tool states, queues, CQT checks, WIP over time.

:func:`records` closes the statistics at the horizon and turns the kernel's tables into the
flat lists of a :class:`fabnet.fab.engine.RawResult` (compiled, it reads the
:class:`~fabnet.fab.state.State`'s C tables directly).
"""

from __future__ import annotations

import sys
import time as _time
from importlib import import_module
from typing import Any

import cython

if not cython.compiled:  # Cython's pure-mode shim resolves one-level cimports only
    for _name in ("codes", "state"):
        sys.modules.setdefault(
            "cython.cimports.fabnet.fab." + _name, import_module("fabnet.fab." + _name)
        )
from cython.cimports.fabnet.fab.codes import BUSY, DOWN, IDLE, PM, WAITING
from cython.cimports.fabnet.fab.state import State

from fabnet.fab.state import tolist

__all__ = ["records"]


def records(k: State) -> dict[str, Any]:
    """Close the statistics at the horizon and return the run's flat records."""
    end, warm, nt = k.end, k.warm, k.nt
    k.wip_change(end, 0)
    k._close_states(end)
    m, e = k.model, k.engine
    acc, acc_warm = tolist(k.acc), k.acc_warm
    L_done, L_prod = k.L_done, k.L_prod
    lots_done = [i for i in range(k.n_lots) if L_done[i] >= 0]
    names = [p.name for p in m.products]
    T_group, setup_acc = k.T_group, tolist(k.T_setup_acc)

    def state(s: int) -> list[float]:
        return [acc[s * nt + t] - acc_warm[s * nt + t] for t in range(nt)]

    q_sum, q_n = tolist(k.q_sum), tolist(k.q_n)
    return dict(
        lots={
            "lot": lots_done,
            "product": [names[L_prod[i]] for i in lots_done],
            "priority": [k.L_prio[i] for i in lots_done],
            "release_min": [k.L_rel[i] for i in lots_done],
            "done_min": [L_done[i] for i in lots_done],
            "due_min": [k.L_due[i] for i in lots_done],
            "pieces": [e.product_pieces[L_prod[i]] for i in lots_done],
            "rpt_min": [e.product_rpt[L_prod[i]] for i in lots_done],
            "initial_wip": [k.L_order[i] < 0 and i < len(m.wip) for i in lots_done],
        },
        tools={
            "tool": list(range(nt)),
            "group": [m.groups[T_group[t]].name for t in range(nt)],
            "standby_min": state(IDLE),
            "busy_min": state(BUSY),
            "setup_min": [setup_acc[t] - k.setup_warm[t] for t in range(nt)],
            "unscheduled_down_min": state(DOWN),
            "pm_min": state(PM),
        },
        queues={
            "group": [g.name for g in m.groups],
            "lots_started": q_n,
            "mean_queue_min": [q_sum[f] / q_n[f] if q_n[f] else 0.0 for f in range(k.ng)],
            "queue_length_now": [k.G_len[2 * f + WAITING] for f in range(k.ng)],
        },
        cqt={
            "step": list(k.cqt_steps),
            "checks": [k.S_cqt_n[g] for g in k.cqt_steps],
            "violations": [k.S_cqt_late[g] for g in k.cqt_steps],
        },
        wip={"time_min": k.wip_t, "wip": k.wip_n, "by_product": k.wip_p},
        wip_time_average=(k.area - k.area_warm) / (end - warm),
        window_minutes=end - warm,
        events=k.n_events,
        wall_seconds=_time.perf_counter() - k.wall0,
        extra={"released": k.released, "wip_end": k.wip, "products": names},
    )
