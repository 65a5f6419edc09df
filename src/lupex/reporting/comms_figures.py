"""Communications figures: contact windows per station (Gantt), data volume per day, relay coverage map."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from lupex.reporting.figures import _figure, _png, hillshade

__all__ = ["daily_volume_png", "relay_map_png", "windows_gantt_png"]


def windows_gantt_png(
    station_names: Sequence[str], visible: Sequence[np.ndarray], time_utc: np.ndarray, title: str
) -> bytes:
    """One bar row per station where it is in contact (and a network row), over days since the start."""
    fig = _figure(figsize=(8.4, 0.45 * (len(station_names) + 1) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    days = (time_utc - time_utc[0]) / np.timedelta64(1, "s") / 86400.0
    step = float(days[1] - days[0]) if days.size > 1 else 1.0 / 24.0
    rows = [*station_names, "network"]
    masks = [*visible, np.logical_or.reduce(list(visible)) if visible else np.zeros(days.size, bool)]
    for i, mask in enumerate(masks):
        padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        spans = [(days[a], (b - a) * step) for a, b in zip(edges[::2], edges[1::2], strict=True)]
        ax.broken_barh(spans, (i - 0.35, 0.7), color="tab:blue" if i < len(station_names) else "tab:green")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"days since {np.datetime_as_string(time_utc[0], unit='m')}Z")
    ax.set_xlim(0, days[-1] + step if days.size else 1)
    ax.set_title(title, fontsize=9)
    return _png(fig)


def daily_volume_png(day_labels: Sequence[str], volume_GB: np.ndarray, title: str) -> bytes:
    """Data volume brought home per UTC day [GB]."""
    fig = _figure(figsize=(8.4, 3.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(np.arange(len(day_labels)), volume_GB, color="tab:green", width=0.85)
    step = max(1, len(day_labels) // 12)
    ax.set_xticks(np.arange(0, len(day_labels), step))
    ax.set_xticklabels([day_labels[i] for i in range(0, len(day_labels), step)], fontsize=7, rotation=30)
    ax.set_ylabel("downlinked [GB/day]")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def relay_map_png(
    dem: xr.DataArray,
    rate_bps: xr.DataArray,
    lander_xy_m: tuple[float, float],
    route_xy_m: tuple[np.ndarray, np.ndarray] | None,
    title: str,
) -> bytes:
    """Relay rate to the lander on a hillshade (blank where there is no line of sight), the lander and the route."""
    fig = _figure(figsize=(7.2, 6.2))
    ax = fig.add_subplot(1, 1, 1)
    crop = dem.sel(x=rate_bps["x"], y=rate_bps["y"])
    x, y = rate_bps["x"].values / 1000.0, rate_bps["y"].values / 1000.0
    extent = (x[0], x[-1], y[-1], y[0])
    ax.imshow(hillshade(np.asarray(crop.values, dtype=np.float64), float(dem.attrs["res_m"])), cmap="gray",
              extent=extent, origin="upper", vmin=-0.2, vmax=1.0)  # fmt: skip
    rate = np.asarray(rate_bps.values, dtype=np.float64)
    shown = np.where(rate > 0, np.log10(np.maximum(rate, 1.0)), np.nan)
    image = ax.imshow(shown, cmap="viridis", extent=extent, origin="upper", alpha=0.7)
    fig.colorbar(image, ax=ax, label="relay rate to the lander [log10 bps]", shrink=0.85)
    ax.scatter([lander_xy_m[0] / 1000.0], [lander_xy_m[1] / 1000.0], marker="^", s=80, c="red", edgecolors="black",
               zorder=3, label="lander")  # fmt: skip
    if route_xy_m is not None:
        ax.plot(route_xy_m[0] / 1000.0, route_xy_m[1] / 1000.0, color="cyan", linewidth=1.4, label="route")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_xlabel("x [km] (polar stereographic)")
    ax.set_ylabel("y [km] (toward 0 E)")
    ax.set_title(title, fontsize=9)
    return _png(fig)
