"""Replications and operating curves run through the risk engine's executor interface
(:mod:`fabnet.executors`): same seeds, same numbers, on one or two local workers and on Ray."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabnet.cli import app
from fabnet.executors import LocalExecutor
from fabnet.fab import SimConfig, minifab, run_replications
from fabnet.fab.curve import operating_curve

CFG = SimConfig(days=30, warmup_days=5, seed=3)


def _same(a, b) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.lots["cycle_time_days"].tolist() == y.lots["cycle_time_days"].tolist()
        assert x.summary["events"] == y.summary["events"]


def test_replications_on_one_and_two_local_workers_are_identical():
    with LocalExecutor(1) as one, LocalExecutor(2) as two:
        _same(run_replications(minifab(), CFG, 3, executor=one),
              run_replications(minifab(), CFG, 3, executor=two))  # fmt: skip


def test_curve_on_one_and_two_local_workers_is_identical():
    loads = [0.6, 0.8]
    with LocalExecutor(2) as two:
        parallel = operating_curve(minifab(), CFG, loads, replications=2, executor=two)
    serial = operating_curve(minifab(), CFG, loads, replications=2, workers=1)
    assert parallel == serial


def test_cli_replications_and_curve_take_an_executor(tmp_path):
    runner = CliRunner()
    args = ["fab", "simulate", "--days", "20", "--replications", "2", "--json"]
    one = runner.invoke(app, [*args, "--workers", "1"])
    two = runner.invoke(app, [*args, "--workers", "2", "--executor", "local"])
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert a["across_replications"] == b["across_replications"]
    bad = runner.invoke(app, [*args, "--executor", "nope"])
    assert bad.exit_code == 2 and "unknown executor" in json.loads(bad.stdout)["message"]
    out = tmp_path / "curve.json"
    r = runner.invoke(app, ["fab", "curve", "--days", "20", "--loads", "0.6,0.8",
                            "--workers", "2", "--out", str(out), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(json.loads(out.read_text())["points"]) == 2


_RAY_CHECK = """
from fabnet.executors import RayExecutor
from fabnet.fab import SimConfig, minifab, run_replications
from fabnet.fab.curve import operating_curve

cfg = SimConfig(days=30, warmup_days=5, seed=3)
with RayExecutor(num_cpus=2, _temp_dir=TEMP) as ex:
    assert ex.workers == 2, ex.workers
    remote = run_replications(minifab(), cfg, 3, executor=ex)
    curve = operating_curve(minifab(), cfg, [0.6, 0.8], replications=2, executor=ex)
local = run_replications(minifab(), cfg, 3)
for x, y in zip(remote, local, strict=True):
    assert x.lots["cycle_time_days"].tolist() == y.lots["cycle_time_days"].tolist()
assert curve == operating_curve(minifab(), cfg, [0.6, 0.8], replications=2)
print("RAY SAME")
"""


@pytest.mark.ray
def test_ray_gives_the_local_numbers(tmp_path):
    """On a local Ray instance of its own (a separate process: the risk tests start another
    Ray in theirs), replications and a curve give the local numbers."""
    pytest.importorskip("ray")  # the `ray` extra; make test / .ci/run install it
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # short: AF_UNIX path limit
    env = dict(os.environ, HOME=str(tmp_path), RAY_TMPDIR=str(temp))  # Ray writes under HOME
    try:
        r = subprocess.run([sys.executable, "-c", f"TEMP = {str(temp)!r}\n" + _RAY_CHECK],
                           env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert r.returncode == 0 and "RAY SAME" in r.stdout, r.stderr[-3000:]
