"""The arrays the planning model is built from (:class:`PlanData`), computed once from a scenario.

Everything the optimisation needs is here as numpy arrays over named axes, so that the model
(:mod:`fabnet.plan.model`) is a thin layer and the risk engine can evaluate a plan vectorised
without a solver. Money is in USD, quantities per bucket (see :mod:`fabnet.plan.buckets`).

**Capacity options.** Every way of getting wafer capacity is an *option* (a cohort): building
``n`` modules of node ``k`` at a greenfield site starting in month ``s`` (integer ``n``), or buying
an existing fab in month ``s`` and running it at its current node or a retooled node (binary).
Start months lie on a grid (``start_every`` months in the monthly part, every other quarter
after (``LATE_START_EVERY``); the months of fixed decisions are added). Per unit of an option and month ``m``:

* wafer starts per month: module (fab) capacity × ramp(m − first output) × usable share, where
  the usable share is the fab's operating-curve load at ``policy.max_flow_factor`` or else
  ``policy.default_utilisation``; greenfield ramps follow ``ramp_curve``, bought fabs ramp
  linearly over ``ramp_months``;
* wafer *outputs* follow starts by the fab's cycle time in whole months: its operating curve's
  cycle time at the usable load when it has one (simulated by ``fabnet fab curve``), else the
  node's ``mask_layers × days_per_layer``; the model counts wafers when they come out;
* capex: a greenfield module's ``capex_per_kwspm × module_wspm/1000`` is spread evenly, the
  building share (1 − ``financing.equipment_share``) over the first half of the lead time and
  the equipment share over the second half; a bought fab pays its asking price in the purchase
  month and its retool capex evenly over the retool months.

**Yield learning (linear, per cohort).** A cohort's learning clock starts at its own first output:
wafers that come out of cohort ``o`` in month ``m`` carry the good dies per wafer of age
``a = m − cycle time − first_output(o)`` (``fabnet.econ`` learning curve and yield model). The
cohort's age is known once its start month is, so the good-die coefficient of each cohort's wafer
variable is a constant and the model stays linear. Cohorts older than the node's *mature age*
(the first age at which every product of the node is within ``mature_tolerance`` of its mature
good dies per wafer) share one pooled wafer variable per site and node at the yield of that age,
which keeps the model small and errs low by at most ``mature_tolerance``. Consequence: a second
module at a site learns from scratch (no copy-exact transfer), which is conservative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.errors import UsageError
from fabnet.plan._econ import good_dies_per_wafer_at
from fabnet.plan.buckets import Buckets, make_buckets
from fabnet.scenario import ExistingFab, GreenfieldSite, Scenario, month_index, series_values
from fabnet.scenario.fab_template import OperatingCurve

__all__ = [
    "DECISION_COLUMNS",
    "STRATEGIES",
    "PlanData",
    "build_plan_data",
    "cycle_time_months",
    "decisions_table",
    "fab_cycle_time_months",
    "units_from_decisions",
    "usable_share",
]

STRATEGIES = ("mixed", "buy", "build")
"""Which capacity options a plan may use: all, only buying existing fabs, only building."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlanData:
    """Arrays of one planning problem (axes: O options, G site-node groups, P products,
    C customers, L packaging lines, E packaging expansions, S HBM suppliers, T buckets).

    Money in USD; wafers, units, stacks per bucket. See the module docstring for the formulas.
    """

    scenario_name: str
    buckets: Buckets
    strategy: str
    # products
    products: tuple[str, ...]
    product_node: tuple[str, ...]
    compute_dies: FloatArray  # P
    packages_per_wafer: FloatArray  # P
    test_cost: FloatArray  # P
    hbm_stacks: FloatArray  # P
    hbm_type: tuple[str, ...]  # P
    packaging_kind: tuple[str, ...]  # P
    # sites and capacity options
    sites: tuple[str, ...]
    site_max_units: FloatArray  # sites
    groups: tuple[str, ...]  # "site / node"
    group_site: npt.NDArray[np.int64]  # G
    group_node: tuple[str, ...]  # G
    group_opex: FloatArray  # G, USD per wafer
    group_product: npt.NDArray[np.bool_]  # G x P
    group_gdpw_mature: FloatArray  # G x P
    option_group: npt.NDArray[np.int64]  # O
    option_site: npt.NDArray[np.int64]  # O
    option_kind: tuple[str, ...]  # O: 'buy' | 'build'
    option_start: tuple[str, ...]  # O, YYYY-MM
    option_first_output: tuple[str, ...]  # O, YYYY-MM (first wafer starts at volume)
    option_max_units: FloatArray  # O
    option_capex: FloatArray  # O x T per unit
    option_capacity: FloatArray  # O x T wafers out per unit
    option_gdpw: FloatArray  # O x P x T good dies per wafer (young cohorts)
    option_young: npt.NDArray[np.bool_]  # O x T
    # packaging and HBM
    lines: tuple[str, ...]
    line_kind: tuple[str, ...]
    line_capacity: FloatArray  # L x T interposer wafers
    line_cost: FloatArray  # L, USD per interposer wafer
    line_yield: FloatArray  # L
    line_product: npt.NDArray[np.bool_]  # L x P
    line_max_blocks: FloatArray  # L (blocks of 1,000 wafers/month)
    expansion_line: npt.NDArray[np.int64]  # E
    expansion_start: tuple[str, ...]  # E
    expansion_first_output: tuple[str, ...]  # E
    expansion_capacity: FloatArray  # E x T interposer wafers per block
    expansion_capex: FloatArray  # E x T per block
    hbm_suppliers: tuple[str, ...]
    hbm_supplier_type: tuple[str, ...]
    hbm_supply: FloatArray  # S x T stacks
    hbm_price: FloatArray  # S
    # customers
    customers: tuple[str, ...]
    priority: npt.NDArray[np.int64]  # C
    penalty: FloatArray  # C, USD per unit short
    demand: FloatArray  # C x P x T units
    contracted: FloatArray  # C x P x T units (<= demand)
    price: FloatArray  # C x P USD
    # money
    investor_in: FloatArray  # T
    minimum_cash: float
    debt_limit: float
    debt_rate: float
    extra: Mapping[str, Any] = field(default_factory=dict)

    # -- helpers for the risk engine and the tables -----------------------------------------
    def capacity_given(self, units: npt.ArrayLike) -> FloatArray:
        """Usable wafer outputs per site and bucket (sites x T) for option unit counts (O)."""
        u = np.asarray(units, dtype=np.float64)
        per_option = self.option_capacity * u[:, None]
        out = np.zeros((len(self.sites), self.buckets.n))
        np.add.at(out, self.option_site, per_option)
        return out

    def option_index(self, site: str, kind: str, start: str, node: str | None = None) -> int | None:
        """Index of the option (site, kind, start month, node) or None."""
        for i in range(len(self.option_kind)):
            g = self.option_group[i]
            if (
                self.sites[self.option_site[i]] == site
                and self.option_kind[i] == kind
                and self.option_start[i] == start
                and (node is None or self.group_node[g] == node)
            ):
                return i
        return None


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


@dataclass
class _Option:
    site: str
    node: str
    kind: str
    start: int  # month index
    first_output: int  # month index
    max_units: float
    capex: FloatArray  # per month
    starts_cap: FloatArray  # wafer starts per month per unit (usable)


def _ramp(curve: Sequence[float], months: int) -> FloatArray:
    k = np.arange(months)
    vals = np.asarray([*list(curve), 1.0], dtype=np.float64)
    return vals[np.minimum(k, len(vals) - 1)]


LATE_START_EVERY = 6
"""Start grid in the quarterly part [months]: every other quarter. On the built-in scenario this
cut the design MIP from 296 to 214 capacity options and its time by a third, same optimum."""


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


def _greenfield_options(
    sc: Scenario,
    site: GreenfieldSite,
    buckets: Buckets,
    start_every: int,
    fixed_starts: Mapping[tuple[str, str, str], set[int]],
) -> list[_Option]:
    n_m = buckets.n_months
    share = usable_share(sc, site)
    earliest = sc.month_index(site.earliest_start) if site.earliest_start else 0
    ramp = _ramp(site.ramp_curve, n_m)
    eq = sc.financing.equipment_share
    out = []
    for nc in site.nodes:
        if not any(p.node == nc.node for p in sc.products):
            continue  # sparse qualification: no product runs on this node
        lag = fab_cycle_time_months(sc, site, nc.node)
        extra = fixed_starts.get((site.name, "build", nc.node), set())
        for s in _start_candidates(buckets, earliest, start_every, extra):
            first = s + site.lead_time_months
            if first + lag >= n_m and s not in extra:
                continue
            cap = np.zeros(n_m)
            if first < n_m:
                cap[first:] = site.module_wspm * share * ramp[: n_m - first]
            total = nc.capex_per_kwspm_usd * site.module_wspm / 1000.0
            capex = np.zeros(n_m)
            lead = site.lead_time_months
            if lead == 0:
                capex[s] = total
            else:
                half = max(lead // 2, 1)
                build = np.arange(s, min(s + half, n_m))
                tools = np.arange(s + half, min(s + lead, n_m))
                capex[build] += total * (1 - eq) / half
                if lead > half:
                    capex[tools] += total * eq / (lead - half)
                else:
                    capex[build] += total * eq / half
            out.append(_Option(site.name, nc.node, "build", s, first, site.max_modules, capex, cap))
    return out


def _existing_options(
    sc: Scenario,
    fab: ExistingFab,
    buckets: Buckets,
    start_every: int,
    fixed_starts: Mapping[tuple[str, str, str], set[int]],
) -> list[_Option]:
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
    ramp_n = max(fab.ramp_months, 1)
    ramp = np.minimum((np.arange(n_m) + 1.0) / ramp_n, 1.0) if fab.ramp_months else np.ones(n_m)
    out = []
    for node, wspm, months, retool_capex in modes:
        if not any(p.node == node for p in sc.products):
            continue
        lag = fab_cycle_time_months(sc, fab, node)
        extra = fixed_starts.get((fab.name, "buy", node), set())
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
                capex[span] += retool_capex / max(months, 1)
            out.append(_Option(fab.name, node, "buy", s, first, 1.0, capex, cap))
    return out


def _fixed_starts(sc: Scenario, fixed: pd.DataFrame | None) -> dict[tuple[str, str, str], set[int]]:
    out: dict[tuple[str, str, str], set[int]] = {}
    if fixed is None:
        return out
    for row in fixed.itertuples(index=False):
        key = (str(row.site), str(row.action), str(row.node))
        out.setdefault(key, set()).add(sc.month_index(str(row.start)))
    return out


def _mature_age(sc: Scenario, node: str, tolerance: float, limit: int = 120) -> int:
    ages = np.arange(limit + 1, dtype=np.float64)
    worst = limit
    ok_all = np.ones(limit + 1, dtype=bool)
    for p in sc.products:
        if p.node != node:
            continue
        g = good_dies_per_wafer_at(sc, p.name, ages)
        g_inf = float(good_dies_per_wafer_at(sc, p.name, np.array([1e6]))[0])
        ok_all &= g >= (1.0 - tolerance) * g_inf if g_inf > 0 else True
    idx = np.flatnonzero(ok_all)
    return int(idx[0]) if idx.size else worst


def build_plan_data(
    scenario: Scenario,
    *,
    strategy: str = "mixed",
    start_every: int = 3,
    mature_tolerance: float = 0.01,
    fixed: pd.DataFrame | None = None,
) -> PlanData:
    """Compute :class:`PlanData` for ``scenario`` (see the module docstring for the formulas).

    Args:
        strategy: ``"mixed"`` (all options), ``"buy"`` (existing fabs only) or ``"build"``.
        start_every: grid of start months in the monthly part [months] (quarterly after).
        mature_tolerance: relative good-die shortfall below which cohorts are pooled as mature.
        fixed: decisions table (site, action, start, node) whose start months must be options.
    """
    if strategy not in STRATEGIES:
        raise UsageError(f"strategy must be one of {', '.join(STRATEGIES)} (got {strategy!r})")
    if start_every < 1:
        raise UsageError(f"start_every must be >= 1 month (got {start_every})")
    sc = scenario
    buckets = make_buckets(sc)
    months = sc.months
    n_m, n_t = len(months), buckets.n
    fixed_starts = _fixed_starts(sc, fixed)

    # -- products ---------------------------------------------------------------------------
    prods = sc.products
    pnames = tuple(p.name for p in prods)
    n_p = len(prods)

    # -- options ----------------------------------------------------------------------------
    opts: list[_Option] = []
    for fab in sc.fabs:
        if isinstance(fab, GreenfieldSite) and strategy in ("mixed", "build"):
            opts += _greenfield_options(sc, fab, buckets, start_every, fixed_starts)
        elif isinstance(fab, ExistingFab) and strategy in ("mixed", "buy"):
            opts += _existing_options(sc, fab, buckets, start_every, fixed_starts)
    sites = tuple(dict.fromkeys(o.site for o in opts))
    site_max = np.array(
        [
            float(f.max_modules) if isinstance(f, GreenfieldSite) else 1.0
            for f in (sc.fab(s) for s in sites)
        ]
    )
    group_keys = tuple(dict.fromkeys((o.site, o.node) for o in opts))
    groups = tuple(f"{s} / {n}" for s, n in group_keys)
    group_site = np.array([sites.index(s) for s, _ in group_keys], dtype=np.int64)
    group_node = tuple(n for _, n in group_keys)
    group_opex = np.array([sc.fab(s).opex_per_wafer_usd for s, _ in group_keys], dtype=np.float64)
    group_product = np.array(
        [[p.node == n for p in prods] for _, n in group_keys], dtype=bool
    ).reshape(len(group_keys), n_p)

    nodes_used = sorted(set(group_node))
    mature_age = {n: _mature_age(sc, n, mature_tolerance) for n in nodes_used}
    lag = {n: cycle_time_months(sc, n) for n in nodes_used}
    group_lag = {
        f"{s} / {n}": fab_cycle_time_months(sc, sc.fab(s), n) for s, n in group_keys
    }  # differs from the node's lag where the fab has an operating curve
    age_grid = np.arange(-1, n_m + 1, dtype=np.float64)  # ages -1..n_m
    gdpw_by_age = {
        p.name: good_dies_per_wafer_at(sc, p.name, age_grid) for p in prods if p.node in lag
    }
    group_gdpw_mature = np.zeros((len(group_keys), n_p))
    for g, (_, node) in enumerate(group_keys):
        for j, p in enumerate(prods):
            if p.node == node:
                group_gdpw_mature[g, j] = float(
                    good_dies_per_wafer_at(sc, p.name, np.array([float(mature_age[node])]))[0]
                )

    n_o = len(opts)
    option_capex = np.zeros((n_o, n_t))
    option_capacity = np.zeros((n_o, n_t))
    option_gdpw = np.zeros((n_o, n_p, n_t))
    option_young = np.zeros((n_o, n_t), dtype=bool)
    month_idx = np.arange(n_m)
    for i, o in enumerate(opts):
        option_capex[i] = buckets.aggregate(o.capex)
        d = group_lag[f"{o.site} / {o.node}"]
        out_cap = np.zeros(n_m)
        if d < n_m:
            out_cap[d:] = o.starts_cap[: n_m - d]
        k = buckets.aggregate(out_cap)
        option_capacity[i] = k
        age = month_idx - d - o.first_output  # age at processing of wafers out in month m
        age_c = np.clip(age, -1, n_m) + 1  # index into age_grid
        for j, p in enumerate(prods):
            if p.node != o.node:
                continue
            g_m = gdpw_by_age[p.name][age_c]
            num = buckets.aggregate(out_cap * g_m)
            option_gdpw[i, j] = np.divide(num, k, out=np.zeros(n_t), where=k > 0)
        age_first = buckets.start - d - o.first_output
        option_young[i] = (k > 0) & (age_first < mature_age[o.node])

    # -- packaging --------------------------------------------------------------------------
    lines = sc.packaging
    line_capacity = np.array(
        [buckets.aggregate(series_values(ln.capacity_wpm, months)) for ln in lines]
    ).reshape(len(lines), n_t)
    line_product = np.array(
        [[p.packaging == ln.kind for p in prods] for ln in lines], dtype=bool
    ).reshape(len(lines), n_p)
    line_max_blocks = np.array(
        [
            float(np.floor(ln.max_expansion_wpm / 1000.0 + 1e-9))
            if ln.owner == "own" and ln.expansion_capex_per_kwpm_usd
            else 0.0
            for ln in lines
        ]
    )
    exp_line, exp_start, exp_first, exp_cap, exp_capex = [], [], [], [], []
    for li, ln in enumerate(lines):
        if line_max_blocks[li] <= 0:
            continue
        extra = set().union(*[v for k, v in fixed_starts.items() if k[0] == ln.name])
        lead = ln.expansion_lead_time_months
        for s in _start_candidates(buckets, 0, start_every, extra):
            if s + lead >= n_m and s not in extra:
                continue
            cap = np.zeros(n_m)
            cap[min(s + lead, n_m) :] = 1000.0
            capex = np.zeros(n_m)
            span = np.arange(s, min(s + max(lead, 1), n_m))
            capex[span] = float(ln.expansion_capex_per_kwpm_usd or 0.0) / max(lead, 1)
            exp_line.append(li)
            exp_start.append(months[s])
            exp_first.append(months[min(s + lead, n_m - 1)])
            exp_cap.append(buckets.aggregate(cap))
            exp_capex.append(buckets.aggregate(capex))

    # -- HBM --------------------------------------------------------------------------------
    hbm = sc.hbm
    hbm_supply = np.array(
        [buckets.aggregate(series_values(h.stacks_per_month, months)) for h in hbm]
    ).reshape(len(hbm), n_t)

    # -- customers --------------------------------------------------------------------------
    custs = sc.customers
    n_c = len(custs)
    demand = np.zeros((n_c, n_p, n_t))
    contracted = np.zeros((n_c, n_p, n_t))
    price = np.zeros((n_c, n_p))
    for ci, c in enumerate(custs):
        for j, p in enumerate(prods):
            if p.name in c.demand:
                demand[ci, j] = buckets.aggregate(series_values(c.demand[p.name], months))
            if p.name in c.contracted:
                contracted[ci, j] = buckets.aggregate(series_values(c.contracted[p.name], months))
            price[ci, j] = c.price_usd.get(p.name, p.list_price_usd)
    contracted = np.minimum(contracted, demand)
    pol = sc.policy
    priority = np.array([c.priority for c in custs], dtype=np.int64)
    penalty = pol.shortage_penalty_usd * pol.priority_weight_ratio ** (-(priority - 1.0))

    # -- money ------------------------------------------------------------------------------
    inflow = np.zeros(n_m)
    for inv in sc.investors:
        if not inv.pay_in:
            inflow[0] += inv.commitment_usd
        for pay in inv.pay_in:
            m = month_index(pay.month, pol.start)
            if m < n_m:
                inflow[max(m, 0)] += pay.amount_usd

    fin = sc.financing
    return PlanData(
        scenario_name=sc.name,
        buckets=buckets,
        strategy=strategy,
        products=pnames,
        product_node=tuple(p.node for p in prods),
        compute_dies=np.array([p.compute_dies for p in prods], dtype=np.float64),
        packages_per_wafer=np.array([p.packages_per_interposer_wafer for p in prods]),
        test_cost=np.array([p.test_cost_usd for p in prods], dtype=np.float64),
        hbm_stacks=np.array([p.hbm_stacks for p in prods], dtype=np.float64),
        hbm_type=tuple(p.hbm_type for p in prods),
        packaging_kind=tuple(p.packaging for p in prods),
        sites=sites,
        site_max_units=site_max,
        groups=groups,
        group_site=group_site,
        group_node=group_node,
        group_opex=group_opex,
        group_product=group_product,
        group_gdpw_mature=group_gdpw_mature,
        option_group=np.array([group_keys.index((o.site, o.node)) for o in opts], dtype=np.int64),
        option_site=np.array([sites.index(o.site) for o in opts], dtype=np.int64),
        option_kind=tuple(o.kind for o in opts),
        option_start=tuple(months[o.start] for o in opts),
        option_first_output=tuple(
            months[min(o.first_output, n_m - 1)] if o.first_output < n_m else "never" for o in opts
        ),
        option_max_units=np.array([o.max_units for o in opts], dtype=np.float64),
        option_capex=option_capex,
        option_capacity=option_capacity,
        option_gdpw=option_gdpw,
        option_young=option_young,
        lines=tuple(ln.name for ln in lines),
        line_kind=tuple(ln.kind for ln in lines),
        line_capacity=line_capacity,
        line_cost=np.array([ln.cost_per_wafer_usd for ln in lines], dtype=np.float64),
        line_yield=np.array([ln.assembly_yield for ln in lines], dtype=np.float64),
        line_product=line_product,
        line_max_blocks=line_max_blocks,
        expansion_line=np.array(exp_line, dtype=np.int64),
        expansion_start=tuple(exp_start),
        expansion_first_output=tuple(exp_first),
        expansion_capacity=np.array(exp_cap).reshape(len(exp_line), n_t),
        expansion_capex=np.array(exp_capex).reshape(len(exp_line), n_t),
        hbm_suppliers=tuple(h.name for h in hbm),
        hbm_supplier_type=tuple(h.hbm_type for h in hbm),
        hbm_supply=hbm_supply,
        hbm_price=np.array([h.price_usd for h in hbm], dtype=np.float64),
        customers=tuple(c.name for c in custs),
        priority=priority,
        penalty=penalty,
        demand=demand,
        contracted=contracted,
        price=price,
        investor_in=buckets.aggregate(inflow),
        minimum_cash=fin.minimum_cash_usd,
        debt_limit=fin.debt_limit_usd,
        debt_rate=fin.debt_rate,
        extra={"mature_age": mature_age, "cycle_time": lag, "cycle_time_by_group": group_lag},
    )


def units_from_decisions(
    d: PlanData, decisions: pd.DataFrame
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Option units and packaging blocks (aligned with ``d``) of a decisions table
    (columns site, action, start, modules, node), as ``solve_plan(fixed=...)`` reads it."""
    units = np.zeros(len(d.option_kind))
    blocks = np.zeros(len(d.expansion_line))
    for row in decisions.itertuples(index=False):
        site, action, start, n = str(row.site), str(row.action), str(row.start), float(row.modules)
        node = str(getattr(row, "node", "") or "")
        if site in d.lines:
            hits = [
                i
                for i, li in enumerate(d.expansion_line)
                if d.lines[li] == site and d.expansion_start[i] == start
            ]
            if not hits:
                raise UsageError(f"decision {site} {start}: no such packaging expansion")
            blocks[hits[0]] += n
            continue
        i = d.option_index(site, action, start, node or None)
        if i is None:
            raise UsageError(
                f"decision {action} {site} ({node}) from {start}: not an option of this "
                "scenario (unknown site or node, or a start before it is available)"
            )
        units[i] += n
    return units, blocks


DECISION_COLUMNS = ["site", "action", "start", "first_output", "modules", "capex", "node"]
"""Columns of the planner's ``decisions`` table."""


def decisions_table(
    d: PlanData, units: npt.NDArray[np.float64], blocks: npt.NDArray[np.float64]
) -> pd.DataFrame:
    """Units / blocks of ``d``'s options in the planner's ``decisions`` format."""
    rows = [
        {
            "site": d.sites[d.option_site[o]],
            "action": d.option_kind[o],
            "start": d.option_start[o],
            "first_output": d.option_first_output[o],
            "modules": round(units[o]),
            "capex": float(units[o] * d.option_capex[o].sum()),
            "node": d.group_node[d.option_group[o]],
        }
        for o in np.flatnonzero(units > 0.5)
    ]
    for e in np.flatnonzero(blocks > 0.5):
        li = d.expansion_line[e]
        rows.append(
            {
                "site": d.lines[li],
                "action": "build",
                "start": d.expansion_start[e],
                "first_output": d.expansion_first_output[e],
                "modules": round(blocks[e]),
                "capex": float(blocks[e] * d.expansion_capex[e].sum()),
                "node": d.line_kind[li],
            }
        )
    return pd.DataFrame(rows, columns=DECISION_COLUMNS).sort_values(
        ["start", "site"], kind="stable", ignore_index=True
    )
