"""Consistency checks that field types cannot express: names, cross-references, physics, dates.

Each ``check_*`` returns a list of :class:`fabnet.errors.Problem` (empty when all is well) whose
message says how to fix the input; :func:`check_scenario` runs them all so a user sees every
problem at once.
"""

from __future__ import annotations

import difflib
import itertools
import typing
from collections.abc import Iterable
from pathlib import Path

from fabnet.errors import Problem, short_repr
from fabnet.scenario._base import Series, month_index, series_values
from fabnet.scenario.fabs import ExistingFab, GreenfieldSite
from fabnet.scenario.model import Scenario
from fabnet.scenario.products import RETICLE_LIMIT_MM2
from fabnet.scenario.uncertainty import VIRTUAL_FIELDS

__all__ = ["check_scenario", "did_you_mean"]

COLLECTIONS = (
    "nodes", "fabs", "products", "packaging", "hbm", "customers", "investors", "fab_templates",
    "price_lists", "outside_foundries", "outside_packaging",
)  # fmt: skip


_MAX_SUGGEST = 64  # words longer than this, or more choices than _MAX_CHOICES: no suggestion
_MAX_CHOICES = 1000
_MAX_LISTED = 20


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, else ``""`` (bounded cost: long words
    and very long lists of choices get no suggestion)."""
    if not isinstance(word, str) or len(word) > _MAX_SUGGEST:
        return ""
    candidates = []
    for i, choice in enumerate(choices):
        if i >= _MAX_CHOICES:
            return ""
        if isinstance(choice, str) and len(choice) <= _MAX_SUGGEST:
            candidates.append(choice)
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown(kind: str, name: str, known: list[str]) -> str:
    listed = ", ".join(short_repr(k) for k in known[:_MAX_LISTED]) or "none defined"
    if len(known) > _MAX_LISTED:
        listed += f", ... ({len(known):,} in all)"
    return f"unknown {kind} {short_repr(name)}{did_you_mean(name, known)} (known: {listed})"


def check_unique_names(s: Scenario) -> list[Problem]:
    problems = []
    for coll in COLLECTIONS:
        seen: dict[str, int] = {}
        for i, item in enumerate(getattr(s, coll)):
            if item.name in seen:
                problems.append(
                    Problem(
                        f"{coll}[{i}].name",
                        f"duplicate name; already used by {coll}[{seen[item.name]}]",
                        item.name,
                    )
                )
            seen.setdefault(item.name, i)
    return problems


def check_nodes(s: Scenario) -> list[Problem]:
    problems = []
    for i, n in enumerate(s.nodes):
        if n.d0_mature_per_cm2 > n.d0_start_per_cm2:
            problems.append(
                Problem(
                    f"nodes[{i}].d0_mature_per_cm2",
                    f"mature defect density must not exceed the start value "
                    f"d0_start_per_cm2={n.d0_start_per_cm2}",
                    n.d0_mature_per_cm2,
                )
            )
        if 2 * n.edge_exclusion_mm >= n.wafer_diameter_mm:
            problems.append(
                Problem(
                    f"nodes[{i}].edge_exclusion_mm",
                    "edge exclusion leaves no usable wafer; must be below half the diameter",
                    n.edge_exclusion_mm,
                )
            )
    return problems


def check_products(s: Scenario) -> list[Problem]:
    nodes = [n.name for n in s.nodes]
    kinds = sorted({p.kind for p in s.packaging} | {p.kind for p in s.outside_packaging})
    hbm_types = sorted({h.hbm_type for h in s.hbm})
    problems = []
    for i, p in enumerate(s.products):
        if p.node not in nodes:
            problems.append(Problem(f"products[{i}].node", _unknown("node", p.node, nodes), p.node))
        if p.die_area_mm2 > RETICLE_LIMIT_MM2:
            problems.append(
                Problem(
                    f"products[{i}].die_width_mm",
                    f"one die of {p.die_width_mm} x {p.die_height_mm} mm = {p.die_area_mm2:.0f} mm² "
                    f"exceeds the reticle limit of {RETICLE_LIMIT_MM2:.0f} mm² (26 x 33 mm); "
                    f"a larger product must be split into several dies (compute_dies > 1)",
                    p.die_area_mm2,
                )
            )
        if kinds and p.packaging not in kinds:
            problems.append(
                Problem(
                    f"products[{i}].packaging",
                    _unknown("packaging kind", p.packaging, kinds),
                    p.packaging,
                )
            )
        if p.hbm_stacks > 0 and p.hbm_type not in hbm_types:
            problems.append(
                Problem(
                    f"products[{i}].hbm_type",
                    _unknown("HBM type", p.hbm_type, hbm_types) + " in 'hbm'",
                    p.hbm_type,
                )
            )
        h = p.harvesting
        if h is not None and h.spare_units >= h.units:
            problems.append(
                Problem(
                    f"products[{i}].harvesting.spare_units",
                    f"must be below units ({h.units})",
                    h.spare_units,
                )
            )
    return problems


def check_fabs(s: Scenario) -> list[Problem]:
    nodes = [n.name for n in s.nodes]
    problems = []
    for i, f in enumerate(s.fabs):
        if isinstance(f, ExistingFab):
            if f.node not in nodes:
                problems.append(Problem(f"fabs[{i}].node", _unknown("node", f.node, nodes), f.node))
            for j, r in enumerate(f.retool):
                if r.node not in nodes:
                    problems.append(
                        Problem(
                            f"fabs[{i}].retool[{j}].node", _unknown("node", r.node, nodes), r.node
                        )
                    )
            problems += _check_month(s, f"fabs[{i}].available_from", f.available_from)
        elif isinstance(f, GreenfieldSite):
            for j, nc in enumerate(f.nodes):
                if nc.node not in nodes:
                    problems.append(
                        Problem(
                            f"fabs[{i}].nodes[{j}].node", _unknown("node", nc.node, nodes), nc.node
                        )
                    )
            curve = f.ramp_curve
            if any(not 0 < v <= 1 for v in curve) or any(
                b < a for a, b in itertools.pairwise(curve)
            ):
                problems.append(
                    Problem(
                        f"fabs[{i}].ramp_curve",
                        "ramp fractions must lie in (0, 1] and never decrease",
                        curve,
                    )
                )
            problems += _check_month(s, f"fabs[{i}].earliest_start", f.earliest_start)
        if f.operating_curve is not None and not _is_file(f.operating_curve):
            problems.append(
                Problem(
                    f"fabs[{i}].operating_curve",
                    "file not found (write one with `fabnet fab curve --out FILE.json`)",
                    f.operating_curve,
                )
            )
    return problems


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except (OSError, ValueError):  # e.g. a name too long for the file system
        return False


def check_customers(s: Scenario) -> list[Problem]:
    products = [p.name for p in s.products]
    investors = [v.name for v in s.investors]
    problems = []
    for i, c in enumerate(s.customers):
        for field in ("demand", "contracted", "price_usd"):
            for prod in getattr(c, field):
                if prod not in products:
                    problems.append(
                        Problem(
                            f"customers[{i}].{field}.{prod}",
                            _unknown("product", prod, products),
                            prod,
                        )
                    )
        if c.investor is not None and c.investor not in investors:
            problems.append(
                Problem(
                    f"customers[{i}].investor",
                    _unknown("investor", c.investor, investors),
                    c.investor,
                )
            )
        for prod, price in c.price_usd.items():
            if price < 0:
                problems.append(
                    Problem(f"customers[{i}].price_usd.{prod}", "price must be >= 0", price)
                )
        problems += _check_bookings(s, i, c.packaging_bookings)
    return problems


def _check_bookings(s: Scenario, i: int, bookings: Iterable[str]) -> list[Problem]:
    """A ``packaging_bookings`` key is a packaging kind or the name of a packaging line (in
    ``packaging`` or ``outside_packaging``)."""
    kinds = sorted({ln.kind for ln in s.packaging} | {op.kind for op in s.outside_packaging})
    lines = [ln.name for ln in s.packaging] + [op.name for op in s.outside_packaging]
    problems = []
    for key in bookings:
        if key not in kinds and key not in lines:
            listed = ", ".join(short_repr(k) for k in kinds) or "none defined"
            names = ", ".join(short_repr(k) for k in lines) or "none defined"
            problems.append(
                Problem(
                    f"customers[{i}].packaging_bookings.{key}",
                    f"unknown packaging kind or line {short_repr(key)}"
                    f"{did_you_mean(key, kinds + lines)} (kinds: {listed}; lines: {names})",
                    key,
                )
            )
    return problems


def check_investors(s: Scenario) -> list[Problem]:
    problems = []
    for i, v in enumerate(s.investors):
        for j, p in enumerate(v.pay_in):
            problems += _check_month(s, f"investors[{i}].pay_in[{j}].month", p.month)
        if v.pay_in:
            total = sum(p.amount_usd for p in v.pay_in)
            if abs(total - v.commitment_usd) > max(1.0, 1e-6 * v.commitment_usd):
                problems.append(
                    Problem(
                        f"investors[{i}].pay_in",
                        f"payments sum to {total:,.0f} USD but commitment_usd is "
                        f"{v.commitment_usd:,.0f}; make them equal",
                        total,
                    )
                )
    return problems


def check_uncertainties(s: Scenario) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for i, u in enumerate(s.uncertainties):
        path = f"uncertainties[{i}]"
        if u.name in seen:
            problems.append(Problem(f"{path}.name", "duplicate name", u.name))
        seen.add(u.name)
        parts = u.target.split(".", 2)
        if len(parts) != 3:
            problems.append(
                Problem(
                    f"{path}.target",
                    "must read '<collection>.<name or *>.<field>', e.g. 'fabs.*.lead_time_months'",
                    u.target,
                )
            )
            continue
        coll, name, field = parts
        if coll not in COLLECTIONS:
            problems.append(
                Problem(f"{path}.target", _unknown("collection", coll, list(COLLECTIONS)), u.target)
            )
            continue
        items = getattr(s, coll)
        if name != "*" and name not in [x.name for x in items]:
            problems.append(
                Problem(
                    f"{path}.target", _unknown(coll[:-1], name, [x.name for x in items]), u.target
                )
            )
            continue
        fields: set[str] = set()
        for item in items if name == "*" else [x for x in items if x.name == name]:
            fields |= set(type(item).model_fields)
        if name == "*" and not items:  # an empty collection: the fields its items would have
            fields |= _item_fields(coll)
        fields |= _VIRTUAL_FIELDS.get(coll, set())
        if field not in fields:
            problems.append(
                Problem(
                    f"{path}.target", _unknown(f"field of {coll}", field, sorted(fields)), u.target
                )
            )
    return problems


_VIRTUAL_FIELDS = VIRTUAL_FIELDS
"""Targets that are not stored fields but effects the risk engine knows how to apply
(:data:`fabnet.scenario.uncertainty.VIRTUAL_FIELDS`)."""


def _item_fields(coll: str) -> set[str]:
    """Field names of the item model(s) of a list field of :class:`Scenario`."""
    out: set[str] = set()
    stack = [Scenario.model_fields[coll].annotation]
    while stack:
        tp = stack.pop()
        if isinstance(tp, type) and hasattr(tp, "model_fields"):
            out |= set(tp.model_fields)
        stack.extend(typing.get_args(tp))
    return out


def _check_month(s: Scenario, path: str, month: str | None) -> list[Problem]:
    if month is None:
        return []
    i = month_index(month, s.policy.start)
    if 0 <= i < s.policy.horizon_months:
        return []
    return [
        Problem(
            path,
            f"month lies outside the horizon {s.policy.start} .. {s.end_month}",
            month,
        )
    ]


def check_lifecycles(s: Scenario) -> list[Problem]:
    """``end_of_life`` not before ``launch``; no demand series that starts before its launch."""
    problems = []
    launch = {p.name: p.launch for p in s.products}
    for i, p in enumerate(s.products):
        if p.launch and p.end_of_life and month_index(p.end_of_life, p.launch) < 0:
            problems.append(
                Problem(
                    f"products[{i}].end_of_life",
                    f"end of life lies before the launch {p.launch}; make it {p.launch} or later",
                    p.end_of_life,
                )
            )
    for i, c in enumerate(s.customers):
        for field in ("demand", "contracted", "take_or_pay"):
            for prod, series in getattr(c, field).items():
                first = _first_point(series)
                start = launch.get(prod)
                if first is None or start is None or month_index(first, start) >= 0:
                    continue
                problems.append(
                    Problem(
                        f"customers[{i}].{field}.{prod}",
                        f"series starts at {first}, before the product's launch {start} "
                        f"(products[*].launch); start it at {start} or later, or move the launch",
                        first,
                    )
                )
    return problems


def _first_point(series: Series) -> str | None:
    """The first month of a series given as points with a value > 0 (None for a constant)."""
    if not isinstance(series, dict):
        return None
    return next((m for m, v in series.items() if v > 0), None)


def check_revenue(s: Scenario) -> list[Problem]:
    """Revenue terms name known products, price lists and nodes, with a price for each node."""
    products = {p.name: p for p in s.products}
    nodes = [n.name for n in s.nodes]
    lists = {pl.name: pl for pl in s.price_lists}
    problems = []
    for i, pl in enumerate(s.price_lists):
        for node in pl.wafer_price_usd:
            if node not in nodes:
                problems.append(
                    Problem(
                        f"price_lists[{i}].wafer_price_usd.{node}", _unknown("node", node, nodes)
                    )
                )
    for i, c in enumerate(s.customers):
        for field in ("revenue_by_product", "take_or_pay"):
            for prod in getattr(c, field):
                if prod not in products:
                    problems.append(
                        Problem(
                            f"customers[{i}].{field}.{prod}",
                            _unknown("product", prod, list(products)),
                            prod,
                        )
                    )
        wanted = set(c.demand) | set(c.contracted) | set(c.take_or_pay) | set(c.revenue_by_product)
        for prod in sorted(wanted & set(products)):
            terms = c.terms_for(prod)
            path = (
                f"customers[{i}].revenue_by_product.{prod}"
                if prod in c.revenue_by_product
                else f"customers[{i}].revenue"
            )
            node = products[prod].node
            if terms.model == "merchant" or node not in nodes:  # unknown node: check_products
                continue
            if terms.price_list is not None and terms.price_list not in lists:
                problems.append(
                    Problem(
                        f"{path}.price_list",
                        _unknown("price list", terms.price_list, list(lists)),
                        terms.price_list,
                    )
                )
                continue
            if not lists:
                problems.append(
                    Problem(
                        f"{path}.model",
                        f"{terms.model} terms need a price list; add one under 'price_lists' "
                        "or use model: merchant",
                        terms.model,
                    )
                )
                continue
            pl = lists[terms.price_list] if terms.price_list else s.price_lists[0]
            if terms.model == "foundry" and node not in pl.wafer_price_usd:
                problems.append(
                    Problem(
                        f"{path}.model",
                        f"foundry terms for {prod} need a wafer price for node {node} in price "
                        f"list {pl.name!r} (price_lists[*].wafer_price_usd.{node})",
                        terms.model,
                    )
                )
            if terms.model == "cost_plus" and node not in terms.wafer_cost_usd:
                problems.append(
                    Problem(
                        f"{path}.wafer_cost_usd",
                        f"cost_plus terms for {prod} need the agreed wafer cost of node {node} "
                        f"(wafer_cost_usd: {{{node}: ...}})",
                        sorted(terms.wafer_cost_usd),
                    )
                )
        for j, pp in enumerate(c.prepayments):
            problems += _check_month(s, f"customers[{i}].prepayments[{j}].month", pp.month)
    return problems


def check_outside_supply(s: Scenario) -> list[Problem]:
    """Outside foundries name a known node, minimums stay within maximums, dates in order."""
    nodes = [n.name for n in s.nodes]
    problems = []
    for i, f in enumerate(s.outside_foundries):
        path = f"outside_foundries[{i}]"
        if f.node not in nodes:
            problems.append(Problem(f"{path}.node", _unknown("node", f.node, nodes), f.node))
        high = series_values(f.max_wafers_per_month, s.months)
        for field in ("min_wafers_per_month", "take_or_pay_wafers_per_month"):
            low = series_values(getattr(f, field), s.months)
            bad = next((k for k, (a, b) in enumerate(zip(low, high, strict=True)) if a > b), None)
            if bad is not None:
                problems.append(
                    Problem(
                        f"{path}.{field}",
                        f"exceeds max_wafers_per_month in {s.months[bad]} "
                        f"({low[bad]:,.0f} > {high[bad]:,.0f}); lower it or raise the maximum",
                        low[bad],
                    )
                )
        problems += _check_month(s, f"{path}.available_from", f.available_from)
        if (
            f.available_from
            and f.available_until
            and month_index(f.available_until, f.available_from) < 0
        ):
            problems.append(
                Problem(
                    f"{path}.available_until",
                    f"lies before available_from {f.available_from}",
                    f.available_until,
                )
            )
    for i, op in enumerate(s.outside_packaging):
        problems += _check_month(s, f"outside_packaging[{i}].available_from", op.available_from)
    return problems


def check_cash_flow_terms(s: Scenario) -> list[Problem]:
    """Terminal growth below the discount rate; grants cover a known region or site; newcomer
    factors keep the mature defect density at or below the start one."""
    fin = s.financing
    problems = []
    tv = fin.terminal_value
    if tv.method == "perpetuity" and tv.growth >= s.policy.discount_rate:
        problems.append(
            Problem(
                "financing.terminal_value.growth",
                f"perpetuity growth must be below policy.discount_rate ({s.policy.discount_rate})"
                ", else the value is infinite",
                tv.growth,
            )
        )
    regions = sorted({f.region for f in s.fabs})
    sites = [f.name for f in s.fabs]
    for i, g in enumerate(fin.grants):
        path = f"financing.grants[{i}]"
        if (g.region is None) == (g.site is None):
            problems.append(
                Problem(
                    path, "give exactly one of region or site", {"region": g.region, "site": g.site}
                )
            )
        elif g.region is not None and g.region not in regions:
            problems.append(
                Problem(f"{path}.region", _unknown("region", g.region, regions), g.region)
            )
        elif g.site is not None and g.site not in sites:
            problems.append(Problem(f"{path}.site", _unknown("site", g.site, sites), g.site))
    for i, f in enumerate(s.fabs):
        nc = f.newcomer
        if nc is None:
            continue
        node_names = [f.node] if isinstance(f, ExistingFab) else [n.node for n in f.nodes]
        for node in s.nodes:
            if (
                node.name in node_names
                and node.d0_mature_per_cm2 <= node.d0_start_per_cm2  # else check_nodes says so
                and node.d0_mature_per_cm2 * nc.d0_mature_factor
                > node.d0_start_per_cm2 * nc.d0_start_factor
            ):
                problems.append(
                    Problem(
                        f"fabs[{i}].newcomer.d0_mature_factor",
                        f"makes the mature defect density of {node.name} exceed its start value;"
                        f" keep it at or below d0_start_factor ({nc.d0_start_factor})",
                        nc.d0_mature_factor,
                    )
                )
    return problems


def check_scenario(s: Scenario) -> list[Problem]:
    """Every problem with ``s`` that field types alone cannot catch."""
    problems: list[Problem] = []
    for check in (
        check_unique_names,
        check_nodes,
        check_products,
        check_fabs,
        check_customers,
        check_investors,
        check_uncertainties,
        check_lifecycles,
        check_revenue,
        check_outside_supply,
        check_cash_flow_terms,
    ):
        problems += check(s)
    return problems
