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
    # leading-edge capacity is built where it is cheapest and fastest (Tainan, N4, 30 months)
    fabs = dec[dec["node"].isin(["N4", "N3", "N7"])]
    assert not fabs.empty
    assert "Taiwan (Tainan)" in set(fabs["site"])
    # the first good accelerator cannot precede the fastest build + cycle time (2024-04 + 30 + 3)
    assert s["first_good_accelerator"] >= "2027-01"
    # the offtake partner with priority 1 and a contract is served best
    fills = s["fill_rate_by_customer"]
    assert fills["OpenAI"] == max(fills.values())
    # packaging (CoWoS) or HBM limits the lower-priority customers, not money
    limits = " ".join(r.tables["customer_limits"]["limited_by"])
    assert "CoWoS packaging" in limits or "supply" in limits
    # capex stays within partners' money plus the debt limit
    assert s["capex_total"] <= 9e9 + 10e9
