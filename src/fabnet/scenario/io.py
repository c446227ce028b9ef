"""Reading and writing scenarios: YAML, TOML, JSON; demand tables from CSV or xlsx.

Every failure raises :class:`fabnet.errors.ScenarioError` naming the file, the field path, the
bad value and what would be valid, with all problems found at once.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fabnet.errors import Problem, ScenarioError
from fabnet.scenario._base import parse_month
from fabnet.scenario.checks import check_scenario, did_you_mean
from fabnet.scenario.errors_format import problems_from_validation_error
from fabnet.scenario.model import Scenario

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
    if not path.is_file():
        hint = f" (built-in scenarios: {', '.join(BUILTIN_SCENARIOS)})"
        raise ScenarioError([Problem("", "file not found" + hint)], file=str(path))
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ScenarioError(
            [Problem("", f"unknown file type {path.suffix!r}; use .yaml, .yml, .toml or .json")],
            file=file,
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read file: {exc}")], file=file) from None
    data = parse_scenario_text(text, fmt, file)
    return scenario_from_dict(data, file=file, base_dir=path.parent)


def parse_scenario_text(text: str, fmt: str, file: str = "<text>") -> dict[str, Any]:
    """Parse YAML/TOML/JSON text into a mapping, with the line and column of a syntax error."""
    try:
        if fmt == "yaml":
            data = yaml.safe_load(text)
        elif fmt == "toml":
            data = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            raise ScenarioError(
                [Problem("", f"unknown format {fmt!r}; use yaml, toml or json")], file
            )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem("", f"invalid YAML{where}: {problem}")], file=file) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem("", f"invalid TOML: {exc}")], file=file) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            [Problem("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")],
            file=file,
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
    return data


def scenario_from_dict(
    data: dict[str, Any], file: str | None = None, base_dir: Path | None = None
) -> Scenario:
    """Validate a mapping into a :class:`Scenario`: types, then every consistency check.

    Relative file references (``demand_table``, ``operating_curve``, fab templates' ``smt2020``
    dataset) are resolved against
    ``base_dir``; a demand table is merged into the customers' demand.
    """
    data = dict(data)
    problems: list[Problem] = []
    if base_dir is not None:
        data = _resolve_paths(data, base_dir)
    if data.get("demand_table"):
        data, table_problems = _merge_demand_table(data, str(data["demand_table"]))
        problems += table_problems
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            problems + problems_from_validation_error(exc, Scenario), file
        ) from None
    problems += check_scenario(scenario)
    if problems:
        raise ScenarioError(problems, file=file)
    return scenario


def _resolve_paths(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value and not Path(value).is_absolute():
            return str((base_dir / value).resolve())
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
    """Read ``customer, product, month, units`` rows into each customer's ``demand``."""
    import pandas as pd

    path = Path(table)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path)
        else:
            frame = pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for unreadable files
        return data, [Problem("demand_table", f"cannot read demand table: {exc}", table)]
    needed = ["customer", "product", "month", "units"]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        return data, [
            Problem(
                "demand_table",
                f"{path.name}: missing column(s) {', '.join(missing)}; "
                f"needed: {', '.join(needed)} (found: {', '.join(map(str, frame.columns))})",
                table,
            )
        ]
    customers = [dict(c) for c in data.get("customers") or [] if isinstance(c, dict)]
    by_name = {c.get("name"): c for c in customers}
    problems = []
    for row_no, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"demand_table ({path.name} line {row_no})"
        cust = by_name.get(row.customer)
        if cust is None:
            known = [str(k) for k in by_name]
            problems.append(
                Problem(
                    where, f"unknown customer{did_you_mean(str(row.customer), known)}", row.customer
                )
            )
            continue
        try:
            month = parse_month(str(row.month))
            units = float(str(row.units))
        except (ValueError, TypeError) as exc:
            problems.append(Problem(where, str(exc), row.month))
            continue
        demand = dict(cust.get("demand") or {})
        series = demand.get(row.product)
        series = dict(series) if isinstance(series, dict) else {}
        series[month] = units
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
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
