"""The options of a plan or risk job as typed values, checked in this one place.

:class:`PlanOptions` and :class:`RiskOptions` are frozen; making one checks every option (range,
valid mode) and raises :class:`~fabnet.errors.UsageError` naming it. The CLI builds them from its
flags, :mod:`fabnet.jobs` from a job's JSON (after checking the JSON types).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from fabnet.errors import UsageError
from fabnet.risk.evaluate import MAX_SAMPLES
from fabnet.vocab import (
    AllocationPolicy,
    Choice,
    ExecutorKind,
    Objective,
    Recourse,
    RobustMethod,
    Strategy,
    parse,
)

__all__ = ["PlanOptions", "RiskOptions"]


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _is_whole(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


def _is_month(value: object) -> bool:
    text = str(value)
    return (
        len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and (1 <= int(text[5:]) <= 12)
    )


def _plain(value: Any) -> Any:
    """A mode as its plain string (for JSON and for code that compares strings)."""
    return value.value if isinstance(value, Choice) else value


@dataclass(frozen=True)
class PlanOptions:
    """Options of a plan (each ``None``: the scenario's policy or the planner's default).

    Attributes:
        objective: what to optimise (default ``policy.objective``).
        policy: the allocation rule (default ``policy.allocation``).
        time_limit: seconds for the design MIP (> 0).
        mip_gap: relative MIP gap in [0, 1].
        strategy: which capacity options exist (default ``mixed``).
        threads: HiGHS threads.
    """

    objective: Objective | None = None
    policy: AllocationPolicy | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    strategy: Strategy | None = None
    threads: int | None = None

    @classmethod
    def from_flags(
        cls,
        objective: str | None,
        policy: str | None,
        time_limit: float | None,
        mip_gap: float | None,
    ) -> PlanOptions:
        """The options of the CLI's ``--objective``, ``--policy``, ``--time-limit`` and ``--gap``
        (strings parsed into their vocabularies; a bad one is a :class:`UsageError`)."""
        return cls(
            objective=parse(Objective, objective, "objective"),
            policy=parse(AllocationPolicy, policy, "policy"),
            time_limit=time_limit,
            mip_gap=mip_gap,
        )

    def __post_init__(self) -> None:
        if self.objective is not None:
            object.__setattr__(self, "objective", Objective.parse(self.objective, "objective"))
        if self.policy is not None:
            object.__setattr__(self, "policy", AllocationPolicy.parse(self.policy, "policy"))
        if self.strategy is not None:
            object.__setattr__(self, "strategy", Strategy.parse(self.strategy, "strategy"))
        if self.time_limit is not None and not (
            _is_number(self.time_limit) and self.time_limit > 0
        ):
            raise UsageError(f"the time limit must be > 0 seconds (got {self.time_limit!r})")
        if self.mip_gap is not None and not (_is_number(self.mip_gap) and 0 <= self.mip_gap <= 1):
            raise UsageError(f"the MIP gap must be between 0 and 1 (got {self.mip_gap!r})")
        if self.threads is not None and not _is_whole(self.threads):
            raise UsageError(f"threads must be a whole number (got {self.threads!r})")

    def solve_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`fabnet.plan.solve_plan`: the options given, modes as
        plain strings."""
        return {k: _plain(v) for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class RiskOptions:
    """Options of a risk run (``fabnet risk`` flags; a job from JSON sets samples and seed).

    Attributes:
        samples: sampled futures (1 … :data:`~fabnet.risk.MAX_SAMPLES`).
        seed: random seed (>= 0): same seed, same futures.
        executor: ``local`` process pool or ``ray``; address: Ray's (``auto``, ``HOST:PORT``).
        workers: local worker processes (or CPUs of a local Ray instance).
        recourse: ``fast`` (vectorised) or ``lp`` (HiGHS per future).
        robust: K futures for a robust plan compared out of sample (``None``: no robust plan).
        robust_method: ``saa`` (two-stage MIP) or ``candidates``.
        robust_time_limit: seconds for the SAA MIP (default: the policy's × K).
        tornado: also each uncertainty at its P10 and P90, the others at their medians
            (:mod:`fabnet.risk.tornado`).
        cvar_weight, cvar_alpha, cvar_measure, cvar_limit, shortfall_probability: risk terms
            of the SAA (:class:`fabnet.risk.cvar.RiskSpec`).
        frontier: CVaR weights of an efficient frontier (one SAA each).
        staged: stage month (``YYYY-MM``) of a staged plan on the K futures.
        decompose: ``ph``: the robust plan by progressive hedging; ph_iterations: its iterations.
    """

    samples: int = 1000
    seed: int = 0
    executor: ExecutorKind = ExecutorKind.LOCAL
    address: str | None = None
    workers: int = 1
    recourse: Recourse = Recourse.FAST
    robust: int | None = None
    robust_method: RobustMethod = RobustMethod.SAA
    robust_time_limit: float | None = None
    tornado: bool = False
    cvar_weight: float = 0.0
    cvar_alpha: float = 0.9
    cvar_measure: str = "npv"
    cvar_limit: float | None = None
    shortfall_probability: float | None = None
    frontier: tuple[float, ...] | None = None
    staged: str | None = None
    decompose: str | None = None
    ph_iterations: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.tornado, bool):
            raise UsageError(f"tornado must be true or false (got {self.tornado!r})")
        if not (_is_whole(self.samples) and 1 <= self.samples <= MAX_SAMPLES):
            raise UsageError(
                f"--samples must be between 1 and {MAX_SAMPLES:,} (got {self.samples!r})"
            )
        if not (_is_whole(self.seed) and self.seed >= 0):
            raise UsageError(f"--seed must be >= 0 (got {self.seed!r})")
        if not (_is_whole(self.workers) and self.workers >= 1):
            raise UsageError(f"--workers must be >= 1 (got {self.workers!r})")
        object.__setattr__(self, "recourse", Recourse.parse(self.recourse, "--recourse"))
        object.__setattr__(self, "executor", ExecutorKind.parse(self.executor, "--executor"))
        if self.address is not None and self.executor is not ExecutorKind.RAY:
            raise UsageError("--address only applies to --executor ray")
        if self.robust is not None and not (_is_whole(self.robust) and self.robust >= 1):
            raise UsageError(f"--robust K must be >= 1 (got {self.robust!r})")
        object.__setattr__(
            self, "robust_method", RobustMethod.parse(self.robust_method, "--robust-method")
        )
        limit = self.robust_time_limit
        if limit is not None and not (_is_number(limit) and math.isfinite(limit) and limit > 0):
            raise UsageError(f"--robust-time-limit must be > 0 seconds (got {limit!r})")
        self._check_decide()

    def _check_decide(self) -> None:
        """The risk-aware and staged options (issue 13): valid, and only with ``--robust K``."""
        from fabnet.risk.cvar import RiskSpec  # imported here: options stay light to import

        RiskSpec(self.cvar_measure, self.cvar_alpha, self.cvar_weight, self.cvar_limit,
                 self.shortfall_probability)  # fmt: skip
        asked = [
            flag
            for flag, on in (
                ("--cvar-weight", self.cvar_weight != 0),
                ("--cvar-limit", self.cvar_limit),
                ("--shortfall-probability", self.shortfall_probability is not None),
                ("--frontier", self.frontier),
                ("--staged", self.staged),
                ("--decompose", self.decompose),
            )
            if on
        ]
        if asked and self.robust is None:
            raise UsageError(f"{', '.join(asked)} need --robust K (the K futures to plan on)")
        if asked and self.robust_method is not RobustMethod.SAA:
            raise UsageError(f"{', '.join(asked)} need --robust-method saa")
        if self.frontier is not None:
            weights = tuple(self.frontier)
            if not weights or any(not _is_number(w) or not w >= 0 for w in weights):
                raise UsageError(f"--frontier needs weights >= 0, e.g. 0,0.5,1,2 (got {weights})")
            object.__setattr__(self, "frontier", tuple(float(w) for w in weights))
        if self.staged is not None and not _is_month(self.staged):
            raise UsageError(f"--staged must be a month YYYY-MM (got {self.staged!r})")
        if self.decompose is not None and self.decompose != "ph":
            raise UsageError(
                f"--decompose must be ph (progressive hedging), got {self.decompose!r}"
            )
        if not (_is_whole(self.ph_iterations) and self.ph_iterations >= 0):
            raise UsageError(f"--ph-iterations must be >= 0 (got {self.ph_iterations!r})")

    def recorded(self) -> dict[str, Any]:
        """The options as the run keeps them (JSON-ready)."""
        out = {k: _plain(v) for k, v in asdict(self).items()}
        for key, default in _DECIDE_DEFAULTS.items():  # issue 13's options: kept when given
            if out[key] == default:
                del out[key]
        if out.get("frontier") is not None:
            out["frontier"] = list(out["frontier"])
        return out


_DECIDE_DEFAULTS: dict[str, Any] = {
    "cvar_weight": 0.0, "cvar_alpha": 0.9, "cvar_measure": "npv", "cvar_limit": None,
    "shortfall_probability": None, "frontier": None, "staged": None, "decompose": None,
    "ph_iterations": 3,
}  # fmt: skip
