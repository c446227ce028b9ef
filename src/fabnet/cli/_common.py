"""Shared pieces of the command-line interface: consoles, JSON output, error exit."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console

from fabnet._json import to_jsonable
from fabnet.errors import FabnetError, ScenarioError

__all__ = ["EXIT_USER_ERROR", "console", "err_console", "fail", "print_json", "to_jsonable"]

EXIT_USER_ERROR = 2

_PIPE_WIDTH = 120
"""Width used when output is not a terminal (rich would assume 80 and squeeze tables)."""

console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else _PIPE_WIDTH)
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    """Print machine-readable JSON only (no colour, no markup) to standard output."""
    print(json.dumps(to_jsonable(obj), indent=2))


def fail(error: FabnetError, as_json: bool = False) -> None:
    """Report a user error without a traceback and exit with status 2."""
    import typer

    if as_json:
        payload = (
            error.to_dict()
            if isinstance(error, ScenarioError)
            else {"error": type(error).__name__, "message": str(error)}
        )
        print_json(payload)
    else:
        err_console.print(f"[bold red]error:[/] {type(error).__name__}", highlight=False)
        # plain write: rich would wrap long paths and messages at the terminal width
        sys.stderr.write(str(error) + "\n")
    raise typer.Exit(EXIT_USER_ERROR)
