"""Step 3 of the fast recourse: which wafers become which packages, bucket by bucket.

For each bucket ``t`` (futures ``F`` at once), with the own fabs' wafers out ``W[o]`` and their
good dies per wafer ``g[o, p]`` per product (bucket averages, :func:`fabnet.risk.recourse._dies`):

1. **Passes** in the order of the planner's allocation stages: contracted quantities (policy
   ``contracts``), then the demand of each priority level in turn (``priority``, also after
   contracts), then all demand; each pass raises the packages made up to the pass's cumulative
   demand, first from own dies, then from bought-in wafers, before the next pass (a higher
   level's units come first, whatever they cost). Within a pass, products go by value per
   interposer wafer (:func:`product_order`); for bought-in wafers by margin per interposer
   wafer (:func:`buy_orders`: where a level's units tie, the planner's NPV stage decides).
2. **Dies, own first.** A product's own dies come from the die stock, then from the wafers of
   the sites running its node (the product mix of each site is chosen here, future by future,
   as the planner's operations LP does; the plan's mix is only the estimate below). When own
   dies are exhausted, bought-in wafers from the outside foundries on offer, cheapest per good
   die first.
3. **Lines** highest assembly yield first, then cheapest (:func:`line_order`): the allocation
   stages maximise the units delivered, so a scarce die goes where it yields most; each
   ``assembled = min(pass target / yield, dies / compute_dies, slots × packages_per_wafer,
   HBM left / stacks)``. A second fill takes each product's lines cheapest per good package
   first (:func:`cost_line_orders`); a future keeps it when it serves the levels the planner
   maximises as well and makes at least as much money (:func:`_cheaper_serves`). Where some
   products are short and others not, a third fill (:mod:`fabnet.risk.line_mix`) keeps the
   short ones (and those sharing what they ran out of) on the highest-yield lines and takes the
   others cheapest first. Where the fill by cost ran out of HBM stacks before the maximised
   levels' units, a fourth fill (:func:`fabnet.risk.line_mix.switch_fill`) gives the highest-yield line to the
   products that save stacks there cheapest, the others the next-highest-yield lines.
4. **The lowest level** (the only one whose units the planner's NPV stage decides): a unit is
   made on a line only where the best price of that level plus its shortage penalty, weighed as
   the objective weighs it (:func:`_penalty_weight`), exceeds the unit's marginal cost there:
   (compute dies × own or bought die cost + line price / packages per wafer + test + HBM stacks
   × the next stack's price) / the line's yield.
5. **Stock.** Wafers left after the passes make dies for the next :data:`LOOKAHEAD` buckets,
   up to what they are expected to lack (each one's demand / the lowest line yield × compute
   dies, at most this bucket's dies scaled by its packaging capacity, less its own dies at the
   plan's mix), never for a bucket of the terminal value's window (the planner's terminal value
   must not live off stock made before it); those dies are carried. Wafers used for nothing
   are not started (not paid), as the planner would not start them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from fabnet.risk.model import RiskModel
from fabnet.vocab import AllocationPolicy

__all__ = [
    "LOOKAHEAD",
    "Assembly",
    "assemble",
    "buy_orders",
    "buy_units_order",
    "cost_line_orders",
    "hbm_type_index",
    "line_order",
    "product_order",
    "units_first_pass",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Assembly:
    """What step 3 decides: good packages ``made`` [F, T, P], packages ``assembled`` per line
    [F, T, L, P], own wafers ``used`` per option [F, O, T] and outside wafers ``bought`` per
    foundry [F, S, P, T]."""

    made: FloatArray
    assembled: FloatArray
    used: FloatArray
    bought: FloatArray
    stock: FloatArray | None = None
    """Dies carried into the next bucket [F, T, P]."""


def product_order(model: RiskModel) -> IntArray:
    """Products by value per interposer wafer: packages per wafer × (best price + its penalty)."""
    demand, price = model.values("demand"), model.values("price")
    penalty, ppw = model.values("penalty"), model.values("packages_per_interposer_wafer")
    score = np.zeros(demand.shape[1])
    for j in range(demand.shape[1]):
        has = demand[:, j, :].sum(axis=1) > 0
        if has.any():
            score[j] = ppw[j] * float(np.max((price[:, j].max(axis=-1) + penalty)[has]))
    return np.argsort(-score, kind="stable").astype(np.int64)


def line_order(model: RiskModel) -> IntArray:
    """Packaging lines highest assembly yield first, then cheapest."""
    return np.lexsort((model.values("line_cost"), -model.values("line_assembly_yield"))).astype(
        np.int64
    )


def hbm_type_index(model: RiskModel) -> tuple[IntArray, IntArray, int]:
    """HBM types as indices: per supplier, per product (-1 without HBM), and their number."""
    supplier_type = [str(t) for t in model.values("supplier_hbm_type")]
    kind, stacks = model.values("hbm_type"), model.values("hbm_stacks")
    types = sorted(
        set(supplier_type) | {str(t) for t, s in zip(kind, stacks, strict=True) if s > 0}
    )
    index = {t: i for i, t in enumerate(types)}
    per_supplier = np.array([index[t] for t in supplier_type], dtype=np.int64)
    per_product = np.array(
        [index[str(t)] if s > 0 else -1 for t, s in zip(kind, stacks, strict=True)], dtype=np.int64
    )
    return per_supplier, per_product, len(types)


def _passes(model: RiskModel, dem: FloatArray, con: FloatArray) -> list[FloatArray]:
    """Cumulative targets per pass [F, P, T] (module docstring, step 1)."""
    out = []
    if model.allocation == AllocationPolicy.CONTRACTS and bool(con.any()):
        out.append(con.sum(axis=1))
    rule = model.contracts_then if model.allocation == AllocationPolicy.CONTRACTS else None
    if model.allocation == AllocationPolicy.PRIORITY or rule == "priority":
        priority = model.values("priority")
        levels = np.unique(priority)
        for level in levels[:-1]:
            out.append(dem[:, priority <= level].sum(axis=1))
    out.append(dem.sum(axis=1))
    return out


def _take(need: FloatArray, supply: FloatArray, yields: FloatArray, order: IntArray) -> None:
    """Take wafers for ``need`` dies [F] from ``supply`` [F, K] (in place) in ``order``, each
    wafer giving ``yields`` [F, K] dies."""
    rest = need.copy()
    for k in order:
        g = yields[:, k]
        w = np.minimum(np.divide(rest, g, out=np.zeros_like(rest), where=g > 0), supply[:, k])
        supply[:, k] -= w
        rest -= w * g


@dataclass
class _Bucket:
    """The state of one bucket while it is assembled (arrays over futures)."""

    stock: FloatArray  # F x P dies carried in
    wafers: FloatArray  # F x O own wafers left
    gdpw: FloatArray  # F x O x P
    outside: FloatArray  # F x S outside wafers on offer left
    lines: FloatArray  # F x L interposer wafers left
    hbm: FloatArray  # F x H stacks left

    def own_dies(self, p: int, opts: IntArray) -> FloatArray:
        return self.stock[:, p] + (self.wafers[:, opts] * self.gdpw[:, opts, p]).sum(axis=1)

    def use_own(self, p: int, dies: FloatArray, opts: IntArray) -> None:
        from_stock = np.minimum(dies, self.stock[:, p])
        self.stock[:, p] -= from_stock
        _take(dies - from_stock, self.wafers, self.gdpw[:, :, p], opts)


def buy_orders(model: RiskModel, out_gdpw: FloatArray) -> list[IntArray] | None:
    """Per bucket, products in the order they get bought-in wafers: by margin per interposer
    wafer, ``ppw × (best price − unit cost)`` with the unit cost of bought dies (cheapest
    foundry per die), the mean line price, test and HBM at the mean price (the scenario's
    values): when a level's units tie, the planner's NPV stage buys wafers for the product
    that earns most on the line slot. Products without a foundry last."""
    if not out_gdpw.size:
        return None
    price, demand = model.values("price"), model.values("demand")  # C x P x T
    best = np.where(demand > 0, price, -np.inf).max(axis=0)  # P x T
    ppw, cd = model.values("packages_per_interposer_wafer"), model.values("compute_dies")
    wafer = model.values("outside_price")  # S x T
    hbm_price = model.values("hbm_price")
    hbm = model.values("hbm_stacks") * (float(hbm_price.mean()) if hbm_price.size else 0.0)
    line = float(model.values("line_cost").mean()) if model.values("line_cost").size else 0.0
    score = np.full(best.shape, -np.inf)
    for p in range(best.shape[0]):
        gd = out_gdpw[:, p]
        if (gd > 0).any():
            die = (wafer[gd > 0] * cd[p] / gd[gd > 0][:, None]).min(axis=0)
            cost = die + line / ppw[p] + model.values("test_cost")[p] + hbm[p]
            score[p] = ppw[p] * (best[p] - cost)
    return [np.argsort(-score[:, t], kind="stable").astype(np.int64) for t in range(best.shape[1])]


def buy_units_order(out_gdpw: FloatArray, compute_dies: FloatArray) -> IntArray:
    """Products by good units per bought-in wafer, most first: the best foundry's good dies
    per wafer / compute dies (products without a foundry last). The allocation stage of a
    priority level maximises that level's units (summed over products, :mod:`fabnet.plan.
    allocation`), so where products compete for the same foundries' wafers the one that makes
    most units per wafer is served first (a one-die 600 mm² ASIC makes ~2.6x the units of a
    two-die reticle-class GPU per N3 wafer)."""
    units = out_gdpw.max(axis=0, initial=0.0) / compute_dies
    return np.argsort(-units, kind="stable").astype(np.int64)


def units_first_pass(model: RiskModel, con: FloatArray) -> int:
    """Index of the first pass that buys wafers units first: the second priority level's.

    The contracts pass and the first level's keep the margin order of :func:`buy_orders`:
    in the built-in scenario the first level's bulk is two-die packages (B200, R100 class) with
    the same packages per interposer wafer and HBM stacks, so its units tie and the NPV stage
    picks the products (measured, ``benchmarks/recourse_agreement.py --seed 11``: units first
    there too left the first level's revenue 0.30 B$ below the exact recourse's, against 0.14
    B$ with the margin order, at the same units). A pass index past the last (never) without
    a second priority level."""
    first = 1 if model.allocation == AllocationPolicy.CONTRACTS and bool(con.any()) else 0
    rule = model.contracts_then if model.allocation == AllocationPolicy.CONTRACTS else None
    if model.allocation == AllocationPolicy.PRIORITY or rule == "priority":
        return first + 1
    return 1 << 30


def cost_line_orders(model: RiskModel) -> list[IntArray]:
    """Per product, its lines cheapest per good package first: (line cost / packages per wafer
    + test + HBM stacks × the mean HBM price) / assembly yield (ties: higher yield first)."""
    ppw, test = model.values("packages_per_interposer_wafer"), model.values("test_cost")
    line_cost, line_yield = model.values("line_cost"), model.values("line_assembly_yield")
    hbm = model.values("hbm_stacks") * (
        float(model.values("hbm_price").mean()) if model.values("hbm_price").size else 0.0
    )
    out = []
    for p in range(ppw.size):
        cost = (line_cost / ppw[p] + test[p] + hbm[p]) / line_yield
        out.append(np.lexsort((-line_yield, cost)).astype(np.int64))
    return out


@dataclass(frozen=True)
class _Plan:
    """What does not change from bucket to bucket (see :func:`assemble`)."""

    targets: list[FloatArray]
    order: IntArray
    own_opts: list[IntArray]
    sources: list[IntArray]
    out_gdpw: FloatArray
    product_type: IntArray
    line_product: npt.NDArray[np.bool_]
    line_yield: FloatArray
    ppw: FloatArray
    compute_dies: FloatArray
    stacks: FloatArray
    test: FloatArray
    margin: _Margin | None = None
    buy_order: list[IntArray] | None = None
    buy_units: IntArray | None = None
    units_from: int = 0
    """First pass that buys wafers units first (:func:`units_first_pass`)."""
    same_node: npt.NDArray[np.bool_] | None = None
    """[P, P] products whose dies come from the same node (own and bought-in wafers)."""


def _fill(
    pl: _Plan, bk: _Bucket, t: int, lines: list[IntArray]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Passes of one bucket with the lines of each product in ``lines[p]`` order; returns good
    packages [F, P], packages per line [F, L, P] and outside wafers [F, S, P] (``bk`` updated)."""
    line_product, line_yield, ppw = pl.line_product, pl.line_yield, pl.ppw
    compute_dies, stacks = pl.compute_dies, pl.stacks
    n_f, n_p = bk.stock.shape
    made = np.zeros((n_f, n_p))
    assembled = np.zeros((n_f, bk.lines.shape[1], n_p))
    bought = np.zeros((n_f, bk.outside.shape[1], n_p))
    last = len(pl.targets) - 1
    ar = np.arange(n_f)
    for n_pass, target in enumerate(pl.targets):
        for buy in (False, True):
            if buy and pl.units_from <= n_pass < last and pl.buy_units is not None:
                order = pl.buy_units  # the exact recourse maximises these levels' units
            elif buy:
                order = pl.buy_order[t] if pl.buy_order is not None else pl.order
            else:
                order = pl.order
            for p in order:
                src, h = pl.sources[p], pl.product_type[p]
                if buy and not src.size:
                    continue
                want = target[:, p, t]
                judge = pl.margin if n_pass == last else None
                order_p = lines[p]
                per_future = order_p.ndim > 1
                rows = ar if per_future else slice(None)
                for k in range(order_p.shape[-1]):
                    # one line for every future, or (a per-future order) one line per future
                    li = order_p[:, k] if per_future else int(order_p[k])
                    allowed = line_product[li, p]
                    if per_future:
                        if not allowed.any():
                            continue
                        need = np.where(allowed, want - made[:, p], 0.0)
                    else:
                        if not allowed:
                            continue
                        need = want - made[:, p]
                    if judge is not None:  # the lowest level: only where a unit pays
                        die = judge.die[:, p, t] if buy else judge.own_die[:, p, t]
                        cost = (
                            die
                            + judge.line[rows, li, t] / ppw[p]
                            + pl.test[p]
                            + (stacks[p] * judge.hbm_at(bk, h, t) if h >= 0 else 0.0)
                        ) / line_yield[li]
                        need = np.where(judge.value[:, p, t] > cost, need, 0.0)  # fmt: skip
                    if not (need > 1e-9).any():
                        if judge is not None or per_future:
                            continue
                        break
                    if buy:
                        avail = (bk.outside[:, src] * pl.out_gdpw[src, p]).sum(axis=1)
                    else:
                        avail = bk.own_dies(p, pl.own_opts[p])
                    if not (avail > 1e-9).any():
                        break
                    lim = np.maximum(need, 0.0) / line_yield[li]
                    lim = np.minimum(lim, avail / compute_dies[p])
                    lim = np.minimum(lim, bk.lines[rows, li] * ppw[p])
                    if h >= 0:
                        lim = np.minimum(lim, bk.hbm[:, h] / stacks[p])
                    a = np.maximum(lim, 0.0)
                    assembled[rows, li, p] += a
                    made[:, p] += a * line_yield[li]
                    if buy:
                        before = bk.outside.copy()
                        yields = np.broadcast_to(pl.out_gdpw[:, p], bk.outside.shape)
                        _take(a * compute_dies[p], bk.outside, yields, src)
                        bought[:, :, p] += before - bk.outside
                    else:
                        bk.use_own(p, a * compute_dies[p], pl.own_opts[p])
                    bk.lines[rows, li] -= a / ppw[p]
                    if h >= 0:
                        bk.hbm[:, h] -= a * stacks[p]
    return made, assembled, bought


@dataclass(frozen=True)
class _Margin:
    """What a unit for the lowest priority level earns and costs at the margin (step 5)."""

    value: FloatArray  # F x P x T: the best price of the lowest level + its shortage penalty
    die: FloatArray  # F x P x T: compute dies of bought-in wafers, cheapest foundry per die
    line: FloatArray  # F x L x T: price per interposer wafer
    hbm_total: FloatArray  # F x H x T: stacks on offer per HBM type
    hbm_sup: FloatArray  # F x S x T: stacks on offer per supplier
    hbm_price: FloatArray  # F x S: sampled price per stack
    hbm_order: list[IntArray]  # per HBM type: its suppliers, cheapest first
    hbm_mean: FloatArray  # P: stacks priced at the mean sampled price of the product's type
    wafer_price: FloatArray  # F x S x T: bought-in wafer price
    own_die: FloatArray  # F x P x T: compute dies of own wafers, cheapest site per die

    def hbm_at(self, bk: _Bucket, h: int, t: int) -> FloatArray:
        """[F] price of the next stack of type ``h``: the cheapest supplier with stacks left
        (the order :func:`fabnet.risk.recourse._operating_cost` pays them in)."""
        order = self.hbm_order[h]
        if not order.size:
            return np.zeros(bk.hbm.shape[0])
        used = self.hbm_total[:, h, t] - bk.hbm[:, h]
        cum = np.cumsum(self.hbm_sup[:, order, t], axis=1)
        i = np.minimum((cum <= used[:, None] + 1e-9).sum(axis=1), order.size - 1)
        return np.take_along_axis(self.hbm_price[:, order], i[:, None], axis=1)[:, 0]


def _penalty_weight(model: RiskModel) -> FloatArray:
    """[T] what a unit short of the lowest level weighs against a dollar of its margin in the
    planner's objective: the penalty counts once, the margin after tax and, inside the terminal
    value's window, also through the terminal value:
    :math:`1 / ((1 - τ)(1 + DF_{end} k / DF_t))` with :math:`k = (1 + g)/((r - g) · 3)` (the
    window's average year, perpetuity) or the multiple / 3, and 0 outside the window."""
    from fabnet.plan.model import TERMINAL_WINDOW_MONTHS

    b, attrs = model.data.buckets, model.ds.attrs
    tax = float(attrs.get("tax_rate", 0.0))
    method = str(attrs.get("terminal_method", "none"))
    years = TERMINAL_WINDOW_MONTHS / 12.0
    if method == "perpetuity":
        r, g = float(attrs["discount_rate"]), float(attrs["terminal_growth"])
        k = (1.0 + g) / (r - g) / years
    elif method != "none":
        k = float(attrs["terminal_multiple"]) / years
    else:
        k = 0.0
    df_end = (1.0 + float(attrs.get("discount_rate", 0.0))) ** (-b.n_months / 12.0)
    inside = (b.start >= b.n_months - TERMINAL_WINDOW_MONTHS).astype(float)
    return 1.0 / ((1.0 - tax) * (1.0 + inside * df_end * k / b.discount))


def _margin(
    model: RiskModel, price: FloatArray | None, outside_price: FloatArray | None,
    out_gdpw: FloatArray, dem: FloatArray, line_cost: FloatArray | None,
    hbm: tuple[FloatArray, FloatArray, FloatArray] | None,
    own_cost: tuple[FloatArray, FloatArray] | None = None,
) -> _Margin | None:  # fmt: skip
    """The lowest level's margin data (None where every level but none is decided by units:
    one level, proportional allocation, no bought-in wafers or no prices given).

    The planner maximises the units of every priority level but the last; the last level's
    deliveries only its NPV stage decides, which counts each unit short at the level's
    shortage penalty. A unit made from bought-in wafers is made for that level when its best
    price plus penalty exceeds its marginal cost per good unit on the line it would take:
    (compute dies × wafer price / good dies per wafer + line price / packages per wafer + test
    + HBM stacks × the next stack's price) / the line's assembly yield."""
    if price is None or outside_price is None or line_cost is None:
        return None
    if hbm is None:
        return None
    priority = model.values("priority")
    if np.unique(priority).size < 2 or model.allocation == AllocationPolicy.PROPORTIONAL:
        return None
    low = priority == priority.max()
    pen = model.values("penalty")[low][None, :, None, None]
    value = np.where(dem[:, low] > 0, price[:, low] + pen * _penalty_weight(model), -np.inf)
    value = value.max(axis=1)  # F x P x T
    cd = model.values("compute_dies")
    die = np.full(value.shape, np.inf)
    for p in range(value.shape[1] if out_gdpw.size else 0):
        gd = out_gdpw[:, p]
        if (gd > 0).any():
            per = outside_price[:, gd > 0] * cd[p] / gd[gd > 0][None, :, None]  # F x S x T
            die[:, p] = per.min(axis=1)
    line = line_cost[:, :, None] * model.values("line_cost_index")[None]
    sup_type, product_type, n_types = hbm_type_index(model)
    base = model.values("hbm_price")
    order = [np.array([s for s in np.argsort(base, kind="stable") if sup_type[s] == h],
                      dtype=np.int64) for h in range(n_types)]  # fmt: skip
    hbm_sup, hbm_price, hbm_total = hbm
    mean = np.array([float(base[sup_type == h].mean()) if h >= 0 and (sup_type == h).any()
                     else 0.0 for h in product_type])  # fmt: skip
    own = np.full(value.shape, np.inf)
    if own_cost is not None:
        wafer_cost, gdpw = own_cost  # F x O, F x O x P x T
        per = np.where(gdpw > 0, wafer_cost[:, :, None, None] / np.maximum(gdpw, 1e-300), np.inf)
        own = per.min(axis=1) * cd[None, :, None] if per.shape[1] else own
    return _Margin(value, die, line, hbm_total, hbm_sup, hbm_price, order, mean, outside_price,
                   own)  # fmt: skip


LOOKAHEAD = 4
"""Buckets ahead for which wafers left over make dies (the planner carries stock to avoid
buying later)."""


def _window_start(model: RiskModel) -> int:
    """First bucket of the terminal value's window (-1 without a terminal value)."""
    from fabnet.plan.model import TERMINAL_WINDOW_MONTHS

    b = model.data.buckets
    if str(model.ds.attrs.get("terminal_method", "none")) == "none":
        return -1
    return int(np.argmax(b.start >= b.n_months - TERMINAL_WINDOW_MONTHS))


def _fill_money(pl: _Plan, t: int, made: FloatArray, asm: FloatArray,
                bought: FloatArray) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Of one fill of bucket ``t``: the good packages of every priority level but the last
    (their units come first, the planner's allocation stages) [F], and the money it makes
    otherwise [F]: the lowest level's units at their price plus penalty, less packaging, test,
    HBM (next-stack price at the start of the bucket) and bought-in wafers."""
    hi_target = pl.targets[-2][:, :, t] if len(pl.targets) > 1 else pl.targets[-1][:, :, t]
    hi = np.minimum(made, hi_target)
    m = pl.margin
    if m is None:
        return made.sum(axis=1), np.zeros(made.shape[0])
    low = np.maximum(made - hi, 0.0) * np.where(np.isfinite(m.value[:, :, t]), m.value[:, :, t],
                                                0.0)  # fmt: skip
    per_pkg = m.line[:, :, t, None] / pl.ppw[None, None, :] + pl.test[None, None, :]
    cost = (asm * per_pkg).sum(axis=(1, 2))
    stacks = (asm.sum(axis=1) * pl.stacks[None, :] * m.hbm_mean[None, :]).sum(axis=1)
    wafers = (bought.sum(axis=2) * m.wafer_price[:, :, t]).sum(axis=1)
    return hi.sum(axis=1), low.sum(axis=1) - cost - stacks - wafers


def _cheaper_serves(pl: _Plan, t: int, a: tuple[FloatArray, FloatArray, FloatArray],
                    b: tuple[FloatArray, FloatArray, FloatArray]) -> npt.NDArray[np.bool_]:  # fmt: skip
    """[F] the fill by cost ``b`` is kept: it makes as many units for the levels the planner
    maximises (all but the last, or all with one level) and at least as much money."""
    hi_a, money_a = _fill_money(pl, t, *a)
    hi_b, money_b = _fill_money(pl, t, *b)
    same = hi_b >= hi_a * (1.0 - 1e-9) - 1e-9
    if pl.margin is None:
        return same
    return same & (money_b >= money_a - 1e-6 * np.abs(money_a))


def _pick(use_b: npt.NDArray[np.bool_], a: FloatArray, b: FloatArray) -> FloatArray:
    return np.where(use_b.reshape(-1, *([1] * (a.ndim - 1))), b, a)


_Fill = tuple[_Bucket, FloatArray, FloatArray, FloatArray]
"""A bucket's state after a fill, its good packages, packages per line and bought wafers."""


_BUCKET_FIELDS = tuple(f.name for f in fields(_Bucket))
"""The arrays of a bucket's state, in :class:`_Bucket`'s order."""


def _pick_fill(use_b: npt.NDArray[np.bool_], a: _Fill, b: _Fill) -> _Fill:
    """Per future, fill ``b`` where ``use_b`` else ``a`` (the bucket state field by field)."""
    bk = _Bucket(*(_pick(use_b, getattr(a[0], k), getattr(b[0], k)) for k in _BUCKET_FIELDS))
    return bk, _pick(use_b, a[1], b[1]), _pick(use_b, a[2], b[2]), _pick(use_b, a[3], b[3])


def _fill_bucket(
    pl: _Plan, t: int, stock: FloatArray, supply: tuple[FloatArray, ...], lines: list[IntArray]
) -> _Fill:
    """One fill of bucket ``t`` from the dies in ``stock`` and the bucket's ``supply`` (own
    wafers, their good dies per wafer, outside wafers, line slots and HBM stacks, each with the
    bucket last), lines in ``lines`` order (:func:`_fill`)."""
    wafers, gdpw, outside, lines_cap, hbm = supply
    bk = _Bucket(stock.copy(), wafers[:, :, t].copy(), gdpw[:, :, :, t],
                 outside[:, :, t].copy(), lines_cap[:, :, t].copy(), hbm[:, :, t].copy())  # fmt: skip
    return (bk, *_fill(pl, bk, t, lines))


def assemble(
    model: RiskModel, wafers: FloatArray, gdpw: FloatArray, dies_at_mix: FloatArray,
    line_cap: FloatArray, hbm_sup: FloatArray, dem: FloatArray, con: FloatArray,
    outside_cap: FloatArray, price: FloatArray | None = None,
    outside_price: FloatArray | None = None, line_cost: FloatArray | None = None,
    hbm_price: FloatArray | None = None, wafer_cost: FloatArray | None = None,
) -> Assembly:  # fmt: skip
    """Step 3 over every bucket (module docstring). ``wafers`` [F, O, T] own wafers out,
    ``gdpw`` [F, O, P, T], ``dies_at_mix`` [F, P, T] (the plan's mix, for the stock estimate),
    ``line_cap`` [F, L, T], ``hbm_sup`` [F, S_hbm, T], ``dem``/``con`` [F, C, P, T],
    ``outside_cap`` [F, S, T].

    Each bucket is filled twice: lines by yield (most units) and lines by cost per good package;
    a future keeps the cheaper fill when it makes as many good packages (the planner's
    lexicographic stages: units first, then money)."""
    # imported here: fabnet.risk.line_mix builds on this module's fills
    from fabnet.risk.line_mix import limited, mixed_fill, mixed_orders, switch_fill

    supplier_type, product_type, n_types = hbm_type_index(model)
    compute_dies, line_yield = model.values("compute_dies"), model.values("line_assembly_yield")
    n_f, n_o, n_t = wafers.shape
    n_p, n_l, n_s = dem.shape[2], line_cap.shape[1], outside_cap.shape[1]
    hbm_all = np.zeros((n_f, n_types, n_t))
    for s in range(hbm_sup.shape[1]):
        hbm_all[:, supplier_type[s]] += hbm_sup[:, s]
    out_gdpw = model.values("outside_gdpw") if n_s else np.zeros((0, n_p))
    out_price = model.values("outside_price").mean(axis=1) if n_s else np.zeros(0)
    product_node, option_node = model.values("product_node"), model.values("option_node")
    pl = _Plan(
        targets=_passes(model, dem, con),
        order=product_order(model),
        own_opts=[np.flatnonzero(option_node == product_node[p]).astype(np.int64)
                  for p in range(n_p)],
        sources=[np.array([s for s in np.argsort(out_price / np.maximum(out_gdpw[:, p], 1e-300),
                                                 kind="stable") if out_gdpw[s, p] > 0],
                          dtype=np.int64) for p in range(n_p)],
        out_gdpw=out_gdpw,
        product_type=product_type,
        line_product=model.values("line_product"),
        line_yield=line_yield,
        ppw=model.values("packages_per_interposer_wafer"),
        compute_dies=compute_dies,
        stacks=model.values("hbm_stacks"),
        test=model.values("test_cost"),
        buy_order=buy_orders(model, out_gdpw),
        buy_units=buy_units_order(out_gdpw, compute_dies) if n_s else None,
        units_from=units_first_pass(model, con),
        same_node=product_node[:, None] == product_node[None, :],
        margin=_margin(model, price, outside_price, out_gdpw, dem, line_cost,
                       None if hbm_price is None else (hbm_sup, hbm_price, hbm_all),
                       None if wafer_cost is None else (wafer_cost, gdpw)),
    )  # fmt: skip
    by_yield = [line_order(model)] * n_p
    by_cost = cost_line_orders(model)
    made = np.zeros((n_f, n_t, n_p))
    assembled = np.zeros((n_f, n_t, n_l, n_p))
    bought = np.zeros((n_f, n_s, n_p, n_t))
    left = np.zeros((n_f, n_o, n_t))
    min_yield = float(line_yield.min()) if n_l else 1.0
    dem_tot = dem.sum(axis=1)
    stock = np.zeros((n_f, n_p))
    stocks = np.zeros((n_f, n_t, n_p))
    window = _window_start(model)
    line_tot = line_cap.sum(axis=1)  # F x T
    supply = (wafers, gdpw, outside_cap, line_cap, hbm_all)
    for t in range(n_t):
        fill_a = _fill_bucket(pl, t, stock, supply, by_yield)
        fill_b = _fill_bucket(pl, t, stock, supply, by_cost)
        use_b = _cheaper_serves(pl, t, fill_a[1:], fill_b[1:])
        short = limited(pl, t, fill_a)
        idx = np.flatnonzero(~use_b & short.any(axis=1) & ~short.all(axis=1))
        if idx.size:  # the third fill, only in the futures where it differs from the first two
            fill_a = mixed_fill(pl, t, idx, stock, supply, fill_a,
                                mixed_orders(short[idx], by_yield, by_cost))  # fmt: skip
        chosen = _pick_fill(use_b, fill_a, fill_b)
        if pl.margin is not None and n_l > 1:
            chosen = switch_fill(pl, t, stock, supply, chosen, fill_b, use_b, by_yield, by_cost)
        bk, made[:, t], assembled[:, t], bought[:, :, :, t] = chosen
        # dies for the next bucket from the wafers left (module docstring, step 4)
        stock = bk.stock
        if t + 1 < n_t:
            ahead = range(t + 1, min(t + 1 + LOOKAHEAD, n_t if window < 0 else window))
            # each bucket ahead's packaging capacity over this one's [F] (1 where this has none)
            grow = [np.divide(line_tot[:, j], line_tot[:, t], out=np.ones(n_f),
                              where=line_tot[:, t] > 0) for j in ahead]  # fmt: skip
            for p in pl.order:
                # what the next buckets (before the window) will lack: their demand, at most
                # this bucket's dies scaled by their packaging capacity, less their own dies
                used_now = assembled[:, t, :, p].sum(axis=1) * compute_dies[p]
                need = np.zeros(n_f)
                for j, g in zip(ahead, grow, strict=True):
                    want = np.minimum(dem_tot[:, p, j] / min_yield * compute_dies[p],
                                      used_now * g)  # fmt: skip
                    need += np.maximum(want - dies_at_mix[:, p, j], 0.0)
                room = bk.own_dies(p, pl.own_opts[p]) - stock[:, p]
                extra = np.minimum(np.maximum(need - stock[:, p], 0.0), room)
                _take(extra, bk.wafers, bk.gdpw[:, :, p], pl.own_opts[p])
                stock[:, p] += extra
        left[:, :, t] = bk.wafers
        stocks[:, t] = stock
    return Assembly(made, assembled, wafers - left, bought, stocks)
