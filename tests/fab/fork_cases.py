"""Cases run by ``test_background.py`` in a fresh interpreter (this file is not collected by
itself: its name does not start with ``test_``).

A simulation started in a forked child (:mod:`fabnet.fab.background`) returns the records the
same simulation gives in this process, and its errors come back as the same exceptions."""

from __future__ import annotations

import os

import pytest

from fabnet.errors import UsageError
from fabnet.fab import Engine, SimConfig, background, minifab

pytestmark = pytest.mark.skipif(not background.can_fork(), reason="forking is Linux-only")


def test_forked_run_gives_the_records_of_a_run_here():
    engine = Engine(minifab(), SimConfig(days=15, warmup_days=3, seed=4))
    pending = background.start(engine.run)
    assert pending.forked
    there, here = pending.result(), engine.run()
    assert there.lots == here.lots and there.tools == here.tools and there.wip == here.wip
    assert there.events == here.events > 0


def test_child_error_is_raised_here():
    def fails():
        raise UsageError("bad setting in the child")

    pending = background.start(fails)
    with pytest.raises(UsageError, match="bad setting in the child"):
        pending.result()


def test_child_pid_is_not_ours_and_result_is_taken_once():
    pending = background.start(os.getpid)
    assert pending.result() != os.getpid()
    with pytest.raises(RuntimeError, match="already taken"):
        pending.result()


def test_no_fork_runs_lazily_here(monkeypatch):
    monkeypatch.setenv("FABNET_NO_FORK", "1")
    pending = background.start(os.getpid)
    assert not pending.forked and pending.result() == os.getpid()


def test_cancel_stops_the_child():
    pending = background.start(lambda: __import__("time").sleep(30))
    pending.cancel()
    with pytest.raises(RuntimeError, match="already taken"):
        pending.result()


def test_cancel_does_not_hang_on_a_result_larger_than_the_pipe():
    """The child blocks writing 10 MB into a pipe nobody reads; cancel still ends it."""
    import time

    pending = background.start(lambda: b"x" * 10_000_000)
    time.sleep(0.2)  # the child is now blocked on the full pipe
    t0 = time.perf_counter()
    pending.cancel()
    assert time.perf_counter() - t0 < 5


def test_large_result_comes_back_whole():
    pending = background.start(lambda: list(range(1_000_000)))
    assert pending.result() == list(range(1_000_000))
