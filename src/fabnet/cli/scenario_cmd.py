"""``fabnet scenario show|validate|export`` — look at, check and convert scenario files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fabnet.cli._common import console, fail, print_json
from fabnet.errors import FabnetError
from fabnet.scenario import (
    DEFAULT_SCENARIO,
    ExistingFab,
    Scenario,
    dump_scenario,
    load_scenario,
    save_scenario,
)

__all__ = ["SCENARIO_ARG", "load_or_fail", "register"]

SCENARIO_ARG = typer.Argument(
    None,
    help=f"Scenario file (.yaml/.toml/.json) or built-in name; default: {DEFAULT_SCENARIO}.",
    show_default=False,
)
JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")

app = typer.Typer(help="Show, validate and export scenarios.", no_args_is_help=True)


def load_or_fail(source: str | None, as_json: bool) -> Scenario:
    """Load a scenario, or print its problems and exit 2."""
    try:
        return load_scenario(source)
    except FabnetError as error:
        fail(error, as_json)
        raise  # unreachable: fail() exits


def _summary(s: Scenario) -> dict[str, object]:
    return {
        "name": s.name,
        "description": s.description,
        "start": s.policy.start,
        "end": s.end_month,
        "bucket": s.policy.bucket,
        "objective": s.policy.objective,
        "allocation": s.policy.allocation,
        "nodes": [n.name for n in s.nodes],
        "fabs": [
            {
                "name": f.name,
                "kind": f.kind,
                "region": f.region,
                "node": f.node if isinstance(f, ExistingFab) else [n.node for n in f.nodes],
            }
            for f in s.fabs
        ],
        "products": [p.name for p in s.products],
        "customers": [{"name": c.name, "priority": c.priority} for c in s.customers],
        "investors": [
            {"name": v.name, "commitment_usd": v.commitment_usd, "terms": v.terms}
            for v in s.investors
        ],
        "commitments_usd": sum(v.commitment_usd for v in s.investors),
        "uncertainties": [u.name for u in s.uncertainties],
    }


@app.command("show")
def show(scenario: str | None = SCENARIO_ARG, as_json: bool = JSON_OPT) -> None:
    """Summarise a scenario: horizon, fabs, products, customers, investors."""
    s = load_or_fail(scenario, as_json)
    info = _summary(s)
    if as_json:
        print_json(info)
        return
    console.print(f"[bold]{s.name}[/]  {s.policy.start} .. {s.end_month} ({s.policy.bucket}ly)")
    if s.description:
        console.print(s.description, highlight=False)
    fabs = Table("site", "kind", "region", "node(s)", "capacity / module", title="Fab sites")
    for f in s.fabs:
        if isinstance(f, ExistingFab):
            fabs.add_row(f.name, "buy", f.region, f.node, f"{f.capacity_wspm:,.0f} wspm")
        else:
            nodes = ", ".join(n.node for n in f.nodes)
            fabs.add_row(f.name, "build", f.region, nodes, f"{f.module_wspm:,.0f} wspm/module")
    console.print(fabs)
    products = Table("product", "node", "die mm²", "dies", "HBM", "list price", title="Products")
    for p in s.products:
        products.add_row(
            p.name, p.node, f"{p.die_area_mm2:.0f}", str(p.compute_dies),
            f"{p.hbm_stacks} x {p.hbm_type}", f"${p.list_price_usd:,.0f}",
        )  # fmt: skip
    console.print(products)
    money = Table("investor", "terms", "commitment", title="Investors")
    for v in s.investors:
        money.add_row(v.name, v.terms, f"${v.commitment_usd / 1e9:,.2f} B")
    console.print(money)
    console.print(
        f"customers: {', '.join(f'{c.name} (p{c.priority})' for c in s.customers)}", highlight=False
    )


@app.command("validate")
def validate(scenario: str | None = SCENARIO_ARG, as_json: bool = JSON_OPT) -> None:
    """Check a scenario; print every problem found (exit status 2) or 'valid'."""
    s = load_or_fail(scenario, as_json)
    if as_json:
        print_json({"valid": True, "name": s.name})
    else:
        console.print(f"[green]valid[/]: {s.name}")


@app.command("export")
def export(
    scenario: str | None = SCENARIO_ARG,
    to: Path | None = typer.Option(
        None, "--to", help="Write here (.yaml/.toml/.json); default: print YAML."
    ),
    fmt: str = typer.Option("yaml", "--format", help="yaml, toml or json when printing."),
    as_json: bool = JSON_OPT,
) -> None:
    """Write a scenario (e.g. the built-in one) to a file to edit, or print it."""
    s = load_or_fail(scenario, as_json)
    try:
        if to is not None:
            path = save_scenario(s, to)
            if as_json:
                print_json({"written": str(path)})
            else:
                console.print(f"wrote {path}")
            return
        text = dump_scenario(s, "json" if as_json else fmt)
    except FabnetError as error:
        fail(error, as_json)
    print(text, end="" if text.endswith("\n") else "\n")


def register(root: typer.Typer) -> None:
    """Attach ``fabnet scenario``."""
    root.add_typer(app, name="scenario")
