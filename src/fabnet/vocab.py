"""fabnet's vocabulary: the modes that were strings checked by hand, and a calendar month.

Each mode is an :class:`enum.StrEnum`, so a member *is* its old string (``Objective.NPV ==
"npv"``, ``"npv" in (Objective.NPV,)``, ``json.dumps(Objective.NPV) == '"npv"'``) and code that
still compares strings keeps working while it adopts the enums::

    Objective.parse("npv")                        # Objective.NPV
    Recourse.parse("exact", what="--recourse")    # UsageError: unknown recourse 'exact';
                                                  #   --recourse must be one of: fast, lp
    parse(Strategy, None)                         # None passes through

``what`` names the option as the user wrote it (a CLI flag, a JSON key); the message always lists
the valid values.

:class:`Month` is a calendar month (``"YYYY-MM"``, parsed strictly) with month arithmetic::

    m = Month.parse("2024-11")
    str(m + 3)                                    # "2025-02"
    Month.parse("2025-02") - m                    # 3 (months)
    m < m + 1                                     # True

This module imports nothing heavy: the CLI may import it at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self, TypeVar, overload

from fabnet.errors import UsageError

__all__ = [
    "AllocationPolicy",
    "Choice",
    "ExecutorKind",
    "Month",
    "MonthError",
    "Objective",
    "Recourse",
    "ReleaseMode",
    "RobustMethod",
    "Strategy",
    "parse",
]


class Choice(StrEnum):
    """A mode given as text; subclasses list the valid values as members."""

    @classmethod
    def noun(cls) -> str:
        """What one value is called in messages (``allocation policy``)."""
        return _NOUNS.get(cls.__name__, cls.__name__.lower())

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The valid values, in their documented order."""
        return tuple(member.value for member in cls)

    @classmethod
    def parse(cls, value: object, what: str | None = None) -> Self:
        """The member whose value is ``value`` (a member passes through).

        Raises:
            UsageError: ``value`` is not one of the valid values (the message names them, and
                ``what`` – the option as the user wrote it – if given).
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        name = what or cls.noun()
        raise UsageError(
            f"unknown {cls.noun()} {value!r}; {name} must be one of: {', '.join(cls.values())}"
        )


class Objective(Choice):
    """What the planner optimises (``fabnet plan --objective``, ``policy.objective``)."""

    NPV = "npv"
    SHORTAGE = "shortage"
    COST = "cost"


class AllocationPolicy(Choice):
    """How scarce accelerators are shared (``fabnet plan --policy``, ``policy.allocation``)."""

    PRIORITY = "priority"
    PROPORTIONAL = "proportional"
    MAXMIN = "maxmin"
    CONTRACTS = "contracts"


class Strategy(Choice):
    """Which capacity options exist: all, existing fabs only, greenfield only."""

    MIXED = "mixed"
    BUY = "buy"
    BUILD = "build"


class Recourse(Choice):
    """Operations in each sampled future: ``fast`` (vectorised) or ``lp`` (HiGHS per future)."""

    FAST = "fast"
    LP = "lp"


class ExecutorKind(Choice):
    """Where sampled futures are evaluated: a ``local`` process pool or ``ray``."""

    LOCAL = "local"
    RAY = "ray"


class RobustMethod(Choice):
    """``fabnet risk --robust-method``: the sample-average MIP or a choice among candidates."""

    SAA = "saa"
    CANDIDATES = "candidates"


class ReleaseMode(Choice):
    """How the fab simulator releases lots (``fabnet.fab`` ``SimConfig.release``)."""

    ORDERS = "orders"
    CONWIP = "conwip"


_NOUNS = {
    "Objective": "objective",
    "AllocationPolicy": "allocation policy",
    "Strategy": "strategy",
    "Recourse": "recourse",
    "ExecutorKind": "executor",
    "RobustMethod": "robust method",
    "ReleaseMode": "release mode",
}

C = TypeVar("C", bound=Choice)


@overload
def parse(kind: type[C], value: None, what: str | None = None) -> None: ...
@overload
def parse(kind: type[C], value: object, what: str | None = None) -> C | None: ...
def parse(kind: type[C], value: object, what: str | None = None) -> C | None:
    """``kind.parse(value, what)``, with ``None`` (an option not given) passed through."""
    if value is None:
        return None
    return kind.parse(value, what)


# -- calendar -------------------------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthError(UsageError, ValueError):
    """Text that is not a month ``YYYY-MM``; a ``ValueError`` too, so pydantic validators may
    raise it."""


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month. Ordered, hashable; ``str()`` gives ``YYYY-MM``.

    ``month + n`` and ``month - n`` move by ``n`` months; ``a - b`` is the number of months from
    ``b`` to ``a`` (``Month.parse("2024-03") - Month.parse("2024-01") == 2``).
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise MonthError(f"a month's year must be a whole number (got {self.year!r})")
        if isinstance(self.month, bool) or not isinstance(self.month, int):
            raise MonthError(f"a month's month must be a whole number (got {self.month!r})")
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise MonthError(
                f"no such month {self.year:04d}-{self.month:02d}: the year must be 1-9999 and "
                "the month 01-12"
            )

    @classmethod
    def parse(cls, value: object) -> Month:
        """``"YYYY-MM"`` exactly (a :class:`Month` passes through).

        Raises:
            MonthError: anything else (``"2024-3"``, ``"2024-13"``, ``"2024-03-01"``, a number).
        """
        if isinstance(value, Month):
            return value
        if isinstance(value, str):
            match = _MONTH.fullmatch(value)
            if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
                return cls(int(match.group(1)), int(match.group(2)))
        raise MonthError(f"a month must be written YYYY-MM, e.g. 2024-03 (got {value!r})")

    @classmethod
    def of(cls, day: date) -> Month:
        """The month of a date (or datetime, or ``pandas.Timestamp``)."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> Month:
        """The month ``index`` months after January of year 0 (inverse of :attr:`index`)."""
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since January of year 0: consecutive months have consecutive indices."""
        return self.year * 12 + self.month - 1

    def range(self, count: int) -> list[Month]:
        """This month and the ``count - 1`` months after it."""
        return [self + k for k in range(count)]

    def __add__(self, months: int) -> Month:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return Month.from_index(self.index + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: int) -> Month: ...
    @overload
    def __sub__(self, other: Month) -> int: ...
    def __sub__(self, other: int | Month) -> Month | int:
        if isinstance(other, Month):
            return self.index - other.index
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Month.from_index(self.index - other)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Month('{self}')"
