"""Between the planner's ``decisions`` table (site, action, start, modules, node) and the
option units and packaging blocks of a :class:`fabnet.plan.data.PlanData`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from fabnet.errors import UsageError
from fabnet.plan.options import expansion_label

if TYPE_CHECKING:
    from fabnet.plan.data import PlanData

__all__ = ["DECISION_COLUMNS", "decisions_table", "option_starts", "units_from_decisions"]

FloatArray = npt.NDArray[np.float64]

DECISION_COLUMNS = ["site", "action", "start", "first_output", "modules", "capex", "node"]
"""Columns of the planner's ``decisions`` table."""


def units_from_decisions(d: PlanData, decisions: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """Option units and packaging blocks (aligned with ``d``) of a decisions table
    (columns site, action, start, modules, node), as ``solve_plan(fixed=...)`` reads it."""
    units = np.zeros(d.n_options)
    blocks = np.zeros(d.n_expansions)
    exp_pos = {label: i for i, label in enumerate(d.expansions)}
    lines = set(d.lines)
    for row in decisions.itertuples(index=False):
        site, action, start, n = str(row.site), str(row.action), str(row.start), float(row.modules)  # type: ignore[arg-type]
        node = str(getattr(row, "node", "") or "")
        if site in lines:
            e = exp_pos.get(expansion_label(site, start))
            if e is None:
                raise UsageError(f"decision {site} {start}: no such packaging expansion")
            blocks[e] += n
            continue
        i = d.option_index(site, action, start, node or None)
        if i is None:
            raise UsageError(
                f"decision {action} {site} ({node}) from {start}: not an option of this "
                "scenario (unknown site or node, or a start before it is available)"
            )
        units[i] += n
    return units, blocks


def decisions_table(d: PlanData, units: FloatArray, blocks: FloatArray) -> pd.DataFrame:
    """Units / blocks of ``d``'s options in the planner's ``decisions`` format."""
    months = d.labels("month")
    n_m = len(months)
    first = d.values("option_first_output_month")
    capex = d.values("option_capex").sum(axis=1)
    rows = [
        {
            "site": d.values("option_site")[o],
            "action": d.values("option_kind")[o],
            "start": d.values("option_start")[o],
            "first_output": months[min(int(first[o]), n_m - 1)] if first[o] < n_m else "never",
            "modules": round(units[o]),
            "capex": float(units[o] * capex[o]),
            "node": d.values("option_node")[o],
        }
        for o in np.flatnonzero(units > 0.5)
    ]
    line_kind = dict(zip(d.lines, d.values("line_kind"), strict=True))
    exp_capex = d.values("expansion_capex").sum(axis=1)
    for e in np.flatnonzero(blocks > 0.5):
        line = str(d.values("expansion_line")[e])
        rows.append(
            {
                "site": line,
                "action": "build",
                "start": d.values("expansion_start")[e],
                "first_output": d.values("expansion_first_output")[e],
                "modules": round(blocks[e]),
                "capex": float(blocks[e] * exp_capex[e]),
                "node": line_kind[line],
            }
        )
    return pd.DataFrame(rows, columns=DECISION_COLUMNS).sort_values(
        ["start", "site"], kind="stable", ignore_index=True
    )


def option_starts(d: PlanData) -> pd.DataFrame:
    """Every option and packaging expansion of ``d`` as a decisions-like table (site, action,
    start, node, modules 0), to force the same starts into another dataset (``fixed=``)."""
    line_kind = dict(zip(d.lines, d.values("line_kind"), strict=True))
    frames = [
        pd.DataFrame(
            {
                "site": d.values("option_site"),
                "action": d.values("option_kind"),
                "start": d.values("option_start"),
                "node": d.values("option_node"),
            }
        ),
        pd.DataFrame(
            {
                "site": d.values("expansion_line"),
                "action": "build",
                "start": d.values("expansion_start"),
                "node": [line_kind[str(x)] for x in d.values("expansion_line")],
            }
        ),
    ]
    out = pd.concat(frames, ignore_index=True) if d.n_expansions else frames[0]
    return out.assign(modules=0)[["site", "action", "start", "node", "modules"]]
