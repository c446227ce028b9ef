"""The quote pipeline: a stored plan run → answers → quote records (``fabnet quote``, the web API).

The CLI and the web service call the same functions::

    rec = make_quote(store, "latest", QuoteRequest("NewCo", "H100-class", 50_000, "2027-06"))
    recs = make_quotes(store, run_id, read_requests_csv("requests.csv"))   # a batch, in order
    scenario = with_accepted_quotes(store, scenario)   # accepted quotes as contracts, for a plan

A quote is made on a **plan run** of the store (kind ``plan``, status ``done``): its scenario
(kept with the run) and its tables (``supply``, ``capacity``, ``wafer_starts``, ``deliveries``,
``cash_flow``, ``decisions``, ``shadow_prices``). Earlier quotes that still hold supply — those
made on the same run and not expired, and accepted quotes of the same scenario made on other runs
that the run's scenario does not already contain — are committed before the new request, in the
order they were made.

This is an outer layer (it uses the core, the store); the core never imports it. It is not
re-exported by :mod:`fabnet.pipelines`: import it as ``fabnet.pipelines.quote``.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from fabnet.errors import FabnetError, ScenarioError, UsageError
from fabnet.pipelines.inputs import validate_scenario_text
from fabnet.pipelines.options import PlanOptions
from fabnet.plan import solve_plan
from fabnet.quote import (
    AtpBook,
    QuoteAnswer,
    QuoteRequest,
    capable_to_promise,
    check_request,
    is_quote_customer,
    scenario_with_quotes,
)
from fabnet.scenario import Scenario
from fabnet.store import RunRecord, RunStore
from fabnet.store.quotes import QuoteRecord, QuoteStore

__all__ = [
    "PLAN_TABLES",
    "PlanRun",
    "atp_book",
    "holding_quotes",
    "load_plan_run",
    "make_quote",
    "make_quotes",
    "read_requests_csv",
    "request_from_fields",
    "with_accepted_quotes",
]

PLAN_TABLES = (
    "supply",
    "capacity",
    "wafer_starts",
    "deliveries",
    "cash_flow",
    "decisions",
    "shadow_prices",
)
"""The tables of a plan run a quote reads."""

_CSV_ALIASES = {"by": "wanted", "price": "max_price"}


@dataclass
class PlanRun:
    """A finished plan run of the store, loaded for quoting (has ``summary`` and ``tables``, so it
    is a :class:`fabnet.quote.BasePlan`)."""

    record: RunRecord
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.record.id


def _scenario_of(record: RunRecord) -> Scenario:

    first: FabnetError | None = None
    for fmt in ("yaml", "toml"):
        try:
            return validate_scenario_text(record.scenario_text, fmt, file=record.scenario_name)
        except (ScenarioError, UsageError) as exc:
            first = first or exc
    raise UsageError(
        f"the scenario kept with run {record.id} cannot be read back: {first}"
    ) from first


def load_plan_run(store: RunStore, run_id: str) -> PlanRun:
    """The plan run ``run_id`` (id, unique prefix or ``latest``) with its scenario and tables.

    Raises:
        StoreError: no such run. UsageError: the run is not a finished plan.
    """
    t0 = time.perf_counter()
    record = store.get(run_id)
    if record.kind != "plan":
        raise UsageError(
            f"run {record.id} is a {record.kind} run, not a plan: quotes are made on a plan run "
            "(`fabnet runs list --kind plan` lists them)"
        )
    if record.status != "done":
        raise UsageError(
            f"plan run {record.id} is {record.status}, not done: quote on a finished plan"
        )
    names = set(store.tables(record.id))
    missing = [t for t in PLAN_TABLES if t not in names]
    if missing:
        raise UsageError(f"plan run {record.id} has no table(s) {', '.join(missing)}")
    t1 = time.perf_counter()
    scenario = _scenario_of(record)
    t2 = time.perf_counter()
    tables = {name: store.load_table(record.id, name) for name in PLAN_TABLES}
    summary = store.load_json(record.id, "summary")
    seconds = {"record": t1 - t0, "scenario": t2 - t1, "tables": time.perf_counter() - t2}
    return PlanRun(record, scenario, tables, summary, seconds)


def holding_quotes(quotes: QuoteStore, run: PlanRun) -> list[QuoteRecord]:
    """Quotes that hold supply on ``run``, in arrival order: not expired and made on this run, or
    accepted on another run of the same scenario and not already a customer of its scenario."""

    names = [c.name for c in run.scenario.customers]
    out = []
    for rec in quotes.list(scenario_name=run.record.scenario_name, status=("proposed", "accepted")):
        if rec.plan_run == run.id or (
            rec.status == "accepted" and not any(is_quote_customer(n, rec.id) for n in names)
        ):
            out.append(rec)
    return out


def atp_book(run: PlanRun, earlier: Iterable[QuoteRecord] = ()) -> AtpBook:
    """The run's available-to-promise with ``earlier`` quotes committed in order."""

    return AtpBook.from_plan(
        run.scenario,
        run.tables,
        [(r.answer.request.product, r.answer.lines, r.answer.request.priority) for r in earlier],
    )


def _plan_options(record: RunRecord) -> dict[str, Any]:
    """The plan options the run was made with (as :func:`fabnet.plan.solve_plan` takes them)."""
    names = {f.name for f in fields(PlanOptions)}
    return PlanOptions(**{k: v for k, v in record.options.items() if k in names}).solve_kwargs()


def make_quote(
    store: RunStore,
    run_id: str,
    request: QuoteRequest,
    *,
    ctp: bool = False,
    hold: bool = True,
    accept: bool = False,
    run: PlanRun | None = None,
) -> QuoteRecord:
    """Answer one request on plan run ``run_id`` and keep the quote (``proposed``, or
    ``accepted`` with ``accept``). With ``ctp`` the plan is also re-optimised with the order
    (:func:`fabnet.quote.capable_to_promise`; ``hold`` keeps the run's build/buy decisions).

    Raises:
        UsageError: a bad request, a run that is not a finished plan, accepting a quote that
            promises nothing. StoreError: an unknown run. InfeasibleError, SolverError: CTP.
    """

    run = run or load_plan_run(store, run_id)
    req = check_request(request, run.scenario)
    quotes = QuoteStore(store)
    earlier = holding_quotes(quotes, run)
    book = atp_book(run, earlier)
    atp = book.promise(req)
    ctp_answer = None
    if ctp:
        options = _plan_options(run.record)
        scenario = scenario_with_quotes(run.scenario, [(r.id, r.answer) for r in earlier])
        base: Any = run
        if scenario is not run.scenario:  # the base plan with the earlier quotes as contracts
            base = solve_plan(scenario, fixed=run.tables["decisions"], **options)
        ctp_answer = capable_to_promise(
            scenario,
            base,
            req,
            decisions=run.tables["decisions"],
            hold=hold,
            plan_options=options,
        )
    answer = QuoteAnswer(req, atp, ctp_answer)
    status = "accepted" if accept else "proposed"
    return quotes.add(run.id, run.record.scenario_name, answer, status=status)


def make_quotes(
    store: RunStore, run_id: str, requests: Sequence[QuoteRequest]
) -> list[QuoteRecord]:
    """Answer a batch of requests (ATP) in the order given and keep them, in one transaction.

    Every request is checked first: one bad request stops the batch with its row number and
    nothing is kept.
    """

    run = load_plan_run(store, run_id)
    checked = []
    for i, req in enumerate(requests, start=1):
        try:
            checked.append(check_request(req, run.scenario))
        except UsageError as exc:
            raise UsageError(f"request {i} ({req.buyer}, {req.product}): {exc}") from None
    quotes = QuoteStore(store)
    book = atp_book(run, holding_quotes(quotes, run))
    answers = [QuoteAnswer(req, book.promise(req)) for req in checked]
    return quotes.add_many(run.id, run.record.scenario_name, answers)


def request_from_fields(fields: Mapping[str, Any]) -> QuoteRequest:
    """A request from a form, a JSON body or a CSV row (``by`` = ``wanted``, ``price`` =
    ``max_price``)."""

    data = {_CSV_ALIASES.get(k.strip().lower(), k.strip().lower()): v for k, v in fields.items()}
    return QuoteRequest.from_dict({k: v for k, v in data.items() if v not in (None, "")})


def read_requests_csv(path: str | Path) -> list[QuoteRequest]:
    """Requests from a CSV file, in file order (the arrival order).

    Columns: ``buyer``, ``product``, ``quantity``, ``wanted`` (or ``by``, ``YYYY-MM``) and
    optionally ``earliest``, ``latest``, ``max_price`` (or ``price``), ``priority``.

    Raises:
        UsageError: the file cannot be read, or a row is bad (the message names its line).
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read the requests file {file}: {exc.strerror or exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        raise UsageError(f"{file}: empty file; the first line names the columns")
    requests = []
    for row in reader:
        try:
            requests.append(request_from_fields({k: v for k, v in row.items() if k is not None}))
        except UsageError as exc:
            raise UsageError(f"{file}, line {reader.line_num}: {exc}") from None
    if not requests:
        raise UsageError(f"{file}: no requests (only a header line)")
    return requests


def with_accepted_quotes(store: RunStore, scenario: Scenario) -> Scenario:
    """``scenario`` with the store's accepted quotes *of that scenario* (by name) as contracted
    customers (:func:`fabnet.quote.scenario_with_quotes`): what the next plan must honour."""

    accepted = QuoteStore(store).list(scenario_name=scenario.name, status="accepted")
    return scenario_with_quotes(scenario, [(rec.id, rec.answer) for rec in accepted])
