"""Static capacity check: the load each tool group carries at a release rate, without queueing.

For group ``g``: demand = Σ_products λ_p Σ_steps at g  p_sample · busy_minutes / batch size,
with λ_p lots per minute, busy_minutes the tool's occupation per job (processing or the cascade
interval, plus load/unload unless cascading); availability = 1 − (expected failure and PM time
fractions), where a failure calendar contributes MTTR/(MTTF+MTTR), a calendar PM MTTR/interval
and a wafer-count PM MTTR per ``every`` wafers processed. Utilisation u = demand /
(tools · availability). A group with u ≥ 1 cannot keep up: the fab is overloaded whatever the
dispatching (Hopp & Spearman, Factory Physics, ch. 7, capacity = rate × availability).

Not counted, because they depend on the queues: setup times (SMT2020's implant groups, 72 min
per change with minimum runs of 7 lots, add 40–57 % to their busy time per lot in simulation) and
batches below the maximum size (diffusion furnaces running 5 instead of 6 lots: +20–30 %). In a
correct simulation every other group's busy time per processed lot matches this table within
±2 % (SMT2020 HVLM, 50 days); a larger excess means the simulator adds work (it found a routing
bug that sent lots of one product through the other product's route).
"""

from __future__ import annotations

import pandas as pd

from fabnet.fab.model import FabModel

__all__ = ["release_rates", "static_utilisation"]


def release_rates(model: FabModel, load_factor: float = 1.0) -> list[float]:
    """Lots per minute released for each product by the order table."""
    rates = [0.0] * len(model.products)
    for o in model.orders:
        if o.interval > 0:
            rates[o.product] += load_factor * o.lots_per_release / o.interval
    return rates


def static_utilisation(
    model: FabModel, load_factor: float = 1.0, full_batches: bool = True
) -> pd.DataFrame:
    """Per tool group: tools, busy demand (tool-minutes per minute), availability, utilisation.

    ``full_batches``: batch steps counted at their maximum batch size (else the minimum).
    """
    rates = release_rates(model, load_factor)
    ng = len(model.groups)
    demand = [0.0] * ng
    wafers = [0.0] * ng  # wafers per minute through the group (for counter PMs)
    for p, rate in enumerate(rates):
        if rate == 0:
            continue
        prod = model.products[p]
        for s in model.routes[prod.route].steps:
            tg = model.groups[s.group]
            busy = s.mean if s.tool_minutes is None else s.tool_minutes
            busy += 0.0 if tg.cascading else tg.load_minutes
            size = s.batch_max if full_batches else s.batch_min
            visits = rate * s.sample_percent / 100 / size
            demand[s.group] += visits * busy
            wafers[s.group] += visits * size * prod.pieces
    tool_group = model.tool_group_of()
    counts = [g.count for g in model.groups]
    down = [0.0] * ng
    for c in model.calendars:
        for t in c.tools:
            gi = tool_group[t]
            if c.by_pieces:
                per_tool_wafers = wafers[gi] / counts[gi]
                frac = c.repair_mean * per_tool_wafers / c.every if c.every > 0 else 0.0
            elif c.kind == "down":
                frac = c.repair_mean / (c.every + c.repair_mean)
            else:
                frac = c.repair_mean / c.every if c.every > 0 else 0.0
            down[gi] += frac / counts[gi]
    rows = []
    for g, grp in enumerate(model.groups):
        avail = max(1e-9, 1.0 - down[g])
        rows.append(
            {
                "group": grp.name,
                "tools": grp.count,
                "busy_per_tool": demand[g] / grp.count,
                "availability": avail,
                "utilisation": demand[g] / grp.count / avail,
            }
        )
    return pd.DataFrame(rows).sort_values("utilisation", ascending=False, ignore_index=True)
