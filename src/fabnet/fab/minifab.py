"""A built-in mini-fab so that ``fabnet fab simulate`` runs without data.

Shaped after the Intel five-machine "mini-fab" (Kempf 1994; the ASU/Intel MiniFab benchmark):
three work centres — diffusion (2 batch furnaces, batches of up to 3 lots), implant (2 tools)
and lithography (1 stepper) — and a re-entrant six-step route visiting each centre twice. The
processing times below are round illustrative values of that benchmark's order of magnitude,
not a copy of the original tables; two products share the route with different litho times.
"""

from __future__ import annotations

from typing import Any

from fabnet.fab.inline import build_fab
from fabnet.fab.model import FabModel

__all__ = ["MINIFAB_SPEC", "minifab"]

MINIFAB_SPEC: dict[str, Any] = {
    "name": "minifab",
    "tool_groups": [
        {"name": "diffusion", "count": 2},
        {"name": "implant", "count": 2},
        {"name": "litho", "count": 1},
    ],
    "routes": [
        {
            "name": f"route_{p}",
            "steps": [
                {
                    "group": "diffusion",
                    "minutes": 225,
                    "half_width": 20,
                    "batch_min": 2,
                    "batch_max": 3,
                },
                {"group": "implant", "minutes": 30, "half_width": 5},
                {"group": "litho", "minutes": lt1, "half_width": 5},
                {"group": "implant", "minutes": 50, "half_width": 5},
                {
                    "group": "diffusion",
                    "minutes": 255,
                    "half_width": 20,
                    "batch_min": 2,
                    "batch_max": 3,
                },
                {"group": "litho", "minutes": lt2, "half_width": 2},
            ],
        }
        for p, lt1, lt2 in (("a", 55, 10), ("b", 50, 15))
    ],
    "products": [
        {"name": "product_a", "route": "route_a", "lots_per_day": 8, "due_days": 3},
        {"name": "product_b", "route": "route_b", "lots_per_day": 6, "due_days": 3},
        {"name": "hot_a", "route": "route_a", "lots_per_day": 0.5, "due_days": 1.5, "priority": 20},
    ],
}


def minifab() -> FabModel:
    """The built-in mini-fab (diffusion about 80 % busy at full batches, litho about 65 %)."""
    return build_fab(MINIFAB_SPEC, source="built-in minifab")
