"""The store survives interruptions: Ctrl-C, kill -9, a full disk, and two writers at once."""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from fabnet.store import ORPHAN_MESSAGE, RunStore


def _table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"month": [f"2026-{m:02d}" for m in range(1, 13)], "wafers": [n] * 12})


def _finished_run(store: RunStore, n: int) -> str:
    with store.start_run(kind="plan", scenario_name=f"s{n}", seed=n) as run:
        run.save_table("wafer_starts", _table(n))
        run.set_summary({"npv": float(n)})
    return run.id


def _no_temp_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.name.endswith(".fabnet-tmp")]


def _integrity(store: RunStore) -> str:
    with sqlite3.connect(store.db_path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_keyboard_interrupt_marks_failed_and_keeps_what_was_written(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with pytest.raises(KeyboardInterrupt), store.start_run(kind="plan") as run:
        run.save_table("capacity", _table(3))
        run.progress(0.3, "solving")
        raise KeyboardInterrupt
    record = store.get(run.id)
    assert record.status == "failed"
    assert record.error == "interrupted (KeyboardInterrupt)"
    assert record.ended is not None
    assert record.folder == tmp_path / "runs" / run.id  # failed runs get their final folder too
    pd.testing.assert_frame_equal(store.load_table(run.id, "capacity"), _table(3))


def test_an_exception_marks_failed_with_its_message(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with pytest.raises(ValueError, match="bad month"), store.start_run(kind="risk") as run:
        raise ValueError("bad month 2026-13")
    assert store.get(run.id).error == "ValueError: bad month 2026-13"


def test_full_disk_fails_the_run_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore(tmp_path)
    earlier = _finished_run(store, 1)

    from fabnet.store import _atomic

    real_fsync = os.fsync

    def full_disk(fd: int) -> None:  # the data reached the temp file, flushing it fails
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).endswith(_atomic.TEMP_SUFFIX):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(_atomic.os, "fsync", full_disk)
    with pytest.raises(OSError) as caught, store.start_run(kind="plan") as run:
        run.save_table("supply", _table(2))  # fails at the first fsync
    monkeypatch.undo()

    assert caught.value.errno == errno.ENOSPC
    record = store.get(run.id)
    assert record.status == "failed" and "No space left on device" in (record.error or "")
    assert store.tables(run.id) == []  # the table was never registered
    assert not (record.folder / "supply.parquet").exists()  # and no half file under its name
    assert _no_temp_files(tmp_path) == []
    assert _integrity(store) == "ok"
    pd.testing.assert_frame_equal(store.load_table(earlier, "wafer_starts"), _table(1))
    assert store.get(_finished_run(store, 3)).status == "done"  # the next run works


_CHILD = textwrap.dedent(
    """
    import sys, time
    import pandas as pd
    from fabnet.store import RunStore

    store = RunStore(sys.argv[1])
    run = store.start_run(kind="plan", scenario_name="killed", seed=99)
    run.save_table("deliveries", pd.DataFrame({"delivered": [1.0, 2.0, 3.0]}))
    run.progress(0.5, "solving")
    print(run.id, flush=True)
    time.sleep(120)
    """
)


def test_kill_9_mid_run_is_marked_failed_on_next_open(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    earlier = [_finished_run(store, n) for n in range(3)]

    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()  # printed after the table is written
        assert run_id, "the child process did not start its run"
        assert RunStore(tmp_path).get(run_id).status == "running"  # alive: left alone
        # a temp file as a writer killed mid-write would leave it
        (tmp_path / "runs" / f".running-{run_id}" / ".x.parquet.1234.fabnet-tmp").write_bytes(b"\0")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()

    reopened = RunStore(tmp_path)
    record = reopened.get(run_id)
    assert record.status == "failed"
    assert record.error is not None and record.error.startswith(ORPHAN_MESSAGE)
    assert str(child.pid) in record.error
    assert record.ended is not None
    assert record.folder == tmp_path / "runs" / run_id
    assert reopened.load_table(run_id, "deliveries")["delivered"].sum() == 6.0  # nothing lost
    assert _no_temp_files(tmp_path) == []
    for n, rid in enumerate(earlier):
        assert reopened.get(rid).status == "done"
        pd.testing.assert_frame_equal(reopened.load_table(rid, "wafer_starts"), _table(n))
    assert reopened.get(_finished_run(reopened, 7)).status == "done"  # the next run works
    assert _integrity(reopened) == "ok"
    assert len(reopened.list_runs()) == 5


def test_a_reused_pid_does_not_keep_an_orphan_alive(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = store.start_run(kind="plan")
    # pretend the run was started by a process with our pid but another start time (pid reuse)
    with sqlite3.connect(store.db_path) as conn:
        conn.execute("UPDATE runs SET process_start = '1' WHERE id = ?", (run.id,))
    assert store.recover_orphans() == [run.id]
    assert store.get(run.id).status == "failed"


def test_runs_on_another_host_are_left_alone_unless_stale(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = store.start_run(kind="plan")
    with sqlite3.connect(store.db_path) as conn:
        conn.execute(
            "UPDATE runs SET host = 'elsewhere', heartbeat = '2024-01-05T14:22:33+00:00' "
            "WHERE id = ?",
            (run.id,),
        )
    assert RunStore(tmp_path).get(run.id).status == "running"  # we cannot see that host's pids
    assert RunStore(tmp_path, stale_after=3600).get(run.id).status == "failed"


def _write_runs(home: str, worker: int, count: int, barrier, results) -> None:
    store = RunStore(home)
    barrier.wait(timeout=60)  # both processes start writing at the same moment
    ids = []
    for n in range(count):
        with store.start_run(kind="plan", scenario_name=f"w{worker}", seed=n) as run:
            run.progress(0.5, "half")
            run.save_table("wafer_starts", _table(worker * 1000 + n))
            run.set_summary({"worker": worker, "n": n})
        ids.append(run.id)
    results.put(ids)


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    count = 20
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_write_runs, args=(str(tmp_path), w, count, barrier, results))
        for w in (1, 2)
    ]
    for process in workers:
        process.start()
    written_lists = [results.get(timeout=120) for _ in workers]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0

    store = RunStore(tmp_path)
    listing = store.list_runs(limit=None)
    written = {rid for ids in written_lists for rid in ids}
    assert len(written) == 2 * count
    assert set(listing["id"]) == written
    assert (listing["status"] == "done").all()
    assert _integrity(store) == "ok"
    # the two writers really overlapped in time
    spans = listing.groupby("scenario").agg(first=("started", "min"), last=("ended", "max"))
    assert spans["first"].max() < spans["last"].min()
    for rid in written:
        record = store.get(rid)
        expected = int(record.summary["worker"]) * 1000 + int(record.summary["n"])
        assert store.load_table(rid, "wafer_starts")["wafers"].iloc[0] == expected
    assert _no_temp_files(tmp_path) == []
    assert not list((tmp_path / "runs").glob(".running-*"))
