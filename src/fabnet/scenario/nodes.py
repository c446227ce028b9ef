"""Process nodes: wafer geometry, defect density and its learning, yield model."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fabnet.scenario._base import Number, StrictModel
from fabnet.scenario.limits import MAX_UNIT_PRICE_USD

__all__ = ["LearningCurve", "ProcessNode", "YieldModel"]

YieldModel = Literal["poisson", "murphy", "seeds", "negative_binomial"]
LearningCurve = Literal["exponential", "gompertz"]


class ProcessNode(StrictModel):
    """A manufacturing process (e.g. N4): what a wafer of it yields and how that improves."""

    name: str = Field(min_length=1, description="Unique node name, e.g. 'N4'.")
    wafer_diameter_mm: Number = Field(300.0, gt=0, le=450, description="Wafer diameter [mm].")
    edge_exclusion_mm: Number = Field(3.0, ge=0, le=20, description="Unusable rim [mm].")
    scribe_mm: Number = Field(0.1, ge=0, le=1, description="Scribe (saw) lane width [mm].")
    d0_start_per_cm2: Number = Field(
        ge=0, le=10, description="Defect density at first output [defects/cm²]."
    )
    d0_mature_per_cm2: Number = Field(
        ge=0, le=10, description="Mature defect density after learning [defects/cm²]."
    )
    learning_tau_months: Number = Field(
        gt=0, le=120, description="Time constant of defect-density learning [months]."
    )
    learning_curve: LearningCurve = Field("exponential", description="Shape of D0(t).")
    yield_model: YieldModel = Field("negative_binomial", description="Die yield model.")
    cluster_alpha: Number = Field(
        2.0, gt=0, le=1000, description="Negative-binomial clustering parameter α [-]."
    )
    mask_layers: int = Field(gt=0, le=200, description="Mask layers in the flow [-].")
    days_per_layer: Number = Field(
        1.2, gt=0, le=10, description="Fab cycle time per mask layer [days]."
    )
    line_yield: Number = Field(
        0.97, gt=0, le=1, description="Fraction of started wafers that come out whole [-]."
    )
    foundry_wafer_price_usd: Number | None = Field(
        None,
        ge=0,
        le=MAX_UNIT_PRICE_USD,
        description="Market price of a processed wafer at a foundry [USD], for comparison.",
    )
    licence_fee_per_wafer_usd: Number = Field(
        0.0,
        ge=0,
        description="Technology licence or operator fee per wafer started in own fabs [USD].",
    )
