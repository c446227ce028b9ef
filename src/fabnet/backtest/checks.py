"""The backtest's public figures: one row per check, read from a CSV shipped with fabnet.

Columns (all required):

* ``id`` — unique name of the check;
* ``quantity`` — what the model counts: ``units`` (finished packages *shipped* by the designers
  of the selected products, summed over the period: packaged in month m − ``ship_lag_months``
  of the product), ``packaged`` (the same counted in the month they leave packaging, for figures
  of production), ``dies`` (shipped units × compute dies per package),
  ``cowos_wafers`` (interposer wafers through the selected packaging lines, summed),
  ``cowos_wpm`` (the same, as a monthly average over the period) or ``unit_share`` (shipped
  units of the selected products ÷ shipped units of the ``of=`` products, a fraction 0-1: e.g.
  one generation's share of a designer's shipments);
* ``select`` — ``;``-separated product names, or ``customer=NAME`` for all of a designer's
  products; for ``unit_share`` also ``of=NAME`` entries, the products of the denominator; for
  the packaging quantities ``line=NAME`` entries (none: every line) and
  optionally product names (the wafers those products used, e.g. one designer's share);
* ``period`` — ``YYYY``, ``YYYYQn`` or a month range ``YYYY-MM..YYYY-MM`` (e.g. a designer's
  fiscal quarters: NVIDIA's fiscal year ends in late January, so its FY2026 Q1 is
  ``2025-02..2025-04``);
* ``low``, ``high`` — the band the public figures span (``low ≤ high``);
* ``source`` — who said it, where (a check without one is an error);
* ``counted`` — how the figure is counted (packages or dies, which products).
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from fabnet.errors import DataError

__all__ = [
    "QUANTITIES",
    "Check",
    "builtin_checks_path",
    "format_value",
    "load_checks",
    "period_months",
]

QUANTITIES = ("units", "packaged", "dies", "cowos_wafers", "cowos_wpm", "unit_share")
COLUMNS = ("id", "quantity", "select", "period", "low", "high", "source", "counted")
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")
_RANGE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\.\.(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Check:
    """One public figure with its band."""

    id: str
    quantity: str
    select: tuple[str, ...]
    period: str
    low: float
    high: float
    source: str
    counted: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields (``select`` joined by ``;``)."""
        out = asdict(self)
        out["select"] = ";".join(self.select)
        return out


def period_months(period: str) -> list[str]:
    """Months ``YYYY-MM`` of a period ``YYYY``, ``YYYYQn`` or ``YYYY-MM..YYYY-MM`` (inclusive).

    >>> period_months("2024Q2")
    ['2024-04', '2024-05', '2024-06']
    >>> period_months("2024-11..2025-01")
    ['2024-11', '2024-12', '2025-01']
    """
    r = _RANGE.match(period)
    if r:
        first = int(r.group(1)) * 12 + int(r.group(2)) - 1
        last = int(r.group(3)) * 12 + int(r.group(4)) - 1
        if last < first:
            raise ValueError(f"period range ends before it starts (got {period!r})")
        return [f"{k // 12:04d}-{k % 12 + 1:02d}" for k in range(first, last + 1)]
    m = _PERIOD.match(period)
    if not m:
        raise ValueError(f"period must be YYYY, YYYYQn or YYYY-MM..YYYY-MM (got {period!r})")
    year, q = int(m.group(1)), m.group(2)
    first, n = (1, 12) if q is None else (3 * (int(q) - 1) + 1, 3)
    return [f"{year:04d}-{first + i:02d}" for i in range(n)]


def format_value(quantity: str, value: float) -> str:
    """A check's figure for tables: shares as percent, counts with thousands separators.

    >>> format_value("unit_share", 0.456), format_value("unit_share", 1.0)
    ('45.6%', '100%')
    >>> format_value("units", 1234567.8)
    '1,234,568'
    """
    return f"{value * 100:.3g}%" if quantity == "unit_share" else f"{value:,.0f}"


def builtin_checks_path(name: str = "ai-accelerators-2023") -> Path:
    """Path of a checks file shipped with fabnet."""
    return Path(str(resources.files("fabnet") / "data" / "checks" / f"{name}.csv"))


def load_checks(path: str | Path | None = None) -> list[Check]:
    """Read and validate a checks CSV (default: the built-in hindcast's); raise DataError naming
    the file, line and column of the first problem."""
    file = Path(path) if path is not None else builtin_checks_path()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read checks file: {exc}", file=str(file)) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}; a checks file has {', '.join(COLUMNS)}",
            file=str(file),
            line=1,
        )
    checks: list[Check] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):

        def bad(column: str, message: str, line: int = line) -> DataError:
            return DataError(message, file=str(file), line=line, column=column)

        cid = (row["id"] or "").strip()
        if not cid or cid in seen:
            raise bad("id", f"id must be present and unique (got {cid!r})")
        seen.add(cid)
        quantity = (row["quantity"] or "").strip()
        if quantity not in QUANTITIES:
            raise bad("quantity", f"quantity must be one of {', '.join(QUANTITIES)}")
        select = tuple(s.strip() for s in (row["select"] or "").split(";") if s.strip())
        if not select:
            raise bad("select", "select names at least one product, customer= or line=")
        has_of = any(s.startswith("of=") for s in select)
        if (quantity == "unit_share") != has_of:
            raise bad("select", "of= entries (the denominator) go with quantity unit_share only")
        if quantity == "unit_share" and all(s.startswith("of=") for s in select):
            raise bad("select", "unit_share needs the numerator's products besides of= entries")
        period = (row["period"] or "").strip()
        try:
            period_months(period)
        except ValueError as exc:
            raise bad("period", str(exc)) from None
        try:
            low, high = float(row["low"]), float(row["high"])
        except (TypeError, ValueError):
            raise bad("low", "low and high must be numbers") from None
        if not 0 <= low <= high:
            raise bad("high", f"need 0 <= low <= high (got {low}, {high})")
        source = (row["source"] or "").strip()
        if not source:
            raise bad("source", "every check names its public source")
        counted = (row["counted"] or "").strip()
        checks.append(Check(cid, quantity, select, period, low, high, source, counted))
    if not checks:
        raise DataError("no checks in the file", file=str(file))
    return checks
