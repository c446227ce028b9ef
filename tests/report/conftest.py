"""A small synthetic plan that follows the planner's table contract (see fabnet.report.plan)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fabnet.report.plan import PLAN_TABLES


def synthetic_plan() -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    """Summary and tables of a made-up plan: 2024-01 … 2029-12, 2 bought fabs, 2 builds."""
    month_index = pd.period_range("2024-01", "2029-12", freq="M")
    month_text = [str(p) for p in month_index]
    n = len(month_text)
    decisions = pd.DataFrame(
        {
            "site": ["Kumamoto-2", "Arizona-B", "Dresden", "Ohio-1"],
            "action": ["buy", "build", "buy", "build"],
            "start": ["2024-03", "2024-06", "2024-09", "2025-01"],
            "first_output": ["2024-12", "2026-12", "2025-06", "2027-09"],
            "modules": [1, 2, 1, 3],
            "capex": [1.8e9, 3.1e9, 1.2e9, 2.3e9],
            "node": ["N5", "N3", "N7", "N3"],
        }
    )
    capacity_rows = []
    for site, first, full in (
        ("Kumamoto-2", "2024-12", 20000),
        ("Arizona-B", "2026-12", 30000),
        ("Dresden", "2025-06", 15000),
        ("Ohio-1", "2027-09", 40000),
    ):
        start = month_text.index(first)
        for i, month in enumerate(month_text):
            ramp = 0.0 if i < start else min(1.0, (i - start + 1) / 18)
            cap = full * ramp
            capacity_rows.append((site, month, cap, cap * 0.85))
    capacity = pd.DataFrame(capacity_rows, columns=["site", "month", "capacity_wspm", "used_wspm"])
    used = capacity.groupby("month", sort=False)["used_wspm"].sum().reindex(month_text).to_numpy()
    wafer_starts = pd.DataFrame(
        {"site": "Kumamoto-2", "product": "acc-a", "month": month_text, "wafers": used}
    )
    good_dies = used * 0.6 * 30  # 30 candidate dies, 60 % yield
    packaging = np.linspace(20_000, 400_000, n)
    hbm = np.linspace(30_000, 350_000, n)
    accelerators = np.minimum.reduce([good_dies, packaging, hbm])
    supply = pd.DataFrame(
        {
            "product": "acc-a",
            "month": month_text,
            "good_dies": good_dies,
            "accelerators": accelerators,
            "packaging_limit": packaging,
            "hbm_limit": hbm,
        }
    )
    shares = {"OpenAI": 0.45, "G42": 0.2, "SoftBank": 0.2, "Hyperscaler X": 0.15}
    demand_total = np.linspace(150_000, 450_000, n)
    rows = []
    for customer, share in shares.items():
        for i, month in enumerate(month_text):
            demand = demand_total[i] * share
            delivered = min(
                demand, accelerators[i] * share * (1.1 if customer == "OpenAI" else 0.95)
            )
            rows.append((customer, "acc-a", month, demand, delivered, demand - delivered))
    deliveries = pd.DataFrame(
        rows, columns=["customer", "product", "month", "demand", "delivered", "shortage"]
    )
    capex = np.zeros(n)
    for row in decisions.itertuples():
        s, e = month_text.index(row.start), month_text.index(row.first_output)
        capex[s : e + 1] += row.capex / (e - s + 1)
    revenue = deliveries.groupby("month", sort=False)["delivered"].sum().to_numpy() * 9_000
    opex = used * 4_000
    investor_in = np.where(np.arange(n) % 6 == 0, 9e9 / 12, 0.0)
    investor_in[72:] = 0.0
    debt_draw = np.where((np.arange(n) > 20) & (np.arange(n) < 30), 2e8, 0.0)
    debt_repay = np.where(np.arange(n) >= 50, 1e8, 0.0)
    interest = np.full(n, 5e6)
    flow = revenue - opex - capex + investor_in + debt_draw - debt_repay - interest
    cash_flow = pd.DataFrame(
        {
            "month": month_text,
            "capex": capex,
            "opex": opex,
            "revenue": revenue,
            "investor_in": investor_in,
            "debt_draw": debt_draw,
            "debt_repay": debt_repay,
            "interest": interest,
            "cash_balance": np.cumsum(flow),
            "debt_balance": np.clip(np.cumsum(debt_draw - debt_repay), 0, None),
        }
    )
    shadow_prices = pd.DataFrame(
        {
            "constraint": ["wafer_capacity", "cowos_slots", "hbm_stacks"],
            "site_or_resource": ["Kumamoto-2", "CoWoS (TSMC)", "HBM3E"],
            "month": ["2026-06", "2025-03", "2025-09"],
            "value": [41_250.5, 18_900.0, 2_400.0],
            "unit": ["USD per wafer start", "USD per package", "USD per stack"],
        }
    )
    customer_limits = pd.DataFrame(
        {
            "customer": list(shares),
            "product": "acc-a",
            "fill_rate": [0.93, 0.71, 0.71, 0.64],
            "limited_by": [
                "priority 1: CoWoS slots",
                "HBM supply",
                "HBM supply",
                "lowest priority: wafer capacity",
            ],
        }
    )
    sums = deliveries.assign(year=deliveries["month"].str[:4]).groupby("year")["delivered"].sum()
    summary: dict[str, object] = {
        "status": "optimal",
        "objective_value": 3.2e9,
        "npv": 4.15e9,
        "capex_total": float(decisions["capex"].sum()),
        "funding_gap": 0.0,
        "decisions": decisions.to_dict(orient="records"),
        "delivered_by_year": {str(k): float(v) for k, v in sums.items()},
        "shortage_by_customer": deliveries.groupby("customer")["shortage"].sum().to_dict(),
        "solve_seconds": 12.4,
        "scenario": "ai-fab-network-2024",
        "policy": "priority",
        "objective": "npv_minus_shortage_penalty",
    }
    for col, values in {
        "sustaining_capex": 0.02 * capex, "outside_wafer_cost": 0.1 * opex, "grants": 0.0,
        "prepayments_in": 0.0, "prepayments_recovered": 0.0, "depreciation": 0.1 * capex,
        "profit_before_tax": revenue - opex, "tax": 0.2 * np.clip(revenue - opex, 0, None),
        "tax_shield": 0.02 * capex, "loss_pool": 0.0, "free_cash_flow": revenue - opex - capex,
        "terminal_value": 0.0,
    }.items():  # fmt: skip
        cash_flow[col] = values
    cash_flow = cash_flow[list(PLAN_TABLES["cash_flow"])]
    quarterly = (
        deliveries.assign(quarter=deliveries["month"].str[:4] + "-Q1")
        .groupby(["quarter", "product"], as_index=False)[["demand", "delivered", "shortage"]]
        .sum()
        .assign(own_wafers=1000.0, outside_wafers=0.0)
    )
    tables = {
        "decisions": decisions,
        "capacity": capacity,
        "wafer_starts": wafer_starts,
        "supply": supply,
        "deliveries": deliveries,
        "cash_flow": cash_flow,
        "quarterly": quarterly,
        "shadow_prices": shadow_prices,
        "customer_limits": customer_limits,
    }
    return summary, tables


@pytest.fixture
def plan_result() -> tuple[dict[str, object], dict[str, pd.DataFrame]]:
    return synthetic_plan()
