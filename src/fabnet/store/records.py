"""What the store keeps about a run: :class:`RunRecord`, plus the JSON and key-figure helpers."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "RUN_STATUSES",
    "RunRecord",
    "RunStatus",
    "flatten_figures",
    "from_iso",
    "json_text",
    "jsonable",
    "utc_now_iso",
]

RunStatus = Literal["running", "done", "failed"]
RUN_STATUSES: tuple[RunStatus, ...] = ("running", "done", "failed")


def utc_now_iso() -> str:
    """The current time, UTC, ISO 8601 with microseconds (text sorts in time order)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    """Parse a timestamp written by :func:`utc_now_iso` (``None`` stays ``None``)."""
    return None if not text else datetime.fromisoformat(text)


def jsonable(obj: Any) -> Any:
    """Plain JSON types from numpy/pandas scalars, paths and dates; NaN and ±inf become ``None``."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [jsonable(v) for v in obj]
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict") and callable(obj.to_dict):  # pandas Series / DataFrame
        try:
            return jsonable(obj.to_dict(orient="records"))
        except TypeError:
            return jsonable(obj.to_dict())
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return jsonable(obj.tolist())
    if hasattr(obj, "isoformat"):  # pandas Timestamp / Period-like
        return obj.isoformat()
    return str(obj)


def json_text(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``obj`` (via :func:`jsonable`; no NaN tokens)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False, ensure_ascii=False)


def flatten_figures(figures: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numeric key figures of a summary dict, nested dicts flattened with ``.``.

    ``{"npv": 1e9, "delivered_by_year": {"2026": 5e5}, "status": "optimal", "decisions": [...]}``
    becomes ``{"npv": 1e9, "delivered_by_year.2026": 5e5}``: numbers (and booleans, as 0/1) are
    kept, text and lists are left to the run's ``summary.json``. NaN stays NaN.
    """
    flat: dict[str, float] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_figures(value, prefix=f"{name}."))
            continue
        if hasattr(value, "item") and not isinstance(value, list | tuple):
            try:
                value = value.item()  # numpy scalar → Python scalar
            except (ValueError, TypeError):
                continue
        if isinstance(value, bool | int | float):
            flat[name] = float(value)
    return flat


@dataclass(frozen=True)
class RunRecord:
    """One run as the store keeps it.

    Attributes:
        id: run id, ``YYYYMMDD-HHMMSS-<6 hex>`` (UTC start time).
        kind: ``plan``, ``risk``, ``fab`` … (the command that made it).
        scenario_name, scenario_text: the scenario's name and its file's full text.
        options: the run's options (JSON-ready dict).
        seed: the random seed, if any.
        fabnet_version: the fabnet version that ran it.
        started, ended: UTC times (``ended`` is ``None`` while running).
        status: ``running``, ``done`` or ``failed``.
        error: why it failed (``None`` otherwise).
        summary: key figures, a flat dict of numbers (see :func:`flatten_figures`).
        progress, progress_message: last persisted progress (0–1) and its message.
        folder: the run's folder holding its tables and other artefacts.
        pid, host: the process that ran it; heartbeat: its last sign of life (UTC).
    """

    id: str
    kind: str
    scenario_name: str
    status: RunStatus
    started: datetime
    ended: datetime | None
    seed: int | None
    options: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    fabnet_version: str = ""
    progress: float = 0.0
    progress_message: str = ""
    folder: Path = Path()
    pid: int | None = None
    host: str | None = None
    heartbeat: datetime | None = None
    scenario_text: str = field(default="", repr=False)

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to end (``None`` while running)."""
        return None if self.ended is None else (self.ended - self.started).total_seconds()

    def to_dict(self, with_scenario_text: bool = False) -> dict[str, Any]:
        """JSON-ready form (for ``fabnet runs show --json`` and the web service)."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario_name,
            "status": self.status,
            "started": self.started.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "duration_seconds": self.duration_seconds,
            "seed": self.seed,
            "fabnet_version": self.fabnet_version,
            "error": self.error,
            "progress": self.progress,
            "progress_message": self.progress_message,
            "options": self.options,
            "summary": self.summary,
            "folder": str(self.folder),
            "pid": self.pid,
            "host": self.host,
            "heartbeat": self.heartbeat.isoformat() if self.heartbeat else None,
        }
        if with_scenario_text:
            data["scenario_text"] = self.scenario_text
        return jsonable(data)

    @classmethod
    def from_row(cls, row: sqlite3.Row, folder: Path) -> RunRecord:
        """Build a record from a ``runs`` row; ``folder`` is the resolved absolute folder."""
        summary = {
            k: (math.nan if v is None else float(v)) for k, v in _loads(row["summary_json"]).items()
        }
        started = from_iso(row["started"])
        assert started is not None
        return cls(
            id=row["id"],
            kind=row["kind"],
            scenario_name=row["scenario_name"],
            status=row["status"],
            started=started,
            ended=from_iso(row["ended"]),
            seed=row["seed"],
            options=_loads(row["options_json"]),
            summary=summary,
            error=row["error"],
            fabnet_version=row["fabnet_version"],
            progress=float(row["progress"]),
            progress_message=row["progress_message"],
            folder=folder,
            pid=row["pid"],
            host=row["host"],
            heartbeat=from_iso(row["heartbeat"]),
            scenario_text=row["scenario_text"],
        )


def _loads(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}
