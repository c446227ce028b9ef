"""Uncertainty specifications: what may vary, by which distribution, with which common factor.

The risk engine (`fabnet.risk`) samples these; the scenario only declares and validates them.

A spec's ``target`` names numeric fields of scenario components:
``"<collection>.<name or *>.<field>"``, e.g. ``fabs.*.lead_time_months``,
``customers.OpenAI.demand``, ``nodes.N4.learning_tau_months``, ``hbm.*.stacks_per_month``,
``packaging.TSMC CoWoS.capacity_wpm``, ``investors.G42.pay_in_delay_months`` and
``customers.*.demand_growth`` (the last two are effects, not stored fields: pay-ins slip by
the draw in months; demand is multiplied by (1 + draw) per year from the start).
``effect`` says how a draw acts: ``add`` to the value, ``multiply`` it, or ``set`` it.

Effects that are not stored fields (:data:`VIRTUAL_FIELDS`, base value 0): an investor's
``pay_in_delay_months``; a customer's ``demand_growth`` (demand × (1 + x) per year) and
``price_erosion`` (prices × (1 − x) per year); a fab's ``capex_overrun`` (its capex, depreciation
and sustaining capex × (1 + x)), ``ramp_stretch`` (its ramp takes (1 + x) times as long) and
``yield_stuck_months`` (its yield stays at the start value for x months before learning; with a
Bernoulli distribution, the event "the site fails to reach yield for x months").
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from fabnet.scenario._base import Number, StrictModel
from fabnet.scenario.limits import MAX_ITEMS, MAX_MAGNITUDE

__all__ = [
    "VIRTUAL_FIELDS",
    "Bernoulli",
    "Discrete",
    "Distribution",
    "LogNormal",
    "Normal",
    "Param",
    "Point",
    "Triangular",
    "Uncertainty",
    "Uniform",
]


VIRTUAL_FIELDS: dict[str, set[str]] = {
    "investors": {"pay_in_delay_months"},
    "customers": {"demand_growth", "price_erosion"},
    "fabs": {"capex_overrun", "ramp_stretch", "yield_stuck_months"},
}
"""Uncertainty targets per collection that are effects, not stored fields (module docstring)."""

Param = Annotated[Number, Field(ge=-MAX_MAGNITUDE, le=MAX_MAGNITUDE)]
"""A distribution parameter: a finite number of magnitude at most 1e15."""


class Point(StrictModel):
    """Always ``value`` (no uncertainty)."""

    dist: Literal["point"] = "point"
    value: Param


class Uniform(StrictModel):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: Param
    high: Param

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class Normal(StrictModel):
    """Normal with mean and standard deviation ``sd`` (>= 0), optionally truncated at ``low``."""

    dist: Literal["normal"] = "normal"
    mean: Param
    sd: Number = Field(
        ge=0,
        le=MAX_MAGNITUDE,
        description="Standard deviation (>= 0; variance cannot be negative).",
    )
    low: Param | None = None


class LogNormal(StrictModel):
    """exp(N(log(median), sigma²)): a positive multiplier with median ``median``."""

    dist: Literal["lognormal"] = "lognormal"
    median: Number = Field(gt=0, le=MAX_MAGNITUDE)
    sigma: Number = Field(ge=0, le=10, description="Standard deviation of the log (0..10).")


class Triangular(StrictModel):
    """Triangular on [low, high] with mode ``mode``."""

    dist: Literal["triangular"] = "triangular"
    low: Param
    mode: Param
    high: Param

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self


class Bernoulli(StrictModel):
    """``value`` with probability ``p``, else ``otherwise``."""

    dist: Literal["bernoulli"] = "bernoulli"
    p: Number = Field(ge=0, le=1, description="Probability in [0, 1].")
    value: Param = 1.0
    otherwise: Param = 0.0


class Discrete(StrictModel):
    """One of ``values`` with probabilities ``probs`` (summing to 1)."""

    dist: Literal["discrete"] = "discrete"
    values: list[Param] = Field(min_length=1, max_length=MAX_ITEMS)
    probs: list[Annotated[Number, Field(ge=0, le=1)]] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _consistent(self) -> Discrete:
        if len(self.values) != len(self.probs):
            raise ValueError("values and probs must have the same length")
        if abs(sum(self.probs) - 1.0) > 1e-9:
            raise ValueError(f"probs must sum to 1, they sum to {sum(self.probs):g}")
        return self


Distribution = Annotated[
    Point | Uniform | Normal | LogNormal | Triangular | Bernoulli | Discrete,
    Field(discriminator="dist"),
]


class Uncertainty(StrictModel):
    """One uncertain quantity."""

    name: str = Field(min_length=1, description="Unique name.")
    target: str = Field(description="'<collection>.<name or *>.<field>' it acts on.")
    effect: Literal["add", "multiply", "set"] = Field("multiply")
    distribution: Distribution
    factor: str | None = Field(
        None, description="Common factor shared with other specs (gives correlation)."
    )
    loading: Number = Field(
        1.0, ge=-1, le=1, description="Correlation of this spec with its factor [-1, 1]."
    )
    per_item: bool = Field(
        True, description="With '*': an independent draw per item (False: one draw for all)."
    )
