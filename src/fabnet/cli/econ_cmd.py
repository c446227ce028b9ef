"""``fabnet econ`` — dies, yields and the cost of each finished accelerator; ``--prices``: what
each customer pays under its revenue model."""

from __future__ import annotations

import math

import typer
from rich.table import Column, Table

from fabnet.cli._common import console, print_json
from fabnet.cli.scenario_cmd import JSON_OPT, SCENARIO_ARG, load_or_fail
from fabnet.econ.accelerator import product_economics
from fabnet.econ.revenue import mature_good_dies_per_wafer, price_table
from fabnet.scenario import Scenario

PRICES_OPT = typer.Option(
    False, "--prices", help="what each customer pays per unit under its revenue model, by year"
)

__all__ = ["register"]


def econ(
    scenario: str | None = SCENARIO_ARG, as_json: bool = JSON_OPT, prices: bool = PRICES_OPT
) -> None:
    """Dies, yields and the cost of each finished accelerator, product by product.

    One row per product and node: dies per wafer, yield at first output and mature, cost per good
    die, cost per finished accelerator (die + HBM + packaging + test) and gross margin.
    With ``--prices``: one row per customer and product, its revenue model (merchant, foundry,
    cost_plus), the price per good accelerator in January of each year, and the revenue per
    wafer start it implies (price × good dies per wafer at mature yield / dies per package).
    """
    s = load_or_fail(scenario, as_json)
    if prices:
        _prices(s, as_json)
        return
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


def _prices(s: Scenario, as_json: bool) -> None:
    years = [m for m in s.months if m.endswith("-01")][::2]
    table = price_table(s, years)
    per_wafer = {p.name: mature_good_dies_per_wafer(s, p.name) / p.compute_dies for p in s.products}
    table["revenue_per_wafer_start"] = table["price"] * table["product"].map(per_wafer)
    if as_json:
        print_json(table.to_dict(orient="records"))
        return
    wide = table.pivot_table(
        index=["customer", "product", "model"], columns="month", values="price", sort=False
    )
    rev = table[table["month"] == years[min(1, len(years) - 1)]].set_index(
        ["customer", "product", "model"]
    )["revenue_per_wafer_start"]
    out = Table(
        Column("customer", no_wrap=True), Column("product", no_wrap=True), "model",
        *[f"{m[:4]}\n$/unit" for m in years], f"{years[min(1, len(years) - 1)][:4]}\n$/wafer start",
        title=f"Prices of {s.name} by revenue model",
    )  # fmt: skip
    for key, row in wide.iterrows():
        out.add_row(*key, *[_money(row[m]) for m in years], _money(rev.get(key, float("nan"))))
    console.print(out)
    console.print(
        "foundry: wafer price / good dies at mature yield × dies + CoWoS price / packages per "
        "interposer wafer + HBM × (1 + mark-up) + test; cost_plus: the same on the agreed wafer "
        "cost, HBM and test at cost, × (1 + margin); merchant: the stated price × price_index.",
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
