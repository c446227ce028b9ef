"""Fixtures of the hostile-input tests: the CLI with ``--json``, and a small valid scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def cli_json():
    """``cli_json("scenario", "validate", path)`` → (exit code, JSON body, all output).

    Runs the CLI in-process with ``--json`` appended; an exception escaping the CLI (a
    traceback) fails the test.
    """
    from fabnet.cli import app

    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, Any, str]:
        result = runner.invoke(app, [*args, "--json"], catch_exceptions=False)
        text = result.stdout + result.stderr
        try:
            body = json.loads(result.stdout)
        except ValueError:
            body = None
        return result.exit_code, body, text

    return invoke


@pytest.fixture
def base_text() -> str:
    """The corpus's valid base scenario (YAML text)."""
    return (CORPUS / "base.yaml").read_text(encoding="utf-8")
