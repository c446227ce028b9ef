"""Argument checks shared by the econ formulas.

Every public econ function converts its inputs with :func:`as_float` and checks their range with
:func:`check_range`. A value out of range raises :class:`EconInputError`, which is both a
``fabnet.errors.UsageError`` (so the CLI and web layers report it as a user error) and a
``ValueError`` (so plain numpy-style callers can catch what they expect). The message names the
argument, the valid range and the offending value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from fabnet.errors import UsageError

__all__ = ["EconInputError", "FloatArray", "IntArray", "as_float", "check_range", "scalar_or_array"]

FloatArray = npt.NDArray[np.float64]
"""A float64 array; a 0-d result is returned as a ``numpy.float64`` scalar (a ``float``)."""
IntArray = npt.NDArray[np.int64]
"""An int64 array; a 0-d result is returned as a ``numpy.int64`` scalar."""


class EconInputError(UsageError, ValueError):
    """An argument of an econ formula is outside its valid range."""


def as_float(value: npt.ArrayLike, name: str) -> FloatArray:
    """``value`` as a float64 array; NaN is rejected (it is never a meaningful input here)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EconInputError(
            f"{name} must be a number or an array of numbers (got {value!r})"
        ) from exc
    if np.isnan(arr).any():
        raise EconInputError(f"{name} must not be NaN (got {_show(arr)})")
    return arr


def check_range(
    arr: FloatArray,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> FloatArray:
    """Raise :class:`EconInputError` unless every element of ``arr`` lies in the range.

    ``low``/``high`` are inclusive unless ``low_open``/``high_open``. Infinite values are
    rejected unless ``allow_inf``.
    """
    bad = np.zeros(arr.shape, dtype=bool)
    if not allow_inf:
        bad |= np.isinf(arr)
    if low is not None:
        bad |= (arr <= low) if low_open else (arr < low)
    if high is not None:
        bad |= (arr >= high) if high_open else (arr > high)
    if bad.any():
        lo = "(" if low_open or low is None else "["
        hi = ")" if high_open or high is None else "]"
        lo_txt = "-inf" if low is None else f"{low:g}"
        hi_txt = "inf" if high is None else f"{high:g}"
        valid = f"in {lo}{lo_txt}, {hi_txt}{hi}"
        if allow_inf and high is None:
            valid += " (inf allowed)"
        raise EconInputError(f"{name} must be {valid} (got {_show(arr[bad])})")
    return arr


def scalar_or_array(arr: Any) -> Any:
    """A 0-d array as a numpy scalar (a ``float``/``int`` subclass); other arrays unchanged."""
    out = np.asarray(arr)
    return out[()] if out.ndim == 0 else out


def _show(arr: npt.NDArray[Any]) -> str:
    flat = np.ravel(arr)
    if flat.size == 1:
        return repr(flat[0].item())
    head = ", ".join(f"{v:g}" for v in flat[:3])
    more = f", ... ({flat.size} values)" if flat.size > 3 else ""
    return f"[{head}{more}]"
