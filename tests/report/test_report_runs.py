"""Runs comparison report from the store, and the report package's public surface."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import fabnet.report
from fabnet.report import runs_compare_report
from fabnet.store import RunStore


def test_runs_compare_report(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.start_run(kind="plan", options={"policy": "priority"}, seed=1) as a:
        a.set_summary({"npv": 2.0e9, "capex_total": 8.0e9})
    with store.start_run(kind="plan", options={"policy": "fair_share"}, seed=2) as b:
        b.set_summary({"npv": 3.0e9, "capex_total": 8.0e9})
    html = runs_compare_report([store.get(a.id), store.get(b.id)])
    assert a.id in html and b.id in html
    assert "fair_share" in html and "priority" in html
    assert "150.0 %" in html  # npv ratio b / a
    assert "1,000,000,000" in html  # npv difference with separators


def test_public_api_is_listed_and_fab_report_not_imported_eagerly() -> None:
    for name in fabnet.report.__all__:
        assert hasattr(fabnet.report, name), name
    sys.modules.pop("fabnet.report.fab", None)
    importlib.reload(fabnet.report)
    assert "fabnet.report.fab" not in sys.modules


def test_store_public_api_is_listed() -> None:
    import fabnet.store

    for name in fabnet.store.__all__:
        assert hasattr(fabnet.store, name), name
