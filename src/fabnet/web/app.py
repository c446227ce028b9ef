"""The FastAPI application: wiring of settings, store, scenario library, launcher and routes.

``create_app(home)`` returns an ASGI app; ``fabnet serve`` runs it with uvicorn. Errors never
become a 500 for a user's input: :class:`~fabnet.errors.ScenarioError` → 422 with its
``to_dict()`` (the CLI's JSON), an unknown run or scenario → 404, a bad argument → 422, too many
jobs or checks → 429, a missing or wrong token → 401, a write from another origin or without
its form token → 403, a body over the limit → 413; only a run's damaged file (or a bug) is a
500. API paths answer JSON; pages answer an HTML page; one format per status
(:mod:`fabnet.web.errors`). Security: :mod:`fabnet.web.security`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from fabnet import __version__
from fabnet.errors import MAX_PROBLEMS, FabnetError, UsageError, shorten
from fabnet.web.errors import (
    CrossSiteRequest,
    NotAuthorized,
    error_response,
    error_status,
    wants_json,
)
from fabnet.web.launcher import JobLauncher, ProcessLauncher
from fabnet.web.library import ScenarioLibrary
from fabnet.web.security import (
    BodyLimitMiddleware,
    CsrfTokens,
    OriginCheckMiddleware,
    check_token_setting,
)
from fabnet.web.service import WebService
from fabnet.web.settings import WebSettings

__all__ = ["create_app", "error_status"]

_STATIC = Path(__file__).parent / "static"
#: Multipart framing around an uploaded file: allowed on top of the file size limit.
_BODY_SLACK = 64 * 1024


def _install_error_handlers(app: FastAPI) -> None:
    """One error format per status, for pages and the API alike; never a traceback or a path."""

    @app.exception_handler(FabnetError)
    async def fabnet_error(request: Request, error: FabnetError) -> Response:
        return error_response(request, error)

    @app.exception_handler(NotAuthorized)
    async def not_authorized(request: Request, error: NotAuthorized) -> Response:
        return error_response(request, error, 401)

    @app.exception_handler(CrossSiteRequest)
    async def cross_site(request: Request, error: CrossSiteRequest) -> Response:
        return error_response(request, error, 403)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not wants_json(request) and error.status_code == 404:
            return error_response(
                request, StarletteHTTPException(404, "There is no page at this address."), 404
            )
        response = error_response(request, error, error.status_code)
        for key, value in (getattr(error, "headers", None) or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # a bug: the same format as every other error, never a traceback or a server path
        return error_response(request, RuntimeError("internal error; see the server's log"), 500)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [
            {
                "path": shorten(".".join(str(p) for p in e.get("loc", ()) if p != "body"), 200),
                "message": shorten(str(e.get("msg", "")), 300),
            }
            for e in error.errors()[:MAX_PROBLEMS]
        ]
        text = shorten("; ".join(f"{p['path']}: {p['message']}" for p in problems), 2000)
        return JSONResponse(
            {"error": "RequestValidationError", "message": text, "problems": problems},
            status_code=422,
        )


def create_app(
    home: Path | str | None = None,
    *,
    token: str | None = None,
    host: str = "127.0.0.1",
    launcher: JobLauncher | None = None,
    settings: WebSettings | None = None,
    trusted_origins: tuple[str, ...] = (),
) -> FastAPI:
    """The web service for the run store at ``home`` (default ``$FABNET_HOME`` or ``./.fabnet``).

    Args:
        home: the run store's folder.
        token: the access token for writes (``None``: open — only for a loopback ``host``).
        host: the address the server binds to (recorded; a non-loopback host needs a token).
        launcher: how jobs start (default: a :class:`ProcessLauncher`, one process per job).
        settings: all settings at once (overrides ``home``, ``token`` and ``host``).
        trusted_origins: origins besides the service's own that may post to it (e.g. the
            public address of a proxy that rewrites the ``Host`` header).

    Raises:
        UsageError: a non-loopback host without a token, or a blank token.
        StoreError: the home cannot be used.
    """
    from fabnet.store import RunStore, default_home
    from fabnet.web.settings import is_loopback

    if settings is None:
        settings = WebSettings(
            home=(Path(home) if home is not None else default_home()).absolute(),
            token=check_token_setting(token),
            host=host,
            trusted_origins=tuple(trusted_origins),
        )
    else:
        check_token_setting(settings.token)
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
    app.state.csrf = CsrfTokens()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + _BODY_SLACK)
    # added last, so it runs first: a cross-site write is refused before its body is read
    app.add_middleware(OriginCheckMiddleware, trusted_origins=settings.trusted_origins)

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

    _install_error_handlers(app)
    return app


def app_from_env() -> FastAPI:
    """An app configured from the environment (``FABNET_HOME``, ``FABNET_TOKEN``,
    ``FABNET_HOST``): for ``uvicorn --factory fabnet.web.app:app_from_env``."""
    return create_app(
        os.environ.get("FABNET_HOME") or None,
        token=WebSettings.token_from_env(),
        trusted_origins=WebSettings.trusted_origins_from_env(),
        host=os.environ.get("FABNET_HOST", "127.0.0.1"),
    )
