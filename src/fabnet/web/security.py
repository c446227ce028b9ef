"""Who may write, how big a request may be, and which names may reach the file system.

- **Token.** When the service has a token (always when bound to a non-loopback address), every
  request that writes or starts work must carry it: ``Authorization: Bearer <token>`` or the
  ``fabnet_token`` cookie set by the login form. Compared in constant time
  (:func:`secrets.compare_digest`). The cookie is ``HttpOnly`` and ``SameSite=Strict``, so another
  site cannot make a logged-in browser post to the service.
- **Size.** :class:`BodyLimitMiddleware` answers 413 to a body larger than the limit, whether the
  client announced its length or streams it.
- **Names.** Run ids are resolved by the store (id, unique prefix or ``latest``; nothing else);
  artefacts come from the fixed allow-list :data:`ARTEFACTS`; table names must be tables the
  store registered for that run; scenario ids are a built-in name or 12 hex digits.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException, Request

__all__ = [
    "ARTEFACTS",
    "COOKIE_NAME",
    "TABLE_NAME",
    "BodyLimitMiddleware",
    "BodyTooLarge",
    "NotAuthorized",
    "check_token",
    "request_token",
]

COOKIE_NAME = "fabnet_token"

#: Files of a run the service serves, and their media types.
ARTEFACTS: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "summary.json": "application/json",
}

TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class NotAuthorized(Exception):
    """The request needs the token and did not carry the right one."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def request_token(request: Request) -> str | None:
    """The token a request carries: the bearer header first, then the cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(COOKIE_NAME)
    return cookie or None


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


class BodyTooLarge(HTTPException):
    """The request body is larger than the limit (413)."""

    def __init__(self, limit: int):
        super().__init__(
            status_code=413,
            detail=f"the request body is larger than the limit of {limit:,} bytes",
        )
        self.limit = limit


class BodyLimitMiddleware:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": "PayloadTooLarge",
                "message": f"the request body is larger than the limit of {self.max_bytes:,} bytes",
            }
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

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
                    await self._reject(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)
