"""What a job starts from: a validated scenario (with the text its run keeps) and, for a risk
run, the decisions of an earlier plan.

- :meth:`ScenarioInput.from_text` — scenario text from the web service or a job's JSON;
- :meth:`ScenarioInput.load` — a file or built-in name given on the command line;
- :func:`load_stored_plan` — ``fabnet risk --plan``: a plan run in the store or an output folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fabnet.errors import UsageError
from fabnet.scenario import (
    Scenario,
    dump_scenario,
    load_scenario,
    parse_scenario_text,
    scenario_from_dict,
)
from fabnet.store import RunStore

__all__ = ["ScenarioInput", "StoredPlan", "load_stored_plan", "validate_scenario_text"]


def validate_scenario_text(text: str, fmt: str, file: str = "<text>") -> Scenario:
    """Parse and validate scenario text (``yaml``/``toml``/``json``); raise ScenarioError.

    File references (``demand_table``, a fab's ``operating_curve``) are resolved against the
    working directory, as ``fabnet plan`` does for a file given on the command line; callers that
    take text from the network must refuse them first (the web service does).
    """
    data = parse_scenario_text(text, fmt, file)
    return scenario_from_dict(data, file=file, base_dir=Path.cwd())


@dataclass(frozen=True)
class ScenarioInput:
    """A validated scenario, the text its run keeps, and the name run lists show."""

    scenario: Scenario
    text: str
    name: str

    @classmethod
    def from_text(cls, text: str, fmt: str, name: str = "") -> ScenarioInput:
        """Scenario text as sent (kept verbatim); ``name`` defaults to the scenario's own.

        Raises:
            ScenarioError: the scenario is invalid.
        """
        scenario = validate_scenario_text(text, fmt, file=name or "<text>")
        return cls(scenario, text, name or scenario.name)

    @classmethod
    def load(cls, ref: str | None) -> ScenarioInput:
        """A scenario file or built-in name (``None``: the built-in scenario); the run keeps the
        scenario as fabnet writes it back (:func:`~fabnet.scenario.dump_scenario`)."""
        scenario = load_scenario(ref)
        return cls(scenario, dump_scenario(scenario), scenario.name)

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioInput:
        """A scenario object made in code."""
        return cls(scenario, dump_scenario(scenario), scenario.name)


@dataclass(frozen=True)
class StoredPlan:
    """The first-stage decisions of an earlier plan (and its wafer starts, when kept)."""

    decisions: pd.DataFrame
    wafer_starts: pd.DataFrame | None
    source: str


def _folder_table(folder: Path, name: str) -> pd.DataFrame | None:
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv)
    return None


def load_stored_plan(
    plan: str, scenario: str | None, store: RunStore
) -> tuple[ScenarioInput, StoredPlan]:
    """The scenario and decisions of ``fabnet risk --plan PLAN [SCENARIO]``.

    ``plan`` is an output folder (``decisions.parquet`` or ``.csv``; the scenario is ``scenario``,
    default the built-in one) or a plan run of ``store`` (id, prefix or ``latest``; the scenario
    is ``scenario`` if given, else the text the run keeps).

    Raises:
        UsageError: no decisions in the folder, the run is not a plan, or no scenario at all.
        StoreError: no such run.
    """
    path = Path(plan)
    if path.is_dir():
        decisions = _folder_table(path, "decisions")
        if decisions is None:
            raise UsageError(f"--plan {plan}: no decisions.parquet or decisions.csv in that folder")
        stored = StoredPlan(decisions, _folder_table(path, "wafer_starts"), plan)
        return ScenarioInput.load(scenario), stored
    record = store.get(plan)
    if record.kind != "plan":
        raise UsageError(f"--plan {plan}: run {record.id} is a {record.kind!r} run, not a plan")
    if scenario is not None:
        source = ScenarioInput.load(scenario)
    else:
        text = record.scenario_text or ""
        if not text:
            raise UsageError(f"--plan {plan}: the run keeps no scenario text; give SCENARIO")
        where = f"run {record.id}"
        source = ScenarioInput.of(
            scenario_from_dict(parse_scenario_text(text, "yaml", where), file=where)
        )
    tables = store.tables(record.id)
    wafer_starts = store.load_table(record.id, "wafer_starts") if "wafer_starts" in tables else None
    return source, StoredPlan(store.load_table(record.id, "decisions"), wafer_starts, plan)
