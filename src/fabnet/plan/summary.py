"""The key figures of a solved plan as a typed value: :class:`PlanSummary`.

``PlanSummary.from_dict(d).to_dict() == d`` for the JSON that ``fabnet plan --json`` prints
(and the run store keeps as ``summary.json``): the same keys, in the same order, with the same
values. ``run_id`` is there once the plan is kept in a run.

``from_dict`` refuses a dict with missing or unknown keys (:class:`~fabnet.errors.DataError`
naming them), so the JSON and this type cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from fabnet.errors import DataError
from fabnet.vocab import AllocationPolicy, Objective, Strategy

__all__ = ["ModelSize", "PlanDecision", "PlanSummary", "check_keys"]


def check_keys(
    what: str, data: Mapping[str, Any], required: list[str], optional: tuple[str, ...] = ()
) -> None:
    """Raise DataError unless ``data`` has every key of ``required`` and no key outside
    ``required`` and ``optional``."""
    if not isinstance(data, Mapping):
        raise DataError(f"{what} must be a mapping (got {type(data).__name__})")
    missing = [k for k in required if k not in data]
    unknown = [k for k in data if k not in required and k not in optional]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(map(str, unknown))}")
        raise DataError(f"{what}: {'; '.join(parts)}")


@dataclass(frozen=True)
class PlanDecision:
    """One build or buy decision: ``modules`` at ``site`` on ``node`` from month ``start``."""

    site: str
    action: str
    start: str
    modules: int
    capex: float
    node: str
    first_output: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanDecision:
        names = [f.name for f in fields(cls)]
        check_keys("plan decision", data, names)
        return cls(**{k: data[k] for k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ModelSize:
    """Rows, columns and integer columns of the design model."""

    rows: int
    columns: int
    integers: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSize:
        check_keys("model size", data, ["rows", "columns", "integers"])
        return cls(data["rows"], data["columns"], data["integers"])

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": self.columns, "integers": self.integers}


@dataclass(frozen=True)
class PlanSummary:
    """Key figures of a plan (the JSON of ``fabnet plan --json``; money USD, months ``YYYY-MM``).

    Attributes:
        status: ``optimal`` or ``time_limit``.
        objective_value: the final objective (USD; shortage penalties included for ``npv``).
        design_objective_value: the design MIP's objective.
        npv: net present value at the policy's discount rate, terminal value included;
            ``npv_without_terminal_value`` without it, ``terminal_value`` undiscounted (USD).
        irr: internal rate of return of the project's monthly flows (``None`` when it has none);
            ``payback_month``: when the cumulative flow turns positive, or ``None``.
        revenue_total, tax_total, tax_shield_total, grants_total, sustaining_capex_total: sums
            over the horizon (USD); ``outside_wafers_total``: wafers bought from outside foundries.
        funding_gap: the peak debt drawn (USD); its first and peak months, or ``None``.
        decisions: what to build or buy, in the order of the decisions table.
        delivered_by_year: accelerators per calendar year (``"2026"`` → units).
        fill_rate_by_customer: delivered / demanded over the horizon.
        first_good_accelerator: the first month with output, or ``None``.
        cost_per_accelerator: (capex + opex + interest) / units delivered, or ``None``.
        mip_gap: the MIP gap reached, or ``None`` when HiGHS reports none.
        allocation: what the allocation policy did (its stages and figures).
        timings: seconds per stage of ``solve_plan``.
        run_id: the run that keeps the plan (``None`` before it is kept).
    """

    status: str
    scenario: str
    objective: Objective
    policy: AllocationPolicy
    strategy: Strategy
    objective_value: float
    design_objective_value: float
    npv: float
    irr: float | None
    payback_month: str | None
    npv_without_terminal_value: float
    terminal_value: float
    revenue_total: float
    tax_total: float
    tax_shield_total: float
    grants_total: float
    sustaining_capex_total: float
    outside_wafers_total: float
    capex_total: float
    funding_gap: float
    funding_gap_first_month: str | None
    funding_gap_peak_month: str | None
    decisions: tuple[PlanDecision, ...]
    delivered_by_year: dict[str, float]
    delivered_total: float
    shortage_by_customer: dict[str, float]
    fill_rate_by_customer: dict[str, float]
    first_good_accelerator: str | None
    cost_per_accelerator: float | None
    mip_gap: float | None
    solve_seconds: float
    build_seconds: float
    model_size: ModelSize
    allocation: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None

    @classmethod
    def json_keys(cls) -> list[str]:
        """Every key of the JSON, in order (``run_id`` last; present once the plan is kept)."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanSummary:
        """The summary of a plan's JSON (or of ``PlanResult.summary``).

        Raises:
            DataError: a key is missing or unknown.
            UsageError: objective, policy or strategy is not a valid value.
        """
        keys = cls.json_keys()
        check_keys("plan summary", data, keys[:-1], optional=("run_id",))
        values = {k: data[k] for k in keys if k in data}
        values["objective"] = Objective.parse(data["objective"], "objective")
        values["policy"] = AllocationPolicy.parse(data["policy"], "policy")
        values["strategy"] = Strategy.parse(data["strategy"], "strategy")
        values["decisions"] = tuple(PlanDecision.from_dict(d) for d in data["decisions"])
        values["model_size"] = ModelSize.from_dict(data["model_size"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (plain ``str`` for the modes; ``run_id`` only when kept in a run)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "run_id" and value is None:
                continue
            if f.name in ("objective", "policy", "strategy"):
                value = str(value)
            elif f.name == "decisions":
                value = [d.to_dict() for d in value]
            elif f.name == "model_size":
                value = value.to_dict()
            out[f.name] = value
        return out
