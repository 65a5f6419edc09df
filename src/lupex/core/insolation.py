"""Absorbed solar flux on tilted, shadowed terrain: direct Sun, sky view factor, scattered and thermal light.

Kernels for the terrain-coupled thermal model (``lupex.thermal.terrain``; model card
``docs/models/thermal.md``). Frames: per cell, the local frame is (grid east, grid north, up) from
:func:`lupex.core.sky.cell_frame`; horizon profiles are sampled at grid azimuths
``k * 2 pi / n_az`` clockwise from grid north, like the horizon maps. SI units, angles in radians.

Radiation balance (two bands, after Ingersoll, Svitek & Murray 1992, with a sky-view-factor closure):

* direct: ``I`` = irradiance x visible fraction of the solar disk above the horizon x max(cos i, 0) on the
  cell's tilted surface; the cell absorbs ``(1 - A(i)) I`` and reflects ``A(i) I``;
* each cell sees terrain over the fraction ``F = 1 - V`` of its hemisphere (``V`` the sky view factor,
  Dozier & Frew 1990). The terrain it sees is represented by the surface-area-weighted mean ``M[.]`` over a
  square neighbourhood; scattered sunlight ``S_v = F M[A I + A_d S_v]`` and thermal infrared
  ``S_ir = F M[(1 - A(i)) I + (1 - A_d) S_v + S_ir]`` assume that the terrain seen is in instantaneous
  radiative equilibrium (what it absorbs it re-emits), as Ingersoll et al. do. The cell absorbs
  ``Q = (1 - A(i)) I + (1 - A_d) S_v + eps S_ir``.

For a spherical bowl (where every element sees every other with the same view factor ``f``) and a
neighbourhood that is the bowl, this is exactly Ingersoll et al. 1992 Eq. 8.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from lupex.core.sky import azimuth_bracket, cell_frame, horizon_between, topocentric_enu_first_order
from lupex.core.thermal import albedo_at_incidence
from lupex.core.visibility import asin_fast, atan2_fast, disk_fraction

__all__ = ["incident_flux_chunk", "scattered_flux_chunk", "sky_view_factor", "surface_normals"]

_TWO_PI = 2.0 * math.pi


def surface_normals(dz_dx: NDArray[np.float64], dz_dy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unit surface normals (grid east, grid north, up) from height gradients.

    Parameters
    ----------
    dz_dx, dz_dy : ndarray
        Height gradients toward grid east (+x) and grid north (+y) [m/m].

    Returns
    -------
    ndarray, shape ``dz_dx.shape + (3,)``
        Unit normal vectors [-]; NaN where a gradient is NaN.
    """
    gx = np.asarray(dz_dx, dtype=np.float64)
    gy = np.asarray(dz_dy, dtype=np.float64)
    norm = np.sqrt(1.0 + gx * gx + gy * gy)
    return np.stack([-gx / norm, -gy / norm, 1.0 / norm], axis=-1)


@numba.njit(cache=True, parallel=True)
def sky_view_factor(profiles_rad: NDArray[np.float32], normals: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sky view factor of tilted cells under their terrain horizon (Dozier & Frew 1990, Eq. 7b).

    ``V = 1/(2 pi) int [cos S sin^2 H + sin S cos(phi - A) (H - sin H cos H)] dphi`` with ``H`` the zenith
    angle of the horizon in azimuth ``phi`` (terrain horizon, or the cell's own plane where that is higher),
    ``S`` the slope and ``A`` the downslope azimuth. A horizontal cell with a flat horizon gives 1, a plane
    of slope ``S`` with nothing above it ``(1 + cos S) / 2``.

    Parameters
    ----------
    profiles_rad : float32 (n_cells, n_az)
        Horizon elevation per grid azimuth ``k 2 pi / n_az`` [rad].
    normals : float64 (n_cells, 3)
        Unit normals (grid east, grid north, up) [-].

    Returns
    -------
    float64 (n_cells,)
        Sky view factor [-]; NaN where the normal is NaN.
    """
    n_cells, n_az = profiles_rad.shape
    out = np.empty(n_cells)
    dphi = _TWO_PI / n_az
    for c in numba.prange(n_cells):
        ne = normals[c, 0]
        nn = normals[c, 1]
        nu = normals[c, 2]
        if math.isnan(ne) or math.isnan(nu):
            out[c] = math.nan
            continue
        sin_s = math.sqrt(ne * ne + nn * nn)
        cos_s = nu
        tan_s = sin_s / cos_s
        aspect = math.atan2(ne, nn)  # horizontal part of the normal points downslope
        total = 0.0
        for k in range(n_az):
            phi = k * dphi
            cd = math.cos(phi - aspect)
            # the cell's own plane rises toward the upslope side: elevation -atan(tan S cos(phi - A))
            plane = -math.atan(tan_s * cd)
            h = profiles_rad[c, k]
            if math.isnan(h):
                h = plane
            h = max(h, plane)
            zen = 0.5 * math.pi - h
            sz = math.sin(zen)
            total += cos_s * sz * sz + sin_s * cd * (zen - sz * math.cos(zen))
        out[c] = total / n_az
    return out


@numba.njit(cache=True, parallel=True, fastmath=True)
def incident_flux_chunk(
    profiles_rad: NDArray[np.float32],
    cell_x_m: NDArray[np.float64],
    cell_y_m: NDArray[np.float64],
    cell_r_m: NDArray[np.float64],
    normals: NDArray[np.float64],
    body_radius_m: float,
    sun_dir_me: NDArray[np.float64],
    sun_inv_distance_per_m: NDArray[np.float64],
    sun_radius_rad: NDArray[np.float64],
    flux_times_d2_W: float,
    albedo_normal: float,
    albedo_a: float,
    albedo_b: float,
    t0: int,
    incident_W_m2: NDArray[np.float64],
    absorbed_W_m2: NDArray[np.float64],
) -> None:
    """Direct solar flux on every cell for steps ``t0 .. t0 + n - 1`` (n = ``incident_W_m2.shape[0]``).

    Parameters
    ----------
    profiles_rad : float32 (n_cells, n_az)
        Horizon profile of each cell [rad] (grid azimuths).
    cell_x_m, cell_y_m : (n_cells,)
        Map coordinates of the cells [m].
    cell_r_m : (n_cells,)
        Distance of each cell's surface from the Moon's centre [m] (parallax of the Sun).
    normals : (n_cells, 3)
        Unit surface normals (grid east, grid north, up) [-].
    body_radius_m : float
        Sphere radius of the map projection [m].
    sun_dir_me, sun_inv_distance_per_m, sun_radius_rad : (nt, 3), (nt,), (nt,)
        Moon-centred unit vectors to the Sun (MOON_ME) [-], 1 / distance [1/m], apparent radius [rad].
    flux_times_d2_W : float
        Solar constant x (1 au)^2, so that the irradiance is ``flux_times_d2_W * inv_distance^2`` [W].
    albedo_normal, albedo_a, albedo_b : float
        Hayne et al. 2017 Eq. A5 albedo ``A(i) = A0 + a (i / (pi/4))^3 + b (i / (pi/2))^8`` [-].
    t0 : int
        First time step.
    incident_W_m2, absorbed_W_m2 : (n, n_cells) outputs
        Direct irradiance on the tilted surface and its absorbed part ``(1 - A(i)) I`` [W m-2], time-major
        (the layout :func:`scattered_flux_chunk` takes).
    """
    n_cells, n_az = profiles_rad.shape
    n = incident_W_m2.shape[0]
    for c in numba.prange(n_cells):
        ne = normals[c, 0]
        nn = normals[c, 1]
        nu = normals[c, 2]
        if math.isnan(nu) or math.isnan(cell_r_m[c]):
            for s in range(n):
                incident_W_m2[s, c] = math.nan
                absorbed_W_m2[s, c] = math.nan
            continue
        frame = cell_frame(cell_x_m[c], cell_y_m[c], body_radius_m)
        r = cell_r_m[c]
        for s in range(n):
            t = t0 + s
            inv = sun_inv_distance_per_m[t]
            # topocentric direction (grid east, grid north, up), parallax removed to first order in r / d
            se, sn, su = topocentric_enu_first_order(
                sun_dir_me[t, 0], sun_dir_me[t, 1], sun_dir_me[t, 2], inv, r, frame
            )
            cos_i = ne * se + nn * sn + nu * su
            if cos_i <= 0.0:
                incident_W_m2[s, c] = 0.0
                absorbed_W_m2[s, c] = 0.0
                continue
            k0, k1, w = azimuth_bracket(atan2_fast(se, sn), n_az)
            h = horizon_between(profiles_rad[c, k0], profiles_rad[c, k1], w)
            f = disk_fraction((asin_fast(su) - h) / sun_radius_rad[t])
            if f <= 0.0:
                incident_W_m2[s, c] = 0.0
                absorbed_W_m2[s, c] = 0.0
                continue
            irr = flux_times_d2_W * inv * inv * f * min(cos_i, 1.0)
            albedo = albedo_at_incidence(math.acos(min(cos_i, 1.0)), albedo_normal, albedo_a, albedo_b)
            incident_W_m2[s, c] = irr
            absorbed_W_m2[s, c] = (1.0 - albedo) * irr


@numba.njit(cache=True)
def _box_mean(
    field: NDArray[np.float64],
    weight: NDArray[np.float64],
    half: int,
    sat: NDArray[np.float64],
    out: NDArray[np.float64],
) -> None:
    """Weighted mean of ``field`` over the (2 half + 1)^2 box around every cell (clipped at the edges).

    ``sat`` is scratch of shape (2, ny + 1, nx + 1): summed-area tables of ``weight * field`` and ``weight``.
    Cells with zero weight (no data) do not contribute; NaN field values must carry zero weight.
    """
    ny, nx = field.shape
    for i in range(ny + 1):
        sat[0, i, 0] = 0.0
        sat[1, i, 0] = 0.0
    for j in range(nx + 1):
        sat[0, 0, j] = 0.0
        sat[1, 0, j] = 0.0
    for i in range(ny):
        row_v = 0.0
        row_w = 0.0
        for j in range(nx):
            wgt = weight[i, j]
            if wgt > 0.0:
                row_v += wgt * field[i, j]
                row_w += wgt
            sat[0, i + 1, j + 1] = sat[0, i, j + 1] + row_v
            sat[1, i + 1, j + 1] = sat[1, i, j + 1] + row_w
    for i in range(ny):
        i0 = max(i - half, 0)
        i1 = min(i + half + 1, ny)
        for j in range(nx):
            j0 = max(j - half, 0)
            j1 = min(j + half + 1, nx)
            v = sat[0, i1, j1] - sat[0, i0, j1] - sat[0, i1, j0] + sat[0, i0, j0]
            w = sat[1, i1, j1] - sat[1, i0, j1] - sat[1, i1, j0] + sat[1, i0, j0]
            out[i, j] = v / w if w > 0.0 else 0.0


@numba.njit(cache=True, parallel=True)
def scattered_flux_chunk(
    incident_W_m2: NDArray[np.float64],
    absorbed_direct_W_m2: NDArray[np.float64],
    terrain_view: NDArray[np.float64],
    area_weight: NDArray[np.float64],
    half_width: int,
    albedo_diffuse: float,
    emissivity: float,
    n_iter_visible: int,
    n_iter_ir: int,
    absorbed_W_m2: NDArray[np.float64],
) -> None:
    """Absorbed flux including scattered sunlight and terrain infrared, for every step of a chunk.

    Parameters
    ----------
    incident_W_m2, absorbed_direct_W_m2 : (n, ny, nx)
        Direct irradiance and its absorbed part per step on a window of cells [W m-2] (NaN = no data).
    terrain_view : (ny, nx)
        ``1 - V``, the fraction of each cell's hemisphere filled by terrain [-].
    area_weight : (ny, nx)
        Surface area of each cell (plan area / cos slope) [m2]; 0 where there is no data.
    half_width : int
        Neighbourhood half width [cells] of the terrain a cell sees.
    albedo_diffuse : float
        Albedo for diffuse (scattered) light [-].
    emissivity : float
        Infrared emissivity [-].
    n_iter_visible, n_iter_ir : int
        Fixed-point iterations for the multiple-scattering sums (error ~ (F A)^n and F^n).
    absorbed_W_m2 : (n, ny, nx) output
        Total absorbed flux ``(1 - A(i)) I + (1 - A_d) S_v + eps S_ir`` [W m-2]; NaN where no data.
    """
    n, ny, nx = incident_W_m2.shape
    for s in numba.prange(n):
        sat = np.empty((2, ny + 1, nx + 1))
        field = np.empty((ny, nx))
        mean = np.empty((ny, nx))
        s_vis = np.zeros((ny, nx))
        s_ir = np.zeros((ny, nx))
        inc = incident_W_m2[s]
        dirabs = absorbed_direct_W_m2[s]
        for _ in range(n_iter_visible):
            for i in range(ny):
                for j in range(nx):
                    field[i, j] = (inc[i, j] - dirabs[i, j]) + albedo_diffuse * s_vis[i, j]
            _box_mean(field, area_weight, half_width, sat, mean)
            for i in range(ny):
                for j in range(nx):
                    s_vis[i, j] = terrain_view[i, j] * mean[i, j]
        for _ in range(n_iter_ir):
            for i in range(ny):
                for j in range(nx):
                    field[i, j] = dirabs[i, j] + (1.0 - albedo_diffuse) * s_vis[i, j] + s_ir[i, j]
            _box_mean(field, area_weight, half_width, sat, mean)
            for i in range(ny):
                for j in range(nx):
                    s_ir[i, j] = terrain_view[i, j] * mean[i, j]
        out = absorbed_W_m2[s]
        for i in range(ny):
            for j in range(nx):
                if area_weight[i, j] > 0.0:
                    out[i, j] = dirabs[i, j] + (1.0 - albedo_diffuse) * s_vis[i, j] + emissivity * s_ir[i, j]
                else:
                    out[i, j] = math.nan
