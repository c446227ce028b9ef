"""``fabnet quote`` and ``fabnet quotes list|show|accept|expire|scenario`` — order promising.

::

    fabnet quote --plan RUN --buyer NAME --product P --quantity Q --by YYYY-MM [--price X]
                 [--ctp] [--accept] [--json]
    fabnet quote --plan RUN --requests requests.csv [--json]

A quote is made on a plan run of the store (``latest`` or an id prefix) and kept as a record;
see :mod:`fabnet.pipelines.quote`. Heavy imports stay inside the commands (start-up time).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from fabnet.cli._common import console, err_console, fail, print_json
from fabnet.errors import FabnetError, UsageError

__all__ = ["quotes_app", "register"]

quotes_app = typer.Typer(
    help="List, show, accept and expire the quotes kept in the run store.", no_args_is_help=True
)

HOME_OPT = typer.Option(
    None, "--home", help="Run store folder (default: $FABNET_HOME, else ./.fabnet).",
    show_default=False,
)  # fmt: skip
JSON_OPT = typer.Option(False, "--json", help="Print machine-readable JSON only.")


def _n(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _usd(x: float | None) -> str:
    return "—" if x is None else f"${x:,.0f}"


def _runs(lines: list[dict[str, Any]]) -> list[tuple[str, str, float, float]]:
    """Consecutive months promising the same whole number of units, as one row each:
    (first month, last month, units a month, total)."""
    from fabnet.scenario import add_months

    out: list[tuple[str, str, float, float]] = []
    for line in lines:
        month, qty = line["month"], float(line["quantity"])
        if out and add_months(out[-1][1], 1) == month and round(out[-1][2]) == round(qty):
            first, _last, each, total = out[-1]
            out[-1] = (first, month, each, total + qty)
        else:
            out.append((month, month, qty, qty))
    return out


def _print_quote(rec: Any) -> None:
    from rich.table import Table

    d = rec.to_dict()
    req = d["request"]
    head = Table(title=f"Quote {d['id']} ({d['status']})", show_header=False, box=None)
    head.add_column(style="bold")
    head.add_column()
    head.add_row("plan run", f"{d['plan_run']} ({d['scenario']})")
    when = f"by {req['wanted']}"
    if req.get("earliest") or req.get("latest"):
        when += f" (window {req.get('earliest') or '…'} – {req.get('latest') or '…'})"
    head.add_row("request", f"{req['buyer']}: {_n(req['quantity'])} {req['product']} {when}")
    if req.get("max_price") is not None:
        head.add_row("max price", _usd(req["max_price"]))
    head.add_row(
        "ATP promised", f"{_n(d['promised_quantity'])} ({_n(d['on_time_quantity'])} on time)"
    )
    head.add_row("ATP complete by", str(d["complete_by"] or "not within the window"))
    head.add_row("ATP price", f"{_usd(d['price_per_unit'])} per unit")
    for note in d["notes"]:
        head.add_row("note", note)
    ctp = d.get("ctp")
    if ctp:
        head.add_row(
            "CTP promised", f"{_n(ctp['quantity'])} ({_n(ctp['on_time_quantity'])} on time)"
        )
        head.add_row("CTP complete by", str(ctp["complete_by"] or "not within the window"))
        head.add_row("CTP break-even price", f"{_usd(ctp['price_per_unit'])} per unit")
        head.add_row("CTP order price", f"{_usd(ctp.get('order_price'))} per unit")
        head.add_row("NPV change", f"{_usd(ctp['npv_change'])}")
        head.add_row(
            "decisions",
            "held (operations re-optimised)" if ctp["hold_decisions"] else "re-optimised",
        )
        head.add_row("solve time", f"{ctp['solve_seconds']:.1f} s")
        for note in ctp["notes"]:
            head.add_row("note", note)
    console.print(head)
    lines = ctp["lines"] if ctp else d["atp"]
    if lines:
        t = Table(title="Promised deliveries" + (" (CTP)" if ctp else " (ATP)"))
        t.add_column("months")
        t.add_column("per month", justify="right")
        t.add_column("total", justify="right")
        for first, last, each, total in _runs(lines):
            t.add_row(first if first == last else f"{first} – {last}", _n(each), _n(total))
        console.print(t)
    if ctp and ctp["displaced"]:
        t = Table(title="Displaced (units the plan's customers lose)")
        for col in ("customer", "product", "month", "units"):
            t.add_column(col, justify="right" if col == "units" else "left")
        for x in ctp["displaced"][:20]:
            t.add_row(x["customer"], x["product"], x["month"], _n(x["units"]))
        if len(ctp["displaced"]) > 20:
            t.add_row("…", "", "", f"{len(ctp['displaced']) - 20} more rows (--json)")
        console.print(t)


def _print_batch(records: list[Any]) -> None:
    from rich.table import Table

    t = Table(title=f"{len(records)} quotes (arrival order)")
    for col in ("id", "buyer", "product", "quantity", "by", "promised", "on time", "complete by"):
        t.add_column(col, justify="right" if col in ("quantity", "promised", "on time") else "left")
    t.add_column("price", justify="right")
    for rec in records:
        a, r = rec.answer.atp, rec.answer.request
        t.add_row(
            rec.id,
            r.buyer,
            r.product,
            _n(r.quantity),
            r.wanted,
            _n(a.promised_quantity),
            _n(a.on_time_quantity),
            a.complete_by or "—",
            _usd(a.price_per_unit) + ("" if a.price_ok else " (above max)"),
        )
    console.print(t)


def quote_cmd(
    plan: str = typer.Option(..., "--plan", help="Plan run id, a unique prefix, or 'latest'."),
    buyer: str | None = typer.Option(None, "--buyer", help="Buyer's name (any company)."),
    product: str | None = typer.Option(None, "--product", help="Product of the plan's scenario."),
    quantity: float | None = typer.Option(None, "--quantity", help="Units wanted (> 0)."),
    by: str | None = typer.Option(None, "--by", help="Wanted by the end of month YYYY-MM."),
    price: float | None = typer.Option(None, "--price", help="Buyer's max price [USD/unit]."),
    earliest: str | None = typer.Option(None, "--earliest", help="No delivery before YYYY-MM."),
    latest: str | None = typer.Option(None, "--latest", help="No delivery after YYYY-MM."),
    priority: int | None = typer.Option(
        None,
        "--priority",
        help="The order's rank among the customers (1 = first; default: after all of them).",
    ),
    ctp: bool = typer.Option(False, "--ctp", help="Also re-optimise the plan with the order."),
    replan: bool = typer.Option(
        False, "--replan", help="CTP: let build/buy decisions change too (design MIP; slower)."
    ),
    accept: bool = typer.Option(False, "--accept", help="Accept the quote at once (a contract)."),
    requests: Path | None = typer.Option(
        None, "--requests", help="CSV of requests (buyer,product,quantity,wanted[,max_price…])."
    ),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Quote a buyer: what the plan can promise (ATP) and, with --ctp, what re-planning can."""
    try:
        from fabnet.pipelines import quote as quote_jobs
        from fabnet.store import RunStore

        store = RunStore(home)
        if requests is not None:
            given = [n for n, v in (("--buyer", buyer), ("--product", product),
                                    ("--quantity", quantity), ("--by", by)) if v is not None]  # fmt: skip
            if given or ctp or accept:
                raise UsageError(
                    "--requests answers the file's requests (ATP); leave out "
                    + ", ".join(given + ["--ctp"] * ctp + ["--accept"] * accept)
                )
            reqs = quote_jobs.read_requests_csv(requests)
            records = quote_jobs.make_quotes(store, plan, reqs)
            if as_json:
                print_json({"quotes": [r.to_dict() for r in records]})
            else:
                _print_batch(records)
            return
        missing = [n for n, v in (("--buyer", buyer), ("--product", product),
                                  ("--quantity", quantity), ("--by", by)) if v is None]  # fmt: skip
        if missing:
            raise UsageError(
                f"missing {', '.join(missing)}: a quote needs --buyer, --product, --quantity and "
                "--by (or --requests FILE)"
            )
        request = quote_jobs.request_from_fields(
            {
                "buyer": buyer,
                "product": product,
                "quantity": quantity,
                "wanted": by,
                "earliest": earliest,
                "latest": latest,
                "max_price": price,
                "priority": priority,
            }
        )
        if ctp and not as_json:
            with err_console.status("re-optimising the plan with the order…"):
                rec = quote_jobs.make_quote(
                    store, plan, request, ctp=True, hold=not replan, accept=accept
                )
        else:
            rec = quote_jobs.make_quote(
                store, plan, request, ctp=ctp, hold=not replan, accept=accept
            )
        if as_json:
            print_json(rec.to_dict())
        else:
            _print_quote(rec)
    except FabnetError as error:
        fail(error, as_json)


@quotes_app.command("list")
def list_quotes(
    plan: str | None = typer.Option(None, "--plan", help="Only quotes made on this plan run."),
    status: str | None = typer.Option(None, "--status", help="proposed | accepted | expired"),
    limit: int = typer.Option(50, "--limit", help="At most this many (the newest)."),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The quotes kept, in arrival order."""
    try:
        from rich.table import Table

        from fabnet.store import RunStore
        from fabnet.store.quotes import QuoteStore

        store = RunStore(home)
        run_id = store.get(plan).id if plan else None
        records = QuoteStore(store).list(plan_run=run_id, status=status, limit=limit)
        if as_json:
            print_json({"quotes": [r.to_dict() for r in records]})
            return
        t = Table(title=f"Quotes in {store.home}")
        for col in ("id", "status", "mode", "buyer", "product", "quantity", "by",
                    "promised", "complete by", "price"):  # fmt: skip
            t.add_column(col, no_wrap=col == "id")
        for r in records:
            a = r.answer
            t.add_row(
                r.id, r.status, r.mode, a.request.buyer, a.request.product,
                _n(a.request.quantity), a.request.wanted, _n(sum(x.quantity for x in a.lines)),
                (a.ctp.complete_by if a.ctp else a.atp.complete_by) or "—", _usd(a.price_per_unit),
            )  # fmt: skip
        console.print(t)
    except FabnetError as error:
        fail(error, as_json)


def _one(action: str):
    def command(
        quote_id: str = typer.Argument(..., help="Quote id or a unique prefix of it."),
        home: Path | None = HOME_OPT,
        as_json: bool = JSON_OPT,
    ) -> None:
        try:
            from fabnet.store import RunStore
            from fabnet.store.quotes import QuoteStore

            quotes = QuoteStore(RunStore(home))
            rec = quotes.get(quote_id) if action == "show" else quotes.set_status(
                quote_id, {"accept": "accepted", "expire": "expired"}[action]
            )  # fmt: skip
            if as_json:
                print_json(rec.to_dict())
            else:
                _print_quote(rec)
        except FabnetError as error:
            fail(error, as_json)

    command.__doc__ = {
        "show": "Show one quote: request, promise, CTP answer and displacements.",
        "accept": "Accept a quote: it becomes a contract that later plans and quotes respect.",
        "expire": "Expire a quote: its supply is free again (an accepted one is cancelled).",
    }[action]
    return command


for _action in ("show", "accept", "expire"):
    quotes_app.command(_action)(_one(_action))


@quotes_app.command("scenario")
def scenario_with_quotes_cmd(
    scenario: str | None = typer.Argument(
        None, help="Scenario file or built-in name (default: ai-fab-network-2024)."
    ),
    out: Path = typer.Option(..., "--out", help="Scenario file to write (YAML)."),
    home: Path | None = HOME_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Write the scenario with its accepted quotes as contracted customers (then `fabnet plan`
    that file: the next plan honours them)."""
    try:
        from fabnet.pipelines.quote import with_accepted_quotes
        from fabnet.quote import is_quote_customer
        from fabnet.scenario import load_scenario, save_scenario
        from fabnet.store import RunStore

        sc = with_accepted_quotes(RunStore(home), load_scenario(scenario))
        path = save_scenario(sc, out)
        added = [c.name for c in sc.customers if is_quote_customer(c.name)]
        if as_json:
            print_json({"scenario": sc.name, "file": str(path), "quote_customers": added})
        else:
            console.print(f"{len(added)} accepted quote(s) as contracts in [bold]{path}[/]")
    except FabnetError as error:
        fail(error, as_json)


def register(app: typer.Typer) -> None:
    """Attach ``fabnet quote`` and ``fabnet quotes`` to the CLI."""
    app.command("quote")(quote_cmd)
    app.add_typer(quotes_app, name="quotes")
