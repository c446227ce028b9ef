"""The generic report builder: one self-contained HTML page from key figures and sections.

The page opens offline: plotly.js is inlined once (in the page head, not once per chart), there
are no links to a CDN, and the style sheet is in the page. Rendered with jinja2 from
``templates/report.html.j2``; shared by the CLI and the web service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from fabnet.report._format import format_number, table_cells

__all__ = [
    "MAX_TABLE_ROWS",
    "Section",
    "build_report",
    "figure_html",
    "plotly_js",
]

#: Tables longer than this are cut in the page (the exports hold every row).
MAX_TABLE_ROWS = 200

_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d"]}


@dataclass
class Section:
    """One section of a report: a title, optional text, plotly figures and captioned tables.

    ``text`` is plain text; blank lines separate paragraphs. ``tables`` is a list of
    ``(caption, DataFrame)``; format and label the columns first (see ``label_columns``).
    """

    title: str
    text: str = ""
    figures: Sequence[go.Figure] = field(default_factory=list)
    tables: Sequence[tuple[str, pd.DataFrame]] = field(default_factory=list)


@cache
def plotly_js() -> str:
    """The plotly.js bundle shipped with the plotly package (inlined once per page)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fabnet.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def figure_html(figure: go.Figure, div_id: str, height: int | None = None) -> Markup:
    """A plotly figure as a ``div`` + script; plotly.js itself is loaded once by the page."""
    if height is not None:
        figure.update_layout(height=height)
    html = pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        config=_PLOT_CONFIG,
        div_id=div_id,
        default_height=f"{int(figure.layout.height or 420)}px",
    )
    return Markup(html)  # plotly's own output: a div and a script calling Plotly.newPlot


def _card_value(value: Any) -> str:
    return value if isinstance(value, str) else format_number(value)


def build_report(
    title: str,
    summary: Mapping[str, Any],
    sections: Sequence[Section],
    subtitle: str = "",
    max_table_rows: int = MAX_TABLE_ROWS,
) -> str:
    """Render a self-contained HTML report.

    Args:
        title: page title.
        summary: key figures shown as cards at the top, ``label → value``; numbers get thousands
            separators, text is shown as given (so ``"$8.40 B"`` stays as is).
        sections: the report's sections, in order; each gets an entry in the sticky nav.
        subtitle: one line under the title (scenario, policy …).
        max_table_rows: longer tables are cut, with a note saying so.

    Returns:
        The HTML page as text (plotly.js inlined once if any section has a figure).
    """
    taken: set[str] = {"key-figures"}  # the cards' anchor
    rendered_sections = []
    figure_count = 0
    for section in sections:
        figures = []
        for figure in section.figures:
            figure_count += 1
            figures.append(figure_html(figure, f"fig-{figure_count}"))
        tables = []
        for caption, frame in section.tables:
            shown = frame.head(max_table_rows)
            headers, rows = table_cells(shown)
            note = (
                f"showing the first {max_table_rows:,} of {len(frame):,} rows; "
                "the exported table has them all"
                if len(frame) > max_table_rows
                else ""
            )
            tables.append({"caption": caption, "headers": headers, "rows": rows, "note": note})
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", section.text or "") if p.strip()]
        rendered_sections.append(
            {
                "title": section.title,
                "slug": _slug(section.title, taken),
                "paragraphs": paragraphs,
                "figures": figures,
                "tables": tables,
            }
        )
    from fabnet import __version__

    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        subtitle=subtitle,
        cards=[(str(k), _card_value(v)) for k, v in summary.items()],
        sections=rendered_sections,
        plotly_js=Markup(plotly_js()) if figure_count else None,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
    )
