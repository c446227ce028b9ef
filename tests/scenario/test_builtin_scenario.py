"""The built-in scenario loads, round-trips through every format, and cites its figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fabnet.scenario import (
    ExistingFab,
    GreenfieldSite,
    Scenario,
    builtin_scenario_path,
    dump_scenario,
    load_scenario,
    save_scenario,
    series_values,
)


def test_builtin_is_the_default_and_describes_early_2024():
    s = load_scenario()
    assert s.name == "ai-fab-network-2024"
    assert s.policy.start == "2024-01" and s.policy.horizon_months == 120
    commitments = sum(v.commitment_usd for v in s.investors)
    # docs/sources.md §A: the venture seeks 8-10 B$ from partners (Bloomberg, 2024-01-19)
    assert 8e9 <= commitments <= 10e9
    assert {v.name for v in s.investors} == {"SoftBank", "G42", "OpenAI"}
    assert {c.name for c in s.customers} == {
        "OpenAI",
        "Microsoft",
        "Meta",
        "Google",
        "AWS",
        "other",
    }
    assert s.existing_fabs and s.greenfield_sites
    assert {f.region for f in s.greenfield_sites} >= {"Taiwan", "Japan", "US", "Gulf"}
    b200 = s.product("B200-class")
    assert b200.compute_dies == 2  # docs/sources.md §H: two reticle-limited dies


def test_every_number_in_the_builtin_file_is_sourced_or_marked_estimate():
    """Each line with a figure carries [S §X] / [S? §X] or [E] (its own or its block's comment)."""
    text = builtin_scenario_path().read_text()
    unsourced = []
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0]
        if not re.search(r":\s*[-0-9.]+e?[0-9]*\s*$", body) and "{" not in body:
            continue
        key = body.strip().split(":", 1)[0].strip("- ")
        if key in _STRUCTURAL_KEYS or re.match(r"^\d{4}-\d{2}$", key):
            continue
        if "#" not in line:
            unsourced.append(f"{lineno}: {line.strip()}")
    assert not unsourced, "figures without a source or [E] mark:\n" + "\n".join(unsourced)


def test_cited_sections_exist_in_the_projects_sources_page():
    """Every ``[S §X]`` / ``[S? §X]`` the built-in file cites is a section of docs/sources.md, and
    the file points there and to no path outside the project (a user's clone has nothing beside
    it)."""
    text = builtin_scenario_path().read_text()
    assert "docs/sources.md" in text
    assert "../" not in text, "the built-in scenario names a path outside the project"
    sources = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
    headings = set(re.findall(r"^## §([A-Z])\b", sources.read_text(), flags=re.M))
    cited = set()
    for group in re.findall(r"\[S\??((?:[ ,]*§[A-Z])+)", text):
        cited |= set(re.findall(r"§([A-Z])", group))
    assert cited, "no [S §X] citations found"
    assert cited <= headings, f"cited but missing from docs/sources.md: {sorted(cited - headings)}"


_STRUCTURAL_KEYS = {
    "start", "horizon_months", "monthly_detail_months", "priority", "compute_dies", "mip_gap",
    "time_limit_seconds", "ramp_months", "max_modules", "learning_tau_months", "tax_rate",
    "minimum_cash_usd", "priority_weight_ratio", "capacity_wpm", "loading",
}  # fmt: skip
"""Keys whose value is a modelling choice or a count named in the text, not a public figure."""


@pytest.mark.parametrize("suffix", [".yaml", ".toml", ".json"])
def test_round_trip_through_each_format(tmp_path, suffix):
    s = load_scenario()
    path = save_scenario(s, tmp_path / f"copy{suffix}")
    again = load_scenario(path)
    assert again == s


def test_dump_is_loadable_text():
    s = load_scenario()
    assert "H100-class" in dump_scenario(s, "yaml")


def test_lookups_and_months():
    s = load_scenario()
    assert s.months[0] == "2024-01" and s.months[-1] == "2033-12" == s.end_month
    assert s.month_index("2025-03") == 14
    assert isinstance(s.fab("Utah 300mm fab"), ExistingFab)
    assert isinstance(s.fab("Taiwan (Tainan)"), GreenfieldSite)
    with pytest.raises(KeyError, match="known"):
        s.product("H200")


def test_series_interpolates_linearly_and_holds_flat_ends():
    series = {"2024-01": 0.0, "2024-05": 400.0}
    assert series_values(series, ["2023-11", "2024-01", "2024-03", "2024-05", "2025-01"]) == [
        0.0, 0.0, 200.0, 400.0, 400.0,
    ]  # fmt: skip
    assert series_values(7.0, ["2024-01", "2024-02"]) == [7.0, 7.0]


def test_demand_table_from_csv_and_xlsx(tmp_path, builtin_dict, write_scenario):
    import pandas as pd

    rows = pd.DataFrame(
        {"customer": ["Meta", "Meta"], "product": ["Infer-N7", "Infer-N7"],
         "month": ["2025-01", "2026-01"], "units": [1000, 3000]}
    )  # fmt: skip
    rows.to_csv(tmp_path / "demand.csv", index=False)
    rows.to_excel(tmp_path / "demand.xlsx", index=False)
    for table in ("demand.csv", "demand.xlsx"):
        builtin_dict["demand_table"] = table
        s = load_scenario(write_scenario(builtin_dict))
        meta = s.customer("Meta")
        assert meta.demand["Infer-N7"] == {"2025-01": 1000.0, "2026-01": 3000.0}
        assert s.demand_table is None  # merged: the saved scenario stands alone


def test_from_dict_runs_the_consistency_checks(builtin_dict):
    from fabnet.errors import ScenarioError

    builtin_dict["products"][0]["node"] = "N5"
    with pytest.raises(ScenarioError, match=r"products\[0\]\.node"):
        Scenario.from_dict(builtin_dict)
