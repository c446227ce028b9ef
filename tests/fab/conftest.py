from __future__ import annotations

from pathlib import Path

import pytest

from fabnet.fab.smt2020 import default_smt2020_dir


@pytest.fixture(scope="session")
def smt2020_dir() -> Path:
    """The SMT2020 datasets: ``../shared/data/smt2020`` beside the repository (as in CI) or
    ``FABNET_SMT2020_DIR``. Missing data fails the validation tests rather than skipping them."""
    d = default_smt2020_dir()
    if not (d / "SMT2020_HVLM").is_dir():
        pytest.fail(f"SMT2020 data not found at {d}: set FABNET_SMT2020_DIR to its folder")
    return d
