"""The JSON API (``/api/...``): scenarios, runs, tables, comparisons. OpenAPI at ``/openapi.json``.

Writes (uploading a scenario, starting a run) and the CPU-heavy check of edits need the token
when the service has one; a write from another origin is refused (403). Errors: a bad scenario →
422 with :meth:`ScenarioError.to_dict` (the CLI's ``--json`` output); an unknown run, scenario,
table or artefact → 404; a request over the limits → 413 or 422; too many jobs or checks at once
→ 429; a run's damaged file → 500. Every error body is JSON with ``error`` and ``message`` (a
scenario error adds ``problems``), in one format per status (:mod:`fabnet.web.errors`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fabnet import __version__
from fabnet.errors import UsageError
from fabnet.web.errors import PayloadTooLarge
from fabnet.web.security import check_token
from fabnet.web.service import WebService
from fabnet.web.settings import MAX_HORIZON_MONTHS, MAX_SAMPLES, MAX_SOLVE_SECONDS

__all__ = ["PlanOptions", "RunRequest", "ScenarioEdits", "router"]

router = APIRouter(prefix="/api", tags=["api"])

RunId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="A run id, a unique prefix of one, or 'latest'.",
        examples=["latest"],
    ),
]
ScenarioId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="A built-in scenario name or an uploaded scenario's id (12 hex digits).",
        examples=["ai-fab-network-2024"],
    ),
]


class ErrorBody(BaseModel):
    """An error: its kind and message (scenario errors add ``file`` and ``problems``)."""

    error: str
    message: str | None = None
    file: str | None = None
    problems: list[dict[str, Any]] | None = None
    omitted: int | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown run, scenario, table or artefact."},
    422: {"model": ErrorBody, "description": "Invalid scenario or request (problems listed)."},
    429: {"model": ErrorBody, "description": "As many checks or jobs as allowed are running."},
    500: {"model": ErrorBody, "description": "A stored file of the run is damaged."},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    401: {"model": ErrorBody, "description": "The service needs the token for this."},
    403: {"model": ErrorBody, "description": "The request came from another origin."},
    413: {"model": ErrorBody, "description": "The upload is larger than the limit."},
}


class ScenarioEdits(BaseModel):
    """Changes to a scenario's main parameters (anything left out stays as it is)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    objective: Literal["npv", "shortage", "cost"] | None = None
    allocation: Literal["priority", "proportional", "maxmin", "contracts"] | None = None
    discount_rate: float | None = Field(None, description="Per year, e.g. 0.10.")
    horizon_months: int | None = Field(
        None, description=f"Planning horizon; the service plans at most {MAX_HORIZON_MONTHS}."
    )
    debt_limit_usd: float | None = Field(None, description="Most debt outstanding [USD].")
    commitments_usd: dict[str, float] | None = Field(
        None, description="Investor name → commitment [USD]; pay-in schedules are scaled."
    )
    lead_time_months: dict[str, int] | None = Field(
        None, description="Greenfield site name → construction + tool-install lead time."
    )


class PlanOptions(BaseModel):
    """Options of a run: the planner's (both kinds) and the risk engine's (``risk`` runs)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    strategy: Literal["mixed", "buy", "build"] | None = Field(
        None, description="Which capacity options exist: buy fabs, build, or both (default)."
    )
    time_limit: float | None = Field(
        None,
        gt=0,
        le=MAX_SOLVE_SECONDS,
        description=f"Solver time limit [s], at most {MAX_SOLVE_SECONDS:g}.",
    )
    mip_gap: float | None = Field(None, ge=0, le=1, description="Relative MIP gap.")
    samples: int | None = Field(
        None,
        ge=1,
        le=MAX_SAMPLES,
        description=f"Risk runs: sampled futures (default 1000), at most {MAX_SAMPLES:,}.",
    )
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="Risk runs: random seed (default 0)."
    )


class RunRequest(BaseModel):
    """Start a run of a scenario (with edits)."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: str = Field(
        min_length=1,
        max_length=64,
        examples=["ai-fab-network-2024"],
        description="A built-in scenario name or an uploaded scenario's id.",
    )
    kind: Literal["plan", "risk"] = Field(
        "plan", description="plan: solve the network plan; risk: plan, then sampled futures."
    )
    edits: ScenarioEdits = Field(default_factory=ScenarioEdits)
    options: PlanOptions = Field(default_factory=PlanOptions)


class RunStarted(BaseModel):
    """A run that started: poll ``status_url`` until its status is ``done`` or ``failed``."""

    run_id: str
    status_url: str
    page_url: str


def service(request: Request) -> WebService:
    """The app's :class:`WebService`."""
    return request.app.state.service


async def writer(request: Request) -> None:
    """Dependency of every route that writes, starts work or costs much: checks the token (and,
    for a call that relies on the login cookie, the form token in ``X-CSRF-Token``)."""
    token = request.app.state.service.settings.token
    check_token(request, token)
    request.app.state.csrf.check_api(request, token)


Service = Annotated[WebService, Depends(service)]


@router.get("/health", summary="Service status")
async def health(svc: Service) -> dict[str, Any]:
    """Version, whether writes need a token, the limits and the jobs running (answered on the
    event loop itself, so it stays fast while scenarios are being checked)."""
    s = svc.settings
    return {
        "status": "ok",
        "version": __version__,
        "auth_required": s.auth_required,
        "job_kinds": list(_kinds()),
        "limits": {
            "max_upload_bytes": s.max_upload_bytes,
            "max_horizon_months": s.max_horizon_months,
            "max_solve_seconds": s.max_solve_seconds,
            "max_jobs": s.max_jobs,
        },
        "running": svc.launcher.running(),
    }


def _kinds() -> tuple[str, ...]:
    from fabnet.web.service import JOB_KINDS_OFFERED

    return JOB_KINDS_OFFERED


@router.get("/scenarios", summary="Scenarios on offer")
def list_scenarios(svc: Service) -> list[dict[str, Any]]:
    """The built-in scenarios, then uploads (newest first)."""
    return [e.to_dict() for e in svc.library.list()]


@router.post(
    "/scenarios",
    status_code=201,
    summary="Upload a scenario",
    dependencies=[Depends(writer)],
    responses=_WRITE_ERRORS,
)
async def upload_scenario(
    svc: Service,
    file: Annotated[UploadFile, File(description="A .yaml, .yml, .toml or .json scenario.")],
) -> dict[str, Any]:
    """Validate and keep a scenario file; 422 with every problem if it does not load."""
    raw = await file.read(svc.settings.max_upload_bytes + 1)
    if len(raw) > svc.settings.max_upload_bytes:
        raise PayloadTooLarge(svc.settings.max_upload_bytes)
    entry = await svc.bounded(svc.upload, raw, file.filename or "")
    return entry.to_dict()


@router.get("/scenarios/{scenario_id}", summary="A scenario and its parameters", responses=_ERRORS)
async def get_scenario(svc: Service, scenario_id: ScenarioId) -> dict[str, Any]:
    """The scenario's entry and its editable parameters (as ``edits`` take them)."""
    form = await svc.bounded(svc.form, scenario_id)
    return {**form.entry.to_dict(), "parameters": svc.parameters(form.scenario)}


@router.get(
    "/scenarios/{scenario_id}/text",
    summary="A scenario's file",
    responses={**_ERRORS, 200: {"content": {"text/plain": {}}}},
    response_class=Response,
)
def scenario_text(svc: Service, scenario_id: ScenarioId) -> Response:
    """The scenario's full text as uploaded (or shipped)."""
    entry = svc.scenario_entry(scenario_id)
    try:
        text = svc.library.text(entry)
    except KeyError:
        from fabnet.errors import StoreError

        raise StoreError(f"the file of scenario {scenario_id!r} is gone") from None
    return Response(text, media_type="text/plain; charset=utf-8")


@router.post(
    "/scenarios/{scenario_id}/check",
    summary="Validate edits without running",
    dependencies=[Depends(writer)],
    responses=_WRITE_ERRORS,
)
async def check_scenario(
    svc: Service,
    scenario_id: ScenarioId,
    edits: ScenarioEdits | None = None,
) -> dict[str, Any]:
    """Apply the edits and validate the result: 200 if it would run, 422 with its problems.

    A full validation costs CPU: it needs the token when the service has one, and runs in a
    worker (a few at once, for a bounded time)."""

    def check() -> dict[str, Any]:
        form = svc.form(scenario_id)
        paths = svc.edits_to_paths(form.scenario, (edits or ScenarioEdits()).model_dump())
        _form, _text, _fmt, scenario = svc.prepare(scenario_id, paths, write=False)
        return {"valid": True, "name": scenario.name, "parameters": svc.parameters(scenario)}

    return await svc.bounded(check)


@router.post(
    "/runs",
    status_code=202,
    summary="Start a run",
    dependencies=[Depends(writer)],
    responses=_WRITE_ERRORS,
)
async def start_run(svc: Service, body: RunRequest) -> RunStarted:
    """Start a plan of a scenario (with edits) in its own process; poll its status."""

    def start() -> str:
        form = svc.form(body.scenario_id)
        paths = svc.edits_to_paths(form.scenario, body.edits.model_dump())
        return svc.start(body.scenario_id, body.kind, paths, body.options.model_dump())

    run_id = await svc.bounded(start)
    return RunStarted(run_id=run_id, status_url=f"/api/runs/{run_id}", page_url=f"/runs/{run_id}")


@router.get("/runs", summary="Runs, newest first", responses=_ERRORS)
def list_runs(
    svc: Service,
    kind: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")] = None,
    status: Literal["running", "done", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Each run's id, kind, scenario, status, times and key figures."""
    return svc.runs(kind=kind, status=status, limit=limit)


@router.get("/runs/{run_id}", summary="One run", responses=_ERRORS)
def get_run(svc: Service, run_id: RunId) -> dict[str, Any]:
    """The run's status, progress, options, key figures and tables."""
    record = svc.record(run_id)
    data = record.to_dict()
    data.pop("folder", None)  # the server's file system is none of the client's business
    data["tables"] = svc.run_tables(record.id)
    data["report_url"] = f"/runs/{record.id}/report" if record.status == "done" else None
    return data


@router.get("/runs/{run_id}/tables/{name}", summary="One table of a run", responses=_ERRORS)
def get_table(
    svc: Service,
    run_id: RunId,
    name: Annotated[str, Path(max_length=40)],
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    """Rows ``offset`` … ``offset + limit`` of a table, with its columns and row count."""
    from fabnet.web.service import jsonable_records

    frame = svc.table(run_id, name)
    part = frame.iloc[offset : offset + limit]
    return {
        "name": name,
        "columns": [str(c) for c in frame.columns],
        "rows_total": len(frame),
        "offset": offset,
        "rows": jsonable_records(part),
    }


@router.get(
    "/runs/{run_id}/artefacts/{name}",
    summary="A file of a run (report.html, summary.json)",
    responses={**_ERRORS, 200: {"content": {"text/html": {}, "application/json": {}}}},
    response_class=Response,
)
def get_artefact(
    svc: Service, run_id: RunId, name: Literal["report.html", "summary.json"]
) -> Response:
    """The stored file (names from a fixed list only)."""
    data, media = svc.artefact(run_id, name)
    return Response(data, media_type=media)


@router.get("/compare", summary="Two runs side by side", responses=_ERRORS)
def compare_runs(
    svc: Service,
    a: Annotated[str, Query(min_length=1, max_length=40)],
    b: Annotated[str, Query(min_length=1, max_length=40)],
) -> dict[str, Any]:
    """Key figures of runs ``a`` and ``b``: metric, a, b, difference (b − a), ratio (b / a)."""
    return svc.compare(a, b)


@router.post("/login", summary="Set the token cookie", responses={401: {"model": ErrorBody}})
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> JSONResponse:
    """Check the token and set it as an HttpOnly cookie for the pages."""
    from fabnet.web.security import COOKIE_NAME, NotAuthorized

    settings = service(request).settings
    if not settings.token:
        raise UsageError("this service has no token; nothing to log in to")
    import secrets

    if not secrets.compare_digest(token.encode("utf-8"), settings.token.encode("utf-8")):
        raise NotAuthorized("wrong token")
    response = JSONResponse({"status": "ok"})
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict")
    return response
