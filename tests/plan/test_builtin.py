"""The built-in scenario end to end: the answer a semiconductor planner would check."""

from __future__ import annotations

import pytest

from fabnet.plan import solve_plan
from fabnet.scenario import load_scenario


@pytest.mark.slow
def test_builtin_plan_is_sensible():
    r = solve_plan(load_scenario(None), time_limit=120)
    s = r.summary
    assert s["status"] in ("optimal", "time_limit")
    assert s["mip_gap"] is not None and s["mip_gap"] <= 0.01 + 1e-9
    dec = r.decisions
    # leading-edge capacity is built where it is cheapest and fastest (Tainan, 30 months)
    fabs = dec[dec["node"].isin(["N4", "N3", "N7"])]
    assert not fabs.empty
    assert "Taiwan (Tainan)" in set(fabs["site"])
    # the bridge: bought-in N4 wafers (agreement from 2024-03, 4 months to wafers out) ship
    # accelerators in 2024-26, long before the first own module's output
    assert s["first_good_accelerator"] >= "2024-07"
    assert all(s["delivered_by_year"][y] > 0 for y in ("2024", "2025", "2026"))
    assert s["outside_wafers_total"] > 0
    # nothing is delivered outside its product's life cycle
    sc = load_scenario(None)
    dl = r.tables["deliveries"]
    shipped = dl[dl["delivered"] > 1e-6]
    pairs = zip(shipped["product"], shipped["month"], strict=True)
    assert all(sc.product(p).is_active(m) for p, m in pairs)
    # paid as a foundry, not as the chip's designer: revenue per accelerator ~ foundry work
    assert 3_000 < s["revenue_total"] / s["delivered_total"] < 10_000
    assert s["irr"] is not None
    # the offtake partner with priority 1 and a contract is served best
    fills = s["fill_rate_by_customer"]
    assert fills["OpenAI"] == max(fills.values())
    # packaging (CoWoS) or HBM limits the lower-priority customers, not money
    limits = " ".join(r.tables["customer_limits"]["limited_by"])
    assert "CoWoS packaging" in limits or "supply" in limits
    # capex stays within partners' money plus the debt limit
    assert s["capex_total"] <= 9e9 + 10e9
