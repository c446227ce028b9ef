"""The JSON API through FastAPI's TestClient: scenarios, uploads, edits, limits, names, errors.

Runs are started by a fake launcher here (no solver); the real job processes are tested in
``test_jobs.py``.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from fabnet.errors import ScenarioError
from fabnet.scenario import BUILTIN_SCENARIOS, parse_scenario_text, scenario_from_dict

BUILTIN = "ai-fab-network-2024"


def upload(client, text: str | bytes, name: str = "mine.yaml", headers=None):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/api/scenarios", files={"file": (name, data)}, headers=headers or {})


def test_health_lists_limits_and_kinds(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["auth_required"] is False
    assert "plan" in body["job_kinds"]
    assert body["limits"]["max_upload_bytes"] == 2 * 1024 * 1024
    assert body["limits"]["max_horizon_months"] == 240


def test_builtin_scenario_is_always_offered_with_its_parameters(client):
    listed = client.get("/api/scenarios").json()
    assert listed[0]["id"] == BUILTIN and listed[0]["source"] == "builtin"
    body = client.get(f"/api/scenarios/{BUILTIN}").json()
    params = body["parameters"]
    # values straight from the built-in file (src/fabnet/data/scenarios/ai-fab-network-2024.yaml)
    assert params["discount_rate"] == pytest.approx(0.10)
    assert params["horizon_months"] == 120
    assert params["commitments_usd"] == {"SoftBank": 3.0e9, "G42": 4.0e9, "OpenAI": 2.0e9}
    assert params["lead_time_months"]["US (Arizona)"] == 44
    assert params["debt_limit_usd"] == pytest.approx(10.0e9)
    text = client.get(f"/api/scenarios/{BUILTIN}/text")
    assert text.status_code == 200 and text.text.startswith("# fabnet built-in scenario")


def test_upload_keeps_a_valid_scenario_under_a_server_made_id(client, tiny_yaml):
    first = upload(client, tiny_yaml, name="../../etc/evil name.yaml")
    assert first.status_code == 201, first.text
    entry = first.json()
    assert re.fullmatch(r"[0-9a-f]{12}", entry["id"])
    assert entry["name"] == "tiny" and entry["filename"] == "evil name.yaml"
    again = upload(client, tiny_yaml)
    assert again.json()["id"] == entry["id"]  # same text, same id
    ids = [s["id"] for s in client.get("/api/scenarios").json()]
    assert ids == [*BUILTIN_SCENARIOS, entry["id"]]
    assert client.get(f"/api/scenarios/{entry['id']}").json()["parameters"]["horizon_months"] == 36


def test_invalid_upload_answers_422_with_the_cli_json(client, tiny, write_scenario, cli):
    tiny["policy"]["discount_rate"] = 2.0
    tiny["fabs"][1]["module_wspm"] = -5
    text = yaml.safe_dump(tiny, sort_keys=False)
    response = upload(client, text, name="broken.yaml")
    assert response.status_code == 422
    body = response.json()
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(parse_scenario_text(text, "yaml", "broken.yaml"), file="broken.yaml")
    assert body == caught.value.to_dict()
    paths = {p["path"] for p in body["problems"]}
    assert {"policy.discount_rate", "fabs[1].module_wspm"} <= paths
    # and the CLI says the same, problem for problem (its file name is the path it was given)
    result = cli("scenario", "validate", str(write_scenario(tiny, "broken.yaml")), "--json")
    cli_body = json.loads(result.stdout)
    assert [(p["path"], p["message"]) for p in cli_body["problems"]] == [
        (p["path"], p["message"]) for p in body["problems"]
    ]


@pytest.mark.parametrize(
    ("name", "content", "path", "words"),
    [
        ("scenario.txt", "name: x", "", "unknown file type"),
        ("scenario.yaml", b"\xff\xfe\x00bad", "", "not UTF-8"),
        ("scenario.yaml", "name: [unclosed", "", "invalid YAML at line"),
        ("scenario.json", "[1, 2]", "", "must be a mapping"),
    ],
)
def test_unreadable_uploads_are_422_not_500(client, name, content, path, words):
    response = upload(client, content, name=name)
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["path"] == path and words in problem["message"]


def test_uploads_cannot_make_the_server_read_files(client, tiny):
    tiny["demand_table"] = "/etc/passwd"
    tiny["fabs"][0]["operating_curve"] = "../../secret.json"
    response = upload(client, yaml.safe_dump(tiny))
    assert response.status_code == 422
    paths = {p["path"] for p in response.json()["problems"]}
    assert paths == {"demand_table", "fabs[0].operating_curve"}
    assert "root:" not in response.text


def test_upload_over_the_size_limit_is_413(client, tiny_yaml):
    padding = "#" * (2 * 1024 * 1024) + "\n"
    response = upload(client, tiny_yaml + padding)
    assert response.status_code == 413
    assert "limit" in response.json()["message"]
    huge = client.post(
        "/api/runs",
        content=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413


def test_check_validates_edits_with_field_paths(client):
    ok = client.post(
        f"/api/scenarios/{BUILTIN}/check",
        json={"discount_rate": 0.08, "commitments_usd": {"G42": 5.0e9}},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["parameters"]["commitments_usd"]["G42"] == 5.0e9
    bad = client.post(
        f"/api/scenarios/{BUILTIN}/check",
        json={"discount_rate": 1.5, "lead_time_months": {"US (Arizona)": -3}},
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "ScenarioError"
    paths = {p["path"] for p in body["problems"]}
    assert paths == {"policy.discount_rate", "fabs[6].lead_time_months"}


def test_unknown_investor_or_site_is_named(client):
    bad = client.post(
        f"/api/scenarios/{BUILTIN}/check",
        json={"commitments_usd": {"Nobody": 1.0}, "lead_time_months": {"Mars": 3}},
    )
    assert bad.status_code == 422
    messages = " ".join(p["message"] for p in bad.json()["problems"])
    assert "no investor named 'Nobody'" in messages and "SoftBank" in messages
    assert "no greenfield site named 'Mars'" in messages


def test_horizon_and_time_limits_are_422_with_a_clear_message(client):
    long = client.post(f"/api/scenarios/{BUILTIN}/check", json={"horizon_months": 300})
    assert long.status_code == 422
    problem = long.json()["problems"][0]
    assert problem["path"] == "policy.horizon_months"
    assert "at most 240 months" in problem["message"]
    slow = client.post(
        "/api/runs", json={"scenario_id": BUILTIN, "options": {"time_limit": 10_000}}
    )
    assert slow.status_code == 422
    assert "options.time_limit" in slow.json()["message"]


def test_start_run_passes_the_edited_scenario_to_the_launcher(client, fake_launcher):
    response = client.post(
        "/api/runs",
        json={
            "scenario_id": BUILTIN,
            "edits": {"allocation": "maxmin", "commitments_usd": {"OpenAI": 3.0e9}},
            "options": {"strategy": "build"},
        },
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    call = fake_launcher.calls[-1]
    assert call["kind"] == "plan" and call["name"] == BUILTIN
    assert call["options"]["strategy"] == "build"
    assert call["options"]["edits"] == {
        "policy.allocation": "maxmin",
        "investors[2].commitment_usd": 3.0e9,
    }
    data = yaml.safe_load(call["text"])
    assert data["policy"]["allocation"] == "maxmin"
    openai = data["investors"][2]
    # the pay-in schedule (1 + 1 B$) is scaled to the new commitment (1.5 + 1.5 B$)
    assert [p["amount_usd"] for p in openai["pay_in"]] == [1.5e9, 1.5e9]
    run = client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "done" and "folder" not in run
    listed = client.get("/api/runs").json()
    assert listed[0]["id"] == run_id and listed[0]["npv"] == 1.0e9


def test_unknown_ids_and_names_are_404_not_files(client):
    run_id = client.post("/api/runs", json={"scenario_id": BUILTIN}).json()["run_id"]
    for url in (
        "/api/runs/nope",
        "/api/runs/..%2F..%2Fetc",
        f"/api/runs/{run_id}/tables/passwd",
        f"/api/runs/{run_id}/tables/..%2Fsummary",
        f"/api/runs/{run_id}/artefacts/report.html",  # the fake run has no report
        "/api/scenarios/..%2F..%2Fetc%2Fpasswd",
        "/api/scenarios/0123456789ab",
        f"/runs/{run_id}/report",
    ):
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code, response.text[:200])
    bad_name = client.get(f"/api/runs/{run_id}/artefacts/..%2F..%2Fruns.sqlite")
    assert bad_name.status_code in (404, 422)
    assert client.get(f"/api/runs/{run_id}/artefacts/summary.json").json()["npv"] == 1.0e9


def test_compare_two_runs(client):
    a = client.post("/api/runs", json={"scenario_id": BUILTIN}).json()["run_id"]
    b = client.post("/api/runs", json={"scenario_id": BUILTIN}).json()["run_id"]
    body = client.get("/api/compare", params={"a": a, "b": b}).json()
    assert (body["a"], body["b"]) == (a, b)
    npv = next(r for r in body["rows"] if r["metric"] == "npv")
    assert npv["difference"] == 0.0 and npv["ratio"] == 1.0
    assert client.get("/api/compare", params={"a": a, "b": "zzz"}).status_code == 404


def test_openapi_documents_the_api_without_cdn_pages(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/runs", "/api/scenarios", "/api/compare", "/api/runs/{run_id}"} <= set(
        spec["paths"]
    )
    assert "/" not in spec["paths"]  # pages are not part of the API
    assert client.get("/docs").status_code == 404  # Swagger UI would load from a CDN


def test_risk_runs_take_samples_and_seed_within_limits(client, fake_launcher):
    too_many = client.post(
        "/api/runs", json={"scenario_id": BUILTIN, "kind": "risk", "options": {"samples": 10_001}}
    )
    assert too_many.status_code == 422
    assert "options.samples" in too_many.json()["message"]
    assert "10000" in too_many.json()["message"]
    ok = client.post(
        "/api/runs",
        json={"scenario_id": BUILTIN, "kind": "risk", "options": {"samples": 500, "seed": 7}},
    )
    assert ok.status_code == 202, ok.text
    assert fake_launcher.calls[-1]["kind"] == "risk"
    assert fake_launcher.calls[-1]["options"]["samples"] == 500
    assert fake_launcher.calls[-1]["options"]["seed"] == 7
    client.post("/api/runs", json={"scenario_id": BUILTIN, "options": {"samples": 500}})
    assert "samples" not in fake_launcher.calls[-1]["options"]  # a plan has no samples
