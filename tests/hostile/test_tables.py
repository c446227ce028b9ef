"""Demand tables that would exhaust memory are refused before they are read."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from fabnet.scenario.tables import read_demand_table


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path):
    bomb = tmp_path / "bomb.xlsx"
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/sharedStrings.xml", "w") as entry,
    ):
        for _ in range(300):  # 300 MB of zeros, about 300 kB packed
            entry.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    start = time.perf_counter()
    rows, problems = read_demand_table(bomb)
    assert time.perf_counter() - start < 2.0  # the unpacking alone would take seconds
    assert rows == []
    assert problems[0].path == "demand_table (bomb.xlsx)"
    assert "unpacks to 314,572,800 bytes" in problems[0].message
