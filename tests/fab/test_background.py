"""The forked-child cases of :mod:`fabnet.fab.background` (``fork_cases.py``), run by pytest in a
fresh interpreter.

``background.can_fork`` rightly refuses to fork while other threads run (a fork copies only the
calling thread; Ray's client threads, started by an earlier test file in the same pytest worker,
would make a forked child unsafe). In the whole suite a worker may have run the Ray tests first,
so the cases run in a new process of their own, where the only thread is the main one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fabnet.fab import background

CASES = Path(__file__).with_name("fork_cases.py")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is Linux-only")
def test_fork_cases_pass_in_a_fresh_interpreter():
    assert background.can_fork.__doc__  # the module imports without forking anything
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(CASES),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=CASES.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 passed" in done.stdout, done.stdout  # every case ran (none skipped)
