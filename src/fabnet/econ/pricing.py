"""What a customer pays per good accelerator under each revenue model, and contract cash terms.

* :func:`foundry_unit_price` — foundry and packaging-house terms: the customer owns the design
  and pays for wafers, packaging, HBM (passed through, maybe marked up) and test.
* :func:`cost_plus_unit_price` — the agreed cost of a good accelerator plus a margin.
* :func:`take_or_pay_payment` — what a take-or-pay buyer pays for a period.
* :func:`prepayment_flows` — money received before delivery and recovered from later invoices.

Units: USD, per good (finished, tested) accelerator unless stated. Scalars or arrays broadcast;
series have time on the last axis, as in :mod:`fabnet.econ.finance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fabnet.econ._checks import EconInputError, FloatArray, as_float, check_range, scalar_or_array

__all__ = [
    "PrepaymentFlows",
    "UnitPrice",
    "cost_plus_unit_price",
    "foundry_unit_price",
    "prepayment_flows",
    "take_or_pay_payment",
]


def _nonneg(value: npt.ArrayLike, name: str) -> FloatArray:
    return check_range(as_float(value, name), name, 0.0)


def _positive(value: npt.ArrayLike, name: str) -> FloatArray:
    return check_range(as_float(value, name), name, 0.0, low_open=True)


@dataclass(frozen=True)
class UnitPrice:
    """Price of one good accelerator on foundry terms, by what it pays for.

    ``wafer + packaging + hbm + test == total``; each a float or an array.
    """

    wafer: FloatArray
    packaging: FloatArray
    hbm: FloatArray
    test: FloatArray
    total: FloatArray

    def as_dict(self) -> dict[str, FloatArray]:
        """The breakdown as a plain mapping (for a table row or JSON)."""
        return {
            "wafer": self.wafer,
            "packaging": self.packaging,
            "hbm": self.hbm,
            "test": self.test,
            "total": self.total,
        }


def foundry_unit_price(
    wafer_price: npt.ArrayLike,
    good_dies_per_wafer: npt.ArrayLike,
    compute_dies: npt.ArrayLike,
    packaging_price_per_interposer_wafer: npt.ArrayLike,
    packages_per_interposer_wafer: npt.ArrayLike,
    hbm_stacks: npt.ArrayLike,
    hbm_stack_price: npt.ArrayLike,
    hbm_markup: npt.ArrayLike = 0.0,
    test_price: npt.ArrayLike = 0.0,
) -> UnitPrice:
    r"""Price of a finished accelerator when the customer owns the design (foundry terms).

    .. math::

        P = \frac{W\,n_\mathrm{die}}{\mathrm{GDPW}} + \frac{K}{n_\mathrm{pkg}}
            + n_\mathrm{hbm}\,P_\mathrm{hbm}\,(1 + m) + T

    :math:`W` the price per processed wafer, GDPW the good dies per wafer the contract assumes
    (its agreed yield), :math:`n_\mathrm{die}` compute dies per package, :math:`K` the price per
    interposer wafer of CoWoS-class packaging and :math:`n_\mathrm{pkg}` packages per
    interposer wafer, :math:`n_\mathrm{hbm}` stacks at :math:`P_\mathrm{hbm}` marked up by
    :math:`m` (0: passed through at cost), :math:`T` the test price per package.

    A foundry bills wafers, not chips: spread over the good dies the wafer yields, the wafer
    price is the customer's die cost (CSET 2020's structure: wafer price / good dies + package
    and test; docs/sources.md §E, §L). ``good_dies_per_wafer`` must be > 0.

    Example (hand-checked in the tests): W = 18,000 $, 30 good dies, 1 die, K = 20,000 $ per
    interposer wafer for 25 packages, 5 stacks at 300 $ with 10 % mark-up, test 500 $ gives
    600 + 800 + 1,650 + 500 = 3,550 $.
    """
    w = _nonneg(wafer_price, "wafer_price")
    g = _positive(good_dies_per_wafer, "good_dies_per_wafer")
    n_die = _nonneg(compute_dies, "compute_dies")
    k = _nonneg(packaging_price_per_interposer_wafer, "packaging_price_per_interposer_wafer")
    n_pkg = _positive(packages_per_interposer_wafer, "packages_per_interposer_wafer")
    n_hbm = _nonneg(hbm_stacks, "hbm_stacks")
    p_hbm = _nonneg(hbm_stack_price, "hbm_stack_price")
    m = _nonneg(hbm_markup, "hbm_markup")
    t = _nonneg(test_price, "test_price")
    wafer, packaging, hbm, test = np.broadcast_arrays(
        w * n_die / g, k / n_pkg, n_hbm * p_hbm * (1.0 + m), t
    )
    total = wafer + packaging + hbm + test
    return UnitPrice(
        wafer=scalar_or_array(wafer.astype(np.float64)),
        packaging=scalar_or_array(packaging.astype(np.float64)),
        hbm=scalar_or_array(hbm.astype(np.float64)),
        test=scalar_or_array(test.astype(np.float64)),
        total=scalar_or_array(total.astype(np.float64)),
    )


def cost_plus_unit_price(cost_per_unit: npt.ArrayLike, margin: npt.ArrayLike) -> FloatArray:
    r"""Cost-plus price :math:`P = C\,(1 + \mu)` of a good accelerator.

    :math:`C` is the agreed (open-book) cost of one good accelerator, e.g. from
    :func:`foundry_unit_price` with the agreed wafer cost in place of a wafer price and HBM at
    cost, and :math:`\mu \ge 0` the margin (0.15 = 15 %). Cost-plus is how a partner who
    funds capacity buys its offtake: it carries the cost risk, the maker earns the margin.
    """
    c = _nonneg(cost_per_unit, "cost_per_unit")
    mu = _nonneg(margin, "margin")
    return scalar_or_array(c * (1.0 + mu))


def take_or_pay_payment(
    delivered: npt.ArrayLike, minimum: npt.ArrayLike, unit_price: npt.ArrayLike
) -> FloatArray:
    r"""What a take-or-pay buyer pays in a period: :math:`P \max(q, q_\mathrm{min})`.

    The buyer pays for at least the committed quantity :math:`q_\mathrm{min}` whether or not it
    takes it (the seller having made it available), and for what it takes beyond. Inputs >= 0.
    Standard clause of capacity-reservation and offtake contracts.
    """
    q = _nonneg(delivered, "delivered")
    q_min = _nonneg(minimum, "minimum")
    p = _nonneg(unit_price, "unit_price")
    return scalar_or_array(p * np.maximum(q, q_min))


@dataclass(frozen=True)
class PrepaymentFlows:
    """Cash of a customer who prepays and recovers the prepayment from later invoices.

    Attributes (time on the last axis):
        cash_in: prepayments received plus invoices paid in cash (invoice − recovered).
        recovered: invoice amounts settled against the prepayment balance.
        balance: prepayment not yet recovered at the end of each step (a liability).
    """

    cash_in: FloatArray
    recovered: FloatArray
    balance: FloatArray


def prepayment_flows(
    invoices: npt.ArrayLike,
    prepayments: npt.ArrayLike,
    recovery_share: npt.ArrayLike = 1.0,
) -> PrepaymentFlows:
    r"""Cash in from a prepaying customer: prepayments up front, recovered from later invoices.

    .. math::

        R_t = \min\bigl(s\,I_t,\; B_{t-1} + A_t\bigr), \quad
        B_t = B_{t-1} + A_t - R_t, \quad \mathrm{cash}_t = A_t + I_t - R_t

    :math:`A_t` the prepayment received in step :math:`t`, :math:`I_t` the invoices (deliveries
    at their price), :math:`s \in (0, 1]` the share of each invoice credited against the
    outstanding balance :math:`B`. Over a horizon long enough to recover it all, the cash in
    equals the invoices: a prepayment moves money earlier, it does not add to it. A balance
    left at the end is owed back (or delivered after the horizon) and is not income.
    ``invoices`` and ``prepayments`` share the time axis (last) and broadcast; ``recovery_share``
    broadcasts against the leading axes.
    """
    inv = _nonneg(invoices, "invoices")
    pre = _nonneg(prepayments, "prepayments")
    if inv.ndim == 0 or pre.ndim == 0:
        raise EconInputError("invoices and prepayments must be series (time on the last axis)")
    if inv.shape[-1] != pre.shape[-1]:
        raise EconInputError(
            f"invoices and prepayments must cover the same steps (got {inv.shape[-1]} and "
            f"{pre.shape[-1]})"
        )
    s = check_range(as_float(recovery_share, "recovery_share"), "recovery_share", 0.0, 1.0,
                    low_open=True)  # fmt: skip
    inv, pre = np.broadcast_arrays(inv, pre)
    recovered = np.zeros(inv.shape)
    balance = np.zeros(inv.shape)
    b = np.zeros(inv.shape[:-1])
    for t in range(inv.shape[-1]):
        avail = b + pre[..., t]
        r = np.minimum(s * inv[..., t], avail)
        recovered[..., t] = r
        b = avail - r
        balance[..., t] = b
    return PrepaymentFlows(cash_in=pre + inv - recovered, recovered=recovered, balance=balance)
