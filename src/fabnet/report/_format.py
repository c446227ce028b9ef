"""Numbers for people: thousands separators, compact money, units in table headers.

The report shows tables rounded and scaled for reading (``Capex (M USD)``); the exports
(:func:`fabnet.report.export_tables`) keep the raw values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = [
    "Column",
    "format_money",
    "format_number",
    "format_percent",
    "label_columns",
    "table_cells",
]

_DASH = "–"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_HUGE = 1e15  # beyond this, numbers are shown in scientific notation (1.23e+18)


def _as_float(value: Any) -> float | None:
    """``value`` as a float, or ``None`` if it is not a number at all."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
    except OverflowError:  # an int beyond the float range
        return math.inf if value > 0 else -math.inf


def _not_finite(number: float, suffix: str = "") -> str:
    return ("∞" if number > 0 else "−∞" if number < 0 else _DASH) + (
        suffix if number == number else ""
    )


def format_number(value: Any, decimals: int | None = None) -> str:
    """``1234567.8`` → ``"1,234,568"``; small numbers keep 2–3 significant decimals; NaN → ``–``.

    With ``decimals`` given, exactly that many decimals (with thousands separators). Infinite
    values show as ``∞``/``−∞``, magnitudes from 1e15 in scientific notation.
    """
    if _is_missing(value):
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float) and not hasattr(value, "__float__"):
        return str(value)
    number = _as_float(value)
    if number is None:
        return str(value)
    if not math.isfinite(number):
        return _not_finite(number)
    magnitude = abs(number)
    if magnitude >= _HUGE:
        return f"{number:.3g}".replace("-", "−")
    if decimals is not None:
        return f"{number:,.{decimals}f}"
    if number == int(number) or magnitude >= 100:
        return f"{number:,.0f}"
    if magnitude >= 1:
        return f"{number:,.2f}"
    return f"{number:.3g}"


def format_money(value: Any, currency: str = "$") -> str:
    """Compact money: ``8.4e9`` → ``"$8.40 B"``, ``-3.2e6`` → ``"−$3.20 M"``; NaN → ``–``;
    infinite → ``∞``; beyond 1,000 T in scientific notation."""
    if _is_missing(value):
        return _DASH
    number = _as_float(value)
    if number is None:
        return str(value)
    sign = "−" if number < 0 else ""
    magnitude = abs(number)
    if not math.isfinite(number):
        return sign + currency + "∞"
    if magnitude >= _HUGE:
        return f"{sign}{currency}{magnitude:.3g}"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            return f"{sign}{currency}{magnitude / scale:,.2f} {suffix}"
    return f"{sign}{currency}{magnitude:,.0f}"


def format_percent(value: Any, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.873`` → ``"87.3 %"``; NaN → ``–``."""
    if _is_missing(value):
        return _DASH
    number = _as_float(value)
    if number is None:
        return str(value)
    percent = number * 100
    if not math.isfinite(percent):
        return _not_finite(percent, " %")
    if abs(percent) >= _HUGE:
        return f"{percent:.3g} %"
    return f"{percent:.{decimals}f} %"


@dataclass(frozen=True)
class Column:
    """How to show one table column: header label (with its unit), scale and decimals.

    ``kind`` is ``"number"`` (default), ``"percent"`` (a 0–1 fraction shown as %), or ``"text"``.
    """

    label: str
    scale: float = 1.0
    decimals: int | None = None
    kind: str = "number"


def label_columns(frame: pd.DataFrame, columns: Mapping[str, Column]) -> pd.DataFrame:
    """A copy of ``frame`` with the given columns scaled and renamed to their labels.

    Columns not in ``columns`` keep their name and values. Percent columns become text.
    """
    out = frame.copy()
    renames: dict[str, str] = {}
    for name, spec in columns.items():
        if name not in out.columns:
            continue
        if spec.kind == "percent":
            out[name] = [format_percent(v, spec.decimals or 1) for v in out[name]]
        elif spec.kind == "number":
            values = pd.to_numeric(out[name], errors="coerce") / spec.scale
            out[name] = [
                format_number(v, spec.decimals) if not _is_missing(v) else _DASH for v in values
            ]
        renames[name] = spec.label
    return out.rename(columns=renames)


def table_cells(frame: pd.DataFrame) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Headers and rows of ``(text, is_number)`` cells for the HTML template (numbers right-aligned).

    Numeric columns are formatted with :func:`format_number`; text that already looks like a
    formatted number (``"1,234"``, ``"87.3 %"``) is right-aligned as well.
    """
    headers = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows: list[list[tuple[str, bool]]] = []
    for values in frame.itertuples(index=False, name=None):
        row = []
        for value, is_num in zip(values, numeric, strict=True):
            if is_num and not isinstance(value, bool):
                row.append((format_number(value), True))
            else:
                text = _DASH if _is_missing(value) else str(value)
                row.append((text, _looks_numeric(text)))
        rows.append(row)
    # one alignment per column: a text column is right-aligned only if every cell looks like a
    # number (a period column mixing "2023" and "2023Q4" stays left-aligned throughout)
    for j in range(len(headers)):
        if not all(r[j][1] for r in rows):
            for r in rows:
                r[j] = (r[j][0], False)
    return headers, rows


def _looks_numeric(text: str) -> bool:
    core = text.replace(",", "").replace(" %", "").replace("−", "-").replace("$", "").strip()
    core = core.removesuffix("%")
    for suffix in (" T", " B", " M", " k"):
        core = core.removesuffix(suffix)
    if core in (_DASH, "∞", "-∞"):
        return True
    try:
        float(core)
    except ValueError:
        return False
    return True
