"""Helpers shared by the web tests (imported by conftest.py and test modules)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fabnet.scenario import builtin_scenario_path
from merchant_only import strip_business_terms

_BUILTIN = yaml.safe_load(builtin_scenario_path().read_text())


def tiny_scenario() -> dict[str, Any]:
    """A cut-down built-in scenario that plans in a few seconds: two nodes used, one fab to buy,
    one greenfield site, one product, two customers, one investor, three years."""
    d = copy.deepcopy(_BUILTIN)
    d["name"] = "tiny"
    d["policy"].update(horizon_months=36, monthly_detail_months=12, time_limit_seconds=30)
    d["nodes"] = [n for n in d["nodes"] if n["name"] in ("N4", "N7", "N45")]
    # without the built-in's business terms: this instance keeps the merchant-only economics its
    # expected results were computed with
    strip_business_terms(d)
    d["fabs"] = [f for f in d["fabs"] if f["name"] in ("Utah 300mm fab", "Taiwan (Tainan)")]
    d["fabs"][1]["nodes"] = d["fabs"][1]["nodes"][:1]
    d["fabs"][1]["lead_time_months"] = 12
    d["products"] = [p for p in d["products"] if p["name"] == "H100-class"]
    d["packaging"] = d["packaging"][:1]
    d["hbm"] = d["hbm"][:1]
    d["customers"] = [
        {
            "name": "OpenAI",
            "priority": 1,
            "demand": {"H100-class": 20000},
            "price_usd": {"H100-class": 9000},
        },
        {
            "name": "other",
            "priority": 2,
            "demand": {"H100-class": 10000},
            "price_usd": {"H100-class": 10000},
        },
    ]
    d["investors"] = [
        {
            "name": "SoftBank",
            "commitment_usd": 6.0e9,
            "terms": "equity",
            "pay_in": [
                {"month": "2024-01", "amount_usd": 3.0e9},
                {"month": "2025-01", "amount_usd": 3.0e9},
            ],
        }
    ]
    d["uncertainties"] = []
    return d


class FakeLauncher:
    """Records each start and makes a finished run in the store instead of solving."""

    def __init__(self, home: Path):
        from fabnet.store import RunStore

        self.store = RunStore(home)
        self.calls: list[dict[str, Any]] = []

    def start(
        self,
        kind: str,
        scenario_text: str,
        scenario_name: str,
        fmt: str,
        options: Mapping[str, Any],
    ) -> str:
        self.calls.append(
            {
                "kind": kind,
                "text": scenario_text,
                "name": scenario_name,
                "fmt": fmt,
                "options": dict(options),
            }
        )
        with self.store.start_run(kind, scenario_name, scenario_text, dict(options)) as run:
            run.set_summary({"npv": 1.0e9, "capex_total": 2.0e9})
        return run.id

    def running(self) -> list[str]:
        return []

    def shutdown(self) -> None:
        pass


def form_token(client: Any, url: str = "/") -> str:
    """The form token (CSRF) of the session: a page is fetched first, as a browser would."""
    import re

    page = client.get(url)
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert match, f"no form token on {url}"
    return match.group(1)
