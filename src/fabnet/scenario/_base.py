"""Base pieces shared by every scenario component: strict models, months, time series."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["MONTH_PATTERN", "Month", "StrictModel", "month_index", "parse_month"]


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
