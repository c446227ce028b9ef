"""The sweep pipeline (``fabnet sweep FIELD=v1,v2,... [FIELD2=...]``): a grid over scenario
fields, each point a plan kept in the run store.

::

    axes = parse_axes(["financing.tax_rate=0.1,0.2", "fabs.*.lead_time_months=30,36"])
    outcome = run_sweep(ScenarioInput.load(None), axes, PlanOptions(), RunStore(home))
    outcome.table  # one row per point: the values, run id, NPV, IRR, capex, funding gap, …

Stages: :func:`parse_axes` (the ``FIELD=values`` arguments, refused before anything runs) →
:func:`point_scenarios` (the grid, at most :data:`MAX_SWEEP_POINTS` points, every point's scenario
written and validated before the first solve: a bad field or value stops the sweep at once) →
one :func:`~fabnet.pipelines.plan.run_plan` per point (a ``plan`` run; a point whose plan fails is
kept as a failed run and the sweep goes on) → the table and its report
(:func:`fabnet.report.sweep.sweep_report`). Field paths and values:
:mod:`fabnet.scenario.fieldpath`.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fabnet.errors import InfeasibleError, SolverError, UsageError
from fabnet.pipelines._run import ProgressCallback
from fabnet.pipelines.inputs import ScenarioInput
from fabnet.pipelines.options import PlanOptions
from fabnet.pipelines.plan import run_plan
from fabnet.report.sweep import sweep_report
from fabnet.scenario import Scenario
from fabnet.scenario.fieldpath import parse_value, with_values
from fabnet.store import RunStore

__all__ = [
    "HEADLINE_FIGURES",
    "MAX_SWEEP_POINTS",
    "SweepAxis",
    "SweepOutcome",
    "parse_axes",
    "point_scenarios",
    "run_sweep",
]

#: Most points a sweep may have: each is a full plan solve (about half a minute to a minute for
#: the built-in scenario on 2 cores), so 30 points take up to half an hour.
MAX_SWEEP_POINTS = 30

#: The figures of each point's plan (keys of its summary), in the table's order.
HEADLINE_FIGURES = (
    "npv",
    "irr",
    "capex_total",
    "funding_gap",
    "delivered_total",
    "first_good_accelerator",
)


@dataclass(frozen=True)
class SweepAxis:
    """One swept field: its path as given and its values (parsed, and as written)."""

    field: str
    values: tuple[Any, ...]
    texts: tuple[str, ...]


def parse_axes(specs: Sequence[str]) -> list[SweepAxis]:
    """``["FIELD=v1,v2,...", ...]`` as axes.

    Raises:
        UsageError: no axis, an argument without ``=``, an empty field or value, a field twice.
    """
    if not specs:
        raise UsageError("give at least one FIELD=v1,v2,... (e.g. financing.tax_rate=0.1,0.2)")
    axes: list[SweepAxis] = []
    for spec in specs:
        field, sep, rest = spec.partition("=")
        field = field.strip()
        if not sep or not field:
            raise UsageError(f"{spec!r}: write FIELD=v1,v2,... (e.g. financing.tax_rate=0.1,0.2)")
        texts = tuple(v.strip() for v in rest.split(","))
        if any(not t for t in texts):
            raise UsageError(f"{field}: empty value in {rest!r}; write {field}=v1,v2,...")
        if any(a.field == field for a in axes):
            raise UsageError(f"{field} is swept twice; give all its values once: {field}=v1,v2")
        axes.append(SweepAxis(field, tuple(parse_value(t) for t in texts), texts))
    return axes


def point_scenarios(
    scenario: Scenario, axes: Sequence[SweepAxis], source: str | None = None
) -> list[tuple[dict[str, Any], Scenario]]:
    """Every point of the grid (the product of the axes, the last axis fastest) with its
    scenario, validated.

    Raises:
        UsageError: more than :data:`MAX_SWEEP_POINTS` points.
        ScenarioError: a field path names no field, or a value is of the wrong kind or out of
            range (the problem names the field and the value).
    """
    sizes = [len(a.values) for a in axes]
    total = 1
    for n in sizes:
        total *= n
    if total > MAX_SWEEP_POINTS:
        shape = " × ".join(map(str, sizes))
        raise UsageError(
            f"the grid has {total:,} points ({shape}); at most {MAX_SWEEP_POINTS} "
            "(each point is a plan solve): give fewer values"
        )
    points = []
    for combo in itertools.product(*(a.values for a in axes)):
        values = {a.field: v for a, v in zip(axes, combo, strict=True)}
        points.append((values, with_values(scenario, values, source)))
    return points


@dataclass(frozen=True)
class SweepOutcome:
    """A finished sweep: the table (one row per point), the plan runs and the report."""

    scenario: str
    axes: tuple[SweepAxis, ...]
    table: pd.DataFrame
    run_ids: tuple[str, ...]
    report_html: str
    wall_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``fabnet sweep --json``."""
        return {
            "scenario": self.scenario,
            "fields": [{"field": a.field, "values": list(a.values)} for a in self.axes],
            "max_points": MAX_SWEEP_POINTS,
            "points": self.table.to_dict("records"),
            "run_ids": list(self.run_ids),
            "wall_seconds": self.wall_seconds,
        }


def _row(point: int, values: dict[str, Any], run_id: str | None, summary: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"point": point, **values, "run_id": run_id}
    if isinstance(summary, str):
        row["status"] = summary
        row.update({k: None for k in HEADLINE_FIGURES})
    else:
        row["status"] = summary.status
        row.update({k: getattr(summary, k) for k in HEADLINE_FIGURES})
    return row


def run_sweep(
    source: ScenarioInput,
    axes: Sequence[SweepAxis],
    options: PlanOptions,
    store: RunStore,
    *,
    progress: ProgressCallback | None = None,
) -> SweepOutcome:
    """Plan every point of the grid of ``axes`` over ``source`` (module docstring).

    Raises:
        UsageError, ScenarioError: before any solve (see :func:`point_scenarios`).
    """
    t0 = time.perf_counter()
    points = point_scenarios(source.scenario, axes, source.name)
    rows, run_ids = [], []
    for i, (values, scenario) in enumerate(points):
        label = ", ".join(f"{k}={v}" for k, v in values.items())
        started: list[str] = []

        def step(fraction: float, message: str, i: int = i, label: str = label) -> None:
            if progress is not None:
                progress((i + fraction) / len(points), f"{i + 1}/{len(points)} {label}: {message}")

        recorded = {**options.solve_kwargs(), "sweep": values}
        try:
            outcome = run_plan(ScenarioInput.of(scenario), options, store,
                               recorded_options=recorded, progress=step,
                               on_start=started.append)  # fmt: skip
        except (InfeasibleError, SolverError) as error:  # the run is kept, failed; go on
            rows.append(_row(i + 1, values, started[0] if started else None, f"failed: {error}"))
        else:
            rows.append(_row(i + 1, values, outcome.run_id, outcome.summary))
        run_ids.extend(started)
    table = pd.DataFrame(rows)
    html = sweep_report(source.name, [a.field for a in axes], table)
    return SweepOutcome(
        source.name, tuple(axes), table, tuple(run_ids), html, time.perf_counter() - t0
    )
