"""The hostile corpus: every file in ``corpus/`` gets the outcome listed here, through the CLI.

Each broken file must end with exit status 2 and, with ``--json``, a problem whose field path is
the one listed (``""``: the file as a whole, e.g. a syntax error with its line) and whose message
(with the value) contains every listed word; each odd-but-valid file must validate. Never a
traceback, never more than a second. The files are made by ``make_corpus.py`` from a small valid
scenario with one hostile change each (issue 15: alias bombs, deep nesting, non-finite numbers,
booleans as numbers, impossible dates, duplicate keys, NUL bytes in paths, hostile CSV and xlsx
demand tables, ...).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"

OK = "ok"
LINE = "at line"

# file → (field path of a problem, words its message and value must contain), or OK
EXPECTED: dict[str, tuple[str, ...] | str] = {
    # valid, plain and odd
    "base.yaml": OK,
    "base.json": OK,
    "base.toml": OK,
    "ok-norway.yaml": OK,  # `region: NO` is text, not false
    "ok-anchors-and-merge.yaml": OK,
    "ok-unicode-names.yaml": OK,
    "ok-crlf.yaml": OK,
    "ok-bom.yaml": OK,
    "ok-bom.json": OK,
    "ok-quoted-numbers.yaml": OK,  # "900.0e6" as text is still a number
    "ok-dates-with-days.yaml": OK,
    "ok-toml-date.toml": OK,
    "ok-table.yaml": OK,
    "ok-table-header-only.yaml": OK,
    "ok-table.xlsx.yaml": OK,
    "ok-zero-demand.yaml": OK,
    # resource exhaustion
    "alias-bomb-8.yaml": ("", LINE, "aliases", "500,000"),
    "alias-bomb-10.yaml": ("", LINE, "aliases", "500,000"),
    "alias-bomb-merge-keys.yaml": ("", LINE, "aliases"),
    "alias-many-customers.yaml": ("customers", "12,001 entries", "10,000"),
    "alias-recursive.yaml": ("", LINE, "recursive alias"),
    "deep-flow.yaml": ("", LINE, "nesting depth"),
    "deep-block.yaml": ("", LINE, "nested deeper than 32"),
    "deep-40.yaml": ("", LINE, "nested deeper than 32"),
    "deep.json": ("", "invalid JSON", "nested deeper"),
    "deep.toml": ("", "invalid TOML", "nested deeper"),
    "long-string.yaml": ("description", "20,000 characters", "10,000"),
    "long-series.yaml": ("customers[0].demand.H100-class", "1,500 points", "1,200"),
    "too-many-ramp-points.yaml": ("fabs[1].ramp_curve", "11,000 entries"),
    "huge-int.yaml": ("", LINE, "digits"),
    "huge-int.json": ("", "invalid JSON", "digits"),
    # syntax
    "duplicate-key-top.yaml": ("", "line 56", "duplicate key 'name'", "first at line 2"),
    "duplicate-key-nested.yaml": ("", "line 15", "duplicate key 'capacity_wspm'"),
    "duplicate-key.json": ("", "invalid JSON", "duplicate key 'name'"),
    "duplicate-key.toml": ("", "invalid TOML", LINE, "overwrite"),
    "python-tag.yaml": ("", LINE, "could not determine a constructor"),
    "unknown-tag.yaml": ("", LINE, "!custom"),
    "bad-int-tag.yaml": ("", LINE, "cannot read this value"),
    "impossible-timestamp-tag.yaml": ("", LINE, "day is out of range"),
    "multi-document.yaml": ("", LINE, "another document"),
    "tab-indent.yaml": ("", LINE, "tab"),
    "unhashable-key.yaml": ("", LINE, "unhashable"),
    "unclosed.json": ("", "invalid JSON", LINE),
    "trailing-comma.json": ("", "invalid JSON", LINE),
    "empty.yaml": ("", "must be a mapping"),
    "comment-only.yaml": ("", "must be a mapping"),
    "top-level-list.json": ("", "must be a mapping"),
    "top-level-string.yaml": ("", "must be a mapping"),
    "not-utf8.yaml": ("", "not UTF-8"),
    "binary-junk.yaml": ("", "not UTF-8"),
    "nul-byte-in-text.yaml": ("", "NUL"),
    # numbers
    "inf-capacity.yaml": ("fabs[0].capacity_wspm", "finite"),
    "neg-inf-price.yaml": ("products[0].list_price_usd", "finite"),
    "nan-customer-price.yaml": ("customers[0].price_usd.H100-class", "finite"),
    "nan-distribution.yaml": ("uncertainties[0].distribution.low", "finite"),
    "inf-commitment.yaml": ("investors[0].commitment_usd", "finite"),
    "inf-debt-limit.yaml": ("financing.debt_limit_usd", "finite"),
    "inf-time-limit.yaml": ("policy.time_limit_seconds", "finite"),
    "exponent-overflow.yaml": ("fabs[0].asking_price_usd", "finite"),
    "demand-1e308.yaml": ("customers[0].demand.H100-class", "0 .. 1e+09", "1e+308"),
    "demand-inf.yaml": ("customers[0].demand.H100-class", "finite"),
    "demand-series-nan.yaml": ("customers[0].demand.H100-class", "2024-06", "finite"),
    "demand-negative.yaml": ("customers[0].demand.H100-class", "0 .. 1e+09", "-5"),
    "nan.json": ("fabs[0].capacity_wspm", "finite"),
    "infinity.json": ("investors[0].commitment_usd", "finite"),
    "neg-infinity.json": ("products[0].list_price_usd", "finite"),
    "inf.toml": ("fabs[0].capacity_wspm", "finite"),
    "nan.toml": ("policy.time_limit_seconds", "finite"),
    "price-above-limit.yaml": ("products[0].list_price_usd", "less than or equal to 1000000000"),
    "money-above-limit.yaml": ("financing.debt_limit_usd", "less than or equal to"),
    "priority-ratio-huge.yaml": ("policy.priority_weight_ratio", "less than or equal to 10"),
    "lognormal-sigma-huge.yaml": ("uncertainties[0].distribution.sigma", "less than or equal"),
    "true-as-number.yaml": ("fabs[0].capacity_wspm", "true/false is not a number"),
    "true-as-number.json": ("fabs[0].capacity_wspm", "true/false is not a number"),
    "true-as-integer.yaml": ("policy.horizon_months", "true/false is not a number"),
    "true-in-series.yaml": ("customers[0].demand.H100-class", "true/false is not a number"),
    "yes-as-boolean.yaml": ("uncertainties[0].per_item", "valid boolean", "yes"),
    "sexagesimal-trap.yaml": ("fabs[0].capacity_wspm", "valid number", "12:30"),
    "octal-trap.yaml": ("nodes[0].mask_layers", "valid integer", "010"),
    "text-as-number.yaml": ("fabs[0].capacity_wspm", "valid number", "lots"),
    # dates
    "impossible-date.yaml": ("policy.start", "2024-02-30 is not a real date"),
    "impossible-date-quoted.yaml": ("fabs[0].available_from", "2023-02-29 is not a real date"),
    "impossible-date.toml": ("", "invalid TOML", "line 7", "date"),
    "month-13.yaml": ("policy.start", "month 13 does not exist", "YYYY-MM"),
    "year-1.yaml": ("policy.start", "year 1 is outside"),
    "series-bad-month.yaml": ("customers[0].demand.H100-class", "2024-02-31 is not a real date"),
    # shapes
    "list-as-name.yaml": ("customers[0].name", "valid string", "Open"),
    "list-as-name-with-table.yaml": ("customers[0].name", "valid string", "Open"),
    "customers-string-with-table.yaml": ("customers", "valid list", "oops"),
    "number-as-name.yaml": ("customers[0].name", "valid string", "123"),
    "int-key-in-demand.yaml": ("customers[0].demand[2024]", "key", "valid string"),
    "null-section.yaml": ("nodes", "valid list"),
    # file references
    "nul-in-demand-table-path.yaml": ("demand_table", "NUL"),
    "nul-in-operating-curve-path.yaml": ("fabs[0].operating_curve", "NUL"),
    "nul-in-smt2020-path.yaml": ("fab_templates[0].smt2020", "NUL"),
    "long-path.yaml": ("demand_table", "1,024 characters"),
    "demand-table-is-directory.yaml": ("demand_table", "a folder, not a table file"),
    "demand-table-missing.yaml": ("demand_table", "file not found", "nope.csv"),
    "operating-curve-missing.yaml": ("fabs[0].operating_curve", "file not found"),
    # demand tables: file, line and column
    "table-units-abc.yaml": ("demand_table (units-abc.csv line 2, column units)", "'abc'"),
    "table-units-negative.yaml": ("demand_table (units-negative.csv line 2, column units)", "0 .."),
    "table-units-empty.yaml": ("demand_table (units-empty.csv line 2, column units)", "empty"),
    "table-units-inf.yaml": ("demand_table (units-inf.csv line 2, column units)", "not a number"),
    "table-units-1e400.yaml": ("demand_table (units-1e400.csv line 2, column units)", "finite"),
    "table-units-nan.yaml": ("demand_table (units-nan.csv line 2, column units)", "not a number"),
    "table-units-true.yaml": ("demand_table (units-true.csv line 2, column units)", "TRUE"),
    "table-product-empty.yaml": (
        "demand_table (product-empty.csv line 2, column product)",
        "empty",
    ),
    "table-customer-unknown.yaml": (
        "demand_table (customer-unknown.csv line 2, column customer)",
        "unknown customer",
        "did you mean 'OpenAI'",
    ),
    "table-product-unknown.yaml": ("customers[0].demand.H200", "unknown product 'H200'"),
    "table-month-impossible.yaml": (
        "demand_table (month-impossible.csv line 2, column month)",
        "2024-02-30 is not a real date",
    ),
    "table-month-garbage.yaml": ("demand_table (month-garbage.csv line 2, column month)", "soon"),
    "table-column-extra.yaml": (
        "demand_table (column-extra.csv line 1, column unit)",
        "unknown column",
        "did you mean 'units'",
    ),
    "table-column-missing.yaml": ("demand_table (column-missing.csv line 1)", "missing column"),
    "table-row-duplicate.yaml": ("demand_table (row-duplicate.csv line 4)", "line 3"),
    "table-row-too-wide.yaml": ("demand_table (row-too-wide.csv line 2)", "5 fields"),
    "table-not-utf8.yaml": ("demand_table (not-utf8.csv)", "not UTF-8"),
    "table-nul-bytes.yaml": ("demand_table (nul-bytes.csv)", "NUL"),
    "table-empty.yaml": ("demand_table (empty.csv)", "empty"),
    "table-bad-quote.yaml": ("demand_table (bad-quote.csv line 3)", "not a valid CSV line"),
    "table-corrupt.yaml": ("demand_table (corrupt.xlsx)", "not a readable Excel workbook"),
    "table-units-bool.yaml": (
        "demand_table (units-bool.xlsx line 2, column D (units))",
        "not a number",
    ),
    "table-units-text.yaml": ("demand_table (units-text.xlsx line 2, column D (units))", "lots"),
    "table-month-number.yaml": (
        "demand_table (month-number.xlsx line 2, column C (month))",
        "YYYY-MM",
    ),
}


def _files() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_file())


def test_every_file_has_an_expected_outcome_and_there_are_at_least_60_hostile_ones():
    assert set(_files()) == set(EXPECTED), set(_files()) ^ set(EXPECTED)
    hostile = [name for name, outcome in EXPECTED.items() if outcome != OK]
    assert len(hostile) >= 60, len(hostile)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gets_its_outcome(cli_json, name):
    expected = EXPECTED[name]
    start = time.process_time()  # CPU time: the work done, whatever else runs on the machine
    code, body, text = cli_json("scenario", "validate", str(CORPUS / name))
    took = time.process_time() - start
    assert "Traceback" not in text
    assert took < 1.0, f"{name} took {took:.2f} s of CPU"
    if expected == OK:
        assert code == 0, text
        assert body == {"valid": True, "name": body["name"]}
        return
    assert code == 2, text
    assert body["error"] == "ScenarioError"
    path, *words = expected
    candidates = [p for p in body["problems"] if p["path"] == path]
    assert candidates, f"no problem at {path!r}: {json.dumps(body['problems'], indent=1)[:2000]}"
    shown = [f"{p['message']} {p['value']}" for p in candidates]
    assert any(all(w in s for w in words) for s in shown), (words, shown)
    assert len(text) < 64 * 1024
