"""One error format per status: JSON for the API, a readable page for the pages.

Every JSON error body is ``{"error": <name>, "message": <text>}`` (a scenario error adds
``file``, ``problems`` and ``omitted``, as ``fabnet ... --json`` prints it); the name is fixed by the
cause (``PayloadTooLarge`` for every 413, ``Forbidden`` for every refused cross-site write,
``ScenarioError`` for an invalid scenario ...). Pages answer the same statuses with an HTML page.
Bodies are bounded (a scenario error lists at most 50 problems, each cut to a few hundred
characters), and the store's folder never appears in a message: it is replaced by
``<run store>``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from fabnet.errors import DamagedRunError, FabnetError, ScenarioError, StoreError, UsageError

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "CrossSiteRequest",
    "NotAuthorized",
    "PayloadTooLarge",
    "ServiceBusy",
    "error_body",
    "error_name",
    "error_response",
    "error_status",
    "redact",
    "wants_json",
]

_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    422: "Unprocessable",
    429: "TooManyRequests",
    500: "InternalError",
    503: "Unavailable",
}


class NotAuthorized(Exception):
    """The request needs the token and did not carry the right one (401)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CrossSiteRequest(Exception):
    """A write that came from another site (Origin/Referer) or without the form's token (403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PayloadTooLarge(HTTPException):
    """The request body is larger than the limit (413). An HTTPException, so that FastAPI lets it
    through when it is raised while the body is read."""

    def __init__(self, limit: int):
        self.message = f"the request body is larger than the limit of {limit:,} bytes"
        super().__init__(status_code=413, detail=self.message)
        self.limit = limit


class ServiceBusy(FabnetError):
    """The service is checking as many scenarios as it may at once, or a check took too long."""


def error_status(error: Exception) -> int:
    """The HTTP status for an error raised while answering a request."""
    from fabnet.web.launcher import TooManyJobs

    if isinstance(error, NotAuthorized):
        return 401
    if isinstance(error, CrossSiteRequest):
        return 403
    if isinstance(error, PayloadTooLarge):
        return 413
    if isinstance(error, TooManyJobs | ServiceBusy):
        return 429
    if isinstance(error, DamagedRunError):
        return 500
    if isinstance(error, StoreError):
        return 404
    if isinstance(error, ScenarioError | UsageError):
        return 422
    return 400


def error_name(error: Exception, status: int) -> str:
    """The ``error`` field: the fabnet error's class, else the status's fixed name."""
    if isinstance(error, FabnetError):
        return type(error).__name__
    return _NAMES.get(status) or _phrase(status)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.replace(" ", "")
    except ValueError:
        return "HTTPError"


def redact(text: str, request: Request | None) -> str:
    """``text`` with the run store's folder replaced by ``<run store>``."""
    service = getattr(getattr(getattr(request, "app", None), "state", None), "service", None)
    if service is None:
        return text
    home = service.settings.home
    for folder in {str(home.resolve()), str(home)}:
        if len(folder) > 1:
            text = text.replace(folder, "<run store>")
    return text


def error_message(error: Exception) -> str:
    """The one-line public message of an error."""
    if isinstance(error, ScenarioError):
        return error.headline
    if isinstance(error, DamagedRunError):
        return error.public
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return message
    if isinstance(error, HTTPException):
        return str(error.detail)
    return str(error)


def error_body(error: Exception, status: int, request: Request | None = None) -> dict[str, Any]:
    """The JSON body of an error (see the module docstring)."""
    if isinstance(error, ScenarioError):
        body: dict[str, Any] = error.to_dict()
        for problem in body["problems"]:
            problem["message"] = redact(problem["message"], request)
        return body
    return {"error": error_name(error, status), "message": redact(error_message(error), request)}


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages answer HTML."""
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def error_response(request: Request, error: Exception, status: int | None = None) -> Response:
    """The response for ``error``: JSON for the API, an error page for the pages."""
    status = error_status(error) if status is None else status
    if wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(error, status, request), status_code=status, headers=headers)
    from fabnet.web.pages import error_page

    return error_page(request, error, status)
