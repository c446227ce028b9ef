"""Report sections of the risk-aware and staged robust plans (issue 13): the efficient frontier
(mean NPV against CVaR, a point per weight), the staged plan's decisions per branch with EVPI
and VSS, and progressive hedging's iterations. Money in B$ as in the rest of the risk report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from fabnet.report.builder import Section

__all__ = ["decide_sections"]

BILLION = 1e9


def _frontier(table: pd.DataFrame) -> Section:
    import plotly.graph_objects as go

    t = table.sort_values("weight")
    has_own = "own_cvar" in t and "mean_objective" in t
    y = t["mean_objective"] if "mean_objective" in t else t["mean_npv"]
    fig = go.Figure(
        go.Scatter(
            x=t["cvar"] / BILLION, y=y / BILLION, mode="lines+markers+text",
            text=[f"λ={w:g}" for w in t["weight"]], textposition="top center",
            name="best design found for the weight",
        )
    )  # fmt: skip
    if has_own:
        fig.add_trace(
            go.Scatter(
                x=t["own_cvar"] / BILLION, y=t["own_mean_objective"] / BILLION, mode="markers",
                marker={"symbol": "x"}, name="the weight's own solve",
            )
        )  # fmt: skip
    measure = str(t["measure"].iloc[0]) if len(t) else "npv"
    what = "NPV loss (−NPV)" if measure == "npv" else "funding need (peak debt)"
    alpha = float(t["alpha"].iloc[0]) if len(t) else 0.9
    fig.update_layout(
        title="Efficient frontier: mean objective against CVaR (in sample)",
        xaxis_title=f"CVaR{alpha:g} of {what}, B$",
        yaxis_title="mean objective (NPV − shortage penalty), B$",
    )  # fmt: skip
    cols = {"weight": "weight λ", "mean_objective_busd": "mean objective (B$)",
            "mean_npv_busd": "mean NPV (B$)", "cvar_busd": "CVaR (B$)",
            "capex_busd": "capex (B$)", "shortfall_share": "futures drawing debt (%)",
            "design_from": "design of λ", "dominated": "dominated", "status": "status",
            "run_id": "run"}  # fmt: skip
    shown = t.assign(
        mean_objective_busd=(t.get("mean_objective", t["mean_npv"]) / BILLION).round(2),
        mean_npv_busd=(t["mean_npv"] / BILLION).round(2),
        cvar_busd=(t["cvar"] / BILLION).round(2),
        capex_busd=(t["capex"] / BILLION).round(2),
        shortfall_share=(100 * t["shortfall_share"]).round(0),
    )
    shown = shown[[c for c in cols if c in shown]].rename(columns=cols)
    text = (
        "The sample-average plan solved once per weight λ of max mean objective − λ·CVaR on "
        "the same futures (each solve a stored run, started from the best design found so "
        "far); each weight then takes the best design any solve found for it, so mean "
        "objective and CVaR fall as λ rises (the crosses are the solves' own points, which a "
        "MIP gap can leave out of order). The NPV here is the design model's (operations "
        "optimised with the shortage penalty, before the scenario's allocation policy), "
        "higher than the plan report's NPV after allocation."
    )
    return Section("Efficient frontier", text, [fig], [("points", shown)])


def _money(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        if c in out:
            out[c] = (out[c] / BILLION).round(3)
    return out


def _interval(s: dict[str, Any], name: str) -> str:
    """``x.xx B$ (in [lo, hi])`` of a staged value, or just the point when its interval is one."""
    point = s.get(name)
    if point is None:
        return "not solved"
    lo, hi = (s.get("bounds") or {}).get(name, (point, point))
    if abs(hi - lo) < 0.005 * BILLION:
        return f"{point / BILLION:.2f} B$"
    return f"{point / BILLION:.2f} B$ (in [{lo / BILLION:.2f}, {hi / BILLION:.2f}])"


def _staged_text(s: dict[str, Any]) -> str:
    """The staged plan's values with the intervals the solves' dual bounds leave."""
    statuses = ", ".join(f"{k} {v}" for k, v in s.get("statuses", {}).items())
    return (
        f"Stage month {s['stage_month']}: options starting before it are decided now for every "
        f"future, later ones per branch. Here-and-now value (mean objective: NPV − shortage "
        f"penalty) {_interval(s, 'rp')}; wait-and-see {_interval(s, 'ws')}; the deterministic "
        f"plan's early decisions held (EEV) {_interval(s, 'eev')}; all decided now "
        f"{_interval(s, 'two_stage')}. EVPI {_interval(s, 'evpi')}; VSS {_interval(s, 'vss')}. "
        "Intervals come from each solve's incumbent and HiGHS dual bound and the orderings "
        "WS ≥ RP ≥ EEV that hold at the optimum; a point is only as sure as its interval "
        f"(MIP gap {100 * (s.get('mip_gap') or 0):g} %). Solver status per solve: {statuses}."
    )


def decide_sections(tables: dict[str, Any], summary: dict[str, Any] | None = None) -> list[Section]:
    """The sections for the tables present (none when none of them is)."""
    out = []
    if "frontier" in tables:
        out.append(_frontier(tables["frontier"]))
    robust = (summary or {}).get("robust") or {}
    if "staged_decisions" in tables:
        s = robust.get("staged", {})
        text = ""
        if s:
            text = _staged_text(s)
        dec = _money(tables["staged_decisions"], ["capex"]).rename(columns={"capex": "capex (B$)"})
        out.append(Section("Staged plan", text, [], [("decisions per branch", dec)]))
    if "ph_history" in tables:
        cand = _money(tables["ph_candidates"], ["capex", "mean_objective"]).rename(
            columns={"capex": "capex (B$)", "mean_objective": "mean objective (B$)"}
        )
        out.append(
            Section(
                "Progressive hedging",
                "Futures solved one by one through the executor; candidates held in every future.",
                [],
                [("iterations", tables["ph_history"].round(1)), ("candidates", cand)],
            )
        )
    return out
