"""The one exception tree of fabnet.

::

    FabnetError                  anything fabnet raises on purpose
    ├── ScenarioError            a scenario file or object is invalid (carries every problem found)
    ├── DataError                a data file (e.g. an SMT2020 table) cannot be read: file, line, column
    ├── InfeasibleError          the planning model has no solution; says which inputs conflict
    ├── SolverError              the solver failed for another reason (time limit, numerical trouble)
    ├── StoreError               the run store cannot do what was asked (unknown run id, bad home)
    │   └── DamagedRunError      a file of a stored run is there but cannot be read
    └── UsageError               a command-line or API argument is out of its valid range

User-facing layers (CLI, web) catch ``FabnetError``, print ``str(error)`` and exit with status 2
(CLI) or answer 4xx (web). A message always says where the problem is and what would be valid.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass

__all__ = [
    "MAX_PROBLEMS",
    "DamagedRunError",
    "DataError",
    "FabnetError",
    "InfeasibleError",
    "Problem",
    "ScenarioError",
    "SolverError",
    "StoreError",
    "UsageError",
    "short_repr",
    "shorten",
]


class FabnetError(Exception):
    """Base class of every error fabnet raises on purpose."""


#: At most this many problems are listed in a ScenarioError (the rest are counted).
MAX_PROBLEMS = 50
#: Longest message, field path and file name shown for one problem (characters).
MAX_MESSAGE_CHARS = 500
#: Longest rendering of an offending value (characters).
MAX_VALUE_CHARS = 80


def shorten(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (with ``...``)."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


def _bounded_repr() -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel = 3
    r.maxdict = r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = 4
    r.maxstring = r.maxother = MAX_VALUE_CHARS
    r.maxlong = 40
    return r


_REPR = _bounded_repr()


def short_repr(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """A ``repr`` of ``value`` of at most ``limit`` characters, whatever its size.

    Works in bounded time: containers are cut to a few items and levels *before* they are
    rendered (``reprlib``), so a value that expands to millions of items (YAML aliases) costs
    no more than a small one.
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # a value whose repr fails: say what it is
        text = f"<{type(value).__name__}>"
    return shorten(text, limit)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Attributes:
        path: field path inside the input, e.g. ``fabs[2].capacity_wspm`` ("" for the whole file).
        message: what is wrong and what would be valid.
        value: the offending value as the user wrote it (``None`` if missing).
        file: the file the input came from, if any.
    """

    path: str
    message: str
    value: object = None
    file: str | None = None

    def __str__(self) -> str:
        where = f"{shorten(self.file)}: " if self.file else ""
        return where + self.describe()

    @property
    def shown_value(self) -> str:
        """The offending value as shown to a user: a ``repr`` cut to a few dozen characters."""
        return "" if self.value is None else short_repr(self.value)

    def describe(self) -> str:
        """The problem without its file: ``path: message (got value)``."""
        loc = shorten(self.path) or "(top level)"
        shown = "" if self.value is None else f" (got {self.shown_value})"
        return f"{loc}: {shorten(self.message)}{shown}"


class ScenarioError(FabnetError):
    """A scenario is invalid. ``problems`` lists every problem found, not only the first.

    At most :data:`MAX_PROBLEMS` problems are kept (``omitted`` counts the others), and each is
    rendered in bounded size, so the message of any input stays short.
    """

    def __init__(self, problems: list[Problem], file: str | None = None):
        self.file = file
        self.omitted = max(0, len(problems) - MAX_PROBLEMS)
        self.problems = [
            p if p.file or file is None else Problem(p.path, p.message, p.value, file)
            for p in problems[:MAX_PROBLEMS]
        ]
        n = len(self.problems) + self.omitted
        self.headline = f"{n:,} problem{'s' if n != 1 else ''} in scenario" + (
            f" {shorten(file)}" if file else ""
        )
        lines = [f"  - {p.describe() if p.file == file else p}" for p in self.problems]
        if self.omitted:
            lines.append(f"  ... and {self.omitted:,} more (fix these first)")
        super().__init__(self.headline + ":\n" + "\n".join(lines))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, shared by the CLI's ``--json`` and the web service's 4xx bodies."""
        return {
            "error": "ScenarioError",
            "message": self.headline,
            "file": None if self.file is None else shorten(self.file),
            "problems": [
                {
                    "file": None if p.file is None else shorten(p.file),
                    "path": shorten(p.path),
                    "message": shorten(p.message),
                    "value": _jsonable(p.value),
                }
                for p in self.problems
            ],
            "omitted": self.omitted,
        }


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else short_repr(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)  # JSON has no NaN or infinity
    if isinstance(value, str):
        return shorten(value, MAX_VALUE_CHARS)
    return short_repr(value)


class DataError(FabnetError):
    """A data file cannot be read. The message names the file, line and column when known."""

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ):
        self.file, self.line, self.column = file, line, column
        where = ""
        if file:
            where = str(file)
            if line is not None:
                where += f", line {line}"
            if column is not None:
                where += f", column {column}"
            where += ": "
        super().__init__(where + message)


class InfeasibleError(FabnetError):
    """The planning model has no feasible solution; ``conflicts`` explains it in scenario terms."""

    def __init__(self, message: str, conflicts: list[str] | None = None):
        self.conflicts = conflicts or []
        text = message
        if self.conflicts:
            text += "\nConflicting requirements:\n" + "\n".join(f"  - {c}" for c in self.conflicts)
        super().__init__(text)


class SolverError(FabnetError):
    """The solver stopped without a usable answer for a reason other than infeasibility."""


class StoreError(FabnetError):
    """The run store cannot do what was asked."""


class DamagedRunError(StoreError):
    """A run's stored file is there but cannot be read (damaged, or not a file).

    ``public`` is the message without file-system paths (what the web service shows); the full
    message adds ``detail`` (e.g. the file and the reader's complaint) for the command line.
    """

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message + (f" ({detail})" if detail else ""))
        self.public = message


class UsageError(FabnetError):
    """An argument is outside its valid range; the message says what is valid."""
