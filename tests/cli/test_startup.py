"""The CLI starts at once: ``fabnet --version`` and ``fabnet --help`` import no heavy library,
and the root help lists each command with the help its module gives it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from fabnet.cli import COMMANDS, app, load_command

HEAVY = ("numpy", "pandas", "linopy", "xarray", "plotly", "pydantic", "scipy", "rich",
         "fabnet.scenario", "fabnet.fab")  # fmt: skip


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_heavy_library(flag):
    code = (
        "import sys\n"
        "from fabnet.cli import main\n"
        f"sys.argv = ['fabnet', '{flag}']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout


def test_root_help_lists_every_command_with_its_own_help():
    r = CliRunner().invoke(app, ["--help"])
    assert r.exit_code == 0
    for name, (_module, text) in COMMANDS.items():
        cmd = load_command(name)
        assert cmd.help.strip().splitlines()[0] == text, f"update fabnet.cli.COMMANDS[{name!r}]"
        assert name in r.stdout


def test_a_command_is_imported_when_used():
    r = CliRunner().invoke(app, ["data", "path", "smt2020", "--json"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["nope"])
    assert r.exit_code == 2 and "No such command" in r.output


def test_progress_bars_work_with_the_consoles_made_on_first_use():
    # rich's Progress enters its console as a context manager
    r = CliRunner().invoke(app, ["fab", "simulate", "--days", "3"])
    assert r.exit_code == 0, r.output
    assert "events" in r.stdout
    r = CliRunner().invoke(app, ["fab", "simulate", "--days", "3", "--replications", "2"])
    assert r.exit_code == 0, r.output


def test_missing_web_extra_prints_the_extra_literally(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the extra were not installed
    r = CliRunner().invoke(app, ["serve"])
    assert r.exit_code == 2
    assert "pip install 'fabnet[web]'" in r.stderr


def test_typer_app_is_a_typer():
    assert isinstance(app, typer.Typer)
