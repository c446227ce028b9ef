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
    "fabnet.quote",
    "fabnet.store",
    "fabnet.report",
    "fabnet.pipelines",
    "fabnet.jobs",
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


CORE = ("scenario", "econ", "plan", "fab", "risk", "quote", "backtest")
FORBIDDEN = ("plotly", "fastapi", "typer", "rich", "uvicorn", "fabnet.store", "fabnet.report",
             "fabnet.cli", "fabnet.web", "fabnet.jobs", "fabnet.pipelines")  # fmt: skip


# neutral modules of the core, shared by several core packages (fab and risk run on the same
# executors; fab reads the data fetched by fabnet.datasets)
SHARED = ("executors.py", "datasets.py")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def _offenders(paths, forbidden, root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {n}"
        for path in paths
        for n in _imports(path)
        if any(n == f or n.startswith(f + ".") for f in forbidden)
    ]


def test_core_never_imports_outer_layers():
    root = Path(fabnet.__file__).parent
    paths = [p for package in CORE for p in (root / package).rglob("*.py")]
    offenders = _offenders(paths + [root / name for name in SHARED], FORBIDDEN, root)
    assert not offenders, "\n".join(offenders)


def test_fab_imports_neither_plan_nor_risk_and_shared_modules_no_core_package():
    """DESIGN.md: fab uses only scenario and econ types; the planner reads fab's operating
    curves as data. Replications and curves use the executors of fabnet.executors, which the
    risk engine re-exports; the shared modules import no core package."""
    root = Path(fabnet.__file__).parent
    fab = list((root / "fab").rglob("*.py"))
    offenders = _offenders(fab, ("fabnet.plan", "fabnet.risk"), root)
    core = tuple(f"fabnet.{package}" for package in CORE)
    offenders += _offenders([root / name for name in SHARED], core, root)
    assert not offenders, "\n".join(offenders)
    from fabnet import executors
    from fabnet.risk import executors as risk_executors

    assert risk_executors.LocalExecutor is executors.LocalExecutor


def test_every_subpackage_imports():
    for info in pkgutil.walk_packages(fabnet.__path__, "fabnet."):
        if info.name.startswith(("fabnet.web", "fabnet.cli.serve")):
            continue  # optional extra
        importlib.import_module(info.name)
