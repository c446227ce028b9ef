"""Each package's ``__all__`` lists exactly its public names (httpx-style), and the core never
imports the outer layers (DESIGN.md, rules of the house)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import fabnet

PACKAGES = [
    "fabnet",
    "fabnet.scenario",
    "fabnet.econ",
    "fabnet.plan",
    "fabnet.fab",
    "fabnet.risk",
    "fabnet.store",
    "fabnet.report",
    "fabnet.backtest",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_complete_and_resolvable(name):
    module = importlib.import_module(name)
    exported = set(module.__all__)
    for item in exported:
        assert hasattr(module, item), f"{name}.__all__ names {item!r} which does not exist"
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and not isinstance(v, type(importlib))  # submodules are reached by attribute, not listed
        and getattr(v, "__module__", name).startswith("fabnet")
    }
    missing = public - exported - {"annotations"}
    assert not missing, f"{name} defines public names not in __all__: {sorted(missing)}"


CORE = ("scenario", "econ", "plan", "fab", "risk", "backtest")
FORBIDDEN = ("plotly", "fastapi", "typer", "rich", "uvicorn", "fabnet.store", "fabnet.report",
             "fabnet.cli", "fabnet.web", "fabnet.jobs")  # fmt: skip


def test_core_never_imports_outer_layers():
    root = Path(fabnet.__file__).parent
    offenders = []
    for package in CORE:
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for n in names:
                    if any(n == f or n.startswith(f + ".") for f in FORBIDDEN):
                        offenders.append(f"{path.relative_to(root)} imports {n}")
    assert not offenders, "\n".join(offenders)


def test_every_subpackage_imports():
    for info in pkgutil.walk_packages(fabnet.__path__, "fabnet."):
        if info.name.startswith(("fabnet.web", "fabnet.cli.serve")):
            continue  # optional extra
        importlib.import_module(info.name)
