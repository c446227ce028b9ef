"""Table export to CSV, Parquet and Excel, shared by ``RunStore.export`` and ``fabnet.report``.

CSV and Parquet: one file per table (``<name>.csv``, ``<name>.parquet``). Excel: one workbook with
one sheet per table; sheet names are cut to Excel's 31-character limit, stripped of the
characters Excel forbids (``[]:*?/\\``) and made unique. Every file is written atomically.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from fabnet.errors import StoreError, UsageError
from fabnet.store._atomic import atomic_write, atomic_write_bytes

__all__ = ["EXPORT_FORMATS", "excel_sheet_names", "export_tables", "parse_formats"]

EXPORT_FORMATS = ("csv", "parquet", "xlsx")
_EXCEL_MAX_SHEET = 31
_EXCEL_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SAFE_FILE = re.compile(r"[^A-Za-z0-9._-]+")


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """``"csv,xlsx"`` or ``["csv", "xlsx"]`` → ``("csv", "xlsx")``; unknown formats → UsageError."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    cleaned = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in items if f.strip()))
    unknown = [f for f in cleaned if f not in EXPORT_FORMATS]
    if unknown or not cleaned:
        raise UsageError(
            f"unknown export format {', '.join(unknown) or '(none given)'}; "
            f"valid: {', '.join(EXPORT_FORMATS)} (comma-separated)"
        )
    return cleaned


def excel_sheet_names(names: Iterable[str]) -> list[str]:
    """Valid, unique Excel sheet names (≤ 31 characters) for the given table names, in order."""
    result: list[str] = []
    taken: set[str] = set()
    for name in names:
        base = _EXCEL_FORBIDDEN.sub("_", str(name)).strip("'") or "sheet"
        candidate = base[:_EXCEL_MAX_SHEET]
        counter = 2
        while candidate.lower() in taken:
            suffix = f"~{counter}"
            candidate = base[: _EXCEL_MAX_SHEET - len(suffix)] + suffix
            counter += 1
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _file_stem(name: str) -> str:
    stem = _SAFE_FILE.sub("_", str(name)).strip("._")
    return stem or "table"


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel cannot hold time-zone-aware datetimes: write them as naive UTC."""
    out = frame
    for column in frame.columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            if out is frame:
                out = frame.copy()
            out[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def export_tables(
    tables: Mapping[str, pd.DataFrame],
    dest: Path | str,
    formats: str | Iterable[str] = EXPORT_FORMATS,
    workbook: str = "tables.xlsx",
) -> list[Path]:
    """Write ``tables`` into folder ``dest`` in each format; returns the files written, in order.

    ``formats`` is any of ``csv``, ``parquet``, ``xlsx`` (a list or a comma-separated string).
    CSV and Parquet give one file per table; ``xlsx`` gives one workbook named ``workbook``.
    """
    chosen = parse_formats(formats)
    folder = Path(dest).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the export folder {folder}: {exc}") from exc
    written: list[Path] = []
    try:
        _write_all(tables, folder, chosen, workbook, written)
    except OSError as exc:  # e.g. a directory where a file should go, a full disk
        where = exc.filename or folder
        raise StoreError(f"cannot write the export to {where}: {exc.strerror or exc}") from exc
    except (ValueError, TypeError) as exc:  # a table pyarrow or openpyxl cannot write
        raise StoreError(f"cannot export the tables: {type(exc).__name__}: {exc}") from exc
    return written


def _write_all(
    tables: Mapping[str, pd.DataFrame],
    folder: Path,
    chosen: tuple[str, ...],
    workbook: str,
    written: list[Path],
) -> None:
    stems = excel_sheet_names(_file_stem(n) for n in tables)  # unique, file-safe stems
    for fmt in chosen:
        if fmt == "csv":
            for stem, frame in zip(stems, tables.values(), strict=True):
                data = frame.to_csv(index=False).encode("utf-8")
                written.append(atomic_write_bytes(folder / f"{stem}.csv", data))
        elif fmt == "parquet":
            for stem, frame in zip(stems, tables.values(), strict=True):
                buffer = io.BytesIO()
                frame.to_parquet(buffer, index=False)
                written.append(atomic_write_bytes(folder / f"{stem}.parquet", buffer.getvalue()))
        elif fmt == "xlsx":
            sheets = excel_sheet_names(tables)
            name = workbook if workbook.endswith(".xlsx") else f"{workbook}.xlsx"

            def write_workbook(handle: BinaryIO, sheets: list[str] = sheets) -> None:
                with pd.ExcelWriter(handle, engine="openpyxl") as writer:
                    for sheet, frame in zip(sheets, tables.values(), strict=True):
                        _excel_ready(frame).to_excel(writer, sheet_name=sheet, index=False)
                    if not tables:
                        pd.DataFrame().to_excel(writer, sheet_name="empty", index=False)

            written.append(atomic_write(folder / name, write_workbook))
