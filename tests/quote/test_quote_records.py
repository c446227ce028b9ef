"""Quotes as records: the store, the CLI (`fabnet quote`, `fabnet quotes`), batches from CSV,
bad requests (exit 2), and an accepted quote honoured by the next plan."""

from __future__ import annotations

import json

import pytest
from tiny_scenarios import tiny_scenario

from fabnet.errors import UsageError
from fabnet.pipelines.plan import record_plan
from fabnet.pipelines.quote import make_quote, make_quotes, read_requests_csv, with_accepted_quotes
from fabnet.plan import solve_plan
from fabnet.quote import QuoteRequest, is_quote_customer
from fabnet.scenario import dump_scenario
from fabnet.store import RunStore
from fabnet.store.quotes import QuoteStore


@pytest.fixture
def store_with_plan(tmp_path, contracted_world):
    """A run store holding the plan of contracted_world as a finished plan run."""
    sc, plan = contracted_world
    store = RunStore(tmp_path / "home")
    with store.start_run("plan", sc.name, dump_scenario(sc), {"policy": "contracts"}) as run:
        record_plan(run, plan, sc.name)
    return store, run.id


def test_quotes_on_a_run_consume_its_atp_in_arrival_order(store_with_plan):
    store, run_id = store_with_plan
    x = make_quote(store, run_id, QuoteRequest("X", "P", 500, "2024-02", priority=1))
    y = make_quote(store, "latest", QuoteRequest("Y", "P", 600, "2024-03", priority=1))
    z = make_quote(store, run_id[:10], QuoteRequest("Z", "P", 700, "2024-03", priority=1))
    assert [(ln.month, ln.quantity) for ln in z.answer.lines] == [
        ("2024-03", pytest.approx(100)),
        ("2024-04", pytest.approx(400)),
        ("2024-05", pytest.approx(200)),
    ]
    quotes = QuoteStore(store)
    assert [q.id for q in quotes.list(plan_run=run_id)] == [x.id, y.id, z.id]
    quotes.expire(y.id)  # Y's and Z's supply is free again: by March 1,200 - X's 500 are left
    quotes.expire(z.id)
    again = make_quote(store, run_id, QuoteRequest("Z", "P", 700, "2024-03", priority=1))
    assert again.answer.atp.on_time_quantity == pytest.approx(700)


def test_status_moves(store_with_plan):
    store, run_id = store_with_plan
    quotes = QuoteStore(store)
    rec = make_quote(store, run_id, QuoteRequest("X", "P", 50, "2024-02"))
    assert rec.status == "proposed"
    assert quotes.accept(rec.id[:12]).status == "accepted"
    assert quotes.expire(rec.id).status == "expired"
    with pytest.raises(UsageError, match="cannot become accepted"):
        quotes.accept(rec.id)
    nothing = make_quote(store, run_id, QuoteRequest("X", "P", 50, "2024-02", max_price=1))
    with pytest.raises(UsageError, match="promises nothing"):
        quotes.accept(nothing.id)


def test_batch_from_csv_in_arrival_order(store_with_plan, tmp_path):
    store, run_id = store_with_plan
    csv = tmp_path / "requests.csv"
    csv.write_text(
        "buyer,product,quantity,by,priority\n"
        "X,P,500,2024-02,1\nY,P,600,2024-03,1\nZ,P,700,2024-03,1\n"
    )
    records = make_quotes(store, run_id, read_requests_csv(csv))
    assert [r.answer.request.buyer for r in records] == ["X", "Y", "Z"]
    assert records[2].answer.atp.complete_by == "2024-05"
    bad = tmp_path / "bad.csv"
    bad.write_text("buyer,product,quantity,by\nX,P,5,2024-02\nY,P,zero,2024-03\n")
    with pytest.raises(UsageError, match="line 3"):
        read_requests_csv(bad)


def test_accepted_quote_is_honoured_by_the_next_plan(tmp_path):
    # A (priority 1) wants all 1,000 P a month; NewCo's accepted quote of 300 in February is a
    # contract: the next plan (contracts first) gives NewCo its 300 and A 700 in February.
    sc = tiny_scenario(
        [{"name": "A", "priority": 1, "demand": {"P": 1000}, "price_usd": {"P": 100}}],
        policy={"allocation": "contracts"},
    )
    plan = solve_plan(sc)
    store = RunStore(tmp_path / "home")
    with store.start_run("plan", sc.name, dump_scenario(sc), {}) as run:
        record_plan(run, plan, sc.name)
    ctp = make_quote(
        store, run.id, QuoteRequest("NewCo", "P", 300, "2024-02", priority=1), ctp=True
    )
    assert ctp.answer.ctp is not None and ctp.answer.ctp.quantity == pytest.approx(300)
    QuoteStore(store).accept(ctp.id)
    nxt = with_accepted_quotes(store, sc)
    names = [c.name for c in nxt.customers if is_quote_customer(c.name)]
    assert names == [f"quote {ctp.id} NewCo"]
    dl = solve_plan(nxt).tables["deliveries"].set_index(["customer", "month"])["delivered"]
    assert dl[(names[0], "2024-02")] == pytest.approx(300, abs=1e-3)
    assert dl[("A", "2024-02")] == pytest.approx(700, abs=1e-3)
    assert dl[("A", "2024-01")] == pytest.approx(1000, abs=1e-3)
    assert with_accepted_quotes(store, nxt) is nxt  # applied once only

    # `fabnet plan` (the plan pipeline) applies the store's accepted quotes by itself
    from fabnet.pipelines import PlanOptions, ScenarioInput, run_plan

    outcome = run_plan(ScenarioInput.of(sc), PlanOptions(), store)
    dl2 = outcome.tables["deliveries"].set_index(["customer", "month"])["delivered"]
    assert dl2[(names[0], "2024-02")] == pytest.approx(300, abs=1e-3)
    assert store.get(outcome.run_id).options["accepted_quotes"] == [ctp.id]


# -- CLI ---------------------------------------------------------------------------------------


def _json(result):
    return json.loads(result.stdout)


def test_cli_quote_json_keys(cli, store_with_plan):
    store, _run_id = store_with_plan
    home = str(store.home)
    r = cli("quote", "--plan", "latest", "--buyer", "NewCo", "--product", "P", "--quantity",
            "700", "--by", "2024-03", "--priority", "1", "--home", home, "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    d = _json(r)
    assert d["atp"] == [{"month": "2024-03", "quantity": pytest.approx(700.0)}]
    assert d["promised_quantity"] == pytest.approx(700.0) and d["complete_by"] == "2024-03"
    r = cli("quotes", "accept", d["id"], "--home", home, "--json")
    assert r.exit_code == 0 and _json(r)["status"] == "accepted"
    r = cli("quotes", "list", "--home", home, "--json")
    assert [q["id"] for q in _json(r)["quotes"]] == [d["id"]]


def test_cli_ctp_json_keys(cli, store_with_plan):
    store, _run_id = store_with_plan
    r = cli("quote", "--plan", "latest", "--buyer", "NewCo", "--product", "P", "--quantity",
            "200", "--by", "2024-02", "--ctp", "--accept", "--home", str(store.home), "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    d = _json(r)
    assert d["status"] == "accepted"
    assert set(d["ctp"]) >= {"complete_by", "quantity", "price_per_unit", "displaced",
                             "npv_change"}  # fmt: skip
    assert d["ctp"]["quantity"] == pytest.approx(200) and d["ctp"]["complete_by"] == "2024-02"
    # NewCo ranks after A and B: it is made from the spare 100/month (Jan + Feb), 10 $ a unit
    assert d["ctp"]["displaced"] == []
    assert d["ctp"]["price_per_unit"] == pytest.approx(10.0, rel=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product", "Q9"], "unknown product"),
        (["--buyer", " "], "unknown buyer"),
        (["--quantity", "0"], "quantity must be"),
        (["--by", "2031-01"], "outside the plan's horizon"),
        (["--by", "2024-13"], "month"),
    ],
)
def test_cli_bad_requests_exit_2(cli, store_with_plan, args, message):
    store, _run_id = store_with_plan
    base = {"--buyer": "NewCo", "--product": "P", "--quantity": "10", "--by": "2024-02"}
    base[args[0]] = args[1]
    flat = [x for kv in base.items() for x in kv]
    r = cli("quote", "--plan", "latest", *flat, "--home", str(store.home), "--json")
    assert r.exit_code == 2
    d = _json(r)
    assert d["error"] == "UsageError" and message in d["message"]


def test_cli_run_that_is_not_a_plan_exits_2(cli, store_with_plan):
    store, _run_id = store_with_plan
    with store.start_run("risk", "tiny", "", {}) as run:
        run.set_summary({"npv_p50": 1.0})
    r = cli("quote", "--plan", run.id, "--buyer", "NewCo", "--product", "P", "--quantity", "5",
            "--by", "2024-02", "--home", str(store.home), "--json")  # fmt: skip
    assert r.exit_code == 2
    assert "not a plan" in _json(r)["message"]
    r = cli("quote", "--plan", "nosuchrun", "--buyer", "NewCo", "--product", "P", "--quantity",
            "5", "--by", "2024-02", "--home", str(store.home))  # fmt: skip
    assert r.exit_code == 2


def test_cli_batch_table(cli, store_with_plan, tmp_path):
    store, _run_id = store_with_plan
    csv = tmp_path / "requests.csv"
    csv.write_text("buyer,product,quantity,by,priority\nX,P,500,2024-02,1\nZ,P,700,2024-03,1\n")
    r = cli("quote", "--plan", "latest", "--requests", str(csv), "--home", str(store.home))
    assert r.exit_code == 0, r.output
    assert "2 quotes" in r.stdout and "X" in r.stdout


def test_cli_quotes_scenario_writes_accepted_quotes_as_contracts(cli, tmp_path):
    sc = tiny_scenario(
        [{"name": "A", "priority": 2, "demand": {"P": 1000}, "price_usd": {"P": 100}}],
        policy={"allocation": "contracts"},
    )
    store = RunStore(tmp_path / "home")
    with store.start_run("plan", sc.name, dump_scenario(sc), {}) as run:
        record_plan(run, solve_plan(sc), sc.name)
    rec = make_quote(store, run.id, QuoteRequest("NewCo", "P", 300, "2024-02", priority=1))
    QuoteStore(store).accept(rec.id)
    scenario_file = tmp_path / "tiny.yaml"
    scenario_file.write_text(dump_scenario(sc))
    out = tmp_path / "with-quotes.yaml"
    r = cli("quotes", "scenario", str(scenario_file), "--out", str(out), "--home",
            str(store.home), "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert _json(r)["quote_customers"] == [f"quote {rec.id} NewCo"]
    assert f"quote {rec.id} NewCo" in out.read_text()
