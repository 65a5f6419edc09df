"""Science figures: neutron counts along the track, the radargram with picks, drill profiles against the truth, and
the distribution of the water mass."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lupex.reporting.figures import _figure, _png

__all__ = ["drill_profiles_png", "mass_distribution_png", "neutron_track_png", "posterior_maps_png", "radargram_png"]


def neutron_track_png(distance_m: np.ndarray, counts: np.ndarray, weh_wt_pct: np.ndarray, weh_sd_wt_pct: np.ndarray,
                      title: str) -> bytes:  # fmt: skip
    """Epithermal counts per integration and the inverted WEH with its 1-sigma band, against distance along track."""
    fig = _figure(figsize=(8.0, 4.6))
    ax1 = fig.add_subplot(2, 1, 1)
    ax1.plot(distance_m, counts, ".", ms=3, color="tab:blue")
    ax1.set_ylabel("epithermal counts")
    ax1.set_title(title, fontsize=9)
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax1)
    ax2.fill_between(distance_m, weh_wt_pct - weh_sd_wt_pct, weh_wt_pct + weh_sd_wt_pct, color="tab:green", alpha=0.3)
    ax2.plot(distance_m, weh_wt_pct, color="tab:green", lw=1)
    ax2.set_ylabel("WEH [wt%]")
    ax2.set_xlabel("distance along the route [m]")
    return _png(fig)


def radargram_png(distance_m: np.ndarray, twt_ns: np.ndarray, traces: np.ndarray, pick_twt_ns: np.ndarray | None,
                  title: str) -> bytes:  # fmt: skip
    """Traces (time down) along the route, with the picked first reflector."""
    fig = _figure(figsize=(8.0, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    lim = float(np.nanpercentile(np.abs(traces), 99)) or 1.0
    extent = (float(distance_m[0]), float(distance_m[-1]), float(twt_ns[-1]), float(twt_ns[0]))
    ax.imshow(np.asarray(traces).T, cmap="gray", aspect="auto", extent=extent, vmin=-lim, vmax=lim)
    if pick_twt_ns is not None:
        ax.plot(distance_m, pick_twt_ns, ".", ms=2, color="tab:red", label="picked reflector")
        ax.legend(loc="lower right", fontsize=7)
    ax.set_xlabel("distance along the route [m]")
    ax.set_ylabel("two-way time [ns]")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def drill_profiles_png(profiles: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                       title: str) -> bytes:  # fmt: skip
    """Per hole: measured wt% (with 1-sigma bars) and the truth against depth. ``profiles``: (name, depth_m,
    measured_wt_pct, measured_sd_wt_pct, truth_wt_pct)."""
    n = max(len(profiles), 1)
    fig = _figure(figsize=(2.6 * n + 1.0, 4.2))
    for k, (name, depth, measured, sd, truth) in enumerate(profiles):
        ax = fig.add_subplot(1, n, k + 1)
        ax.errorbar(measured, depth, xerr=sd, fmt="o", ms=3, color="tab:blue", label="analyser")
        ax.plot(truth, depth, color="tab:orange", lw=1.2, label="truth")
        ax.invert_yaxis()
        ax.set_xlabel("water [wt%]")
        if k == 0:
            ax.set_ylabel("depth [m]")
            ax.legend(fontsize=7)
        ax.set_title(name, fontsize=8)
    fig.suptitle(title, fontsize=9)
    return _png(fig)


def mass_distribution_png(realisations_kg: np.ndarray, p10_kg: float, p50_kg: float, p90_kg: float,
                          truth_kg: float | None, title: str) -> bytes:  # fmt: skip
    """Histogram of the water mass over the conditioned realisations, with P10/P50/P90 (and the synthetic truth)."""
    fig = _figure(figsize=(6.4, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    ax.hist(realisations_kg, bins=40, color="tab:blue", alpha=0.7)
    for value, label, style in ((p10_kg, "P10", ":"), (p50_kg, "P50", "-"), (p90_kg, "P90", ":")):
        ax.axvline(value, color="black", linestyle=style, lw=1, label=label)
    if truth_kg is not None:
        ax.axvline(truth_kg, color="tab:red", lw=1.5, label="synthetic truth")
    ax.set_xlabel("water in the volume [kg]")
    ax.set_ylabel("realisations")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return _png(fig)


def posterior_maps_png(x_m: np.ndarray, y_m: np.ndarray, mean_wt_pct: np.ndarray, sd_wt_pct: np.ndarray,
                       route_xy_m: tuple[np.ndarray, np.ndarray] | None, holes_xy_m: Sequence[tuple[float, float]],
                       title: str) -> bytes:  # fmt: skip
    """Posterior mean and one-sigma WEH maps [wt%] side by side, with the route and the drill holes (map metres)."""
    fig = _figure(figsize=(10.0, 4.4))
    extent = (float(x_m.min()), float(x_m.max()), float(y_m.min()), float(y_m.max()))
    top = float(np.nanmax(mean_wt_pct)) if np.isfinite(mean_wt_pct).any() else 1.0
    for k, (values, label, cmap) in enumerate(((mean_wt_pct, "posterior mean WEH [wt%]", "Blues"),
                                               (sd_wt_pct, "posterior sd of WEH [wt%]", "magma"))):  # fmt: skip
        ax = fig.add_subplot(1, 2, k + 1)
        shown = values if y_m[0] > y_m[-1] else values[::-1]
        im = ax.imshow(shown, extent=extent, origin="upper", cmap=cmap, vmin=0.0, vmax=top)
        fig.colorbar(im, ax=ax, label=label, shrink=0.8)
        if route_xy_m is not None:
            ax.plot(route_xy_m[0], route_xy_m[1], color="tab:orange", lw=1, label="route")
        if holes_xy_m:
            hx, hy = zip(*holes_xy_m, strict=True)
            ax.plot(hx, hy, "o", ms=5, mfc="none", mec="tab:green", label="drill holes")
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]" if k == 0 else "")
        ax.set_aspect("equal")
        if k == 0 and (route_xy_m is not None or holes_xy_m):
            ax.legend(loc="lower left", fontsize=7)
    fig.suptitle(title, fontsize=9)
    return _png(fig)
