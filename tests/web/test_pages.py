"""The HTML pages: dashboard, upload, the parameter form with errors at their fields, runs,
compare, and the token rules (Bearer header, login cookie, non-loopback hosts)."""

from __future__ import annotations

import re

import pytest
import yaml
from web_support import form_token

from fabnet.errors import UsageError

BUILTIN = "ai-fab-network-2024"


def field_errors(html: str, path: str) -> list[str]:
    """The error texts shown at the form field named by ``path``."""
    pattern = rf'<div class="error-text" data-error-for="{re.escape(path)}">(.*?)</div>'
    return re.findall(pattern, html)


def test_dashboard_offers_the_builtin_scenario_and_an_upload_form(client):
    page = client.get("/")
    assert page.status_code == 200
    assert f'href="/scenarios/{BUILTIN}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert "No runs yet" in page.text


def test_upload_form_redirects_to_the_scenario_or_lists_problems(client, tiny, tiny_yaml):
    csrf = {"csrf_token": form_token(client)}
    ok = client.post(
        "/upload", files={"file": ("tiny.yaml", tiny_yaml)}, data=csrf, follow_redirects=False
    )
    assert ok.status_code == 303 and re.fullmatch(
        r"/scenarios/[0-9a-f]{12}", ok.headers["location"]
    )
    tiny["customers"][0]["priority"] = 0
    bad = client.post("/upload", files={"file": ("bad.yaml", yaml.safe_dump(tiny))}, data=csrf)
    assert bad.status_code == 422
    assert 'id="upload-errors"' in bad.text and "customers[0].priority" in bad.text
    big = client.post(
        "/upload", files={"file": ("big.yaml", "#" * (2 * 1024 * 1024 + 10))}, data=csrf
    )
    assert big.status_code == 413


def test_form_shows_the_main_parameters(client):
    page = client.get(f"/scenarios/{BUILTIN}").text
    for path in (
        "policy.objective",
        "policy.allocation",
        "policy.discount_rate",
        "policy.horizon_months",
        "financing.debt_limit_usd",
        "investors[0].commitment_usd",
        "fabs[6].lead_time_months",
    ):
        assert f'name="{path}"' in page, path
    # money in millions: SoftBank's 3.0e9 shows as 3000
    assert re.search(r'name="investors\[0\]\.commitment_usd"[^>]*value="3000"', page)


def test_form_errors_appear_next_to_their_fields(client, fake_launcher):
    response = client.post(
        f"/scenarios/{BUILTIN}/run",
        data={
            "csrf_token": form_token(client),
            "policy.discount_rate": "abc",
            "policy.horizon_months": "12.5",
            "investors[1].commitment_usd": "4000",
        },
    )
    assert response.status_code == 422
    assert field_errors(response.text, "policy.discount_rate") == [
        "enter a number (got &#39;abc&#39;)"
    ]
    assert field_errors(response.text, "policy.horizon_months")[0].startswith(
        "enter a whole number"
    )
    assert 'value="abc"' in response.text  # what the user typed is kept
    assert fake_launcher.calls == []
    # values that parse but do not validate: the scenario's own messages, at the same fields
    response = client.post(
        f"/scenarios/{BUILTIN}/run",
        data={
            "csrf_token": form_token(client),
            "policy.discount_rate": "1.5",
            "investors[0].commitment_usd": "-5",
            "policy.horizon_months": "300",
        },
    )
    assert response.status_code == 422
    assert "less than or equal to 1" in field_errors(response.text, "policy.discount_rate")[0]
    assert field_errors(response.text, "investors[0].commitment_usd")
    assert "at most 240 months" in " ".join(field_errors(response.text, "policy.horizon_months"))
    assert fake_launcher.calls == []


def test_form_starts_a_run_and_goes_to_its_page(client, fake_launcher):
    response = client.post(
        f"/scenarios/{BUILTIN}/run",
        data={
            "csrf_token": form_token(client),
            "policy.allocation": "proportional",
            "investors[0].commitment_usd": "3500",
            "strategy": "buy",
            "kind": "plan",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    run_id = response.headers["location"].removeprefix("/runs/")
    call = fake_launcher.calls[-1]
    assert call["options"]["edits"] == {
        "policy.allocation": "proportional",
        "investors[0].commitment_usd": 3.5e9,
    }
    assert call["options"]["strategy"] == "buy"
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200 and run_id in page.text
    runs = client.get("/runs").text
    assert run_id in runs and 'name="a"' in runs


def test_compare_page_shows_both_runs(client):
    ids = [client.post("/api/runs", json={"scenario_id": BUILTIN}).json()["run_id"] for _ in "ab"]
    page = client.get("/compare", params={"a": ids[0], "b": ids[1]})
    assert page.status_code == 200
    assert 'id="compare-table"' in page.text and all(i in page.text for i in ids)
    assert client.get("/compare", params={"a": ids[0], "b": "nope"}).status_code == 404


def test_unknown_pages_are_readable_404s(client):
    for url in ("/runs/nope", "/scenarios/nope", "/no/such/page"):
        page = client.get(url)
        assert page.status_code == 404 and "<!DOCTYPE html>" in page.text


# -- tokens -------------------------------------------------------------------------------------


@pytest.fixture
def locked(home, fake_launcher):
    from fastapi.testclient import TestClient

    from fabnet.web import create_app

    with TestClient(create_app(home, token="s3cret", launcher=fake_launcher)) as test_client:
        yield test_client


def test_token_guards_writes_but_not_reads(locked, tiny_yaml):
    files = {"file": ("tiny.yaml", tiny_yaml)}
    assert locked.get("/api/runs").status_code == 200
    assert locked.get("/").status_code == 200
    missing = locked.post("/api/scenarios", files=files)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = locked.post("/api/scenarios", files=files, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert locked.post("/api/runs", json={"scenario_id": BUILTIN}).status_code == 401
    right = locked.post("/api/scenarios", files=files, headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 201


def test_login_form_sets_a_cookie_that_lets_the_pages_write(locked, fake_launcher):
    refused = locked.post(f"/scenarios/{BUILTIN}/run", data={})
    assert refused.status_code == 401 and 'name="token"' in refused.text
    csrf = form_token(locked, "/login")
    bad = locked.post("/login", data={"token": "guess", "next": "/", "csrf_token": csrf})
    assert bad.status_code == 401 and "not right" in bad.text
    good = locked.post(
        "/login",
        data={"token": "s3cret", "next": "https://evil.example/", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert good.status_code == 303 and good.headers["location"] == "/"  # no open redirect
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    started = locked.post(
        f"/scenarios/{BUILTIN}/run", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert started.status_code == 303 and len(fake_launcher.calls) == 1


def test_non_loopback_host_needs_a_token(home):
    from fabnet.web import create_app, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    with pytest.raises(UsageError, match="--token"):
        create_app(home, host="0.0.0.0")
    create_app(home, host="0.0.0.0", token="t")  # fine with a token


def test_serve_command_refuses_an_open_public_bind(cli):
    result = cli("serve", "--host", "0.0.0.0", "--token", "", "--json")
    assert result.exit_code == 2
    assert "--token" in result.stdout


def test_risk_form_checks_samples_at_their_field(client, fake_launcher):
    response = client.post(
        f"/scenarios/{BUILTIN}/run",
        data={"kind": "risk", "samples": "50000", "seed": "x", "csrf_token": form_token(client)},
    )
    assert response.status_code == 422
    assert field_errors(response.text, "samples")[0].startswith("enter a whole number from 1 to")
    assert field_errors(response.text, "seed")
    assert fake_launcher.calls == []
    started = client.post(
        f"/scenarios/{BUILTIN}/run",
        data={"kind": "risk", "samples": "2,000", "seed": "11", "csrf_token": form_token(client)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert fake_launcher.calls[-1]["kind"] == "risk"
    assert (
        fake_launcher.calls[-1]["options"]["samples"],
        fake_launcher.calls[-1]["options"]["seed"],
    ) == (2000, 11)
