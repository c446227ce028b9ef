"""fabnet.vocab: the modes as StrEnums (equal to their old strings) and the calendar month."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fabnet.errors import UsageError
from fabnet.scenario import add_months, month_index
from fabnet.vocab import (
    AllocationPolicy,
    ExecutorKind,
    Month,
    MonthError,
    Objective,
    Recourse,
    ReleaseMode,
    RobustMethod,
    Strategy,
    parse,
)

MODES = {
    Objective: ("npv", "shortage", "cost"),
    AllocationPolicy: ("priority", "proportional", "maxmin", "contracts"),
    Strategy: ("mixed", "buy", "build"),
    Recourse: ("fast", "lp"),
    ExecutorKind: ("local", "ray"),
    RobustMethod: ("saa", "candidates"),
    ReleaseMode: ("orders", "conwip"),
}


@pytest.mark.parametrize("kind", list(MODES), ids=lambda k: k.__name__)
def test_modes_are_their_old_strings(kind):
    assert kind.values() == MODES[kind]
    for text in MODES[kind]:
        member = kind.parse(text)
        assert member == text and text == member and str(member) == text
        assert member in MODES[kind] and hash(member) == hash(text)
        assert json.dumps({"mode": member}) == json.dumps({"mode": text})
        assert kind.parse(member) is member


def test_the_enums_match_the_names_the_core_checks_today():
    """The lead adopts these in plan/risk/fab; until then they must list the same values."""
    from fabnet.fab.engine import SimConfig
    from fabnet.plan import OBJECTIVES, POLICIES, STRATEGIES
    from fabnet.risk import EXECUTORS
    from fabnet.risk.robust import METHODS

    assert set(Objective.values()) == set(OBJECTIVES)
    assert set(AllocationPolicy.values()) == set(POLICIES)
    assert set(Strategy.values()) == set(STRATEGIES)
    assert set(ExecutorKind.values()) == set(EXECUTORS)
    assert set(RobustMethod.values()) == set(METHODS)
    assert SimConfig.__dataclass_fields__["release"].default in ReleaseMode.values()


@pytest.mark.parametrize("bad", ["fairest", "NPV", "", 3, None, ["npv"]])
def test_parse_names_the_option_and_every_valid_value(bad):
    with pytest.raises(UsageError) as caught:
        AllocationPolicy.parse(bad, what="--policy")
    message = str(caught.value)
    assert message.startswith(f"unknown allocation policy {bad!r}")
    assert "--policy must be one of: priority, proportional, maxmin, contracts" in message


def test_parse_helper_passes_none_through():
    assert parse(Strategy, None) is None
    assert parse(Strategy, "buy") is Strategy.BUY
    with pytest.raises(UsageError, match="unknown executor 'spark'; executor must be one of"):
        parse(ExecutorKind, "spark")


def test_month_parses_strictly():
    m = Month.parse("2024-03")
    assert (m.year, m.month) == (2024, 3) and str(m) == "2024-03" and repr(m) == "Month('2024-03')"
    assert Month.parse(m) is m
    for bad in ("2024-3", "2024-13", "2024-00", "24-03", "2024-03-01", " 2024-03", "2024/03",
                "0000-01", 202403, None):  # fmt: skip
        with pytest.raises(MonthError, match="YYYY-MM"):
            Month.parse(bad)
    with pytest.raises(MonthError):
        Month(2024, 13)
    # a MonthError is a UsageError for the CLI and a ValueError for pydantic validators
    assert issubclass(MonthError, UsageError) and issubclass(MonthError, ValueError)


def test_month_arithmetic_and_order():
    nov = Month.parse("2024-11")
    assert str(nov + 3) == "2025-02" and str(3 + nov) == "2025-02"
    assert str(nov - 11) == "2023-12" and str(nov + 0) == "2024-11"
    assert Month.parse("2025-02") - nov == 3 and nov - Month.parse("2025-02") == -3
    assert nov < nov + 1 and max(nov, nov - 1) == nov
    assert sorted([nov + 2, nov, nov + 1]) == [nov, nov + 1, nov + 2]
    assert [str(m) for m in Month.parse("2024-12").range(3)] == ["2024-12", "2025-01", "2025-02"]
    assert {nov: 1}[Month(2024, 11)] == 1
    assert Month.from_index(nov.index) == nov
    from datetime import date

    assert Month.of(date(2024, 11, 30)) == nov
    with pytest.raises(TypeError):
        nov + 1.5  # type: ignore[operator]


@given(
    st.integers(min_value=1990, max_value=2200),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=-600, max_value=600),
)
def test_month_agrees_with_the_scenario_helpers(year, month, n):
    text = f"{year:04d}-{month:02d}"
    m = Month.parse(text)
    assert str(m + n) == add_months(text, n)
    assert (m + n) - m == n == month_index(add_months(text, n), text)
    assert (m + n > m) == (n > 0)
