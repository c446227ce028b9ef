"""The compiled event loop (Cython build of the kernel's modules) gives the pure-Python loop's
numbers.

``pip install -e .`` compiles ``fabnet.fab._kernel_c`` and the other kernel modules
(``_state_c``, ``_choice_c``, ``_heap_c`` ... from ``state.py``, ``choice.py``, ``heap.py`` ...;
setup.py); the engine runs them only when they were built from the current sources
(``KERNEL_SOURCES``). These tests check that the install did compile it, that
compiled and interpreted runs agree record for record (same seed, same model), and that a stale
build is refused.
"""

from __future__ import annotations

import importlib
import os

import pytest

from fabnet.fab import SimConfig, load_smt2020, minifab
from fabnet.fab import engine as engine_mod
from fabnet.fab import kernel as pure_kernel
from fabnet.fab.engine import Engine


def _compiled():
    return importlib.import_module("fabnet.fab._kernel_c")


def _records(kernel, model, cfg):
    fields = kernel.simulate(Engine(model, cfg), None)
    fields.pop("wall_seconds")
    return fields


def test_install_compiled_the_current_kernel(monkeypatch):
    if os.environ.get("FABNET_NO_COMPILE"):
        pytest.skip("FABNET_NO_COMPILE set: the install skipped the compiled kernel on purpose")
    monkeypatch.delenv("FABNET_PURE_PYTHON", raising=False)
    engine_mod.kernel_module.cache_clear()
    try:
        assert engine_mod.kernel_module() is _compiled()
    finally:
        engine_mod.kernel_module.cache_clear()


@pytest.mark.parametrize("rule", ["fifo", "cr", "setup", "cqt"])
def test_compiled_and_pure_kernels_agree_on_the_minifab(rule):
    cfg = SimConfig(days=40, warmup_days=5, seed=11, dispatch=rule)
    assert _records(_compiled(), minifab(), cfg) == _records(pure_kernel, minifab(), cfg)


def test_compiled_and_pure_kernels_agree_on_smt2020(smt2020_dir):
    # HVLM has batching, setups with minimum runs, lot-to-lens dedication, rework, sampling,
    # CQTs, downs and both kinds of PM: 8 simulated days exercise all of them.
    model = load_smt2020(smt2020_dir / "SMT2020_HVLM")
    cfg = SimConfig(days=8, warmup_days=2, seed=5)
    compiled, pure = _records(_compiled(), model, cfg), _records(pure_kernel, model, cfg)
    assert compiled["events"] > 200_000
    assert compiled == pure


def test_stale_compiled_kernel_is_refused(monkeypatch):
    monkeypatch.delenv("FABNET_PURE_PYTHON", raising=False)
    monkeypatch.setattr(_compiled(), "SOURCE_SHA256", "0" * 64)
    engine_mod.kernel_module.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="older kernel.py"):
            assert engine_mod.kernel_module() is pure_kernel
    finally:
        engine_mod.kernel_module.cache_clear()


def test_pure_python_can_be_forced(monkeypatch):
    monkeypatch.setenv("FABNET_PURE_PYTHON", "1")
    engine_mod.kernel_module.cache_clear()
    try:
        assert engine_mod.kernel_module() is pure_kernel
    finally:
        engine_mod.kernel_module.cache_clear()


@pytest.mark.parametrize("kernel_name", ["compiled", "pure"])
def test_lot_tables_that_grow_give_the_same_run(monkeypatch, kernel_name):
    # Lot tables start at room for the expected releases and double when full. Force many
    # doublings from 16 lots: a CR run (its key reads the lot tables) must not change.
    kernel = _compiled() if kernel_name == "compiled" else pure_kernel
    cfg = SimConfig(days=40, warmup_days=5, seed=2, dispatch="cr")
    roomy = _records(kernel, minifab(), cfg)
    monkeypatch.setattr(kernel, "_MIN_LOT_CAP", 16)
    monkeypatch.setattr(kernel, "_expected_releases", lambda *args: 0)
    grown = _records(kernel, minifab(), cfg)
    assert len(grown["lots"]["lot"]) > 16 * 2**4
    assert grown == roomy


def test_compiled_event_heap_pops_in_heapq_tuple_order():
    # The C heap must order events exactly as heapq orders (time, kind, a, b) tuples, ties in
    # time included: otherwise compiled and interpreted runs would diverge.
    import heapq
    import random

    rng = random.Random(7)
    events = [
        (float(rng.randrange(50)), rng.randrange(9), rng.randrange(-3, 40), rng.randrange(5))
        for _ in range(5000)
    ]
    heap = importlib.import_module("fabnet.fab._heap_c").EventHeap(4)  # grows while pushing
    for e in events:
        heap.push(*e)
    popped = []
    while len(heap):
        t = heap.pop()
        popped.append((t, heap.kind, heap.a, heap.b))
    ref = list(events)
    heapq.heapify(ref)
    assert popped == [heapq.heappop(ref) for _ in range(len(events))]


@pytest.mark.parametrize("module", ["fabnet.fab._heap_c", "fabnet.fab.heap"])
def test_calendar_queue_pops_in_heapq_order_with_far_and_infinite_times(module):
    # The calendar queue (near heap, ring of buckets, overflow list) must pop exactly as heapq
    # does while events are pushed between pops, as in a run: at the current time, within the
    # ring, beyond it (overflow, moved in lap by lap), far beyond it (the ring skips ahead)
    # and at infinity (the last bucket), and bursts of 40 events at one time (the near queue
    # turns from a sorted array into a heap); widths and ring sizes small enough that every
    # path is taken many times. Checked for the compiled class and the interpreted one.
    import heapq
    import random

    heap_mod = importlib.import_module(module)
    for seed in range(12):
        rng = random.Random(seed)
        heap = heap_mod.EventHeap(
            2, width=rng.choice([0.5, 1.0, 3.0]), nbuckets=rng.choice([2, 8, 64])
        )
        ref: list = []
        got, want = [], []
        now = 0.0
        for _ in range(2000):
            if ref and rng.random() > 0.55:
                now = heap.pop()
                got.append((now, heap.kind, heap.a, heap.b))
                want.append(heapq.heappop(ref))
            else:
                r = rng.random()
                lead = (
                    0.0 if r < 0.05
                    else rng.choice([1e5, 1e30, float("inf")]) if r < 0.1
                    else rng.random() * 10_000 if r < 0.2
                    else rng.expovariate(1 / 50)
                )  # fmt: skip
                t = now + lead
                if rng.random() < 0.3 and t < 1e9:
                    t = float(int(t))  # ties in time
                burst = 40 if rng.random() < 0.01 else 1  # > 32 in one bucket: the heap
                for _ in range(burst):
                    e = (t, rng.randrange(9), rng.randrange(-3, 40), rng.randrange(5))
                    heap.push(*e)
                    heapq.heappush(ref, e)
            assert len(heap) == len(ref)
        while ref:
            got.append((heap.pop(), heap.kind, heap.a, heap.b))
            want.append(heapq.heappop(ref))
        assert got == want, seed


def test_calendar_queue_rejects_bad_shape():
    heap_mod = importlib.import_module("fabnet.fab._heap_c")
    for kwargs in ({"width": 0.0}, {"width": float("nan")}, {"nbuckets": 3}, {"nbuckets": 1}):
        with pytest.raises(ValueError, match="power of two"):
            heap_mod.EventHeap(4, **kwargs)


def test_codes_pxd_matches_codes_py():
    """The compiled modules take the event kinds and states from ``codes.pxd``, the
    interpreted ones from ``codes.py``: same names, same values (else the two would diverge)."""
    import re
    from pathlib import Path

    from fabnet.fab import codes

    text = (Path(codes.__file__).parent / "codes.pxd").read_text()
    declared = {name: int(value) for name, value in re.findall(r"^\s+(\w+) = (\d+)$", text, re.M)}
    assert declared == {name: getattr(codes, name) for name in codes.__all__}


def test_kernel_sources_are_the_kernel_modules():
    """Every module of the split kernel (and its .pxd) is hashed: an edit to any of them makes
    the compiled build stale (setup.py hashes the same list)."""
    from pathlib import Path

    here = Path(engine_mod.__file__).parent
    for name in ("kernel", "choice", "state", "records", "heap", "streams", "dispatch", "codes"):
        assert f"{name}.py" in engine_mod.KERNEL_SOURCES
        if (here / f"{name}.pxd").exists():
            assert f"{name}.pxd" in engine_mod.KERNEL_SOURCES
    setup_py = (here.parents[2] / "setup.py").read_text()
    for name in engine_mod.KERNEL_SOURCES:
        assert f'"{name}"' in setup_py
