"""Build step for the one compiled module: the fab simulator's event loop.

Everything about the package lives in ``pyproject.toml``; this file only adds the extension
``fabnet.fab._kernel_c``, compiled with Cython from ``src/fabnet/fab/kernel.py`` (plain Python,
which stays the fallback). The source is copied to ``build/cython/`` under the extension's name
with the SHA-256 of ``kernel.py`` appended, so that the engine can tell a stale build from a
current one (``fabnet.fab.engine.kernel_module``).

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
KERNEL = ROOT / "src" / "fabnet" / "fab" / "kernel.py"
STAGE = ROOT / "build" / "cython"


def _kernel_extension() -> list[Extension]:
    if os.environ.get("FABNET_NO_COMPILE", "") not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("fabnet: Cython not available, using the pure-Python fab kernel", file=sys.stderr)
        return []
    source = KERNEL.read_bytes()
    package = STAGE / "fabnet" / "fab"
    package.mkdir(parents=True, exist_ok=True)
    for init in (STAGE / "fabnet" / "__init__.py", package / "__init__.py"):
        init.touch()
    staged = package / "_kernel_c.py"
    digest = hashlib.sha256(source).hexdigest()
    text = source.decode() + f'\nSOURCE_SHA256 = "{digest}"\n'
    if not staged.exists() or staged.read_text() != text:
        staged.write_text(text)
    ext = Extension("fabnet.fab._kernel_c", [str(staged.relative_to(ROOT))], optional=True)
    return cythonize(
        [ext],
        language_level=3,
        quiet=True,
    )


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
