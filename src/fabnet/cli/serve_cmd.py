"""``fabnet serve``: the web service and dashboard (needs the extra ``fabnet[web]``)."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from fabnet.cli._common import EXIT_USER_ERROR, err_console, fail
from fabnet.errors import FabnetError, UsageError

__all__ = ["register"]

_MISSING = (
    "the web service needs the optional extra 'web' (fastapi, uvicorn, python-multipart, "
    "httpx): pip install 'fabnet[web]'"
)


def trusted_origins() -> tuple[str, ...]:
    """Origins besides the service's own that may post to it (``$FABNET_TRUSTED_ORIGINS``)."""
    from fabnet.web.settings import WebSettings

    return WebSettings.trusted_origins_from_env()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on."),
    home: Path | None = typer.Option(
        None, "--home", help="Run store folder (default: $FABNET_HOME, else ./.fabnet)."
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        envvar="FABNET_TOKEN",
        help="Access token for uploads and runs (env FABNET_TOKEN). Needed off localhost; "
        "'auto' makes a random one.",
        show_envvar=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the address as JSON, no banner."),
) -> None:
    """Start the web dashboard and JSON API (Ctrl-C stops it and the runs it started)."""
    try:
        import python_multipart  # noqa: F401 - form uploads
        import uvicorn

        import fabnet.web  # noqa: F401 - checks fastapi is there
    except ModuleNotFoundError as exc:
        from rich.markup import escape  # [web] in the message is text, not markup

        err_console.print(
            f"[bold red]error:[/] {escape(_MISSING)} (missing: {exc.name})", highlight=False
        )
        raise typer.Exit(EXIT_USER_ERROR) from None
    from fabnet.web import create_app, is_loopback
    from fabnet.web.security import check_token_setting

    if token == "auto":
        token = secrets.token_urlsafe(24)
    try:
        token = check_token_setting(token)  # a blank --token or FABNET_TOKEN is an error
        if not token and not is_loopback(host):
            raise UsageError(
                f"--host {host} lets other machines reach the service: give --token (or set "
                "FABNET_TOKEN; --token auto makes one), or bind to 127.0.0.1"
            )
        app = create_app(home, token=token, host=host, trusted_origins=trusted_origins())
    except FabnetError as error:
        fail(error, as_json)
        return
    settings = app.state.service.settings
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if as_json:
        import json

        print(json.dumps({"url": url, "home": str(settings.home), "auth_required": bool(token)}))
    else:
        err_console.print(f"fabnet dashboard on [bold]{url}[/]  (runs in {settings.home})")
        if token:
            err_console.print(f"access token: [bold]{token}[/]  (log in at {url}login)")
        err_console.print("Ctrl-C stops the service and the runs it started.")
    uvicorn.run(app, host=host, port=port, log_level="warning" if as_json else "info")


def register(app: typer.Typer) -> None:
    """Attach ``fabnet serve`` to the CLI."""
    app.command("serve")(serve)
