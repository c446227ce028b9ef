"""Build step for the one compiled module: the fab simulator's event loop.

Everything about the package lives in ``pyproject.toml``; this file only adds two extensions,
compiled with Cython from plain Python that stays the fallback: ``fabnet.fab._kernel_c`` from
``src/fabnet/fab/kernel.py`` and ``fabnet.fab._dispatch_c`` from ``dispatch.py`` (its C types
in ``dispatch.pxd``; the kernel calls the rules through it). The sources are copied to
``build/cython/`` under the extensions' names (the kernel's import of the rules renamed to
match), with the SHA-256 of all three files appended to the kernel, so that the engine can tell
a stale build from a current one (``fabnet.fab.engine.kernel_module``).

The extension is optional: without a C compiler or Cython the install still succeeds and the
simulator runs the pure-Python kernel (about 6x slower). ``FABNET_NO_COMPILE=1`` skips it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
FAB = ROOT / "src" / "fabnet" / "fab"
SOURCES = ("kernel.py", "dispatch.py", "dispatch.pxd")  # = fabnet.fab.engine.KERNEL_SOURCES
STAGE = ROOT / "build" / "cython"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _kernel_extension() -> list[Extension]:
    if os.environ.get("FABNET_NO_COMPILE", "") not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("fabnet: Cython not available, using the pure-Python fab kernel", file=sys.stderr)
        return []
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((FAB / name).read_bytes())
    package = STAGE / "fabnet" / "fab"
    package.mkdir(parents=True, exist_ok=True)
    for init in (STAGE / "fabnet" / "__init__.py", package / "__init__.py"):
        init.touch()
    # the compiled kernel cimports the compiled rules: same sources under the extensions' names
    rules = (FAB / "dispatch.py").read_text()
    _write_if_changed(package / "_dispatch_c.py", rules)
    _write_if_changed(package / "_dispatch_c.pxd", (FAB / "dispatch.pxd").read_text())
    kernel = (
        (FAB / "kernel.py").read_text().replace("fabnet.fab.dispatch", "fabnet.fab._dispatch_c")
    )
    kernel = kernel.replace(
        "from fabnet.fab import dispatch as", "from fabnet.fab import _dispatch_c as"
    )
    kernel += f'\nSOURCE_SHA256 = "{digest.hexdigest()}"\n'
    _write_if_changed(package / "_kernel_c.py", kernel)
    exts = [
        Extension(
            f"fabnet.fab.{name}", [str((package / f"{name}.py").relative_to(ROOT))], optional=True
        )
        for name in ("_dispatch_c", "_kernel_c")
    ]
    return cythonize(exts, language_level=3, quiet=True, include_path=[str(STAGE)])


class OptionalBuildExt(build_ext):
    """Build the kernel when the machine can; on any failure (no compiler, no Python headers)
    warn and install without it: the pure-Python kernel is the same code, interpreted."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any build failure leaves the fallback
            _warn(exc)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _warn(exc)


def _warn(exc: Exception) -> None:
    print(
        f"fabnet: could not compile the fab kernel ({exc}); the simulator will run the "
        "pure-Python kernel (about 6x slower). Install a C compiler and the Python headers, then "
        "reinstall, for full speed.",
        file=sys.stderr,
    )


setup(ext_modules=_kernel_extension(), cmdclass={"build_ext": OptionalBuildExt})
