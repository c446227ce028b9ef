"""Demand tables: ``customer, product, month, units`` rows from CSV or xlsx, read strictly.

Every row is checked where it is read, and a problem names the table file, the line (the
spreadsheet row) and the column: ``demand_table (demand.csv line 7, column units): 'abc' is not
a number``. A table must have exactly the four columns (in any order); customer and product are
non-empty text, month a real ``YYYY-MM`` (or a date), units a finite number from 0 to
:data:`~fabnet.scenario.limits.MAX_QUANTITY`; a (customer, product, month) appears once.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fabnet.errors import Problem, short_repr
from fabnet.scenario._base import parse_month
from fabnet.scenario.limits import MAX_QUANTITY, MAX_TABLE_BYTES, MAX_TABLE_ROWS, MAX_TEXT

__all__ = ["COLUMNS", "DemandRow", "read_demand_table"]

#: The columns of a demand table.
COLUMNS = ("customer", "product", "month", "units")
_EXCEL = (".xlsx", ".xlsm")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_MAX_TABLE_PROBLEMS = 200


@dataclass(frozen=True)
class DemandRow:
    """One row of a demand table, checked."""

    customer: str
    product: str
    month: str
    units: float
    line: int


class _Problems(Exception):
    """Reading stopped: the problems found so far."""


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Reader:
    def __init__(self, path: Path, excel: bool):
        self.name = path.name
        self.excel = excel
        self.problems: list[Problem] = []

    def where(self, line: int | None = None, column: str | None = None, index: int = 0) -> str:
        """``demand_table (demand.csv line 7, column units)``: the "field path" of a cell."""
        parts = []
        if line is not None:
            parts.append(f"line {line}")
        if column is not None:
            parts.append(
                f"column {_letter(index)} ({column})" if self.excel else f"column {column}"
            )
        return f"demand_table ({self.name}{' ' if parts else ''}{', '.join(parts)})"

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        if len(self.problems) >= _MAX_TABLE_PROBLEMS:
            self.problems.append(
                Problem(self.where(), f"stopped after {_MAX_TABLE_PROBLEMS} problems")
            )
            raise _Problems

    def header(self, cells: list[Any]) -> dict[str, int]:
        names = [str(c).strip() if c is not None else "" for c in cells]
        while names and not names[-1]:
            names.pop()
        positions: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in positions:
                self.add(Problem(self.where(1, name, i), "this column appears twice", name))
            elif name not in COLUMNS:
                from fabnet.scenario.checks import did_you_mean

                self.add(
                    Problem(
                        self.where(1, name or "(blank)", i),
                        f"unknown column{did_you_mean(name, COLUMNS)}; "
                        f"a demand table has the columns {', '.join(COLUMNS)}",
                        name,
                    )
                )
            positions.setdefault(name, i)
        missing = [c for c in COLUMNS if c not in positions]
        if missing:
            self.add(
                Problem(
                    self.where(1),
                    f"missing column(s) {', '.join(missing)}; needed: {', '.join(COLUMNS)} "
                    f"(found: {', '.join(n or '(blank)' for n in names) or 'nothing'})",
                )
            )
        if self.problems:
            raise _Problems
        return positions

    def text(self, value: Any, line: int, column: str, index: int) -> str | None:
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if len(text) > MAX_TEXT:
                self.add(Problem(self.where(line, column, index), "text too long", value))
                return None
            return text
        what = "is empty" if value is None or value == "" else "must be text"
        self.add(Problem(self.where(line, column, index), f"{column} {what}", value))
        return None

    def month(self, value: Any, line: int, index: int) -> str | None:
        try:
            if isinstance(value, bool | int | float):
                raise ValueError("a month must be written YYYY-MM, e.g. 2024-03")
            return parse_month(value)
        except ValueError as exc:
            self.add(Problem(self.where(line, "month", index), str(exc), value))
            return None

    def units(self, value: Any, line: int, index: int) -> float | None:
        where = self.where(line, "units", index)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                self.add(Problem(where, "units is empty; write 0 for no demand", value))
                return None
            if not _NUMBER.match(text):
                self.add(Problem(where, f"{short_repr(value)} is not a number", value))
                return None
            number = float(text)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif value is None:
            self.add(Problem(where, "units is empty; write 0 for no demand"))
            return None
        else:
            self.add(Problem(where, f"{short_repr(value)} is not a number", value))
            return None
        if not math.isfinite(number):
            self.add(Problem(where, "units must be a finite number", value))
            return None
        if not 0 <= number <= MAX_QUANTITY:
            self.add(Problem(where, f"units must lie in 0 .. {MAX_QUANTITY:g}", value))
            return None
        return number


def _csv_rows(path: Path, reader: _Reader) -> Iterator[tuple[int, list[Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reader.add(Problem(reader.where(), f"not UTF-8 text (byte {exc.start})"))
        raise _Problems from None
    if "\x00" in text:
        reader.add(Problem(reader.where(), "not a text table (it contains NUL bytes)"))
        raise _Problems
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in rows:
            yield rows.line_num, cells
    except csv.Error as exc:
        reader.add(Problem(reader.where(rows.line_num + 1), f"not a valid CSV line: {exc}"))
        raise _Problems from None


def _excel_rows(path: Path, reader: _Reader) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:  # a workbook is a zip: refuse a zip bomb first
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        reader.add(Problem(reader.where(), f"not a readable Excel workbook ({type(exc).__name__})"))
        raise _Problems from None
    if unpacked > 4 * MAX_TABLE_BYTES:
        reader.add(Problem(reader.where(), f"the workbook unpacks to {unpacked:,} bytes; too big"))
        raise _Problems
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for files that are not workbooks
        reader.add(Problem(reader.where(), f"not a readable Excel workbook ({type(exc).__name__})"))
        raise _Problems from None
    try:
        sheet = book.worksheets[0]
        for line, cells in enumerate(sheet.iter_rows(values_only=True, max_col=64), start=1):
            yield line, list(cells)
    finally:
        book.close()


def read_demand_table(path: Path) -> tuple[list[DemandRow], list[Problem]]:
    """The checked rows of a demand table and the problems found (each with file, line, column)."""
    excel = path.suffix.lower() in _EXCEL
    reader = _Reader(path, excel)
    rows: list[DemandRow] = []
    try:
        if path.is_dir():
            reader.add(Problem("demand_table", "a folder, not a table file", str(path)))
            raise _Problems
        if not path.is_file():
            reader.add(Problem("demand_table", "file not found", str(path)))
            raise _Problems
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            limit = f"{size:,} bytes; a demand table has at most {MAX_TABLE_BYTES:,}"
            reader.add(Problem(reader.where(), limit))
            raise _Problems
        source = _excel_rows(path, reader) if excel else _csv_rows(path, reader)
        positions: dict[str, int] | None = None
        width = 0
        seen: dict[tuple[str, str, str], int] = {}
        for line, cells in source:
            if not any(c is not None and str(c).strip() for c in cells):
                continue  # a blank line
            if positions is None:
                positions = reader.header(cells)
                width = max(positions.values()) + 1
                continue
            if len(rows) >= MAX_TABLE_ROWS:
                reader.add(
                    Problem(reader.where(line), f"more than {MAX_TABLE_ROWS:,} rows; split it")
                )
                break
            if any(c is not None and str(c).strip() for c in cells[width:]):
                reader.add(
                    Problem(reader.where(line), f"{len(cells)} fields; the header has {width}")
                )
                continue
            cells = list(cells) + [None] * (width - len(cells))
            at = positions
            customer = reader.text(cells[at["customer"]], line, "customer", at["customer"])
            product = reader.text(cells[at["product"]], line, "product", at["product"])
            month = reader.month(cells[positions["month"]], line, positions["month"])
            units = reader.units(cells[positions["units"]], line, positions["units"])
            if customer is None or product is None or month is None or units is None:
                continue
            key = (customer, product, month)
            if key in seen:
                reader.add(
                    Problem(
                        reader.where(line),
                        f"{customer} / {product} / {month} is already given on line {seen[key]}",
                    )
                )
                continue
            seen[key] = line
            rows.append(DemandRow(customer, product, month, units, line))
        if positions is None:
            needed = ", ".join(COLUMNS)
            reader.add(Problem(reader.where(), f"the table is empty; needed columns: {needed}"))
    except _Problems:
        pass
    except OSError as exc:
        reader.problems.append(Problem(reader.where(), f"cannot read the table: {exc.strerror}"))
    return rows, reader.problems
