"""Cost roll-ups: wafer, good die, finished accelerator, and SEMI E35-style cost of ownership.

Money in any one currency (the project uses nominal USD); quantities in wafers, dies or units.
All functions broadcast. A zero denominator (no wafers out, no good dies, zero yield) gives
``inf`` rather than an exception: "this costs infinitely much per good unit" is the honest answer
and keeps vectorised sweeps running. Negative inputs raise
:class:`~fabnet.econ._checks.EconInputError` (a ``ValueError``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fabnet.econ._checks import FloatArray, as_float, check_range, scalar_or_array

__all__ = [
    "AcceleratorCost",
    "accelerator_cost",
    "cost_of_ownership",
    "cost_per_good_die",
    "wafer_cost",
]


def _nonneg(value: npt.ArrayLike, name: str) -> FloatArray:
    return check_range(as_float(value, name), name, 0.0)


def _fraction(value: npt.ArrayLike, name: str) -> FloatArray:
    return check_range(as_float(value, name), name, 0.0, 1.0)


def _positive(value: npt.ArrayLike, name: str) -> FloatArray:
    return check_range(as_float(value, name), name, 0.0, low_open=True)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """``num / den`` with ``x / 0 = inf`` for ``x > 0`` and ``0 / 0 = inf`` too (no good output)."""
    num, den = np.broadcast_arrays(num, den)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), np.inf)
    return np.asarray(out, dtype=np.float64)


def wafer_cost(
    equipment_capex: npt.ArrayLike,
    building_capex: npt.ArrayLike,
    equipment_life_years: npt.ArrayLike,
    building_life_years: npt.ArrayLike,
    opex_per_wafer: npt.ArrayLike,
    wafers_per_month: npt.ArrayLike,
    utilisation: npt.ArrayLike,
    line_yield: npt.ArrayLike = 1.0,
) -> FloatArray:
    r"""Cost per good wafer out of a fab, in money per wafer.

    .. math::

        C_\mathrm{wafer} = \frac{K_\mathrm{eq}/L_\mathrm{eq} + K_\mathrm{bldg}/L_\mathrm{bldg}
            + c_\mathrm{op}\,W}{W\,Y_\mathrm{line}}, \qquad W = 12\,w_\mathrm{pm}\,u

    with :math:`W` the wafers started per year at utilisation :math:`u` of the installed
    capacity :math:`w_\mathrm{pm}` (wafer starts per month) and :math:`Y_\mathrm{line}` the
    fraction of started wafers that come out (line yield, not die yield). Depreciation is
    straight line; land is not depreciated (leave it out of ``building_capex``).

    Units: capex in money; lives in years (> 0); ``opex_per_wafer`` in money per wafer started
    (materials, labour, utilities, maintenance, masks amortised); capacity in wafer starts per
    month; utilisation and line yield fractions in [0, 1]. Zero starts or zero line yield give
    ``inf``.

    Typical inputs (docs/sources.md §D, §N): equipment 5 years, buildings 10-20 years (TSMC 2020
    annual report); equipment 70-85% of capex; CSET (2020) puts capital consumed per 5 nm
    wafer at $4,235. Source of the roll-up: docs/sources.md §L (CSET "AI Chips" 2020 cost model;
    chipfoundryservices.com chip-cost page).
    """
    k_eq = _nonneg(equipment_capex, "equipment_capex")
    k_b = _nonneg(building_capex, "building_capex")
    l_eq = _positive(equipment_life_years, "equipment_life_years")
    l_b = _positive(building_life_years, "building_life_years")
    c_op = _nonneg(opex_per_wafer, "opex_per_wafer")
    wpm = _nonneg(wafers_per_month, "wafers_per_month")
    u = _fraction(utilisation, "utilisation")
    y = _fraction(line_yield, "line_yield")
    starts = 12.0 * wpm * u
    annual = k_eq / l_eq + k_b / l_b + c_op * starts
    return scalar_or_array(_ratio(annual, starts * y))


def cost_per_good_die(
    wafer_cost: npt.ArrayLike, dies_per_wafer: npt.ArrayLike, die_yield: npt.ArrayLike
) -> FloatArray:
    r"""Cost per good die :math:`C_\mathrm{die} = C_\mathrm{wafer} / (\mathrm{DPW} \cdot Y)`.

    ``die_yield`` may be any yield of :mod:`fabnet.econ.yield_models` (including a harvested
    yield). Zero dies or zero yield give ``inf``. Source: Hennessy & Patterson; CSET 2020.
    """
    c = _nonneg(wafer_cost, "wafer_cost")
    n = _nonneg(dies_per_wafer, "dies_per_wafer")
    y = _fraction(die_yield, "die_yield")
    return scalar_or_array(_ratio(c, n * y))


@dataclass(frozen=True)
class AcceleratorCost:
    """Cost of one good finished accelerator, split by where the money goes.

    ``die + hbm + packaging + test + yield_loss == total``; ``yield_loss`` is what the failed
    assemblies cost, spread over the good ones. Each field is a float or an array (broadcast
    shape of the inputs).
    """

    die: FloatArray
    hbm: FloatArray
    packaging: FloatArray
    test: FloatArray
    yield_loss: FloatArray
    total: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The breakdown as a plain mapping (e.g. for a DataFrame row or JSON)."""
        return {
            "die": self.die,
            "hbm": self.hbm,
            "packaging": self.packaging,
            "test": self.test,
            "yield_loss": self.yield_loss,
            "total": self.total,
        }


def accelerator_cost(
    compute_dies: npt.ArrayLike,
    cost_per_good_die: npt.ArrayLike,
    hbm_stacks: npt.ArrayLike,
    hbm_stack_price: npt.ArrayLike,
    interposer_wafer_cost: npt.ArrayLike,
    packages_per_interposer_wafer: npt.ArrayLike,
    test_cost: npt.ArrayLike,
    assembly_yield: npt.ArrayLike = 1.0,
    other_packaging_cost: npt.ArrayLike = 0.0,
) -> AcceleratorCost:
    r"""Cost of a finished accelerator (compute dies + HBM on an interposer, e.g. CoWoS-S).

    .. math::

        C = \frac{n_\mathrm{die} C_\mathrm{die} + n_\mathrm{hbm} P_\mathrm{hbm}
              + C_\mathrm{ip}/n_\mathrm{pkg} + C_\mathrm{pkg,other}
              + C_\mathrm{test}}{Y_\mathrm{asm}}

    Known-good-die convention: compute dies are tested at wafer sort, so ``cost_per_good_die``
    already carries the wafer-level yield loss (use :func:`cost_per_good_die`); HBM stacks are
    bought tested. Assembly (bonding to the interposer, substrate attach) and final test then
    pass a fraction :math:`Y_\mathrm{asm}` of packages; a failed assembly loses its dies, its
    HBM, its interposer share and the test spent on it, hence everything is divided by
    :math:`Y_\mathrm{asm}`. The packaging cost is the interposer wafer cost over packages per
    interposer wafer (H100 ~29, B200 ~16, docs/sources.md §I) plus any other per-package cost
    (substrate, assembly labour).

    Reference point: Raymond James (2023) put an H100's build cost at about $3,320 (docs/sources.md
    §J); a secondary split: logic die ~$300, HBM ~$1,350, packaging ~$750, test/assembly ~$920.
    Source of the structure: docs/sources.md §L (CSET 2020; Raymond James BOM).

    Returns:
        :class:`AcceleratorCost` with ``die``, ``hbm``, ``packaging``, ``test``, ``yield_loss``
        and ``total`` per good accelerator.
    """
    n_die = _nonneg(compute_dies, "compute_dies")
    c_die = _nonneg(cost_per_good_die, "cost_per_good_die")
    n_hbm = _nonneg(hbm_stacks, "hbm_stacks")
    p_hbm = _nonneg(hbm_stack_price, "hbm_stack_price")
    c_ip = _nonneg(interposer_wafer_cost, "interposer_wafer_cost")
    n_pkg = _positive(packages_per_interposer_wafer, "packages_per_interposer_wafer")
    c_test = _nonneg(test_cost, "test_cost")
    y_asm = _fraction(assembly_yield, "assembly_yield")
    c_other = _nonneg(other_packaging_cost, "other_packaging_cost")

    die = n_die * c_die
    hbm = n_hbm * p_hbm
    packaging = c_ip / n_pkg + c_other
    die, hbm, packaging, test = np.broadcast_arrays(die, hbm, packaging, c_test)
    direct = die + hbm + packaging + test
    total = _ratio(direct, np.broadcast_to(y_asm, direct.shape))
    total = np.where(direct == 0.0, 0.0, total)  # nothing spent, nothing lost
    return AcceleratorCost(
        die=scalar_or_array(die.astype(np.float64)),
        hbm=scalar_or_array(hbm.astype(np.float64)),
        packaging=scalar_or_array(packaging.astype(np.float64)),
        test=scalar_or_array(test.astype(np.float64)),
        yield_loss=scalar_or_array(total - direct),
        total=scalar_or_array(total),
    )


def cost_of_ownership(
    fixed_cost_per_period: npt.ArrayLike,
    recurring_cost_per_period: npt.ArrayLike,
    yield_loss_cost_per_period: npt.ArrayLike,
    throughput_per_period: npt.ArrayLike,
    utilisation: npt.ArrayLike,
    composite_yield: npt.ArrayLike,
) -> FloatArray:
    r"""SEMI E35-style cost of ownership per good unit.

    .. math::

        \mathrm{COO} = \frac{F + R + Y_L}{\mathrm{TH} \cdot U \cdot Y_C}

    :math:`F` fixed cost per period (depreciation of purchase and installation, e.g.
    price / depreciation periods), :math:`R` recurring cost per period (labour, consumables,
    maintenance, utilities, floor space), :math:`Y_L` yield-loss cost per period (scrapped
    material), :math:`\mathrm{TH}` theoretical throughput in units per period, :math:`U`
    utilisation (fraction of the period producing), :math:`Y_C` composite yield (fraction of
    units out that are good). Use one period throughout (an hour, a year). Zero effective
    output gives ``inf``.

    Source: SEMI E35 "Guide to Calculate Cost of Ownership (COO) Metrics for Semiconductor
    Manufacturing Equipment" (E35-0312) as generally summarised; docs/sources.md §L.
    """
    f = _nonneg(fixed_cost_per_period, "fixed_cost_per_period")
    r = _nonneg(recurring_cost_per_period, "recurring_cost_per_period")
    yl = _nonneg(yield_loss_cost_per_period, "yield_loss_cost_per_period")
    th = _nonneg(throughput_per_period, "throughput_per_period")
    u = _fraction(utilisation, "utilisation")
    y = _fraction(composite_yield, "composite_yield")
    return scalar_or_array(_ratio(f + r + yl, th * u * y))
