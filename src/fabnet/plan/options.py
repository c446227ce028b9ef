"""Capacity options: every way the network can get wafer or packaging capacity, as labelled arrays.

An *option* (a cohort) is one way of getting wafer capacity: building ``n`` modules of node ``k``
at a greenfield site starting in month ``s`` (integer ``n``), or buying an existing fab in month
``s`` and running it at its current node or a retooled node (binary). Start months lie on a grid
(``start_every`` months in the monthly part of the horizon, every other quarter after
(:data:`LATE_START_EVERY`); the months of fixed decisions are added). Per unit of an option and
month ``m``:

* wafer starts per month: module (fab) capacity × ramp(m − first output) × usable share, where
  the usable share is the fab's operating-curve load at ``policy.max_flow_factor`` or else
  ``policy.default_utilisation``; greenfield ramps follow ``ramp_curve``, bought fabs ramp
  linearly over ``ramp_months``;
* wafer *outputs* follow starts by the fab's cycle time in whole months: its operating curve's
  cycle time at the usable load when it has one (simulated by ``fabnet fab curve``), else the
  node's ``mask_layers × days_per_layer``; the model counts wafers when they come out;
* capex: a greenfield module's ``capex_per_kwspm × module_wspm/1000`` (times 1 + the site's
  newcomer ``capex_premium``) is spread evenly, the
  building share (1 − ``financing.equipment_share``) over the first half of the lead time and
  the equipment share over the second half; a bought fab pays its asking price in the purchase
  month and its retool capex (times 1 + its newcomer premium) evenly over the retool months.

An own packaging line's *expansion* is a block of 1,000 interposer wafers per month started in
month ``s`` (integer number of blocks), with its capex spread over the line's expansion lead time.

Each option is labelled by what it is: ``"{site} | {action} | {node} | {start}"`` (and an
expansion by ``"{line} | {start}"``), so that two datasets built from the same scenario line up
by label (:meth:`fabnet.plan.data.PlanData.aligned_to`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.plan.buckets import Buckets
from fabnet.scenario import ExistingFab, GreenfieldSite, Scenario
from fabnet.scenario.fab_template import OperatingCurve
from fabnet.vocab import Strategy

__all__ = [
    "LATE_START_EVERY",
    "CapacityOption",
    "Expansion",
    "capacity_options",
    "cycle_time_months",
    "expansion_label",
    "fab_cycle_time_months",
    "fixed_starts",
    "greenfield_capex",
    "option_label",
    "packaging_expansions",
    "usable_share",
]

FloatArray = npt.NDArray[np.float64]

LATE_START_EVERY = 6
"""Start grid in the quarterly part [months]: every other quarter. On the built-in scenario this
cut the design MIP from 296 to 214 capacity options and its time by a third, same optimum."""

StartKey = tuple[str, str, str]
"""(site or line, action, node) of a decision whose start month must be an option."""


def option_label(site: str, action: str, node: str, start: str) -> str:
    """The label of a capacity option: ``"{site} | {action} | {node} | {start}"``."""
    return f"{site} | {action} | {node} | {start}"


def expansion_label(line: str, start: str) -> str:
    """The label of a packaging expansion option: ``"{line} | {start}"``."""
    return f"{line} | {start}"


def cycle_time_months(scenario: Scenario, node_name: str) -> int:
    """Fab cycle time of a node in whole months: ``mask_layers × days_per_layer / 30.44``."""
    node = scenario.node(node_name)
    return round(node.mask_layers * node.days_per_layer / 30.44)


def fab_cycle_time_months(
    scenario: Scenario, fab: ExistingFab | GreenfieldSite, node_name: str
) -> int:
    """Wafer start → wafer out of one fab in whole months.

    With an operating curve (``fabnet fab curve``) it is the simulated cycle time at the load the
    planner runs the fab at (:func:`usable_share`): ``X(u) × raw process time`` of the curve, so
    lead time and capacity come from the same simulation. Without one it is the node's
    :func:`cycle_time_months`.
    """
    curve = _operating_curve(fab)
    if curve is not None:
        load = usable_share(scenario, fab)
        return round(curve.cycle_time_days_at(load) / 30.44)
    return cycle_time_months(scenario, node_name)


def usable_share(scenario: Scenario, fab: ExistingFab | GreenfieldSite) -> float:
    """Usable share of nominal capacity: the operating curve's load at the policy's flow factor
    (``OperatingCurve.max_load_for_flow_factor``) when the fab has one, else
    ``policy.default_utilisation``."""
    curve = _operating_curve(fab)
    if curve is not None:
        return float(curve.max_load_for_flow_factor(scenario.policy.max_flow_factor))
    return scenario.policy.default_utilisation


def _operating_curve(fab: ExistingFab | GreenfieldSite) -> OperatingCurve | None:
    """The fab's operating curve, read once per version of its file (the plan data asks for it
    for every capacity option of the fab)."""
    if not fab.operating_curve:
        return None
    try:
        version = Path(fab.operating_curve).stat().st_mtime_ns
    except OSError:
        version = -1  # from_file names the missing file
    return _read_curve(fab.operating_curve, version)


@lru_cache(maxsize=32)
def _read_curve(path: str, version: int) -> OperatingCurve:
    return OperatingCurve.from_file(path)


@dataclass(frozen=True)
class CapacityOption:
    """One wafer-capacity option per unit, over the months of the horizon.

    Attributes:
        site, node, kind: where, which node, ``build`` or ``buy``.
        start: month index of the decision; ``first_output``: month index of the first wafer
            starts at volume (may lie beyond the horizon).
        lead_field: the scenario value of the field a sampled delay acts on (a site's
            ``lead_time_months``, an existing fab's ``months_to_first_output``).
        capacity_field: the scenario value of the capacity field a sampled capacity acts on
            (``module_wspm`` / ``capacity_wspm``).
        max_units: most units (modules, or 1 purchase).
        capex: USD per month per unit; ``starts_cap``: usable wafer starts per month per unit.
        cycle_months: wafer start → wafer out of this fab at this node [months].
    """

    site: str
    node: str
    kind: str
    start: int
    first_output: int
    lead_field: float
    capacity_field: float
    max_units: float
    capex: FloatArray
    starts_cap: FloatArray
    cycle_months: int


@dataclass(frozen=True)
class Expansion:
    """One own-packaging expansion option (a block of 1,000 interposer wafers per month)."""

    line: str
    start: int
    first_output: int
    capacity: FloatArray  # interposer wafers per month per block
    capex: FloatArray  # USD per month per block


def _ramp(curve: Sequence[float], months: int) -> FloatArray:
    k = np.arange(months)
    vals = np.asarray([*list(curve), 1.0], dtype=np.float64)
    return vals[np.minimum(k, len(vals) - 1)]


def _start_candidates(
    buckets: Buckets, earliest: int, start_every: int, extra: Iterable[int]
) -> list[int]:
    out = set()
    earliest = max(earliest, 0)
    detail_end = int(buckets.start[buckets.length > 1][0]) if (buckets.length > 1).any() else None
    for s, length in zip(buckets.start, buckets.length, strict=True):
        s = int(s)
        if s < earliest:
            continue
        on_monthly_grid = length == 1 and (s - earliest) % max(start_every, 1) == 0
        on_late_grid = length > 1 and (
            s == max(earliest, detail_end or 0)
            or (detail_end is not None and (s - detail_end) % LATE_START_EVERY == 0)
        )
        if on_monthly_grid or on_late_grid:
            out.add(s)
    out.update(m for m in extra if 0 <= m < buckets.n_months)
    return sorted(out)


def greenfield_capex(total: float, start: int, lead: int, equipment_share: float, n_m: int):
    """Capex per month: building share over the first half of the lead time, equipment after."""
    capex = np.zeros(n_m)
    if lead == 0:
        capex[start] = total
        return capex
    half = max(lead // 2, 1)
    build = np.arange(start, min(start + half, n_m))
    tools = np.arange(start + half, min(start + lead, n_m))
    capex[build] += total * (1 - equipment_share) / half
    if lead > half:
        capex[tools] += total * equipment_share / (lead - half)
    else:
        capex[build] += total * equipment_share / half
    return capex


def _greenfield_options(
    sc: Scenario,
    site: GreenfieldSite,
    buckets: Buckets,
    start_every: int,
    fixed: Mapping[StartKey, set[int]],
) -> list[CapacityOption]:
    n_m = buckets.n_months
    share = usable_share(sc, site)
    earliest = sc.month_index(site.earliest_start) if site.earliest_start else 0
    ramp = _ramp(site.ramp_curve, n_m)
    out = []
    for nc in site.nodes:
        if not any(p.node == nc.node for p in sc.products):
            continue  # sparse qualification: no product runs on this node
        lag = fab_cycle_time_months(sc, site, nc.node)
        extra = fixed.get((site.name, "build", nc.node), set())
        premium = site.newcomer.capex_premium if site.newcomer is not None else 0.0
        total = nc.capex_per_kwspm_usd * (1.0 + premium) * site.module_wspm / 1000.0
        for s in _start_candidates(buckets, earliest, start_every, extra):
            first = s + site.lead_time_months
            if first + lag >= n_m and s not in extra:
                continue
            cap = np.zeros(n_m)
            if first < n_m:
                cap[first:] = site.module_wspm * share * ramp[: n_m - first]
            capex = greenfield_capex(
                total, s, site.lead_time_months, sc.financing.equipment_share, n_m
            )
            out.append(
                CapacityOption(
                    site.name,
                    nc.node,
                    "build",
                    s,
                    first,
                    float(site.lead_time_months),
                    float(site.module_wspm),
                    float(site.max_modules),
                    capex,
                    cap,
                    lag,
                )
            )
    return out


def _existing_options(
    sc: Scenario,
    fab: ExistingFab,
    buckets: Buckets,
    start_every: int,
    fixed: Mapping[StartKey, set[int]],
) -> list[CapacityOption]:
    n_m = buckets.n_months
    share = usable_share(sc, fab)
    earliest = sc.month_index(fab.available_from) if fab.available_from else 0
    modes = [(fab.node, fab.capacity_wspm, fab.months_to_first_output, 0.0)]
    modes += [
        (
            r.node,
            r.capacity_wspm if r.capacity_wspm is not None else fab.capacity_wspm,
            r.months,
            r.capex_usd,
        )
        for r in fab.retool
    ]
    premium = fab.newcomer.capex_premium if fab.newcomer is not None else 0.0
    ramp_n = max(fab.ramp_months, 1)
    ramp = np.minimum((np.arange(n_m) + 1.0) / ramp_n, 1.0) if fab.ramp_months else np.ones(n_m)
    out = []
    for node, wspm, months, retool_capex in modes:
        if not any(p.node == node for p in sc.products):
            continue
        lag = fab_cycle_time_months(sc, fab, node)
        extra = fixed.get((fab.name, "buy", node), set())
        for s in _start_candidates(buckets, earliest, start_every, extra):
            first = s + months
            if first + lag >= n_m and s not in extra:
                continue
            cap = np.zeros(n_m)
            if first < n_m:
                cap[first:] = wspm * share * ramp[: n_m - first]
            capex = np.zeros(n_m)
            capex[s] += fab.asking_price_usd
            if retool_capex:
                span = np.arange(s, min(s + max(months, 1), n_m))
                capex[span] += retool_capex * (1.0 + premium) / max(months, 1)
            out.append(
                CapacityOption(
                    fab.name,
                    node,
                    "buy",
                    s,
                    first,
                    float(fab.months_to_first_output),
                    float(fab.capacity_wspm),
                    1.0,
                    capex,
                    cap,
                    lag,
                )
            )
    return out


def fixed_starts(sc: Scenario, fixed: pd.DataFrame | None) -> dict[StartKey, set[int]]:
    """Start months (month indices) that a decisions table needs as options, by
    (site or line, action, node)."""
    out: dict[StartKey, set[int]] = {}
    if fixed is None:
        return out
    for row in fixed.itertuples(index=False):
        key = (str(row.site), str(row.action), str(getattr(row, "node", "") or ""))
        out.setdefault(key, set()).add(sc.month_index(str(row.start)))
    return out


def capacity_options(
    sc: Scenario,
    buckets: Buckets,
    strategy: str,
    start_every: int,
    fixed: Mapping[StartKey, set[int]],
) -> list[CapacityOption]:
    """Every wafer-capacity option the strategy allows (``mixed``, ``buy`` or ``build``)."""
    opts: list[CapacityOption] = []
    for fab in sc.fabs:
        if isinstance(fab, GreenfieldSite) and strategy in (Strategy.MIXED, Strategy.BUILD):
            opts += _greenfield_options(sc, fab, buckets, start_every, fixed)
        elif isinstance(fab, ExistingFab) and strategy in (Strategy.MIXED, Strategy.BUY):
            opts += _existing_options(sc, fab, buckets, start_every, fixed)
    return opts


def line_max_blocks(sc: Scenario) -> FloatArray:
    """Most own expansion blocks (1,000 interposer wafers/month each) per packaging line."""
    return np.array(
        [
            float(np.floor(ln.max_expansion_wpm / 1000.0 + 1e-9))
            if ln.owner == "own" and ln.expansion_capex_per_kwpm_usd
            else 0.0
            for ln in sc.packaging
        ],
        dtype=np.float64,
    )


def packaging_expansions(
    sc: Scenario, buckets: Buckets, start_every: int, fixed: Mapping[StartKey, set[int]]
) -> list[Expansion]:
    """Own packaging expansion options: one per expandable line and start month."""
    n_m = buckets.n_months
    out = []
    for ln, max_blocks in zip(sc.packaging, line_max_blocks(sc), strict=True):
        if max_blocks <= 0:
            continue
        extra = set().union(*[v for k, v in fixed.items() if k[0] == ln.name])
        lead = ln.expansion_lead_time_months
        for s in _start_candidates(buckets, 0, start_every, extra):
            if s + lead >= n_m and s not in extra:
                continue
            cap = np.zeros(n_m)
            cap[min(s + lead, n_m) :] = 1000.0
            capex = np.zeros(n_m)
            span = np.arange(s, min(s + max(lead, 1), n_m))
            capex[span] = float(ln.expansion_capex_per_kwpm_usd or 0.0) / max(lead, 1)
            out.append(Expansion(ln.name, s, min(s + lead, n_m - 1), cap, capex))
    return out
