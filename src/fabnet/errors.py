"""The one exception tree of fabnet.

::

    FabnetError                  anything fabnet raises on purpose
    ├── ScenarioError            a scenario file or object is invalid (carries every problem found)
    ├── DataError                a data file (e.g. an SMT2020 table) cannot be read: file, line, column
    ├── InfeasibleError          the planning model has no solution; says which inputs conflict
    ├── SolverError              the solver failed for another reason (time limit, numerical trouble)
    ├── StoreError               the run store cannot do what was asked (unknown run id, bad home)
    └── UsageError               a command-line or API argument is out of its valid range

User-facing layers (CLI, web) catch ``FabnetError``, print ``str(error)`` and exit with status 2
(CLI) or answer 4xx (web). A message always says where the problem is and what would be valid.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DataError",
    "FabnetError",
    "InfeasibleError",
    "Problem",
    "ScenarioError",
    "SolverError",
    "StoreError",
    "UsageError",
]


class FabnetError(Exception):
    """Base class of every error fabnet raises on purpose."""


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
        where = f"{self.file}: " if self.file else ""
        return where + self.describe()

    def describe(self) -> str:
        """The problem without its file: ``path: message (got value)``."""
        loc = self.path or "(top level)"
        shown = "" if self.value is None else f" (got {_short_repr(self.value)})"
        return f"{loc}: {self.message}{shown}"


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScenarioError(FabnetError):
    """A scenario is invalid. ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem], file: str | None = None):
        self.file = file
        self.problems = [
            p if p.file or file is None else Problem(p.path, p.message, p.value, file)
            for p in problems
        ]
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario" + (f" {file}" if file else "")
        lines = [f"  - {p.describe() if p.file == file else p}" for p in self.problems]
        super().__init__(head + ":\n" + "\n".join(lines))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, shared by the CLI's ``--json`` and the web service's 4xx bodies."""
        return {
            "error": "ScenarioError",
            "file": self.file,
            "problems": [
                {"file": p.file, "path": p.path, "message": p.message, "value": _jsonable(p.value)}
                for p in self.problems
            ],
        }


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


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


class UsageError(FabnetError):
    """An argument is outside its valid range; the message says what is valid."""
