"""The simulation engine: run settings, the model compiled into flat tables, and the run.

The event loop itself is :class:`fabnet.fab.kernel.Kernel` (compiled with Cython at install,
see :func:`kernel_module`): a queue of ``(time, kind, a, b)`` events over integer ids (compiled:
a calendar queue, :class:`fabnet.fab.heap.EventHeap`; interpreted: ``heapq``; same order).
Lots, tools and steps are integer ids; their attributes live in typed tables (``L_step[lot]``,
``T_state[tool]``, ``S_mean[step]``). There is no object per lot and no generator per process;
per event the loop pops the queue, branches on ``kind`` and calls one handler. Steps are numbered
globally over all routes (``route_first[r] + i``). Ties in time break on the event kind, then
the ids (deterministic, no sequence counter). The engine compiles the model into the step and
group tables below; the kernel builds its own run state from them, so an engine can be run
more than once.

Semantics (see :mod:`fabnet.fab.model`; SMT2020 readings checked against the public PySCFabSim
code, github.com/prosysscience/PySCFabSim-release, ``simulation/``):

- A lot arriving at a step joins its tool group's queue; a free tool takes lots by the dispatching
  rule (:mod:`fabnet.fab.dispatch`). Batch steps group lots of the same recipe (tool group, step
  name and time — across products, as ``greedy.py`` groups by step name; only lots of the same
  route step where the tool family says ``BATCHCRITF=crit_sameroutestep``) and start when at least
  ``batch_min`` lots are there (or, with ``batch_wait_minutes``, when the oldest has waited that
  long), taking up to ``batch_max``. Every lot of a batch then continues on its *own* route.
- Sequence-dependent setups: a step's setup differs from the tool's → setup time (route ``STIME``
  or the ``setup.txt`` matrix); minimum runs after a setup (soft: the FIFO rank prefers lots
  needing no setup, which keeps the run).
- Sampling, rework and the next step are decided when processing starts; the lot arrives at the
  next queue after its lot time plus transport. A skipped (sampled-out) step costs a draw and no
  event.
- Failures hit each tool of the attached area on its own: exponential time to failure counted
  from the end of the previous repair, as ``events.py`` ``BreakdownEvent`` does; they preempt the
  running job, which resumes after repair. Calendar PMs repeat at their fixed interval from the
  previous due time (``events.py``: "the MTBPM includes the PM duration"); wafer-count PMs count
  each calendar on its own (``instance.py`` ``pieces_until_maintenance``), not nested. PMs wait
  for the running job. Unlike PySCFabSim, a down also takes an *idle* tool out of service.
- A tool that starts a job while nobody waits in its (plain FIFO) queue gets no end-of-job
  event: it is "lazily busy" until ``T_free`` and is taken as free from then on by the next
  arrival; when a queue forms, its end event is armed. This saves about 10 % of the events; the
  model is the same (only which of several identical free tools takes a lot can differ).
- Statistics count from ``warmup_minutes`` on.
"""

from __future__ import annotations

import gc
import hashlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from fabnet.errors import UsageError
from fabnet.fab.dispatch import RULES, DispatchRule
from fabnet.fab.model import FabModel

__all__ = ["DAY", "Engine", "RawResult", "SimConfig", "kernel_module"]


DAY = 1440.0  # minutes

KERNEL_SOURCES = (
    "kernel.py", "kernel.pxd", "choice.py", "choice.pxd", "state.py", "state.pxd",
    "records.py", "heap.py", "heap.pxd", "streams.py", "streams.pxd", "dispatch.py",
    "dispatch.pxd", "codes.py", "codes.pxd",
)  # fmt: skip
"""The files the compiled kernel is built from (``setup.py`` hashes the same list)."""


def kernel_source_sha256() -> str:
    """SHA-256 over :data:`KERNEL_SOURCES`, in order: what a current build carries."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in KERNEL_SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


@cache
def kernel_module() -> ModuleType:
    """The event loop to run: the compiled ``fabnet.fab._kernel_c`` when it was built from the
    current sources (:data:`KERNEL_SOURCES`), else the pure-Python :mod:`fabnet.fab.kernel` (same
    records, many times slower). ``FABNET_PURE_PYTHON=1`` forces the pure one.

    The compiled module carries the SHA-256 of the sources it was built from; a mismatch (someone
    edited ``kernel.py`` or ``dispatch.py`` and did not reinstall) falls back to the pure module
    with a warning, so stale compiled code never runs.
    """
    if os.environ.get("FABNET_PURE_PYTHON", "") not in ("", "0"):
        return _pure_kernel()
    try:
        from fabnet.fab import _kernel_c  # type: ignore[attr-defined]
    except ImportError:
        return _pure_kernel()
    if getattr(_kernel_c, "SOURCE_SHA256", None) != kernel_source_sha256():
        warnings.warn(
            "fabnet.fab._kernel_c was compiled from an older kernel.py (or another of its "
            "modules, KERNEL_SOURCES); running the "
            "pure-Python kernel (reinstall with `pip install -e .` to recompile)",
            RuntimeWarning,
            stacklevel=2,
        )
        return _pure_kernel()
    return _kernel_c


def _pure_kernel() -> ModuleType:
    """The interpreted kernel, imported only when it runs (importing it costs start-up time)."""
    from fabnet.fab import kernel

    return kernel


@dataclass(frozen=True)
class SimConfig:
    """Run settings.

    Attributes:
        days: simulated horizon.
        warmup_days: statistics start here (lots *completed* after it count).
        dispatch: rule name (``fifo``, ``cr``, ``edd``, ``spt``, ``setup``, ``cqt``), a
            callable, or ``dataset``: the rule the model's data names (``FabModel.dispatch``;
            SMT2020 HVLM ``fifo``, LVHM ``cr``), resolved when the engine is built.
        seed: root of every random stream.
        load_factor: scales every order's release rate (1.0 = as in the order table).
        release: ``"orders"`` (periodic/Poisson from the order table) or ``"conwip"``.
        conwip_cap: WIP cap in lots for CONWIP (released lots of each order in turn).
        lot_list: extra releases ``(time_min, product, priority, due_min)``.
        initial_wip: start with the model's WIP lots.
        batch_wait_minutes: start a partial batch when its oldest lot waited this long.
        sample_minutes: WIP-over-time sampling interval.
        nested_pms: a tool's PMs nest (weekly within monthly within quarterly): a wafer-count
            PM that falls due resets the shorter counters of the tool, and a calendar PM is
            skipped when a longer calendar PM fell due on the tool within its interval. Off by
            default: the SMT2020 tables list each PM calendar on its own and PySCFabSim applies
            them independently; on, SMT2020 HVLM's median flow factor drops by about 7 %.
    """

    days: float = 30.0
    warmup_days: float = 0.0
    dispatch: str | DispatchRule = "fifo"
    seed: int = 0
    load_factor: float = 1.0
    release: str = "orders"
    conwip_cap: int = 0
    lot_list: tuple[tuple[float, int, int, float], ...] = ()
    initial_wip: bool = True
    batch_wait_minutes: float | None = None
    sample_minutes: float = DAY
    nested_pms: bool = False


@dataclass
class RawResult:
    """Flat records of one run (turned into tables by :mod:`fabnet.fab.kpi`)."""

    config: SimConfig
    lots: dict[str, list[Any]]
    tools: dict[str, list[Any]]
    queues: dict[str, list[Any]]
    cqt: dict[str, list[Any]]
    wip: dict[str, list[Any]]
    wip_time_average: float
    window_minutes: float
    events: int
    wall_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


class Engine:
    """One simulation run of a :class:`FabModel` under a :class:`SimConfig`."""

    def __init__(self, model: FabModel, config: SimConfig):
        if config.days <= 0 or config.warmup_days < 0 or config.warmup_days >= config.days:
            raise UsageError(
                f"need days > warmup_days >= 0, got days={config.days}, "
                f"warmup_days={config.warmup_days}"
            )
        if config.load_factor <= 0:
            raise UsageError(f"load_factor must be > 0, got {config.load_factor}")
        if config.dispatch == "dataset":
            config = replace(config, dispatch=model.dispatch)
        if not callable(config.dispatch) and config.dispatch not in RULES:
            raise UsageError(
                f"unknown dispatching rule {config.dispatch!r}; valid: {', '.join(RULES)}, "
                "dataset or a callable"
            )
        if config.release not in ("orders", "conwip"):
            raise UsageError(f"release must be 'orders' or 'conwip', got {config.release!r}")
        self.model, self.config = model, config
        self._compile()

    # ------------------------------------------------------------------ compile tables
    def _compile(self) -> None:
        m = self.model
        setup_ids: dict[str, int] = {}

        def sid(name: str) -> int:
            if not name:
                return -1
            return setup_ids.setdefault(name, len(setup_ids))

        self.route_first: list[int] = []
        g_group: list[int] = []
        g_dist: list[int] = []
        g_bmin: list[int] = []
        g_bmax: list[int] = []
        g_setup: list[int] = []
        g_rwto: list[int] = []
        g_cqt_to: list[int] = []
        g_ded: list[int] = []
        g_recipe: list[int] = []
        g_lo: list[float] = []
        g_w: list[float] = []
        g_tool: list[float] = []
        g_stime: list[float] = []
        g_sample: list[float] = []
        g_rework: list[float] = []
        g_cqt: list[float] = []
        g_mean: list[float] = []
        g_rem: list[float] = []
        g_last: list[bool] = []
        recipes: dict[tuple[int, str, float], int] = {}
        for route in m.routes:
            base = len(g_group)
            self.route_first.append(base)
            n = len(route.steps)
            rem = 0.0
            rems = [0.0] * n
            for i in range(n - 1, -1, -1):
                rem += route.steps[i].mean * route.steps[i].sample_percent / 100
                rems[i] = rem
            for i, s in enumerate(route.steps):
                g_group.append(s.group)
                g_lo.append(s.mean - s.half_width)
                g_w.append(2 * s.half_width)
                g_dist.append(s.dist)
                g_mean.append(s.mean)
                g_tool.append(-1.0 if s.tool_minutes is None else s.tool_minutes)
                g_bmin.append(s.batch_min)
                g_bmax.append(s.batch_max)
                g_setup.append(sid(s.setup))
                g_stime.append(-1.0 if s.setup_minutes is None else s.setup_minutes)
                g_sample.append(s.sample_percent / 100)
                g_rework.append(s.rework_percent / 100)
                g_rwto.append(base + s.rework_to if s.rework_to >= 0 else -1)
                g_cqt_to.append(base + s.cqt_to if s.cqt_to >= 0 else -1)
                g_cqt.append(s.cqt_minutes)
                g_ded.append(base + s.dedicate_to if s.dedicate_to >= 0 else -1)
                g_last.append(i == n - 1)
                same_route = m.groups[s.group].batch_same_route
                recipe = (s.group, s.name, s.mean, base + i if same_route else -1)
                g_recipe.append(recipes.setdefault(recipe, len(recipes)))
                g_rem.append(rems[i])
        self.step_group, self.step_lo, self.step_w, self.step_dist = g_group, g_lo, g_w, g_dist
        self.step_tool_minutes, self.step_bmin, self.step_bmax = g_tool, g_bmin, g_bmax
        self.step_setup, self.step_setup_minutes, self.step_sample = g_setup, g_stime, g_sample
        self.step_rework, self.step_rework_to = g_rework, g_rwto
        self.step_cqt_to, self.step_cqt_minutes, self.step_dedicate_to = g_cqt_to, g_cqt, g_ded
        self.step_last, self.step_recipe, self.step_mean = g_last, g_recipe, g_mean
        self.step_remaining_rpt = g_rem
        self.setup_minutes = {(sid(a), sid(b)): v for (a, b), v in m.setup_minutes.items()}
        self.setup_min_run = {setup_ids[k]: v for k, v in m.setup_min_run.items() if k in setup_ids}
        ng = len(m.groups)
        self.group_batch = [False] * ng
        self.group_dedicated = [False] * ng
        self.group_setups = [False] * ng
        for g, grp in enumerate(g_group):
            if g_bmax[g] > 1:
                self.group_batch[grp] = True
            if g_setup[g] >= 0:
                self.group_setups[grp] = True
            if g_ded[g] >= 0:
                self.group_dedicated[g_group[g_ded[g]]] = True
        self.group_load = [grp.load_minutes for grp in m.groups]
        self.group_tool_load = [0.0 if grp.cascading else grp.load_minutes for grp in m.groups]
        self.group_fab = [grp.location == "Fab" for grp in m.groups]
        self.tool_group = m.tool_group_of()
        self.group_tools = m.group_tools()
        self.product_route = [p.route for p in m.products]
        self.product_pieces = [p.pieces for p in m.products]
        self.product_rpt = [m.raw_process_minutes(i) for i in range(len(m.products))]
        self.product_empty_fab = [m.empty_fab_minutes(i) for i in range(len(m.products))]

    # ------------------------------------------------------------------ run
    def run(self, progress: Callable[[float], None] | None = None) -> RawResult:
        """Simulate; ``progress(day)`` is called once per sampled day."""
        # The loop allocates millions of short-lived tuples and no reference cycles worth
        # collecting: the cyclic GC's passes over a large heap cost ~5 % and find nothing.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            fields = kernel_module().simulate(self, progress)
        finally:
            if gc_was_enabled:
                gc.enable()
        empty_fab = dict(zip(fields["extra"]["products"], self.product_empty_fab, strict=True))
        fields["lots"]["empty_fab_min"] = [empty_fab[p] for p in fields["lots"]["product"]]
        return RawResult(config=self.config, **fields)
