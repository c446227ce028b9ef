"""A tiny scenario with a hand-computable answer, and a stored-plan folder for CLI tests."""

from __future__ import annotations

import copy

import pytest
import yaml

from fabnet.scenario import builtin_scenario_path, scenario_from_dict
from merchant_only import strip_business_terms

_BUILTIN = yaml.safe_load(builtin_scenario_path().read_text())


def tiny_dict() -> dict:
    """One N4 module at one site (step ramp, no yield learning), one product, one customer whose
    demand always exceeds output, packaging and HBM in plenty; 48 monthly buckets."""
    d = copy.deepcopy(_BUILTIN)
    d["policy"].update(horizon_months=48, monthly_detail_months=None, time_limit_seconds=30)
    d["nodes"] = [n for n in d["nodes"] if n["name"] == "N4"]
    # without the built-in's business terms: this instance keeps the merchant-only economics its
    # expected results were computed with
    strip_business_terms(d)
    d["nodes"][0]["d0_start_per_cm2"] = d["nodes"][0]["d0_mature_per_cm2"]
    taiwan = next(f for f in d["fabs"] if f["name"] == "Taiwan (Tainan)")
    taiwan.update(
        nodes=[{"node": "N4", "capex_per_kwspm_usd": 0.30e9}],
        lead_time_months=12,
        ramp_curve=[1.0],
        max_modules=1,
        earliest_start="2024-01",
    )
    d["fabs"] = [taiwan]
    d["products"] = [p for p in d["products"] if p["name"] == "H100-class"]
    d["packaging"] = [
        {"name": "CoWoS", "kind": "CoWoS", "owner": "outsourced", "capacity_wpm": 100000,
         "cost_per_wafer_usd": 21750, "assembly_yield": 0.97}
    ]  # fmt: skip
    d["hbm"] = [{"name": "HBM3", "hbm_type": "HBM3", "stacks_per_month": 1.0e8, "price_usd": 270}]
    d["customers"] = [
        {"name": "OpenAI", "priority": 1, "demand": {"H100-class": 1.0e7},
         "price_usd": {"H100-class": 20000}}
    ]  # fmt: skip
    d["investors"] = [
        {"name": "G42", "commitment_usd": 4.0e9, "terms": "equity",
         "pay_in": [{"month": "2024-01", "amount_usd": 4.0e9}]}
    ]  # fmt: skip
    d["uncertainties"] = [
        {"name": "delay", "target": "fabs.*.lead_time_months", "effect": "add",
         "distribution": {"dist": "uniform", "low": 0, "high": 12}}
    ]  # fmt: skip
    return d


@pytest.fixture
def tiny():
    return scenario_from_dict(tiny_dict())


@pytest.fixture(scope="session")
def tiny_plan():
    """The tiny scenario's plan, solved once (a few seconds)."""
    from fabnet.plan import solve_plan

    sc = scenario_from_dict(tiny_dict())
    return sc, solve_plan(sc, explain=False)


@pytest.fixture
def tiny_data() -> dict:
    """The tiny scenario's data, to mutate in a test."""
    return tiny_dict()
