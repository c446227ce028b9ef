"""``fabnet runs …`` through typer's CliRunner: listing, showing, comparing, exporting, deleting."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from fabnet.cli import app
from fabnet.store import RunStore


@pytest.fixture
def home(tmp_path: Path) -> Path:
    store = RunStore(tmp_path / "home")
    for n, npv in enumerate((1.0e9, 2.5e9)):
        with store.start_run(
            kind="plan", scenario_name="ai-fab-network-2024", options={"policy": "priority"}, seed=n
        ) as run:
            run.save_table(
                "deliveries", pd.DataFrame({"customer": ["g42"], "delivered": [10.0 + n]})
            )
            run.set_summary({"npv": npv, "capex_total": 8.4e9})
    return store.home


def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(app, list(args), env=env, input=input)


def _ids(home: Path) -> list[str]:
    return list(RunStore(home).list_runs()["id"])  # newest first


def test_list_human_and_json(home: Path) -> None:
    newest, oldest = _ids(home)
    result = _run("runs", "list", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert newest in result.output and oldest in result.output
    assert "Runs (2)" in result.output
    result = _run("runs", "list", "--home", str(home), "--json", "--limit", "1")
    data = json.loads(result.stdout)
    assert [row["id"] for row in data] == [newest]
    assert data[0]["npv"] == 2.5e9 and data[0]["status"] == "done"


def test_home_from_environment(home: Path) -> None:
    result = _run("runs", "list", "--json", env={"FABNET_HOME": str(home)})
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 2


def test_show_by_prefix(home: Path) -> None:
    newest, _ = _ids(home)
    result = _run("runs", "show", newest[:-2], "--home", str(home), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == newest
    assert data["options"] == {"policy": "priority"}
    assert data["tables"] == ["deliveries"]
    assert {a["file"] for a in data["artefacts"]} == {"deliveries.parquet", "summary.json"}
    human = _run("runs", "show", "latest", "--home", str(home))
    assert human.exit_code == 0
    assert "Key figures" in human.output and "2.50 B" in human.output


def test_compare(home: Path) -> None:
    newest, oldest = _ids(home)
    result = _run("runs", "compare", oldest, newest, "--home", str(home), "--json")
    data = json.loads(result.stdout)
    npv = next(m for m in data["metrics"] if m["metric"] == "npv")
    assert npv == {"metric": "npv", "a": 1.0e9, "b": 2.5e9, "difference": 1.5e9, "ratio": 2.5}
    human = _run("runs", "compare", oldest, newest, "--home", str(home))
    assert human.exit_code == 0 and "2.500" in human.output


def test_compare_writes_an_html_page(home: Path, tmp_path: Path) -> None:
    newest, oldest = _ids(home)
    page = tmp_path / "compare.html"
    result = _run("runs", "compare", oldest, newest, "--html", str(page), "--home", str(home))
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert oldest in text and newest in text and "250.0 %" in text
    bad = _run(
        "runs", "compare", oldest, newest, "--html", str(page / "x.html"), "--home", str(home)
    )
    assert bad.exit_code == 2 and "cannot write" in bad.output


def test_export(home: Path, tmp_path: Path) -> None:
    newest, _ = _ids(home)
    dest = tmp_path / "out"
    result = _run(
        "runs", "export", newest, "--to", str(dest), "--format", "csv,xlsx", "--home", str(home),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(Path(f).name for f in json.loads(result.stdout)["files"])
    assert files == sorted(["deliveries.csv", "key_figures.csv", f"{newest}.xlsx"])
    assert pd.read_csv(dest / "deliveries.csv")["delivered"].tolist() == [11.0]
    bad = _run("runs", "export", newest, "--format", "pdf", "--home", str(home))
    assert bad.exit_code == 2 and "valid: csv, parquet, xlsx" in bad.output


def test_delete(home: Path) -> None:
    newest, oldest = _ids(home)
    refused = _run("runs", "delete", newest, "--home", str(home), input="n\n")
    assert refused.exit_code == 1 and _ids(home) == [newest, oldest]
    needs_yes = _run("runs", "delete", newest, "--home", str(home), "--json")
    assert needs_yes.exit_code == 2 and "--yes" in needs_yes.stdout
    result = _run("runs", "delete", newest, "--yes", "--home", str(home), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"deleted": newest}
    assert _ids(home) == [oldest]


@pytest.mark.parametrize("command", [["show", "nope"], ["compare", "nope", "latest"],
                                     ["export", "19990101"], ["delete", "nope", "--yes"]])  # fmt: skip
def test_unknown_id_exits_2_with_a_clear_message(home: Path, command: list[str]) -> None:
    result = _run("runs", *command, "--home", str(home))
    assert result.exit_code == 2
    assert "StoreError" in result.output and "no run with id" in result.output
    assert "fabnet runs list" in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    as_json = _run("runs", *command, "--home", str(home), "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"] == "StoreError"


def test_ambiguous_prefix_and_unwritable_home(home: Path, tmp_path: Path) -> None:
    result = _run("runs", "show", "2", "--home", str(home))
    assert result.exit_code == 2 and "ambiguous" in result.output
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = _run("runs", "list", "--home", str(blocker / "sub"))
    assert (
        result.exit_code == 2 and "cannot use" in result.output and "Traceback" not in result.output
    )
