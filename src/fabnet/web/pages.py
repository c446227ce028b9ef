"""The HTML pages: dashboard (pick or upload a scenario), parameter form, runs, run, compare.

Pages are rendered server-side with jinja2 (autoescaped) and a small style sheet of our own; the
only script is ``/static/app.js`` (progress polling, run selection) plus plotly.js, served by the
service itself. Forms post back to the pages; writes need the token cookie when the service has
a token (the login form sets it).
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from fabnet import __version__
from fabnet.errors import DamagedRunError, Problem, ScenarioError, UsageError, shorten
from fabnet.web.edits import parse_form, problems_by_field
from fabnet.web.errors import NotAuthorized, ServiceBusy
from fabnet.web.launcher import TooManyJobs
from fabnet.web.security import (
    COOKIE_NAME,
    CSRF_FIELD,
    SESSION_COOKIE,
    CsrfTokens,
    check_token,
)
from fabnet.web.service import JOB_KINDS_OFFERED, ScenarioForm, WebService
from fabnet.web.views import compare_figures, run_view, supply_chart_of

__all__ = ["check_form", "render", "router"]

router = APIRouter(include_in_schema=False)

ScenarioId = Annotated[str, Path(min_length=1, max_length=64)]
RunId = Annotated[str, Path(min_length=1, max_length=40)]
STRATEGIES = ("mixed", "buy", "build")
RUN_INPUTS = ("strategy", "samples", "seed")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fabnet.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from fabnet.report import format_money, format_number, format_percent

    env.filters["number"] = format_number
    env.filters["money"] = format_money
    env.filters["percent"] = format_percent
    env.filters["when"] = lambda v: "" if not v else str(v)[:19].replace("T", " ")
    env.filters["short"] = lambda v: shorten(str(v)) if v is not None else ""
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with the common context (settings, version, login state, the
    session's form token). A visitor without a session gets one (an ``HttpOnly``,
    ``SameSite=Strict`` cookie) so that the page's forms carry a token the service can check.
    The store's folder is shown only to a visitor logged in with the service's token."""
    from fabnet.web.errors import redact

    svc: WebService = request.app.state.service
    csrf: CsrfTokens = request.app.state.csrf
    token = svc.settings.token
    logged_in = not token or secrets.compare_digest(
        (request.cookies.get(COOKIE_NAME) or "").encode("utf-8"), token.encode("utf-8")
    )
    session = csrf.session_of(request)
    new_session = session is None
    if session is None:
        session = csrf.new_session()
    html = (
        _environment()
        .get_template(template)
        .render(
            request=request,
            version=__version__,
            settings=svc.settings,
            auth_required=bool(token),
            logged_in=logged_in,
            store_folder=str(svc.settings.home) if token and logged_in else "",
            csrf_field=CSRF_FIELD,
            csrf_token=csrf.token(session),
            public=lambda text: redact(str(text), request),
            path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    if new_session:
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict")
    return response


def check_form(request: Request, given: object) -> None:
    """The form's token must be the session's (403 otherwise)."""
    csrf: CsrfTokens = request.app.state.csrf
    csrf.check(request, given if isinstance(given, str) else None)


def _svc(request: Request) -> WebService:
    return request.app.state.service


def _index(
    request: Request, status_code: int = 200, upload_error: str = "", problems: Any = ()
) -> HTMLResponse:
    svc = _svc(request)
    return render(
        request,
        "index.html.j2",
        status_code,
        scenarios=svc.library.list(),
        runs=svc.runs(limit=8),
        upload_error=upload_error,
        problems=list(problems),
    )


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """Dashboard: scenarios to pick, an upload form, the latest runs."""
    return _index(request)


@router.post("/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Upload form: keep the scenario and go to its parameters, or show its problems."""
    svc = _svc(request)
    check_token(request, svc.settings.token)
    check_form(request, csrf_token)
    limit = svc.settings.max_upload_bytes
    raw = await file.read(limit + 1)
    if len(raw) > limit:
        return _index(
            request, 413, upload_error=f"The file is larger than the limit of {limit:,} bytes."
        )
    try:
        entry = await svc.bounded(svc.upload, raw, file.filename or "")
    except ScenarioError as error:
        return _index(request, 422, upload_error=error.headline, problems=error.problems)
    return RedirectResponse(f"/scenarios/{entry.id}", status_code=303)


def _scenario_page(
    request: Request,
    form: ScenarioForm,
    status_code: int = 200,
    submitted: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    message: str = "",
) -> HTMLResponse:
    svc = _svc(request)
    at_field, general = problems_by_field(problems or [], form.fields, RUN_INPUTS)
    groups: dict[str, list[Any]] = {}
    for f in form.fields:
        groups.setdefault(f.group, []).append(f)
    scenario = form.scenario
    facts = {
        "Fabs for sale": len(scenario.existing_fabs),
        "Greenfield sites": len(scenario.greenfield_sites),
        "Products": len(scenario.products),
        "Customers": len(scenario.customers),
        "Investors": len(scenario.investors),
        "Horizon": f"{scenario.policy.start} + {scenario.policy.horizon_months} months",
    }
    return render(
        request,
        "scenario.html.j2",
        status_code,
        entry=form.entry,
        scenario=scenario,
        facts=facts,
        groups=groups,
        submitted=submitted or {},
        errors=at_field,
        general=general,
        message=message,
        kinds=JOB_KINDS_OFFERED,
        strategies=STRATEGIES,
        max_samples=svc.settings.max_samples,
    )


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
async def scenario_page(request: Request, scenario_id: ScenarioId) -> HTMLResponse:
    """A scenario's main parameters in a form, and the button that starts a run."""
    svc = _svc(request)
    return _scenario_page(request, await svc.bounded(svc.form, scenario_id))


@router.post("/scenarios/{scenario_id}/run", response_class=HTMLResponse)
async def start_from_form(request: Request, scenario_id: ScenarioId) -> Response:
    """Validate the form; start the run and go to its page, or show the problems at the fields."""
    svc = _svc(request)
    check_token(request, svc.settings.token)
    data = await request.form()
    check_form(request, data.get(CSRF_FIELD))
    submitted = {k: str(v) for k, v in data.items() if isinstance(v, str) and k != CSRF_FIELD}
    form = await svc.bounded(svc.form, scenario_id)
    edits, problems = parse_form(submitted, form.fields)
    kind = submitted.get("kind", "plan")
    strategy = submitted.get("strategy", "mixed")
    if strategy not in STRATEGIES:
        problems.append(Problem("strategy", f"choose one of {', '.join(STRATEGIES)}", strategy))
    options: dict[str, Any] = {"strategy": None if strategy == "mixed" else strategy}
    if kind == "risk":
        for name, default, low, high in (
            ("samples", 1000, 1, svc.settings.max_samples),
            ("seed", 0, 0, 2**32 - 1),
        ):
            raw = submitted.get(name, "").strip().replace(",", "").replace("_", "")
            if not raw:
                options[name] = default
            elif not raw.isdigit() or not low <= int(raw) <= high:
                problems.append(
                    Problem(name, f"enter a whole number from {low:,} to {high:,}", raw)
                )
            else:
                options[name] = int(raw)
    if problems:
        return _scenario_page(request, form, 422, submitted, problems)
    try:
        run_id = await svc.bounded(svc.start, scenario_id, kind, edits, options)
    except ScenarioError as error:
        return _scenario_page(request, form, 422, submitted, error.problems)
    except UsageError as error:
        return _scenario_page(request, form, 422, submitted, message=str(error))
    except (TooManyJobs, ServiceBusy) as error:
        return _scenario_page(request, form, 429, submitted, message=str(error))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> HTMLResponse:
    """Every run, newest first, with radio buttons to compare two."""
    return render(request, "runs.html.j2", runs=_svc(request).runs(limit=limit))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: RunId) -> HTMLResponse:
    """One run: progress while it runs; then its key figures, supply chart and decisions."""
    view = run_view(_svc(request), run_id)
    return render(request, "run.html.j2", view=view, record=view.record)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def report_page(request: Request, run_id: RunId) -> Response:
    """The run's stored HTML report, as written by the job."""
    data, media = _svc(request).artefact(run_id, "report.html")
    return Response(data, media_type=media)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    a: Annotated[str | None, Query(max_length=40)] = None,
    b: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Two runs side by side: settings, key figures and their supply-vs-demand charts."""
    svc = _svc(request)
    runs = svc.runs(limit=200)
    context: dict[str, Any] = {"runs": runs, "a": a or "", "b": b or "", "records": []}
    if a and b:
        records = [svc.record(a), svc.record(b)]
        context["records"] = records
        context["figures"] = compare_figures(records)
        context["charts"] = [
            supply_chart_of(svc, r, f"supply-chart-{label}")
            for label, r in zip("ab", records, strict=True)
        ]
        options = sorted({k for r in records for k in r.options})
        context["options"] = [(k, [str(r.options.get(k, "–")) for r in records]) for k in options]
    return render(request, "compare.html.j2", **context)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: Annotated[str, Query(max_length=200)] = "/") -> HTMLResponse:
    """The token form."""
    return render(request, "login.html.j2", next=_safe_next(next), message="")


def _safe_next(target: str) -> str:
    """Only same-site paths (no scheme, no host, no ``//``) as the place to go after login."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.post("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=200)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the token; set the cookie and go on, or show the form again."""
    check_form(request, csrf_token)
    expected = _svc(request).settings.token
    if expected and secrets.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict")
        return response
    return render(
        request, "login.html.j2", 401, next=_safe_next(next), message="That token is not right."
    )


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Forget the token cookie."""
    check_form(request, csrf_token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response


def error_page(request: Request, error: Exception, status_code: int) -> HTMLResponse:
    """A readable error page for a failed page request (messages without the store's paths)."""
    from fabnet.web.errors import error_message, redact

    if isinstance(error, NotAuthorized):
        return render(
            request,
            "login.html.j2",
            401,
            next=_safe_next(request.url.path if request.method == "GET" else "/"),
            message=error.message,
        )
    title = {
        403: "Refused",
        404: "Not found",
        413: "Too large",
        422: "Invalid input",
        429: "Busy",
        500: "Damaged run data" if isinstance(error, DamagedRunError) else "Something went wrong",
    }.get(status_code, "Something went wrong")
    problems = error.problems if isinstance(error, ScenarioError) else []
    message = redact(error_message(error), request).splitlines()[0] if str(error) else title
    return render(
        request,
        "error.html.j2",
        status_code,
        title=title,
        message=message,
        problems=problems,
        omitted=error.omitted if isinstance(error, ScenarioError) else 0,
    )
