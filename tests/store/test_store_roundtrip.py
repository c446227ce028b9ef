"""Run store round trip: what goes in comes back, ids, prefixes, errors, compare, export, delete."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fabnet.errors import StoreError, UsageError
from fabnet.store import RUN_STATUSES, RunStore, flatten_figures, new_run_id
from fabnet.store._ids import RUN_ID_PATTERN

SCENARIO = "name: ai-fab-network-2024\nhorizon_months: 120\n"


def _deliveries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": ["openai", "openai", "g42"],
            "product": ["acc-a", "acc-a", "acc-b"],
            "month": ["2026-01", "2026-02", "2026-01"],
            "demand": [1000.0, 1200.0, 500.0],
            "delivered": [800.0, 1200.0, 250.5],
            "shortage": [200.0, 0.0, 249.5],
        }
    )


def _plan_run(store: RunStore, seed: int = 7, npv: float = 1.5e9) -> str:
    with store.start_run(
        kind="plan",
        scenario_name="ai-fab-network-2024",
        scenario_text=SCENARIO,
        options={"policy": "priority", "months": 120, "weights": [1, 2]},
        seed=seed,
    ) as run:
        run.progress(0.4, "solving")
        run.save_table("deliveries", _deliveries())
        run.save_json("decisions", [{"site": "arizona", "action": "build", "modules": 2}])
        run.save_text("report.html", "<html><body>ok</body></html>")
        run.set_summary(
            {
                "npv": npv,
                "capex_total": np.float64(8.4e9),
                "status": "optimal",
                "delivered_by_year": {"2026": 2250.5, "2027": 9000},
                "decisions": [{"site": "arizona"}],
            }
        )
    return run.id


def test_round_trip_keeps_inputs_outputs_and_metadata(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = _plan_run(store)
    record = store.get(run_id)

    assert RUN_ID_PATTERN.match(record.id)
    assert record.kind == "plan"
    assert record.status == "done" and record.error is None
    assert record.scenario_name == "ai-fab-network-2024"
    assert record.scenario_text == SCENARIO
    assert record.options == {"policy": "priority", "months": 120, "weights": [1, 2]}
    assert record.seed == 7
    assert record.fabnet_version
    assert record.ended is not None and record.ended >= record.started
    assert record.progress == 1.0
    assert record.summary == {
        "npv": 1.5e9,
        "capex_total": 8.4e9,
        "delivered_by_year.2026": 2250.5,
        "delivered_by_year.2027": 9000.0,
    }
    # the folder has its final name once the run is done, and holds every artefact
    assert record.folder == tmp_path / "runs" / run_id
    assert sorted(store.artefacts(run_id)) == [
        "decisions.json",
        "deliveries.parquet",
        "report.html",
        "summary.json",
    ]
    assert store.tables(run_id) == ["deliveries"]
    pd.testing.assert_frame_equal(store.load_table(run_id, "deliveries"), _deliveries())
    assert store.load_json(run_id, "decisions")[0]["modules"] == 2
    assert store.load_json(run_id, "summary")["status"] == "optimal"  # the full dict
    assert store.path(run_id, "report.html").read_text() == "<html><body>ok</body></html>"
    # no temporary files or folders left behind
    leftovers = [
        p for p in (tmp_path / "runs").rglob("*") if "tmp" in p.name or ".running" in p.name
    ]
    assert leftovers == []


def test_list_runs_newest_first_with_key_figures(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first = _plan_run(store, seed=1, npv=1.0e9)
    second = _plan_run(store, seed=2, npv=2.0e9)
    with store.start_run(kind="risk", scenario_name="other") as run:
        run.set_summary({"p90_shortage": 12.0})
    listing = store.list_runs()
    assert list(listing["id"]) == [run.id, second, first]
    assert list(listing.columns[:8]) == [
        "id", "kind", "scenario", "status", "started", "ended", "seed", "progress",
    ]  # fmt: skip
    assert listing.set_index("id").loc[second, "npv"] == 2.0e9
    assert np.isnan(listing.set_index("id").loc[run.id, "npv"])
    assert list(store.list_runs(kind="plan")["id"]) == [second, first]
    assert len(store.list_runs(limit=1)) == 1
    assert store.list_runs(kind="fab").empty
    assert set(listing["status"]) <= set(RUN_STATUSES)


def test_id_prefix_like_git(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = _plan_run(store)
    assert store.get(run_id[:17]).id == run_id  # date, time and one hex digit
    assert store.get(run_id.upper()).id == run_id
    assert store.get("latest").id == run_id
    other = _plan_run(store)
    assert store.get("latest").id == other and store.get("latest~1").id == run_id
    with pytest.raises(StoreError, match="fewer than 3 runs"):
        store.get("latest~2")
    common = 0
    while run_id[common] == other[common]:
        common += 1
    with pytest.raises(StoreError, match="ambiguous"):
        store.get(run_id[:common])
    with pytest.raises(StoreError, match="no run with id 'nope'"):
        store.get("nope")
    with pytest.raises(StoreError, match="fabnet runs list"):
        store.get("19990101")


def test_ids_sortable_by_start_time() -> None:
    ids = [new_run_id() for _ in range(200)]
    assert all(RUN_ID_PATTERN.match(i) for i in ids)
    assert [i[:15] for i in ids] == sorted(i[:15] for i in ids)  # time part in start order


def test_a_clashing_id_is_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 24 random bits per second: two ids drawn in one second clash with odds ~1 in 16.7 million
    # (the birthday bound makes that real for thousands of runs a second), so the store must
    # check the primary key and draw again.
    store = RunStore(tmp_path)
    first = store.start_run(kind="plan")
    first.finish()
    drawn = iter([first.id, first.id, "20240105-142233-abcdef"])
    monkeypatch.setattr("fabnet.store.store.new_run_id", lambda: next(drawn))
    second = store.start_run(kind="plan")
    assert second.id == "20240105-142233-abcdef"
    second.finish()
    assert sorted(store.list_runs()["id"]) == sorted([first.id, second.id])
    assert store.get(first.id).status == "done"


def test_compare_side_by_side(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    a = _plan_run(store, npv=1.0e9)
    with store.start_run(kind="plan") as run:
        run.set_summary({"npv": 1.5e9, "capex_total": 0.0, "solve_seconds": 3.0})
    frame = store.compare(a, run.id).set_index("metric")
    assert frame.attrs == {"a": a, "b": run.id}
    assert frame.loc["npv", "difference"] == pytest.approx(0.5e9)
    assert frame.loc["npv", "ratio"] == pytest.approx(1.5)
    assert frame.loc["capex_total", "b"] == 0.0
    assert np.isnan(frame.loc["solve_seconds", "a"]) and np.isnan(
        frame.loc["solve_seconds", "ratio"]
    )
    assert np.isnan(frame.loc["delivered_by_year.2026", "b"])


def test_export_csv_parquet_xlsx(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "home")
    run_id = _plan_run(store)
    files = store.export(run_id, tmp_path / "out")
    names = sorted(p.name for p in files)
    assert names == sorted(
        [
            "deliveries.csv",
            "key_figures.csv",
            "deliveries.parquet",
            "key_figures.parquet",
            f"{run_id}.xlsx",
        ]
    )
    assert pd.read_csv(tmp_path / "out" / "deliveries.csv")["shortage"].sum() == pytest.approx(
        449.5
    )
    sheets = pd.read_excel(tmp_path / "out" / f"{run_id}.xlsx", sheet_name=None)
    assert set(sheets) == {"deliveries", "key_figures"}
    assert sheets["deliveries"]["delivered"].sum() == pytest.approx(2250.5)
    only_csv = store.export(run_id, tmp_path / "csv", formats="csv")
    assert {p.suffix for p in only_csv} == {".csv"}
    with pytest.raises(UsageError, match="valid: csv, parquet, xlsx"):
        store.export(run_id, tmp_path / "bad", formats=["pdf"])


def test_delete_removes_row_and_folder(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep, gone = _plan_run(store), _plan_run(store)
    folder = store.get(gone).folder
    assert store.delete(gone) == gone
    assert not folder.exists()
    assert list(store.list_runs()["id"]) == [keep]
    with pytest.raises(StoreError):
        store.get(gone)
    pd.testing.assert_frame_equal(store.load_table(keep, "deliveries"), _deliveries())


def test_delete_refuses_a_live_running_run(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = store.start_run(kind="plan")
    with pytest.raises(StoreError, match="still running"):
        store.delete(run.id)
    store.delete(run.id, force=True)
    assert store.list_runs().empty


def test_running_run_is_visible_with_progress(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.start_run(kind="fab") as run:
        run.progress(0.25, "warm-up")
        record = RunStore(tmp_path).get(run.id)  # a second opener must not mark a live run failed
        assert record.status == "running"
        assert record.progress == 0.25 and record.progress_message == "warm-up"
        assert record.folder.name == f".running-{run.id}"
        assert record.ended is None
    assert store.get(run.id).status == "done"


def test_unknown_artefacts_and_tables_are_clear_errors(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = _plan_run(store)
    with pytest.raises(StoreError, match=r"no table 'supply'.*deliveries"):
        store.load_table(run_id, "supply")
    with pytest.raises(StoreError, match=r"no artefact 'x\.png'"):
        store.path(run_id, "x.png")
    with store.start_run(kind="plan") as run, pytest.raises(UsageError, match="invalid artefact"):
        run.save_text("../escape.txt", "no")
    assert not (tmp_path / "runs" / "escape.txt").exists()


def test_writing_after_the_end_is_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.start_run(kind="plan") as run:
        pass
    with pytest.raises(StoreError, match="already done"):
        run.save_json("late", {})


def test_unwritable_home_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot use .*a-file"):
        RunStore(blocker / "home")


def test_home_from_environment_then_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FABNET_HOME", str(tmp_path / "env-home"))
    assert RunStore().home == tmp_path / "env-home"
    monkeypatch.delenv("FABNET_HOME")
    monkeypatch.chdir(tmp_path)
    assert RunStore().home == tmp_path / ".fabnet"
    assert RunStore(tmp_path / "arg").home == tmp_path / "arg"


def test_database_is_wal_and_sound(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    _plan_run(store)
    with sqlite3.connect(store.db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_flatten_figures_keeps_numbers_only() -> None:
    flat = flatten_figures(
        {"a": 1, "b": True, "c": "text", "d": [1, 2], "e": {"f": 2.5, "g": {"h": np.int64(3)}}}
    )
    assert flat == {"a": 1.0, "b": 1.0, "e.f": 2.5, "e.g.h": 3.0}
    assert json.dumps(flat)


def test_progress_is_throttled_but_the_last_value_is_kept(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    with store.start_run(kind="risk") as run:
        run.PROGRESS_INTERVAL = 3600.0  # type: ignore[misc]
        run.progress(0.1, "sampling 1/100")  # the first call is written
        for i in range(2, 100):
            run.progress(i / 100, f"sampling {i}/100")  # within the interval: memory only
        assert store.get(run.id).progress_message == "sampling 1/100"
        assert run.fraction == 0.99 and run.message == "sampling 99/100"
        run.PROGRESS_INTERVAL = 0.0  # type: ignore[misc]
        run.progress(1.5, "clamped")
        assert store.get(run.id).progress == 1.0
    with pytest.raises(UsageError, match="between 0 and 1"):
        store.start_run(kind="risk").progress(float("nan"))


def test_an_explicit_summary_json_is_not_overwritten_by_set_summary(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    full = {"npv": 2.0e9, "status": "optimal", "decisions": [{"site": "Tainan"}], "policy": "p"}
    with store.start_run(kind="plan") as run:
        run.save_json("summary", full)
        run.set_summary({"npv": 2.0e9, "capex_total": 9.85e9})
    assert store.load_json(run.id, "summary") == full  # the fuller file stays
    assert store.get(run.id).summary == {"npv": 2.0e9, "capex_total": 9.85e9}


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "runs.sqlite").write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(StoreError, match=r"runs\.sqlite"):
        RunStore(tmp_path)
