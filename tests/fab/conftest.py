from __future__ import annotations

import os
from pathlib import Path

import pytest

from fabnet.datasets import missing_files, not_found_message, smt2020_dir

_DATA = smt2020_dir()  # where the fetched tables are, resolved before the cache is redirected


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """The fab tests read the SMT2020 tables where ``fabnet data fetch smt2020`` put them, but
    write nothing to the user's cache: parsed models go to a throw-away cache."""
    saved = {k: os.environ.get(k) for k in ("FABNET_SMT2020_DIR", "FABNET_CACHE_DIR")}
    os.environ["FABNET_SMT2020_DIR"] = str(_DATA)
    os.environ["FABNET_CACHE_DIR"] = str(tmp_path_factory.mktemp("fabnet-cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def smt2020_dir() -> Path:
    """The SMT2020 datasets (``fabnet data fetch smt2020``, or ``FABNET_SMT2020_DIR``).

    Missing data fails the validation tests, with one line that says how to fetch it, rather
    than skipping them."""
    if missing_files(_DATA):
        pytest.fail(not_found_message(_DATA), pytrace=False)
    return _DATA
