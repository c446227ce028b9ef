"""What the sampled uncertainties do to a plan's inputs, future by future (for the fast recourse).

Each function reads one group of targets of :data:`fabnet.risk.sampling.SUPPORTED_TARGETS` and
returns arrays over the futures ``F`` of a chunk:

* :func:`ramp_warp` — ``fabs.*.ramp_stretch`` ``s``: the output of a chosen option in month
  ``m`` after its first output ``f`` is the planned output at ``f + (m − f)/(1 + s)`` (linear
  interpolation): a ramp of ``R`` months takes ``R (1 + s)``; full output is unchanged.
* :func:`stuck_age` — ``fabs.*.yield_stuck_months`` ``N``: the learning age ``a ≥ 0`` becomes
  ``max(a − N, 0)``: the yield stays at its start value for ``N`` months, then learns as
  planned (the same form as a newcomer's ``learning_delay_months``,
  :func:`fabnet.econ.accelerator.site_defect_density`).
* :func:`gdpw_lookup` — ``nodes.*.d0_mature_per_cm2``: good dies per wafer at a learning age,
  interpolated linearly between the tables the risk model keeps at multiples
  :data:`fabnet.risk.model.D0_FACTORS` of every node's mature defect density.
* :func:`capital` — ``fabs.*.capex_overrun`` ``x``: each chosen option's capex, sustaining capex
  and depreciation times ``1 + x`` of its site, on the planner's schedule for the sampled
  construction delay (``option_capex_delay`` of :mod:`fabnet.risk.model`; grants stay as
  planned).
* :func:`outside_supply` — ``outside_foundries.*``: wafers on offer per bucket
  (``m · max + a · months``) and their price; the recourse buys from them what its dies lack
  (:func:`fabnet.risk.assembly.assemble`), as the planner's operations LP does.
* :func:`line_inputs` — packaging capacity and price per interposer wafer: booked lines from
  ``packaging.*``, outside houses from ``outside_packaging.*``.
* :func:`price_erosion` — ``customers.*.price_erosion`` ``e``: prices times ``(1 − e)`` per
  year from the start, compounded to each bucket's middle.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fabnet.risk.model import D0_FACTORS, RiskModel
from fabnet.risk.sampling import Draws

__all__ = [
    "capital",
    "gdpw_lookup",
    "learning_age",
    "line_inputs",
    "outside_supply",
    "price_erosion",
    "ramp_warp",
    "stuck_age",
    "unit_prices",
    "whole_delay",
]

FloatArray = npt.NDArray[np.float64]


def ramp_warp(series: FloatArray, first: float, stretch: FloatArray) -> FloatArray:
    """``series`` (M) per future (F): ``s(f + (m − f)/(1 + stretch))`` from month ``f`` on."""
    n_m = series.size
    months = np.arange(n_m, dtype=np.float64)
    rate = 1.0 / np.maximum(1.0 + stretch, 1e-3)
    pos = np.where(months[None, :] >= first, first + (months[None, :] - first) * rate[:, None],
                   months[None, :])  # fmt: skip
    pos = np.clip(pos, 0.0, n_m - 1.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n_m - 1)
    w = pos - lo
    return (1.0 - w) * series[lo] + w * series[hi]


def learning_age(age: FloatArray, ratio: FloatArray, delay: float) -> FloatArray:
    r"""The age at which the plan's good-dies table (learning time constant ``τ``, a newcomer
    learning ``delay`` months after first output) gives the yield of ``age`` under ``τ' = τ /
    ratio``: the curve is :math:`g(\max(a - δ, 0)/τ')`, and :math:`(a - δ)\,r + δ` in the
    table gives :math:`g((a - δ) r / τ)`, the same. Ages before the first output stay."""
    return np.where(age < 0.0, age, age * ratio + delay * (1.0 - ratio))


def stuck_age(age: FloatArray, months: FloatArray) -> FloatArray:
    """Learning ages [F, M] with the yield held at its start value for ``months`` [F]."""
    return np.where(age < 0.0, age, np.maximum(age - months[:, None], 0.0))


def gdpw_lookup(model: RiskModel, k: int, p: int, age: FloatArray, d0_ratio: FloatArray | None):
    """Good dies per wafer of option ``k``, product ``p`` at ages [F, M]; ``d0_ratio`` [F] is the
    sampled mature defect density over the scenario's (None: the scenario's)."""
    ages = model.ds["age"].values
    if d0_ratio is None or "gdpw_by_age_d0" not in model.ds:
        return np.interp(age, ages, model.values("gdpw_by_age")[k, p])
    tables = model.values("gdpw_by_age_d0")[:, k, p]  # K x ages
    grid = np.asarray(D0_FACTORS)
    r = np.clip(d0_ratio, grid[0], grid[-1])
    i = np.clip(np.searchsorted(grid, r, side="right") - 1, 0, grid.size - 2)
    w = ((r - grid[i]) / (grid[i + 1] - grid[i]))[:, None]
    out = np.empty_like(age)
    for j in np.unique(i):
        sel = i == j
        lo = np.interp(age[sel], ages, tables[j])
        hi = np.interp(age[sel], ages, tables[j + 1])
        out[sel] = (1.0 - w[sel]) * lo + w[sel] * hi
    return out


def capital(model: RiskModel, draws: Draws) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Capex, sustaining capex and depreciation per bucket [F, T] with sampled overruns."""
    n_f = draws.n
    plan = [
        np.broadcast_to(model.values(v), (n_f, model.n_buckets)).copy()
        for v in ("plan_capex", "plan_sustaining", "plan_depreciation")
    ]
    if "option_capex_plan" not in model.ds:
        return plan[0], plan[1], plan[2]
    keys = ("capex", "sustaining", "depreciation")
    per_option = [model.values(f"option_{k}_plan") for k in keys]
    by_delay = (
        [model.values(f"option_{k}_delay") for k in keys]
        if "option_capex_delay" in model.ds
        else None
    )
    grid = model.ds["delay"].values if by_delay is not None else None
    for k, site in enumerate(model.values("option_site")):
        over = draws.affine("fabs", str(site), "capex_overrun")
        x = over[1][:, None] if over is not None else np.zeros((n_f, 1))  # base 0: the draw
        parts = [np.broadcast_to(p[k][None, :], (n_f, p.shape[1])) for p in per_option]
        if by_delay is not None and grid is not None:
            delay = whole_delay(model, draws, k)
            if delay is not None:
                i = np.clip(delay.astype(np.int64) - int(grid[0]), 0, grid.size - 1)
                for total, plan_part, table in zip(plan, per_option, by_delay, strict=True):
                    total += table[k][i] - plan_part[k][None, :]
                parts = [table[k][i] for table in by_delay]
        if over is not None:
            for total, part in zip(plan, parts, strict=True):
                total += x * part
    return plan[0], plan[1], plan[2]


def whole_delay(model: RiskModel, draws: Draws, k: int) -> FloatArray | None:
    """Sampled delay [F] of chosen option ``k``'s first output against the plan, in whole
    months as the exact recourse and the planner count them: ``max(round(m·lead + a), 0) −
    lead`` (None when its lead time is not varied)."""
    kind = str(model.values("option_kind")[k])
    site = str(model.values("option_site")[k])
    field = "lead_time_months" if kind == "build" else "months_to_first_output"
    ma = draws.affine("fabs", site, field)
    if ma is None:
        return None
    lead = float(model.values("option_lead_field")[k])
    return np.maximum(np.round(ma[0] * lead + ma[1]), 0.0) - lead


def outside_supply(model: RiskModel, draws: Draws) -> tuple[FloatArray, FloatArray]:
    """Wafers on offer per outside foundry and bucket [F, S, T] (``m · max + a · months``) and
    their price per wafer [F, S, T] (``m · price + a``)."""
    base_cap, base_price = model.values("outside_max"), model.values("outside_price")
    n_f = draws.n
    length = model.data.buckets.length.astype(np.float64)
    cap = np.broadcast_to(base_cap, (n_f, *base_cap.shape)).copy()
    price = np.broadcast_to(base_price, (n_f, *base_price.shape)).copy()
    for s, name in enumerate(model.data.labels("outside") if base_cap.size else ()):
        ma = draws.affine("outside_foundries", name, "max_wafers_per_month")
        if ma is not None:
            on = (base_cap[s] > 0).astype(np.float64)  # nothing before it is available
            cap[:, s] = np.maximum(ma[0][:, None] * base_cap[s] + ma[1][:, None] * length * on, 0)
        ma = draws.affine("outside_foundries", name, "price_per_wafer_usd")
        if ma is not None:
            price[:, s] = np.maximum(ma[0][:, None] * base_price[s] + ma[1][:, None], 0.0)
    return cap, price


def _line_target(owner: str) -> str:
    """The scenario collection a packaging line comes from (outside houses: their own)."""
    return "outside_packaging" if owner == "outside" else "packaging"


def line_inputs(model: RiskModel, draws: Draws) -> tuple[FloatArray, FloatArray]:
    """Interposer-wafer capacity per line [F, L, T] (booked + the plan's own expansions) and the
    price per interposer wafer [F, L] (before the outside houses' index over time)."""
    length = model.data.buckets.length.astype(np.float64)
    base_cap, base_cost = model.values("line_capacity"), model.values("line_cost")
    n_f = draws.n
    cap = np.broadcast_to(base_cap, (n_f, *base_cap.shape)).copy()
    cost = np.broadcast_to(base_cost, (n_f, base_cost.size)).copy()
    owners = model.values("line_owner")
    for i, line in enumerate(model.data.lines):
        coll = _line_target(str(owners[i]))
        ma = draws.affine(coll, line, "capacity_wpm")
        if ma is not None:
            cap[:, i] = np.maximum(ma[0][:, None] * base_cap[i] + ma[1][:, None] * length, 0.0)
        field = "price_per_wafer_usd" if coll == "outside_packaging" else "cost_per_wafer_usd"
        ma = draws.affine(coll, line, field)
        if ma is not None:
            cost[:, i] = np.maximum(ma[0] * base_cost[i] + ma[1], 0.0)
    return cap + model.values("line_added")[None], cost


def unit_prices(model: RiskModel, draws: Draws) -> FloatArray:
    """Unit prices [F, C, P, T] in the sampled futures.

    A price is split into the HBM it passes through (``price_hbm``) and the rest. The rest
    follows ``customers.*.price_usd`` (``m · rest + a``) and ``customers.*.price_erosion``
    where the price follows the market (merchant and foundry terms; a cost-plus price follows
    the agreed cost); the HBM part follows the sampled HBM price of its type (the cheapest
    supplier's, as the price list passes it through).
    """
    base = _yield_priced(model, draws)  # F x C x P x T
    hbm_part = model.values("price_hbm")[:, :, None] if "price_hbm" in model.ds else 0.0 * base[0]
    market = (
        model.values("price_market")
        if "price_market" in model.ds
        else np.ones(base.shape[:2], bool)
    )
    rest = base - hbm_part
    price = base.copy()
    ratio = _hbm_price_ratio(model, draws)  # F x P
    for c, name in enumerate(model.customers):
        value = rest[:, c].copy()
        ma = draws.affine("customers", name, "price_usd")
        erosion = price_erosion(model, draws, name)
        m = market[c][None, :, None]
        if ma is not None:
            moved = ma[0][:, None, None] * value + ma[1][:, None, None]
            value = np.where(m, moved, value)
        if erosion is not None:
            value = np.where(m, value * erosion[:, None, :], value)
        price[:, c] = np.maximum(value + hbm_part[c] * ratio[:, :, None], 0.0)
    return price


def _yield_priced(model: RiskModel, draws: Draws) -> FloatArray:
    """Unit prices [F, C, P, T] at each future's mature defect density (``price_d0``
    interpolated in the density factor of the product's node; the scenario's prices when the
    density is not varied)."""
    base = model.values("price")
    out = np.broadcast_to(base, (draws.n, *base.shape)).copy()
    if "price_d0" not in model.ds or "node_d0_mature" not in model.ds:
        return out
    table, grid = model.values("price_d0"), np.asarray(D0_FACTORS)
    nodes, d0_base = model.data.labels("node"), model.values("node_d0_mature")
    product_node = model.data.positions("node", model.values("product_node"))
    for p, k in enumerate(product_node):
        ma = draws.affine("nodes", nodes[k], "d0_mature_per_cm2")
        if ma is None:
            continue
        r = np.clip(
            (ma[0] * d0_base[k] + ma[1]) / max(float(d0_base[k]), 1e-300), grid[0], grid[-1]
        )
        i = np.clip(np.searchsorted(grid, r, side="right") - 1, 0, grid.size - 2)
        w = ((r - grid[i]) / (grid[i + 1] - grid[i]))[:, None, None]
        out[:, :, p] = (1.0 - w) * table[i, :, p] + w * table[i + 1, :, p]
    return out


def _hbm_price_ratio(model: RiskModel, draws: Draws) -> FloatArray:
    """Per future and product [F, P]: sampled over base cheapest HBM price of its type."""
    suppliers, base = model.data.suppliers, model.values("hbm_price")
    kinds, types = model.values("supplier_hbm_type"), model.values("hbm_type")
    n_p = len(model.data.products)
    out = np.ones((draws.n, n_p))
    if not suppliers:
        return out
    sampled = np.stack(
        [draws.value("hbm", n, "price_usd", v) for n, v in zip(suppliers, base, strict=True)],
        axis=1,
    )
    for p in range(n_p):
        sel = kinds == types[p]
        if sel.any() and base[sel].min() > 0:
            out[:, p] = sampled[:, sel].min(axis=1) / base[sel].min()
    return out


def price_erosion(model: RiskModel, draws: Draws, customer: str) -> FloatArray | None:
    """Price factor [F, T] of a customer's sampled extra erosion (None: not varied)."""
    ma = draws.affine("customers", customer, "price_erosion")
    if ma is None:
        return None
    b = model.data.buckets
    years = (b.start + b.length / 2.0) / 12.0
    return np.asarray((1.0 - np.clip(ma[1], -0.99, 0.99))[:, None] ** years[None, :])
