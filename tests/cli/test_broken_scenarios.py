"""Broken scenario files give one clear message each, through the CLI: the file, the field path,
the bad value and what would be valid; exit status 2; never a traceback (DEVELOPERS.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _set(data: dict, path: str, value) -> None:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = data
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value


def _delete(data: dict, path: str) -> None:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = data
    for k in keys[:-1]:
        target = target[k]
    del target[keys[-1]]


# (case id, mutation, substrings the message must contain)
CASES = [
    ("typo-field", lambda d: _set(d, "fabs.0.capacty_wspm", 1),
     ["fabs[0].capacty_wspm", "did you mean 'capacity_wspm'"]),
    ("missing-field", lambda d: _delete(d, "products.0.node"),
     ["products[0].node", "required field is missing"]),
    ("wrong-type", lambda d: _set(d, "fabs.0.capacity_wspm", "lots"),
     ["fabs[0].capacity_wspm", "valid number", "'lots'"]),
    ("negative-capacity", lambda d: _set(d, "fabs.1.capacity_wspm", -5),
     ["fabs[1].capacity_wspm", "greater than or equal to 0", "-5"]),
    ("unknown-node", lambda d: _set(d, "products.0.node", "N5"),
     ["products[0].node", "unknown node 'N5'", "did you mean", "known: 'N4'"]),
    ("unknown-product-in-demand", lambda d: _set(d, "customers.0.demand.H100 class", 100),
     ["customers[0].demand.H100 class", "unknown product 'H100 class'", "did you mean 'H100-class'"]),
    ("die-over-reticle", lambda d: _set(d, "products.0.die_width_mm", 28.0),
     ["products[0].die_width_mm", "858", "compute_dies > 1"]),
    ("month-outside-horizon", lambda d: _set(d, "fabs.0.available_from", "2040-01"),
     ["fabs[0].available_from", "outside the horizon 2024-01 .. 2033-12", "2040-01"]),
    ("bad-month", lambda d: _set(d, "fabs.0.available_from", "2024-13"),
     ["fabs[0].available_from", "YYYY-MM"]),
    ("bad-fab-kind", lambda d: _set(d, "fabs.0.kind", "leased"),
     ["fabs[0]", "'existing', 'greenfield'"]),
    ("duplicate-name", lambda d: _set(d, "products.1.name", "H100-class"),
     ["products[1].name", "duplicate name", "products[0]"]),
    ("pay-in-sum", lambda d: _set(d, "investors.0.commitment_usd", 5.0e9),
     ["investors[0].pay_in", "sum to 3,000,000,000", "5,000,000,000"]),
    ("negative-sd", lambda d: _set(d, "uncertainties.0.distribution", {"dist": "normal", "mean": 0, "sd": -1}),
     ["uncertainties[0].distribution.sd", "greater than or equal to 0"]),
    ("probability-above-one", lambda d: _set(d, "uncertainties.0.distribution", {"dist": "bernoulli", "p": 1.5}),
     ["uncertainties[0].distribution.p", "less than or equal to 1", "1.5"]),
    ("unknown-distribution", lambda d: _set(d, "uncertainties.0.distribution", {"dist": "gamma", "k": 1}),
     ["uncertainties[0].distribution", "'point'", "'lognormal'"]),
    ("bad-uncertainty-target", lambda d: _set(d, "uncertainties.0.target", "fabs.*.lead_time"),
     ["uncertainties[0].target", "did you mean 'lead_time_months'"]),
    ("mature-above-start", lambda d: _set(d, "nodes.0.d0_mature_per_cm2", 0.9),
     ["nodes[0].d0_mature_per_cm2", "must not exceed", "0.9"]),
    ("unknown-packaging", lambda d: _set(d, "products.2.packaging", "InFO"),
     ["products[2].packaging", "unknown packaging kind 'InFO'", "'CoWoS'"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_scenario_gives_clear_error(
    cli, builtin_dict, write_scenario, case, mutate, expected
):
    mutate(builtin_dict)
    path = write_scenario(builtin_dict, f"{case}.yaml")
    result = cli("scenario", "validate", str(path))
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert f"{case}.yaml" in message
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"
    assert "Traceback" not in result.output + message


def test_all_problems_are_reported_at_once(cli, builtin_dict, write_scenario):
    _set(builtin_dict, "products.0.node", "N5")
    _set(builtin_dict, "customers.1.demand.H200", 1)
    _set(builtin_dict, "nodes.0.d0_mature_per_cm2", 0.9)
    result = cli("scenario", "validate", str(write_scenario(builtin_dict)))
    assert result.exit_code == 2
    assert "3 problems" in result.stderr
    for path in ("products[0].node", "customers[1].demand.H200", "nodes[0].d0_mature_per_cm2"):
        assert path in result.stderr


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("name: x\nnodes: [\n", "broken.yaml", ["broken.yaml", "invalid YAML at line"]),
        ("just a string\n", "string.yaml", ["a scenario must be a mapping"]),
        ("name = 'x'\nnodes = [", "broken.toml", ["broken.toml", "invalid TOML"]),
        ("name: x", "scenario.txt", ["unknown file type '.txt'", ".yaml"]),
    ],
)
def test_unreadable_files(cli, write_scenario, text, name, expected):
    result = cli("scenario", "validate", str(write_scenario(text, name)))
    assert result.exit_code == 2
    for piece in expected:
        assert piece in result.stderr


def test_missing_file(cli, tmp_path):
    result = cli("econ", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr and "file not found" in result.stderr


def test_json_errors_are_machine_readable(cli, builtin_dict, write_scenario):
    import json

    _set(builtin_dict, "products.0.node", "N5")
    result = cli("econ", str(write_scenario(builtin_dict)), "--json")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["error"] == "ScenarioError"
    assert payload["problems"][0]["path"] == "products[0].node"
    assert payload["problems"][0]["value"] == "N5"


def test_real_process_exits_2_without_traceback(builtin_dict, write_scenario):
    """The installed entry point, not only the in-process runner."""
    _set(builtin_dict, "fabs.0.capacity_wspm", -1)
    path = write_scenario(builtin_dict)
    proc = subprocess.run(
        [sys.executable, "-m", "fabnet", "scenario", "validate", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "fabs[0].capacity_wspm" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
