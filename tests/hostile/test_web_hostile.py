"""The web service against hostile requests (issue 15): cross-site writes from another origin
and from another port of the same host, blank tokens, expensive anonymous checks, alias bombs
that must not stall the service, one error format per status, no server paths for visitors,
damaged runs.

Most tests use FastAPI's TestClient (host ``testserver``); the timing tests run a real uvicorn
server in a thread, so that the health check really competes with the upload.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from fabnet.errors import UsageError

BUILTIN = "ai-fab-network-2024"
CORPUS = Path(__file__).parent / "corpus"
EVIL = "http://evil.example"
OTHER_PORT = "http://testserver:8001"  # the TestClient's own origin is http://testserver


class FakeLauncher:
    """Records each start and makes a finished run in the store instead of solving."""

    def __init__(self, home: Path):
        from fabnet.store import RunStore

        self.store = RunStore(home)
        self.calls: list[dict[str, Any]] = []

    def start(
        self, kind: str, scenario_text: str, scenario_name: str, fmt: str, options: Mapping
    ) -> str:
        self.calls.append({"kind": kind, "name": scenario_name, "options": dict(options)})
        with self.store.start_run(kind, scenario_name, scenario_text, dict(options)) as run:
            run.set_summary({"npv": 1.0e9})
        return run.id

    def running(self) -> list[str]:
        return []

    def shutdown(self) -> None:
        pass


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def launcher(home: Path) -> FakeLauncher:
    return FakeLauncher(home)


def _client(home: Path, launcher: FakeLauncher, token: str | None = None):
    from fastapi.testclient import TestClient

    from fabnet.web import create_app

    return TestClient(create_app(home, token=token, launcher=launcher))


@pytest.fixture
def client(home, launcher) -> Iterator[Any]:
    with _client(home, launcher) as c:
        yield c


@pytest.fixture
def locked(home, launcher) -> Iterator[Any]:
    with _client(home, launcher, token="s3cret") as c:
        yield c


def form_token(client: Any, url: str = "/") -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(url).text)
    assert match
    return match.group(1)


# -- cross-site request forgery --------------------------------------------------------------


def test_a_page_of_another_site_cannot_start_a_run(client, launcher):
    """The issue's attack: a page elsewhere auto-posts the run form (no token on the service)."""
    response = client.post(
        f"/scenarios/{BUILTIN}/run", data={"kind": "plan"}, headers={"Origin": EVIL}
    )
    assert response.status_code == 403
    assert "<!DOCTYPE html>" in response.text and "own pages" in response.text
    assert launcher.calls == []
    # even with a valid form token (say, stolen): the origin decides
    token = form_token(client)
    response = client.post(
        f"/scenarios/{BUILTIN}/run", data={"csrf_token": token}, headers={"Origin": EVIL}
    )
    assert response.status_code == 403 and launcher.calls == []
    # Origin "null" (a sandboxed or no-referrer page) is not this service either
    response = client.post(
        f"/scenarios/{BUILTIN}/run", data={"csrf_token": token}, headers={"Origin": "null"}
    )
    assert response.status_code == 403 and launcher.calls == []


def test_a_page_on_the_same_host_but_another_port_cannot_write(locked, launcher):
    """With a token and a login cookie (SameSite=Strict is per site, not per port)."""
    token = form_token(locked, "/login")
    login = locked.post("/login", data={"token": "s3cret", "csrf_token": token})
    assert login.status_code == 200  # followed the redirect: logged in
    for headers in ({"Origin": OTHER_PORT}, {"Referer": OTHER_PORT + "/page.html"}):
        response = locked.post(
            f"/scenarios/{BUILTIN}/run", data={"csrf_token": token}, headers=headers
        )
        assert response.status_code == 403, headers
        api = locked.post("/api/runs", json={"scenario_id": BUILTIN}, headers=headers)
        assert api.status_code == 403 and api.json()["error"] == "Forbidden"
    assert launcher.calls == []
    # the same request from the service's own page goes through
    same = locked.post(
        f"/scenarios/{BUILTIN}/run",
        data={"csrf_token": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303 and len(launcher.calls) == 1


def test_forms_need_the_session_token(client, launcher):
    """An old browser that sends no Origin: the form token still stops a forged post."""
    for data in ({}, {"csrf_token": "0" * 64}):
        response = client.post(f"/scenarios/{BUILTIN}/run", data=data)
        assert response.status_code == 403 and "reload the page" in response.text
    upload = client.post("/upload", files={"file": ("x.yaml", "name: x")})
    assert upload.status_code == 403
    assert client.post("/logout").status_code == 403
    assert launcher.calls == []


def test_api_writes_by_login_cookie_need_the_csrf_header(locked, launcher):
    token = form_token(locked, "/login")
    locked.post("/login", data={"token": "s3cret", "csrf_token": token})
    body = {"scenario_id": BUILTIN}
    assert locked.post("/api/runs", json=body).status_code == 403  # cookie alone
    ok = locked.post("/api/runs", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 202
    # a command-line client with the bearer token needs nothing else
    locked.cookies.clear()
    bearer = locked.post("/api/runs", json=body, headers={"Authorization": "Bearer s3cret"})
    assert bearer.status_code == 202
    assert len(launcher.calls) == 2


def test_curl_without_origin_still_works_on_an_open_local_service(client, launcher):
    response = client.post("/api/runs", json={"scenario_id": BUILTIN})
    assert response.status_code == 202 and len(launcher.calls) == 1


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "   ", "\t\n", " s3cret"])
def test_blank_or_padded_tokens_are_refused_at_start_up(home, token):
    from fabnet.web import create_app

    with pytest.raises(UsageError, match="token"):
        create_app(home, token=token, host="0.0.0.0")
    with pytest.raises(UsageError, match="token"):
        create_app(home, token=token)


def test_blank_fabnet_token_is_refused_by_serve_and_the_app_factory(home, monkeypatch, cli_json):
    monkeypatch.setenv("FABNET_TOKEN", "   ")
    monkeypatch.setenv("FABNET_HOME", str(home))
    code, body, _text = cli_json("serve", "--host", "0.0.0.0")
    assert code == 2 and "blank" in body["message"]
    code, body, _text = cli_json("serve")
    assert code == 2 and "blank" in body["message"]
    from fabnet.web.app import app_from_env

    with pytest.raises(UsageError, match="blank"):
        app_from_env()


def test_the_expensive_check_needs_the_token_when_there_is_one(locked):
    check = locked.post(f"/api/scenarios/{BUILTIN}/check", json={"discount_rate": 0.08})
    assert check.status_code == 401
    ok = locked.post(
        f"/api/scenarios/{BUILTIN}/check",
        json={"discount_rate": 0.08},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert ok.status_code == 200 and ok.json()["valid"] is True


# -- one error format per status, bounded bodies ------------------------------------------------


def test_413_has_one_format_for_the_api_and_a_page_for_the_form(client):
    big = b"#" * (3 * 1024 * 1024)
    for url in ("/api/scenarios", "/upload"):
        declared = client.post(url, files={"file": ("big.yaml", big)})
        assert declared.status_code == 413
        if url.startswith("/api"):
            assert declared.json()["error"] == "PayloadTooLarge"
        else:
            assert "<!DOCTYPE html>" in declared.text and "Too large" in declared.text
    # a body that is within the request limit but a file over the scenario limit: same name
    over = b"#" * (2 * 1024 * 1024 + 10)
    handler = client.post("/api/scenarios", files={"file": ("big.yaml", over)})
    assert handler.status_code == 413 and handler.json()["error"] == "PayloadTooLarge"
    # streamed without a length
    streamed = client.post(
        "/api/runs",
        content=iter([b"{" + b" " * (1024 * 1024)] * 3),
        headers={"content-type": "application/json"},
    )
    assert streamed.status_code == 413 and streamed.json()["error"] == "PayloadTooLarge"


@pytest.mark.parametrize("name", ["alias-bomb-10.yaml", "alias-many-customers.yaml"])
def test_hostile_uploads_get_a_short_422(client, name):
    start = time.perf_counter()
    response = client.post("/api/scenarios", files={"file": (name, (CORPUS / name).read_bytes())})
    assert time.perf_counter() - start < 2.0
    assert response.status_code == 422
    assert len(response.content) < 64 * 1024
    assert response.json()["error"] == "ScenarioError"


def test_many_problems_are_cut_to_a_bounded_body(client, base_text):
    """Each of 1,990 customers wrong: the answer lists 50 problems and counts the rest."""
    customers = "".join(f"  - {{name: c{i}, priority: 99}}\n" for i in range(1990))
    text = base_text.replace("customers:\n", "customers:\n" + customers, 1)
    response = client.post("/api/scenarios", files={"file": ("many.yaml", text)})
    assert response.status_code == 422
    body = response.json()
    assert len(body["problems"]) == 50 and body["omitted"] >= 1940
    assert len(response.content) < 64 * 1024
    page = client.post(
        "/upload", files={"file": ("many.yaml", text)}, data={"csrf_token": form_token(client)}
    )
    assert page.status_code == 422 and len(page.content) < 256 * 1024


# -- no server paths ---------------------------------------------------------------------------


def test_visitors_never_see_the_store_folder(home, launcher, client, locked):
    folder = str(home.resolve())
    for c in (client, locked):
        for url in ("/", "/runs", f"/scenarios/{BUILTIN}", "/no/such/page", "/api/runs"):
            assert folder not in c.get(url).text, url
    token = form_token(locked, "/login")
    locked.post("/login", data={"token": "s3cret", "csrf_token": token})
    assert folder in locked.get("/").text  # the operator, logged in, may see it


def test_a_damaged_table_is_an_error_page_that_says_so(client, home, launcher):
    from fabnet.store import RunStore

    store = RunStore(home)
    with store.start_run("plan", "tiny", "name: tiny\n", {}) as run:
        import pandas as pd

        run.save_table("deliveries", pd.DataFrame({"a": [1.0]}))
        run.set_summary({"npv": 1.0})
    table = store.path(run.id, "deliveries")
    table.write_bytes(b"this is not parquet")
    page = client.get(f"/runs/{run.id}")
    assert page.status_code == 500
    assert "damaged" in page.text and str(home) not in page.text and ".parquet" not in page.text
    api = client.get(f"/api/runs/{run.id}/tables/deliveries")
    assert api.status_code == 500 and api.json()["error"] == "DamagedRunError"
    assert str(home) not in api.text


def test_runs_export_refuses_a_table_that_is_a_folder(home, tmp_path, cli_json):
    import pandas as pd

    from fabnet.store import RunStore

    store = RunStore(home)
    with store.start_run("plan", "tiny", "name: tiny\n", {}) as run:
        run.save_table("deliveries", pd.DataFrame({"a": [1.0]}))
    table = store.path(run.id, "deliveries")
    table.unlink()
    table.mkdir()
    code, body, _text = cli_json(
        "runs", "export", run.id, "--to", str(tmp_path / "out"), "--home", str(home)
    )
    assert code == 2
    assert body["error"] == "DamagedRunError" and "not a file" in body["message"]
    assert not (tmp_path / "out" / "deliveries.csv").exists()


# -- a real server: the event loop stays free -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(home, launcher) -> Iterator[str]:
    import uvicorn

    from fabnet.web import WebSettings, create_app

    port = _free_port()
    # a generous time limit: a shared test machine may be several times slower than usual
    settings = WebSettings(home=home, max_validation_seconds=120)
    app = create_app(settings=settings, launcher=launcher)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(30)


def _health_while(url: str, work: Any) -> tuple[Any, list[float]]:
    """Run ``work()`` in a thread and time /api/health meanwhile: (result, latencies)."""
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", work()))
    latencies: list[float] = []
    with httpx.Client(timeout=30) as health:
        health.get(url + "/api/health")  # connection up
        thread.start()
        while thread.is_alive() or len(latencies) < 3:
            start = time.perf_counter()
            assert health.get(url + "/api/health").status_code == 200
            latencies.append(time.perf_counter() - start)
            time.sleep(0.02)
    thread.join()
    return result["value"], latencies


@pytest.mark.parametrize("name", ["alias-bomb-10.yaml", "alias-bomb-8.yaml"])
def test_alias_bomb_upload_is_answered_fast_while_health_stays_fast(server, name):
    data = (CORPUS / name).read_bytes()

    def upload() -> tuple[float, httpx.Response]:
        start = time.perf_counter()
        with httpx.Client(timeout=60) as c:
            response = c.post(server + "/api/scenarios", files={"file": (name, data)})
        return time.perf_counter() - start, response

    (took, response), latencies = _health_while(server, upload)
    assert response.status_code == 422
    assert took < 2.0, took
    assert len(response.content) < 64 * 1024
    assert max(latencies) < 0.5, latencies


def test_a_large_valid_upload_does_not_stall_the_health_check(server, base_text):
    """A scenario near the size limit takes a while to check: health answers meanwhile."""
    months = [f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(80)]
    series = "{" + ", ".join(f"{m}: 5" for m in months) + "}"
    customers = "".join(
        f"  - {{name: c{i}, priority: 2, demand: {{H100-class: {series}}}}}\n" for i in range(1900)
    )
    text = base_text.replace("customers:\n", "customers:\n" + customers, 1)
    assert 1.5e6 < len(text) < 2 * 1024 * 1024

    def upload() -> tuple[float, httpx.Response]:
        start = time.perf_counter()
        with httpx.Client(timeout=60) as c:
            response = c.post(server + "/api/scenarios", files={"file": ("big.yaml", text)})
        return time.perf_counter() - start, response

    (took, response), latencies = _health_while(server, upload)
    assert response.status_code == 201, response.text[:500]
    # the check takes about 3 s of CPU in a worker thread (several times that on a busy
    # machine); health answers meanwhile: it competes for the interpreter lock, but never
    # waits for the whole check
    latencies.sort()
    assert latencies[len(latencies) // 2] < 0.25, (took, latencies)
    assert latencies[-1] < max(1.0, took / 4), (took, latencies)


def test_checks_are_bounded_in_time_and_number(home, launcher):
    """A check that takes too long answers 429 in time, and keeps its place until it ends."""
    import anyio

    from fabnet.web import WebSettings, create_app
    from fabnet.web.errors import ServiceBusy

    settings = WebSettings(home=home, max_validations=1, max_validation_seconds=0.3)
    svc = create_app(settings=settings, launcher=launcher).state.service

    def slow() -> str:
        time.sleep(1.0)
        return "done"

    async def scenario() -> None:
        start = time.perf_counter()
        with pytest.raises(ServiceBusy, match=r"longer than 0\.3 s"):
            await svc.bounded(slow)
        assert time.perf_counter() - start < 0.8  # answered in time, not after the work
        with pytest.raises(ServiceBusy):  # the abandoned check still computes
            await svc.bounded(lambda: "quick")
        await anyio.sleep(1.0)
        assert await svc.bounded(lambda: "quick") == "quick"

    anyio.run(scenario)
