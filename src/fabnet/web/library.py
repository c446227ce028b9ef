"""The scenarios the service offers: the built-in ones, always there, and validated uploads.

An upload is validated before it is kept (a scenario that does not load is refused with the
same :class:`~fabnet.errors.ScenarioError` the CLI prints) and stored under a name the server
makes — the first 12 hex digits of the SHA-256 of its text — never under the client's file name.
Scenarios that point at other files (``demand_table``, a fab's ``operating_curve``) are refused:
a request must not make the server read a path of the client's choosing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fabnet.errors import Problem, ScenarioError, StoreError

if TYPE_CHECKING:
    from fabnet.scenario import Scenario

__all__ = ["FORMATS", "ScenarioEntry", "ScenarioLibrary", "format_of", "refuse_file_references"]

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
_UPLOAD_ID = re.compile(r"^[0-9a-f]{12}$")
_FILE_FIELDS = ("demand_table",)
_FAB_FILE_FIELDS = ("operating_curve",)


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario on offer.

    Attributes:
        id: built-in name, or 12 hex digits for an upload.
        name: the scenario's own ``name``.
        source: ``builtin`` or ``upload``.
        fmt: ``yaml``, ``toml`` or ``json``.
        filename: the uploaded file's name as the client gave it (display only).
        uploaded: UTC time of the upload (``None`` for built-ins).
        size: bytes of text.
    """

    id: str
    name: str
    source: str
    fmt: str
    filename: str
    uploaded: str | None
    size: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def format_of(filename: str) -> str:
    """``yaml``/``toml``/``json`` from a file name; ScenarioError for anything else."""
    suffix = Path(filename or "").suffix.lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"unknown file type {suffix or '(none)'!r}; upload a .yaml, .yml, .toml or "
                    ".json scenario",
                )
            ],
            file=filename or None,
        )
    return fmt


def refuse_file_references(data: dict[str, Any], file: str | None) -> None:
    """Raise ScenarioError if the scenario names other files (the server would read them)."""
    problems = [
        Problem(
            key,
            "uploaded scenarios cannot refer to other files; put the data in the scenario "
            "itself (e.g. each customer's demand) or run it with `fabnet plan` locally",
            data[key],
        )
        for key in _FILE_FIELDS
        if data.get(key)
    ]
    for i, fab in enumerate(data.get("fabs") or []):
        if isinstance(fab, dict):
            problems += [
                Problem(
                    f"fabs[{i}].{key}",
                    "uploaded scenarios cannot refer to other files; leave it out (capacity is "
                    "then derated by policy.default_utilisation)",
                    fab[key],
                )
                for key in _FAB_FILE_FIELDS
                if fab.get(key)
            ]
    if problems:
        raise ScenarioError(problems, file=file)


def parse_and_validate(text: str, fmt: str, file: str | None) -> tuple[dict[str, Any], Scenario]:
    """Parse, refuse file references, validate: the scenario's data and its model."""
    from fabnet.scenario import parse_scenario_text, scenario_from_dict

    data = parse_scenario_text(text, fmt, file or "<upload>")
    refuse_file_references(data, file)
    return data, scenario_from_dict(data, file=file)


class ScenarioLibrary:
    """Built-in scenarios plus the uploads kept in ``folder`` (at most ``max_uploads``)."""

    def __init__(self, folder: Path, max_uploads: int = 100):
        self.folder = folder
        self.max_uploads = max_uploads
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[dict[str, Any], Scenario]] = {}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the scenario folder {folder}: {exc}") from exc

    # -- reading ----------------------------------------------------------------------------------
    def _builtin_entry(self, name: str) -> ScenarioEntry:
        from fabnet.scenario import builtin_scenario_path

        path = builtin_scenario_path(name)
        return ScenarioEntry(
            id=name,
            name=name,
            source="builtin",
            fmt="yaml",
            filename=path.name,
            uploaded=None,
            size=path.stat().st_size,
        )

    def _upload_entries(self) -> list[ScenarioEntry]:
        entries = []
        for meta in self.folder.glob("*.json"):
            if not _UPLOAD_ID.match(meta.stem):
                continue
            try:
                entries.append(ScenarioEntry(**json.loads(meta.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(entries, key=lambda e: e.uploaded or "", reverse=True)

    def list(self) -> list[ScenarioEntry]:
        """Built-ins first, then uploads newest first."""
        from fabnet.scenario import BUILTIN_SCENARIOS

        return [self._builtin_entry(n) for n in BUILTIN_SCENARIOS] + self._upload_entries()

    def entry(self, scenario_id: str) -> ScenarioEntry:
        """The entry with this id; KeyError if there is none (or the id is malformed)."""
        from fabnet.scenario import BUILTIN_SCENARIOS

        if scenario_id in BUILTIN_SCENARIOS:
            return self._builtin_entry(scenario_id)
        if not _UPLOAD_ID.match(scenario_id or ""):
            raise KeyError(scenario_id)
        meta = self.folder / f"{scenario_id}.json"
        try:
            return ScenarioEntry(**json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            raise KeyError(scenario_id) from None

    def text(self, entry: ScenarioEntry) -> str:
        """The scenario's full text."""
        if entry.source == "builtin":
            from fabnet.scenario import builtin_scenario_path

            return builtin_scenario_path(entry.id).read_text(encoding="utf-8")
        try:
            return (self.folder / f"{entry.id}.{entry.fmt}").read_text(encoding="utf-8")
        except OSError:
            raise KeyError(entry.id) from None

    def load(self, entry: ScenarioEntry) -> tuple[str, dict[str, Any], Scenario]:
        """Text, data and validated model of a scenario (validated once, then cached).

        The data is shared with the cache: callers copy what they change
        (:func:`fabnet.web.edits.apply_edits` does)."""
        text = self.text(entry)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            cached = parse_and_validate(text, entry.fmt, entry.filename)
            self._remember(key, cached)
        data, scenario = cached
        return text, data, scenario

    def _remember(self, key: str, validated: tuple[dict[str, Any], Scenario]) -> None:
        with self._lock:
            if len(self._cache) > 16:
                self._cache.clear()
            self._cache[key] = validated

    # -- writing ----------------------------------------------------------------------------------
    def add(self, text: str, filename: str) -> ScenarioEntry:
        """Validate and keep an uploaded scenario; returns its entry (same text → same id)."""
        fmt = format_of(filename)
        validated = parse_and_validate(text, fmt, filename)
        scenario = validated[1]
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self._remember(digest, validated)
        scenario_id = digest[:12]
        entry = ScenarioEntry(
            id=scenario_id,
            name=scenario.name,
            source="upload",
            fmt=fmt,
            filename=Path(filename).name[:200],
            uploaded=datetime.now(UTC).isoformat(timespec="seconds"),
            size=len(text.encode("utf-8")),
        )
        from fabnet.store import atomic_write_text

        with self._lock:
            atomic_write_text(self.folder / f"{scenario_id}.{fmt}", text)
            atomic_write_text(self.folder / f"{scenario_id}.json", json.dumps(entry.to_dict()))
            self._evict()
        return entry

    def _evict(self) -> None:
        entries = self._upload_entries()
        for old in entries[self.max_uploads :]:
            for file in (self.folder / f"{old.id}.json", self.folder / f"{old.id}.{old.fmt}"):
                with contextlib.suppress(OSError):
                    file.unlink()
