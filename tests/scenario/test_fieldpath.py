"""Scenario field paths (``fabnet sweep``): the dotted path finds the value the scenario file
holds, values parse as written on a command line, and a bad path or value names both."""

from __future__ import annotations

import pytest

from fabnet.errors import ScenarioError
from fabnet.scenario import load_scenario, scenario_from_dict
from fabnet.scenario.fieldpath import parse_value, with_values


@pytest.fixture(scope="module")
def builtin():
    return load_scenario(None)


@pytest.mark.parametrize(
    ("text", "value"),
    [("30", 30), ("-2", -2), ("0.25", 0.25), ("1e9", 1.0e9), (" 2.5E-3 ", 0.0025),
     ("true", True), ("False", False), ("2026-01", "2026-01"), ("nan", "nan"), ("N4", "N4")],
)  # fmt: skip
def test_values_parse_as_written(text, value):
    got = parse_value(text)
    assert got == value and type(got) is type(value)


def test_paths_reach_sections_named_items_per_node_lists_and_wildcards(builtin):
    """The built-in's Arizona site lists N4 at 0.70 B$ per 1k wspm (scenario file); the path
    names the site by ``name`` and the node by ``node``."""
    assert builtin.fab("US (Arizona)").nodes[0].capex_per_kwspm_usd == 0.70e9
    s = with_values(
        builtin,
        {
            "financing.tax_rate": 0.25,
            "fabs.US (Arizona).nodes.N4.capex_per_kwspm_usd": 0.9e9,
            "fabs.*.lead_time_months": 40,  # the greenfield sites only: bought fabs have none
            "customers.other.price_usd.Infer-N7": 4500,
            "policy.discount_rate": 0.12,
        },
    )
    assert s.financing.tax_rate == 0.25 and s.policy.discount_rate == 0.12
    assert [n.capex_per_kwspm_usd for n in s.fab("US (Arizona)").nodes] == [0.9e9, 0.85e9]
    assert [f.lead_time_months for f in s.greenfield_sites] == [40, 40, 40, 40]
    assert s.customer("other").price_usd["Infer-N7"] == 4500
    # everything else is the scenario's own
    assert s.fab("Taiwan (Tainan)").nodes == builtin.fab("Taiwan (Tainan)").nodes
    assert s.customer("Meta") == builtin.customer("Meta")
    assert builtin.financing.tax_rate == 0.20  # the original is not changed
    # a position names a list item too
    assert (
        with_values(builtin, {"nodes.0.learning_tau_months": 7.0}).nodes[0].learning_tau_months
        == 7.0
    )


def test_item_names_may_contain_dots(builtin_dict):
    builtin_dict["fabs"][0]["name"] = "Utah fab no. 1.5"
    s = with_values(
        scenario_from_dict(builtin_dict), {"fabs.Utah fab no. 1.5.opex_per_wafer_usd": 3900}
    )
    assert s.fabs[0].opex_per_wafer_usd == 3900 and s.fabs[1].opex_per_wafer_usd == 3600


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("financing.tax", 0.2, "financing has no field 'tax'; known: debt_limit_usd"),
        ("fabs.Mars.lead_time_months", 3, "fabs has no item 'Mars'; known: Utah 300mm fab"),
        ("financing.tax_rate", "abc", "must be a number (the scenario has 0.2)"),
        ("financing.tax_rate", 1.5, "less than or equal to 1 (after setting financing.tax_rate=1.5)"),
        ("policy.horizon_months", 12.5, "valid integer"),
        ("fabs", 3, "is a list; give the path down to one value"),
        ("financing.tax_rate.x", 1, "financing.tax_rate is a number, it has no field 'x'"),
        ("fabs.*.nope", 1, "no item has this field"),
        ("customers.OpenAI.demand.H100-class", 3, "is a section by month; give a month, e.g. "
         "customers.OpenAI.demand.H100-class.2024-01"),
        ("uncertainties.0.per_item", 3, "must be true or false"),
    ],
)  # fmt: skip
def test_bad_paths_and_values_name_the_field_and_the_value(builtin, path, value, message):
    with pytest.raises(ScenarioError) as info:
        with_values(builtin, {path: value}, source="ai-fab-network-2024")
    problem = info.value.problems[0]
    assert message in problem.message
    assert path.split(".")[0] in problem.path
    if path not in (
        "financing.tax",
        "fabs.Mars.lead_time_months",
        "fabs.*.nope",
        "financing.tax_rate.x",
    ):
        assert problem.value == value
    assert "ai-fab-network-2024" in str(info.value)
