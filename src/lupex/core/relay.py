"""Line of sight between two antennas over a DEM on a sphere (numba): the geometry of the rover-lander relay.

All lengths in metres, angles in radians. The terrain is a :class:`TerrainGrid`: heights above a sphere of
radius ``body_radius_m`` on a square grid of the south polar stereographic plane (``x = 2R tan(c/2) sin(lon)``,
``y = 2R tan(c/2) cos(lon)``, ``c`` the angular distance from the south pole), row 0 at the largest ``y``.

Geometry (docs/models/relay.md). Antenna A stands ``a`` metres above its ground, antenna B ``b`` metres above
its ground; their heights above the sphere are ``h_A``, ``h_B`` (ground height, bilinear, plus the mast).

* **Ground distance** ``D = R theta``: ``theta`` is the great-circle angle between the two points, computed
  exactly from their unit vectors ``u = (x/R, y/R, -(1 - s^2)) / (1 + s^2)``, ``s^2 = (x^2 + y^2) / (4 R^2)``
  (the inverse stereographic projection in closed form, no trigonometry), as ``theta = 2 asin(|u_A - u_B| / 2)``
  (well conditioned for small angles). Chosen over "grid distance / scale factor" because it is exact at any
  distance and costs no more.
* **Straight line** between the antennas, at ground distance ``s`` from A:
  ``h_line(s) = h_A + (h_B - h_A) s / D - s (D - s) / (2 R)`` above the sphere (the small-angle form; the exact
  chord between radii ``R + h_A`` and ``R + h_B`` differs from it by < 0.2 mm for D <= 20 km and heights of a
  few metres, and by < 7 cm for D = 50 km and 500 m of height difference: using ``R + h`` instead of ``R`` is a
  negligible refinement).
* **Samples** lie on the straight grid segment from A to B, at every crossing of a row line and of a column
  line through cell centres (so consecutive samples are at most one cell apart on either axis). Terrain there
  is read by linear interpolation between the two neighbouring cell centres on that line, which is the exact
  value of the bilinear surface; the crossings are exactly the kinks of the bilinear surface along the
  segment. Between two crossings the bilinear surface may rise above the chord of the samples by at most a
  quarter of the cell's twist ``|z00 - z01 - z10 + z11|`` (ignored). A sample at grid fraction ``t`` of the
  segment is taken at ground distance ``s = t D``: the straight grid segment departs from the great circle by
  2-25 cm at its middle for 10-20 km segments within 30 km of the pole, and its scale varies by ~1e-5 there
  (both ignored).
* **Blocked** when the terrain at a sample exceeds ``h_line`` there (strictly), or is NaN (unknown terrain
  blocks). Samples within 1e-9 of either end are skipped (the antennas' own ground).
* **Slant distance** between the antennas: the exact chord
  ``d^2 = (r_A - r_B)^2 + 4 r_A r_B sin^2(theta / 2)``, ``r = R + h``.

On a bare sphere the test reproduces ``D <= sqrt(2 R a) + sqrt(2 R b)``; the kernel is symmetric (A sees B
iff B sees A when the masts are swapped) up to float rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["TerrainGrid", "line_of_sight_map", "line_of_sight_points", "terrain_height_m"]

#: Samples closer than this grid fraction to either antenna are skipped (the antennas' own ground).
_END_EPS = 1e-9


@dataclass(frozen=True)
class TerrainGrid:
    """Terrain of the line-of-sight kernels.

    Attributes
    ----------
    height_m : float64 array (ny, nx)
        Terrain height above the sphere [m], C-contiguous; NaN = unknown (blocks any line through it).
    x0_m, y0_m : float
        Polar stereographic x, y of the centre of cell ``[0, 0]`` [m]; ``x`` grows with the column, ``y``
        falls with the row.
    res_m : float
        Cell side [m].
    body_radius_m : float
        Radius of the reference sphere [m].
    """

    height_m: NDArray[np.float64]
    x0_m: float
    y0_m: float
    res_m: float
    body_radius_m: float

    def params(self) -> NDArray[np.float64]:
        """``[x0_m, y0_m, res_m, body_radius_m]``, the bundle the kernels take."""
        return np.array([self.x0_m, self.y0_m, self.res_m, self.body_radius_m], dtype=np.float64)


# ------------------------------------------------------------------------------------------ jitted pieces


@numba.njit(cache=True, inline="always")
def _bilinear(z: NDArray[np.float64], row: float, col: float) -> float:
    """Bilinear height at fractional (row, col); positions are clamped to the outermost cell centres."""
    ny, nx = z.shape
    r = min(max(row, 0.0), ny - 1.0)
    c = min(max(col, 0.0), nx - 1.0)
    i = min(int(r), ny - 2)
    j = min(int(c), nx - 2)
    fr = r - i
    fc = c - j
    top = z[i, j] + (z[i, j + 1] - z[i, j]) * fc
    bottom = z[i + 1, j] + (z[i + 1, j + 1] - z[i + 1, j]) * fc
    return top + (bottom - top) * fr


@numba.njit(cache=True, inline="always")
def _angle_rad(x1: float, y1: float, x2: float, y2: float, radius: float) -> float:
    """Great-circle angle [rad] between two points of the polar stereographic plane (exact inverse projection)."""
    q = 4.0 * radius * radius
    s1 = (x1 * x1 + y1 * y1) / q
    s2 = (x2 * x2 + y2 * y2) / q
    f1 = 1.0 / (1.0 + s1)
    f2 = 1.0 / (1.0 + s2)
    dx = (x1 * f1 - x2 * f2) / radius
    dy = (y1 * f1 - y2 * f2) / radius
    dz = -(1.0 - s1) * f1 + (1.0 - s2) * f2
    half_chord = 0.5 * math.sqrt(dx * dx + dy * dy + dz * dz)
    return 2.0 * math.asin(min(half_chord, 1.0))


@numba.njit(cache=True, inline="always")
def _slant_m(h_a: float, h_b: float, theta: float, radius: float) -> float:
    """Straight-line distance [m] between points at heights h_a, h_b above the sphere, theta [rad] apart."""
    r_a = radius + h_a
    r_b = radius + h_b
    s = math.sin(0.5 * theta)
    return math.sqrt((r_a - r_b) ** 2 + 4.0 * r_a * r_b * s * s)


@numba.njit(cache=True)
def _clear(
    z: NDArray[np.float64], ra: float, ca: float, h_a: float, rb: float, cb: float, h_b: float, curv: float
) -> bool:
    """True when no terrain sample between A (row ra, col ca) and B lies above the straight line.

    ``h_a``, ``h_b``: antenna heights above the sphere [m]; ``curv = D^2 / (2 R)`` [m] (the line's sag term is
    ``t (1 - t) curv`` at grid fraction ``t``). Samples: crossings of row lines, then of column lines.
    """
    ny, nx = z.shape
    dh = h_b - h_a
    dr = rb - ra
    dc = cb - ca
    if dr != 0.0:
        k0 = int(math.floor(min(ra, rb))) + 1
        k1 = int(math.ceil(max(ra, rb))) - 1
        for k in range(max(k0, 0), min(k1, ny - 1) + 1):
            t = (k - ra) / dr
            if t <= _END_EPS or t >= 1.0 - _END_EPS:
                continue
            c = min(max(ca + t * dc, 0.0), nx - 1.0)
            j = min(int(c), nx - 2)
            f = c - j
            zt = z[k, j] + (z[k, j + 1] - z[k, j]) * f
            if not zt <= h_a + dh * t - t * (1.0 - t) * curv:  # NaN blocks
                return False
    if dc != 0.0:
        k0 = int(math.floor(min(ca, cb))) + 1
        k1 = int(math.ceil(max(ca, cb))) - 1
        for k in range(max(k0, 0), min(k1, nx - 1) + 1):
            t = (k - ca) / dc
            if t <= _END_EPS or t >= 1.0 - _END_EPS:
                continue
            r = min(max(ra + t * dr, 0.0), ny - 1.0)
            i = min(int(r), ny - 2)
            f = r - i
            zt = z[i, k] + (z[i + 1, k] - z[i, k]) * f
            if not zt <= h_a + dh * t - t * (1.0 - t) * curv:
                return False
    return True


@numba.njit(cache=True, parallel=True)
def _los_rows(
    z: NDArray[np.float64],
    grid: NDArray[np.float64],
    antenna: NDArray[np.float64],
    target_above_ground: float,
    max_ground: float,
    row_start: int,
    visible: NDArray[np.uint8],
    slant: NDArray[np.float64],
) -> None:
    """Line of sight from ``antenna = [x, y, mast]`` to every cell of rows ``row_start ..`` (outputs' rows)."""
    nx = z.shape[1]
    x0, y0, res, radius = grid[0], grid[1], grid[2], grid[3]
    ax, ay = antenna[0], antenna[1]
    ra = (y0 - ay) / res
    ca = (ax - x0) / res
    h_a = _bilinear(z, ra, ca) + antenna[2]
    n_rows = visible.shape[0]
    for idx in numba.prange(n_rows * nx):
        oi = idx // nx
        j = idx - oi * nx
        i = row_start + oi
        zb = z[i, j]
        theta = _angle_rad(ax, ay, x0 + j * res, y0 - i * res, radius)
        ground = radius * theta
        if math.isnan(zb) or math.isnan(h_a) or ground > max_ground:
            visible[oi, j] = 0
            slant[oi, j] = np.nan
            continue
        h_b = zb + target_above_ground
        slant[oi, j] = _slant_m(h_a, h_b, theta, radius)
        ok = _clear(z, ra, ca, h_a, float(i), float(j), h_b, ground * ground / (2.0 * radius))
        visible[oi, j] = 1 if ok else 0


@numba.njit(cache=True, parallel=True)
def _los_points(
    z: NDArray[np.float64],
    grid: NDArray[np.float64],
    antenna: NDArray[np.float64],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    target_above_ground: NDArray[np.float64],
    visible: NDArray[np.uint8],
    slant: NDArray[np.float64],
) -> None:
    """Line of sight from ``antenna = [x, y, mast]`` to points (x, y) with masts ``target_above_ground``."""
    x0, y0, res, radius = grid[0], grid[1], grid[2], grid[3]
    ax, ay = antenna[0], antenna[1]
    ra = (y0 - ay) / res
    ca = (ax - x0) / res
    h_a = _bilinear(z, ra, ca) + antenna[2]
    for p in numba.prange(x.size):
        rb = (y0 - y[p]) / res
        cb = (x[p] - x0) / res
        h_b = _bilinear(z, rb, cb) + target_above_ground[p]
        if math.isnan(h_b) or math.isnan(h_a):
            visible[p] = 0
            slant[p] = np.nan
            continue
        theta = _angle_rad(ax, ay, x[p], y[p], radius)
        ground = radius * theta
        slant[p] = _slant_m(h_a, h_b, theta, radius)
        visible[p] = 1 if _clear(z, ra, ca, h_a, rb, cb, h_b, ground * ground / (2.0 * radius)) else 0


@numba.njit(cache=True)
def _heights(
    z: NDArray[np.float64], grid: NDArray[np.float64], x: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    out = np.empty(x.size, dtype=np.float64)
    for p in range(x.size):
        out[p] = _bilinear(z, (grid[1] - y[p]) / grid[2], (x[p] - grid[0]) / grid[2])
    return out


# ------------------------------------------------------------------------------------------- public API


def terrain_height_m(grid: TerrainGrid, x_m: ArrayLike, y_m: ArrayLike) -> NDArray[np.float64]:
    """Bilinear terrain height above the sphere [m] at polar stereographic points ``x_m``, ``y_m`` [m].

    Points beyond the outermost cell centres take the value at the nearest centre on the border (the outer
    half cell is level); NaN where a neighbouring cell is NaN.
    """
    x, y = np.broadcast_arrays(np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64))
    out = _heights(grid.height_m, grid.params(), np.ascontiguousarray(x.ravel()), np.ascontiguousarray(y.ravel()))
    return out.reshape(x.shape)


def line_of_sight_map(
    grid: TerrainGrid,
    antenna_xy_m: tuple[float, float],
    antenna_above_ground_m: float,
    target_above_ground_m: float,
    *,
    max_ground_distance_m: float = math.inf,
    row_start: int = 0,
    row_stop: int | None = None,
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Line of sight from one antenna to an antenna above every cell centre of rows ``row_start:row_stop``.

    Parameters
    ----------
    grid : TerrainGrid
        Terrain [m].
    antenna_xy_m : (float, float)
        Polar stereographic position of antenna A [m] (anywhere within the grid; its ground height is bilinear).
    antenna_above_ground_m : float
        Height of antenna A above its ground [m].
    target_above_ground_m : float
        Height of the antenna above each cell centre [m].
    max_ground_distance_m : float, default inf
        Cells farther than this ground distance from A [m] are not evaluated (0 and NaN).
    row_start, row_stop : int
        Rows to evaluate (for progress reports in chunks); default all rows.

    Returns
    -------
    visible : uint8 array (row_stop - row_start, nx)
        1 where the straight line between the antennas clears the terrain, else 0 (also for NaN cells and cells
        beyond ``max_ground_distance_m``).
    slant_m : float64 array, same shape
        Straight-line distance between the two antennas [m]; NaN where the cell is NaN or beyond the distance.

    Notes
    -----
    Numba, parallel over cells; cost proportional to the number of cells times their distance in cells.
    """
    z = grid.height_m
    stop = z.shape[0] if row_stop is None else row_stop
    visible = np.zeros((stop - row_start, z.shape[1]), dtype=np.uint8)
    slant = np.full(visible.shape, np.nan)
    antenna = np.array([antenna_xy_m[0], antenna_xy_m[1], antenna_above_ground_m], dtype=np.float64)
    if visible.size:
        _los_rows(
            z, grid.params(), antenna, float(target_above_ground_m), float(max_ground_distance_m), row_start,
            visible, slant,
        )  # fmt: skip
    return visible, slant


def line_of_sight_points(
    grid: TerrainGrid,
    antenna_xy_m: tuple[float, float],
    antenna_above_ground_m: float,
    x_m: ArrayLike,
    y_m: ArrayLike,
    target_above_ground_m: ArrayLike,
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """Line of sight from one antenna to antennas at points ``x_m``, ``y_m`` [m] (e.g. along a route).

    ``target_above_ground_m`` [m] is the height of each point's antenna above its (bilinear) ground, a scalar or
    one value per point. Returns ``visible`` (uint8, 1 = clear) and the slant distance [m] per point, as in
    :func:`line_of_sight_map`; points should lie within the grid (outside it the border height is used).
    """
    x = np.ascontiguousarray(np.ravel(x_m), dtype=np.float64)
    y = np.ascontiguousarray(np.ravel(y_m), dtype=np.float64)
    mast = np.ascontiguousarray(np.broadcast_to(np.asarray(target_above_ground_m, dtype=np.float64), x.shape))
    visible = np.zeros(x.size, dtype=np.uint8)
    slant = np.full(x.size, np.nan)
    antenna = np.array([antenna_xy_m[0], antenna_xy_m[1], antenna_above_ground_m], dtype=np.float64)
    if x.size:
        _los_points(grid.height_m, grid.params(), antenna, x, y, mast, visible, slant)
    return visible, slant
