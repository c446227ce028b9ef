"""Small fabs written inline (a scenario's fab template, a test's queueing network).

``build_fab(spec)`` takes plain data::

    {"name": "line",
     "tool_groups": [{"name": "litho", "count": 2, "load_minutes": 0}],
     "routes": [{"name": "r1", "steps": [
         {"group": "litho", "minutes": 30, "dist": "exponential"},
         {"group": "etch", "minutes": 20, "half_width": 4, "batch_min": 2, "batch_max": 4}]}],
     "products": [{"name": "p1", "route": "r1", "lots_per_day": 20, "due_days": 5,
                   "priority": 10, "arrivals": "poisson"}]}

Step fields: ``group``, ``minutes`` (mean per job), ``dist`` (``uniform``/``exponential``/
``constant``; default uniform), ``half_width``, ``batch_min``, ``batch_max``, ``setup``,
``setup_minutes``, ``sample_percent``, ``rework_percent``, ``rework_to`` (0-based index).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fabnet.errors import DataError
from fabnet.fab.model import (
    DIST_CONST,
    DIST_EXP,
    DIST_UNIFORM,
    FabModel,
    Order,
    Product,
    Route,
    Step,
    ToolGroup,
)

__all__ = ["build_fab"]

_DISTS = {"uniform": DIST_UNIFORM, "exponential": DIST_EXP, "constant": DIST_CONST}


def _get(d: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise DataError(f"{where}: missing field {key!r}")
    return d[key]


def build_fab(spec: Mapping[str, Any], source: str = "inline fab") -> FabModel:
    """Build a :class:`FabModel` from plain data (see module docstring)."""
    groups = [
        ToolGroup(
            name=str(_get(g, "name", f"tool_groups[{i}]")),
            count=int(_get(g, "count", f"tool_groups[{i}]")),
            load_minutes=float(g.get("load_minutes", 0.0)),
            area=str(g.get("area", "")),
        )
        for i, g in enumerate(_get(spec, "tool_groups", source))
    ]
    gidx = {g.name: i for i, g in enumerate(groups)}
    routes: list[Route] = []
    for ri, r in enumerate(_get(spec, "routes", source)):
        steps = []
        for si, s in enumerate(_get(r, "steps", f"routes[{ri}]")):
            where = f"{source}: routes[{ri}].steps[{si}]"
            gname = _get(s, "group", where)
            if gname not in gidx:
                raise DataError(f"{where}.group: unknown tool group {gname!r}; have {list(gidx)}")
            dist = s.get("dist", "uniform")
            if dist not in _DISTS:
                raise DataError(f"{where}.dist: {dist!r}; valid: {', '.join(_DISTS)}")
            steps.append(
                Step(
                    name=str(s.get("name", f"{si + 1:03d}_{gname}")),
                    group=gidx[gname],
                    mean=float(_get(s, "minutes", where)),
                    half_width=float(s.get("half_width", 0.0)),
                    dist=_DISTS[dist],
                    per="batch" if int(s.get("batch_max", 1)) > 1 else "lot",
                    batch_min=int(s.get("batch_min", 1)),
                    batch_max=int(s.get("batch_max", 1)),
                    setup=str(s.get("setup", "")),
                    setup_minutes=s.get("setup_minutes"),
                    sample_percent=float(s.get("sample_percent", 100.0)),
                    rework_percent=float(s.get("rework_percent", 0.0)),
                    rework_to=int(s.get("rework_to", -1)),
                )
            )
        routes.append(Route(name=str(_get(r, "name", f"routes[{ri}]")), steps=tuple(steps)))
    ridx = {r.name: i for i, r in enumerate(routes)}
    products: list[Product] = []
    orders: list[Order] = []
    for pi, p in enumerate(_get(spec, "products", source)):
        where = f"{source}: products[{pi}]"
        rname = _get(p, "route", where)
        if rname not in ridx:
            raise DataError(f"{where}.route: unknown route {rname!r}; have {list(ridx)}")
        products.append(Product(name=str(_get(p, "name", where)), route=ridx[rname]))
        per_day = float(p.get("lots_per_day", 0.0))
        if per_day > 0:
            orders.append(
                Order(
                    name=f"O_{p['name']}",
                    product=pi,
                    priority=int(p.get("priority", 10)),
                    start=0.0,
                    interval=1440.0 / per_day,
                    count=10**9,
                    due_minutes=float(p.get("due_days", 30.0)) * 1440.0,
                    interval_dist=DIST_EXP if p.get("arrivals") == "poisson" else DIST_CONST,
                )
            )
    return FabModel(
        name=str(spec.get("name", "inline")),
        groups=groups,
        routes=routes,
        products=products,
        orders=orders,
        transport=(float(spec.get("transport_minutes", 0.0)), 0.0),
    )
