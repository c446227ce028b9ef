"""The scenario's main parameters as a form: fields, edits, and problems mapped back to fields.

Each form field is named by the **scenario field path** it edits (``policy.discount_rate``,
``investors[1].commitment_usd``, ``fabs[4].lead_time_months``) — the same paths
:class:`~fabnet.errors.Problem` uses — so a validation problem finds its field by its path
(:func:`problems_by_field`). Editable: the policy's objective, allocation, discount rate and
horizon; each investor's commitment (its pay-in schedule is scaled to match); each greenfield
site's lead time; the debt limit. Money is entered in millions of USD.

The edited scenario is validated in full (:func:`edited_scenario`), and then checked against the
service's limits (horizon, solver time).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard, get_args

import yaml

from fabnet.errors import Problem, ScenarioError, shorten

if TYPE_CHECKING:
    from fabnet.scenario import Scenario

__all__ = [
    "EDITABLE_PATHS",
    "FormField",
    "apply_edits",
    "editable_fields",
    "edited_scenario",
    "parse_form",
    "problems_by_field",
]

#: Paths the service lets a request change (anything else is refused).
EDITABLE_PATHS = (
    re.compile(r"^policy\.(objective|allocation|discount_rate|horizon_months)$"),
    re.compile(r"^financing\.debt_limit_usd$"),
    re.compile(r"^investors\[(\d{1,4})\]\.commitment_usd$"),
    re.compile(r"^fabs\[(\d{1,4})\]\.lead_time_months$"),
)
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
MILLION = 1e6


@dataclass(frozen=True)
class FormField:
    """One field of the parameter form.

    Attributes:
        name: the scenario field path it edits (also the HTML ``name``).
        label, group, unit, help: what the page shows.
        kind: ``choice``, ``number`` or ``integer``.
        value: the current value as shown in the form (scaled by ``1 / scale``).
        scale: form value × scale = scenario value (1e6 for money in millions of USD).
        choices: the options of a ``choice`` field.
        minimum, maximum, step: input hints (the scenario validation has the last word).
        also: other problem paths shown at this field (e.g. an investor's ``pay_in``).
    """

    name: str
    label: str
    group: str
    kind: str
    value: str
    unit: str = ""
    help: str = ""
    scale: float = 1.0
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    also: tuple[str, ...] = field(default_factory=tuple)


def _shown(value: float, scale: float = 1.0, integer: bool = False) -> str:
    scaled = value / scale
    if integer or float(scaled).is_integer():
        return str(round(scaled))
    return f"{scaled:.6g}"


def editable_fields(scenario: Scenario, max_horizon: int | None = None) -> list[FormField]:
    """The form's fields with the scenario's current values."""
    from fabnet.scenario.policy import Allocation, Objective

    pol = scenario.policy
    fields = [
        FormField(
            "policy.objective",
            "Objective",
            "Policy",
            "choice",
            pol.objective,
            choices=tuple(get_args(Objective)),
            help="npv: most value; shortage: least weighted shortage, then value; cost: demand at "
            "least cost.",
        ),
        FormField(
            "policy.allocation",
            "Allocation",
            "Policy",
            "choice",
            pol.allocation,
            choices=tuple(get_args(Allocation)),
            help="Who gets scarce output: by priority, proportional fair share, max-min fill "
            "rate, or contracted minimums first.",
        ),
        FormField(
            "policy.discount_rate",
            "Discount rate",
            "Policy",
            "number",
            _shown(pol.discount_rate),
            unit="per year",
            minimum=0,
            maximum=1,
            step="0.005",
            help="0.10 = 10 % a year.",
        ),
        FormField(
            "policy.horizon_months",
            "Horizon",
            "Policy",
            "integer",
            str(pol.horizon_months),
            unit="months",
            minimum=1,
            maximum=max_horizon or 480,
            step="1",
        ),
        FormField(
            "financing.debt_limit_usd",
            "Debt limit",
            "Financing",
            "number",
            _shown(scenario.financing.debt_limit_usd, MILLION),
            unit="M USD",
            scale=MILLION,
            minimum=0,
            step="any",
        ),
    ]
    for i, investor in enumerate(scenario.investors):
        fields.append(
            FormField(
                f"investors[{i}].commitment_usd",
                investor.name,
                "Investors' commitments",
                "number",
                _shown(investor.commitment_usd, MILLION),
                unit="M USD",
                scale=MILLION,
                minimum=0,
                help=f"{investor.terms}; "
                + (
                    f"{len(investor.pay_in)} payment(s), scaled to the new total"
                    if investor.pay_in
                    else "paid at the start"
                ),
                also=(f"investors[{i}].pay_in",),
            )
        )
    for i, fab in enumerate(scenario.fabs):
        if getattr(fab, "kind", "") != "greenfield":
            continue
        fields.append(
            FormField(
                f"fabs[{i}].lead_time_months",
                fab.name,
                "Greenfield lead times",
                "integer",
                str(fab.lead_time_months),  # type: ignore[union-attr]
                unit="months",
                minimum=0,
                maximum=180,
                step="1",
                help=f"{fab.region}: construction and tool install, start to first output.",
            )
        )
    return fields


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        out.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
        if pos < len(path) and path[pos] == ".":
            pos += 1
    return out


def _is_editable(path: str) -> bool:
    return any(p.match(path) for p in EDITABLE_PATHS)


def apply_edits(
    data: dict[str, Any], edits: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """Set ``path → value`` in a copy of the scenario data; returns it and any problems.

    Only :data:`EDITABLE_PATHS` are accepted. An investor's pay-in schedule is scaled so that
    it still sums to the (new) commitment. ``data`` is left as it is: only the mappings and
    lists on the way to an edited field are copied (a large scenario is not copied whole).
    """
    out = dict(data)
    problems: list[Problem] = []
    for path, value in edits.items():
        if not _is_editable(path):
            problems.append(Problem(path, "this field cannot be changed here", value))
            continue
        tokens = _tokens(path)
        node: Any = out
        ok = True
        for key in tokens[:-1]:  # every container on the way is a copy (see above)
            if isinstance(key, int):
                if (
                    not isinstance(node, list)
                    or key >= len(node)
                    or not isinstance(node[key], dict)
                ):
                    ok = False
                    break
                node[key] = dict(node[key])
                node = node[key]
            else:
                child = node.get(key)
                if child is None:
                    child = {}
                if isinstance(child, dict):
                    child = dict(child)
                elif isinstance(child, list):
                    child = list(child)
                else:
                    ok = False
                    break
                node[key] = child
                node = child
        if not ok or not isinstance(node, dict):
            problems.append(Problem(path, "no such entry in this scenario", value))
            continue
        last = tokens[-1]
        assert isinstance(last, str)
        if last == "commitment_usd":
            _scale_pay_in(node, value)
        node[last] = value
    return out, problems


def _scale_pay_in(investor: dict[str, Any], new_total: Any) -> None:
    pay_in = investor.get("pay_in")
    if not isinstance(pay_in, list) or not pay_in or not isinstance(new_total, int | float):
        return
    try:
        old = sum(float(p["amount_usd"]) for p in pay_in)
    except (KeyError, TypeError, ValueError):
        return  # the validation reports the broken schedule
    if old <= 0 or not math.isfinite(new_total):
        if new_total == 0:
            return
        investor["pay_in"] = []  # nothing to scale: all at the start
        return
    factor = float(new_total) / old
    investor["pay_in"] = [{**p, "amount_usd": float(p["amount_usd"]) * factor} for p in pay_in]


def parse_form(
    form: Mapping[str, str], fields: list[FormField]
) -> tuple[dict[str, Any], list[Problem]]:
    """Read the submitted form: ``path → scenario value`` for every changed field, and problems
    for entries that are not numbers."""
    edits: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in fields:
        raw = form.get(f.name)
        if raw is None:
            continue
        raw = str(raw).strip()
        if raw == f.value:
            continue
        if f.kind == "choice":
            edits[f.name] = raw
            continue
        try:
            number = float(raw.replace(",", "").replace("_", ""))
        except ValueError:
            problems.append(Problem(f.name, "enter a number", raw))
            continue
        if not math.isfinite(number):
            problems.append(Problem(f.name, "enter a finite number", raw))
            continue
        if f.kind == "integer":
            if not number.is_integer():
                problems.append(Problem(f.name, "enter a whole number", raw))
                continue
            edits[f.name] = int(number)
        else:
            edits[f.name] = number * f.scale
    return edits, problems


def problems_by_field(
    problems: list[Problem], fields: list[FormField], extra: tuple[str, ...] = ()
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Each problem's message at its field (by path, or a field's ``also`` paths, or a parent
    path; ``extra`` names other inputs of the form); the rest for the top of the form."""
    owners: dict[str, str] = {name: name for name in extra}
    for f in fields:
        owners[f.name] = f.name
        for other in f.also:
            owners[other] = f.name
    at_field: dict[str, list[str]] = {}
    general: list[Problem] = []
    for p in problems:
        owner = owners.get(p.path)
        if owner is None:  # e.g. investors[0].pay_in[1].amount_usd → investors[0].pay_in
            owner = next(
                (
                    owners[k]
                    for k in owners
                    if p.path.startswith(k + ".") or p.path.startswith(k + "[")
                ),
                None,
            )
        if owner is None:
            general.append(p)
            continue
        shown = "" if p.value is None else f" (got {p.shown_value})"
        at_field.setdefault(owner, []).append(shorten(p.message) + shown)
    return at_field, general


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _limit_problems(
    data: Mapping[str, Any], max_horizon_months: int, max_solve_seconds: float
) -> list[Problem]:
    """The service's own limits, checked on the raw values (so they show with other problems)."""
    policy = data.get("policy")
    if not isinstance(policy, Mapping):
        return []
    problems = []
    horizon = policy.get("horizon_months")
    if _is_number(horizon) and horizon > max_horizon_months:
        problems.append(
            Problem(
                "policy.horizon_months",
                f"the web service plans at most {max_horizon_months} months; use a shorter "
                "horizon here, or run `fabnet plan` on your own machine",
                horizon,
            )
        )
    limit = policy.get("time_limit_seconds")
    if _is_number(limit) and limit > max_solve_seconds:
        problems.append(
            Problem(
                "policy.time_limit_seconds",
                f"the web service gives the solver at most {max_solve_seconds:g} s",
                limit,
            )
        )
    return problems


def edited_scenario(
    text: str,
    fmt: str,
    data: dict[str, Any],
    edits: Mapping[str, Any],
    file: str | None,
    *,
    max_horizon_months: int,
    max_solve_seconds: float,
    write: bool = True,
) -> tuple[str, str, Scenario]:
    """Apply ``edits`` and validate; returns (text, fmt, scenario) of the edited scenario.

    Without edits the original text and format are kept; with edits the data is written as YAML
    (comments are not kept) unless ``write`` is false (a check that only validates). Raises :class:`ScenarioError` with every problem, including the
    service's limits on the horizon and the solver's time limit.
    """
    from fabnet.scenario import scenario_from_dict
    from fabnet.web.library import refuse_file_references

    new_data, problems = apply_edits(data, edits)
    if problems:
        raise ScenarioError(problems, file=file)
    refuse_file_references(new_data, file)
    limits = _limit_problems(new_data, max_horizon_months, max_solve_seconds)
    try:
        scenario = scenario_from_dict(new_data, file=file)
    except ScenarioError as error:
        raise ScenarioError(error.problems + limits, file=file) from None
    if limits:
        raise ScenarioError(limits, file=file)
    if not edits or not write:
        return text, fmt, scenario
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(new_data, Dumper=dumper, sort_keys=False, allow_unicode=True), "yaml", scenario
