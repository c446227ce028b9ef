"""Shape rules of the outer layers (issue 14): short functions and modules, and every import
inside a function says why it is not at the top of its module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fabnet

ROOT = Path(fabnet.__file__).parent
#: Where no function may be longer than MAX_FUNCTION_LINES.
SHORT_FUNCTIONS = ("cli", "jobs", "pipelines", "vocab.py", "plan/summary.py", "risk/summary.py")
#: Where imports belong at the top of the module unless a comment says why not.
TOP_IMPORTS = ("jobs", "pipelines", "vocab.py", "plan/summary.py", "risk/summary.py")
MAX_FUNCTION_LINES = 120
MAX_MODULE_LINES = 400


def _files(*places: str) -> list[Path]:
    out: list[Path] = []
    for place in places:
        path = ROOT / place
        out.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return out


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("path", _files(*SHORT_FUNCTIONS), ids=lambda p: str(p.relative_to(ROOT)))
def test_functions_are_short(path: Path) -> None:
    long = []
    for fn in _functions(ast.parse(path.read_text())):
        first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
        lines = (fn.end_lineno or fn.lineno) - first + 1
        if lines > MAX_FUNCTION_LINES:
            long.append(f"{fn.name}: {lines} lines")
    assert not long, long


@pytest.mark.parametrize("path", _files("jobs", "pipelines"), ids=lambda p: p.name)
def test_modules_are_short(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


@pytest.mark.parametrize("path", _files(*TOP_IMPORTS), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_inside_functions_say_why(path: Path) -> None:
    source = path.read_text()
    lines = source.splitlines()
    unexplained = []
    for fn in _functions(ast.parse(source)):
        for node in ast.walk(fn):
            if isinstance(node, ast.Import | ast.ImportFrom):
                near = " ".join(lines[max(0, node.lineno - 3) : node.lineno])
                if "imported here" not in near:
                    unexplained.append(f"line {node.lineno} in {fn.name}")
    assert not unexplained, unexplained


#: The house rule for every module: no module over ~600 lines without a reason. The reason, where
#: there is one, is written here (none today).
MAX_ANY_MODULE_LINES = 650
LONG_MODULES_WITH_A_REASON: dict[str, str] = {}


def test_no_module_over_the_house_limit() -> None:
    """Every module of the package (Python and Cython) is at most ~600 lines (650 with slack);
    `plan/data.py` (947) and `plan/model.py` (769) were split by job to meet it."""
    long = []
    for path in sorted(ROOT.rglob("*.py")) + sorted(ROOT.rglob("*.pyx")):
        rel = str(path.relative_to(ROOT))
        n = len(path.read_text().splitlines())
        if n > MAX_ANY_MODULE_LINES and rel not in LONG_MODULES_WITH_A_REASON:
            long.append(f"{rel}: {n} lines")
    assert not long, long
