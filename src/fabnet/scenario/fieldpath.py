"""Scenario field paths: change single values of a scenario by dotted path (``fabnet sweep``).

The syntax extends the uncertainty targets' ``"<collection>.<name or *>.<field>"``
(:mod:`fabnet.scenario.uncertainty`) to any depth. Segments are separated by ``.``:

- in a section (``policy``, ``financing``, a fab, a customer …) a segment is a field name:
  ``financing.tax_rate``, ``policy.discount_rate``;
- in a list, an item's ``name`` (or its ``node`` in per-node lists: a greenfield site's
  ``nodes``, a fab's ``retool`` options), its 0-based position, or ``*`` for every item:
  ``fabs.US (Arizona).nodes.N4.capex_per_kwspm_usd``, ``fabs.*.lead_time_months``. A name may
  contain dots: the longest name that matches is taken;
- in a mapping (a customer's ``demand`` or ``price_usd`` per product, a series per month), a key:
  ``customers.other.price_usd.Infer-N7``.

A path must end at one value (a number, a yes/no, a text), not at a section or a list. Values
are parsed as written on a command line (:func:`parse_value`): ``30`` a whole number, ``0.25`` or
``1e9`` a number, ``true``/``false`` a yes/no, anything else text. The changed scenario is
validated like a file (types, ranges, cross-references), and a problem is reported against the
path and value as given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from fabnet.errors import Problem, ScenarioError
from fabnet.scenario.io import scenario_from_dict
from fabnet.scenario.model import Scenario

__all__ = ["MAX_FIELD_PATH_CHARS", "parse_value", "with_values"]

#: Longest field path accepted (characters).
MAX_FIELD_PATH_CHARS = 300

_INT = re.compile(r"^[+-]?\d+$")
_ITEM_KEYS = ("name", "node")


def parse_value(text: str) -> Any:
    """A value as written on a command line: whole number, number, ``true``/``false`` or text."""
    t = text.strip()
    if _INT.match(t):
        return int(t)
    try:
        number = float(t)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else t  # 'nan', 'inf': text, refused as a number
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    return t


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "section"
    if isinstance(value, list):
        return "list"
    return "empty" if value is None else type(value).__name__


def _item_id(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in _ITEM_KEYS:
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _list_step(items: list[Any], parts: list[str], i: int, path: str) -> tuple[list[int], int]:
    """Indices of the list items segment ``i`` names and the number of segments it used."""
    if parts[i] == "*":
        return list(range(len(items))), 1
    for n in range(len(parts) - i, 0, -1):  # the longest name first: names may contain dots
        name = ".".join(parts[i : i + n])
        hits = [k for k, item in enumerate(items) if _item_id(item) == name]
        if hits:
            return hits, n
    if parts[i].isdigit() and int(parts[i]) < len(items):
        return [int(parts[i])], 1
    names = [x for x in (_item_id(item) for item in items) if x is not None]
    known = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    where = ".".join(parts[:i]) or "(top level)"
    raise _problem(
        path,
        f"{where} has no item {parts[i]!r}; known: {known or 'none'} (or a position 0-"
        f"{len(items) - 1}, or * for all)",
    )


def _problem(path: str, message: str, value: Any = None) -> ScenarioError:
    return ScenarioError([Problem(path, message, value)])


def _targets(data: dict[str, Any], path: str) -> list[tuple[Any, Any]]:
    """``(container, key)`` of every value ``path`` names in ``data`` (several with ``*``)."""
    if not path or len(path) > MAX_FIELD_PATH_CHARS:
        raise _problem(path[:40], f"a field path has 1 to {MAX_FIELD_PATH_CHARS} characters")
    parts = path.split(".")
    nodes: list[tuple[Any, Any]] = [(None, data)]  # (container, key) — the root has none
    i, starred = 0, False
    while i < len(parts):
        step: list[tuple[Any, Any]] = []
        used = 1
        for container, key in nodes:
            here = data if container is None else container[key]
            if isinstance(here, dict):
                if parts[i] not in here and starred:
                    continue  # '*' takes the items that have the field, as uncertainty targets do
                if parts[i] not in here:
                    where = ".".join(parts[:i]) or "the scenario"
                    known = ", ".join(map(str, list(here)[:16])) + (" …" if len(here) > 16 else "")
                    raise _problem(
                        path, f"{where} has no field {parts[i]!r}; known: {known or '(none)'}"
                    )
                step.append((here, parts[i]))
            elif isinstance(here, list):
                idx, used = _list_step(here, parts, i, path)
                step.extend((here, k) for k in idx)
            else:
                where = ".".join(parts[:i])
                raise _problem(path, f"{where} is a {_kind(here)}, it has no field {parts[i]!r}")
        starred = starred or parts[i] == "*"
        nodes, i = step, i + used
    if not nodes:
        raise _problem(path, "no item has this field")
    return nodes


def _check_leaf(path: str, current: Any, value: Any) -> None:
    kind = _kind(current)
    if kind in ("section", "list"):
        hint = (
            f" by month; give a month, e.g. {path}.{next(iter(current))}"
            if kind == "section"
            and current
            and all(re.match(r"^\d{4}-\d{2}$", str(k)) for k in current)
            else "; give the path down to one value"
        )
        raise _problem(path, f"is a {kind}{hint}", value)
    if kind == "number" and _kind(value) != "number":
        raise _problem(path, f"must be a number (the scenario has {current!r})", value)
    if kind == "yes/no" and not isinstance(value, bool):
        raise _problem(path, f"must be true or false (the scenario has {current!r})", value)


def with_values(
    scenario: Scenario, assignments: Mapping[str, Any], source: str | None = None
) -> Scenario:
    """``scenario`` with each ``path → value`` of ``assignments`` written in, validated.

    Raises:
        ScenarioError: a path names no field, ends at a section or list, or a value is of the
            wrong kind or out of its range (each problem names the path and the value as given).
    """
    data = scenario.model_dump(mode="json")
    data.pop("demand_table", None)  # already merged into the customers' demand
    try:
        for path, value in assignments.items():
            for container, key in _targets(data, path):
                _check_leaf(path, container[key], value)
                container[key] = value
    except ScenarioError as error:
        raise ScenarioError(error.problems, file=source) from None
    try:
        return scenario_from_dict(data, file=source)
    except ScenarioError as error:
        shown = ", ".join(f"{p}={v!r}" for p, v in assignments.items())
        problems = [
            Problem(p.path, f"{p.message} (after setting {shown})", p.value, p.file)
            for p in error.problems
        ]
        raise ScenarioError(problems, file=source) from None
