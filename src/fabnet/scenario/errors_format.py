"""Turn pydantic's validation errors into fabnet :class:`~fabnet.errors.Problem` rows.

A location such as ``('fabs', 2, 'existing', 'capacity_wspm')`` becomes the field path
``fabs[2].capacity_wspm`` (the discriminator tag is dropped), and an unknown field gets a
"did you mean" hint from the fields the model at that place accepts.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from fabnet.errors import Problem, short_repr
from fabnet.scenario.checks import did_you_mean

__all__ = ["format_path", "problems_from_validation_error"]


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any]:
    tp = _strip(tp)
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [_strip(a) for a in typing.get_args(tp)]
    return []


def _member_for_tag(members: list[Any], tag: str) -> Any | None:
    for m in members:
        if isinstance(m, type) and issubclass(m, BaseModel):
            for f in m.model_fields.values():
                if typing.get_origin(f.annotation) is typing.Literal and tag in typing.get_args(
                    f.annotation
                ):
                    return m
    return None


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None]:
    """Field path for ``loc`` and the model class that owns its last element."""
    path = ""
    tp: Any = root
    owner: type[BaseModel] | None = root
    for part in loc:
        tp = _strip(tp)
        members = _union_members(tp)
        if members and isinstance(part, str):
            member = _member_for_tag(members, part)
            if member is not None:  # a discriminator tag: not part of the user's path
                tp = owner = member
                continue
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = models[0] if len(models) == 1 else tp
        if isinstance(part, int):
            path += f"[{part}]"
            args = typing.get_args(tp)
            tp = args[0] if args else Any
            owner = None
            continue
        path += f".{part}" if path else str(part)  # a key as the user wrote it
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            owner = tp
            field = tp.model_fields.get(str(part))
            tp = field.annotation if field is not None else Any
        elif typing.get_origin(tp) is dict:
            owner = None
            tp = typing.get_args(tp)[1]
        else:
            owner = None
            tp = Any
    return path, owner


def format_path(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """``('fabs', 2, 'existing', 'capacity_wspm')`` → ``'fabs[2].capacity_wspm'``."""
    return _walk(root, loc)[0]


def problems_from_validation_error(
    error: ValidationError, root: type[BaseModel], file: str | None = None
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with field paths and hints."""
    problems = []
    for e in error.errors(include_url=False, include_context=False):
        loc = tuple(e["loc"])
        kind = e["type"]
        value = e.get("input")
        key_problem = bool(loc) and loc[-1] == "[key]"  # the key of a mapping, not its value
        if key_problem:
            loc = loc[:-1]
        if kind == "extra_forbidden":
            path, _ = _walk(root, loc)
            _, owner = _walk(root, loc[:-1]) if loc[:-1] else ("", root)
            valid = sorted(owner.model_fields) if owner is not None else []
            msg = f"unknown field {loc[-1]!r}{did_you_mean(str(loc[-1]), valid)}"
            if valid:
                msg += f" (valid fields: {', '.join(valid)})"
            problems.append(Problem(path, msg, None, file))
            continue
        path, _ = _walk(root, loc)
        msg = str(e["msg"]).removeprefix("Value error, ")
        if kind == "missing":
            msg = "required field is missing"
            value = None
        elif kind == "finite_number":
            msg += " (.inf, NaN and numbers beyond 1e308 are not accepted)"
        elif kind in ("float_type", "int_type", "float_parsing", "int_parsing") and isinstance(
            value, bool
        ):
            msg += "; true/false is not a number"
        if key_problem:
            msg = f"the key {short_repr(loc[-1]) if loc else ''} is not valid: {msg}"
        problems.append(Problem(path, msg, value, file))
    return problems
