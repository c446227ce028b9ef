"""``fabnet data``: fetch the datasets fabnet uses into the user's cache (checked by SHA-256)."""

from __future__ import annotations

import typer

from fabnet.cli._common import err_console, fail, print_json
from fabnet.errors import FabnetError, UsageError

__all__ = ["register"]

data_app = typer.Typer(help="Fetch the datasets fabnet uses (SMT2020).", no_args_is_help=True)

_DATASETS = ("smt2020",)


def _check_name(name: str) -> None:
    if name not in _DATASETS:
        raise UsageError(f"unknown dataset {name!r}; available: {', '.join(_DATASETS)}")


@data_app.command("fetch")
def fetch_cmd(
    name: str = typer.Argument(..., help="dataset: smt2020"),
    source: str | None = typer.Option(
        None,
        "--from",
        help="a folder or http(s) URL that mirrors the files (default: the pinned public copy)",
    ),
    as_json: bool = typer.Option(False, "--json", help="print JSON only"),
) -> None:
    """Download a dataset into the user cache, verify every file's SHA-256, print its citation.

    FABNET_SMT2020_DIR, when set, is where the SMT2020 tables go (and are read from).
    """
    from fabnet.datasets import SMT2020, fetch_smt2020

    fetched: list[str] = []
    try:
        _check_name(name)
        path = fetch_smt2020(source, on_file=fetched.append)
    except FabnetError as error:
        fail(error, as_json)
        return
    if as_json:
        print_json({"dataset": name, "path": str(path), "fetched": fetched,
                    "files": len(SMT2020.registry()), "citation": SMT2020.citation})  # fmt: skip
        return
    n = len(SMT2020.registry())
    how = f"{len(fetched)} fetched" if fetched else "all present already"
    err_console.print(f"{name}: {n} files verified (SHA-256), {how}", highlight=False)
    print(path)
    err_console.print(f"source: {SMT2020.source}", highlight=False, markup=False)
    err_console.print(f"license: {SMT2020.license}", highlight=False, markup=False)
    err_console.print(f"cite: {SMT2020.citation}", highlight=False, markup=False)


@data_app.command("path")
def path_cmd(
    name: str = typer.Argument(..., help="dataset: smt2020"),
    as_json: bool = typer.Option(False, "--json", help="print JSON only"),
) -> None:
    """Print where a dataset is (or would be) kept, and whether it is complete."""
    from fabnet.datasets import missing_files, smt2020_dir

    try:
        _check_name(name)
    except FabnetError as error:
        fail(error, as_json)
        return
    d, missing = smt2020_dir(), missing_files()
    if as_json:
        print_json({"dataset": name, "path": str(d), "complete": not missing,
                    "missing": len(missing)})  # fmt: skip
        return
    print(d)
    if missing:
        err_console.print(
            f"{len(missing)} files missing: run `fabnet data fetch {name}`", highlight=False
        )


def register(app: typer.Typer) -> None:
    """Attach ``fabnet data`` to the root CLI."""
    app.add_typer(data_app, name="data")
