"""Quotes in the web service: a form on a plan run's page and a JSON API.

- ``GET /runs/{id}/quote`` — the form (buyer, product, quantity, wanted month, window, max price,
  priority, capable-to-promise) and the quotes already made on the run;
- ``POST /runs/{id}/quote`` — answer the form: the promise, a chart of the cumulative
  available-to-promise against the request, and the displacements of a CTP answer;
- ``POST /api/runs/{id}/quote`` — the same as JSON (body: :class:`QuoteBody`; answer: the record
  of ``fabnet quote --json``), ``GET /api/runs/{id}/quotes``, ``GET /api/quotes/{qid}``,
  ``POST /api/quotes/{qid}/accept`` and ``…/expire``.

Writes (making, accepting or expiring a quote) need the token like every other write of the
service (:func:`fabnet.web.security.check_token`: ``Authorization: Bearer`` or the ``SameSite=
Strict`` login cookie). Bad requests answer 422 (unknown product, blank buyer, quantity ≤ 0,
month outside the horizon, a run that is not a finished plan) and unknown runs or quotes 404,
through the service's error handlers. The work is :mod:`fabnet.pipelines.quote`, as for the CLI.
"""

from __future__ import annotations

from typing import Annotated, Any

import plotly.graph_objects as go
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from fabnet.errors import FabnetError
from fabnet.pipelines import quote as pipeline
from fabnet.report.builder import figure_html
from fabnet.store.quotes import QuoteRecord, QuoteStore
from fabnet.web.api import writer
from fabnet.web.pages import check_form, render
from fabnet.web.security import CSRF_FIELD, check_token
from fabnet.web.service import WebService

__all__ = ["QuoteBody", "api_router", "atp_chart", "install", "page_router"]

api_router = APIRouter(prefix="/api", tags=["quotes"])
page_router = APIRouter(include_in_schema=False)

RunId = Annotated[str, Path(min_length=1, max_length=40)]
QuoteId = Annotated[str, Path(min_length=1, max_length=40)]
_FIELDS = ("buyer", "product", "quantity", "wanted", "earliest", "latest", "max_price", "priority")


class QuoteBody(BaseModel):
    """A quote request (``fabnet quote``'s flags)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    buyer: str = Field(min_length=1, max_length=64, examples=["NewCo"])
    product: str = Field(min_length=1, max_length=64, examples=["H100-class"])
    quantity: float = Field(description="Units wanted (> 0).", examples=[50_000])
    wanted: str = Field(
        description="Wanted by the end of this month, YYYY-MM.", examples=["2027-06"]
    )
    earliest: str | None = Field(None, description="No delivery before YYYY-MM.")
    latest: str | None = Field(None, description="No delivery after YYYY-MM.")
    max_price: float | None = Field(None, description="The most the buyer pays [USD/unit].")
    priority: int | None = Field(None, description="Rank among the customers (1 first).")
    ctp: bool = Field(False, description="Also re-optimise the plan with the order (seconds).")
    accept: bool = Field(False, description="Accept the quote at once (a contract).")


def _svc(request: Request) -> WebService:
    return request.app.state.service


def _make(svc: WebService, run_id: str, fields: dict[str, Any], ctp: bool, accept: bool):
    request = pipeline.request_from_fields({k: fields.get(k) for k in _FIELDS})
    return pipeline.make_quote(svc.store, run_id, request, ctp=ctp, accept=accept)


# -- JSON API ---------------------------------------------------------------------------------
@api_router.post(
    "/runs/{run_id}/quote",
    summary="Quote a buyer on a plan run (ATP, and CTP if asked)",
    status_code=201,
    dependencies=[Depends(writer)],
)
async def quote_api(request: Request, run_id: RunId, body: QuoteBody) -> JSONResponse:
    rec = await run_in_threadpool(
        _make, _svc(request), run_id, body.model_dump(), body.ctp, body.accept
    )
    return JSONResponse(rec.to_dict(), status_code=201)


@api_router.get("/runs/{run_id}/quotes", summary="The quotes made on a plan run")
def quotes_of_run(request: Request, run_id: RunId) -> dict[str, Any]:
    store = _svc(request).store
    records = QuoteStore(store).list(plan_run=store.get(run_id).id)
    return {"quotes": [r.to_dict() for r in records]}


@api_router.get("/quotes/{quote_id}", summary="One quote")
def quote_api_get(request: Request, quote_id: QuoteId) -> dict[str, Any]:
    return QuoteStore(_svc(request).store).get(quote_id).to_dict()


def _move(request: Request, quote_id: str, status: str) -> dict[str, Any]:
    return QuoteStore(_svc(request).store).set_status(quote_id, status).to_dict()


@api_router.post(
    "/quotes/{quote_id}/accept", summary="Accept a quote", dependencies=[Depends(writer)]
)
def accept_api(request: Request, quote_id: QuoteId) -> dict[str, Any]:
    return _move(request, quote_id, "accepted")


@api_router.post(
    "/quotes/{quote_id}/expire", summary="Expire a quote", dependencies=[Depends(writer)]
)
def expire_api(request: Request, quote_id: QuoteId) -> dict[str, Any]:
    return _move(request, quote_id, "expired")


# -- page -------------------------------------------------------------------------------------
def atp_chart(rec: QuoteRecord, div_id: str = "quote-chart") -> Markup:
    """Cumulative available-to-promise (before the request) against the request, with the
    cumulative promise."""
    a, req = rec.answer.atp, rec.answer.request
    months = [p["month"] for p in a.available]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=months, y=[p["cumulative"] for p in a.available], name="available (cumulative)",
            line={"shape": "hv"},
        )
    )  # fmt: skip
    promised, total, ys = {ln.month: ln.quantity for ln in rec.answer.lines}, 0.0, []
    for m in months:
        total += promised.get(m, 0.0)
        ys.append(total)
    fig.add_trace(go.Scatter(x=months, y=ys, name="promised (cumulative)", line={"shape": "hv"}))
    fig.add_trace(
        go.Scatter(
            x=[req.wanted], y=[req.quantity], mode="markers", name="requested",
            marker={"size": 12, "symbol": "x"},
        )
    )  # fmt: skip
    fig.update_layout(
        yaxis_title=f"{req.product} units", legend={"orientation": "h", "y": -0.2}, title=None
    )
    return figure_html(fig, div_id, height=360)


def _page(request: Request, run_id: str, status: int = 200, **context: Any) -> HTMLResponse:
    svc = _svc(request)
    record = svc.store.get(run_id)
    products: list[str] = []
    quotes: list[QuoteRecord] = []
    if record.kind == "plan" and record.status == "done":
        products = sorted(set(svc.store.load_table(record.id, "supply")["product"]))
        quotes = QuoteStore(svc.store).list(plan_run=record.id)
    return render(
        request,
        "quote.html.j2",
        status_code=status,
        record=record,
        products=products,
        quotes=quotes,
        form=context.pop("form", {}),
        **context,
    )


@page_router.get("/runs/{run_id}/quote", response_class=HTMLResponse)
def quote_page(request: Request, run_id: RunId) -> HTMLResponse:
    """The quote form of a plan run."""
    return _page(request, run_id)


@page_router.post("/runs/{run_id}/quote", response_class=HTMLResponse)
async def quote_form(request: Request, run_id: RunId) -> Response:
    """Answer the form: the promise, the chart and the displacements; or the problem."""
    svc = _svc(request)
    check_token(request, svc.settings.token)
    data = await request.form()
    check_form(request, data.get(CSRF_FIELD))  # the form's per-session token (CSRF)
    form = {k: str(v).strip() for k, v in data.items() if isinstance(v, str)}
    try:
        rec = await run_in_threadpool(
            _make, svc, run_id, form, form.get("ctp") == "on", form.get("accept") == "on"
        )
    except FabnetError as error:
        return _page(request, run_id, 422, form=form, message=str(error))
    return _page(request, run_id, form=form, quote=rec, chart=atp_chart(rec))


def install(app: FastAPI) -> None:
    """Add the quote routes (API and page) to the service's app."""
    app.include_router(api_router)
    app.include_router(page_router)
