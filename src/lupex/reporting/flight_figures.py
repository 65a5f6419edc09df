"""Flight figures: landing touchdowns and their 3-sigma ellipse over the terrain."""

from __future__ import annotations

import numpy as np
import xarray as xr

from lupex.flight.dispersion import LandingDispersion
from lupex.reporting.figures import _figure, _png, hillshade

__all__ = ["dispersion_png"]


def dispersion_png(dem: xr.DataArray, result: LandingDispersion, title: str | None = None) -> bytes:
    """Touchdowns (green safe, red unsafe), the 3-sigma ellipse and the target over a hillshade (x, y in m)."""
    half = max(3.0 * result.semi_major_m, 200.0)
    win = dem.sel(x=slice(result.site_x_m - half, result.site_x_m + half),
                  y=slice(result.site_y_m + half, result.site_y_m - half))  # fmt: skip
    fig = _figure(figsize=(6.0, 5.6))
    ax = fig.add_subplot(1, 1, 1)
    extent = (float(win.x[0]), float(win.x[-1]), float(win.y[-1]), float(win.y[0]))
    shade = hillshade(np.asarray(win.values, dtype=np.float64), float(dem.attrs["res_m"]))
    ax.imshow(shade, cmap="gray", extent=extent, origin="upper", vmin=-0.2, vmax=1.0)
    ok = result.safe
    ax.scatter(result.x_m[ok], result.y_m[ok], s=3, c="tab:green", label="safe")
    ax.scatter(result.x_m[~ok], result.y_m[~ok], s=3, c="tab:red", label="unsafe")
    ex, ey = result.ellipse_xy()
    ax.plot(ex, ey, "y-", lw=1.5, label="3-sigma ellipse")
    ax.plot([result.site_x_m], [result.site_y_m], "b+", ms=10, label="target")
    ax.set_xlabel("x [m] (polar stereographic)")
    ax.set_ylabel("y [m]")
    ax.set_title(title or f"Landing dispersion: {len(result.x_m)} runs, p_safe {result.p_safe:.3f}", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)
