"""Key performance indicators of a run, as pandas tables.

Definitions (Hopp & Spearman, *Factory Physics*; SEMI E10 for equipment states):

- cycle time CT = completion − release of a lot; flow factor (X-factor) = CT / RPT, RPT the
  product's raw process time (:meth:`FabModel.raw_process_minutes`).
- throughput TH = lots (wafers) completed in the window [warm-up, end] per day.
- WIP: time-average number of lots in the fab over the window; Little's law WIP = TH × CT.
- on-time: completion ≤ due date.
- tool-group states (fractions of the window, averaged over the group's tools): productive,
  standby, engineering (0: no engineering lots are modelled), scheduled down (PM + setups, as
  SEMI E10 counts setups), unscheduled down (failures), non-scheduled (0: the fab runs 24/7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fabnet.fab.engine import DAY, RawResult

__all__ = ["FabKPIs", "kpis", "summarize"]


@dataclass
class FabKPIs:
    """Tables of one run.

    Attributes:
        lots: one row per completed lot (``product, priority, release_day, done_day, due_day,
            cycle_time_days, flow_factor, flow_factor_empty_fab, on_time, in_window``).
            ``flow_factor`` is cycle time over the raw process time (processing only);
            ``flow_factor_empty_fab`` over the cycle time of a lot alone in the fab (processing,
            load/unload, transport, expected rework: SMT2020's definition, see
            :meth:`fabnet.fab.model.FabModel.empty_fab_minutes`).
        products: per product over the window (lots and wafers per day, CT mean/p50/p90/p95,
            flow factor mean/median, on-time fraction).
        tool_groups: SEMI E10 fractions per tool group.
        queues: mean queue time per tool group.
        cqt: critical queue-time checks and violations per step.
        wip: WIP over time (``day, wip`` and one column per product).
        summary: headline numbers (see :func:`summarize`).
    """

    lots: pd.DataFrame
    products: pd.DataFrame
    tool_groups: pd.DataFrame
    queues: pd.DataFrame
    cqt: pd.DataFrame
    wip: pd.DataFrame
    summary: dict[str, Any]


def _ct_stats(ct: np.ndarray, ff: np.ndarray) -> dict[str, float]:
    if ct.size == 0:
        nan = float("nan")
        return {"mean": nan, "p50": nan, "p90": nan, "p95": nan, "ff_mean": nan, "ff_p50": nan}
    return {
        "mean": float(ct.mean()),
        "p50": float(np.percentile(ct, 50)),
        "p90": float(np.percentile(ct, 90)),
        "p95": float(np.percentile(ct, 95)),
        "ff_mean": float(ff.mean()),
        "ff_p50": float(np.median(ff)),
    }


def kpis(raw: RawResult) -> FabKPIs:
    """Turn the flat records of a run into :class:`FabKPIs`."""
    cfg = raw.config
    warm = cfg.warmup_days * DAY
    window_days = raw.window_minutes / DAY
    lots = pd.DataFrame(raw.lots)
    lots["release_day"] = lots["release_min"] / DAY
    lots["done_day"] = lots["done_min"] / DAY
    lots["due_day"] = lots["due_min"] / DAY
    lots["cycle_time_days"] = (lots["done_min"] - lots["release_min"]) / DAY
    lots["flow_factor"] = (lots["done_min"] - lots["release_min"]) / lots["rpt_min"]
    lots["flow_factor_empty_fab"] = (lots["done_min"] - lots["release_min"]) / lots["empty_fab_min"]
    lots["on_time"] = lots["done_min"] <= lots["due_min"]
    lots["in_window"] = lots["done_min"] >= warm
    lots = lots.drop(columns=["release_min", "done_min", "due_min"])
    w = lots[lots["in_window"]]
    rows = []
    for name in raw.extra["products"]:
        p = w[w["product"] == name]
        st = _ct_stats(p["cycle_time_days"].to_numpy(), p["flow_factor"].to_numpy())
        rows.append(
            {
                "product": name,
                "lots_completed": len(p),
                "lots_per_day": len(p) / window_days,
                "wafers_per_day": float(p["pieces"].sum()) / window_days,
                "rpt_days": float(p["rpt_min"].iloc[0] / DAY) if len(p) else float("nan"),
                "cycle_time_mean_days": st["mean"],
                "cycle_time_p50_days": st["p50"],
                "cycle_time_p90_days": st["p90"],
                "cycle_time_p95_days": st["p95"],
                "flow_factor_mean": st["ff_mean"],
                "flow_factor_median": st["ff_p50"],
                "flow_factor_empty_fab_median": float(p["flow_factor_empty_fab"].median())
                if len(p)
                else float("nan"),
                "on_time_fraction": float(p["on_time"].mean()) if len(p) else float("nan"),
            }
        )
    products = pd.DataFrame(rows)
    tools = pd.DataFrame(raw.tools)
    window = raw.window_minutes
    g = tools.groupby("group", sort=False)
    tg = pd.DataFrame(
        {
            "tools": g["tool"].count(),
            "productive": (g["busy_min"].sum() - g["setup_min"].sum())
            / (g["tool"].count() * window),
            "standby": g["standby_min"].sum() / (g["tool"].count() * window),
            "engineering": 0.0,
            "scheduled_down": (g["pm_min"].sum() + g["setup_min"].sum())
            / (g["tool"].count() * window),
            "unscheduled_down": g["unscheduled_down_min"].sum() / (g["tool"].count() * window),
            "non_scheduled": 0.0,
            "setup": g["setup_min"].sum() / (g["tool"].count() * window),
        }
    ).reset_index()
    queues = pd.DataFrame(raw.queues)
    queues["mean_queue_hours"] = queues["mean_queue_min"] / 60
    cqt = pd.DataFrame(raw.cqt)
    wip = pd.DataFrame({"day": np.asarray(raw.wip["time_min"]) / DAY, "wip": raw.wip["wip"]})
    if raw.wip["by_product"]:
        byp = np.asarray(raw.wip["by_product"])
        for i, name in enumerate(raw.extra["products"]):
            wip[name] = byp[:, i]
    return FabKPIs(
        lots=lots,
        products=products,
        tool_groups=tg,
        queues=queues,
        cqt=cqt,
        wip=wip,
        summary=summarize(raw, lots, products, cqt),
    )


def summarize(
    raw: RawResult, lots: pd.DataFrame, products: pd.DataFrame, cqt: pd.DataFrame
) -> dict[str, Any]:
    """Headline numbers: the keys of ``fabnet fab simulate --json``."""
    window_days = raw.window_minutes / DAY
    w = lots[lots["in_window"]]
    st = _ct_stats(w["cycle_time_days"].to_numpy(), w["flow_factor"].to_numpy())
    th_per_day = len(w) / window_days
    ct_mean = st["mean"]
    little_wip = th_per_day * ct_mean if len(w) else float("nan")
    return {
        "days": raw.config.days,
        "warmup_days": raw.config.warmup_days,
        "dispatch": raw.config.dispatch
        if isinstance(raw.config.dispatch, str)
        else getattr(raw.config.dispatch, "__name__", "custom"),
        "seed": raw.config.seed,
        "load_factor": raw.config.load_factor,
        "lots_completed": len(w),
        "lots_per_day": th_per_day,
        "wafers_out": int(w["pieces"].sum()),
        "wafers_per_day": float(w["pieces"].sum()) / window_days,
        "wafers_per_week": 7 * float(w["pieces"].sum()) / window_days,
        "cycle_time_days": {"mean": ct_mean, "p50": st["p50"], "p90": st["p90"], "p95": st["p95"]},
        "flow_factor": {"mean": st["ff_mean"], "median": st["ff_p50"]},
        "flow_factor_empty_fab": {
            "mean": float(w["flow_factor_empty_fab"].mean()) if len(w) else float("nan"),
            "median": float(w["flow_factor_empty_fab"].median()) if len(w) else float("nan"),
        },
        "on_time_fraction": float(w["on_time"].mean()) if len(w) else float("nan"),
        "wip_lots_time_average": raw.wip_time_average,
        "littles_law_wip": little_wip,
        "cqt_checks": int(cqt["checks"].sum()) if len(cqt) else 0,
        "cqt_violations": int(cqt["violations"].sum()) if len(cqt) else 0,
        "events": raw.events,
        "wall_seconds": raw.wall_seconds,
        "products": {
            r["product"]: {
                "lots_completed": int(r["lots_completed"]),
                "wafers_per_day": r["wafers_per_day"],
                "rpt_days": r["rpt_days"],
                "cycle_time_days": {
                    "mean": r["cycle_time_mean_days"],
                    "p50": r["cycle_time_p50_days"],
                    "p95": r["cycle_time_p95_days"],
                },
                "flow_factor": {"mean": r["flow_factor_mean"], "median": r["flow_factor_median"]},
                "flow_factor_empty_fab_median": r["flow_factor_empty_fab_median"],
                "on_time_fraction": r["on_time_fraction"],
            }
            for r in products.to_dict(orient="records")
        },
    }
