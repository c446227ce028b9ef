"""The FastAPI application: wiring of settings, store, scenario library, launcher and routes.

``create_app(home)`` returns an ASGI app; ``fabnet serve`` runs it with uvicorn. Errors never
become a 500 for a user's input: :class:`~fabnet.errors.ScenarioError` → 422 with its
``to_dict()`` (the CLI's JSON), an unknown run or scenario → 404, a bad argument → 422, too many
jobs → 429, a missing or wrong token → 401. API paths answer JSON; pages answer an HTML page.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fabnet import __version__
from fabnet.errors import FabnetError, ScenarioError, StoreError, UsageError
from fabnet.web.launcher import JobLauncher, ProcessLauncher, TooManyJobs
from fabnet.web.library import ScenarioLibrary
from fabnet.web.security import BodyLimitMiddleware, NotAuthorized
from fabnet.web.service import WebService
from fabnet.web.settings import WebSettings

__all__ = ["create_app", "error_status"]

_STATIC = Path(__file__).parent / "static"
#: Multipart framing around an uploaded file: allowed on top of the file size limit.
_BODY_SLACK = 64 * 1024


def error_status(error: Exception) -> int:
    """The HTTP status for a fabnet error raised while answering a request."""
    if isinstance(error, NotAuthorized):
        return 401
    if isinstance(error, TooManyJobs):
        return 429
    if isinstance(error, StoreError):
        return 404
    if isinstance(error, ScenarioError | UsageError):
        return 422
    return 400


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def _error_body(error: Exception) -> dict[str, Any]:
    if isinstance(error, ScenarioError):
        return error.to_dict()
    if isinstance(error, NotAuthorized):
        return {"error": "Unauthorized", "message": error.message}
    return {"error": type(error).__name__, "message": str(error)}


def create_app(
    home: Path | str | None = None,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    launcher: JobLauncher | None = None,
    settings: WebSettings | None = None,
) -> FastAPI:
    """The web service for the run store at ``home`` (default ``$FABNET_HOME`` or ``./.fabnet``).

    Args:
        home: the run store's folder.
        token: the access token for writes (``None``: open — only for a loopback ``host``).
        host: the address the server binds to (recorded; a non-loopback host needs a token).
        launcher: how jobs start (default: a :class:`ProcessLauncher`, one process per job).
        settings: all settings at once (overrides ``home``, ``token`` and ``host``).

    Raises:
        UsageError: a non-loopback host without a token.
        StoreError: the home cannot be used.
    """
    from fabnet.store import RunStore, default_home
    from fabnet.web.settings import is_loopback

    if settings is None:
        settings = WebSettings(
            home=(Path(home) if home is not None else default_home()).absolute(),
            token=token or None,
            host=host,
        )
    if not settings.token and not is_loopback(settings.host):
        raise UsageError(
            f"the service listens on {settings.host}, which other machines can reach: give a "
            "token with --token or FABNET_TOKEN (or bind to 127.0.0.1)"
        )
    store = RunStore(settings.home)
    library = ScenarioLibrary(settings.scenarios_dir, settings.max_uploads)
    if launcher is None:
        launcher = ProcessLauncher(settings.home, settings.max_jobs, settings.log_dir)
    service = WebService(settings, store, library, launcher)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.service.launcher.shutdown()

    app = FastAPI(
        title="fabnet",
        version=__version__,
        summary="Plan, simulate and finance a network of AI-chip wafer fabs.",
        description=(
            "The JSON API behind the fabnet dashboard. Writes (uploading a scenario, starting a "
            "run) need `Authorization: Bearer <token>` when the service has a token. Scenario "
            "errors answer 422 with the same JSON as `fabnet ... --json`."
        ),
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the machine may be offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + _BODY_SLACK)

    from fabnet.web import api, pages, quotes

    app.include_router(api.router)
    app.include_router(pages.router)
    quotes.install(app)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> Response:
        from fabnet.report import plotly_js

        return Response(
            plotly_js(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    def respond(request: Request, error: Exception, status: int) -> Response:
        if _wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(_error_body(error), status_code=status, headers=headers)
        return pages.error_page(request, error, status)

    @app.exception_handler(FabnetError)
    async def fabnet_error(request: Request, error: FabnetError) -> Response:
        return respond(request, error, error_status(error))

    @app.exception_handler(NotAuthorized)
    async def not_authorized(request: Request, error: NotAuthorized) -> Response:
        return respond(request, error, 401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _wants_json(request) or error.status_code not in (404, 405, 413):
            return JSONResponse(
                {"error": _reason(error.status_code), "message": str(error.detail)},
                status_code=error.status_code,
                headers=getattr(error, "headers", None),
            )
        message = (
            "There is no page at this address." if error.status_code == 404 else str(error.detail)
        )
        return pages.error_page(request, Exception(message), error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            {
                "path": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg", ""),
            }
            for e in error.errors()
        ]
        text = "; ".join(f"{p['path']}: {p['message']}" for p in problems)
        return JSONResponse(
            {"error": "RequestValidationError", "message": text, "detail": problems},
            status_code=422,
        )

    return app


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "HTTPError"


def app_from_env() -> FastAPI:
    """An app configured from the environment (``FABNET_HOME``, ``FABNET_TOKEN``,
    ``FABNET_HOST``): for ``uvicorn --factory fabnet.web.app:app_from_env``."""
    return create_app(
        os.environ.get("FABNET_HOME") or None,
        token=WebSettings.token_from_env(),
        host=os.environ.get("FABNET_HOST", "127.0.0.1"),
    )
