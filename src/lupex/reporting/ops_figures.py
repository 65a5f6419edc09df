"""Operations figures for a surface campaign: the activity Gantt chart, the rover state (battery, temperature,
storage) over the campaign, the Monte Carlo metric histograms and the tornado chart of P(success)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lupex.reporting.figures import _figure, _png

__all__ = ["campaign_gantt_png", "campaign_state_png", "montecarlo_png", "tornado_png"]

_SECONDS_PER_DAY = 86_400.0

#: Colours of activities outside the known ones: Paul Tol's colour-blind-safe "muted" scheme, which reads apart
#: from the Okabe-Ito colours of the known activities.
_OTHER_COLOURS = ("#332288", "#882255", "#117733", "#999933", "#AA4499", "#44AA99", "#DDCC77", "#CC6677")

#: Fixed colours (Okabe-Ito, colour-blind safe, and greys) of the known activities, so that the same activity
#: always reads the same across figures.
_ACTIVITY_COLOURS = {
    "drive": "#0072B2",
    "drill": "#D55E00",
    "analyse": "#CC79A7",
    "wait": "#BBBBBB",
    "charge": "#F0E442",
    "downlink": "#56B4E9",
    "safe_mode": "#E69F00",
    "fault": "#000000",
    "hibernate": "#777777",
    "approach": "#009E73",
}


def _activity_colour(activity: str, n_other: int) -> str:
    """Colour of an activity: its fixed one, else the next of the other activities' palette."""
    return _ACTIVITY_COLOURS.get(activity, _OTHER_COLOURS[n_other % len(_OTHER_COLOURS)])


def _no_data(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _day_label(start_utc: np.datetime64) -> str:
    day = np.datetime_as_string(np.asarray(start_utc).astype("datetime64[s]"), unit="s")
    return f"mission time [days since {day}Z]"


def campaign_gantt_png(events: Sequence[Mapping[str, Any]], start_utc: np.datetime64, title: str) -> bytes:
    """Gantt chart of the campaign: one lane per activity, one bar per event, against mission days.

    Parameters
    ----------
    events
        Mappings with ``activity`` (str), ``start_s`` and ``end_s`` (float, [s] since ``start_utc``). Lanes are
        ordered by the activity's earliest start (top first); an event with ``end_s < start_s`` draws no width.
    start_utc
        Campaign start (UTC), the origin of the x axis [days].
    title
        Figure title.

    Returns
    -------
    bytes
        The PNG image.
    """
    spans: dict[str, list[tuple[float, float]]] = {}
    first: dict[str, float] = {}
    for event in events:
        activity = str(event["activity"])
        t0 = float(event["start_s"]) / _SECONDS_PER_DAY
        t1 = float(event["end_s"]) / _SECONDS_PER_DAY
        spans.setdefault(activity, []).append((t0, max(t1 - t0, 0.0)))
        first[activity] = min(first.get(activity, t0), t0)
    lanes = sorted(spans, key=lambda name: first[name])  # stable: ties keep their order of appearance
    fig = _figure(figsize=(9.0, 1.2 + 0.35 * max(len(lanes), 2)))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=9)
    if not lanes:
        _no_data(ax, "no activity")
        return _png(fig)
    n_other = 0
    t_min, t_max = np.inf, -np.inf
    for k, activity in enumerate(lanes):
        colour = _activity_colour(activity, n_other)
        n_other += activity not in _ACTIVITY_COLOURS
        bars = spans[activity]
        ax.broken_barh(bars, (k - 0.4, 0.8), facecolors=colour, edgecolors="none")
        t_min = min(t_min, min(b[0] for b in bars))
        t_max = max(t_max, max(b[0] + b[1] for b in bars))
    pad = max(0.01 * (t_max - t_min), 0.01)
    ax.set_xlim(t_min - pad, t_max + pad)
    ax.set_ylim(len(lanes) - 0.5, -0.5)  # first lane on top
    ax.set_yticks(range(len(lanes)), lanes, fontsize=8)
    ax.set_xlabel(_day_label(start_utc))
    ax.grid(axis="x", color="0.85", lw=0.6)
    ax.set_axisbelow(True)
    return _png(fig)


def campaign_state_png(time_s: np.ndarray, battery_Wh: np.ndarray, capacity_Wh: float, reserve_Wh: float,
                       temperature_K: np.ndarray, survival_K: float, storage_MB: np.ndarray,
                       storage_capacity_MB: float, title: str) -> bytes:  # fmt: skip
    """Rover state over the campaign: battery, temperature and on-board storage, sharing the time axis.

    Parameters
    ----------
    time_s
        Sample times [s] since the campaign start; the x axis is in days.
    battery_Wh, capacity_Wh, reserve_Wh
        Battery state of charge per sample [Wh], its capacity [Wh] and the operational reserve [Wh].
    temperature_K, survival_K
        Rover (warm electronics box) temperature per sample [K] and the survival limit [K].
    storage_MB, storage_capacity_MB
        On-board data volume per sample [MB] and the storage capacity [MB].
    title
        Figure title.

    Returns
    -------
    bytes
        The PNG image.
    """
    days = np.asarray(time_s, dtype=np.float64) / _SECONDS_PER_DAY
    fig = _figure(figsize=(9.0, 6.8))
    panels = (
        (battery_Wh, "battery [Wh]", "#0072B2", ((capacity_Wh, "capacity", "0.3"), (reserve_Wh, "reserve", "#D55E00"))),
        (temperature_K, "temperature [K]", "#D55E00", ((survival_K, "survival limit", "#0072B2"),)),
        (storage_MB, "storage [MB]", "#009E73", ((storage_capacity_MB, "capacity", "0.3"),)),
    )
    ax0: Any = None
    for k, (values, label, colour, limits) in enumerate(panels):
        ax = fig.add_subplot(3, 1, k + 1, sharex=ax0)
        ax0 = ax0 if ax0 is not None else ax
        ax.plot(days, np.asarray(values, dtype=np.float64), color=colour, lw=1.0)
        for level, name, line_colour in limits:
            ax.axhline(float(level), color=line_colour, ls="--", lw=0.9, label=f"{name} ({float(level):g})")
        ax.set_ylabel(label)
        ax.legend(loc="best", fontsize=7)
        ax.grid(color="0.9", lw=0.5)
        if k < 2:
            ax.tick_params(labelbottom=False)
    ax0.set_title(title, fontsize=9)
    fig.axes[-1].set_xlabel("mission time [days]")
    return _png(fig)


def _histogram_panel(ax: Any, name: str, values: np.ndarray, threshold: float | None) -> None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        _no_data(ax, "no samples")
        ax.set_title(name, fontsize=8)
        return
    bins = int(np.clip(np.sqrt(finite.size), 5, 40))
    ax.hist(finite, bins=bins, color="#56B4E9", edgecolor="white", lw=0.4)
    ax.set_xlabel(name)
    ax.set_ylabel("runs")
    if threshold is None:
        ax.set_title(f"{name} (n = {finite.size})", fontsize=8)
        return
    share = float(np.mean(finite >= threshold))
    ax.axvline(threshold, color="#D55E00", ls="--", lw=1.2)
    ax.set_title(f"{name} >= {threshold:g}: {100.0 * share:.1f} % of {finite.size}", fontsize=8)


def montecarlo_png(metrics: Mapping[str, np.ndarray], thresholds: Mapping[str, float], title: str) -> bytes:
    """Histograms of the Monte Carlo campaign metrics, one panel each, with the success thresholds.

    Parameters
    ----------
    metrics
        Metric name (e.g. ``drill_samples``, ``km``, ``data_GB``; put the unit in the name) to its value per run.
        Non-finite values are left out.
    thresholds
        Metric name to its success threshold (same unit as the metric); a run meets it when ``value >=
        threshold``. Metrics without a threshold get no line.
    title
        Figure title.

    Returns
    -------
    bytes
        The PNG image.
    """
    names = list(metrics)
    n = max(len(names), 1)
    ncols = min(n, 3)
    nrows = -(-n // ncols)
    fig = _figure(figsize=(3.4 * ncols + 0.6, 2.9 * nrows + 0.6))
    fig.suptitle(title, fontsize=9)
    if not names:
        _no_data(fig.add_subplot(1, 1, 1), "no metrics")
        return _png(fig)
    for k, name in enumerate(names):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        values = np.asarray(metrics[name], dtype=np.float64).ravel()
        threshold = thresholds.get(name)
        _histogram_panel(ax, name, values, None if threshold is None else float(threshold))
    fig.tight_layout()
    return _png(fig)


def tornado_png(rows: Sequence[tuple[str, float, float]], base: float, title: str) -> bytes:
    """Tornado chart of the campaign's probability of success against one-at-a-time parameter changes.

    Parameters
    ----------
    rows
        ``(label, p_success_at_low, p_success_at_high)`` per parameter (probabilities in [0, 1]); sorted here
        by ``|high - low|``, the largest on top.
    base
        P(success) of the baseline [0, 1]; the bars start there.
    title
        Figure title.

    Returns
    -------
    bytes
        The PNG image.
    """
    ordered = sorted(rows, key=lambda row: abs(float(row[2]) - float(row[1])), reverse=True)
    fig = _figure(figsize=(7.5, 1.4 + 0.4 * max(len(ordered), 2)))
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=9)
    if not ordered:
        _no_data(ax, "no parameters")
        return _png(fig)
    y = np.arange(len(ordered))
    low = np.array([float(row[1]) for row in ordered])
    high = np.array([float(row[2]) for row in ordered])
    # low above high within a row, so that both show where they fall on the same side of the baseline
    for values, offset, colour, label in ((low, -0.19, "#0072B2", "parameter low"),
                                          (high, 0.19, "#E69F00", "parameter high")):  # fmt: skip
        ax.barh(y + offset, np.abs(values - base), left=np.minimum(values, base), height=0.38, color=colour,
                label=label, edgecolor="none")  # fmt: skip
    ax.axvline(base, color="0.2", lw=1.0, label=f"baseline ({base:.2f})")
    ax.set_yticks(y, [str(row[0]) for row in ordered], fontsize=8)
    ax.set_ylim(len(ordered) - 0.5, -0.5)  # largest swing on top
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("P(success)")
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(axis="x", color="0.9", lw=0.5)
    ax.set_axisbelow(True)
    return _png(fig)
