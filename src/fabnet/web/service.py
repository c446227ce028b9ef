"""What the pages and the JSON API do, in one place: scenarios, edits, runs, comparisons.

:class:`WebService` holds the settings, the run store, the scenario library and the job launcher;
the routes in :mod:`fabnet.web.api` and :mod:`fabnet.web.pages` are thin wrappers around it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from fabnet.errors import DamagedRunError, Problem, ScenarioError, StoreError, UsageError
from fabnet.web.edits import FormField, editable_fields, edited_scenario
from fabnet.web.errors import ServiceBusy
from fabnet.web.library import ScenarioEntry, ScenarioLibrary
from fabnet.web.security import ARTEFACTS, TABLE_NAME

if TYPE_CHECKING:
    import pandas as pd

    from fabnet.scenario import Scenario
    from fabnet.store import RunRecord, RunStore
    from fabnet.web.launcher import JobLauncher
    from fabnet.web.settings import WebSettings

__all__ = ["JOB_KINDS_OFFERED", "ScenarioForm", "WebService", "jsonable_records"]

T = TypeVar("T")
_BUSY = (
    "checking this scenario took longer than {limit:g} s (other checks may be running); "
    "try again in a moment"
)


def _offered_kinds() -> tuple[str, ...]:
    from fabnet.jobs import JOB_KINDS

    return tuple(JOB_KINDS)


#: Job kinds the service can start (``plan``, ``risk``).
JOB_KINDS_OFFERED = _offered_kinds()


def jsonable_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (NaN/inf → ``None``, times → ISO text)."""
    import numpy as np
    import pandas as pd

    rows = []
    for record in frame.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, pd.Timestamp):
                value = None if pd.isna(value) else value.isoformat()
            elif value is pd.NaT or value is pd.NA:
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            row[str(key)] = value
        rows.append(row)
    return rows


@dataclass
class ScenarioForm:
    """A scenario ready for the parameter form."""

    entry: ScenarioEntry
    scenario: Scenario
    fields: list[FormField]
    text: str
    data: dict[str, Any] = field(repr=False)


class WebService:
    """The service's state and operations (one per app)."""

    def __init__(
        self,
        settings: WebSettings,
        store: RunStore,
        library: ScenarioLibrary,
        launcher: JobLauncher,
    ):
        self.settings = settings
        self.store = store
        self.library = library
        self.launcher = launcher
        # at most max_validations checks compute at once, even those a request gave up on
        self._computing = threading.BoundedSemaphore(settings.max_validations)
        self._threads: anyio.CapacityLimiter | None = None  # threads a request waits on

    # -- work that validates scenarios ------------------------------------------------------------
    async def bounded(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` (work that may validate a scenario) in a worker thread, at most
        ``max_validations`` at once, and give up after ``max_validation_seconds``.

        The event loop stays free for health checks and pages meanwhile; a request that waits
        or works too long gets :class:`ServiceBusy` (429). A check a request gave up on still
        holds its place until it ends (inputs are bounded by :mod:`fabnet.scenario.limits`, so
        that is a few seconds at most), so abandoned checks cannot pile up.
        """
        if self._threads is None:
            self._threads = anyio.CapacityLimiter(4 * self.settings.max_validations)
        limit = self.settings.max_validation_seconds
        deadline = time.monotonic() + limit

        def guarded() -> T:
            if not self._computing.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise ServiceBusy(_BUSY.format(limit=limit))
            try:
                return fn(*args)
            finally:
                self._computing.release()

        with anyio.move_on_after(limit) as scope:
            return await anyio.to_thread.run_sync(
                guarded, abandon_on_cancel=True, limiter=self._threads
            )
        assert scope.cancelled_caught
        raise ServiceBusy(_BUSY.format(limit=limit))

    # -- scenarios --------------------------------------------------------------------------------
    def scenario_entry(self, scenario_id: str) -> ScenarioEntry:
        """The scenario with this id; StoreError (404) if unknown."""
        try:
            return self.library.entry(scenario_id)
        except KeyError:
            raise StoreError(
                f"no scenario with id {scenario_id!r}; GET /api/scenarios lists them"
            ) from None

    def upload(self, raw: bytes, filename: str) -> ScenarioEntry:
        """Validate and keep an uploaded scenario file (size checked by the caller)."""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                [Problem("", f"the file is not UTF-8 text (byte {exc.start})")],
                file=filename or None,
            ) from None
        if "\x00" in text:
            raise ScenarioError([Problem("", "the file is not text")], file=filename or None)
        return self.library.add(text, filename)

    def form(self, scenario_id: str) -> ScenarioForm:
        """The scenario with its editable fields."""
        entry = self.scenario_entry(scenario_id)
        text, data, scenario = self.library.load(entry)
        fields = editable_fields(scenario, self.settings.max_horizon_months)
        return ScenarioForm(entry, scenario, fields, text, data)

    def parameters(self, scenario: Scenario) -> dict[str, Any]:
        """The editable parameters as the API shows and takes them (:class:`ScenarioEdits`)."""
        pol = scenario.policy
        return {
            "objective": pol.objective,
            "allocation": pol.allocation,
            "discount_rate": pol.discount_rate,
            "horizon_months": pol.horizon_months,
            "debt_limit_usd": scenario.financing.debt_limit_usd,
            "commitments_usd": {v.name: v.commitment_usd for v in scenario.investors},
            "lead_time_months": {f.name: f.lead_time_months for f in scenario.greenfield_sites},
        }

    @staticmethod
    def edits_to_paths(scenario: Scenario, edits: Mapping[str, Any]) -> dict[str, Any]:
        """API edits (names) → scenario paths; ScenarioError for an unknown investor or site."""
        paths: dict[str, Any] = {}
        problems: list[Problem] = []
        simple = {
            "objective": "policy.objective",
            "allocation": "policy.allocation",
            "discount_rate": "policy.discount_rate",
            "horizon_months": "policy.horizon_months",
            "debt_limit_usd": "financing.debt_limit_usd",
        }
        for key, path in simple.items():
            if edits.get(key) is not None:
                paths[path] = edits[key]
        investors = [v.name for v in scenario.investors]
        for name, value in (edits.get("commitments_usd") or {}).items():
            if name in investors:
                paths[f"investors[{investors.index(name)}].commitment_usd"] = value
            else:
                problems.append(
                    Problem(
                        "investors",
                        f"no investor named {name!r}; this scenario has: "
                        + (", ".join(investors) or "(none)"),
                        name,
                    )
                )
        sites = {f.name: i for i, f in enumerate(scenario.fabs) if f.kind == "greenfield"}
        for name, value in (edits.get("lead_time_months") or {}).items():
            if name in sites:
                paths[f"fabs[{sites[name]}].lead_time_months"] = value
            else:
                problems.append(
                    Problem(
                        "fabs",
                        f"no greenfield site named {name!r}; this scenario has: "
                        + (", ".join(sites) or "(none)"),
                        name,
                    )
                )
        if problems:
            raise ScenarioError(problems, file=scenario.name)
        return paths

    def prepare(
        self, scenario_id: str, path_edits: Mapping[str, Any], write: bool = True
    ) -> tuple[ScenarioForm, str, str, Scenario]:
        """The edited scenario, validated and within the service's limits: (form, text, fmt,
        scenario); with ``write=False`` (a check) the text is not rewritten. Raises
        ScenarioError."""
        form = self.form(scenario_id)
        text, fmt, scenario = edited_scenario(
            form.text,
            form.entry.fmt,
            form.data,
            path_edits,
            form.entry.filename,
            max_horizon_months=self.settings.max_horizon_months,
            max_solve_seconds=self.settings.max_solve_seconds,
            write=write,
        )
        return form, text, fmt, scenario

    # -- runs -------------------------------------------------------------------------------------
    def start(
        self,
        scenario_id: str,
        kind: str,
        path_edits: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> str:
        """Validate the edited scenario and start a job in its own process; returns the run id."""
        if kind not in JOB_KINDS_OFFERED:
            raise UsageError(
                f"unknown run kind {kind!r}; this service runs: {', '.join(JOB_KINDS_OFFERED)}"
            )
        recorded = {k: v for k, v in options.items() if v is not None}
        if kind != "risk":
            recorded = {k: v for k, v in recorded.items() if k not in ("samples", "seed")}
        samples = recorded.get("samples")
        if samples is not None and not 1 <= samples <= self.settings.max_samples:
            raise UsageError(
                f"samples must be between 1 and {self.settings.max_samples:,} on this service "
                f"(got {samples}); run bigger studies with `fabnet risk` on your own machine"
            )
        form, text, fmt, scenario = self.prepare(scenario_id, path_edits)
        if path_edits:
            recorded["edits"] = dict(path_edits)
        recorded["scenario_id"] = form.entry.id
        return self.launcher.start(kind, text, scenario.name, fmt, recorded)

    def runs(
        self, kind: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Runs newest first as JSON-ready rows (key figures as extra keys)."""
        frame = self.store.list_runs(kind=kind or None, status=status or None, limit=limit)
        return jsonable_records(frame)

    def record(self, run_id: str) -> RunRecord:
        """One run (id, unique prefix or ``latest``); StoreError if unknown."""
        return self.store.get(run_id)

    def run_tables(self, run_id: str) -> list[str]:
        """Names of a run's tables."""
        return [t for t in self.store.tables(run_id) if TABLE_NAME.match(t)]

    def table(self, run_id: str, name: str) -> pd.DataFrame:
        """One table of a run; StoreError if the run has no such table, DamagedRunError (500)
        if its file cannot be read."""
        record = self.store.get(run_id)
        if not TABLE_NAME.match(name) or name not in self.run_tables(record.id):
            raise StoreError(
                f"run {record.id} has no table {name[:40]!r}; its tables: "
                + (", ".join(self.run_tables(record.id)) or "(none)")
            )
        return self._load_table(record.id, name)

    def _load_table(self, run_id: str, name: str) -> pd.DataFrame:
        try:
            return self.store.load_table(run_id, name)
        except DamagedRunError:
            raise
        except StoreError as exc:  # listed but unreadable: say so, without the store's paths
            raise DamagedRunError(
                f"table {name!r} of run {run_id} is damaged and cannot be read"
            ) from exc

    def tables_if_any(self, run_id: str, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
        """The named tables the run has (others left out); DamagedRunError if one is unreadable."""
        present = set(self.run_tables(run_id))
        return {n: self._load_table(run_id, n) for n in names if n in present}

    def artefact(self, run_id: str, name: str) -> tuple[bytes, str]:
        """Bytes and media type of an allow-listed artefact; StoreError if it is not there."""
        if name not in ARTEFACTS:
            raise StoreError(f"no artefact {name!r}; the service serves: {', '.join(ARTEFACTS)}")
        record = self.store.get(run_id)
        path = self.store.path(record.id, name)
        folder = record.folder.resolve()
        resolved = path.resolve()
        if resolved.parent != folder:  # belt and braces: stay inside the run's folder
            raise StoreError(f"run {record.id} has no artefact {name!r}")
        try:
            return resolved.read_bytes(), ARTEFACTS[name]
        except OSError as exc:
            raise DamagedRunError(f"cannot read {name} of run {record.id}: {exc.strerror}") from exc

    def compare(self, a: str, b: str) -> dict[str, Any]:
        """Key figures of two runs side by side."""
        frame = self.store.compare(a, b)
        return {"a": frame.attrs["a"], "b": frame.attrs["b"], "rows": jsonable_records(frame)}
