"""Quotes in the web service: the API endpoint and the form on a plan run's page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import form_token

from fabnet.pipelines.plan import record_plan
from fabnet.plan import solve_plan
from fabnet.scenario import dump_scenario
from fabnet.store import RunStore
from fabnet.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plan"))
from tiny_scenarios import tiny_scenario

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def plan_home(tmp_path_factory):
    """A store with one finished plan: A (priority 1) has a contract for 600 P/month, B
    (priority 2) wants 300; 1,000 can be made a month (tests/quote/test_quote_atp.py)."""
    customers = [
        {"name": "A", "priority": 1, "demand": {"P": 600}, "contracted": {"P": 600}},
        {"name": "B", "priority": 2, "demand": {"P": 300}},
    ]
    sc = tiny_scenario(customers, horizon=6, pack_cost=100.0, policy={"allocation": "contracts"})
    home = tmp_path_factory.mktemp("quote-web")
    store = RunStore(home)
    with store.start_run("plan", sc.name, dump_scenario(sc), {}) as run:
        record_plan(run, solve_plan(sc), sc.name)
    with store.start_run("risk", sc.name, "", {}) as risk:
        risk.set_summary({"npv_p50": 1.0})
    store.close()
    return home, run.id, risk.id


@pytest.fixture
def client(plan_home):
    home, _run, _risk = plan_home
    with TestClient(create_app(home, token=TOKEN)) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}
BODY = {"buyer": "NewCo", "product": "P", "quantity": 700, "wanted": "2024-03", "priority": 1}


def test_api_quote_answers_with_the_cli_json(client, plan_home):
    _home, run_id, _risk = plan_home
    r = client.post(f"/api/runs/{run_id}/quote", json=BODY, headers=AUTH)
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["atp"] == [{"month": "2024-03", "quantity": pytest.approx(700.0)}]
    assert d["promised_quantity"] == pytest.approx(700.0) and d["complete_by"] == "2024-03"
    got = client.get(f"/api/quotes/{d['id']}").json()
    assert got["status"] == "proposed"
    listed = client.get(f"/api/runs/{run_id}/quotes").json()["quotes"]
    assert d["id"] in [q["id"] for q in listed]
    r = client.post(f"/api/quotes/{d['id']}/expire", headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "expired"


def test_api_writes_need_the_token(client, plan_home):
    _home, run_id, _risk = plan_home
    assert client.post(f"/api/runs/{run_id}/quote", json=BODY).status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"product": "Q9"}, 422, "unknown product"),
        ({"buyer": " "}, 422, "unknown buyer"),
        ({"quantity": 0}, 422, "quantity must be"),
        ({"wanted": "2031-01"}, 422, "outside the plan's horizon"),
    ],
)
def test_api_bad_requests_are_4xx(client, plan_home, change, status, message):
    _home, run_id, _risk = plan_home
    r = client.post(f"/api/runs/{run_id}/quote", json={**BODY, **change}, headers=AUTH)
    assert r.status_code == status
    assert message in r.json()["message"]


def test_api_run_that_is_not_a_plan(client, plan_home):
    _home, _run_id, risk_id = plan_home
    r = client.post(f"/api/runs/{risk_id}/quote", json=BODY, headers=AUTH)
    assert r.status_code == 422 and "not a plan" in r.json()["message"]
    assert client.post("/api/runs/nosuch/quote", json=BODY, headers=AUTH).status_code == 404


def test_quote_page_form_chart_and_displacements(client, plan_home):
    _home, run_id, _risk = plan_home
    page = client.get(f"/runs/{run_id}")
    assert f'href="/runs/{run_id}/quote"' in page.text
    form = client.get(f"/runs/{run_id}/quote")
    assert form.status_code == 200 and 'id="quote-form"' in form.text
    data = {"buyer": "NewCo", "product": "P", "quantity": "200", "wanted": "2024-02", "ctp": "on"}
    client.cookies.set("fabnet_token", TOKEN)
    refused = client.post(f"/runs/{run_id}/quote", data=data)  # no form token: a cross-site post
    assert refused.status_code == 403
    data["csrf_token"] = form_token(client, f"/runs/{run_id}/quote")
    r = client.post(f"/runs/{run_id}/quote", data=data)
    assert r.status_code == 200, r.text
    assert 'id="quote-chart"' in r.text and 'id="quote-displaced"' in r.text
    assert "break-even price" in r.text
    bad = client.post(f"/runs/{run_id}/quote", data={**data, "quantity": "-1"})
    assert bad.status_code == 422 and "quantity must be" in bad.text
