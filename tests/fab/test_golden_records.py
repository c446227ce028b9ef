"""Records of fixed runs, frozen: a change to the kernel must leave them identical (or explain
the difference as a fixed bug and update the digest here).

The digests were taken from the kernel before it became a class (commit 7bf0a36, one 834-line
function with closures): SHA-256 of ``repr()`` of the run's records without the wall time.
``repr`` of a float is exact, so equal digests mean equal records, lot for lot and tool for
tool. The HVLM and LVHM runs exercise batching, setups with minimum runs, lot-to-lens
dedication, rework, sampling, CQTs, failures and both kinds of PM.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fabnet.fab import SimConfig, load_smt2020, minifab
from fabnet.fab import kernel as pure_kernel
from fabnet.fab.engine import Engine, kernel_module


def _lifo(view, lot, tool, now):
    return -view.queue_entry(lot)


MINIFAB = {
    "fifo": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="fifo"), "c6edc00f128af0d3"),
    "cr": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="cr"), "068d8e21ef09235a"),
    "edd": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="edd"), "a7cc6859b8c0e091"),
    "spt": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="spt"), "247085a7babd5409"),
    "setup": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="setup"), "68e925e1b94bfc9d"),
    "cqt": (SimConfig(days=40, warmup_days=5, seed=11, dispatch="cqt"), "68e925e1b94bfc9d"),
    "user": (SimConfig(days=20, warmup_days=2, seed=3, dispatch=_lifo), "4c2a390a0fa54420"),
    "conwip": (
        SimConfig(days=60, warmup_days=5, release="conwip", conwip_cap=12),
        "714b54ece8c9d52d",
    ),
    "misc": (
        SimConfig(
            days=50,
            warmup_days=5,
            seed=4,
            load_factor=1.1,
            batch_wait_minutes=120.0,
            nested_pms=True,
            lot_list=((10.0, 0, 20, 20000.0), (500.0, 1, 10, 30000.0)),
        ),
        "f61b463c240d6ae1",
    ),
}

SMT2020 = {
    "hvlm-fifo": ("SMT2020_HVLM", SimConfig(days=12, warmup_days=2, seed=5), "27afa3d648ed2c6c"),
    "hvlm-cr": (
        "SMT2020_HVLM",
        SimConfig(days=12, warmup_days=2, seed=5, dispatch="cr"),
        "623b7d58e7fd090c",
    ),
    "hvlm-setup": (
        "SMT2020_HVLM",
        SimConfig(days=12, warmup_days=2, seed=5, dispatch="setup"),
        "ceed606447c34222",
    ),
    "hvlm-nested": (
        "SMT2020_HVLM",
        SimConfig(days=12, warmup_days=2, seed=6, nested_pms=True),
        "e6bec81a6f43132c",
    ),
    "hvlm-batch-wait": (
        "SMT2020_HVLM",
        SimConfig(
            days=8, warmup_days=2, seed=7, dispatch="cr", batch_wait_minutes=60.0, load_factor=0.9
        ),
        "e4c0321406439ee2",
    ),
    "lvhm-cr": (
        "SMT2020_LVHM",
        SimConfig(days=10, warmup_days=2, seed=8, dispatch="cr"),
        "4fd4f78485e7277f",
    ),
}


def _digest(kernel, model, cfg) -> str:
    fields = kernel.simulate(Engine(model, cfg), None)
    fields.pop("wall_seconds")
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


@pytest.mark.parametrize("kernel_name", ["installed", "pure"])
@pytest.mark.parametrize("case", sorted(MINIFAB))
def test_minifab_records_unchanged(case, kernel_name):
    kernel = kernel_module() if kernel_name == "installed" else pure_kernel
    cfg, digest = MINIFAB[case]
    assert _digest(kernel, minifab(), cfg) == digest


@pytest.mark.parametrize("case", sorted(SMT2020))
def test_smt2020_records_unchanged(case, smt2020_dir: Path):
    dataset, cfg, digest = SMT2020[case]
    assert _digest(kernel_module(), load_smt2020(smt2020_dir / dataset), cfg) == digest
