"""The hindcast: solve the industry scenario over 2022-10 … 2025-12 and compare it with checks.

The industry scenario (built-in ``ai-accelerators-2023``) is planned like any other with
:func:`fabnet.plan.solve_plan`: the designers are its customers, the foundry's wafers and the
packaging houses are outside supply, packaging bookings are contracted minimums, and the policy
(bookings, then the scenario's ``contracts_then`` rule) shares what is left. Packages
count when they leave packaging; the unit checks count them when the designer ships them
(``Product.ship_lag_months`` later, :func:`shipments`). What each product, designer and
packaging line delivered per month is read from the plan's tables, and each check's model value
is computed from those (:func:`model_value`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fabnet.backtest.checks import Check, period_months
from fabnet.scenario import Scenario
from fabnet.scenario._base import month_index

__all__ = [
    "HINDCAST_END",
    "BacktestResult",
    "hindcast_scenario",
    "model_value",
    "quarter_of",
    "run_backtest",
    "shipments",
]

HINDCAST_END = "2025-12"
"""Last month the hindcast plans (the checks lie in 2023-2025)."""


def quarter_of(month: str) -> str:
    """``"2024-05"`` → ``"2024Q2"``."""
    year, mon = month.split("-")
    return f"{year}Q{(int(mon) - 1) // 3 + 1}"


def hindcast_scenario(sc: Scenario, end: str = HINDCAST_END) -> Scenario:
    """The scenario cut at ``end`` (monthly buckets throughout): the projections after it do not
    shape the allocation of the years being checked."""
    months = month_index(end, sc.policy.start) + 1
    if months < 1:
        raise ValueError(f"end {end} lies before the scenario's start {sc.policy.start}")
    months = min(months, sc.policy.horizon_months)
    policy = sc.policy.model_copy(
        update={"horizon_months": months, "monthly_detail_months": None, "bucket": "month"}
    )
    return sc.model_copy(update={"policy": policy})


@dataclass
class BacktestResult:
    """The hindcast's outputs and the checks against them.

    Attributes:
        scenario: the scenario's name.
        checks: one row per check: id, quantity, select, period, low, high, model, inside,
            source, counted.
        deliveries: the plan's deliveries (customer, product, month, demand, delivered, shortage).
        packaging: interposer wafers per packaging line, product and month.
        products: product → (compute dies per package, packaging kind).
        seconds: wall time of the solve (s).
        summary: the plan's summary.
        shipped: ``deliveries`` moved to the month the designers ship them (each product's
            ``ship_lag_months``; :func:`shipments`); None: the same as ``deliveries``.
    """

    scenario: str
    checks: pd.DataFrame
    deliveries: pd.DataFrame
    packaging: pd.DataFrame
    products: dict[str, tuple[int, str]]
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    shipped: pd.DataFrame | None = None

    @property
    def shipments(self) -> pd.DataFrame:
        """Shipped packages (customer, product, month, delivered), lag applied."""
        return self.deliveries if self.shipped is None else self.shipped

    @property
    def inside_fraction(self) -> float:
        """Share of checks whose model value lies inside the band."""
        return float(self.checks["inside"].mean()) if len(self.checks) else 0.0

    def output_by_quarter(self) -> dict[str, dict[str, float]]:
        """Shipped packages per product and calendar quarter: ``{product: {"YYYYQn": units}}``."""
        d = self.shipments.assign(quarter=self.shipments["month"].map(quarter_of))
        wide = d.pivot_table(index="product", columns="quarter", values="delivered", aggfunc="sum")
        return {
            str(p): {str(q): float(round(v, 1)) for q, v in row.dropna().items()}
            for p, row in wide.iterrows()
        }

    def by_quarter(self, what: str) -> pd.DataFrame:
        """Quarterly table: ``what`` = ``product`` or ``customer`` (delivered packages) or
        ``line`` (interposer wafers a month, quarter average); packages are counted when shipped."""
        if what == "line":
            pk = self.packaging.assign(quarter=self.packaging["month"].map(quarter_of))
            wide = pk.pivot_table(
                index="line", columns="quarter", values="interposer_wafers", aggfunc="sum"
            )
            return wide.fillna(0.0) / 3.0
        d = self.shipments.assign(quarter=self.shipments["month"].map(quarter_of))
        return d.pivot_table(index=what, columns="quarter", values="delivered", aggfunc="sum")

    def to_json(self) -> dict[str, Any]:
        """``checks``, ``inside_fraction`` and ``output_by_quarter`` (``fabnet backtest --json``)."""
        cols = ["id", "quantity", "period", "low", "high", "model", "inside", "source"]
        return {
            "scenario": self.scenario,
            "checks": [
                {k: (bool(v) if k == "inside" else v) for k, v in row.items()}
                for row in self.checks[cols].to_dict(orient="records")
            ],
            "inside_fraction": self.inside_fraction,
            "output_by_quarter": self.output_by_quarter(),
            "seconds": round(self.seconds, 2),
        }


def shipments(
    deliveries: pd.DataFrame, lags: dict[str, int], end: str | None = None
) -> pd.DataFrame:
    """Deliveries moved to the month the designer ships them: a package made in month m ships in
    m + ``lags[product]`` (final test, module or board assembly; ``Product.ship_lag_months``).
    Rows shipped after ``end`` are dropped; the months before the first lag are empty (the
    packages of the months before the scenario's start are not modelled).

    >>> d = pd.DataFrame({"customer": ["N"], "product": ["P"], "month": ["2024-11"],
    ...                   "delivered": [5.0]})
    >>> shipments(d, {"P": 2})["month"].tolist()
    ['2025-01']
    >>> len(shipments(d, {"P": 2}, end="2024-12"))
    0
    """
    keep = [c for c in ("customer", "product", "month", "delivered") if c in deliveries]
    out = deliveries[keep].copy()

    def moved(row: pd.Series) -> str:
        year, mon = (int(x) for x in str(row["month"]).split("-"))
        k = year * 12 + mon - 1 + int(lags.get(str(row["product"]), 0))
        return f"{k // 12:04d}-{k % 12 + 1:02d}"

    if len(out):
        out["month"] = out.apply(moved, axis=1)
    if end is not None:
        out = out[out["month"] <= end]
    return out.reset_index(drop=True)


def model_value(
    check: Check,
    deliveries: pd.DataFrame,
    packaging: pd.DataFrame,
    products: dict[str, tuple[int, str]],
    shipped: pd.DataFrame | None = None,
) -> float:
    """The model's figure for ``check`` (see :mod:`fabnet.backtest.checks` for the quantities):
    ``units`` and ``dies`` count ``shipped`` (default: ``deliveries``, i.e. no lag), ``packaged``
    counts ``deliveries``, ``unit_share`` divides shipped units by those of the ``of=``
    products; ``cowos_*`` count the interposer wafers of the ``line=`` lines (all
    lines when none is named) used by the named products (all products when none is named)."""
    months = set(period_months(check.period))
    if check.quantity in ("cowos_wafers", "cowos_wpm"):
        lines = {s.split("=", 1)[1] for s in check.select if s.startswith("line=")}
        names = {s for s in check.select if "=" not in s}
        rows = packaging[packaging["month"].isin(months)]
        if lines:
            rows = rows[rows["line"].isin(lines)]
        if names:
            rows = rows[rows["product"].isin(names)]
        total = float(rows["interposer_wafers"].sum())
        return total / len(months) if check.quantity == "cowos_wpm" else total
    customers = {s.split("=", 1)[1] for s in check.select if s.startswith("customer=")}
    names = {s for s in check.select if "=" not in s}
    table = deliveries if check.quantity == "packaged" or shipped is None else shipped
    rows = table[table["month"].isin(months)]
    if check.quantity == "unit_share":
        of = {s.split("=", 1)[1] for s in check.select if s.startswith("of=")}
        whole = float(rows.loc[rows["product"].isin(of), "delivered"].sum())
        part = rows[rows["product"].isin(names) | rows["customer"].isin(customers)]
        return float(part["delivered"].sum()) / whole if whole > 0 else 0.0
    rows = rows[rows["product"].isin(names) | rows["customer"].isin(customers)]
    if check.quantity == "dies":
        dies = rows["product"].map(lambda p: products[p][0])
        return float((rows["delivered"] * dies).sum())
    return float(rows["delivered"].sum())


def run_backtest(
    sc: Scenario,
    checks: list[Check],
    end: str = HINDCAST_END,
    progress: Any = None,
) -> BacktestResult:
    """Solve the industry scenario up to ``end`` and compute every check's model value."""
    from fabnet.plan import solve_plan

    unknown = [
        (c.id, s)
        for c in checks
        for s in c.select
        if ("=" not in s or s.startswith("of="))
        and s.removeprefix("of=") not in {p.name for p in sc.products}
    ]
    if unknown:
        from fabnet.errors import DataError

        cid, name = unknown[0]
        known = ", ".join(p.name for p in sc.products)
        raise DataError(f"check {cid!r} selects unknown product {name!r} (known: {known})")
    hc = hindcast_scenario(sc, end)
    t0 = time.perf_counter()
    result = solve_plan(hc, explain=False, progress=progress)
    seconds = time.perf_counter() - t0
    deliveries = result.tables["deliveries"]
    packaging = result.tables["packaging"]
    products = {p.name: (p.compute_dies, p.packaging) for p in sc.products}
    shipped = shipments(deliveries, {p.name: p.ship_lag_months for p in sc.products}, end)
    rows = []
    for c in checks:
        value = model_value(c, deliveries, packaging, products, shipped)
        rows.append({**c.as_dict(), "model": value, "inside": c.low <= value <= c.high})
    table = pd.DataFrame(
        rows,
        columns=[
            "id", "quantity", "select", "period", "low", "high", "model", "inside", "source",
            "counted",
        ],
    )  # fmt: skip
    return BacktestResult(
        sc.name, table, deliveries, packaging, products, seconds, dict(result.summary), shipped
    )
