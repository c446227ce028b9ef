"""``fabnet econ`` — dies, yields and the cost of each finished accelerator."""

from __future__ import annotations

import math

import typer
from rich.table import Column, Table

from fabnet.cli._common import console, print_json
from fabnet.cli.scenario_cmd import JSON_OPT, SCENARIO_ARG, load_or_fail
from fabnet.econ.accelerator import product_economics

__all__ = ["register"]


def econ(scenario: str | None = SCENARIO_ARG, as_json: bool = JSON_OPT) -> None:
    """Dies, yields and the cost of each finished accelerator, product by product.

    One row per product and node: dies per wafer, yield at first output and mature, cost per good
    die, cost per finished accelerator (die + HBM + packaging + test) and gross margin.
    """
    s = load_or_fail(scenario, as_json)
    table = product_economics(s)
    if as_json:
        print_json(table.to_dict(orient="records"))
        return
    out = Table(
        Column("product", no_wrap=True), "node", "dies/\nwafer", "yield\nstart→mature", "wafer\n$", "good die\n$",
        "HBM + pkg\n+ test $", "accel.\n$", "w/ foundry\nwafer $", "margin\nat list",
        title=f"Economics of {s.name}",
    )  # fmt: skip
    for r in table.itertuples(index=False):
        out.add_row(
            r.product, r.node, f"{r.dies_per_wafer}",
            f"{r.die_yield_start:.0%} → {r.die_yield:.0%}", _money(r.wafer_cost),
            _money(r.cost_per_good_die), _money(r.hbm_cost + r.packaging_cost + r.test_cost),
            _money(r.cost_per_accelerator), _money(r.cost_per_accelerator_foundry),
            f"{r.gross_margin:.0%}",
        )  # fmt: skip
    console.print(out)
    console.print(
        "accel. $: finished accelerator at mature yield. wafer $: depreciation of the cheapest new "
        "module (equipment and building on their lives) plus operating cost at the policy's "
        "utilisation; 'w/ foundry wafer' uses the node's foundry wafer price instead.",
        style="dim",
    )


def _money(value: float) -> str:
    return (
        "-"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:,.0f}"
    )


def register(root: typer.Typer) -> None:
    """Attach ``fabnet econ``."""
    root.command("econ")(econ)
