"""Fab templates and operating curves: how the planner learns a fab's capacity and lead time.

An operating curve (written by ``fabnet fab curve``) relates the load factor u of a fab (release
rate / nominal rate) to its flow factor X = cycle time / raw process time. The fitted form is
the X-factor curve of Factory Physics' "practical worst case"/Kingman family:

    X(u) = 1 + a · u^b / (1 − u)        (0 ≤ u < 1)

(Hopp & Spearman, *Factory Physics*, 3rd ed., §9.4; Kingman 1961; FabTime cycle-time tutorial).
The planner derates a fab's nominal capacity to ``max_load_for_flow_factor(target)`` and uses
``flow_factor_at(u) × raw_process_time_days`` as the lead time.

This module holds only the schema, the fit evaluation and loading; the fit itself is computed
in :mod:`fabnet.fab.curve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from fabnet.errors import Problem, ScenarioError
from fabnet.scenario._base import FilePath, Number, StrictModel
from fabnet.scenario.limits import MAX_ITEMS, MAX_QUANTITY, MAX_SCENARIO_BYTES

__all__ = [
    "CurveFit",
    "CurvePoint",
    "FabTemplate",
    "InlineFab",
    "InlineProduct",
    "InlineRoute",
    "InlineStep",
    "InlineToolGroup",
    "OperatingCurve",
]


class CurvePoint(StrictModel):
    """One simulated load level (averages over replications)."""

    load: Number = Field(gt=0, le=100, description="load factor (release rate / nominal rate)")
    throughput_wafers_per_day: Number = Field(ge=0, le=MAX_QUANTITY)
    throughput_wafers_per_month: Number = Field(ge=0, le=MAX_QUANTITY)
    cycle_time_days: Number = Field(ge=0, le=1e6)
    flow_factor: Number = Field(ge=0, le=1e6)
    flow_factor_half_width: Number | None = Field(
        default=None, ge=0, le=1e6, description="95 % confidence half-width across replications"
    )
    replications: int = Field(default=1, ge=1, le=1_000_000)


class CurveFit(StrictModel):
    """``kind="xfactor"``: X(u) = 1 + a·u^b/(1−u), params ``{"a": .., "b": ..}``."""

    kind: Literal["xfactor"] = "xfactor"
    params: dict[str, Annotated[Number, Field(ge=-1e6, le=1e6)]] = Field(max_length=10)
    rmse: Number | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> CurveFit:
        missing = {"a", "b"} - set(self.params)
        if missing:
            raise ValueError(f"xfactor fit needs params a and b; missing {sorted(missing)}")
        if self.params["a"] < 0 or self.params["b"] <= 0:
            raise ValueError("xfactor fit needs a >= 0 and b > 0")
        return self

    def flow_factor(self, load: float) -> float:
        if load >= 1.0:
            return float("inf")
        u = max(0.0, load)
        return 1.0 + self.params["a"] * u ** self.params["b"] / (1.0 - u)


class OperatingCurve(StrictModel):
    """Cycle time versus load of one fab, from simulation (``fabnet fab curve``)."""

    fab: str = ""
    raw_process_time_days: Number = Field(gt=0, le=10_000)
    nominal_wafers_per_day: Number | None = Field(default=None, ge=0, le=MAX_QUANTITY)
    points: list[CurvePoint] = Field(default_factory=list, max_length=MAX_ITEMS)
    fit: CurveFit
    source: str = ""

    def flow_factor_at(self, load: float) -> float:
        """Fitted flow factor X(u); infinite at u ≥ 1."""
        return self.fit.flow_factor(load)

    def cycle_time_days_at(self, load: float) -> float:
        return self.flow_factor_at(load) * self.raw_process_time_days

    def max_load_for_flow_factor(self, target: float) -> float:
        """Largest load u with X(u) ≤ target (bisection; X is increasing in u)."""
        if target <= 1.0:
            return 0.0
        lo, hi = 0.0, 1.0 - 1e-12
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            if self.flow_factor_at(mid) <= target:
                lo = mid
            else:
                hi = mid
        return lo

    @classmethod
    def from_file(cls, path: str | Path) -> OperatingCurve:
        """Load the JSON written by ``fabnet fab curve``; errors name the file and field."""
        from fabnet.scenario._strict import ReadError, read_json
        from fabnet.scenario.errors_format import problems_from_validation_error

        p = Path(path)

        def fail(message: str) -> ScenarioError:
            return ScenarioError([Problem("", message)], file=str(p).replace("\x00", "\\0"))

        try:
            if not p.is_file():
                raise fail("operating-curve file not found; run `fabnet fab curve --out ...`")
            if p.stat().st_size > MAX_SCENARIO_BYTES:
                raise fail(f"larger than {MAX_SCENARIO_BYTES:,} bytes: not a curve file")
            data = read_json(p.read_text(encoding="utf-8"))
        except ReadError as exc:
            raise fail(f"not valid JSON{exc.where()}: {exc.message}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: NUL in the path
            raise fail(f"cannot read the file: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioError(
                [Problem("", "an operating curve must be a JSON object (from `fabnet fab curve`)")],
                file=str(p),
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(problems_from_validation_error(exc, cls), file=str(p)) from None


_MINUTES = 1e6  # about two years: longer than any fab step


class InlineToolGroup(StrictModel):
    name: str
    count: int = Field(ge=1, le=10_000)
    load_minutes: Number = Field(default=0.0, ge=0, le=_MINUTES)


class InlineStep(StrictModel):
    group: str
    minutes: Number = Field(
        gt=0, le=_MINUTES, description="mean processing time per job (lot or batch)"
    )
    dist: Literal["uniform", "exponential", "constant"] = "uniform"
    half_width: Number = Field(default=0.0, ge=0, le=_MINUTES)
    batch_min: int = Field(default=1, ge=1, le=10_000)
    batch_max: int = Field(default=1, ge=1, le=10_000)
    sample_percent: Number = Field(default=100.0, ge=0, le=100)
    rework_percent: Number = Field(default=0.0, ge=0, le=100)
    rework_to: int = Field(default=-1, ge=-1, le=MAX_ITEMS)


class InlineRoute(StrictModel):
    name: str
    steps: list[InlineStep] = Field(min_length=1, max_length=MAX_ITEMS)


class InlineProduct(StrictModel):
    name: str
    route: str
    lots_per_day: Number = Field(ge=0, le=1e6)
    due_days: Number = Field(default=30.0, gt=0, le=1e5)
    priority: int = Field(default=10, ge=-1_000_000, le=1_000_000)


class InlineFab(StrictModel):
    """A small fab written in the scenario: tool groups with counts, routes, products."""

    tool_groups: list[InlineToolGroup] = Field(min_length=1)
    routes: list[InlineRoute] = Field(min_length=1)
    products: list[InlineProduct] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> InlineFab:
        groups = {g.name for g in self.tool_groups}
        routes = {r.name for r in self.routes}
        for r in self.routes:
            for i, s in enumerate(r.steps):
                if s.group not in groups:
                    raise ValueError(
                        f"route {r.name!r} step {i}: unknown tool group {s.group!r}; "
                        f"defined: {sorted(groups)}"
                    )
        for p in self.products:
            if p.route not in routes:
                raise ValueError(
                    f"product {p.name!r}: unknown route {p.route!r}; defined: {sorted(routes)}"
                )
        return self


class FabTemplate(StrictModel):
    """A fab the planner can place: an SMT2020 dataset or an inline fab, plus its curve."""

    name: str
    smt2020: FilePath | None = Field(default=None, description="path of an SMT2020 dataset folder")
    fab: InlineFab | None = None
    operating_curve: FilePath | None = Field(
        default=None, description="path of the JSON written by `fabnet fab curve`"
    )

    @model_validator(mode="after")
    def _one_source(self) -> FabTemplate:
        if (self.smt2020 is None) == (self.fab is None):
            raise ValueError("give exactly one of `smt2020: <dataset dir>` or `fab: {...}`")
        return self

    def load_curve(self, base_dir: str | Path | None = None) -> OperatingCurve | None:
        """The referenced operating curve (relative paths resolve against ``base_dir``)."""
        if self.operating_curve is None:
            return None
        p = Path(self.operating_curve)
        if base_dir is not None and not p.is_absolute():
            p = Path(base_dir) / p
        return OperatingCurve.from_file(p)
