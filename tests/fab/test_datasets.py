"""``fabnet data fetch smt2020``: copies or downloads the tables with SHA-256 checks into the
cache, names the fetch command when data is missing, and the parsed tables are cached.

The mirror these tests fetch from is the fetched data itself (``smt2020_dir``); every fetch
goes to a temporary folder, never to the user's cache.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabnet.cli import app
from fabnet.datasets import SMT2020, fetch_smt2020, missing_files
from fabnet.errors import DataError
from fabnet.fab import load_smt2020

REPO = Path(__file__).resolve().parents[2]


def _fetch(*args: str):
    return CliRunner().invoke(app, ["data", "fetch", "smt2020", *args])


def test_fetch_from_a_folder_verifies_every_file_and_cites(smt2020_dir, tmp_path, monkeypatch):
    target = tmp_path / "data"
    monkeypatch.setenv("FABNET_SMT2020_DIR", str(target))
    r = _fetch("--from", str(smt2020_dir))
    assert r.exit_code == 0, r.output
    assert len(SMT2020.registry()) == 32 and not missing_files(target)
    assert "32 files verified" in r.stderr and "doi:10.1109/TSM.2020.3001933" in r.stderr
    assert r.stdout.strip() == str(target)
    again = CliRunner().invoke(app, ["data", "fetch", "smt2020", "--json"])  # nothing to do:
    assert again.exit_code == 0  # no network needed when every file is there with its hash
    assert json.loads(again.stdout)["fetched"] == []


def test_a_file_with_another_hash_is_refused(smt2020_dir, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    shutil.copytree(smt2020_dir, mirror)
    with (mirror / "SMT2020_HVLM" / "order.txt").open("a") as fh:
        fh.write("\n")
    monkeypatch.setenv("FABNET_SMT2020_DIR", str(tmp_path / "data"))
    r = _fetch("--from", str(mirror))
    assert r.exit_code == 2
    assert "SHA-256 mismatch" in r.stderr and "SMT2020_HVLM/order.txt" in r.stderr
    assert "Traceback" not in r.output
    (mirror / "SMT2020_LVHM" / "part.txt").unlink()
    (mirror / "SMT2020_HVLM" / "order.txt").write_bytes(
        (smt2020_dir / "SMT2020_HVLM" / "order.txt").read_bytes()
    )
    r = _fetch("--from", str(mirror))
    assert r.exit_code == 2 and "lacks SMT2020_LVHM/part.txt" in r.stderr


def test_download_over_http_with_pooch(smt2020_dir, tmp_path):
    """The network path (pooch, hashes from the registry), served from this machine."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(smt2020_dir))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        got: list[str] = []
        dest = fetch_smt2020(url, target=tmp_path / "dl", on_file=got.append)
        assert len(got) == 32 and not missing_files(dest)
    finally:
        server.shutdown()
        server.server_close()


def test_no_network_says_how_to_fetch_from_a_folder(tmp_path):
    with pytest.raises(DataError, match=r"cannot download .*--from DIR"):
        fetch_smt2020("http://127.0.0.1:9/", target=tmp_path / "x")  # port 9: nobody listens


def test_missing_data_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setenv("FABNET_SMT2020_DIR", str(tmp_path / "empty"))
    r = CliRunner().invoke(app, ["fab", "simulate", "--dataset", "SMT2020_HVLM", "--days", "1"])
    assert r.exit_code == 2
    assert "fabnet data fetch smt2020" in r.stderr and "Traceback" not in r.output


def test_tests_without_data_fail_with_one_line(tmp_path):
    """The SMT2020 tests fail (not skip) when the data is missing, with one line that names the
    fetch command, and no fixture traceback."""
    env = {"FABNET_SMT2020_DIR": str(tmp_path / "none"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}  # fmt: skip
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
         "tests/fab/test_smt2020.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1, r.stdout
    lines = [line for line in r.stdout.splitlines() if "SMT2020 data not found" in line]
    assert lines and all("fabnet data fetch smt2020" in line for line in lines)
    assert "def smt2020_dir" not in r.stdout and "Traceback" not in r.stdout
    assert "skipped" not in r.stdout


def test_names_resolve_in_the_data_folder_and_parsed_tables_are_cached(smt2020_dir, tmp_path,
                                                                        monkeypatch):  # fmt: skip
    monkeypatch.setenv("FABNET_CACHE_DIR", str(tmp_path / "cache"))
    t0 = time.perf_counter()
    parsed = load_smt2020("HVLM")
    t1 = time.perf_counter()
    cached = load_smt2020("SMT2020_HVLM")
    t2 = time.perf_counter()
    assert parsed == cached == load_smt2020(smt2020_dir / "SMT2020_HVLM")
    assert len(list((tmp_path / "cache" / "models").glob("smt2020-SMT2020_HVLM-*.pickle"))) == 1
    assert t2 - t1 < t1 - t0  # reading the cache beats parsing
    # another file content is another key: the edited table is parsed, not the cached one
    edited = tmp_path / "SMT2020_HVLM"
    shutil.copytree(smt2020_dir / "SMT2020_HVLM", edited)
    text = (edited / "tool.txt.1l").read_text().replace("\t10.0\tDry_Etch", "\t11.0\tDry_Etch", 1)
    (edited / "tool.txt.1l").write_text(text)
    assert load_smt2020(edited).groups[0].count == cached.groups[0].count + 1
    assert len(list((tmp_path / "cache" / "models").glob("*.pickle"))) == 2


def test_a_scenario_names_the_fetched_tables(smt2020_dir, tmp_path):
    """``smt2020: SMT2020_HVLM`` in a scenario is resolved against the scenario's folder first
    (a path that does not exist there); its name then finds the fetched tables."""
    from fabnet.datasets import resolve_smt2020

    assert resolve_smt2020(tmp_path / "SMT2020_HVLM") == smt2020_dir / "SMT2020_HVLM"
    assert resolve_smt2020("lvhm") == smt2020_dir / "SMT2020_LVHM"
    assert resolve_smt2020(tmp_path / "other") == tmp_path / "other"  # the loader says why
