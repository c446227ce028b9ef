"""Atomic file writes: a temporary file in the same folder, fsync, ``os.replace``, fsync the folder.

A reader sees either the old file or the complete new one, never a half-written file, whether
the writer is interrupted by Ctrl-C, ``kill -9``, a power cut or a full disk. On any error the
temporary file is removed before the error propagates, so nothing is left behind.

This is the classic recipe (POSIX ``rename(2)`` is atomic within one file system; the directory
fsync makes the rename itself durable), as used by e.g. SQLite's and git's lock files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_dir",
    "remove_temp_files",
]

TEMP_SUFFIX = ".fabnet-tmp"


def fsync_dir(folder: Path) -> None:
    """Flush a directory entry to disk (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path | str, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` atomically; ``write(fileobj)`` fills a temporary file (binary mode).

    Returns the final path. Any exception (``OSError`` such as ENOSPC, ``KeyboardInterrupt``, an
    error inside ``write``) removes the temporary file and propagates unchanged.
    """
    target = Path(path)
    folder = target.parent
    temp = folder / f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        with open(temp, "xb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(folder)
    return target


def atomic_write_bytes(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default)."""
    return atomic_write_bytes(path, text.encode(encoding))


def remove_temp_files(folder: Path) -> list[Path]:
    """Delete temporary files left in ``folder`` by a writer that was killed mid-write."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if entry.name.endswith(TEMP_SUFFIX) and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry)
    return removed
