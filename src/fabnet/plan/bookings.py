"""Packaging booked on a named line, take-or-pay: a capacity reservation is paid whether used
or not.

A customer's ``packaging_bookings`` keyed by a packaging line's name (not a kind) reserve that
line's interposer wafers (:func:`fabnet.plan.data_market.build_bookings`): the contracted
minimum units are those of a booking by kind (:func:`fabnet.plan.data_market.booked_units`), and
:func:`define_bookings` adds what is booked but not used to the packaging cost, as
``take_or_pay_wafers_per_month`` does for the outside foundries (``Outside-unused`` in
:func:`fabnet.plan.model.define_outside_wafers`).
"""

from __future__ import annotations

from fabnet.plan.plan_model import MONEY, QTY, PlanModel

__all__ = ["define_bookings"]


def define_bookings(pm: PlanModel) -> None:
    r"""Take-or-pay on packaging lines booked by name (``booked_wafers`` :math:`B_{c,l,t} > 0`,
    :func:`fabnet.plan.data_market.build_bookings`), as the outside foundries' take-or-pay
    (``Outside-unused``): the customer pays the line's price on
    :math:`\max(B_{c,l,t}, U_{c,l,t})` wafers, :math:`U` those its products use on the line.

    ``Booking-used`` :math:`u_{c,l,p,t} \ge 0`: line :math:`l`'s wafers of product :math:`p`
    counted to customer :math:`c` (a product the customer wants: demand or contract in some
    bucket); ``Booking-shared``: :math:`\sum_c u_{c,l,p,t} \le x_{l,p,t} / n_p` (packages over
    packages per interposer wafer: a product several customers want is counted once).
    ``Booking-unused`` :math:`v_{c,l,t} \ge 0` with ``Booking-take_or_pay``
    :math:`v_{c,l,t} + \sum_p u_{c,l,p,t} \ge B_{c,l,t}`, priced at the line's cost per wafer
    :math:`k_l \iota_{l,t}` (``line_cost`` × ``line_cost_index``) and added to
    ``opex_packaging``; the used wafers are already there, so at the optimum the customer's
    wafers on the line cost :math:`k_l \iota_{l,t} \max(B_{c,l,t}, U_{c,l,t})`. Expressions
    ``opex_bookings`` (M$ per bucket) and ``booking_unused`` (thousand wafers per customer,
    line and bucket). Booked wafers beyond the line's capacity cannot be used and are paid."""
    d, m = pm.d, pm.m
    if "booked_wafers" not in d.ds or not pm.has("Packages"):
        return
    booked = pm.da("booked_wafers", QTY)
    if not bool((booked > 0).any()):
        return
    wants = (pm.da("demand").sum("bucket") > 0) | (pm.da("contracted").sum("bucket") > 0)
    made = pm.da("line_product") & pm.da("product_active")
    u_mask = (booked > 0) & wants & made
    u = m.add_variables(
        lower=0,
        coords=[pm.customer, pm.line, pm.product, pm.bucket],
        name=pm.name("Booking-used"),
        mask=u_mask,
    )
    uf = u.fillna(0)
    wafers = pm.var("Packages").fillna(0) / pm.da("packages_per_interposer_wafer")
    m.add_constraints(
        uf.sum("customer") - wafers <= 0,
        name=pm.name("Booking-shared"),
        mask=u_mask.any("customer"),
    )
    v = m.add_variables(
        lower=0,
        coords=[pm.customer, pm.line, pm.bucket],
        name=pm.name("Booking-unused"),
        mask=booked > 0,
    )
    vf = v.fillna(0)
    m.add_constraints(
        vf + uf.sum("product") >= booked, name=pm.name("Booking-take_or_pay"), mask=booked > 0
    )
    price = pm.da("line_cost") * pm.da("line_cost_index") * (QTY / MONEY)
    cost = (price * vf).sum(["customer", "line"])
    pm.ex["booking_unused"] = 1.0 * vf
    pm.ex["opex_bookings"] = cost
    pm.ex["opex_packaging"] = pm.ex["opex_packaging"] + cost
