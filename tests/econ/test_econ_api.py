"""fabnet.econ's public surface: complete __all__, scalar in -> scalar out, no outer-layer imports."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import numpy as np
import pytest

import fabnet.econ as econ
from fabnet.errors import UsageError

MODULES = ["dies", "yield_models", "learning", "cost", "finance", "cashflow", "pricing"]


def test_all_lists_every_public_name_of_the_modules():
    exported = set(econ.__all__)
    for name in MODULES:
        module = importlib.import_module(f"fabnet.econ.{name}")
        assert set(module.__all__) <= exported, name
        public = {
            n
            for n, obj in vars(module).items()
            if not n.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
        }
        assert public <= set(module.__all__), (name, public - set(module.__all__))
    for n in econ.__all__:
        assert hasattr(econ, n), n


def test_every_function_has_a_docstring_with_its_formula_or_source():
    for n in econ.__all__:
        obj = getattr(econ, n)
        if inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            assert len(doc) > 40, n


SCALAR_CALLS = [
    (econ.gross_dies_per_wafer, (10, 10)),
    (econ.exact_dies_per_wafer, (10, 10)),
    (econ.max_dies_area_bound, (10, 10)),
    (econ.poisson_yield, (1.0, 0.1)),
    (econ.murphy_yield, (1.0, 0.1)),
    (econ.seeds_yield, (1.0, 0.1)),
    (econ.negative_binomial_yield, (1.0, 0.1, 2.0)),
    (econ.harvested_yield, (8.14, 0.1, 144, 12, 0.6, 2.0)),
    (econ.harvested_yield, (8.14, 0.1, 144, 12, 0.6)),
    (econ.good_dies_per_wafer, (60, 0.5)),
    (econ.defect_density_exponential, (3, 0.5, 0.1, 6)),
    (econ.defect_density_gompertz, (3, 0.5, 0.1, 6)),
    (econ.wafer_cost, (1e9, 1e8, 5, 20, 1000, 10_000, 0.9)),
    (econ.cost_per_good_die, (18_000, 60, 0.5)),
    (econ.cost_of_ownership, (1e6, 1e5, 0, 1e5, 0.9, 0.95)),
    (econ.discount_factors, (0.08, 12)),
    (econ.npv, ([-1.0, 2.0], 0.1)),
    (econ.irr, ([-1.0, 2.0],)),
    (econ.payback_month, ([-1.0, 2.0],)),
]


@pytest.mark.parametrize(("fn", "args"), SCALAR_CALLS, ids=lambda v: getattr(v, "__name__", ""))
def test_scalar_in_scalar_out(fn, args):
    out = fn(*args)
    assert np.ndim(out) == 0
    assert isinstance(out, float | int | np.number)
    float(out)


def test_errors_are_usage_errors_and_value_errors():
    with pytest.raises(UsageError):
        econ.poisson_yield(-1.0, 0.1)
    with pytest.raises(ValueError):
        econ.poisson_yield(-1.0, 0.1)
    assert issubclass(econ.EconInputError, UsageError)


def test_econ_does_not_import_outer_layers_or_scipy():
    code = (
        "import sys, fabnet.econ\n"
        "bad = [m for m in ('scipy', 'plotly', 'fastapi', 'typer', 'rich', 'pandas') "
        "if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
