"""Shared fixtures: the built-in scenario as a mutable dict, and a CLI runner."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fabnet.scenario import builtin_scenario_path

_BUILTIN = yaml.safe_load(builtin_scenario_path().read_text())


@pytest.fixture
def builtin_dict() -> dict:
    """A fresh deep copy of the built-in scenario's data, to mutate in a test."""
    return copy.deepcopy(_BUILTIN)


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario dict (or raw text) to a file and return its path."""

    def write(data: dict | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


@pytest.fixture
def cli():
    """Invoke the fabnet CLI in-process: ``cli("econ", "--json")``."""
    from fabnet.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(autouse=True)
def _isolated_run_store(tmp_path_factory, monkeypatch):
    """Runs made by a test go to a throw-away store, never ./.fabnet of the working tree."""
    monkeypatch.setenv("FABNET_HOME", str(tmp_path_factory.mktemp("fabnet-home")))
