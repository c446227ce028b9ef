"""The plan report in a real headless Chromium, offline: every chart draws, no network request,
no script error. Needs Chromium (``apt-get install chromium``; .ci/run installs it): the test
fails, not skips, without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fabnet.report import CHART_TITLES, plan_report

pytestmark = pytest.mark.browser

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)


def test_plan_report_draws_every_chart_offline(plan_result, tmp_path: Path) -> None:
    from playwright import sync_api

    assert CHROMIUM is not None, "needs Chromium: apt-get install chromium"
    page_file = tmp_path / "plan.html"
    page_file.write_text(plan_report(*plan_result), encoding="utf-8")
    errors: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith("file:") else outside.append(request.url)
                ),
            )
            page.goto(page_file.as_uri())
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHART_TITLES)}",
                timeout=60_000,
            )
            titles = page.evaluate(
                "[...document.querySelectorAll('.gtitle')].map(e => e.textContent)"
            )
            bars = page.evaluate("document.querySelectorAll('.js-plotly-plot .bars .point').length")
        finally:
            browser.close()
    assert errors == []
    assert outside == []  # nothing fetched from the network
    assert sorted(titles) == sorted(CHART_TITLES.values())
    assert bars > 0  # the bar charts drew bars, not only axes
