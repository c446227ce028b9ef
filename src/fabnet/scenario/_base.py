"""Base pieces shared by every scenario component: strict models, months, time series."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = [
    "MONTH_PATTERN",
    "Month",
    "Series",
    "StrictModel",
    "add_months",
    "month_index",
    "parse_month",
    "series_values",
]


class StrictModel(BaseModel):
    """A scenario component: unknown fields are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: object) -> str:
    """Accept ``"2024-03"`` (or a date/datetime, or ``2024-03-01``) and return ``"YYYY-MM"``."""
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        text = value.strip()
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            text = text[:7]
        m = MONTH_PATTERN.match(text)
        if m and 1 <= int(m.group(2)) <= 12:
            return text
    raise ValueError("a month must be written YYYY-MM, e.g. 2024-03")


Month = Annotated[str, BeforeValidator(parse_month)]
"""A calendar month written ``YYYY-MM``."""


def month_index(month: str, start: str) -> int:
    """Months from ``start`` to ``month`` (both ``YYYY-MM``): ``month_index("2024-03", "2024-01") == 2``."""
    y1, m1 = (int(p) for p in start.split("-"))
    y2, m2 = (int(p) for p in month.split("-"))
    return (y2 - y1) * 12 + (m2 - m1)


def _parse_series(value: object) -> float | dict[str, float]:
    if isinstance(value, bool):
        raise ValueError("expected a number or a mapping {YYYY-MM: number}")
    if isinstance(value, int | float):
        if value < 0 or value != value:
            raise ValueError("must be a number >= 0")
        return float(value)
    if isinstance(value, dict) and value:
        out: dict[str, float] = {}
        for key, v in value.items():
            month = parse_month(key)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v != v:
                raise ValueError(f"value at {month} must be a number >= 0, got {v!r}")
            out[month] = float(v)
        return dict(sorted(out.items()))
    raise ValueError("expected a number >= 0 or a non-empty mapping {YYYY-MM: number >= 0}")


Series = Annotated[float | dict[str, float], BeforeValidator(_parse_series)]
"""A non-negative quantity over time: one number (constant), or ``{YYYY-MM: value}`` points joined
by straight lines and held flat before the first and after the last point."""


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
