"""Reading and writing scenarios: YAML, TOML, JSON; demand tables from CSV or xlsx.

Every failure raises :class:`fabnet.errors.ScenarioError` naming the file, the field path, the
bad value and what would be valid, with all problems found at once.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fabnet.errors import Problem, ScenarioError, UsageError
from fabnet.scenario._strict import ReadError, read_json, read_toml, read_yaml
from fabnet.scenario.checks import check_scenario, did_you_mean
from fabnet.scenario.errors_format import problems_from_validation_error
from fabnet.scenario.limits import MAX_PATH_CHARS, MAX_SCENARIO_BYTES, check_shape
from fabnet.scenario.model import Scenario
from fabnet.scenario.tables import read_demand_table

__all__ = [
    "BUILTIN_SCENARIOS",
    "DEFAULT_SCENARIO",
    "builtin_scenario_path",
    "dump_scenario",
    "load_scenario",
    "parse_scenario_text",
    "save_scenario",
    "scenario_from_dict",
]

DEFAULT_SCENARIO = "ai-fab-network-2024"
BUILTIN_SCENARIOS = (DEFAULT_SCENARIO, "ai-accelerators-2023")
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
_PATH_FIELDS = ("operating_curve", "smt2020")


def builtin_scenario_path(name: str = DEFAULT_SCENARIO) -> Path:
    """Path of a built-in scenario file shipped with fabnet."""
    if name not in BUILTIN_SCENARIOS:
        raise ScenarioError(
            [
                Problem(
                    "",
                    f"no built-in scenario {name!r}{did_you_mean(name, BUILTIN_SCENARIOS)} "
                    f"(built-in: {', '.join(BUILTIN_SCENARIOS)})",
                )
            ]
        )
    ref = resources.files("fabnet") / "data" / "scenarios" / f"{name}.yaml"
    return Path(str(ref))


def load_scenario(source: str | Path | None = None) -> Scenario:
    """Load and validate a scenario from a file, or a built-in one by name (default: the 2024 one)."""
    if source is None or str(source) in BUILTIN_SCENARIOS:
        path = builtin_scenario_path(str(source) if source else DEFAULT_SCENARIO)
    else:
        path = Path(source)
    file = str(source) if source is not None and str(source) not in BUILTIN_SCENARIOS else path.name
    file = file.replace("\x00", "\\0")
    try:
        found = path.is_file()
    except (OSError, ValueError):  # ValueError: a NUL character in the path
        found = False
    if not found:
        hint = f" (built-in scenarios: {', '.join(BUILTIN_SCENARIOS)})"
        raise ScenarioError([Problem("", "file not found" + hint)], file=file)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(
            [Problem("", f"unknown file type {path.suffix!r}; use .yaml, .yml, .toml or .json")],
            file=file,
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SCENARIO_BYTES + 1)
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError([Problem("", _too_big(len(raw)))], file=file)
        text = raw.decode("utf-8-sig")  # a byte-order mark is not part of the text
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem("", f"the file is not UTF-8 text (byte {exc.start})")], file=file
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem("", f"cannot read file: {exc.strerror or exc}")], file=file
        ) from None
    data = parse_scenario_text(text, fmt, file)
    return scenario_from_dict(data, file=file, base_dir=path.parent)


def _too_big(size: int) -> str:
    return (
        f"more than {MAX_SCENARIO_BYTES:,} bytes; a scenario is at most that big (put long "
        "demand series in a demand_table)"
        if size > MAX_SCENARIO_BYTES
        else ""
    )


def parse_scenario_text(text: str, fmt: str, file: str = "<text>") -> dict[str, Any]:
    """Parse YAML/TOML/JSON text into a mapping, strictly and within the input limits.

    Syntax errors give their line and column; duplicate keys, recursive or too many YAML
    aliases, nesting deeper than :data:`~fabnet.scenario.limits.MAX_DEPTH` and inputs over the
    other limits of :mod:`fabnet.scenario.limits` are a :class:`ScenarioError` too.
    """
    readers = {
        "yaml": ("YAML", read_yaml),
        "toml": ("TOML", read_toml),
        "json": ("JSON", read_json),
    }
    if fmt not in readers:
        raise ScenarioError([Problem("", f"unknown format {fmt!r}; use yaml, toml or json")], file)
    if len(text) > MAX_SCENARIO_BYTES or len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioError([Problem("", _too_big(len(text.encode("utf-8"))))], file=file)
    if "\x00" in text:
        raise ScenarioError(
            [Problem("", "the file is not text (it contains NUL bytes)")], file=file
        )
    kind, read = readers[fmt]
    try:
        data = read(text)
    except ReadError as exc:
        raise ScenarioError(
            [Problem("", f"invalid {kind}{exc.where()}: {exc.message}")], file=file
        ) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    "", "a scenario must be a mapping of sections (name, policy, nodes, ...)", data
                )
            ],
            file=file,
        )
    problems = check_shape(data)
    if problems:
        raise ScenarioError(problems, file=file)
    return data


def scenario_from_dict(
    data: dict[str, Any], file: str | None = None, base_dir: Path | None = None
) -> Scenario:
    """Validate a mapping into a :class:`Scenario`: shape, types, then every consistency check.

    Relative file references (``demand_table``, ``operating_curve``, fab templates' ``smt2020``
    dataset) are resolved against
    ``base_dir``; a demand table is merged into the customers' demand.
    """
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem("", "a scenario must be a mapping of sections (name, policy, nodes, ...)")],
            file,
        )
    problems = check_shape(data)
    if problems:
        raise ScenarioError(problems, file=file)
    data = dict(data)
    if base_dir is not None:
        data = _resolve_paths(data, base_dir)
    table = data.get("demand_table")
    if isinstance(table, str) and table.strip() and _usable_path(table):
        data, table_problems = _merge_demand_table(data, table)
        problems += table_problems
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            problems + problems_from_validation_error(exc, Scenario), file
        ) from None
    except RecursionError:  # a cyclic structure given as a dict (files cannot make one)
        raise ScenarioError([Problem("", "the data contains itself")], file) from None
    problems += check_scenario(scenario)
    if problems:
        raise ScenarioError(problems, file=file)
    return scenario


def _usable_path(value: str) -> bool:
    return "\x00" not in value and len(value) <= MAX_PATH_CHARS


def _resolve_paths(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.strip() and _usable_path(value):
            path = Path(value)
            if not path.is_absolute():
                try:
                    return str((base_dir / path).resolve())
                except (OSError, RuntimeError):  # e.g. a symlink loop: checked later
                    return str(base_dir / path)
        return value

    if isinstance(data.get("demand_table"), str):
        data["demand_table"] = resolve(data["demand_table"])
    for section in ("fabs", "fab_templates"):
        if isinstance(data.get(section), list):
            data[section] = [
                {k: resolve(v) if k in _PATH_FIELDS else v for k, v in f.items()}
                if isinstance(f, dict)
                else f
                for f in data[section]
            ]
    return data


def _merge_demand_table(data: dict[str, Any], table: str) -> tuple[dict[str, Any], list[Problem]]:
    """Read ``customer, product, month, units`` rows into each customer's ``demand``.

    Only customers written as mappings with a text name can take rows; anything else is left
    as it is for the validation to report.
    """
    rows, problems = read_demand_table(Path(table))
    customers_in = data.get("customers")
    if not isinstance(customers_in, list):
        return data, problems  # the validation says what is wrong with `customers`
    customers = [dict(c) if isinstance(c, dict) else c for c in customers_in]
    by_name: dict[str, dict[str, Any]] = {}
    for c in customers:
        if isinstance(c, dict) and isinstance(c.get("name"), str):
            by_name.setdefault(c["name"], c)
    for row in rows:
        cust = by_name.get(row.customer)
        where = f"demand_table ({Path(table).name} line {row.line}, column customer)"
        if cust is None:
            known = list(by_name)
            problems.append(
                Problem(where, f"unknown customer{did_you_mean(row.customer, known)}", row.customer)
            )
            continue
        demand = cust.get("demand")
        if demand is None:
            demand = {}
        if not isinstance(demand, dict):
            continue  # the validation reports the customer's demand
        demand = dict(demand)
        series = demand.get(row.product)
        series = dict(series) if isinstance(series, dict) else {}
        series[row.month] = row.units
        demand[row.product] = series
        cust["demand"] = demand
    data["customers"] = customers
    data["demand_table"] = None
    return data, problems


def dump_scenario(scenario: Scenario, fmt: str = "yaml") -> str:
    """Text of ``scenario`` in ``yaml``, ``toml`` or ``json``."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if fmt == "toml":
        import tomli_w

        return tomli_w.dumps(data)
    if fmt == "json":
        return json.dumps(data, indent=2)
    raise ScenarioError([Problem("", f"unknown format {fmt!r}; use yaml, toml or json")])


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` to ``path`` (format from the suffix), atomically."""
    import os
    import tempfile

    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(
            [Problem("", f"unknown file type {path.suffix!r}; use .yaml, .yml, .toml or .json")],
            file=str(path),
        )
    text = dump_scenario(scenario, fmt)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
