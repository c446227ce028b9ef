"""Strict readers of scenario text: YAML, JSON and TOML with the same rules.

- **YAML**: PyYAML's safe loader (libyaml when available) with a YAML 1.2-like resolver:
  ``true``/``false`` are the only booleans (``no`` and ``on`` stay text), ``1e9`` and ``900.0e6``
  are numbers, ``12:30`` is text (not the sexagesimal 750), dates stay text (the scenario checks
  them: ``2024-02-30`` is an error with its field path, not a crash). Before any Python object is
  built, the node graph is checked: no duplicate keys, no recursive aliases, nesting at most
  :data:`~fabnet.scenario.limits.MAX_DEPTH` deep and at most
  :data:`~fabnet.scenario.limits.MAX_VALUES` values once aliases are expanded.
- **JSON**: :func:`json.loads` refusing duplicate keys.
- **TOML**: :mod:`tomllib` (which refuses duplicate keys itself).

Non-finite numbers (``.inf``, ``NaN``, ``1e400``) are read as floats and refused by the
scenario's models with their field path. Every failure is a :class:`ReadError` with a message
and, when known, a line and column; :mod:`fabnet.scenario.io` turns it into a ScenarioError.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any, ClassVar

import yaml

from fabnet.errors import short_repr
from fabnet.scenario.limits import MAX_DEPTH, MAX_VALUES

__all__ = ["ReadError", "read_json", "read_toml", "read_yaml"]

_BASE: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class ReadError(Exception):
    """Text that cannot be read as a scenario: ``message``, ``line`` and ``column`` (1-based)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    def where(self) -> str:
        """`` at line L, column C`` (empty when unknown)."""
        if self.line is None:
            return ""
        return f" at line {self.line}" + (f", column {self.column}" if self.column else "")


class StrictYAMLLoader(_BASE):
    """A safe YAML loader with YAML 1.2-like plain scalars (see the module docstring)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._tags: dict[str, str] = {}  # plain scalar → its tag: a file repeats its values

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        tag = self._tags.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < 100_000 and len(value) < 64:
                self._tags[value] = tag
        return tag

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!int abc`, a huge int
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from None


_RESOLVERS: list[tuple[str, str, list[str]]] = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$",
        list("-+0123456789"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
            |[-+]?[0-9][0-9_]*\.[0-9_]*
            |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
        list("-+0123456789."),
    ),
    (_MERGE, r"^(?:<<)$", ["<"]),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _tag, _pattern, _first in _RESOLVERS:
    StrictYAMLLoader.add_implicit_resolver(_tag, re.compile(_pattern, re.X), _first)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    """The collections directly inside ``node`` (scalars are counted, not visited)."""
    if isinstance(node, yaml.SequenceNode):
        return [n for n in node.value if not isinstance(n, yaml.ScalarNode)]
    return [n for pair in node.value for n in pair if not isinstance(n, yaml.ScalarNode)]


def _scalars(node: yaml.Node) -> int:
    if isinstance(node, yaml.SequenceNode):
        return sum(isinstance(n, yaml.ScalarNode) for n in node.value)
    return sum(
        isinstance(k, yaml.ScalarNode) + isinstance(v, yaml.ScalarNode) for k, v in node.value
    )


def _check_duplicates(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE:
            continue
        ident = (key.tag, key.value)
        if ident in seen:
            line, column = _mark(key)
            first = seen[ident].start_mark.line + 1
            raise ReadError(
                f"duplicate key {short_repr(key.value)} (first at line {first}); "
                "each key may appear once in a mapping",
                line,
                column,
            )
        seen[ident] = key


def check_node_graph(root: yaml.Node) -> None:
    """Refuse duplicate keys, recursive aliases, deep nesting and too many expanded values.

    Sizes and depths are computed once per distinct collection node (aliases share nodes),
    without recursion, so the cost is linear in the text even when the expansion is
    astronomical.
    """
    if isinstance(root, yaml.ScalarNode):
        return
    done: dict[int, tuple[int, int]] = {}  # id → (values once expanded, depth)
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        ident = id(node)
        if finished:
            open_nodes.discard(ident)
            inner = [done[id(c)] for c in _children(node)]
            size = 1 + _scalars(node) + sum(n for n, _ in inner)
            depth = 1 + max((d for _, d in inner), default=1 if node.value else 0)
            if size > MAX_VALUES:
                line, column = _mark(node)
                raise ReadError(
                    f"the value starting here expands to {size:,} values through "
                    f"aliases (*name); at most {MAX_VALUES:,} are accepted",
                    line,
                    column,
                )
            if depth > MAX_DEPTH:
                line, column = _mark(node)
                raise ReadError(
                    f"nested deeper than {MAX_DEPTH} levels; a scenario needs far fewer",
                    line,
                    column,
                )
            if isinstance(node, yaml.MappingNode):
                _check_duplicates(node)
            done[ident] = (size, depth)
            continue
        if ident in done:
            continue
        open_nodes.add(ident)
        stack.append((node, True))
        for child in _children(node):
            child_id = id(child)
            if child_id in open_nodes:
                line, column = _mark(child)
                raise ReadError(
                    "a recursive alias (a value that contains itself) cannot be a scenario",
                    line,
                    column,
                )
            if child_id not in done:
                stack.append((child, False))


def read_yaml(text: str) -> Any:
    """Parse YAML text strictly (see the module docstring)."""
    loader = StrictYAMLLoader(text)
    try:
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_node_graph(node)
            return loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if mark is None:
                raise ReadError(str(problem)) from None
            raise ReadError(str(problem), mark.line + 1, mark.column + 1) from None
        except yaml.YAMLError as exc:
            raise ReadError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
        except RecursionError:
            raise ReadError(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ReadError(
                f"duplicate key {short_repr(key)} in an object (keys: "
                + short_repr([k for k, _ in pairs])
                + "); each key may appear once"
            )
        out[key] = value
    return out


def read_json(text: str) -> Any:
    """Parse JSON text, refusing duplicate keys."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ReadError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise ReadError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ReadError(str(exc)) from None


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(text: str) -> Any:
    """Parse TOML text (tomllib refuses duplicate keys and impossible dates)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_WHERE.search(message)
        if m:
            raise ReadError(message[: m.start()], int(m.group(1)), int(m.group(2))) from None
        raise ReadError(message) from None
    except RecursionError:
        raise ReadError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ReadError(str(exc)) from None
