"""The key figures of a risk run as a typed value: :class:`RiskSummary`.

``RiskSummary.from_dict(d).to_dict() == d`` for the JSON that ``fabnet risk --json`` prints (and
the run store keeps as ``summary.json``): the same keys in the same order. Each scalar figure is
a :class:`Figure` (count, mean, percentiles …); ``robust`` is there after ``--robust K``.

:meth:`RiskSummary.key_figures` are the figures a risk run lists in the store (``npv_p50`` …),
written in this one place for ``fabnet risk`` and the web service alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from fabnet.errors import DataError
from fabnet.plan.summary import check_keys
from fabnet.risk.recourse import SCALAR_METRICS
from fabnet.risk.tornado import Tornado
from fabnet.vocab import Recourse, RobustMethod

__all__ = ["FIGURES", "Figure", "PlanFigures", "RiskSummary", "RobustSummary", "SAADetails"]

#: The scalar figures of a risk summary, each a :class:`Figure` (order of the JSON): the
#: recourse's per-future metrics less the two funding indicators, which the summary reports as
#: probabilities (``prob_funding_sufficient``, ``prob_funding_with_debt``).
FIGURES = tuple(m for m in SCALAR_METRICS if m not in ("funding_sufficient", "funding_with_debt"))


@dataclass(frozen=True)
class Figure:
    """One figure over the sampled futures; ``None`` where it is not finite (no future had it)."""

    count: int
    nan_count: int
    mean: float | None
    std: float | None
    min: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], what: str = "figure") -> Figure:
        names = [f.name for f in fields(cls)]
        check_keys(what, data, names)
        return cls(**{k: data[k] for k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SAADetails:
    """What the sample-average MIP of ``--robust-method saa`` reports besides the comparison."""

    k: int
    recourse: Recourse
    in_sample_objective: float | None
    status: str
    mip_gap: float | None
    size: dict[str, Any]
    timings: dict[str, Any]
    decisions: list[dict[str, Any]]

    @classmethod
    def json_keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SAADetails:
        values = {k: data[k] for k in cls.json_keys()}
        values["recourse"] = Recourse.parse(data["recourse"], "robust recourse")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.json_keys()}
        out["recourse"] = str(self.recourse)
        return out


@dataclass(frozen=True)
class RobustSummary:
    """The robust plan against the deterministic one (``fabnet risk --robust K``)."""

    method: RobustMethod
    chosen: str
    vss: float | None
    vss_se: float | None
    out_of_sample: int
    table: list[dict[str, Any]]
    saa: SAADetails | None = None
    decide: dict[str, Any] | None = None
    """Issue 13's parts, each when asked for: ``risk`` (CVaR / chance terms and their in-sample
    values), ``frontier``, ``staged``, ``decomposition`` (:mod:`fabnet.pipelines.decide`)."""

    _CORE = ("method", "chosen", "vss", "vss_se", "out_of_sample", "table")
    _DECIDE = ("risk", "frontier", "staged", "decomposition")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RobustSummary:
        method = RobustMethod.parse(data.get("method"), "robust method")
        saa_keys = SAADetails.json_keys() if method is RobustMethod.SAA else []
        check_keys("robust summary", data, [*cls._CORE, *saa_keys], optional=cls._DECIDE)
        saa = SAADetails.from_dict(data) if saa_keys else None
        decide = {k: data[k] for k in cls._DECIDE if k in data} or None
        return cls(
            method,
            chosen=data["chosen"],
            vss=data["vss"],
            vss_se=data["vss_se"],
            out_of_sample=data["out_of_sample"],
            table=data["table"],
            saa=saa,
            decide=decide,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self._CORE}
        out["method"] = str(self.method)
        if self.saa is not None:
            out.update(self.saa.to_dict())
        out.update(self.decide or {})
        return out


@dataclass(frozen=True)
class PlanFigures:
    """The plan's deterministic figures beside the distribution (:mod:`fabnet.risk.beside`):
    where they come from (``source``), the horizon's first month (``start``), NPV, IRR, capex, funding need and gap, the partners'
    commitments, delivered and short units, first good month (months from the start)."""

    source: str
    start: str
    npv: float | None
    irr: float | None
    capex: float | None
    funding_need: float | None
    funding_gap: float | None
    commitments: float | None
    delivered_total: float | None
    shortage_total: float | None
    first_good_month: float | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanFigures:
        names = [f.name for f in fields(cls)]
        check_keys("risk summary plan", data, names)
        return cls(**{k: data[k] for k in names})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RiskSummary:
    """Key figures of a plan over sampled futures (the JSON of ``fabnet risk --json``).

    Attributes:
        samples, seed, executor, workers, recourse, chunk_size: how the futures were evaluated.
        figures: each of :data:`FIGURES` (``npv``, ``shortage_total`` …) as a :class:`Figure`.
        prob_funding_sufficient: share of futures where the partners' commitments suffice.
        prob_funding_with_debt: the same with the debt line.
        delivered_by_year, shortage_by_customer: a :class:`Figure` per year / customer.
        wall_seconds, futures_per_second: time of the evaluation.
        scenario, run_id: the scenario's name and the run that keeps the summary (``None``
            before it is kept: :meth:`fabnet.risk.RiskResult.summary` has neither).
        robust: the robust plan's comparison, after ``--robust K``.
        plan: the plan's deterministic figures (:class:`PlanFigures`) and ``explanation``,
            sentences on why they differ from the distribution (absent in older runs).
        tornado: each uncertainty at its P10 and P90, the others at their medians, after
            ``--tornado`` (:class:`~fabnet.risk.tornado.Tornado`; the JSON's last key).

    The JSON also repeats ``capex_total`` as ``capex`` (capex percentiles under the name the
    plan's figures use).
    """

    samples: int
    seed: int
    executor: str
    workers: int
    recourse: Recourse
    chunk_size: int
    figures: dict[str, Figure]
    prob_funding_sufficient: float
    prob_funding_with_debt: float
    delivered_by_year: dict[str, Figure]
    shortage_by_customer: dict[str, Figure]
    wall_seconds: float
    futures_per_second: float | None
    scenario: str | None = None
    run_id: str | None = None
    robust: RobustSummary | None = None
    tornado: Tornado | None = None
    plan: PlanFigures | None = None
    explanation: tuple[str, ...] = ()

    _HEAD = ("samples", "seed", "executor", "workers", "recourse", "chunk_size")
    _TAIL = (
        "prob_funding_sufficient",
        "prob_funding_with_debt",
        "delivered_by_year",
        "shortage_by_customer",
        "wall_seconds",
        "futures_per_second",
    )

    @classmethod
    def json_keys(cls) -> list[str]:
        """Every key of the JSON, in order (the last three may be absent: ``scenario`` and
        ``run_id`` until the summary is kept in a run, ``robust`` without ``--robust``)."""
        return [*cls._HEAD, *FIGURES, "capex", *cls._TAIL, "plan", "explanation", *cls._LAST]

    _LAST = ("scenario", "run_id", "robust", "tornado")
    _OPTIONAL = ("capex", "plan", "explanation", *_LAST)

    def __getitem__(self, name: str) -> Figure:
        """``summary["npv"]``: one of :data:`FIGURES`."""
        return self.figures[name]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskSummary:
        """The summary of a risk run's JSON.

        Raises:
            DataError: a key is missing or unknown.
            UsageError: recourse or the robust method is not a valid value.
        """
        required = [k for k in cls.json_keys() if k not in cls._OPTIONAL]
        check_keys("risk summary", data, required, optional=cls._OPTIONAL)
        head = {k: data[k] for k in cls._HEAD}
        head["recourse"] = Recourse.parse(data["recourse"], "recourse")
        tail = {k: data[k] for k in cls._TAIL}
        for key in ("delivered_by_year", "shortage_by_customer"):
            if not isinstance(data[key], Mapping):
                raise DataError(f"risk summary: {key} must be a mapping")
            tail[key] = {
                str(name): Figure.from_dict(value, f"risk summary {key}.{name}")
                for name, value in data[key].items()
            }
        robust = data.get("robust")
        return cls(
            **head,
            figures={k: Figure.from_dict(data[k], f"risk summary {k}") for k in FIGURES},
            **tail,
            scenario=data.get("scenario"),
            run_id=data.get("run_id"),
            robust=None if robust is None else RobustSummary.from_dict(robust),
            tornado=None if data.get("tornado") is None else Tornado.from_dict(data["tornado"]),
            plan=None if data.get("plan") is None else PlanFigures.from_dict(data["plan"]),
            explanation=tuple(data.get("explanation") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in the order ``fabnet risk --json`` prints them."""
        out: dict[str, Any] = {k: getattr(self, k) for k in self._HEAD}
        out["recourse"] = str(self.recourse)
        out.update({k: self.figures[k].to_dict() for k in FIGURES})
        if self.plan is not None:
            out["capex"] = self.figures["capex_total"].to_dict()
        for key in self._TAIL:
            value = getattr(self, key)
            if key in ("delivered_by_year", "shortage_by_customer"):
                value = {name: fig.to_dict() for name, fig in value.items()}
            out[key] = value
        if self.plan is not None:
            out["plan"] = self.plan.to_dict()
            out["explanation"] = list(self.explanation)
        if self.scenario is not None:
            out["scenario"] = self.scenario
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.robust is not None:
            out["robust"] = self.robust.to_dict()
        if self.tornado is not None:
            out["tornado"] = self.tornado.to_dict()
        return out

    def key_figures(self) -> dict[str, float]:
        """The figures a risk run lists in the store (``fabnet runs list``, the web's run list);
        a figure no future had is NaN (the store lists it as empty)."""
        npv, shortage = self.figures["npv"], self.figures["shortage_total"]
        figures = {
            "npv_p50": npv.p50,
            "npv_p5": npv.p5,
            "npv_p95": npv.p95,
            "shortage_p50": shortage.p50,
            "prob_funding_sufficient": self.prob_funding_sufficient,
            "samples": self.samples,
            "wall_seconds": self.wall_seconds,
        }
        return {k: math.nan if v is None else float(v) for k, v in figures.items()}
