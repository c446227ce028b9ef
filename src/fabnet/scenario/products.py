"""Products: AI accelerators made of compute dies, HBM stacks and an advanced package."""

from __future__ import annotations

from pydantic import Field

from fabnet.scenario._base import Month, Number, Series, StrictModel, month_index
from fabnet.scenario.limits import MAX_UNIT_PRICE_USD

__all__ = ["RETICLE_LIMIT_MM2", "Harvesting", "Product"]

RETICLE_LIMIT_MM2 = 858.0
"""Largest die one lithography field exposes: 26 mm × 33 mm (docs/sources.md §B)."""


class Harvesting(StrictModel):
    """Redundancy that lets a die with a few defective units ship (e.g. H100: 132 of 144 SMs)."""

    units: int = Field(gt=0, le=100_000, description="Identical units on the die (e.g. SMs).")
    spare_units: int = Field(
        ge=0, description="Units that may be defective and the die still ships."
    )
    unit_area_fraction: Number = Field(
        gt=0, le=1, description="Share of die area in the repeated units [-]."
    )


class Product(StrictModel):
    """A finished accelerator, with its life cycle: ``launch`` and ``end_of_life`` bound when it
    is made, sold and wanted; ``price_index`` scales merchant prices over time."""

    name: str = Field(min_length=1, description="Unique product name.")
    node: str = Field(description="Node of the compute dies.")
    die_width_mm: Number = Field(gt=0, le=33, description="Compute die width [mm].")
    die_height_mm: Number = Field(gt=0, le=33, description="Compute die height [mm].")
    compute_dies: int = Field(1, ge=1, le=16, description="Compute dies per package.")
    hbm_stacks: int = Field(0, ge=0, le=16, description="HBM stacks per package.")
    hbm_type: str = Field("HBM3", description="HBM generation the product needs.")
    packaging: str = Field(description="Packaging kind (e.g. 'CoWoS').")
    packages_per_interposer_wafer: Number = Field(
        gt=0, le=500, description="Packages per interposer wafer [-]."
    )
    harvesting: Harvesting | None = Field(None, description="Die redundancy, if any.")
    accelerator: bool = Field(
        True,
        description="False for a package that is not an AI accelerator (an FPGA, a switch ASIC): "
        "it takes packaging, wafers and HBM like the others but is not counted as accelerator "
        "supply or demand (fabnet shortage).",
    )
    ship_lag_months: int = Field(
        0,
        ge=0,
        le=24,
        description="Months from packaging to the designer's shipment (final test, module or "
        "board assembly) [months]: shipments in month m are the packages of month m - lag. "
        "The planner counts packages; the hindcast counts shipments.",
    )
    test_cost_usd: Number = Field(
        0.0, ge=0, le=MAX_UNIT_PRICE_USD, description="Final test and assembly per package [USD]."
    )
    list_price_usd: Number = Field(
        ge=0, le=MAX_UNIT_PRICE_USD, description="List price of a finished accelerator [USD]."
    )
    description: str = ""
    launch: Month | None = Field(
        None, description="First month it can be made, sold or wanted (none: always)."
    )
    end_of_life: Month | None = Field(
        None, description="Last month it can be made, sold or wanted (none: never ends)."
    )
    price_index: Series = Field(
        1.0,
        description="Merchant prices over time relative to the stated ones [-] "
        "(e.g. {2024-01: 1.0, 2026-01: 0.7} for erosion).",
    )

    def is_active(self, month: str) -> bool:
        """Whether ``month`` (``YYYY-MM``) lies in ``[launch, end_of_life]`` (open where unset):
        outside it the product is neither wanted, made nor sold."""
        if self.launch is not None and month_index(month, self.launch) < 0:
            return False
        return self.end_of_life is None or month_index(month, self.end_of_life) <= 0

    @property
    def die_area_mm2(self) -> float:
        """Area of one compute die [mm²]."""
        return self.die_width_mm * self.die_height_mm
