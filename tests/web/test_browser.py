"""The dashboard in real headless Chromium (Debian ``chromium`` driven by Playwright).

Loads the page, starts a small run from the form and waits for it to finish, toggles a layer, moves the time
slider and checks the rover's state follows. Screenshots go to ``$LUPEX_TEST_ARTIFACTS`` (default
``test-artifacts/``). Skips with the reason where Chromium or Playwright is not available.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
#: How long a UI assertion retries before it fails [ms]: the page reacts within milliseconds, but a CI runner
#: with both cores busy running other tests can stall the browser for seconds.
UI_TIMEOUT_MS = 15_000
#: How long the report tab may take to load [ms] (a few MB of HTML with inline figures).
REPORT_TIMEOUT_MS = 60_000


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make test installs it)")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium); browser tests skipped")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as err:  # a broken browser install: say why and skip
            pytest.skip(f"chromium does not start: {str(err).splitlines()[0]}")
        yield b
        b.close()


@pytest.fixture()
def server(tmp_path, small_scenario, isolated_cache):
    import uvicorn

    from lupex.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(tmp_path / "runs", scenarios={"small": str(small_scenario)})
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_dashboard_runs_a_scenario_and_plays_the_traverse(browser, server):
    from playwright.sync_api import expect  # the browser fixture has skipped where playwright is missing

    artifacts = Path(os.environ.get("LUPEX_TEST_ARTIFACTS", "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    expect(page.locator("#run-title")).to_have_text("No run yet")
    page.select_option("#scenario-select", "small")
    page.click("#start-run")
    page.wait_for_function(
        "document.getElementById('progress').textContent.includes('done') || "
        "document.getElementById('progress').textContent.includes('failed')",
        timeout=180_000,
    )
    assert "done" in page.locator("#progress").text_content()
    page.wait_for_function("document.getElementById('run-title').textContent !== 'No run yet'", timeout=15_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "dashboard-run-finished.png"))
    # toggle a layer on and off
    psr = page.get_by_label("Permanent shadow")
    psr.check()
    expect(page.locator(".leaflet-layer.layer-psr")).to_have_count(1)
    psr.uncheck()
    expect(page.locator(".leaflet-layer.layer-psr")).to_have_count(0)
    # move the time slider: the rover's state follows
    first = page.locator("#s-time").text_content()
    last_index = page.locator("#slider").get_attribute("max")
    assert int(last_index) > 2
    page.locator("#slider").fill(last_index)
    expect(page.locator("#s-time")).not_to_have_text(first, timeout=UI_TIMEOUT_MS)
    expect(page.locator("#s-battery")).to_have_text(re.compile(r"^\d+(\.\d+)?$"), timeout=UI_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "dashboard-slider-end.png"))
    # the campaign slider (ops stage): day by day, the rover's state follows
    expect(page.locator("#campaign")).to_be_visible(timeout=UI_TIMEOUT_MS)
    first_day = page.locator("#c-day").text_content()
    days = page.locator("#campaign-slider").get_attribute("max")
    assert int(days) >= 2
    page.locator("#campaign-slider").fill(days)
    expect(page.locator("#c-day")).not_to_have_text(first_day, timeout=UI_TIMEOUT_MS)
    expect(page.locator("#c-battery")).to_have_text(re.compile(r"^\d+$"), timeout=UI_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "dashboard-campaign-end.png"))
    # the report is one click away
    # the report is one click away; a new tab's title is there only once its document has loaded, which on a
    # busy CI runner can be well after the popup event, so wait for it (retrying) rather than read it at once
    with page.expect_popup() as popup:
        page.click("#report-link")
    report = popup.value
    report.wait_for_load_state("domcontentloaded", timeout=REPORT_TIMEOUT_MS)
    expect(report).to_have_title(re.compile("lupex mission report"), timeout=REPORT_TIMEOUT_MS)
    assert not errors, errors
