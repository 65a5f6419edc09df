"""The tiled polar-stereographic dashboard map in real headless Chromium (Debian ``chromium`` + Playwright).

Starts the small scenario once from the form, then checks the map furniture: the scale bar (right in the lunar
polar stereographic projection near the pole), the legend (follows the layer control), the cursor read-out, the
pinned point, the mission-time slider with play / pause, the run comparison table, and, where the tile backend
is there (``/api/tms``), base and run tiles loading at zooms 0 to 9 and point values under the cursor.
Screenshots go to ``$LUPEX_TEST_ARTIFACTS`` (default ``test-artifacts/``). Skips with the reason where
Chromium or Playwright is not available.
"""

from __future__ import annotations

import json
import math
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.web.test_browser import UI_TIMEOUT_MS, browser, server  # noqa: F401  (fixtures shared)

#: Metres per pixel at each zoom of the IAU_2015:30135 tile matrix set (the backend's ``/api/tms``).
RESOLUTIONS = [3584.0 / 2**z for z in range(11)]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def _tiles_at(zoom: int, cls: str) -> str:
    """JS: how many tiles of zoom ``zoom`` in the tile layer with class ``cls`` have loaded."""
    return (f"[...document.querySelectorAll('.{cls} img.leaflet-tile-loaded')]"
            f".filter((i) => /\\/{zoom}\\/\\d+\\/\\d+\\.png/.test(i.src)).length")  # fmt: skip


def _tif_value(path: Path, x_m: float, y_m: float) -> float:
    """The GeoTIFF's value at a map point, read with rasterio here (independently of the app)."""
    import rasterio

    with rasterio.open(path) as src:
        row, col = src.index(x_m, y_m)
        return float(src.read(1)[row, col])


def test_tiled_map_furniture_and_mission_time(browser, server, tmp_path):  # noqa: F811
    from playwright.sync_api import expect  # the browser fixture has skipped where playwright is missing

    artifacts = Path(os.environ.get("LUPEX_TEST_ARTIFACTS", "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    backend = _status(server + "/api/tms") == 200
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.wait_for_function("window.lupex && window.lupex.map")
    # before any run: the scale bar, an empty legend and the read-out box are there
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert page.locator("#map-legend").count() == 1
    assert page.locator("#readout").count() == 1

    # one run from the form
    page.select_option("#scenario-select", "small")
    page.click("#start-run")
    page.wait_for_function(
        "document.getElementById('progress').textContent.includes('done') || "
        "document.getElementById('progress').textContent.includes('failed')",
        timeout=180_000,
    )
    assert "done" in page.locator("#progress").text_content()
    page.wait_for_function("document.getElementById('run-title').textContent !== 'No run yet'", timeout=15_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / "map-run-loaded.png"))

    # legend: lists the visible raster layers (illumination on at load) and follows the layer control
    legend = page.locator("#map-legend .legend-entry")
    assert legend.count() >= 1
    assert "Mean illumination" in page.locator("#map-legend").text_content()
    assert "gradient" in page.locator("#map-legend .colorbar").first.get_attribute("style")
    shown = legend.count()
    psr = page.get_by_label("Permanent shadow")
    psr.check()
    expect(legend).to_have_count(shown + 1, timeout=UI_TIMEOUT_MS)
    expect(page.locator('#map-legend .legend-entry[data-layer="psr"]')).to_have_count(1)
    expect(page.locator(".leaflet-layer.layer-psr")).to_have_count(1)  # the tile layer's container
    psr.uncheck()
    expect(legend).to_have_count(shown, timeout=UI_TIMEOUT_MS)
    expect(page.locator(".leaflet-layer.layer-psr")).to_have_count(0)

    # scale bar: metres per pixel match the tile matrix near the pole (polar stereographic, k = 1 at the pole)
    zoom = page.evaluate("lupex.map.getZoom()")
    page.wait_for_timeout(300)
    scale = page.locator(".leaflet-control-scale-line")
    text = scale.text_content()
    number, unit = re.fullmatch(r"\s*([\d.]+)\s*(k?m)\s*", text).groups()
    metres = float(number) * (1000.0 if unit == "km" else 1.0)
    width_px = float(scale.evaluate("e => parseFloat(e.style.width)"))
    lat = page.evaluate("lupex.map.getCenter().lat")
    k = 2.0 / (1.0 + abs(math.sin(math.radians(lat))))  # point scale factor
    assert metres / width_px == pytest.approx(RESOLUTIONS[zoom] / k, rel=0.03), (text, width_px, zoom, lat)

    # cursor read-out: lat/lon and x/y under the mouse (and the run's values where the backend serves them)
    box = page.locator("#map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)
    page.wait_for_function("document.getElementById('readout').textContent.includes('lat')", timeout=UI_TIMEOUT_MS)
    readout = page.locator("#readout").text_content()
    assert re.search(r"lat -\d+\.\d+", readout) and re.search(r"x -?\d+ m", readout), readout

    # clicking pins the point and shows its values in the side panel
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#pin")).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.locator("#pin")).to_contain_text("lat", timeout=UI_TIMEOUT_MS)

    # mission time: one slider over the traverse and the campaign, the rover and the state follow
    max_h = float(page.locator("#mission-time").get_attribute("max"))
    assert max_h > 0
    first = page.locator("#m-time").text_content()
    phase0 = page.locator("#m-phase").text_content()
    page.locator("#mission-time").fill(str(max_h))
    expect(page.locator("#m-time")).not_to_have_text(first, timeout=UI_TIMEOUT_MS)
    # another step or the campaign
    expect(page.locator("#m-phase")).not_to_have_text(re.compile(f"^(-|{re.escape(phase0)})$"), timeout=UI_TIMEOUT_MS)
    expect(page.locator(".mission-rover")).to_have_count(1)
    expect(page.locator("#m-stations")).not_to_have_text("-", timeout=UI_TIMEOUT_MS)  # the comms windows then
    assert page.get_by_label("Drill holes (science)").is_checked()
    assert page.locator(".leaflet-control-layers").text_content().count("Touchdowns (P(safe)") == 1
    page.locator("#mission-time").fill("0")
    page.select_option("#speed", "24")
    page.click("#play")
    # playing moves the time on (waited for, not slept on: a busy runner can stall the page's timers)
    page.wait_for_function("parseFloat(document.getElementById('mission-time').value) > 0", timeout=UI_TIMEOUT_MS)
    page.click("#play")
    assert float(page.locator("#mission-time").input_value()) > 0
    page.screenshot(path=str(artifacts / "map-mission-time.png"))

    # comparison: the run against itself, a column each, key numbers from the summaries
    page.select_option("#compare-select", "small")
    page.wait_for_function(
        "document.querySelectorAll('#compare tr:first-child th').length === 3", timeout=UI_TIMEOUT_MS
    )
    assert page.locator("#compare tr").count() >= 2

    if backend:
        # base tiles load at every zoom from 0 to 9, around the landing site
        site = json.loads(urllib.request.urlopen(server + "/api/runs/small/layers.json", timeout=10).read())
        c = site["candidates"][0] if site["candidates"] else {"x_m": 0.0, "y_m": 0.0}
        for z in range(10):
            page.evaluate(f"lupex.map.setView(lupex.xy({c['x_m']}, {c['y_m']}), {z}, {{animate: false}})")
            page.wait_for_function(f"({_tiles_at(z, 'base-tiles')}) > 0", timeout=20_000)
            if z in (0, 5, 9):
                page.wait_for_timeout(300)
                page.screenshot(path=str(artifacts / f"map-zoom-{z}.png"))
        # the illumination layer (on at load) comes as tiles too
        page.wait_for_function(f"({_tiles_at(9, 'layer-illumination')}) > 0", timeout=20_000)
        # point values under the cursor (throttled requests to /api/runs/{run}/value)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "document.getElementById('readout').textContent.includes('height')", timeout=UI_TIMEOUT_MS
        )
        # the read-out's illumination value is the GeoTIFF's at the point it shows (read here with rasterio)
        page.wait_for_function("document.getElementById('readout').textContent.includes('illumination:')",
                               timeout=UI_TIMEOUT_MS)  # fmt: skip
        text = page.locator("#readout").text_content()
        x_m, y_m = (float(v) for v in re.search(r"x (-?\d+) m, y (-?\d+) m", text).groups())
        shown_value = float(re.search(r"illumination: ([-\d.e+]+)", text).group(1))
        layer = next(r for r in site["layers"] if r["name"] == "illumination")
        expected = _tif_value(tmp_path / "runs" / "small" / layer["tif"], x_m, y_m)
        assert shown_value == pytest.approx(expected, rel=1e-3, abs=1e-3), (text, expected)
        # the instantaneous shadow follows the mission time
        page.get_by_label("Shadow at the mission time").check()
        page.locator("#mission-time").fill("0")
        page.wait_for_function("document.querySelector('img.layer-shadow') && "
                               "document.querySelector('img.layer-shadow').complete", timeout=30_000)  # fmt: skip
        src0 = page.locator("img.layer-shadow").get_attribute("src")
        page.locator("#mission-time").fill("12")
        page.wait_for_function(f"document.querySelector('img.layer-shadow').getAttribute('src') !== {json.dumps(src0)}",
                               timeout=10_000)  # fmt: skip
        assert _status(server + page.locator("img.layer-shadow").get_attribute("src")) == 200
        page.screenshot(path=str(artifacts / "map-shadow.png"))
        if _status(server + "/api/features") == 200:
            features = json.loads(urllib.request.urlopen(server + "/api/features", timeout=10).read())
            assert page.locator(".feature-label").count() == len(features)
    page.screenshot(path=str(artifacts / "map-final.png"))
    assert not errors, errors
    if not backend:
        pytest.skip("/api/tms is missing (tile backend not there): tiles, point values and features not checked")
