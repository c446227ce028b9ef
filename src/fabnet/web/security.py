"""Who may write, from where, how big a request may be, and which names reach the file system.

- **Token.** When the service has a token (always when bound to a non-loopback address), every
  request that writes or starts work, and every expensive check, must carry it:
  ``Authorization: Bearer <token>`` or the ``fabnet_token`` cookie set by the login form.
  Compared in constant time (:func:`secrets.compare_digest`). A blank token is refused at
  start-up (:func:`check_token_setting`).
- **Cross-site writes (CSRF).** :class:`OriginCheckMiddleware` refuses (403) every request with a
  method other than GET/HEAD/OPTIONS whose ``Origin`` (else ``Referer``) is not this service's own
  scheme-less host and port, so neither another site nor a page on the same host but another
  port can post to it (cookies, even ``SameSite=Strict`` ones, do not tell ports apart). On top,
  every form carries a per-session token (:class:`CsrfTokens`: an HMAC of the ``fabnet_session``
  cookie under a secret made at start-up) that the page checks; an API call that relies on the
  login cookie instead of the bearer header must send the same token as ``X-CSRF-Token``.
- **Size.** :class:`BodyLimitMiddleware` answers 413 to a body larger than the limit, whether the
  client announced its length or streams it, in the same format as every other 413.
- **Names.** Run ids are resolved by the store (id, unique prefix or ``latest``; nothing else);
  artefacts come from the fixed allow-list :data:`ARTEFACTS`; table names must be tables the
  store registered for that run; scenario ids are a built-in name or 12 hex digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from fabnet.errors import UsageError
from fabnet.web.errors import CrossSiteRequest, NotAuthorized, PayloadTooLarge, error_response

__all__ = [
    "ARTEFACTS",
    "COOKIE_NAME",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "TABLE_NAME",
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "CrossSiteRequest",
    "CsrfTokens",
    "NotAuthorized",
    "OriginCheckMiddleware",
    "check_token",
    "check_token_setting",
    "request_token",
    "same_origin",
]

COOKIE_NAME = "fabnet_token"
#: The session cookie the form tokens are bound to.
SESSION_COOKIE = "fabnet_session"
#: The hidden form field with the form token.
CSRF_FIELD = "csrf_token"
#: The header an API call authenticated by the login cookie sends the form token in.
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Files of a run the service serves, and their media types.
ARTEFACTS: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "summary.json": "application/json",
}

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

#: Kept for callers of the old name: an oversized body.
BodyTooLarge = PayloadTooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def check_token_setting(token: str | None) -> str | None:
    """The service's token as given, ``None`` for none; UsageError for a blank one.

    A token of only spaces (say ``FABNET_TOKEN="   "``) would otherwise become the token, and
    surrounding spaces could never be matched by a bearer header (headers are trimmed).
    """
    if token is None:
        return None
    if not token.strip():
        raise UsageError(
            "the access token (--token or FABNET_TOKEN) is blank; give a real one (--token auto "
            "makes a random one), or leave both unset on 127.0.0.1"
        )
    if token != token.strip():
        raise UsageError("the access token (--token or FABNET_TOKEN) starts or ends with spaces")
    return token


def request_token(request: Request) -> str | None:
    """The token a request carries: the bearer header first, then the cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(COOKIE_NAME)
    return cookie or None


def _bearer(request: Request) -> bool:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(value.strip())


def check_token(request: Request, token: str | None) -> None:
    """Raise :class:`NotAuthorized` unless ``token`` is ``None`` or the request carries it."""
    if not token:
        return
    given = request_token(request)
    if given is None:
        raise NotAuthorized(
            "this service needs a token to write or start work: send 'Authorization: Bearer "
            "<token>' or log in at /login"
        )
    if not secrets.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        raise NotAuthorized("wrong token; log in again at /login")


class CsrfTokens:
    """Per-session form tokens: ``HMAC-SHA256(secret, session id)``.

    The secret is made when the service starts, so a form from before a restart is refused
    (reload the page). The session id is a random cookie (``HttpOnly``, ``SameSite=Strict``).
    """

    def __init__(self, secret: bytes | None = None):
        self._secret = secret or secrets.token_bytes(32)

    @staticmethod
    def new_session() -> str:
        """A fresh session id."""
        return secrets.token_urlsafe(32)

    @staticmethod
    def session_of(request: Request) -> str | None:
        """The request's session id, if it has a well-formed one."""
        value = request.cookies.get(SESSION_COOKIE, "")
        return value if _SESSION.match(value) else None

    def token(self, session: str) -> str:
        """The form token of a session."""
        return hmac.new(self._secret, session.encode("ascii"), hashlib.sha256).hexdigest()

    def check(self, request: Request, given: str | None) -> None:
        """Raise :class:`CrossSiteRequest` unless ``given`` is the request's session token."""
        session = self.session_of(request)
        if (
            not session
            or not given
            or not secrets.compare_digest(
                given.encode("utf-8", "replace"), self.token(session).encode("ascii")
            )
        ):
            raise CrossSiteRequest(
                "this form has expired or did not come from this service's own page; reload the "
                "page and send it again"
            )

    def check_api(self, request: Request, token: str | None) -> None:
        """An API write that relies on the login cookie (no bearer header) must send the form
        token in ``X-CSRF-Token``; bearer calls and services without a token need nothing."""
        if not token or _bearer(request) or not request.cookies.get(COOKIE_NAME):
            return
        self.check(request, request.headers.get(CSRF_HEADER))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(source: str, host: str, trusted: tuple[str, ...] = ()) -> bool:
    """Whether an ``Origin`` (or ``Referer``) URL names this service's host and port.

    ``host`` is the request's ``Host`` header. The scheme is not compared (a TLS proxy in front
    may speak plain HTTP to the service); a ``Host`` without a port matches the default port of
    the source's scheme. ``trusted`` lists further origins (``scheme://host[:port]``) accepted.
    """
    try:
        src = urlsplit(source.strip())
        src_port = src.port or _DEFAULT_PORTS.get(src.scheme)
        own = urlsplit("//" + host.strip())
        own_port = own.port or _DEFAULT_PORTS.get(src.scheme)
    except ValueError:
        return False
    if src.scheme not in _DEFAULT_PORTS or not src.hostname or not own.hostname:
        return False
    origin = f"{src.scheme}://{src.netloc.rpartition('@')[2]}".lower()
    if origin in trusted:
        return True
    return src.hostname == own.hostname and src_port == own_port


class OriginCheckMiddleware:
    """ASGI middleware: 403 for a state-changing request from another origin (see the module
    docstring). Requests without ``Origin`` and ``Referer`` (command-line clients) pass: browsers
    send ``Origin`` on every cross-origin POST, and the pages' forms carry a token besides."""

    def __init__(self, app: ASGIApp, trusted_origins: tuple[str, ...] = ()):
        self.app = app
        self.trusted = tuple(o.rstrip("/").lower() for o in trusted_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        origin = headers.get("origin")
        referer = headers.get("referer")
        refused = None
        if origin is not None:
            if not same_origin(origin, host, self.trusted):
                refused = f"a write from {origin[:100]!r}, which is not this service's own origin"
        elif referer is not None and not same_origin(referer, host, self.trusted):
            refused = "a write from a page of another origin"
        if refused is None:
            await self.app(scope, receive, send)
            return
        error = CrossSiteRequest(
            f"refused {refused}: the service only takes writes from its own pages (or from "
            "clients that send no Origin, such as curl with a bearer token)"
        )
        await error_response(Request(scope), error, 403)(scope, receive, send)


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(Request(scope), PayloadTooLarge(self.max_bytes), 413)
        response.headers["connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge:
            if not started:
                await self._reject(scope, receive, send)
