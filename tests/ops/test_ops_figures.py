"""Operations figures: valid PNGs, the degenerate cases, and a 10,000-event Gantt chart (timed in bench_ops.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lupex.reporting.ops_figures import campaign_gantt_png, campaign_state_png, montecarlo_png, tornado_png

PNG = b"\x89PNG\r\n\x1a\n"
START = np.datetime64("2028-01-01T00:00:00")


def _events(n: int, seed: int = 1) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    names = ["drive", "drill", "analyse", "wait", "charge", "downlink", "safe_mode", "fault", "hibernate", "approach",
             "calibrate", "photo"]  # fmt: skip
    durations = rng.uniform(60.0, 3600.0, n)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return [
        {"activity": names[int(k)], "start_s": float(s), "end_s": float(s + d)}
        for k, s, d in zip(rng.integers(0, len(names), n), starts, durations, strict=True)
    ]


def test_gantt_png_and_empty() -> None:
    assert campaign_gantt_png(_events(50), START, "campaign").startswith(PNG)
    assert campaign_gantt_png([], START, "nothing").startswith(PNG)
    one = [{"activity": "drive", "start_s": 100.0, "end_s": 100.0}]  # zero-length event
    assert campaign_gantt_png(one, START, "one").startswith(PNG)


def test_gantt_of_10k_events_is_a_png() -> None:
    assert campaign_gantt_png(_events(10_000), START, "10k events").startswith(PNG)


def test_state_png() -> None:
    t = np.linspace(0.0, 100 * 86_400.0, 2_001)
    battery = 600.0 + 300.0 * np.sin(t / 86_400.0)
    temperature = 260.0 + 20.0 * np.cos(t / 86_400.0)
    storage = np.minimum(t / 3_600.0, 2_000.0)
    png = campaign_state_png(t, battery, 1_000.0, 200.0, temperature, 230.0, storage, 4_000.0, "state")
    assert png.startswith(PNG)


@pytest.mark.parametrize("n", [0, 1])
def test_state_png_degenerate(n: int) -> None:
    values = np.full(n, 5.0)
    png = campaign_state_png(np.zeros(n), values, 10.0, 2.0, values, 1.0, values, 8.0, "degenerate")
    assert png.startswith(PNG)


def test_montecarlo_png() -> None:
    rng = np.random.default_rng(2)
    metrics = {
        "drill_samples": rng.poisson(8, 500).astype(float),
        "km": rng.normal(12.0, 3.0, 500),
        "data_GB": np.full(500, 3.0),  # constant
        "unmet": np.array([np.nan, np.inf]),  # no finite samples
    }
    thresholds = {"drill_samples": 6.0, "km": 10.0, "data_GB": 2.5}
    assert montecarlo_png(metrics, thresholds, "Monte Carlo").startswith(PNG)
    assert montecarlo_png({}, {}, "empty").startswith(PNG)


def test_tornado_png() -> None:
    rows = [("battery capacity", 0.55, 0.8), ("drive speed", 0.6, 0.62), ("fault rate", 0.9, 0.3), ("same side", 0.75,
            0.78)]  # fmt: skip
    assert tornado_png(rows, 0.7, "tornado").startswith(PNG)
    assert tornado_png([], 0.7, "no rows").startswith(PNG)
