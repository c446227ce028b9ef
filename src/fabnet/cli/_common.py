"""Shared pieces of the command-line interface: consoles, JSON output, error exit."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from fabnet.errors import FabnetError, ScenarioError

__all__ = ["EXIT_USER_ERROR", "console", "err_console", "fail", "print_json", "to_jsonable"]

EXIT_USER_ERROR = 2

_PIPE_WIDTH = 120
"""Width used when output is not a terminal (rich would assume 80 and squeeze tables)."""


class _Console:
    """A ``rich.console.Console`` made on first use: importing rich costs CLI start-up time that
    ``fabnet --version`` and ``fabnet --help`` need not spend. Every attribute is the real
    console's."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._real: Any = None

    def real(self) -> Any:
        """The console itself (made now if it was not yet)."""
        if self._real is None:
            from rich.console import Console

            if self._stderr:
                self._real = Console(stderr=True)
            else:
                tty = sys.stdout.isatty() or "COLUMNS" in os.environ
                self._real = Console(width=None if tty else _PIPE_WIDTH)
        return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def __enter__(self) -> Any:  # rich's Live and Progress enter their console
        return self.real().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.real().__exit__(*exc)


console: Any = _Console(stderr=False)
err_console: Any = _Console(stderr=True)


def to_jsonable(obj: Any) -> Any:
    """:func:`fabnet._json.to_jsonable` (imported on use: it loads numpy and pandas, which
    ``fabnet --help`` should not wait for)."""
    from fabnet._json import to_jsonable as convert

    return convert(obj)


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
