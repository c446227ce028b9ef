"""End to end in a real browser: headless Chromium (Debian's, driven by Playwright) against a
real uvicorn server on 127.0.0.1. Upload the built-in scenario, start a plan, wait for it, see
the supply-vs-demand chart and the decisions table, and keep screenshots in ``test-artifacts/``.

Needs ``/usr/bin/chromium`` (``apt-get install chromium``): the test fails, not skips, without it.
The horizon is cut to ``FABNET_BROWSER_HORIZON`` months (default 48) through the form, so the
solve stays short; ``FABNET_BROWSER_HORIZON=120`` runs the full built-in scenario.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from fabnet.scenario import builtin_scenario_path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    """A real uvicorn server (thread) with the real process launcher; stopped after the test."""
    import uvicorn

    from fabnet.web import create_app

    port = _free_port()
    app = create_app(tmp_path / "home")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(30)


@pytest.fixture
def browser_page():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: apt-get install -y chromium (the browser test needs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        yield page
        browser.close()


def test_upload_plan_and_see_the_results(server, browser_page):
    page = browser_page
    horizon = os.environ.get("FABNET_BROWSER_HORIZON", "48")
    ARTIFACTS.mkdir(exist_ok=True)
    shots = ARTIFACTS / "pages"
    shots.mkdir(exist_ok=True)
    foreign: list[str] = []
    page.on(
        "request",
        lambda request: None if request.url.startswith(server) else foreign.append(request.url),
    )

    page.goto(server + "/")
    assert page.locator("#scenarios-table").get_by_text("ai-fab-network-2024").count() >= 1
    page.screenshot(path=str(shots / "1-dashboard.png"), full_page=True)

    # upload the built-in scenario file
    page.set_input_files("#upload-file", str(builtin_scenario_path()))
    page.click("#upload-button")
    page.wait_for_url(re.compile(r".*/scenarios/[0-9a-f]{12}$"))
    assert page.locator('[name="policy.horizon_months"]').input_value() == "120"

    # a bad value first: the error appears next to its field, nothing starts
    page.fill('[name="policy.discount_rate"]', "1.5")
    page.click("#start-run")
    error = page.locator('[data-error-for="policy.discount_rate"]')
    error.wait_for()
    assert "less than or equal to 1" in error.inner_text()
    page.screenshot(path=str(shots / "2-form-errors.png"), full_page=True)

    # fix it, shorten the horizon, start the plan
    page.fill('[name="policy.discount_rate"]', "0.1")
    page.fill('[name="policy.horizon_months"]', horizon)
    page.click("#start-run")
    page.wait_for_url(re.compile(r".*/runs/\d{8}-\d{6}-[0-9a-f]{6}$"))
    if page.locator("#progress-panel").count():
        page.screenshot(path=str(shots / "3-progress.png"), full_page=True)

    # the page polls and reloads itself when the run ends
    page.wait_for_selector("#run-status.done, #run-status.failed", timeout=300_000)
    status = page.locator("#run-status").inner_text().strip().lower()
    assert status == "done", page.locator("#run-error").inner_text() if status != "done" else ""

    chart = page.locator("#supply-demand-chart")
    chart.locator(".main-svg").first.wait_for()  # plotly drew it (plotly.js served locally)
    assert chart.locator(".trace").count() >= 2  # deliveries by customer and the demand line
    decisions = page.locator("#decisions-table tbody tr")
    assert decisions.count() >= 1
    assert re.search(r"\b(buy|build)\b", page.locator("#decisions-table").inner_text())
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    # the stored report opens too
    run_url = page.url
    page.goto(run_url + "/report")
    assert "Fab network plan" in page.title()
    page.goto(server + "/runs")
    page.screenshot(path=str(shots / "4-runs.png"), full_page=True)
    page.goto(server + f"/compare?a={run_url.rsplit('/', 1)[1]}&b={run_url.rsplit('/', 1)[1]}")
    page.locator("#compare-table").wait_for()
    page.screenshot(path=str(shots / "5-compare.png"), full_page=True)

    assert foreign == []  # nothing loaded from outside the service (no CDN)
