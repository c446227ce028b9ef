"""A bounded fuzz of the scenario loader: whatever the text, the outcome is a Scenario or a
ScenarioError with a short message, in bounded time — never another exception.

Three sources of inputs: random edits of the valid base scenario's YAML text (with YAML's
dangerous tokens: aliases, tags, ``.inf``, impossible dates, tabs, NUL ...), the same for its JSON
and TOML, and random JSON-like values (non-finite floats, booleans, huge integers, deep lists)
put in random places of its data. Derandomized and capped, so CI runs the same few hundred
examples in a few seconds.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabnet.errors import ScenarioError
from fabnet.scenario import Scenario, parse_scenario_text, scenario_from_dict

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=3),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOKENS = [
    ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: *a", ".inf", "-.inf", ".nan", "NaN",
    "Infinity", "true", "no", "~", "null", "1e400", "1e308", "-1", "0", "99999999999999999999",
    "2024-02-30", "2024-13", "!!int ", "!!python/name:os.system ", "!!timestamp ", "'", '"',
    "#", "\n", "\n  ", "\t", "\x00", "\ufeff", "? ", "|", ">", "%YAML 1.1\n", "---\n", "...",
    "name", "customers", "demand", "demand_table: x.csv\n", "\\0", "é", "💥",
]  # fmt: skip


def _outcome(text: str, fmt: str) -> None:
    """The loader's contract: a Scenario, or a ScenarioError of bounded size."""
    try:
        data = parse_scenario_text(text, fmt, "fuzz")
        scenario = scenario_from_dict(data, file="fuzz")
    except ScenarioError as error:
        assert len(str(error)) < 64 * 1024
        assert len(json.dumps(error.to_dict())) < 64 * 1024
        assert error.problems or error.omitted
        return
    assert isinstance(scenario, Scenario)


@st.composite
def edited(draw: st.DrawFn, base: str) -> str:
    text = base
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        piece = draw(
            st.one_of(
                st.sampled_from(TOKENS),
                st.text(max_size=12),
                st.lists(st.sampled_from(TOKENS), max_size=6).map("".join),
            )
        )
        text = text[:start] + piece + text[end:]
    return text


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    from pathlib import Path

    corpus = Path(__file__).parent / "corpus"
    return {
        fmt: (corpus / f"base.{fmt}").read_text(encoding="utf-8")
        for fmt in ("yaml", "json", "toml")
    }


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_random_edits_of_a_scenario_end_in_a_scenario_or_its_error(texts, fmt):
    @FUZZ
    @given(edited(texts[fmt]))
    def check(text: str) -> None:
        _outcome(text, fmt)

    check()


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["2024-02-30", "2024-01", "1e400", "900.0e6", "H100-class", "OpenAI"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _places(data: object, prefix: tuple = ()) -> list[tuple]:
    """Every (container path) where a value could be replaced."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _places(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _places(value, (*prefix, i))
    return out


def test_random_values_in_random_places_end_in_a_scenario_or_its_error(texts):
    base = parse_scenario_text(texts["yaml"], "yaml")
    places = [p for p in _places(base) if p]

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from(places), JSONISH), min_size=1, max_size=3))
    def check(changes: list) -> None:
        data = json.loads(json.dumps(base))
        for place, value in changes:
            target = data
            try:
                for key in place[:-1]:
                    target = target[key]
                target[place[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed the place
        try:
            scenario = scenario_from_dict(data, file="fuzz")
        except ScenarioError as error:
            assert len(json.dumps(error.to_dict())) < 64 * 1024
            return
        assert isinstance(scenario, Scenario)

    check()
