"""Available-to-promise on a one-product instance solved by hand (conftest.contracted_world).

Each month: supply 1,000 (packaging), A's contract 600, B's planned 300 (no contract, priority 2),
100 units of headroom. A request of priority 1 may promise B's planned units; one ranked after
every customer (the default) only the headroom.

Earlier quotes, in arrival order (priority 1):
* X: 500 by 2024-02 → headroom Feb 100, Jan 100, then B's Feb 300 → all on time;
  left: Jan B 300, Feb nothing;
* Y: 600 by 2024-03 → headroom Mar 100, B's Mar 300, then B's Jan 200 → all on time;
  left: Jan B 100, Feb and Mar nothing, from April 400 a month.
Then Z asks 700 by 2024-03: 100 on time, 400 in April, 200 in May → complete 2024-05.
"""

from __future__ import annotations

import pytest

from fabnet.errors import UsageError
from fabnet.quote import AtpBook, PromiseLine, QuoteAnswer, QuoteRequest


def _lines(answer):
    return [(line.month, pytest.approx(line.quantity, abs=1e-6)) for line in answer.lines]


def test_plan_leaves_100_a_month_of_headroom(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    assert book.available("P").tolist() == pytest.approx([100.0] * 6, abs=1e-6)
    assert book.available("P", priority=1).tolist() == pytest.approx([400.0] * 6, abs=1e-6)
    assert book.notes == []


def test_atp_with_contracts_and_two_earlier_quotes(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    x = book.promise(QuoteRequest("X", "P", 500, "2024-02", priority=1))
    assert _lines(x) == [("2024-02", 500)]
    y = book.promise(QuoteRequest("Y", "P", 600, "2024-03", priority=1))
    assert _lines(y) == [("2024-03", 600)]
    z = book.promise(QuoteRequest("Z", "P", 700, "2024-03", priority=1))
    assert _lines(z) == [("2024-03", 100), ("2024-04", 400), ("2024-05", 200)]
    assert z.promised_quantity == pytest.approx(700)
    assert z.on_time_quantity == pytest.approx(100)
    assert z.complete_by == "2024-05"
    assert z.price_per_unit == 100.0  # list price: Z is not a customer of the scenario
    assert any("priority > 1" in n for n in z.notes)


def test_earlier_quotes_as_commitments_give_the_same_answer(contracted_world):
    sc, plan = contracted_world
    earlier = [
        ("P", [PromiseLine("2024-02", 500.0)], 1),
        ("P", [PromiseLine("2024-03", 600.0)], 1),
    ]
    book = AtpBook.from_plan(sc, plan.tables, earlier)
    z = book.promise(QuoteRequest("Z", "P", 700, "2024-03", priority=1))
    assert _lines(z) == [("2024-03", 100), ("2024-04", 400), ("2024-05", 200)]


def test_default_priority_promises_only_unplanned_supply(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    z = book.promise(QuoteRequest("Z", "P", 700, "2024-03", latest="2024-05"))
    # by March 300 of headroom (Jan-Mar), then 100 in April and 100 in May; not complete
    assert _lines(z) == [("2024-03", 300), ("2024-04", 100), ("2024-05", 100)]
    assert z.complete_by is None
    assert z.promised_quantity == pytest.approx(500)


def test_uncommitted_request_does_not_consume(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    book.promise(QuoteRequest("Z", "P", 100, "2024-01"), commit=False)
    assert book.available("P")[0] == pytest.approx(100.0)


def test_max_price_below_the_price_promises_nothing(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    a = book.promise(QuoteRequest("Z", "P", 50, "2024-01", max_price=80))
    assert not a.price_ok and a.promised_quantity == 0 and a.lines == ()
    assert book.available("P")[0] == pytest.approx(100.0)  # nothing consumed
    b = book.promise(QuoteRequest("B", "P", 50, "2024-01", max_price=100))  # B's own price
    assert b.price_ok and b.promised_quantity == pytest.approx(50)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (QuoteRequest("NewCo", "Q9", 10, "2024-02"), "unknown product 'Q9'"),
        (QuoteRequest("  ", "P", 10, "2024-02"), "unknown buyer"),
        (QuoteRequest("NewCo", "P", 0, "2024-02"), "quantity must be a number > 0"),
        (QuoteRequest("NewCo", "P", -5, "2024-02"), "quantity must be a number > 0"),
        (QuoteRequest("NewCo", "P", 10, "2031-02"), "outside the plan's horizon"),
        (QuoteRequest("NewCo", "P", 10, "2024-04", latest="2024-03"), "out of order"),
        (QuoteRequest("NewCo", "P", 10, "2024-04", max_price=0), "max price"),
    ],
)
def test_bad_requests_are_usage_errors(contracted_world, request_, message):
    sc, plan = contracted_world
    with pytest.raises(UsageError, match=message):
        AtpBook.from_plan(sc, plan.tables).promise(request_)


def test_answer_json_round_trip(contracted_world):
    sc, plan = contracted_world
    book = AtpBook.from_plan(sc, plan.tables)
    req = QuoteRequest("Z", "P", 700, "2024-03", priority=1)
    answer = QuoteAnswer(req, book.promise(req))
    data = answer.to_dict()
    assert {"atp", "promised_quantity", "complete_by"} <= set(data)
    assert data["atp"] == [{"month": "2024-03", "quantity": pytest.approx(700.0)}]
    assert QuoteAnswer.from_dict(data).to_dict() == data
