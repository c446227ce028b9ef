"""The fab model as plain tables: tool groups, tools, routes, products, orders, calendars.

Everything the simulator needs is here as lists indexed by integer ids (no behaviour). Loaders
(:mod:`fabnet.fab.smt2020`, :mod:`fabnet.fab.minifab`, :mod:`fabnet.fab.inline`) build a
:class:`FabModel`; :mod:`fabnet.fab.engine` runs it.

Time unit everywhere: **minutes**. Processing times are stored *per lot* of the route's standard
lot size (per-wafer times are multiplied out by the loader), together with the way the tool is
occupied (see :class:`Step`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "DIST_CONST",
    "DIST_EXP",
    "DIST_UNIFORM",
    "Calendar",
    "FabModel",
    "Order",
    "Product",
    "Route",
    "Step",
    "ToolGroup",
    "WipLot",
]

DIST_UNIFORM = 0  # value = lo + width * U(0,1)
DIST_EXP = 1  # value = -mean * ln(1 - U)
DIST_CONST = 2  # value = mean


@dataclass(frozen=True)
class ToolGroup:
    """A family of identical tools sharing one queue (SMT2020 ``STNFAM``).

    Attributes:
        name: family name.
        count: number of tools.
        area: tool area (``STNGRP``); failures may be attached to a whole area.
        load_minutes: load + unload time added to every job.
        cascading: tool keeps working on the next lot while the last one unloads (``STNCAP=2``):
            load/unload is added to the lot's time but not to the tool's busy time.
        location: ``"Fab"`` or e.g. ``"Delay"``; transport applies between two ``Fab`` steps.
        batch_same_route: a batch holds lots of one route step only (SMT2020 ``tool.txt``
            ``BATCHCRITF=crit_sameroutestep``); otherwise lots of every route whose step has the
            same name and time batch together (as PySCFabSim's ``greedy.py``).
    """

    name: str
    count: int
    area: str = ""
    load_minutes: float = 0.0
    cascading: bool = False
    location: str = "Fab"
    batch_same_route: bool = False


@dataclass(frozen=True)
class Step:
    """One route step.

    Processing of a job (one lot, or a batch) takes ``pt`` drawn from ``dist`` with ``mean`` and
    ``half_width`` (uniform on ``[mean - half_width, mean + half_width]``) — already multiplied
    by the lot size for per-wafer steps. The lot leaves after ``pt + load``; the tool is busy
    for ``pt`` (plus load unless cascading), or for ``tool_minutes`` when that is set (a constant
    inter-batch or per-wafer cascade interval, SMT2020 ``BatchInterval``/``PartInterval``).
    """

    name: str
    group: int
    mean: float
    half_width: float = 0.0
    dist: int = DIST_UNIFORM
    per: str = "lot"  # "lot", "piece" or "batch"
    tool_minutes: float | None = None
    batch_min: int = 1  # lots
    batch_max: int = 1  # lots
    setup: str = ""
    setup_minutes: float | None = None  # step-specific setup time (route STIME)
    sample_percent: float = 100.0
    rework_percent: float = 0.0
    rework_to: int = -1  # step index to go back to
    cqt_to: int = -1  # step index that must start within cqt_minutes of this step's end
    cqt_minutes: float = 0.0
    dedicate_to: int = -1  # step index that must use the same tool as this step


@dataclass(frozen=True)
class Route:
    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Product:
    name: str
    route: int
    pieces: int = 25


@dataclass(frozen=True)
class Order:
    """A periodic release stream (SMT2020 ``order.txt`` row).

    ``count`` releases of ``lots_per_release`` lots every ``interval`` minutes from ``start``;
    ``interval_dist`` is DIST_CONST (periodic) or DIST_EXP (Poisson). Each lot is due
    ``due_minutes`` after its release.
    """

    name: str
    product: int
    priority: int
    start: float
    interval: float
    count: int
    lots_per_release: int = 1
    due_minutes: float = 0.0
    interval_dist: int = DIST_CONST


@dataclass(frozen=True)
class WipLot:
    """A lot already in the fab at time 0 (SMT2020 ``WIP.txt``)."""

    name: str
    product: int
    priority: int
    step: int  # index of the next step to process
    due: float
    release: float


@dataclass(frozen=True)
class Calendar:
    """A down calendar attached to tools.

    kind: ``"down"`` (unscheduled failure, preempts the running job which resumes after repair)
    or ``"pm"`` (preventive maintenance, waits for the running job).
    by_pieces: PM counted in wafers processed instead of time.
    every_dist/every: time (or wafers) between occurrences (for failures, time to failure after
    the previous repair; for calendar PMs, fixed interval on the calendar).
    first: first occurrence; ``first_dist`` DIST_CONST staggers it over the attached tools.
    """

    name: str
    kind: str
    tools: tuple[int, ...]
    every: float
    every_dist: int
    repair_mean: float
    repair_half_width: float = 0.0
    repair_dist: int = DIST_UNIFORM
    first: float = 0.0
    first_dist: int = DIST_CONST
    by_pieces: bool = False


@dataclass
class FabModel:
    """A whole fab: the input of :func:`fabnet.fab.engine.simulate`."""

    name: str
    groups: list[ToolGroup]
    routes: list[Route]
    products: list[Product]
    orders: list[Order] = field(default_factory=list)
    wip: list[WipLot] = field(default_factory=list)
    calendars: list[Calendar] = field(default_factory=list)
    setup_minutes: dict[tuple[str, str], float] = field(default_factory=dict)
    setup_min_run: dict[str, int] = field(default_factory=dict)
    transport: tuple[float, float] = (0.0, 0.0)  # mean and half-width, minutes, Fab -> Fab
    dispatch: str = "fifo"  # the rule the data names (SimConfig(dispatch="dataset") uses it)

    @property
    def tool_count(self) -> int:
        return sum(g.count for g in self.groups)

    def tool_group_of(self) -> list[int]:
        """Tool id -> group id (tools numbered group by group)."""
        out: list[int] = []
        for gi, g in enumerate(self.groups):
            out.extend([gi] * g.count)
        return out

    def group_tools(self) -> list[list[int]]:
        out: list[list[int]] = []
        t = 0
        for g in self.groups:
            out.append(list(range(t, t + g.count)))
            t += g.count
        return out

    def raw_process_minutes(self, product: int) -> float:
        """Raw process time of a product: sum over steps of sample probability × mean lot time.

        Mean processing time only: no load/unload, queueing, transport or rework (Hopp &
        Spearman's raw process time ``T0``; as PySCFabSim computes it for SMT2020; flow factor =
        CT / RPT).
        """
        route = self.routes[self.products[product].route]
        total = 0.0
        for s in route.steps:
            total += s.sample_percent / 100.0 * s.mean
        return total

    def empty_fab_minutes(self, product: int) -> float:
        """Expected cycle time of a lot alone in the fab: raw process time plus load/unload of
        every executed step, transport between consecutive executed ``Fab`` steps and the
        expected rework (each rework loop done at most once).

        SMT2020 reports flow factors against this time (its RPT): it reproduces the paper's
        Table II within −0.1…+1.1 % (github.com/code-gihan/academic-semiconductor-fab, README),
        and the order tables' due offsets divided by it give 1.90–2.16, the reference's
        92nd-percentile flow factors (divided by :meth:`raw_process_minutes`: 2.16–2.44).
        """
        steps = self.routes[self.products[product].route].steps
        trans = self.transport[0]
        fab = [self.groups[s.group].location == "Fab" for s in steps]
        p = [s.sample_percent / 100.0 for s in steps]

        def step_time(i: int) -> float:
            return steps[i].mean + self.groups[steps[i].group].load_minutes

        total = sum(p[i] * step_time(i) for i in range(len(steps)))
        for i in range(len(steps)):  # transport to the next executed step
            skip = 1.0
            for j in range(i + 1, len(steps)):
                if fab[i] and fab[j]:
                    total += p[i] * skip * p[j] * trans
                skip *= 1.0 - p[j]
                if skip < 1e-9:
                    break
        for i, s in enumerate(steps):  # expected rework of the loop rework_to..i
            if s.rework_percent > 0 and s.rework_to >= 0:
                loop = sum(p[k] * (step_time(k) + trans) for k in range(s.rework_to, i + 1))
                total += p[i] * s.rework_percent / 100.0 * loop
        return total
