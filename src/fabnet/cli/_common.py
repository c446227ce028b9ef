"""Shared pieces of the command-line interface: consoles, JSON output, error exit."""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from fabnet.errors import FabnetError, ScenarioError

__all__ = ["EXIT_USER_ERROR", "console", "err_console", "fail", "print_json", "to_jsonable"]

EXIT_USER_ERROR = 2

_PIPE_WIDTH = 120
"""Width used when output is not a terminal (rich would assume 80 and squeeze tables)."""

console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else _PIPE_WIDTH)
err_console = Console(stderr=True)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas/dates/paths into plain JSON types (NaN and inf become ``None``)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return to_jsonable(obj.to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, datetime | date | pd.Timestamp | pd.Period):
        return str(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


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
