"""Sampling futures: the scenario's uncertainty specs compiled into a reproducible sampler.

**Targets.** A spec acts on ``"<collection>.<name or *>.<field>"``; with ``*`` it acts on every
item of the collection that has the field. Each (collection, item, field) the specs touch becomes a
*target*; a future holds, per target, an affine map of the base value,
``new = m · base + a``, built by applying the specs in file order (``add x``: a += x;
``multiply x``: m *= x, a *= x; ``set x``: m = 0, a = x). Several specs on one target thus compose
(e.g. a construction delay on every fab plus an extra delay on the US site). Which fields the
risk engine knows how to vary is :data:`SUPPORTED_TARGETS`; any other target is a
:class:`~fabnet.errors.ScenarioError` naming the spec.

**Correlation (Gaussian copula).** Specs that name a common ``factor`` share one standard normal
``f`` per future: ``z = λ f + sqrt(1 − λ²) ε`` with the spec's ``loading`` λ and an independent
``ε``, and the draw is ``x = F⁻¹(Φ(z))`` (:mod:`fabnet.risk.distributions`). Two specs on the same
factor are correlated through their normal scores with coefficient λ₁λ₂. With ``per_item`` a
``*`` spec draws one ε per item; otherwise one ε for all items.

**Reproducibility.** Futures are drawn in chunks of a fixed size; chunk ``i`` uses the streams
``SeedSequence(seed, spawn_key=(i, k))`` — ``k = 0`` for the factors and ``k = j + 1`` for spec
``j`` — which is exactly ``SeedSequence(seed).spawn(n)[i].spawn(...)[k]``. Future ``n`` of a run
therefore gets the same numbers whatever executor or number of workers evaluates its chunk, and a
spec's draws do not change when another spec is added.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fabnet.errors import Problem, ScenarioError, UsageError
from fabnet.risk.distributions import RiskDistribution, make_distribution
from fabnet.scenario import Scenario
from fabnet.scenario.uncertainty import VIRTUAL_FIELDS

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SUPPORTED_TARGETS",
    "Chunk",
    "Draws",
    "Sampler",
    "SpecPlan",
    "compile_uncertainties",
    "make_chunks",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_CHUNK_SIZE = 1000
"""Futures per chunk. Part of the reproducibility contract: same seed and chunk size, same numbers."""

SUPPORTED_TARGETS: dict[tuple[str, str], str] = {
    ("fabs", "lead_time_months"): "greenfield construction + tool install time (delays output)",
    ("fabs", "months_to_first_output"): "bought fab: months to first output (delays output)",
    ("fabs", "capacity_wspm"): "bought fab capacity (scales wafer output)",
    ("fabs", "module_wspm"): "greenfield module capacity (scales wafer output)",
    ("fabs", "opex_per_wafer_usd"): "operating cost per wafer (wafer cost)",
    ("nodes", "learning_tau_months"): "defect-density learning time constant (ramp speed)",
    ("customers", "demand"): "demand per product (level)",
    ("customers", "demand_growth"): "extra demand growth per year, compounded (base 0)",
    ("customers", "contracted"): "contracted minimums",
    ("customers", "price_usd"): "accelerator prices paid",
    ("packaging", "capacity_wpm"): "packaging capacity (e.g. booked CoWoS slots)",
    ("packaging", "cost_per_wafer_usd"): "packaging cost per interposer wafer",
    ("hbm", "stacks_per_month"): "HBM stacks on offer",
    ("hbm", "price_usd"): "HBM price per stack",
    ("investors", "pay_in_delay_months"): "months by which an investor's pay-ins slip",
    ("investors", "commitment_usd"): "investor commitment (scales its pay-ins)",
    ("fabs", "capex_overrun"): (
        "capex overrun as a share of the site's capex (base 0): scales its capex, "
        "depreciation and sustaining capex"
    ),
    ("fabs", "ramp_stretch"): "the ramp to full output takes (1 + x) times as long (base 0)",
    ("fabs", "yield_stuck_months"): (
        "months the site's yield stays at its start value before learning begins (base 0; "
        "a Bernoulli draw makes it an event: the site fails to reach yield for N months)"
    ),
    ("nodes", "d0_mature_per_cm2"): "mature defect density (the yield the node learns towards)",
    ("customers", "price_erosion"): "extra price decline per year, compounded (base 0)",
    ("outside_foundries", "price_per_wafer_usd"): "price of bought-in wafers",
    ("outside_foundries", "max_wafers_per_month"): "bought-in wafers on offer (caps the plan's)",
    ("outside_packaging", "capacity_wpm"): "outside packaging capacity (interposer wafers)",
    ("outside_packaging", "price_per_wafer_usd"): "outside packaging price per interposer wafer",
}
"""(collection, field) pairs the risk engine can vary, with what they mean."""

_VIRTUAL_TARGETS = {(c, f) for c, names in VIRTUAL_FIELDS.items() for f in names}
"""Targets that are effects rather than stored fields; their base value is 0."""


@dataclass(frozen=True)
class Chunk:
    """A block of futures: indices ``start .. start + size - 1`` drawn from chunk ``index``."""

    index: int
    start: int
    size: int
    seed: int


def make_chunks(n: int, seed: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Chunk]:
    """Split ``n`` futures into chunks of ``chunk_size`` (the last may be shorter)."""
    return [
        Chunk(i, s, min(chunk_size, n - s), seed) for i, s in enumerate(range(0, n, chunk_size))
    ]


@dataclass(frozen=True)
class SpecPlan:
    """One uncertainty spec resolved against the scenario."""

    name: str
    target_index: tuple[int, ...]  # into Sampler.targets, one per item
    effect: str
    dist: RiskDistribution
    factor: int | None
    loading: float
    per_item: bool


@dataclass(frozen=True)
class Draws:
    """The sampled futures of one chunk: per target, ``new = mult · base + add``."""

    targets: tuple[tuple[str, str, str], ...]
    mult: FloatArray  # futures x targets
    add: FloatArray  # futures x targets

    @property
    def n(self) -> int:
        return int(self.mult.shape[0])

    def affine(
        self, collection: str, item: str, field: str
    ) -> tuple[FloatArray, FloatArray] | None:
        """``(m, a)`` arrays over futures for one target, or None when nothing varies it."""
        try:
            k = self.targets.index((collection, item, field))
        except ValueError:
            return None
        return self.mult[:, k], self.add[:, k]

    def value(self, collection: str, item: str, field: str, base: float) -> FloatArray:
        """The sampled value of a scalar field per future (``base`` when nothing varies it)."""
        ma = self.affine(collection, item, field)
        if ma is None:
            return np.full(self.n, float(base))
        return ma[0] * base + ma[1]


@dataclass(frozen=True)
class Sampler:
    """Compiled uncertainty specs; :meth:`draw` samples one chunk of futures."""

    targets: tuple[tuple[str, str, str], ...]
    specs: tuple[SpecPlan, ...]
    factors: tuple[str, ...]

    @property
    def is_deterministic(self) -> bool:
        """True when every spec is a point mass (all futures equal)."""
        return all(s.dist.is_point for s in self.specs)

    def draw(self, chunk: Chunk) -> Draws:
        """Draws for the futures of ``chunk`` (see the module docstring for the streams)."""
        n, k = chunk.size, len(self.targets)
        mult = np.ones((n, k))
        add = np.zeros((n, k))
        f_rng = np.random.default_rng(
            np.random.SeedSequence(chunk.seed, spawn_key=(chunk.index, 0))
        )
        factors = f_rng.standard_normal((n, len(self.factors)))
        for j, spec in enumerate(self.specs):
            rng = np.random.default_rng(
                np.random.SeedSequence(chunk.seed, spawn_key=(chunk.index, j + 1))
            )
            width = len(spec.target_index) if spec.per_item else 1
            z = rng.standard_normal((n, width))
            if spec.factor is not None:
                lam = spec.loading
                z = lam * factors[:, [spec.factor]] + math.sqrt(max(1.0 - lam * lam, 0.0)) * z
            x = spec.dist.from_normal(z)
            x = np.broadcast_to(x, (n, len(spec.target_index)))
            for col, t in enumerate(spec.target_index):
                if spec.effect == "add":
                    add[:, t] += x[:, col]
                elif spec.effect == "multiply":
                    mult[:, t] *= x[:, col]
                    add[:, t] *= x[:, col]
                else:  # set
                    mult[:, t] = 0.0
                    add[:, t] = x[:, col]
        return Draws(self.targets, mult, add)

    def at_quantiles(self, overrides: Mapping[str, float], default: float = 0.5) -> Draws:
        """One future with each spec at a chosen quantile of its own distribution.

        Spec ``s`` takes ``x_s = F_s⁻¹(q_s)`` (its distribution's inverse CDF,
        :meth:`~fabnet.risk.distributions.RiskDistribution.ppf`) with ``q_s = overrides[s]``
        if given, else ``default`` (0.5: the median); a per-item ``*`` spec puts every item at
        the same quantile. The draws then act on their targets exactly as in :meth:`draw`
        (``add``, ``multiply``, ``set``, in file order).

        Common factors: a spec on a factor is put at **its own** quantile ``q_s``, and the factor
        is held at its median ``f = 0``. The copula's normal score of spec ``s`` is
        ``z_s = λ f + sqrt(1 − λ²) ε_s``; its marginal is N(0, 1) whatever λ, so
        ``z_s = Φ⁻¹(q_s)`` gives the spec's own quantile (as if ``ε_s = Φ⁻¹(q_s)/sqrt(1 − λ²)``),
        and every other spec on the same factor, with ``ε = 0`` and ``f = 0``, stays at its
        median. This is the one-at-a-time sensitivity of a tornado chart, not a joint scenario:
        it does not move the correlated specs along.

        Discrete distributions use the same inverse CDF as the sampling (the smallest value whose
        cumulative probability exceeds ``q``), so the P90 of {0: 0.6, 6: 0.3, 12: 0.1} is 12.

        Raises:
            UsageError: an override names no spec, or a quantile is not strictly inside (0, 1).
        """
        names = {s.name for s in self.specs}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise UsageError(
                f"no uncertainty named {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(names)) or 'none'}"
            )
        for name, q in [*overrides.items(), ("default", default)]:
            if not (isinstance(q, int | float) and 0.0 < float(q) < 1.0):
                raise UsageError(
                    f"quantile of {name!r} must lie strictly between 0 and 1, got {q!r}"
                )
        k = len(self.targets)
        mult, add = np.ones((1, k)), np.zeros((1, k))
        for spec in self.specs:
            q = float(overrides.get(spec.name, default))
            x = float(spec.dist.ppf(np.array([q]))[0])
            for t in spec.target_index:
                if spec.effect == "add":
                    add[0, t] += x
                elif spec.effect == "multiply":
                    mult[0, t] *= x
                    add[0, t] *= x
                elif spec.effect == "set":
                    mult[0, t] = 0.0
                    add[0, t] = x
                else:  # an effect draw() learnt and this method did not: refuse, never guess
                    raise UsageError(f"uncertainty {spec.name!r}: effect {spec.effect!r} "
                                     "has no quantile form")  # fmt: skip
        return Draws(self.targets, mult, add)


def _items_with_field(scenario: Scenario, collection: str, name: str, field: str) -> list[str]:
    items = getattr(scenario, collection)
    chosen = items if name == "*" else [x for x in items if x.name == name]
    if (collection, field) in _VIRTUAL_TARGETS:
        return [x.name for x in chosen]
    return [x.name for x in chosen if field in type(x).model_fields]


def compile_uncertainties(
    scenario: Scenario, only: Sequence[str] | None = None, file: str | None = None
) -> Sampler:
    """Resolve ``scenario.uncertainties`` (or the named subset ``only``) into a :class:`Sampler`.

    Raises :class:`ScenarioError` for a target the risk engine cannot vary or that matches no item.
    """
    problems: list[Problem] = []
    targets: list[tuple[str, str, str]] = []
    specs: list[SpecPlan] = []
    factors: list[str] = []
    supported = ", ".join(f"{c}.*.{f}" for c, f in SUPPORTED_TARGETS)
    for i, u in enumerate(scenario.uncertainties):
        if only is not None and u.name not in only:
            continue
        path = f"uncertainties[{i}].target"
        parts = u.target.split(".", 2)
        if len(parts) != 3:
            problems.append(Problem(path, "must read '<collection>.<name or *>.<field>'", u.target))
            continue
        coll, name, field = parts
        if (coll, field) not in SUPPORTED_TARGETS:
            problems.append(
                Problem(
                    path,
                    f"the risk engine cannot vary this field; it can vary: {supported}",
                    u.target,
                )
            )
            continue
        items = _items_with_field(scenario, coll, name, field)
        if not items and not (name == "*" and not getattr(scenario, coll)):
            problems.append(Problem(path, f"no item of {coll} has field {field!r}", u.target))
            continue
        # ('*' over an empty collection: a spec that varies nothing, kept so that the specs
        # after it keep their random streams)
        idx = []
        for item in items:
            key = (coll, item, field)
            if key not in targets:
                targets.append(key)
            idx.append(targets.index(key))
        f_idx = None
        if u.factor is not None:
            if u.factor not in factors:
                factors.append(u.factor)
            f_idx = factors.index(u.factor)
        specs.append(
            SpecPlan(
                u.name,
                tuple(idx),
                u.effect,
                make_distribution(u.distribution),
                f_idx,
                float(u.loading),
                bool(u.per_item),
            )
        )
    if problems:
        raise ScenarioError(problems, file=file)
    return Sampler(tuple(targets), tuple(specs), tuple(factors))
