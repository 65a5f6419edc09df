"""Dashboard API: validation of every input, one run at a time, progress events, layers and report."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from lupex.web import create_app


@pytest.fixture()
def client(tmp_path, small_scenario, isolated_cache):
    # TestClient sends ``Host: testserver``; the app answers only to loopback names and the hosts allowed here
    app = create_app(tmp_path / "runs", scenarios={"small": str(small_scenario)}, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c


def test_page_and_vendored_leaflet_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/leaflet/leaflet.js" in page.text
    assert "https://" not in page.text  # no network
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
    assert [s["name"] for s in client.get("/api/scenarios").json()] == ["small"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("post", "/api/runs", {"scenario": "chandrayaan5"}, 422),  # not offered by this server
        ("post", "/api/runs", {"scenario": "../../etc"}, 422),
        ("post", "/api/runs", {"scenario": "x" * 500}, 422),  # bounded size
        ("post", "/api/runs", {"file": "/etc/passwd"}, 422),
        ("get", "/api/runs/small/layers.json", None, 404),  # not run yet
        ("get", "/api/runs/..%2F..%2Fetc/layers.json", None, 404),
        ("get", "/api/runs/bad name/report", None, 422),
        ("get", "/api/runs/small%0A/report", None, 422),  # a trailing newline is not part of a name
        ("get", "/api/runs/small%0A/events", None, 404),
        ("get", "/api/runs/nosuch/events", None, 404),
    ],
)
def test_bad_requests_get_clear_4xx(client, method, url, body, status):
    r = getattr(client, method)(url, json=body) if body is not None else getattr(client, method)(url)
    assert r.status_code == status, r.text
    assert "detail" in r.json()


def test_run_from_the_api_streams_progress_refuses_a_second_and_serves_results(client):
    r = client.post("/api/runs", json={"scenario": "small"})
    assert r.status_code == 202
    busy = client.post("/api/runs", json={"scenario": "small"})
    assert busy.status_code == 409 and "already in progress" in busy.json()["detail"]
    events = []
    with client.stream("GET", r.json()["events"]) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "done", events[-3:]
    assert {"sites", "traverse", "report"} <= {str(e.get("stage")).split(" ")[0] for e in events}
    manifest = client.get("/api/runs/small/layers.json").json()
    assert {layer["name"] for layer in manifest["layers"]} == {"hillshade", "illumination", "psr", "earth", "ice",
                                                                "traverse_sun", "relay", "landing_ellipse",
                                                                "weh_posterior", "weh_sd", "drill_value"}
    assert manifest["route"]["available"] and len(manifest["route"]["hours"]) > 2
    png = client.get("/api/runs/small/layers/ice.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/api/runs/small/layers/secret.png").status_code == 404
    assert "lupex mission report" in client.get("/api/runs/small/report").text
    assert client.get("/api/runs").json()[0] == {"name": "small", "status": "done", "error": "", "ready": True}
