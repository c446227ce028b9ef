"""Does the venture end the shortage? The industry to the venture plan's horizon, with and without
the venture's network.

1. The industry scenario is planned over its whole horizon (to 2033): world supply and demand.
2. The venture's own plan is solved (its decisions, its deliveries).
3. What the venture takes from the industry's outside supply — booked CoWoS slots at the leading
   foundry, CoWoS-class capacity at the assembly houses, bought-in wafers — is taken out of the
   industry's capacity, and the industry is planned again.
4. World supply with the venture = that industry supply + the venture's deliveries.

Only accelerators count (products with ``accelerator: false``, e.g. the FPGAs and switch ASICs
that share CoWoS, take capacity but are left out of supply and demand).
A quarter is *short* when supply falls below demand by more than ``tolerance`` of demand; the
shortage *closes* in the first quarter from which no later quarter is short.
HBM the venture buys is not taken out of the industry's HBM (its suppliers are its own entries).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fabnet.backtest.hindcast import quarter_of
from fabnet.scenario import Scenario
from fabnet.scenario._base import month_index, series_values

__all__ = ["ShortageResult", "closing_quarter", "world_with_venture"]


@dataclass
class ShortageResult:
    """World supply against demand per calendar quarter, with and without the venture.

    ``quarters`` columns: quarter, demand, supply_without, venture, supply_with,
    shortage_without, shortage_with, venture_share (of world supply with the venture).
    """

    industry: str
    venture: str
    quarters: pd.DataFrame
    closes_without: str | None
    closes_with: str | None
    seconds: float

    def to_json(self) -> dict[str, object]:
        return {
            "industry": self.industry,
            "venture": self.venture,
            "closes_without": self.closes_without,
            "closes_with": self.closes_with,
            "quarters": self.quarters.round(
                {c: 4 if c == "venture_share" else 0 for c in self.quarters.columns[1:]}
            ).to_dict(orient="records"),
            "seconds": round(self.seconds, 2),
        }


def closing_quarter(quarters: pd.DataFrame, shortage: str, tolerance: float = 0.01) -> str | None:
    """First quarter from which ``shortage`` stays within ``tolerance`` × demand (None: never)."""
    short = (quarters[shortage] > tolerance * quarters["demand"]).to_numpy()
    if not short.any():
        return str(quarters["quarter"].iloc[0]) if len(quarters) else None
    last = int(np.flatnonzero(short)[-1])
    return str(quarters["quarter"].iloc[last + 1]) if last + 1 < len(quarters) else None


def _quarterly(
    deliveries: pd.DataFrame, column: str, products: set[str] | None = None
) -> pd.Series:
    """``column`` summed per calendar quarter (only ``products``, if given)."""
    if products is not None:
        deliveries = deliveries[deliveries["product"].isin(products)]
    q = deliveries.assign(quarter=deliveries["month"].map(quarter_of))
    return q.groupby("quarter")[column].sum()


def _monthly(series: object, months: list[str]) -> np.ndarray:
    return np.asarray(series_values(series, months), dtype=float)  # type: ignore[arg-type]


def _per_month(table: pd.DataFrame, column: str, months: list[str], start: str) -> np.ndarray:
    """A bucketed table's ``column`` spread evenly over each bucket's months (industry months)."""
    out = np.zeros(len(months))
    labels = sorted(table["month"].unique())
    sums = table.groupby("month")[column].sum()
    for k, lab in enumerate(labels):
        nxt = labels[k + 1] if k + 1 < len(labels) else None
        n = 1 if nxt is None else max(month_index(nxt, lab), 1)
        for i in range(n):
            m = month_index(lab, start) + i
            if 0 <= m < len(months):
                out[m] += sums[lab] / n
    return out


def _without_draw(
    ind: Scenario, ven_tables: dict[str, pd.DataFrame], venture: Scenario
) -> Scenario:
    """The industry with the venture's outside packaging and wafers taken out of its capacity."""
    months, start = ind.months, ind.policy.start
    pk = ven_tables["packaging"]
    booked = {ln.name for ln in venture.packaging if ln.owner == "outsourced"}
    osat = {op.name for op in venture.outside_packaging}
    draw_tsmc = _per_month(pk[pk["line"].isin(booked)], "interposer_wafers", months, start)
    draw_osat = _per_month(pk[pk["line"].isin(osat)], "interposer_wafers", months, start)
    ws = ven_tables.get("wafer_starts")
    packaging = []
    for ln in ind.packaging:
        if ln.owner == "outsourced" and ln.kind == "CoWoS-S":
            cap = np.maximum(_monthly(ln.capacity_wpm, months) - draw_tsmc, 0.0)
            ln = ln.model_copy(
                update={"capacity_wpm": dict(zip(months, cap.tolist(), strict=True))}
            )
        packaging.append(ln)
    outside = []
    n_osat = max(len(ind.outside_packaging), 1)
    for op in ind.outside_packaging:
        cap = np.maximum(_monthly(op.capacity_wpm, months) - draw_osat / n_osat, 0.0)
        outside.append(
            op.model_copy(update={"capacity_wpm": dict(zip(months, cap.tolist(), strict=True))})
        )
    foundries = list(ind.outside_foundries)
    del ws  # bought-in wafers are not the industry's limit (N5-family share is ample)
    return ind.model_copy(
        update={
            "packaging": packaging,
            "outside_packaging": outside,
            "outside_foundries": foundries,
        }
    )


def world_with_venture(
    industry: Scenario, venture: Scenario, tolerance: float = 0.01
) -> ShortageResult:
    """World accelerator supply and demand per quarter with and without the venture's network
    (see the module docstring), from the venture's first quarter to the end of both horizons."""
    from fabnet.plan import solve_plan

    t0 = time.perf_counter()
    base = solve_plan(industry, explain=False)
    ven = solve_plan(venture, explain=False)
    drawn = solve_plan(_without_draw(industry, ven.tables, venture), explain=False)
    acc = {p.name for p in industry.products if p.accelerator}
    acc |= {p.name for p in venture.products if p.accelerator}
    demand = _quarterly(base.tables["deliveries"], "demand", acc)
    supply0 = _quarterly(base.tables["deliveries"], "delivered", acc)
    supply1 = _quarterly(drawn.tables["deliveries"], "delivered", acc)
    vq = _quarterly(ven.tables["deliveries"], "delivered", acc)
    first = quarter_of(venture.policy.start)
    last = min(quarter_of(industry.end_month), quarter_of(venture.end_month))
    idx = [q for q in demand.index if first <= q <= last]
    df = pd.DataFrame({"quarter": idx})
    df["demand"] = demand.reindex(idx).fillna(0.0).to_numpy()
    df["supply_without"] = supply0.reindex(idx).fillna(0.0).to_numpy()
    df["venture"] = vq.reindex(idx).fillna(0.0).to_numpy()
    df["supply_with"] = supply1.reindex(idx).fillna(0.0).to_numpy() + df["venture"]
    df["shortage_without"] = (df["demand"] - df["supply_without"]).clip(lower=0.0)
    df["shortage_with"] = (df["demand"] - df["supply_with"]).clip(lower=0.0)
    df["venture_share"] = np.where(df["supply_with"] > 0, df["venture"] / df["supply_with"], 0.0)
    return ShortageResult(
        industry.name,
        venture.name,
        df,
        closing_quarter(df, "shortage_without", tolerance),
        closing_quarter(df, "shortage_with", tolerance),
        time.perf_counter() - t0,
    )
