"""How big a scenario may be, and the sane range of its numbers: one place for every way in.

A scenario file given to the CLI, uploaded to the web service or posted to its API is read by
:func:`fabnet.scenario.parse_scenario_text`, which applies the size and shape limits below
before anything else looks at the data (:func:`check_shape`); the numeric ranges are part of the
component models' fields. Exceeding a limit is a :class:`~fabnet.errors.ScenarioError` that
names the field (or line) and the limit, found in well under a second whatever the input.

Shape (whole input):

- :data:`MAX_SCENARIO_BYTES` of text;
- :data:`MAX_DEPTH` levels of nesting;
- :data:`MAX_VALUES` values (every scalar, list and mapping counted) once YAML aliases are
  expanded, so a "billion laughs" file is refused before it is expanded;
- :data:`MAX_ITEMS` entries in one list or mapping, :data:`MAX_TEXT` characters in one string;
- :data:`MAX_SERIES_POINTS` points in one time series; :data:`MAX_TABLE_ROWS` rows and
  :data:`MAX_TABLE_BYTES` bytes in a demand table.

Numbers (per field, see the models): every number finite (no ``.inf``, ``NaN``, ``1e400``),
``true``/``false`` only where a yes/no is expected, money up to :data:`MAX_USD`, prices per unit up
to :data:`MAX_UNIT_PRICE_USD`, quantities per month up to :data:`MAX_QUANTITY`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fabnet.errors import Problem

__all__ = [
    "MAX_COLLECTION",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_MAGNITUDE",
    "MAX_PATH_CHARS",
    "MAX_QUANTITY",
    "MAX_SCENARIO_BYTES",
    "MAX_SECONDS",
    "MAX_SERIES_POINTS",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_TEXT",
    "MAX_UNIT_PRICE_USD",
    "MAX_USD",
    "MAX_VALUES",
    "check_shape",
]

#: Largest scenario text (bytes of UTF-8), for files and uploads alike.
MAX_SCENARIO_BYTES = 2 * 1024 * 1024
#: Deepest nesting of lists and mappings (the built-in scenario needs 6).
MAX_DEPTH = 32
#: Most values in a scenario once YAML aliases are expanded (the built-in one has about 2,000).
MAX_VALUES = 500_000
#: Most entries in one list or mapping.
MAX_ITEMS = 10_000
#: Longest string (characters), keys included.
MAX_TEXT = 10_000
#: Longest path of a referenced file (characters).
MAX_PATH_CHARS = 1024
#: Most points in one time series ``{YYYY-MM: value}``.
MAX_SERIES_POINTS = 1_200
#: Most data rows in a demand table (CSV or xlsx).
MAX_TABLE_ROWS = 500_000
#: Largest demand table file (bytes).
MAX_TABLE_BYTES = 64 * 1024 * 1024

#: Most entries in each collection of a scenario (the planner needs far fewer to be slow).
MAX_COLLECTION: dict[str, int] = {
    "nodes": 100,
    "fabs": 500,
    "products": 500,
    "packaging": 200,
    "hbm": 200,
    "customers": 2_000,
    "investors": 200,
    "uncertainties": 500,
    "fab_templates": 100,
}

#: Largest amount of money anywhere in a scenario [USD] (ten trillion).
MAX_USD = 1e13
#: Largest price or cost of one unit (wafer, package, stack, accelerator) [USD].
MAX_UNIT_PRICE_USD = 1e9
#: Largest quantity per month (units, wafers, stacks) and largest capacity.
MAX_QUANTITY = 1e9
#: Largest magnitude of a distribution parameter.
MAX_MAGNITUDE = 1e15
#: Longest time limit [s].
MAX_SECONDS = 1e6


def _path(chain: tuple[Any, ...] | None) -> str:
    parts: list[Any] = []
    while chain is not None:
        chain, key = chain
        parts.append(key)
    text = ""
    for key in reversed(parts):
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _children(value: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(value, dict):
        yield from value.items()
    else:
        yield from enumerate(value)


def check_shape(data: Any) -> list[Problem]:
    """Problems with the size and shape of parsed scenario data (empty if within the limits).

    Walks the data without recursion and stops at the first value over :data:`MAX_VALUES`, so
    it costs at most that many steps. Lists and mappings longer than :data:`MAX_ITEMS`, strings
    longer than :data:`MAX_TEXT` and nesting deeper than :data:`MAX_DEPTH` are reported with
    their field path and not looked into.
    """
    problems: list[Problem] = []
    count = 0
    # (value, depth, path chain as (parent chain, key) links: built only when reported)
    stack: list[tuple[Any, int, tuple[Any, ...] | None]] = [(data, 0, None)]
    while stack:
        value, depth, chain = stack.pop()
        count += 1
        if count > MAX_VALUES:
            problems.append(
                Problem(
                    "",
                    f"the scenario has more than {MAX_VALUES:,} values (YAML aliases counted "
                    "as often as they are used); split it or put demand in a demand_table",
                )
            )
            break
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                problems.append(
                    Problem(
                        _path(chain),
                        f"text of {len(value):,} characters; at most {MAX_TEXT:,} are accepted",
                        value,
                    )
                )
            continue
        if not isinstance(value, dict | list | tuple):
            continue
        if len(value) > MAX_ITEMS:
            problems.append(
                Problem(
                    _path(chain) or "(top level)",
                    f"{len(value):,} entries; at most {MAX_ITEMS:,} are accepted in one list or "
                    "mapping",
                )
            )
            continue
        if depth >= MAX_DEPTH:
            problems.append(
                Problem(
                    _path(chain),
                    f"nested deeper than {MAX_DEPTH} levels; a scenario needs far fewer",
                )
            )
            continue
        for key, item in _children(value):
            if isinstance(key, str) and len(key) > MAX_TEXT:
                problems.append(
                    Problem(_path(chain), f"a key of {len(key):,} characters is too long", key)
                )
                continue
            stack.append((item, depth + 1, (chain, key)))
        if len(problems) >= 20:
            break
    return problems
