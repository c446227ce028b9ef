"""Build step for the compiled fab simulator: the kernel's modules, compiled with Cython.

Everything about the package lives in ``pyproject.toml``; this file only adds the extensions,
compiled with Cython from plain Python that stays the fallback (Cython's pure-Python mode, the C
types in each module's ``.pxd``): for each module ``X`` of :data:`COMPILED` in
``src/fabnet/fab/`` an extension ``fabnet.fab._X_c``. The kernel's class is split over modules
(``state`` → ``choice`` → ``kernel``, with ``heap``, ``streams``, ``records`` and the rules of
``dispatch``); they cimport each other, and ``codes.pxd`` gives them the event kinds as C
constants. The sources are copied to ``build/cython/`` under the extensions' names (their
imports and cimports of each other renamed to match), with the SHA-256 of all of
:data:`SOURCES` appended to the kernel, so that the engine can tell a stale build from a current
one (``fabnet.fab.engine.kernel_module``).

The extensions are optional: without a C compiler or Cython the install still succeeds and the
simulator runs the pure-Python kernel (about 6x slower). ``FABNET_NO_COMPILE=1`` skips them.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent
FAB = ROOT / "src" / "fabnet" / "fab"
#: the modules compiled, in build order (each cimports only earlier ones)
COMPILED = ("dispatch", "heap", "streams", "state", "choice", "records", "kernel")
#: every file the compiled kernel is built from (= fabnet.fab.engine.KERNEL_SOURCES)
SOURCES = (
    "kernel.py", "kernel.pxd", "choice.py", "choice.pxd", "state.py", "state.pxd",
    "records.py", "heap.py", "heap.pxd", "streams.py", "streams.pxd", "dispatch.py",
    "dispatch.pxd", "codes.py", "codes.pxd",
)  # fmt: skip
STAGE = ROOT / "build" / "cython"
_NAMES = "|".join(COMPILED)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _renamed(text: str) -> str:
    """A source with its imports and cimports of the compiled modules renamed ``X`` → ``_X_c``."""
    text = re.sub(rf"\bfabnet\.fab\.({_NAMES})\b", r"fabnet.fab._\1_c", text)
    return re.sub(
        rf"\bfrom fabnet\.fab import ({_NAMES}) as\b", r"from fabnet.fab import _\1_c as", text
    )


def source_sha256() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((FAB / name).read_bytes())
    return digest.hexdigest()


def _kernel_extension() -> list[Extension]:
    if os.environ.get("FABNET_NO_COMPILE", "") not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("fabnet: Cython not available, using the pure-Python fab kernel", file=sys.stderr)
        return []
    package = STAGE / "fabnet" / "fab"
    package.mkdir(parents=True, exist_ok=True)
    for init in (STAGE / "fabnet" / "__init__.py", package / "__init__.py"):
        init.touch()
    _write_if_changed(package / "codes.pxd", (FAB / "codes.pxd").read_text())
    for name in COMPILED:
        text = _renamed((FAB / f"{name}.py").read_text())
        if name == "kernel":
            text += f'\nSOURCE_SHA256 = "{source_sha256()}"\n'
        _write_if_changed(package / f"_{name}_c.py", text)
        if (FAB / f"{name}.pxd").exists():
            _write_if_changed(
                package / f"_{name}_c.pxd", _renamed((FAB / f"{name}.pxd").read_text())
            )
    exts = [
        Extension(
            f"fabnet.fab._{name}_c",
            [str((package / f"_{name}_c.py").relative_to(ROOT))],
            optional=True,
        )
        for name in COMPILED
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
