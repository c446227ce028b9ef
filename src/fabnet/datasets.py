"""Datasets the project fetches itself: into the user's cache, each file checked by SHA-256.

One dataset so far, ``smt2020``: the input tables of SMT2020 datasets 1 (HVLM) and 2 (LVHM)
(AutoSched AP tables, tab-separated), from the public copy in the PySCFabSim repository, pinned
to one commit (:data:`SMT2020_COMMIT`). The SHA-256 of every file ships with fabnet
(``fabnet/data/smt2020.sha256``); a file whose hash differs is refused, wherever it came from.

Where things live:

- the cache: ``$FABNET_CACHE_DIR``, else the platform's user cache directory for ``fabnet``
  (``~/.cache/fabnet`` on Linux, via ``platformdirs``);
- the SMT2020 tables: ``$FABNET_SMT2020_DIR``, else ``<cache>/smt2020`` (``SMT2020_HVLM/``,
  ``SMT2020_LVHM/``), filled by ``fabnet data fetch smt2020`` (:func:`fetch_smt2020`), from
  the network or ``--from`` a folder or URL that mirrors the same files.

This module imports no third-party package at import time (``pooch`` and ``platformdirs`` are
imported where used), so that the CLI starts quickly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fabnet.errors import DataError

__all__ = [
    "SMT2020",
    "SMT2020_COMMIT",
    "SMT2020_DATASETS",
    "Dataset",
    "cache_dir",
    "fetch_smt2020",
    "missing_files",
    "resolve_smt2020",
    "smt2020_dir",
]

SMT2020_COMMIT = "77103ed1b1be75e99aaac4043c34183e6ba04f74"
SMT2020_DATASETS = ("SMT2020_HVLM", "SMT2020_LVHM")
FETCH_COMMAND = "fabnet data fetch smt2020"


@dataclass(frozen=True)
class Dataset:
    """A dataset: where it comes from, how to cite it, and its files' hashes."""

    name: str
    base_url: str
    registry_file: str
    citation: str
    source: str
    license: str

    def registry(self) -> dict[str, str]:
        """Relative path -> SHA-256 (hex) of every file of the dataset."""
        text = (Path(__file__).parent / "data" / self.registry_file).read_text()
        out: dict[str, str] = {}
        for line in text.splitlines():
            if line.strip() and not line.startswith("#"):
                digest, path = line.split(maxsplit=1)
                out[path.strip()] = digest
        return out


SMT2020 = Dataset(
    name="smt2020",
    base_url=(
        "https://raw.githubusercontent.com/prosysscience/PySCFabSim-release/"
        f"{SMT2020_COMMIT}/datasets/"
    ),
    registry_file="smt2020.sha256",
    citation=(
        "Kopp, D., Hassoun, M., Kalir, A., Mönch, L. (2020). SMT2020 — A Semiconductor "
        "Manufacturing Testbed. IEEE Transactions on Semiconductor Manufacturing 33(4):522-531. "
        "doi:10.1109/TSM.2020.3001933"
    ),
    source=(
        "SMT2020 datasets 1 (HVLM) and 2 (LVHM), AutoSched AP input tables, as repackaged by "
        "PySCFabSim (github.com/prosysscience/PySCFabSim-release, datasets/, commit "
        f"{SMT2020_COMMIT[:7]}); original: p2schedgen.fernuni-hagen.de (SMT2020.zip)"
    ),
    license="none stated by the source or by PySCFabSim; fabnet does not redistribute the files",
)


def cache_dir() -> Path:
    """fabnet's cache: ``$FABNET_CACHE_DIR`` or the user cache directory (``platformdirs``)."""
    env = os.environ.get("FABNET_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("fabnet", appauthor=False))


def smt2020_dir() -> Path:
    """The folder holding ``SMT2020_HVLM/`` and ``SMT2020_LVHM/``: ``$FABNET_SMT2020_DIR`` or
    ``<cache>/smt2020`` (it may not exist yet: see :func:`missing_files`)."""
    env = os.environ.get("FABNET_SMT2020_DIR")
    return Path(env) if env else cache_dir() / "smt2020"


def missing_files(directory: Path | None = None) -> list[str]:
    """Files of the SMT2020 registry that ``directory`` (default :func:`smt2020_dir`) lacks."""
    d = smt2020_dir() if directory is None else directory
    return [rel for rel in SMT2020.registry() if not (d / rel).is_file()]


def not_found_message(directory: Path | None = None) -> str:
    """One line saying where the SMT2020 tables were looked for and how to get them."""
    d = smt2020_dir() if directory is None else directory
    return (
        f"SMT2020 data not found in {d}: run `{FETCH_COMMAND}` (add --from DIR_OR_URL for a "
        "local mirror), or set FABNET_SMT2020_DIR to a folder holding SMT2020_HVLM/ and "
        "SMT2020_LVHM/"
    )


def resolve_smt2020(dataset: str | Path) -> Path:
    """An SMT2020 dataset folder from a path or a name (``SMT2020_HVLM``, ``HVLM``, ``lvhm``).

    An existing folder is returned as it is; a name is looked up in :func:`smt2020_dir`, and so
    is a path that does not exist but ends in a dataset's name (a scenario's
    ``smt2020: SMT2020_HVLM`` is resolved against the scenario's folder first).

    Raises:
        DataError: a name whose folder is not there yet (the message names the fetch command).
    """
    path = Path(dataset)
    if path.is_dir():
        return path
    key = (str(dataset) if path.exists() or len(path.parts) <= 1 else path.name).upper()
    names = {n.upper(): n for n in SMT2020_DATASETS} | {
        n.upper().removeprefix("SMT2020_"): n for n in SMT2020_DATASETS
    }
    if key in names:
        found = smt2020_dir() / names[key]
        if not found.is_dir():
            raise DataError(not_found_message())
        return found
    return path  # the loader says what is wrong with it


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_smt2020(
    source: str | Path | None = None,
    target: Path | None = None,
    on_file: Callable[[str], object] | None = None,
) -> Path:
    """Fetch the SMT2020 tables into ``target`` (default :func:`smt2020_dir`) and return it.

    ``source``: ``None`` downloads from the pinned public copy (:data:`SMT2020`), an
    ``http(s)://`` URL from a mirror with the same layout, a folder copies from it. Every file is
    checked against the shipped SHA-256 before it is kept; files already there with the right
    hash are not fetched again.

    Raises:
        DataError: a file is missing at the source, cannot be downloaded, or has another hash.
    """
    dest = smt2020_dir() if target is None else Path(target)
    registry = SMT2020.registry()
    todo = [r for r in registry if not (dest / r).is_file() or _sha256(dest / r) != registry[r]]
    if not todo:
        return dest
    text = "" if source is None else str(source)
    if source is None or text.startswith(("http://", "https://")):
        _download(text or SMT2020.base_url, dest, {r: registry[r] for r in todo}, on_file)
    else:
        _copy(Path(text), dest, {r: registry[r] for r in todo}, on_file)
    return dest


def _copy(src: Path, dest: Path, files: dict[str, str], on_file) -> None:
    if not src.is_dir():
        raise DataError("not a folder: --from takes a folder or an http(s) URL", file=str(src))
    for rel, digest in files.items():
        origin = src / rel
        if not origin.is_file():
            raise DataError(
                f"the mirror lacks {rel} (it needs SMT2020_HVLM/ and SMT2020_LVHM/ as in the "
                "public copy)",
                file=str(origin),
            )
        got = _sha256(origin)
        if got != digest:
            raise DataError(
                f"SHA-256 mismatch: expected {digest}, got {got}; the file differs from the "
                "pinned public copy",
                file=str(origin),
            )
        _install(origin, dest / rel)
        if on_file is not None:
            on_file(rel)


def _install(origin: Path, final: Path) -> None:
    """Copy into place atomically (a reader never sees half a file)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".fetch-")
    os.close(fd)
    try:
        shutil.copyfile(origin, tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _download(base_url: str, dest: Path, files: dict[str, str], on_file) -> None:
    import pooch

    fetcher = pooch.create(
        path=dest,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        registry={rel: f"sha256:{digest}" for rel, digest in files.items()},
    )
    for rel in files:
        try:
            fetcher.fetch(rel)
        except ValueError as exc:  # pooch: hash mismatch
            raise DataError(f"{exc}", file=f"{base_url}{rel}") from None
        except Exception as exc:  # network errors of every kind (requests, OS)
            raise DataError(
                f"cannot download {rel} ({type(exc).__name__}: {exc}); with no network, use "
                f"`{FETCH_COMMAND} --from DIR` with a folder that holds the files",
                file=f"{base_url}{rel}",
            ) from None
        if on_file is not None:
            on_file(rel)
