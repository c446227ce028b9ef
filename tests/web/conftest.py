"""Fixtures of the web tests: a tiny scenario, an app on a temporary store, a fake launcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from web_support import FakeLauncher, tiny_scenario


@pytest.fixture
def tiny() -> dict[str, Any]:
    """The tiny scenario as a dict (fresh copy)."""
    return tiny_scenario()


@pytest.fixture
def tiny_yaml(tiny: dict[str, Any]) -> str:
    """The tiny scenario as YAML text."""
    return yaml.safe_dump(tiny, sort_keys=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh store home."""
    return tmp_path / "home"


@pytest.fixture
def fake_launcher(home: Path) -> FakeLauncher:
    return FakeLauncher(home)


@pytest.fixture
def client(home: Path, fake_launcher: FakeLauncher):
    """A TestClient on an app with the fake launcher (no processes, no solves)."""
    from fastapi.testclient import TestClient

    from fabnet.web import create_app

    with TestClient(create_app(home, launcher=fake_launcher)) as test_client:
        yield test_client


@pytest.fixture
def real_client(home: Path):
    """A TestClient on an app that starts real job processes."""
    from fastapi.testclient import TestClient

    from fabnet.web import create_app

    with TestClient(create_app(home)) as test_client:
        yield test_client
