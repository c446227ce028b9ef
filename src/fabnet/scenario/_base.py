"""Base pieces shared by every scenario component: strict models, months, time series."""

from __future__ import annotations

import datetime as _dt
import functools
import math
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from fabnet.errors import short_repr
from fabnet.scenario.limits import MAX_PATH_CHARS, MAX_QUANTITY, MAX_SERIES_POINTS

__all__ = [
    "MONTH_PATTERN",
    "FilePath",
    "FractionPath",
    "Month",
    "Number",
    "Series",
    "StrictModel",
    "add_months",
    "month_index",
    "parse_month",
    "series_end",
    "series_values",
]


class StrictModel(BaseModel):
    """A scenario component: unknown fields are errors, instances are frozen, and values are taken
    as written: a number must be a finite number (not ``true``, not text, not ``.inf``/``NaN``), a
    whole number a whole number, a yes/no ``true`` or ``false``."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False
    )


MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")
_YEARS = (1900, 2200)
_MONTH_HINT = "a month must be written YYYY-MM, e.g. 2024-03"


def parse_month(value: object) -> str:
    """Accept ``"2024-03"`` (or a date/datetime, or ``2024-03-01``) and return ``"YYYY-MM"``.

    A date must be a real one (``2024-02-30`` is refused) and the year within 1900..2200.
    """
    if isinstance(value, str) and len(value) <= 40:
        return _parse_month_text(value)  # cached: a series repeats the same months
    return _parse_month(value)


@functools.lru_cache(maxsize=4096)
def _parse_month_text(value: str) -> str:
    return _parse_month(value)


def _parse_month(value: object) -> str:
    if isinstance(value, _dt.date):  # datetime.datetime is a date too (TOML, xlsx)
        year, month = value.year, value.month
    elif isinstance(value, str):
        text = value.strip()
        m = MONTH_PATTERN.match(text)
        d = None if m else _DATE.match(text)
        if d is not None:
            try:
                _dt.date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
            except ValueError:
                raise ValueError(f"{text[:10]} is not a real date ({_MONTH_HINT})") from None
            m = MONTH_PATTERN.match(text[:7])
        if m is None:
            raise ValueError(_MONTH_HINT)
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month {month:02d} does not exist ({_MONTH_HINT})")
    else:
        raise ValueError(_MONTH_HINT)
    if not _YEARS[0] <= year <= _YEARS[1]:
        raise ValueError(f"year {year} is outside {_YEARS[0]}..{_YEARS[1]}")
    return f"{year:04d}-{month:02d}"


_NUMBER_TEXT = re.compile(r"^\s*[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?\s*$")


def _number_text(value: object) -> object:
    """A number written as text (``"900.0e6"``, as YAML 1.1 readers return it) as a float."""
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value.replace("_", ""))
    return value


Number = Annotated[float, BeforeValidator(_number_text)]
"""A finite number. Written as a number, or as text that is one (``"900.0e6"``: PyYAML's
``safe_load`` returns such numbers as text); never ``true``/``false``, ``inf`` or ``NaN``."""


Month = Annotated[str, BeforeValidator(parse_month)]
"""A calendar month written ``YYYY-MM``."""


def _no_nul(value: object) -> object:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a file path cannot contain a NUL character")
        if len(value) > MAX_PATH_CHARS:
            raise ValueError(f"a file path of at most {MAX_PATH_CHARS:,} characters")
        if not value.strip():
            raise ValueError("a file path cannot be blank")
    return value


FilePath = Annotated[str, BeforeValidator(_no_nul)]
"""The path of a file the scenario refers to (no NUL characters, at most 1,024 characters)."""


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month`` (both ``YYYY-MM``): ``month_index("2024-03", "2024-01") == 2``."""
    y1, m1 = (int(p) for p in start.split("-"))
    y2, m2 = (int(p) for p in month.split("-"))
    return (y2 - y1) * 12 + (m2 - m1)


def _series_number(v: object, where: str) -> float:
    v = _number_text(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{where}must be a number >= 0, got {short_repr(v)}")
    if not math.isfinite(v):
        raise ValueError(f"{where}must be a finite number >= 0, got {v!r}")
    if not 0 <= v <= MAX_QUANTITY:
        raise ValueError(f"{where}must lie in 0 .. {MAX_QUANTITY:g}, got {v!r}")
    return float(v)


def _parse_series(value: object) -> float | dict[str, float]:
    if isinstance(value, bool):
        raise ValueError(
            "expected a number or a mapping {YYYY-MM: number}; true/false is not a number"
        )
    if isinstance(value, int | float):
        return _series_number(value, "")
    if isinstance(value, dict) and value:
        if len(value) > MAX_SERIES_POINTS:
            raise ValueError(f"{len(value):,} points; a series has at most {MAX_SERIES_POINTS:,}")
        out: dict[str, float] = {}
        for key, v in value.items():
            try:
                month = parse_month(key)
            except ValueError as exc:
                raise ValueError(f"key {short_repr(key)}: {exc}") from None
            if month in out:
                raise ValueError(f"month {month} appears twice (as {short_repr(key)})")
            out[month] = _series_number(v, f"value at {month} ")
        return dict(sorted(out.items()))
    raise ValueError("expected a number >= 0 or a non-empty mapping {YYYY-MM: number >= 0}")


Series = Annotated[float | dict[str, float], BeforeValidator(_parse_series)]
"""A non-negative quantity over time: one number (constant), or ``{YYYY-MM: value}`` points joined
by straight lines and held flat before the first and after the last point."""


def _parse_fraction_path(value: object) -> float | dict[str, float]:
    """A :data:`Series` whose every value is a fraction in (0, 1]."""
    hint = "a fraction in (0, 1], e.g. 0.95, or {YYYY-MM: fraction} points, e.g. {2024-08: 0.6}"
    if isinstance(value, bool):
        raise ValueError(f"expected {hint}; true/false is not a number")
    value = _number_text(value)
    if not isinstance(value, int | float | dict):
        raise ValueError(f"expected {hint}")
    parsed = _parse_series(value)
    points = parsed.items() if isinstance(parsed, dict) else [("", parsed)]
    for month, v in points:
        if not 0 < v <= 1:
            where = f"value at {month} " if month else ""
            raise ValueError(f"{where}must lie in (0, 1] ({hint}), got {v!r}")
    return parsed


FractionPath = Annotated[float | dict[str, float], BeforeValidator(_parse_fraction_path)]
"""A fraction in (0, 1] over time (e.g. a packaging line's assembly yield as it ramps): one number
(constant), or ``{YYYY-MM: fraction}`` points joined by straight lines and held flat before the
first and after the last point, evaluated by :func:`series_values` like a :data:`Series`."""


def series_end(series: Series) -> float:
    """The value a :data:`Series` holds after its last point (its only value if constant)."""
    if isinstance(series, dict):
        return float(series[max(series)])
    return float(series)


def series_values(series: Series, months: list[str]) -> list[float]:
    """Evaluate a :data:`Series` at each month of ``months`` (linear interpolation, flat ends)."""
    if not isinstance(series, dict):
        return [float(series)] * len(months)
    points = sorted(series.items())
    origin = months[0] if months else points[0][0]
    xs = [month_index(m, origin) for m, _ in points]
    ys = [float(v) for _, v in points]
    out = []
    for month in months:
        x = month_index(month, origin)
        if x <= xs[0]:
            out.append(ys[0])
        elif x >= xs[-1]:
            out.append(ys[-1])
        else:
            i = next(j for j in range(1, len(xs)) if xs[j] >= x)
            w = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            out.append(ys[i - 1] + w * (ys[i] - ys[i - 1]))
    return out


def add_months(month: str, n: int) -> str:
    """``add_months("2024-11", 3) == "2025-02"``."""
    y, m = (int(p) for p in month.split("-"))
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"
