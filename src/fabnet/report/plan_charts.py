"""Charts of a network plan (plotly), one function per chart, from the planner's tables.

Table contract (written by ``fabnet.plan``; months are ``YYYY-MM``, the first month of each time
bucket — monthly first, quarterly later — with quantities per bucket; money in USD). Flows are
drawn as monthly rates (bucket total ÷ bucket length), so a quarter does not look three times
as tall as a month:

- ``decisions``: site, action ('buy'|'build'), start, first_output, modules, capex, node
- ``capacity``: site, month, capacity_wspm, used_wspm
- ``supply``: product, month, good_dies, accelerators, packaging_limit, hbm_limit
- ``deliveries``: customer, product, month, demand, delivered, shortage
- ``cash_flow``: month, capex, opex, revenue, investor_in, debt_draw, debt_repay, interest,
  cash_balance, debt_balance
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from fabnet.errors import DataError

__all__ = [
    "CHART_TITLES",
    "bucket_lengths",
    "capacity_chart",
    "cash_chart",
    "decisions_gantt",
    "months",
    "require_columns",
    "shortage_chart",
    "supply_demand_chart",
    "supply_limits_chart",
]

CHART_TITLES = {
    "capacity": "Capacity ramp per fab",
    "supply_demand": "Accelerator supply vs demand",
    "supply_limits": "What limits accelerator output",
    "shortage": "Shortage by customer",
    "cash": "Cash and funding",
    "gantt": "Buy and build decisions",
}

_TEMPLATE = "plotly_white"
_PALETTE = qualitative.Plotly + qualitative.D3
_ACTION_COLOURS = {"build": "#e07b39", "buy": "#2a9d8f"}
_PRODUCING = "#a9c4e4"


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    """Raise :class:`DataError` naming the table and its missing columns (planner contract)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"plan table '{table}' lacks column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(columns)}",
            file=table,
        )


def months(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` text → first-of-month timestamps (what plotly's date axis wants)."""
    return pd.to_datetime(values.astype(str), format="%Y-%m")


def _layout(figure: go.Figure, title: str, yaxis: str, height: int = 420) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 17}},
        template=_TEMPLATE,
        height=height,
        margin={"l": 70, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        yaxis_title=yaxis,
        hovermode="x unified",
        separators=".,",
    )
    figure.update_yaxes(tickformat=",~s" if yaxis.endswith("(units)") else ",")
    return figure


def _colours(names: Sequence[str]) -> dict[str, str]:
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(names)}


def capacity_chart(capacity: pd.DataFrame) -> go.Figure:
    """Stacked area of available wafer starts per month by fab, with the starts used as a line."""
    require_columns(capacity, "capacity", ["site", "month", "capacity_wspm", "used_wspm"])
    frame = capacity.assign(when=months(capacity["month"]))
    pivot = frame.pivot_table(index="when", columns="site", values="capacity_wspm", aggfunc="sum")
    pivot = pivot.fillna(0.0).sort_index()
    order = list(pivot.iloc[-1].sort_values(ascending=False).index) if len(pivot) else []
    colours = _colours(order)
    figure = go.Figure()
    for site in order:
        figure.add_trace(
            go.Scatter(
                x=pivot.index,
                y=pivot[site],
                name=str(site),
                stackgroup="capacity",
                mode="lines",
                line={"width": 0.5, "color": colours[site]},
                hovertemplate="%{y:,.0f} WSPM",
            )
        )
    used = frame.groupby("when")["used_wspm"].sum().sort_index()
    figure.add_trace(
        go.Scatter(
            x=used.index,
            y=used.values,
            name="wafer starts used",
            mode="lines",
            line={"color": "#1f2933", "width": 2, "dash": "dot"},
            hovertemplate="%{y:,.0f} WSPM",
        )
    )
    return _layout(figure, CHART_TITLES["capacity"], "wafer starts per month")


def bucket_lengths(labels: pd.Series) -> pd.Series:
    """Length in months of each time bucket, indexed by its first month (a timestamp).

    The planner uses monthly buckets first and quarterly ones later; a bucket lasts until the
    next label, and the last bucket as long as the one before it (1 month if there is only one).
    """
    starts = pd.Series(sorted(months(pd.Series(pd.unique(labels.astype(str))))))
    periods = starts.dt.to_period("M")
    gaps = [(b - a).n for a, b in itertools.pairwise(list(periods))]
    lengths = [*gaps, gaps[-1] if gaps else 1]
    return pd.Series(lengths, index=pd.DatetimeIndex(starts), dtype=float, name="months")


def _monthly_rates(frame: pd.DataFrame, by: str | None, value: str) -> pd.DataFrame:
    """Per-bucket totals of ``value`` turned into per-month rates, one row per bucket (and one
    column per ``by`` group); the index is the bucket's middle, ``_width`` its length in ms."""
    lengths = bucket_lengths(frame["month"])
    data = frame.assign(when=months(frame["month"]))
    if by is None:
        table = data.groupby("when")[[value]].sum()
    else:
        table = data.pivot_table(index="when", columns=by, values=value, aggfunc="sum")
    table = table.reindex(lengths.index).fillna(0.0).div(lengths, axis=0)
    ends = lengths.index + pd.to_timedelta(lengths.to_numpy() * 30.4375, unit="D")
    middles = lengths.index + (ends - lengths.index) / 2
    table.index = pd.DatetimeIndex(middles)
    table["_width"] = (ends - lengths.index).total_seconds().to_numpy() * 1000
    return table


def supply_demand_chart(deliveries: pd.DataFrame, supply: pd.DataFrame | None = None) -> go.Figure:
    """Accelerators per month: deliveries stacked by customer, total demand as a line (and the
    accelerators produced, if ``supply`` is given, as a dotted line). Quarterly buckets are
    shown as monthly rates (bucket total ÷ 3) over the bucket's width."""
    require_columns(
        deliveries, "deliveries", ["customer", "product", "month", "demand", "delivered"]
    )
    by_customer = _monthly_rates(deliveries, "customer", "delivered")
    widths = by_customer.pop("_width") * 0.85
    totals = by_customer.sum().sort_values(ascending=False)
    colours = _colours(list(totals.index))
    figure = go.Figure()
    for customer in totals.index:
        figure.add_trace(
            go.Bar(
                x=by_customer.index,
                y=by_customer[customer],
                width=widths,
                name=str(customer),
                marker_color=colours[customer],
                hovertemplate="%{y:,.0f}",
            )
        )
    demand = _monthly_rates(deliveries, None, "demand")
    figure.add_trace(
        go.Scatter(
            x=demand.index,
            y=demand["demand"],
            name="demand",
            mode="lines",
            line={"color": "#c0392b", "width": 2.5},
            hovertemplate="%{y:,.0f}",
        )
    )
    if supply is not None and not supply.empty:
        require_columns(supply, "supply", ["month", "accelerators"])
        produced = _monthly_rates(supply, None, "accelerators")
        figure.add_trace(
            go.Scatter(
                x=produced.index,
                y=produced["accelerators"],
                name="produced",
                mode="lines",
                line={"color": "#1f2933", "width": 1.5, "dash": "dot"},
                hovertemplate="%{y:,.0f}",
            )
        )
    figure.update_layout(barmode="stack")
    return _layout(figure, CHART_TITLES["supply_demand"], "accelerators per month (units)")


def supply_limits_chart(supply: pd.DataFrame) -> go.Figure:
    """Per product, accelerators made per month against two ceilings: what all the packaging
    (CoWoS) lines could give, and what all the HBM of its type could give, if the product had them
    to itself (monthly rates). Products share both resources, so the ceilings are per product and
    must not be added up; where made stays well under both, wafers, demand or the other products'
    claims on the same packaging and HBM limit it (see the shadow prices)."""
    from plotly.subplots import make_subplots

    require_columns(
        supply,
        "supply",
        ["product", "month", "good_dies", "accelerators", "packaging_limit", "hbm_limit"],
    )
    products = [str(p) for p in pd.unique(supply["product"])]
    made_any = [p for p in products if supply.loc[supply["product"] == p, "accelerators"].sum() > 0]
    shown = made_any or products
    figure = make_subplots(
        rows=len(shown), cols=1, shared_xaxes=True, subplot_titles=shown, vertical_spacing=0.08
    )
    styles = {
        "accelerators": ("made", "#1f5fa8", "solid"),
        "packaging_limit": ("packaging (CoWoS) ceiling", "#8e44ad", "dash"),
        "hbm_limit": ("HBM ceiling", "#d35400", "dashdot"),
    }
    for row, product in enumerate(shown, start=1):
        rows = supply[supply["product"] == product]
        for column, (label, colour, dash) in styles.items():
            rate = _monthly_rates(rows, None, column)[column]
            figure.add_trace(
                go.Scatter(
                    x=rate.index,
                    y=rate,
                    name=label,
                    legendgroup=column,
                    showlegend=row == 1,
                    mode="lines",
                    fill="tozeroy" if column == "accelerators" else None,
                    line={"color": colour, "width": 2, "dash": dash},
                    hovertemplate="%{y:,.0f}",
                ),
                row=row,
                col=1,
            )
    return _layout(
        figure,
        CHART_TITLES["supply_limits"],
        "accelerators per month (units)",
        height=max(420, 260 * len(shown)),
    )


def shortage_chart(deliveries: pd.DataFrame) -> go.Figure:
    """Total shortage over the horizon by customer (horizontal bars, largest on top), with the
    customer's fill rate (delivered ÷ demand) as the bar label."""
    require_columns(deliveries, "deliveries", ["customer", "demand", "delivered", "shortage"])
    sums = deliveries.groupby("customer")[["demand", "delivered", "shortage"]].sum()
    sums = sums.sort_values("shortage")
    fill = (sums["delivered"] / sums["demand"].where(sums["demand"] > 0)).fillna(1.0)
    figure = go.Figure(
        go.Bar(
            x=sums["shortage"],
            y=[str(c) for c in sums.index],
            orientation="h",
            marker_color="#c0392b",
            text=[f"fill rate {f:.0%}" for f in fill],
            textposition="auto",
            hovertemplate="%{y}: %{x:,.0f} short<extra></extra>",
            name="shortage",
        )
    )
    figure = _layout(figure, CHART_TITLES["shortage"], "", height=max(260, 60 + 34 * len(sums)))
    figure.update_layout(
        hovermode="closest", showlegend=False, xaxis_title="accelerators short (units)"
    )
    figure.update_xaxes(tickformat=",~s")
    return figure


def cash_chart(cash_flow: pd.DataFrame) -> go.Figure:
    """Cash balance, cumulative capex, cumulative investor pay-ins and debt balance (B USD)."""
    require_columns(
        cash_flow, "cash_flow", ["month", "capex", "investor_in", "cash_balance", "debt_balance"]
    )
    frame = cash_flow.assign(when=months(cash_flow["month"])).sort_values("when")
    series = {
        "cash balance": (frame["cash_balance"], "#1f5fa8", "solid"),
        "cumulative capex": (frame["capex"].cumsum(), "#e07b39", "solid"),
        "cumulative investor pay-ins": (frame["investor_in"].cumsum(), "#2a9d8f", "dash"),
        "debt balance": (frame["debt_balance"], "#8e44ad", "dot"),
    }
    figure = go.Figure()
    for name, (values, colour, dash) in series.items():
        figure.add_trace(
            go.Scatter(
                x=frame["when"],
                y=values / 1e9,
                name=name,
                mode="lines",
                line={"color": colour, "width": 2.2, "dash": dash},
                hovertemplate="%{y:,.2f} B USD",
            )
        )
    figure.add_hline(y=0, line={"color": "#9aa5b1", "width": 1})
    return _layout(figure, CHART_TITLES["cash"], "B USD")


def decisions_gantt(decisions: pd.DataFrame, horizon_end: pd.Timestamp | None = None) -> go.Figure:
    """Gantt of buy/build decisions: start → first output (construction, tool install or retool),
    then first output → end of the horizon (producing)."""
    require_columns(decisions, "decisions", ["site", "action", "start", "first_output", "modules"])
    frame = decisions.assign(
        start_at=months(decisions["start"]), output_at=months(decisions["first_output"])
    ).sort_values(["start_at", "site"], ascending=[False, True])
    end = (
        horizon_end
        if horizon_end is not None
        else frame["output_at"].max() + pd.DateOffset(months=12)
    )
    labels = [
        f"{site} · build {int(modules)} mod." if action == "build" else f"{site} · buy"
        for site, action, modules in zip(
            frame["site"].astype(str), frame["action"], frame["modules"], strict=True
        )
    ]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} ({s:%Y-%m})" for lab, s in zip(labels, frame["start_at"], strict=True)]
    figure = go.Figure()
    for action, colour in _ACTION_COLOURS.items():
        rows = frame["action"].to_numpy() == action
        if not rows.any():
            continue
        part = frame[rows]
        figure.add_trace(
            go.Bar(
                y=[lab for lab, keep in zip(labels, rows, strict=True) if keep],
                base=part["start_at"],
                x=(part["output_at"] - part["start_at"]).dt.total_seconds() * 1000,
                orientation="h",
                marker_color=colour,
                name="build: construction + tool install" if action == "build" else "buy: retool",
                customdata=part[["start", "first_output"]].to_numpy(),
                hovertemplate="%{y}<br>%{customdata[0]} → first output %{customdata[1]}<extra></extra>",
            )
        )
    figure.add_trace(
        go.Bar(
            y=labels,
            base=frame["output_at"],
            x=((end - frame["output_at"]).dt.total_seconds() * 1000).clip(lower=0),
            orientation="h",
            marker_color=_PRODUCING,
            name="producing",
            customdata=frame[["first_output"]].to_numpy(),
            hovertemplate="%{y}<br>producing from %{customdata[0]}<extra></extra>",
        )
    )
    figure = _layout(figure, CHART_TITLES["gantt"], "", height=max(260, 110 + 34 * len(frame)))
    figure.update_layout(barmode="overlay", hovermode="closest", bargap=0.35)
    figure.update_xaxes(type="date", range=[frame["start_at"].min() - pd.DateOffset(months=2), end])
    figure.update_yaxes(categoryorder="array", categoryarray=labels)
    return figure
