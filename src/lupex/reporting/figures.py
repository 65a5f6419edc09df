"""PNG figures rendered in memory with matplotlib (Agg); the io layer writes them."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import xarray as xr


def _figure(**kwargs: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def map_quicklook_png(
    array: xr.DataArray,
    title: str,
    units: str,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
) -> bytes:
    """Quick-look PNG of a 2-D map (x, y in km; polar stereographic, +y toward longitude 0)."""
    fig = _figure(figsize=(6.4, 5.4))
    ax = fig.add_subplot(1, 1, 1)
    x = array["x"].values / 1000.0
    y = array["y"].values / 1000.0
    values = np.asarray(array.values, dtype=np.float64)
    image = ax.imshow(
        values,
        extent=(x[0], x[-1], y[-1], y[0]),
        origin="upper",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        interpolation="nearest",
    )
    fig.colorbar(image, ax=ax, label=units, shrink=0.85)
    ax.set_xlabel("x [km] (toward 90 E)")
    ax.set_ylabel("y [km] (toward 0 E)")
    ax.set_title(title, fontsize=10)
    return _png(fig)


def horizon_polar_png(result: Any) -> bytes:
    """Polar plot of a site's horizon profile with the Sun's and Earth's paths (local azimuth, north up).

    ``result`` is a :class:`lupex.illumination.SiteIllumination`. Radius is elevation [deg] (outward = lower),
    so the terrain horizon is a filled band and the bodies' tracks show where they clear it.
    """
    profile = result.horizon
    az = np.radians(np.append(profile["azimuth"].values, profile["azimuth"].values[0] + 360.0))
    h = np.append(profile.values, profile.values[0])
    sun_el = result.sun_elevation_deg
    earth_el = result.earth_elevation_deg
    top = float(max(np.nanmax(h), np.nanmax(sun_el), np.nanmax(earth_el))) + 1.0
    bottom = float(min(np.nanmin(h), np.nanmin(sun_el), np.nanmin(earth_el))) - 1.0
    fig = _figure(figsize=(6.4, 6.6))
    ax = fig.add_subplot(1, 1, 1, projection="polar")
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)  # clockwise, as azimuths
    radius = top - h
    ax.fill_between(az, radius, top - bottom, color="0.55", alpha=0.8, label="terrain")
    ax.plot(az, radius, color="0.2", lw=0.8)
    lit = result.sun_visible_fraction > 0
    ax.scatter(np.radians(result.sun_azimuth_deg[lit]), top - sun_el[lit], s=3, color="orange", label="Sun (visible)")
    ax.scatter(
        np.radians(result.sun_azimuth_deg[~lit]), top - sun_el[~lit], s=3, color="saddlebrown", label="Sun (hidden)"
    )
    seen = result.earth_visible
    ax.scatter(
        np.radians(result.earth_azimuth_deg[seen]), top - earth_el[seen], s=3, color="tab:blue", label="Earth (visible)"
    )
    ax.scatter(
        np.radians(result.earth_azimuth_deg[~seen]),
        top - earth_el[~seen],
        s=3,
        color="navy",
        alpha=0.4,
        label="Earth (hidden)",
    )
    ax.set_ylim(0, top - bottom)
    ticks = np.arange(np.ceil(bottom), np.floor(top) + 1, max(1, round((top - bottom) / 6)))
    ax.set_yticks(top - ticks)
    ax.set_yticklabels([f"{t:+.0f} deg" for t in ticks], fontsize=7)
    site = result.site
    ax.set_title(
        f"Horizon at {site.lat_deg:.4f}, {site.lon_deg:.4f} (+{result.observer_height_m:g} m), local azimuth\n"
        f"{result.summary()['start_utc']} .. {result.summary()['end_utc']}",
        fontsize=9,
    )
    ax.legend(loc="lower left", bbox_to_anchor=(-0.1, -0.15), fontsize=7, ncol=3)
    return _png(fig)


def sites_map_png(
    dem: xr.DataArray,
    metrics: xr.Dataset,
    candidates: list[dict[str, Any]],
    title: str,
    ellipse_xy_m: tuple[np.ndarray, np.ndarray] | None = None,
) -> bytes:
    """Hillshade of ``dem`` with PSRs, ice-stable ground, the ranked candidates and, if given, the landing ellipse
    outline [m] (x, y in km)."""
    fig = _figure(figsize=(7.2, 6.2))
    ax = fig.add_subplot(1, 1, 1)
    z = np.asarray(dem.values, dtype=np.float64)
    shade = hillshade(z, float(dem.attrs["res_m"]))
    x = dem["x"].values / 1000.0
    y = dem["y"].values / 1000.0
    extent = (x[0], x[-1], y[-1], y[0])
    ax.imshow(shade, cmap="gray", extent=extent, origin="upper", vmin=-0.2, vmax=1.0)
    psr = np.asarray(metrics["psr"].values) > 0.5
    ice = np.isin(np.asarray(metrics["ice_class"].values), (0, 1))
    overlay = np.zeros((*z.shape, 4))
    overlay[psr] = (0.1, 0.3, 1.0, 0.45)
    overlay[ice & ~psr] = (0.0, 0.9, 0.9, 0.45)
    ax.imshow(overlay, extent=extent, origin="upper")
    if candidates:
        cx = np.array([c["x_m"] for c in candidates]) / 1000.0
        cy = np.array([c["y_m"] for c in candidates]) / 1000.0
        ax.scatter(cx, cy, s=40, c="orange", edgecolors="black", linewidths=0.6, zorder=3)
        for c, px, py in zip(candidates, cx, cy, strict=True):
            ax.annotate(str(c["rank"]), (px, py), xytext=(3, 3), textcoords="offset points", fontsize=7, color="white")
    if ellipse_xy_m is not None:
        ax.plot(ellipse_xy_m[0] / 1000.0, ellipse_xy_m[1] / 1000.0, color="red", linewidth=1.2, zorder=4)
    region = np.asarray(metrics["in_region"].values)
    if region.any() and not region.all():
        ax.contour(x, y, region.astype(float), levels=[0.5], colors="yellow", linewidths=0.8)
    ax.set_xlabel("x [km] (polar stereographic)")
    ax.set_ylabel("y [km] (toward 0 E)")
    ax.set_title(title + "\nblue: PSR, cyan: ice stable <= drill depth, orange: candidates", fontsize=9)
    return _png(fig)


def hillshade(z: np.ndarray, res: float) -> np.ndarray:
    """Shaded relief of heights ``z`` [m] on cells of ``res`` [m], lit from grid north-west 45 deg up [-]."""
    gy, gx = np.gradient(np.nan_to_num(z, nan=float(np.nanmean(z))), res)
    az, el = np.radians(315.0), np.radians(45.0)
    slope = np.arctan(np.hypot(gx, gy))
    aspect = np.arctan2(-gx, gy)
    return np.asarray(np.sin(el) * np.cos(slope) + np.cos(el) * np.sin(slope) * np.cos(az - aspect))


def route_map_png(
    dem: xr.DataArray,
    sun_fraction_mean: np.ndarray,
    route_x_m: np.ndarray,
    route_y_m: np.ndarray,
    waypoints: list[dict[str, Any]],
    title: str,
) -> bytes:
    """A traverse over the mean visible Sun fraction (on a hillshade), with its waypoints (x, y in km)."""
    fig = _figure(figsize=(7.2, 6.2))
    ax = fig.add_subplot(1, 1, 1)
    x = dem["x"].values / 1000.0
    y = dem["y"].values / 1000.0
    extent = (x[0], x[-1], y[-1], y[0])
    ax.imshow(hillshade(np.asarray(dem.values, dtype=np.float64), float(dem.attrs["res_m"])), cmap="gray",
              extent=extent, origin="upper", vmin=-0.2, vmax=1.0)  # fmt: skip
    image = ax.imshow(sun_fraction_mean, cmap="inferno", extent=extent, origin="upper", vmin=0.0, vmax=1.0, alpha=0.6)
    fig.colorbar(image, ax=ax, label="mean visible Sun fraction over the period [-]", shrink=0.85)
    ax.plot(route_x_m / 1000.0, route_y_m / 1000.0, color="cyan", linewidth=1.6)
    for w in waypoints:
        ax.scatter([w["x_m"] / 1000.0], [w["y_m"] / 1000.0], s=50, c="cyan", edgecolors="black", zorder=3)
        ax.annotate(w["name"], (w["x_m"] / 1000.0, w["y_m"] / 1000.0), xytext=(4, 4), textcoords="offset points",
                    fontsize=8, color="white")  # fmt: skip
    ax.set_xlabel("x [km] (polar stereographic)")
    ax.set_ylabel("y [km] (toward 0 E)")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def timeline_png(
    time_utc: np.ndarray,
    battery_Wh: np.ndarray,
    reserve_Wh: float,
    sun_fraction: np.ndarray,
    earth_visible: np.ndarray,
    action: np.ndarray,
    title: str,
) -> bytes:
    """Battery, Sun and Earth contact along a traverse, with the driving / drilling periods shaded."""
    fig = _figure(figsize=(8.0, 5.4))
    hours = (time_utc - time_utc[0]) / np.timedelta64(1, "s") / 3600.0
    ax1 = fig.add_subplot(3, 1, 1)
    ax1.plot(hours, battery_Wh, color="tab:green")
    ax1.axhline(reserve_Wh, color="tab:red", linestyle="--", linewidth=0.8, label="reserve")
    ax1.set_ylabel("battery [Wh]")
    ax1.legend(loc="lower right", fontsize=7)
    ax1.set_title(title, fontsize=9)
    ax2 = fig.add_subplot(3, 1, 2, sharex=ax1)
    ax2.fill_between(hours, 0, sun_fraction, step="post", color="orange", alpha=0.7)
    ax2.set_ylabel("Sun [-]")
    ax2.set_ylim(0, 1.05)
    ax3 = fig.add_subplot(3, 1, 3, sharex=ax1)
    ax3.fill_between(hours, 0, earth_visible.astype(float), step="post", color="tab:blue", alpha=0.6, label="Earth")
    for name, color in (("drive", "tab:gray"), ("drill", "tab:purple")):
        mask = action == name
        ax3.fill_between(hours, 0, mask * 0.5, step="post", color=color, alpha=0.8, label=name)
    ax3.set_ylabel("Earth / activity")
    ax3.set_yticks([])
    ax3.legend(loc="upper right", fontsize=7, ncol=3)
    ax3.set_xlabel("hours since start")
    return _png(fig)


def overlay_png(values: np.ndarray, cmap: str, vmin: float, vmax: float, alpha: float = 0.75) -> bytes:
    """A bare RGBA image of a 2-D array for a web map overlay (NaN transparent, no axes, one pixel per cell)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import colormaps
    from matplotlib.image import imsave

    v = np.asarray(values, dtype=np.float64)
    norm = np.clip((v - vmin) / max(vmax - vmin, 1e-12), 0.0, 1.0)
    rgba = colormaps[cmap](np.nan_to_num(norm, nan=0.0))
    rgba[..., 3] = np.where(np.isfinite(v), alpha, 0.0)
    buffer = io.BytesIO()
    imsave(buffer, rgba, format="png")
    return buffer.getvalue()
