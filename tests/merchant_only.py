"""Cut-down test instances of the built-in scenario without its business terms.

Several test instances keep the merchant-only economics their expected results were computed
with (before issue 10 added foundry prices, outside supply, tax, grants, life cycles, ...): they
drop those terms from a copy of the built-in scenario's data with :func:`strip_business_terms`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["strip_business_terms"]


def strip_business_terms(d: dict[str, Any]) -> dict[str, Any]:
    """Remove the business terms from scenario data ``d`` (in place); returns ``d``."""
    for key in ("price_lists", "outside_foundries", "outside_packaging"):
        d.pop(key, None)
    for key in (
        "tax_loss_carry_forward_years",
        "sustaining_capex_share",
        "terminal_value",
        "grants",
    ):
        d["financing"].pop(key, None)
    d["financing"]["tax_rate"] = 0.0
    for item in d["nodes"] + d["fabs"] + d["products"]:
        for key in (
            "licence_fee_per_wafer_usd",
            "newcomer",
            "launch",
            "end_of_life",
            "price_index",
        ):
            item.pop(key, None)
    return d
